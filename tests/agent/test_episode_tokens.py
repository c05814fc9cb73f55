"""A screenshot mtmd resized behind the family's back is a recorded failure, never a click.

The runtime is told ``image_min_tokens=1024``: mtmd enlarges every 640×400 screenshot, so its
image token count differs from the family's (and for ``qwen3vl`` the tiny model's 28-pixel
projector differs anyway). For every family the step must be recorded failed with the reason,
the episode must end failed, and the actuator must never be called.
"""

from __future__ import annotations

import pytest

from agent.actuator import RecordingActuator
from agent.clock import MonotonicClock
from agent.episode import EpisodeParts, EpisodeRunner
from agent.episode_safety import make_guards
from agent.policy import ModelPolicy
from agent.safety import SafetyConfig
from agent.screen import FakeScreen
from agent.settings import AgentConfig
from agent.store.repo import Store
from agent.user_gate import AutoGate, GateEvent
from models.families.base import FAMILY_NAMES, get_family
from models.frames import Monitor
from models.runtime import LlamaRuntime, RuntimeConfig
from models.tiny import TinyModel
from tests.fixtures.store import make_screenshot


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_a_token_count_mismatch_is_refused_for_every_family(tiny_model: TinyModel, store: Store,
                                                            family: str) -> None:
    monitor = Monitor(0, 0, 640, 400)
    screen = FakeScreen([make_screenshot(7, 400, 640)], monitor=monitor)
    actuator = RecordingActuator()
    gate = AutoGate()
    config = RuntimeConfig(threads=2, n_ctx=4096, max_new_tokens=24, seed=1,
                           image_min_tokens=1024)
    safety = SafetyConfig(max_steps=4, max_unparseable=4)
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, config) as runtime:
        policy = ModelPolicy(runtime, get_family(family), greedy=True)
        parts = EpisodeParts(screen=screen, actuator=actuator, policy=policy, gate=gate,
                             store=store, guards=make_guards(safety, "never", MonotonicClock(),
                                                             [monitor]))
        result = EpisodeRunner(parts, AgentConfig(approval="never", step_pause_s=0)).run("save")
    assert result.status == "failed"
    assert "image tokens" in result.summary and "Refusing to act" in result.summary
    (step,) = store.steps(result.episode_id)
    assert step.outcome == "failed" and step.action is None
    assert step.extra is not None and step.extra["refused"] == result.summary
    assert [r.outcome for r in result.steps] == ["failed"]
    assert GateEvent("error", result.summary) in gate.events
    assert actuator.executed == []
