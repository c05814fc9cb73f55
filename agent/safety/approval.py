"""Approvals bound to one action on one screenshot: if the screen changed, ask again.

The person approves what they saw: this action, proposed on this screenshot (its sha256,
``Observation.sha256``). ``ApprovalBook.is_approved`` is true only for exactly that pair, so a
repeated proposal on a changed screen — a dialog popped up, the page scrolled — is asked
again. ``resolve`` combines the gate's decision with the book: an approval turns *ask* into
*execute*, and nothing turns *block* into anything else.

The one design choice a reader must know: actions are compared by value (the frozen dataclass,
normalised through its JSON form so ``Key(("Control", "W"))`` and ``Key(("ctrl", "w"))`` are one
action), and an approval is used up by ``consume`` when the loop executes it, so one "yes"
never executes twice.
"""

from __future__ import annotations

from typing import Literal

from agent.safety.gate import Decision
from models.actions import Action, ActionError, dumps, from_json, to_json

Route = Literal["execute", "ask", "block"]


def _key(action: Action, screenshot_sha: str) -> tuple[str, str]:
    try:
        canonical = dumps(from_json(to_json(action)))
    except ActionError:  # not a valid action: compare it exactly as it is
        canonical = repr(action)
    return canonical, screenshot_sha


class ApprovalBook:
    """The approvals the person gave in this episode.

    >>> from models.actions import Click
    >>> book = ApprovalBook()
    >>> book.grant(Click(10, 20), "aa11")
    >>> book.is_approved(Click(10, 20), "aa11"), book.is_approved(Click(10, 20), "bb22")
    (True, False)
    >>> book.consume(Click(10, 20), "aa11"), book.consume(Click(10, 20), "aa11")
    (True, False)
    """

    def __init__(self) -> None:
        self._granted: set[tuple[str, str]] = set()

    def grant(self, action: Action, screenshot_sha: str) -> None:
        if not isinstance(screenshot_sha, str) or not screenshot_sha:
            raise ValueError("an approval needs the hash of the screenshot it was given on")
        self._granted.add(_key(action, screenshot_sha))

    def is_approved(self, action: Action, screenshot_sha: str) -> bool:
        return _key(action, screenshot_sha) in self._granted

    def consume(self, action: Action, screenshot_sha: str) -> bool:
        """True (and forget it) if this exact pair was approved."""
        key = _key(action, screenshot_sha)
        if key in self._granted:
            self._granted.discard(key)
            return True
        return False

    def clear(self) -> None:
        self._granted.clear()

    def __len__(self) -> int:
        return len(self._granted)


def resolve(decision: Decision, book: ApprovalBook, action: Action,
            screenshot_sha: str) -> Route:
    """What the loop does: execute, ask the person, or block (approvals never lift a block).

    >>> from models.actions import Shell
    >>> book = ApprovalBook()
    >>> resolve(Decision("ask", ("shell",)), book, Shell("ls"), "aa")
    'ask'
    >>> book.grant(Shell("ls"), "aa")
    >>> resolve(Decision("ask", ("shell",)), book, Shell("ls"), "aa")
    'execute'
    >>> resolve(Decision("block", ("off",)), book, Shell("ls"), "aa")
    'block'
    """
    if decision.verdict == "block":
        return "block"
    if decision.verdict == "ask" and not book.is_approved(action, screenshot_sha):
        return "ask"
    return "execute"
