"""Unit tests of the gate beyond the table: window lookups, failing closed, config errors."""

from __future__ import annotations

import numpy as np
import pytest

from agent.config import ConfigError, from_dict
from agent.safety.config import SafetyConfig
from agent.safety.gate import Decision, GateContext, SafetyGate, WindowInfo
from agent.screen import Observation, Rect
from models.actions import Click, Drag, Type
from models.frames import Monitor

SCREEN = (Monitor(0, 0, 1920, 1080),)


def test_window_at_is_asked_for_every_point_and_wins_over_the_list() -> None:
    asked: list[tuple[int, int]] = []

    def window_at(x: int, y: int) -> WindowInfo | None:
        asked.append((x, y))
        return WindowInfo("Deskhand", Rect(0, 0, 100, 100)) if x < 100 else None

    ctx = GateContext(SCREEN, windows=(WindowInfo("Editor", Rect(0, 0, 1920, 1080)),),
                      window_at=window_at)
    decision = SafetyGate().check(Drag(500, 5, 50, 5), ctx)
    assert asked == [(500, 5), (50, 5)]
    assert decision.verdict == "block"
    assert any("Deskhand's window" in r for r in decision.reasons)


def test_a_failing_window_lookup_asks_the_person() -> None:
    def window_at(x: int, y: int) -> WindowInfo | None:
        raise OSError("X server went away")

    decision = SafetyGate().check(Click(10, 10), GateContext(SCREEN, window_at=window_at))
    assert decision.verdict == "ask"
    assert "X server went away" in decision.reasons[0]


def test_a_failing_lookup_of_the_previous_click_still_checks_the_title() -> None:
    def window_at(x: int, y: int) -> WindowInfo | None:
        raise OSError("gone")

    ctx = GateContext(SCREEN, active_title="Sign in", window_at=window_at,
                      previous_action=Click(10, 10))
    assert SafetyGate().check(Type("hunter2"), ctx).verdict == "ask"


def test_the_gate_fails_closed_on_an_internal_error() -> None:
    ctx = GateContext(SCREEN, active_title=12345)  # type: ignore[arg-type]
    decision = SafetyGate(SafetyConfig(deny_titles=("x",))).check(Type("hi"), ctx)
    assert decision.verdict == "block"
    assert "could not check" in decision.reasons[0]


def test_unknown_action_objects_are_blocked() -> None:
    decision = SafetyGate().check("click 10 10", GateContext(SCREEN))  # type: ignore[arg-type]
    assert decision.verdict == "block"


def test_strictest_verdict_wins_and_every_reason_is_kept() -> None:
    ctx = GateContext(SCREEN, active_title="Sign in", reasoning=("the password",))
    gate = SafetyGate(SafetyConfig(deny_text=("hunter",)))
    decision = gate.check(Type("hunter2"), ctx)
    assert decision.verdict == "ask"
    assert len(decision.reasons) == 3
    assert Decision.of([("allow", "a"), ("block", "b"), ("ask", "c")]).verdict == "block"


def test_context_from_an_observation_uses_its_monitor_and_title() -> None:
    monitor = Monitor(-1280, 0, 1280, 1024)
    editor = WindowInfo("Editor", Rect(-1280, 0, 1280, 1024), "Gedit", "gedit", "gedit", 4242)
    obs = Observation(np.zeros((4, 4, 3), np.uint8), monitor, None, "Deskhand", 0.0,
                      windows=(editor,))
    ctx = GateContext.from_observation(obs, approval_mode="never")
    assert ctx.monitors == (monitor,) and ctx.active_title == "Deskhand"
    gate = SafetyGate()
    assert gate.check(Click(-1, 0), ctx).verdict == "allow"  # on the editor
    assert gate.check(Click(0, 0), ctx).verdict == "block"  # off the monitor
    assert gate.check(Type("x"), ctx).verdict == "block"  # Deskhand has the focus
    wider = GateContext.from_observation(obs, monitors=(monitor,) + SCREEN)
    # (0, 0) is on no known window: the focused one, Deskhand's, is where it likely lands
    assert gate.check(Click(0, 0), wider).verdict == "block"


@pytest.mark.parametrize(("table", "message"), [
    ({"deny_text": ["ok", "(unclosed"]}, "deny_text[1] '(unclosed' is not a valid regular"),
    ({"deny_titles": ["re:[a-"]}, "deny_titles[0] 're:[a-' is not a valid regular"),
    ({"deny_apps": ["re:*x"]}, "deny_apps[0] 're:*x' is not a valid regular"),
    ({"password_title_patterns": ["(?P<"]}, "password_title_patterns[0]"),
    ({"deny_titles": [""]}, "deny_titles[0] is empty"),
    ({"deny_titles": ["re:  "]}, "deny_titles[0] is empty"),
    ({"own_window_titles": [" "]}, "own_window_titles[0] is empty"),
    ({"dangerous_keys": ["ctrl+hyper"]}, "dangerous_keys[0] 'ctrl+hyper' is not a key chord"),
    ({"max_steps": 0}, "max_steps must be an integer >= 1"),
    ({"max_minutes": 0}, "max_minutes must be a positive number"),
    ({"max_unparseable": 0}, "max_unparseable"),
    ({"stall_repeats": 1}, "stall_repeats must be an integer >= 2"),
    ({"stall_tolerance_px": -1}, "stall_tolerance_px"),
])
def test_bad_config_is_refused_with_the_key_named(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match="safety") as info:
        from_dict(SafetyConfig, table, "safety")
    assert message in str(info.value)


def test_config_from_toml_types_and_a_list_given_as_a_string() -> None:
    config = from_dict(SafetyConfig, {"deny_titles": ["Bank"], "max_minutes": 5}, "safety")
    assert config.deny_titles == ("Bank",) and config.max_seconds == 300.0
    with pytest.raises(ConfigError, match="deny_titles"):
        from_dict(SafetyConfig, {"deny_titles": "Bank"}, "safety")
    with pytest.raises(ValueError, match="must be a list of strings"):
        SafetyConfig(deny_titles="Bank")  # type: ignore[arg-type]
    assert SafetyConfig(deny_titles=["Bank"]).deny_titles == ("Bank",)  # type: ignore[arg-type]
