"""The nightly run's conditions, each with fakes; the real idle and power probes on their own."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from agent.locks import episode_lock
from agent.paths import Paths
from agent.store.repo import Store
from agent.store.schema import TrainingRun, utcnow
from learner.config import ScheduleConfig
from learner.schedule.conditions import (
    linux_on_ac,
    should_run,
    x11_idle_seconds,
    xprintidle_seconds,
)
from tests.fixtures.display import XDisplay

CFG = ScheduleConfig(idle_minutes=10, min_new_judgments=2)


def _judge(store: Store, n: int) -> None:
    ep = store.create_episode("t")
    step = store.add_step(ep, action={"type": "done"})
    for _ in range(n):
        store.add_judgment(kind="approve", step_id=step)
    store.add_judgment(kind="comment", step_id=step, comment="not counted")


def _decide(home: Paths, store: Store, **over: object) -> tuple[bool, dict[str, bool]]:
    kwargs: dict[str, object] = {"idle": lambda: 3600.0, "power": lambda: True,
                                 "episode_running": lambda: False}
    kwargs.update(over)
    config = over.pop("config", CFG) if "config" in over else CFG
    kwargs.pop("config", None)
    decision = should_run(home, store, config, role="actor", **kwargs)  # type: ignore[arg-type]
    return decision.run, {c.name: c.ok for c in decision.checks}


def test_runs_when_every_condition_holds(home: Paths, store: Store) -> None:
    _judge(store, 2)
    assert _decide(home, store) == (True, {"idle": True, "episode": True, "power": True,
                                           "judgments": True})


def test_each_condition_alone_stops_it(home: Paths, store: Store,
                                       caplog: pytest.LogCaptureFixture) -> None:
    _judge(store, 2)
    with caplog.at_level(logging.INFO, logger="learner.schedule.conditions"):
        assert _decide(home, store, idle=lambda: 60.0)[1]["idle"] is False
    assert "skipped: user idle for 1.0 min, need 10 min" in caplog.text
    assert _decide(home, store, episode_running=lambda: True)[0] is False
    assert _decide(home, store, power=lambda: False)[1]["power"] is False
    lenient = ScheduleConfig(idle_minutes=10, min_new_judgments=2, require_ac_power=False)
    assert _decide(home, store, power=lambda: False, config=lenient)[0] is True
    assert _decide(home, store, power=lambda: None)[0] is True  # unknown: a desktop


def test_unknown_idle_follows_the_policy(home: Paths, store: Store) -> None:
    _judge(store, 2)
    assert _decide(home, store, idle=lambda: None)[0] is True
    skip = ScheduleConfig(idle_minutes=10, min_new_judgments=2, when_idle_unknown="skip")
    assert _decide(home, store, idle=lambda: None, config=skip)[0] is False


def test_only_judgments_after_the_last_finished_run_count(home: Paths, store: Store) -> None:
    _judge(store, 1)
    assert _decide(home, store)[1]["judgments"] is False
    _judge(store, 1)
    assert _decide(home, store)[0] is True
    with store.session() as s:
        s.add(TrainingRun(role="actor", status="done", ended_at=utcnow() + timedelta(seconds=1)))
        s.add(TrainingRun(role="reward", status="done", ended_at=utcnow() - timedelta(days=1)))
    assert _decide(home, store)[1]["judgments"] is False
    reward = should_run(home, store, CFG, role="reward", idle=lambda: 3600.0,
                        power=lambda: True, episode_running=lambda: False)
    assert reward.run


def test_the_real_episode_lock_is_seen(home: Paths, store: Store) -> None:
    _judge(store, 2)
    kwargs = {"idle": lambda: 3600.0, "power": lambda: True}
    with episode_lock(home.locks_dir):
        held = should_run(home, store, CFG, role="actor", **kwargs)  # type: ignore[arg-type]
    free = should_run(home, store, CFG, role="actor", **kwargs)  # type: ignore[arg-type]
    assert not held.run and held.reasons == ["an episode is running"] and free.run


def _supply(root: Path, name: str, **files: str) -> None:
    (root / name).mkdir(parents=True)
    for key, value in files.items():
        (root / name / key).write_text(value + "\n")


def test_power_from_sysfs(tmp_path: Path) -> None:
    laptop = tmp_path / "laptop"
    _supply(laptop, "AC", type="Mains", online="0")
    _supply(laptop, "BAT0", type="Battery", status="Discharging")
    assert linux_on_ac(laptop) is False
    (laptop / "AC" / "online").write_text("1\n")
    assert linux_on_ac(laptop) is True
    battery_only = tmp_path / "bat"
    _supply(battery_only, "BAT1", type="Battery", status="Charging")
    assert linux_on_ac(battery_only) is True
    assert linux_on_ac(tmp_path / "desktop") is None


def test_xprintidle_fallback_reads_milliseconds() -> None:
    assert xprintidle_seconds(lambda argv: "12500\n") == 12.5
    assert xprintidle_seconds(lambda argv: "garbage") is None


@pytest.mark.display
def test_x11_idle_time_from_a_real_x_server(xdisplay: XDisplay) -> None:
    idle = x11_idle_seconds(xdisplay.name)
    assert idle is not None and idle >= 0.0
    assert x11_idle_seconds(":999") is None  # no such display
