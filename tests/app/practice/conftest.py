"""``practice_app``: start ``deskhand practice`` as a real X client and read its state file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.actuator import Pacing, PyAutoGuiActuator
from agent.paths import Paths
from agent.practice.channel import wait_for_state
from tests.fixtures.display import XDisplay

ROOT = Path(__file__).resolve().parents[3]


class PracticeApp:
    def __init__(self, display: XDisplay, home: Path, kind: str, seed: int, folder: Path,
                 extra: list[str] | None = None) -> None:
        self.state_file = folder / f"{kind}-{seed}.json"
        env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display.name)
        self.log = (folder / f"{kind}-{seed}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "--home", str(home), "practice", "--exercise",
             kind, "--seed", str(seed), "--state-file", str(self.state_file), *(extra or [])],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.document = self.wait(lambda d: bool(d["settled"]), timeout=60)

    def wait(self, predicate: Callable[[dict[str, Any]], bool],
             timeout: float = 20) -> dict[str, Any]:
        if self.proc.poll() is not None:
            raise AssertionError(f"the practice app exited with {self.proc.returncode}")
        return wait_for_state(self.state_file, predicate, timeout=timeout)

    def newer(self, predicate: Callable[[dict[str, Any]], bool] = lambda d: True,
              timeout: float = 20) -> dict[str, Any]:
        seen = self.document["seq"]
        self.document = self.wait(lambda d: d["seq"] > seen and predicate(d), timeout)
        return self.document

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def practice_app(xdisplay: XDisplay, home: Paths, tmp_path: Path
                 ) -> Iterator[Callable[..., PracticeApp]]:
    started: list[PracticeApp] = []

    def start(kind: str, seed: int, extra: list[str] | None = None) -> PracticeApp:
        app = PracticeApp(xdisplay, home.data_dir.parent, kind, seed, tmp_path, extra)
        started.append(app)
        return app

    yield start
    for app in started:
        app.close()


@pytest.fixture
def actuator(xdisplay: XDisplay, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[PyAutoGuiActuator]:
    monkeypatch.delenv("DESKHAND_DRY_RUN", raising=False)
    real = PyAutoGuiActuator(pacing=Pacing(move_duration=0.02, between_chunks=0.0))
    yield real
    real.close()
