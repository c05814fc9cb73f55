"""The stall detector: the same action proposed on an unchanged screen, again and again.

``StallDetector.observe(action, screenshot_sha)`` is called once per proposed action; it returns
True when this action is the ``repeats``-th in a row that is *the same* on *the same*
screenshot — the loop then asks the person instead of looping. It keeps returning True while
the run goes on; a different action or a changed screen starts a new run (``reset()`` too).

The one design choice a reader must know — the tolerance: two pointer actions of the same kind
with the same buttons/counts/amounts are the same when every coordinate is within
``tolerance_px`` pixels on each axis (default 3: a model re-proposing "the same" click drifts by
a pixel or two), measured against the *first* action of the run, so small drifts cannot creep
across a screen. Every other action (type, key, wait, ...) must be equal; key chords compare as
sets of canonical names.
"""

from __future__ import annotations

import dataclasses

from models.actions import Action, ActionError, Click, Drag, Key, Move, Scroll, normalize_key

_COORDS = ("x", "y", "to_x", "to_y")


def same_action(a: Action, b: Action, tolerance_px: int = 3) -> bool:
    """Whether two proposals are the same action, coordinates within the tolerance.

    >>> same_action(Click(100, 100), Click(103, 97)), same_action(Click(100, 100), Click(104, 100))
    (True, False)
    >>> same_action(Key(("Control", "s")), Key(("s", "ctrl")))
    True
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, Key) and isinstance(b, Key):
        return _chord(a.keys) == _chord(b.keys)
    if not isinstance(a, (Click, Move, Drag, Scroll)):
        return a == b
    for f in dataclasses.fields(a):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if f.name in _COORDS:
            if abs(va - vb) > tolerance_px:
                return False
        elif va != vb:
            return False
    return True


def _chord(keys: tuple[str, ...]) -> frozenset[str] | tuple[str, ...]:
    try:
        return frozenset(normalize_key(k) for k in keys)
    except ActionError:
        return keys


class StallDetector:
    """
    >>> d = StallDetector(repeats=2)
    >>> d.observe(Click(5, 5), "s1"), d.observe(Click(6, 5), "s1"), d.observe(Click(6, 5), "s2")
    (False, True, False)
    """

    def __init__(self, repeats: int = 2, tolerance_px: int = 3) -> None:
        if repeats < 2:
            raise ValueError(f"repeats must be >= 2 (1 would call every action a stall), "
                             f"got {repeats}")
        if tolerance_px < 0:
            raise ValueError(f"tolerance_px must be >= 0, got {tolerance_px}")
        self.repeats = repeats
        self.tolerance_px = tolerance_px
        self._first: Action | None = None
        self._sha: str | None = None
        self.count = 0

    def observe(self, action: Action, screenshot_sha: str) -> bool:
        """Record one proposal; True if it is a stall (``repeats`` same in a row)."""
        if (self._first is not None and screenshot_sha == self._sha
                and same_action(self._first, action, self.tolerance_px)):
            self.count += 1
        else:
            self._first, self._sha, self.count = action, screenshot_sha, 1
        return self.count >= self.repeats

    def reset(self) -> None:
        """Forget the run (the person stepped in)."""
        self._first, self._sha, self.count = None, None, 0
