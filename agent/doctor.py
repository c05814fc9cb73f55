"""``deskhand doctor``: what this machine offers the agent, as a list of plain checks.

Each check is cheap, never raises, and says what to do when it fails. The CLI prints them;
the app can show the same list. The GPU, llama.cpp and torch checks say what
``models.device`` finds: each GPU with its VRAM, whether llama.cpp can offload to it, and the
device the trainer uses. The database check says what ``agent.store.health`` finds
(damaged, cannot be upgraded, written by a newer Deskhand) with the backups and the command
that restores one; the monitor check lists every monitor with its geometry and scale factor.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
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
        _python, _display, _monitors, _x_extensions, _gpu, _llama_cpp, _torch, _disk, _data_dir,
        _database, _models,
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
    from models.device import detect_nvidia, gpu_line

    found = detect_nvidia()
    return Check("gpu", True, gpu_line(found),
                 "" if found.gpus else "a CUDA GPU makes nightly training practical")


def _llama_cpp(paths: Paths) -> Check:
    if importlib.util.find_spec("llama_cpp") is None:
        return Check("llama.cpp", False, "llama-cpp-python is not installed",
                     "run scripts/setup.sh")
    from importlib.metadata import version

    from llama_cpp import llama_cpp as ll

    from models.device import Detected, detect_nvidia, llama_backend_line

    offload = bool(ll.llama_supports_gpu_offload())
    detail = (f"llama-cpp-python {version('llama-cpp-python')}, "
              f"{llama_backend_line(Detected(llama_offload=offload))}")
    hint = ("" if offload or not detect_nvidia().gpus else
            "this machine has an NVIDIA GPU: run scripts/setup.sh to rebuild llama.cpp with CUDA")
    return Check("llama.cpp", True, detail, hint)


def _torch(paths: Paths) -> Check:
    if importlib.util.find_spec("torch") is None:
        return Check("torch", False, "torch is not installed", "run scripts/setup.sh")
    import torch

    from models.device import Detected, detect_nvidia, torch_device_line

    cuda = torch.cuda.is_available()
    found = Detected(torch_build=torch.__version__,
                     torch_cuda=torch.cuda.get_device_name(0) if cuda else None)
    hint = ("" if cuda or not detect_nvidia().gpus else
            "this machine has an NVIDIA GPU: run scripts/setup.sh to install a CUDA torch")
    return Check("torch", True, torch_device_line(found), hint)


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
    from agent.store.health import REPAIR_COMMAND, diagnose, list_backups

    found = diagnose(paths)
    backups = list_backups(paths) if found.state != "missing" else []
    good = [b for b in backups if b.good]
    listed = "; ".join(b.describe() for b in backups[:3])
    more = f" (+{len(backups) - 3} older)" if len(backups) > 3 else ""
    where = f"; backups in {paths.backups_dir}: {listed}{more}" if backups else ""
    if found.state in ("missing", "ok"):
        return Check("database", True, found.detail + where)
    if found.state == "upgrade":
        return Check("database", True, found.detail + where,
                     "starting the app upgrades it (after a backup)")
    if found.state == "newer":
        return Check("database", False, found.detail + where, "update Deskhand to open it")
    detail = f"{paths.db_path} is damaged: {found.detail}{where or '; no backups'}"
    if good:
        hint = (f"restore the newest good backup ({good[0].path.name}) with: "
                f"{REPAIR_COMMAND}")
    else:
        hint = (f"no good backup: {REPAIR_COMMAND} moves the damaged file aside and Deskhand "
                "starts a new database")
    return Check("database", False, detail, hint)


@dataclass(frozen=True)
class MonitorInfo:
    left: int
    top: int
    width: int
    height: int
    scale: float  # physical pixels per virtual pixel, as captured


def describe_monitors(monitors: list[MonitorInfo], xft_dpi: float | None = None) -> str:
    """One line for the doctor: count, geometry (``WxH+X+Y``) and scale of each monitor.

    >>> describe_monitors([MonitorInfo(0, 0, 2560, 1440, 2.0)], xft_dpi=144)
    '1 monitor: #1 2560x1440+0+0 scale 2; desktop scale 1.5 (Xft.dpi 144)'
    """
    parts = [f"#{i} {m.width}x{m.height}{m.left:+d}{m.top:+d} scale {m.scale:g}"
             for i, m in enumerate(monitors, 1)]
    text = f"{len(monitors)} monitor{'s' if len(monitors) != 1 else ''}: " + "; ".join(parts)
    if xft_dpi:
        text += f"; desktop scale {xft_dpi / 96:g} (Xft.dpi {xft_dpi:g})"
    return text


def list_monitors() -> list[MonitorInfo]:
    """Every monitor through mss; the scale is what a capture of it gives (as ``MssScreen``)."""
    import mss

    out = []
    with mss.MSS() as grab:
        for m in grab.monitors[1:]:
            probe = {"left": m["left"], "top": m["top"], "width": 8, "height": 8}
            shot = grab.grab(probe)
            out.append(MonitorInfo(m["left"], m["top"], m["width"], m["height"],
                                   shot.size.width / probe["width"]))
    return out


def xft_dpi() -> float | None:
    """The desktop's Xft.dpi (how GTK/Qt scale on X11), or None when unset or unknown."""
    try:
        from Xlib import X, Xatom, display
    except ImportError:
        return None
    disp = display.Display()
    try:
        prop = disp.screen().root.get_full_property(Xatom.RESOURCE_MANAGER, X.AnyPropertyType)
    finally:
        disp.close()
    if prop is None:
        return None
    value = prop.value.decode("latin-1") if isinstance(prop.value, bytes) else str(prop.value)
    for line in value.splitlines():
        name, _, dpi = line.partition(":")
        if name.strip() == "Xft.dpi":
            try:
                return float(dpi.strip())
            except ValueError:
                return None
    return None


def _monitors(paths: Paths) -> Check:
    if sys.platform == "linux" and not os.environ.get("DISPLAY"):
        return Check("monitors", False, "no display to list monitors on",
                     "run inside an X session")
    monitors = list_monitors()
    if not monitors:
        return Check("monitors", False, "no monitor found", "check the display")
    dpi = xft_dpi() if sys.platform == "linux" else None
    return Check("monitors", True, describe_monitors(monitors, dpi))


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
