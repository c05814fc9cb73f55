"""The stall detector: the same action on an unchanged screen, ``repeats`` times in a row."""

from __future__ import annotations

import pytest

from agent.safety.stall import StallDetector, same_action
from models.actions import Click, Drag, Key, Scroll, Type, Wait


def test_two_same_clicks_on_one_screen_is_a_stall() -> None:
    d = StallDetector()
    assert not d.observe(Click(100, 100), "s1")
    assert d.observe(Click(100, 100), "s1")
    assert d.observe(Click(100, 100), "s1")  # keeps saying so while it goes on


def test_a_changed_screen_or_action_starts_a_new_run() -> None:
    d = StallDetector()
    assert not d.observe(Click(100, 100), "s1")
    assert not d.observe(Click(100, 100), "s2")
    assert d.observe(Click(100, 100), "s2")
    assert not d.observe(Type("a"), "s2")
    assert d.observe(Type("a"), "s2")
    assert not d.observe(Type("b"), "s2")


def test_tolerance_is_three_pixels_each_axis_from_the_first_of_the_run() -> None:
    d = StallDetector()
    assert not d.observe(Click(100, 100), "s")
    assert d.observe(Click(103, 97), "s")
    assert d.observe(Click(97, 103), "s")
    assert not d.observe(Click(104, 100), "s")  # 4 px: a different click, a new run
    assert not d.observe(Click(100, 100), "s")  # 4 px from the new run's first


def test_drift_cannot_creep() -> None:
    d = StallDetector(repeats=5)
    results = [d.observe(Click(100 + 2 * i, 100), "s") for i in range(5)]
    assert results == [False, False, False, False, False]  # 100,102,104: 104 breaks the run


def test_repeats_three() -> None:
    d = StallDetector(repeats=3)
    assert [d.observe(Key(("ctrl", "s")), "s") for _ in range(4)] == [False, False, True, True]


def test_reset_forgets_the_run() -> None:
    d = StallDetector()
    d.observe(Click(1, 1), "s")
    d.reset()
    assert not d.observe(Click(1, 1), "s")


def test_same_action_rules() -> None:
    assert same_action(Click(10, 10), Click(13, 13))
    assert not same_action(Click(10, 10), Click(10, 10, "right"))
    assert not same_action(Click(10, 10), Click(10, 10, count=2))
    assert same_action(Drag(0, 0, 50, 50), Drag(1, 1, 52, 48))
    assert not same_action(Drag(0, 0, 50, 50), Drag(0, 0, 54, 50))
    assert not same_action(Scroll(5, 5, 0, -3), Scroll(5, 5, 0, 3))
    assert same_action(Key(("Control", "S")), Key(("s", "ctrl")))
    assert same_action(Key(("hyper",)), Key(("hyper",)))  # unknown names compare as given
    assert not same_action(Wait(1.0), Wait(2.0))
    assert not same_action(Click(1, 1), Type("1"))
    assert same_action(Click(10, 10), Click(10, 11), tolerance_px=1)
    assert not same_action(Click(10, 10), Click(10, 12), tolerance_px=1)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="repeats"):
        StallDetector(repeats=1)
    with pytest.raises(ValueError, match="tolerance"):
        StallDetector(tolerance_px=-1)
