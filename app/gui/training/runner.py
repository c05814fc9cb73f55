"""The trainer's own process, started from the app: ``deskhand learn --now`` through QProcess.

The trainer (``app/commands/learn.py``) logs one line per GRPO step,
``... deskhand.learn: actor step 3/40: {"loss": ..., "reward": ..., "kl": ...}``, and one
summary line per role (``actor: run 7, 40 steps, v3 promoted (...)``). ``TrainerProcess``
turns them into signals; the curves themselves come from the store's ``training_runs`` rows.
Cancel sends SIGTERM (``QProcess.terminate``): the trainer checkpoints after its current step
and exits, and the next run resumes. QProcess delivers output on the UI thread without
blocking it, so no thread of our own is needed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from agent.paths import Paths

STEP_LINE = re.compile(r"\b(?P<role>actor|reward) step (?P<step>\d+)/(?P<total>\d+): "
                       r"(?P<metrics>\{.*\})\s*$")


def parse_step_line(line: str) -> tuple[str, int, int, dict[str, float]] | None:
    """``(role, step, total, metrics)`` from one trainer log line, else None.

    >>> parse_step_line('2026 deskhand.learn: actor step 3/40: {"reward": 0.5, "kl": 0.01}')
    ('actor', 3, 40, {'reward': 0.5, 'kl': 0.01})
    >>> parse_step_line("actor: run 7, 40 steps, v3 promoted (better)") is None
    True
    """
    match = STEP_LINE.search(line)
    if match is None:
        return None
    try:
        metrics = json.loads(match["metrics"])
    except ValueError:
        return None
    if not isinstance(metrics, dict):
        return None
    values = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
    return match["role"], int(match["step"]), int(match["total"]), values


def home_of(paths: Paths) -> Path | None:
    """The ``--home`` that gives ``paths`` (None: the platform folders, no option needed)."""
    root = paths.config_dir.parent
    if paths.config_dir.name == "config" and paths.data_dir == root / "data":
        return root
    return None


def package_root() -> Path:
    """The folder holding the ``app`` package: ``-m app.cli`` works from there, whether the
    project is installed or run from a checkout."""
    import app

    return Path(app.__file__).resolve().parents[1]


def trainer_command(paths: Paths, overrides: list[str], extra: list[str] | None = None
                    ) -> list[str]:
    """``python -m app.cli [--home H] [--set ...] learn --now [extra]``."""
    argv = [sys.executable, "-m", "app.cli"]
    home = home_of(paths)
    if home is not None:
        argv += ["--home", str(home)]
    for item in overrides:
        argv += ["--set", item]
    return [*argv, "learn", "--now", *(extra or [])]


class TrainerProcess(QObject):
    """One trainer process at a time. ``start(argv)``, ``cancel()``, signals for the page."""

    step = Signal(str, int, int, dict)  # role, step, total, metrics
    line = Signal(str)  # every other output line, for the log view
    finished = Signal(int, bool)  # exit code, whether the user cancelled it

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: QProcess | None = None
        self._buffer = ""
        self._cancelled = False

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self, argv: list[str], cwd: Path | None = None,
              env: dict[str, str] | None = None) -> None:
        if self._process is not None:
            raise RuntimeError("a training run is already going")
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")
        for key, value in (env or {}).items():
            environment.insert(key, value)
        process.setProcessEnvironment(environment)
        if cwd is not None:
            process.setWorkingDirectory(str(cwd))
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._done)
        process.errorOccurred.connect(self._error)
        self._process, self._buffer, self._cancelled = process, "", False
        process.start(argv[0], argv[1:])

    def cancel(self) -> None:
        """SIGTERM: the trainer checkpoints after the current step and exits."""
        if self._process is not None:
            self._cancelled = True
            self._process.terminate()

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.waitForFinished(5000)

    def _read(self) -> None:
        if self._process is None:
            return
        self._buffer += bytes(self._process.readAllStandardOutput().data()).decode(
            "utf-8", "replace")
        *lines, self._buffer = self._buffer.split("\n")
        for raw in lines:
            self._emit(raw.rstrip("\r"))

    def _emit(self, text: str) -> None:
        if not text.strip():
            return
        parsed = parse_step_line(text)
        if parsed is not None:
            self.step.emit(*parsed)
        else:
            self.line.emit(text)

    def _done(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._read()
        if self._buffer:
            self._emit(self._buffer)
            self._buffer = ""
        process, self._process = self._process, None
        if process is not None:
            process.deleteLater()
        self.finished.emit(int(code), self._cancelled)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._process is not None:
            self.line.emit(f"the trainer could not start: {self._process.errorString()}")
            process, self._process = self._process, None
            process.deleteLater()
            self.finished.emit(-1, False)


__all__ = ["TrainerProcess", "package_root", "home_of", "parse_step_line", "trainer_command"]
