"""Fake parts for app episodes: a fixture screen, a recording actuator, a scripted actor.

``FakeParts`` has the call shape of a parts factory (``app.gui.chat.worker.PartsFactory``),
so the chat page runs real episodes — the real loop, gate, store and signals — without a
display or a model: the widget tests use it. The one design choice
a reader must know: it keeps what it built for the latest episode (``actuator``, ``policy``),
so a test can check what was really executed, not just what the UI showed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from agent.actuator import RecordingActuator, StopToken
from agent.critic import Critic
from agent.episode import EpisodeMeta, Recorder
from agent.policy import Policy
from agent.safety import SafetyConfig
from agent.screen import CaptureMasks, FakeScreen
from app.gui.chat.worker import EpisodeRequest, EpisodeSetup
from models.frames import Monitor
from tests.fakes.policy import Script, ScriptedPolicy

if TYPE_CHECKING:
    from agent.paths import Paths
    from app.config import DeskhandConfig
    from app.gui.context import AppContext


def desktop_image(seed: int, width: int = 640, height: int = 360) -> np.ndarray:
    """A screen-like picture: a title bar, a few flat coloured windows (distinct per seed)."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 236, np.uint8)
    image[: height // 14] = (60, 64, 72)
    for _ in range(4):
        x0, y0 = int(rng.integers(0, width - 120)), int(rng.integers(height // 10, height - 80))
        image[y0:y0 + 70, x0:x0 + 110] = rng.integers(60, 230, size=3, dtype=np.uint8)
    return image


@dataclass
class FakeParts:
    script: Sequence[Script]
    monitor: Monitor = field(default_factory=lambda: Monitor(0, 0, 1280, 720))
    images: Sequence[np.ndarray] = ()
    critic: Critic | None = None
    recorder: Callable[[], Recorder] | None = None
    hold: threading.Event | None = None  # the actor waits on it before each proposal
    policy_factory: Callable[[], Policy] | None = None  # instead of the script
    event_delay: float = 0.0
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    paused: threading.Event | None = None  # the takeover pause (set it to pause the loop)
    actuator: RecordingActuator | None = None
    policy: Policy | None = None
    screen: FakeScreen | None = None
    requests: list[EpisodeRequest] = field(default_factory=list)

    def __call__(self, request: EpisodeRequest, stop: StopToken) -> EpisodeSetup:
        self.requests.append(request)
        images = list(self.images) or [desktop_image(seed) for seed in range(8)]
        self.screen = FakeScreen(images, self.monitor, CaptureMasks(regions=request.own_rects))
        self.actuator = RecordingActuator(stop_token=stop, event_delay=self.event_delay)
        self.policy = (self.policy_factory() if self.policy_factory is not None
                       else ScriptedPolicy(self.script, hold=self.hold))
        return EpisodeSetup(screen=self.screen, actuator=self.actuator, policy=self.policy,
                            critic=self.critic, recorder=self.recorder, paused=self.paused,
                            meta=EpisodeMeta(actor_model="scripted (test)"), safety=self.safety)


def fake_context(paths: Paths, config: DeskhandConfig | None = None) -> AppContext:
    """An ``AppContext`` on ``paths`` with its own ``DbWorker`` (close ``ctx.db`` after)."""
    from app.config import DeskhandConfig
    from app.gui.context import AppContext
    from app.gui.worker import DbWorker

    config = config or DeskhandConfig()
    return AppContext(paths, config, DbWorker(paths, config.store))


def judgment_rows(ctx: AppContext) -> list[tuple[str, int | None, float | None, object, object]]:
    """Every judgment in the store as (kind, step index or None, value, corrected action,
    comment), oldest first — what the widget tests compare against."""
    def read(store: object) -> list[tuple[str, int | None, float | None, object, object]]:
        from sqlalchemy import select

        from agent.store.schema import Judgment, Step

        with store.session() as s:  # type: ignore[attr-defined]
            rows = s.execute(select(Judgment, Step.index).outerjoin(
                Step, Judgment.step_id == Step.id).order_by(Judgment.id)).all()
            return [(j.kind, index, j.value, j.corrected_action, j.comment) for j, index in rows]

    return list(ctx.db.call(read))
