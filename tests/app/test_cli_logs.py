"""Library log lines (alembic's migration chatter) stay out of the terminal unless
``--verbose``; Deskhand's own messages still reach it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _learn(home: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "app.cli", "--home", str(home), *options,
                           "learn"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_a_fresh_database_is_made_without_alembic_lines(tmp_path: Path) -> None:
    quiet = _learn(tmp_path / "quiet")
    assert "alembic" not in quiet.stderr + quiet.stdout
    assert "not trained" in quiet.stderr, "the command's own words are still said"


def test_verbose_shows_the_libraries_too(tmp_path: Path) -> None:
    loud = _learn(tmp_path / "loud", "--verbose")
    assert "alembic.runtime.migration" in loud.stderr
