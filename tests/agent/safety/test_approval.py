"""An approval binds to one action on one screenshot hash: if the screen changed, ask again."""

from __future__ import annotations

import numpy as np
import pytest

from agent.safety.approval import ApprovalBook, resolve
from agent.safety.config import SafetyConfig
from agent.safety.gate import Decision, GateContext, SafetyGate
from agent.screen import FakeScreen
from models.actions import Click, Key, Shell, Type
from models.frames import Monitor


def two_screens() -> tuple[str, str]:
    first = np.zeros((8, 8, 3), np.uint8)
    second = first.copy()
    second[3, 3] = (255, 0, 0)  # one pixel changed: a different screen
    screen = FakeScreen([first, second], monitor=Monitor(0, 0, 8, 8))
    return screen.capture().sha256, screen.capture().sha256


def test_approval_holds_only_for_the_exact_action_and_screenshot() -> None:
    before, after = two_screens()
    assert before != after
    book = ApprovalBook()
    book.grant(Shell("ls"), before)
    assert book.is_approved(Shell("ls"), before)
    assert not book.is_approved(Shell("ls"), after)  # the screen changed: ask again
    assert not book.is_approved(Shell("ls -la"), before)  # another action
    assert not book.is_approved(Type("ls"), before)


def test_coordinates_must_match_exactly() -> None:
    book = ApprovalBook()
    book.grant(Click(100, 200), "s")
    assert book.is_approved(Click(100, 200), "s")
    assert not book.is_approved(Click(101, 200), "s")
    assert not book.is_approved(Click(100, 200, "right"), "s")
    assert not book.is_approved(Click(100, 200, count=2), "s")


def test_key_spellings_of_one_chord_are_one_action() -> None:
    book = ApprovalBook()
    book.grant(Key(("Control", "W")), "s")
    assert book.is_approved(Key(("ctrl", "w")), "s")
    assert not book.is_approved(Key(("ctrl", "q")), "s")


def test_an_approval_is_used_once() -> None:
    book = ApprovalBook()
    book.grant(Click(1, 1), "s")
    assert len(book) == 1
    assert book.consume(Click(1, 1), "s")
    assert not book.consume(Click(1, 1), "s")
    assert not book.is_approved(Click(1, 1), "s")
    book.grant(Click(1, 1), "s")
    book.clear()
    assert len(book) == 0


def test_an_approval_needs_a_screenshot_hash() -> None:
    with pytest.raises(ValueError, match="hash"):
        ApprovalBook().grant(Click(1, 1), "")


def test_resolve_with_the_real_gate() -> None:
    before, after = two_screens()
    gate = SafetyGate(SafetyConfig(allow_shell=True))
    ctx = GateContext((Monitor(0, 0, 1920, 1080),))
    book = ApprovalBook()
    ls = Shell("ls")
    decision = gate.check(ls, ctx)
    assert resolve(decision, book, ls, before) == "ask"
    book.grant(ls, before)
    assert resolve(decision, book, ls, before) == "execute"
    assert resolve(decision, book, ls, after) == "ask"
    outside = Click(5000, 5)
    book.grant(outside, before)
    assert resolve(gate.check(outside, ctx), book, outside, before) == "block"
    assert resolve(Decision("allow"), book, Click(1, 1), after) == "execute"
