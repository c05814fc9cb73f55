"""``deskhand bench ui``: how long the UI thread stalls while an episode streams tokens.

A real chat page runs a real episode — the tiny model (or a given GGUF) through llama.cpp on
the episode thread, streaming its tokens into the conversation — on a fake screen and a
recording actuator, in autonomous mode. A ``QTimer`` at 5 ms on the UI thread records the
gap between its ticks; the longest gap beyond the interval is the longest stall a person
would feel. The one design choice a reader must know: the episode is written to a throwaway
store (a temporary folder), never to the person's history; only the model comes from (or is
built into) their models folder. ``BenchParts`` is this bench's own parts factory: a picture of
a desktop instead of the screen, and an actuator that only records, so nothing is clicked.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TICK_MS = 5
GOAL_MS = 50.0


class BenchParts:
    """Parts for the bench's episodes (``app.gui.chat.worker.PartsFactory``): the given
    policy, a desktop-like picture as the screen, a recording actuator, the step budget."""

    def __init__(self, policy: Any, max_steps: int) -> None:
        self.policy, self.max_steps = policy, max_steps

    def __call__(self, request: Any, stop: Any) -> Any:
        from agent.actuator import RecordingActuator
        from agent.episode import EpisodeMeta
        from agent.safety import SafetyConfig
        from agent.screen import CaptureMasks, FakeScreen
        from app.gui.chat.worker import EpisodeSetup
        from models.frames import Monitor

        screen = FakeScreen([_desktop_picture()], Monitor(0, 0, 1280, 720),
                            CaptureMasks(regions=request.own_rects))
        return EpisodeSetup(screen=screen, actuator=RecordingActuator(stop_token=stop),
                            policy=self.policy, meta=EpisodeMeta(actor_model="bench ui"),
                            safety=SafetyConfig(max_steps=self.max_steps))


def _desktop_picture() -> Any:
    """A screen-like picture: a title bar and a few flat windows."""
    import numpy as np

    image = np.full((720, 1280, 3), 236, np.uint8)
    image[:50] = (60, 64, 72)
    for n, (x, y) in enumerate(((80, 120), (420, 200), (760, 340), (300, 480))):
        image[y:y + 140, x:x + 220] = (70 + 40 * n, 150 - 20 * n, 200 - 30 * n)
    return image


@dataclass(frozen=True)
class UiBenchReport:
    longest_stall_ms: float
    p99_gap_ms: float
    ticks: int
    tokens: int
    steps: int
    seconds: float
    status: str
    model: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "goal_ms": GOAL_MS, "tick_ms": TICK_MS}


def run_ui_bench(models_dir: Path, config: Any, model: Path | None = None,
                 mmproj: Path | None = None, steps: int = 3, tokens: int = 48,
                 family: str = "qwen25vl") -> UiBenchReport:
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from agent.paths import Paths
    from agent.policy import ModelPolicy
    from app.config import DeskhandConfig
    from app.gui.chat.page import ChatOptions, ChatPage
    from app.gui.context import AppContext
    from app.gui.worker import DbWorker
    from models.families.base import get_family
    from models.runtime import LlamaRuntime, RuntimeConfig

    if model is None or mmproj is None:
        from models.tiny import build_tiny

        tiny = build_tiny(models_dir / "tiny")
        model, mmproj = tiny.gguf_path, tiny.mmproj_path
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(["deskhand"])
    runtime_config = getattr(config, "runtime", None) or RuntimeConfig()
    runtime = LlamaRuntime(model, mmproj, runtime_config)
    try:
        with tempfile.TemporaryDirectory(prefix="deskhand-bench-ui-") as folder:
            paths = Paths.resolve(Path(folder)).ensure()
            config = DeskhandConfig()
            ctx = AppContext(paths, config, DbWorker(paths, config.store))
            policy = ModelPolicy(runtime, get_family(family), max_new_tokens=tokens)
            parts = BenchParts(policy, steps)
            page = ChatPage(ctx, parts, ChatOptions(move_aside=False, show_panel=False,
                                                    target_marker_s=0))
            page.resize(1100, 700)
            page.show()
            page.approval.setCurrentIndex(page.approval.findData("never"))
            counted: list[int] = []
            page.worker.token.connect(lambda _piece: counted.append(1))
            gaps: list[float] = []
            clock = QElapsedTimer()
            timer = QTimer()
            timer.setInterval(TICK_MS)

            def tick() -> None:
                gaps.append(clock.nsecsElapsed() / 1e6)
                clock.restart()

            timer.timeout.connect(tick)
            result: list[str] = []
            page.worker.finished.connect(lambda r: result.append(r.status))
            page.worker.failed.connect(lambda message: result.append(f"failed: {message}"))
            started = time.perf_counter()
            clock.start()
            timer.start()
            page.start_task("open the settings and turn on dark mode")
            while not result:
                app.processEvents()
                time.sleep(0.001)
            timer.stop()
            seconds = time.perf_counter() - started
            shown = len(page.block.cards) if page.block is not None else 0
            page.shutdown()
            page.close()
            ctx.db.close()
    finally:
        runtime.close()
    stalls = sorted(max(0.0, gap - TICK_MS) for gap in gaps[1:]) or [0.0]
    p99 = stalls[min(len(stalls) - 1, int(len(stalls) * 0.99))]
    return UiBenchReport(stalls[-1], p99, len(gaps), len(counted), shown, seconds, result[0],
                         model.name)
