"""The Xvfb fixture gives a display with the extensions the agent relies on."""

from __future__ import annotations

import subprocess

import pytest

from tests.fixtures.display import XDisplay


@pytest.mark.display
def test_xvfb_has_xtest_and_record(xdisplay: XDisplay) -> None:
    out = subprocess.run(["xdpyinfo", "-display", xdisplay.name, "-queryExtensions"],
                         capture_output=True, text=True, timeout=20, check=True).stdout
    assert "XTEST" in out
    assert "RECORD" in out
    assert f"dimensions:    {xdisplay.width}x{xdisplay.height} pixels" in out
