"""``deskhand doctor``: what this machine offers the agent, as a list of plain checks.

Each check is cheap, never raises, and says what to do when it fails. The CLI prints them;
the app can show the same list.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.paths import Paths

MIN_FREE_DISK = 10 * 1024**3  # a 7B model in Q4 plus its training copy needs about this


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""


def run_checks(paths: Paths) -> list[Check]:
    checks: list[Callable[[Paths], Check]] = [
        _python, _display, _x_extensions, _gpu, _llama_cpp, _disk, _data_dir, _database,
        _models,
    ]
    results = []
    for check in checks:
        try:
            results.append(check(paths))
        except Exception as exc:  # a doctor must not crash on the ailment it reports
            results.append(Check(check.__name__.strip("_"), False, f"check failed: {exc}"))
    return results


def _python(paths: Paths) -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("python", sys.version_info >= (3, 11), f"{version} at {sys.executable}")


def _display(paths: Paths) -> Check:
    if sys.platform != "linux":
        return Check("display", True, f"{sys.platform}: the native desktop")
    name = os.environ.get("DISPLAY")
    if os.environ.get("WAYLAND_DISPLAY") and not name:
        return Check("display", False, "Wayland without XWayland: input can't be synthesised",
                     "log in to an X11 session")
    if not name:
        return Check("display", False, "DISPLAY is not set", "run inside an X session")
    return Check("display", True, f"X display {name}")


def _x_extensions(paths: Paths) -> Check:
    if sys.platform != "linux" or not os.environ.get("DISPLAY"):
        return Check("xtest/record", sys.platform != "linux", "not applicable")
    if shutil.which("xdpyinfo") is None:
        return Check("xtest/record", False, "xdpyinfo not found", "apt-get install x11-utils")
    out = subprocess.run(["xdpyinfo", "-queryExtensions"], capture_output=True, text=True,
                         timeout=10).stdout
    have = {ext: ext in out for ext in ("XTEST", "RECORD")}
    missing = [ext for ext, ok in have.items() if not ok]
    return Check("xtest/record", not missing,
                 "XTEST and RECORD present" if not missing else f"missing: {', '.join(missing)}",
                 "" if not missing else "the agent needs XTEST to act and RECORD to listen")


def _gpu(paths: Paths) -> Check:
    smi = shutil.which("nvidia-smi")
    if smi:
        out = subprocess.run([smi, "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        if out:
            return Check("gpu", True, out.replace("\n", "; "))
    return Check("gpu", True, "none found: acting and training run on the CPU (slow)",
                 "a CUDA GPU makes nightly training practical")


def _llama_cpp(paths: Paths) -> Check:
    if importlib.util.find_spec("llama_cpp") is None:
        return Check("llama.cpp", False, "llama-cpp-python is not installed",
                     "run scripts/setup.sh")
    from importlib.metadata import version

    return Check("llama.cpp", True, f"llama-cpp-python {version('llama-cpp-python')}")


def _disk(paths: Paths) -> Check:
    folder = paths.data_dir
    while not folder.exists():
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    return Check("disk", free >= MIN_FREE_DISK, f"{free / 1024**3:.1f} GiB free at {folder}",
                 "" if free >= MIN_FREE_DISK else "models and screenshots need ~10 GiB")


def _data_dir(paths: Paths) -> Check:
    exists = paths.data_dir.exists()
    writable = exists and os.access(paths.data_dir, os.W_OK)
    state = "writable" if writable else "not created yet" if not exists else "read-only"
    detail = f"{paths.data_dir} ({state})"
    return Check("data dir", writable or not exists, detail)


def _database(paths: Paths) -> Check:
    from agent.store.engine import head_revision

    head = head_revision()
    if not paths.db_path.exists():
        return Check("database", True, f"{paths.db_path} (created on first start, at {head})")
    with sqlite3.connect(f"file:{paths.db_path}?mode=ro", uri=True) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            row = None
    current = row[0] if row else None
    if current == head:
        return Check("database", True, f"{paths.db_path} at revision {head} (current)")
    return Check("database", current is not None,
                 f"{paths.db_path} at revision {current or 'none'}, program expects {head}",
                 "starting the app upgrades it (after a backup)")


def _models(paths: Paths) -> Check:
    from models.hub.catalogue import Catalogue

    catalogue = Catalogue.load(paths.models_dir)
    if not catalogue.models:
        return Check("models", False, "no model installed",
                     "deskhand models download NAME, models add PATH, or models add-tiny")
    lines = []
    missing = []
    for name, model in sorted(catalogue.models.items()):
        roles = ",".join(catalogue.roles_of(name))
        lines.append(f"{name} ({model.family}, {model.size / 1024**3:.2f} GiB"
                     f"{', ' + roles if roles else ''})")
        missing += [str(p) for p in (model.gguf, model.mmproj) if not Path(p).exists()]
    if missing:
        return Check("models", False, "; ".join(lines) + f"; missing files: {', '.join(missing)}",
                     "deskhand models remove NAME, then add it again")
    return Check("models", True, "; ".join(lines))
