""""Let me do it" for learning: every action with the screen it began on, and nothing the
person said to Deskhand itself (a click on "I'm done", the terminal's Enter)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.screen import FakeScreen
from agent.takeover_capture import Capturer, ScreenedRecorder
from models.actions import Click, Key, Scroll, Type
from tests.fixtures.store import make_screenshot

DONE_BUTTON = (1700, 1000)  # on "Deskhand's window" in these tests


@dataclass
class FakeOwn:
    """Deskhand's windows: the point ``DONE_BUTTON``, and the focus when ``focused``."""

    focused: bool = False
    windows: dict[tuple[int, int], int] = field(default_factory=dict)

    def owns(self, where: tuple[int, int] | None) -> bool:
        return self.focused if where is None else where == DONE_BUTTON

    def window_at(self, x: int, y: int) -> int | None:
        return self.windows.get((x, y))


def _recorder(own: FakeOwn | None = None) -> tuple[ScreenedRecorder, FakeScreen]:
    screen = FakeScreen([make_screenshot(i, 30, 40) for i in range(20)])
    recorder = ScreenedRecorder(own=own or FakeOwn(),  # type: ignore[arg-type]
                                capturer=Capturer(lambda: screen))
    return recorder, screen


def _shot_number(screen: FakeScreen, observation: object) -> int:
    for number in range(20):
        if (make_screenshot(number, 30, 40) == observation.image).all():  # type: ignore[attr-defined]
            return number
    raise AssertionError("not one of the pictures")


def test_each_action_gets_the_screen_from_when_it_began() -> None:
    recorder, screen = _recorder()
    recorder.mouse_press(100, 200, "left")  # picture 0: before the click
    recorder.mouse_release(100, 200, "left")
    for name in ("h", "i"):  # picture 1: before the text, none for the letters after it
        recorder.key_press(name)
        recorder.key_release(name)
    recorder.key_press("enter")  # picture 2: the text is typed, enter not yet
    recorder.wheel(300, 300, 0, -1)  # picture 3
    recorder.wheel(300, 300, 0, -1)  # the same scroll goes on: no picture
    actions = recorder.finish()
    assert actions == [Click(100, 200), Type("hi"), Key(("enter",)), Scroll(300, 300, 0, -2)]
    shots = recorder.observations()
    assert [_shot_number(screen, shot) for shot in shots] == [0, 1, 2, 3]
    assert screen.captured == 4


def test_a_double_click_is_one_action_with_the_first_presss_screen() -> None:
    recorder, screen = _recorder()
    for _ in range(2):
        recorder.mouse_press(50, 50, "left")
        recorder.mouse_release(50, 50, "left")
    assert recorder.finish() == [Click(50, 50, count=2)]
    assert [_shot_number(screen, s) for s in recorder.observations()] == [0]


def test_what_the_person_says_to_deskhand_is_not_recorded() -> None:
    own = FakeOwn()
    recorder, _screen = _recorder(own)
    recorder.mouse_press(10, 10, "left")
    recorder.mouse_release(10, 10, "left")
    recorder.key_press("a")
    recorder.mouse_press(*DONE_BUTTON, "left")  # "I'm done" on the panel
    recorder.mouse_release(*DONE_BUTTON, "left")
    own.focused = True  # the terminal of deskhand run has the focus: its Enter means "done"
    recorder.key_press("enter")
    assert recorder.finish() == [Click(10, 10), Type("a")]
    assert len(recorder.observations()) == 2


def test_without_a_screen_the_actions_are_still_recorded() -> None:
    def broken() -> FakeScreen:
        raise OSError("no display")

    recorder = ScreenedRecorder(capturer=Capturer(broken))
    recorder.key_press("x")
    assert recorder.finish() == [Type("x")]
    assert recorder.observations() == [None]
