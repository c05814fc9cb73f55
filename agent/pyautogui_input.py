"""The input backend off X11 (macOS, Windows): pyautogui for the mouse and key chords,
pynput's controller for text.

It checks the corner failsafe before every group (pyautogui's corners, as ``FailSafeHit``)
but cannot see the person's keys the way ``agent.xtest`` does on X11: here the takeover
monitor's refusal (``on_event``) is the only guard against a person's hands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agent.input_plan import Low
from agent.stop_token import FailSafeHit


class PyAutoGuiInput:
    def __init__(self) -> None:
        import pyautogui
        from pynput.keyboard import Controller

        self._gui: Any = pyautogui
        self._gui.PAUSE = 0  # the actuator paces itself, so a stop is never stuck in a sleep
        self._gui.FAILSAFE = False  # checked once per group below, never inside a chord
        self._keyboard: Any = Controller()
        width, height = self._gui.size()
        self.screen: tuple[int, int] | None = (int(width), int(height))
        self._held: set[str] = set()

    def begin(self, wait: Callable[[float], bool], grace: float) -> None:
        self._held.clear()

    def end(self) -> None:
        pass

    def send(self, events: Sequence[Low],
             announce: Callable[[Sequence[tuple[int, ...]]], None]) -> None:
        gui = self._gui
        self.check()
        announce([() for _ in events])
        for kind, detail in events:
            if kind == "move":
                gui.moveTo(detail[0], detail[1])
            elif kind == "down":
                gui.mouseDown(button=detail[0])
                self._held.add(str(detail[0]))
            elif kind == "up":
                gui.mouseUp(button=detail[0])
                self._held.discard(str(detail[0]))
            elif kind == "scroll":
                if detail[1]:
                    gui.scroll(detail[1])
                else:
                    gui.hscroll(detail[0])
            elif kind == "key_down":
                gui.keyDown(detail[0])
            elif kind == "key_up":
                gui.keyUp(detail[0])
            elif kind == "text":
                self._keyboard.type(detail[0])

    def check(self) -> None:
        if tuple(self._gui.position()) in self._gui.FAILSAFE_POINTS:
            raise FailSafeHit("the pointer is in a screen corner")

    def release_held(self) -> list[Low]:
        released: list[Low] = []
        for button in sorted(self._held):
            self._gui.mouseUp(button=button)
            released.append(("up", (button,)))
        self._held.clear()
        return released

    def close(self) -> None:
        pass
