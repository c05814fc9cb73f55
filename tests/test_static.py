"""The house's static checks run with the suite: ruff over the tree, mypy strict on the core.

mypy's strictness for ``agent``, ``learner`` and ``models`` comes from pyproject.toml.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ["agent", "models", "learner", "app", "tests", "conftest.py"]


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format",
                             "concise", *CODE], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_mypy_strict_on_the_core() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "agent", "models", "learner"],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
