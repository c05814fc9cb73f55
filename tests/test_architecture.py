"""House rules that keep the layers apart: imports go app → learner → agent → models,
nothing below ``app`` imports Qt, and importing a module does no work (no files written,
no Qt, no X connection)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["models", "agent", "learner", "app"]  # each may import only those before it
QT_MODULES = {"PySide6", "shiboken6", "PyQt5", "PyQt6", "pytestqt"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", LAYERS)
def test_imports_go_one_way(package: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(package) + 1])
    forbidden = set(LAYERS) - allowed
    if package != "app":
        forbidden |= QT_MODULES
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(package)
        for name in _imported_roots(path) & forbidden
    }
    assert not offenders, sorted(offenders)


def test_the_rule_checker_sees_violations(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom app.cli import main\nimport PySide6.QtCore\n")
    assert {"app", "PySide6"} <= _imported_roots(bad)


def test_importing_the_core_does_no_work(tmp_path: Path) -> None:
    """Import every module below ``app`` in a clean process: no Qt, no files, no display."""
    names = []
    for package in LAYERS[:-1]:
        for path in _modules(package):
            rel = path.relative_to(ROOT).with_suffix("")
            if "migrations" in rel.parts:
                continue
            names.append(".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts))
    home = tmp_path / "home"
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{sorted(QT_MODULES | {'pyautogui', 'pynput', 'mss'})!r})))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["DESKHAND_HOME"] = str(home)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert not home.exists(), "importing a module created the data folder"
