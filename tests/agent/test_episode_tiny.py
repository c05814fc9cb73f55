"""The tiny model runs the loop end to end: nonsense outputs, but never an unsafe action."""

from __future__ import annotations

import pytest

from agent.actuator import RecordingActuator
from agent.clock import MonotonicClock
from agent.episode import EpisodeParts, EpisodeRunner
from agent.episode_safety import make_guards
from agent.policy import ModelPolicy
from agent.safety import SafetyConfig, SafetyGate
from agent.safety.gate import GateContext
from agent.screen import FakeScreen
from agent.settings import AgentConfig
from agent.store.repo import Store
from agent.user_gate import AutoGate
from models.actions import from_json, points
from models.families.base import get_family
from models.frames import Monitor
from models.runtime import LlamaRuntime, RuntimeConfig
from models.tiny import TinyModel
from tests.fixtures.store import make_screenshot


@pytest.mark.slow
@pytest.mark.parametrize("family", ["deskhand"])
def test_the_tiny_model_runs_the_loop_safely(tiny_model: TinyModel, store: Store,
                                             family: str) -> None:
    monitor = Monitor(0, 0, 640, 400)
    screen = FakeScreen([make_screenshot(7, 400, 640)], monitor=monitor)
    actuator = RecordingActuator()
    config = RuntimeConfig(threads=2, n_ctx=4096, max_new_tokens=24, seed=1)
    safety = SafetyConfig(max_steps=4, max_unparseable=4)
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, config) as runtime:
        policy = ModelPolicy(runtime, get_family(family), greedy=False)
        parts = EpisodeParts(screen=screen, actuator=actuator, policy=policy, gate=AutoGate(),
                             store=store, guards=make_guards(safety, "never", MonotonicClock(),
                                                             [monitor]))
        tokens: list[str] = []
        runner = EpisodeRunner(parts, AgentConfig(approval="never", step_pause_s=0))
        runner.callbacks.on_token = tokens.append
        result = runner.run("open the settings")
    steps = store.steps(result.episode_id)
    assert result.status in ("stopped", "done", "failed") and 1 <= len(steps) <= 4
    assert tokens, "the reasoning was not streamed"
    gate = SafetyGate(safety)
    for step in steps:
        assert step.raw_output is not None
        if step.outcome == "parse_failed":
            assert step.action is None and step.parse_error
            continue
        action = from_json(step.action)
        assert all(monitor.contains(x, y) for x, y in points(action))
        context = GateContext(monitors=(monitor,), approval_mode="never")
        verdict = gate.check(action, context).verdict
        assert step.outcome == {"allow": "executed", "block": "blocked"}.get(verdict, step.outcome)
    executed = [from_json(s.action) for s in steps if s.outcome == "executed"]
    assert [a for a in executed if a.kind not in ("done", "fail", "ask_user")] == \
        actuator.executed
