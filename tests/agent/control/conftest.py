"""Fixtures of the control tests: a person's hands (:class:`XHands`) on the test display."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.display import XDisplay
from tests.fixtures.xhands import XHands


@pytest.fixture
def hands(xdisplay: XDisplay) -> Iterator[XHands]:
    hands = XHands()
    try:
        yield hands
    finally:
        hands.close()
