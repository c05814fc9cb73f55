""""Let me do it", recorded for learning: each action the person does with the screen it was
done on, and none of what they said to Deskhand itself.

``ScreenedRecorder`` is the takeover recorder of ``agent.control.record`` with two additions:
input on the face's own windows (``OwnWindows``: the app, or the terminal of ``deskhand run``)
is left out — the click on "I'm done", the Enter that says so in the terminal — and a
screenshot is taken when the person *begins* each action (the press of a click, the first
key of a text, the first wheel click of a scroll), so the loop can store every action of a
takeover as a step of its own, on the screen it was done on, and the learner can train on
all of them. ``observations()`` gives them, one per action of ``finish()`` (None where no
screenshot could be taken).

The one design choice a reader must know: screenshots are taken on one worker thread that
owns its own screen (mss connections are per thread), and the listener waits for each, so
the picture shows the screen as it was when the action began, before the app under the
pointer has redrawn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agent.control.record import CHORD_MODIFIERS, RecorderSettings, UserActionRecorder
from agent.own_windows import FocusKeeper, OwnWindows
from agent.screen import Observation, Rect, Screen
from models.actions import Action, Scroll

_MODIFIERS = frozenset({*CHORD_MODIFIERS, "altgr"})
_CHORD_HELD = frozenset({"ctrl", "alt", "win"})


class Capturer:
    """Screenshots on one worker thread that owns its screen (made by ``make_screen``)."""

    def __init__(self, make_screen: Callable[[], Screen]) -> None:
        self._make_screen = make_screen
        self._screen: Screen | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deskhand-capture")

    def capture(self, timeout: float = 5.0) -> Observation | None:
        try:
            return self._pool.submit(self._grab).result(timeout)
        except Exception:  # a screenshot is a nicety for learning: never fail a takeover for it
            return None

    def _grab(self) -> Observation:
        if self._screen is None:
            self._screen = self._make_screen()
        return self._screen.capture()

    def close(self) -> None:
        def close_screen() -> None:
            closer = getattr(self._screen, "close", None)
            if callable(closer):
                closer()

        try:
            self._pool.submit(close_screen).result(5.0)
        except Exception:
            pass
        self._pool.shutdown(wait=False)


class ScreenedRecorder(UserActionRecorder):
    """The takeover recorder that leaves out the face and pictures each action's start."""

    def __init__(self, settings: RecorderSettings | None = None, ignore: Sequence[Rect] = (),
                 *, own: OwnWindows | None = None, capturer: Capturer | None = None,
                 focus: FocusKeeper | None = None) -> None:
        super().__init__(settings, ignore)
        self.own = own
        self.capturer = capturer
        self.focus = focus
        self._shots: dict[int, Observation] = {}  # action index → screen when it began
        self._press_shot: Observation | None = None
        self._text_shot: Observation | None = None
        self._shot_lock = threading.Lock()

    def observations(self) -> list[Observation | None]:
        """One screenshot per action of ``finish()`` (call after it)."""
        with self._lock:
            count = len(self._actions)
        with self._shot_lock:
            return [self._shots.get(i) for i in range(count)]

    def finish(self) -> list[Action]:
        try:
            return super().finish()
        finally:
            if self.capturer is not None:
                self.capturer.close()

    # -- events ---------------------------------------------------------------------------
    def mouse_press(self, x: int, y: int, button: str) -> None:
        if self._owned((int(x), int(y))):
            return  # "I'm done", or any click on Deskhand: not part of the step
        shot = self._shoot()
        super().mouse_press(x, y, button)
        self._press_shot = shot
        if self.focus is not None and self.own is not None:
            self.focus.note(self.own.window_at(int(x), int(y)))

    def mouse_release(self, x: int, y: int, button: str) -> None:
        before = self._count()
        super().mouse_release(x, y, button)
        shot, self._press_shot = self._press_shot, None
        if self._count() > before:
            self._keep(self._count() - 1, shot)

    def wheel(self, x: int, y: int, dx: int, dy: int) -> None:
        if self._owned((int(x), int(y))):
            return
        with self._lock:
            last = self._actions[-1] if self._actions else None
            continues = isinstance(last, Scroll) and not self._text
        shot = None if continues else self._shoot()
        before = self._count()
        super().wheel(x, y, dx, dy)
        if self._count() > before:
            self._keep(self._count() - 1, shot)

    def key_press(self, name: str | None) -> None:
        if name is None:
            return
        if self._owned(None):
            return  # typed to Deskhand (the terminal's Enter that says "done")
        with self._lock:
            chord = bool(self._held & _CHORD_HELD)
            text = self._text
        printable = len(name) == 1 and name.isprintable() or name == "space"
        if name in _MODIFIERS or (not chord and (
                (printable and text) or (name == "backspace" and text))):
            super().key_press(name)  # a modifier, or the text being typed goes on
            return
        shot = self._shoot()
        if printable and not chord:
            super().key_press(name)
            self._text_shot = shot  # kept when the text becomes an action (_flush_text)
        else:
            before = self._count()
            super().key_press(name)
            if self._count() > before:
                self._keep(self._count() - 1, shot)
        if self.focus is not None:
            self.focus.note()

    def key_release(self, name: str | None) -> None:
        super().key_release(name)

    def _flush_text(self) -> None:  # the parent calls it holding its lock
        before = len(self._actions)
        super()._flush_text()
        if len(self._actions) > before:
            shot, self._text_shot = self._text_shot, None
            self._keep(before, shot)

    # -- helpers --------------------------------------------------------------------------
    def _owned(self, where: tuple[int, int] | None) -> bool:
        if self.own is None:
            return False
        try:
            return self.own.owns(where)
        except Exception:
            return False

    def _shoot(self) -> Observation | None:
        return self.capturer.capture() if self.capturer is not None else None

    def _count(self) -> int:
        with self._lock:
            return len(self._actions)

    def _keep(self, index: int, shot: Any) -> None:
        if shot is None:
            return
        with self._shot_lock:
            self._shots.setdefault(index, shot)
