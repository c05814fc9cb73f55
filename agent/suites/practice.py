"""The practice desktop as a task suite: each task is ``deskhand practice`` in its own window.

``reset(seed)`` starts the practice app (a separate X client, the same program a person opens)
on the suite's display with an exercise of one of the suite's kinds, waits until its window is
placed, and returns the exercise's sentence. The verdict, the oracle and ``accepts`` all read
the app's state file (``agent.practice.channel``): the exercise's own verifier, solver and
target boxes, in screen pixels.

The design choice a reader must know: ``accepts`` judges a proposed action against the *next*
step of the solver's plan from the live geometry — a click must land inside that step's
target box, anything else must equal the plan's action — which is exact for one-step kinds
(button, swatch, dialog, scroll list item in view) and the first step of the others.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from agent.practice.channel import geometry_of, read_state, spec_of, wait_for_state
from agent.practice.solve import solve, targets
from agent.practice.spec import KINDS, ExerciseError
from agent.practice.verify import failed_for_good
from agent.suites.base import SuiteVerdict
from models.actions import Action, Click, Wait


class SuiteError(RuntimeError):
    """The practice app did not start or stopped answering."""


class PracticeSuite:
    """Exercises of ``kinds`` (chosen by seed) on ``display``."""

    def __init__(self, kinds: tuple[str, ...] = ("swatch",), *, display: str | None = None,
                 home: Path | None = None, folder: Path | None = None,
                 start_timeout: float = 60.0) -> None:
        unknown = [k for k in kinds if k not in KINDS]
        if not kinds or unknown:
            raise ExerciseError(f"unknown exercise kinds {unknown}; known: {', '.join(KINDS)}")
        self.kinds = tuple(kinds)
        self.name = "practice"
        self.display = display or os.environ.get("DISPLAY", "")
        self.home = home
        self._tmp = tempfile.TemporaryDirectory(prefix="deskhand-suite-")
        self.folder = Path(folder) if folder is not None else Path(self._tmp.name)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._state_file: Path | None = None
        self._seen = 0
        self.seed: int | None = None

    def kind_of(self, seed: int) -> str:
        return self.kinds[seed % len(self.kinds)]

    # -- the suite ----------------------------------------------------------------------
    def reset(self, seed: int) -> str:
        self.close()
        kind = self.kind_of(seed)
        self.seed = seed
        self._state_file = self.folder / f"{kind}-{seed}.json"
        self._state_file.unlink(missing_ok=True)
        env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=self.display)
        home = ["--home", str(self.home)] if self.home is not None else []
        log = (self.folder / f"{kind}-{seed}.log").open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *home, "practice", "--exercise", kind,
             "--seed", str(seed), "--state-file", str(self._state_file)],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        try:
            document = wait_for_state(self._state_file, lambda d: bool(d.get("settled")),
                                      timeout=self.start_timeout)
        except TimeoutError as exc:
            self.close()
            raise SuiteError(f"the practice app did not show {kind} #{seed}: {exc}") from None
        self._seen = int(document["seq"])
        return str(spec_of(document).task)

    def document(self) -> dict[str, Any]:
        if self._state_file is None:
            raise SuiteError("no exercise is open: call reset(seed) first")
        if self._proc is not None and self._proc.poll() is not None:
            raise SuiteError(f"the practice app exited with {self._proc.returncode}")
        document = read_state(self._state_file)
        if document is None:
            raise SuiteError("the practice app wrote no state")
        return document

    def verdict(self) -> SuiteVerdict:
        """Solved, or failed for good (a wrong button clicked), or still open."""
        document = self.document()
        solved = bool(document["solved"])
        over = solved or failed_for_good(spec_of(document), document["state"])
        return SuiteVerdict(over, solved, 1.0 if solved else 0.0, str(document["details"]))

    def oracle(self) -> list[Action]:
        document = self.document()
        return solve(spec_of(document), geometry_of(document))

    def accepts(self, action: Action) -> bool:
        plan = [a for a in self.oracle() if not isinstance(a, Wait)]
        if not plan:
            return False
        want = plan[0]
        if isinstance(want, Click):
            if not isinstance(action, Click) or action.button != want.button:
                return False
            document = self.document()
            boxes = targets(spec_of(document), geometry_of(document))
            return any(box.contains(action.x, action.y) for _name, box in boxes[:1])
        return action == want

    def close(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> PracticeSuite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        self._tmp.cleanup()
