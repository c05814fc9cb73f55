"""Whether the nightly job may train now: idle user, no episode running, AC power, new data.

``deskhand learn --nightly`` calls :func:`should_run` and exits quietly when it says no; the
answer lists every check with its detail, and a skip is logged with the failed ones.

Policies where a fact cannot be known (documented in ``learner.config.ScheduleConfig``):
idle time unknown (Wayland, no display, an OS without a probe) → ``when_idle_unknown``
("run" by default: the timer only fires in the night window); power unknown (a desktop has no
battery, so nothing to read) → treated as mains power.

The design choice a reader must know: every fact comes from a small probe function passed in
(idle seconds, on-AC, episode running, judgment count), with real probes as defaults, so each
condition is tested with fakes and the real probes are tested on their own.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from agent.locks import episode_lock
from agent.paths import Paths
from learner.config import LearnerConfig, ScheduleConfig

if TYPE_CHECKING:
    from agent.store.repo import Store

log = logging.getLogger(__name__)

IdleProbe = Callable[[], float | None]  # seconds since the last user input, None: unknown
PowerProbe = Callable[[], bool | None]  # True: on AC, False: on battery, None: unknown
COUNTED_KINDS = ("approve", "reject", "correct", "rate", "negative")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class RunDecision:
    run: bool
    checks: tuple[Check, ...]

    @property
    def reasons(self) -> list[str]:
        """The details of the checks that failed (empty when it may run)."""
        return [c.detail for c in self.checks if not c.ok]


# -- idle time ----------------------------------------------------------------------------

def x11_idle_seconds(display: str | None = None) -> float | None:
    """Idle time from the X server's MIT-SCREEN-SAVER extension (python-xlib); None if the
    display or the extension is not there."""
    name = display or os.environ.get("DISPLAY")
    if not name:
        return None
    try:
        from Xlib import display as xdisplay
        from Xlib.error import DisplayError
        from Xlib.ext import screensaver  # noqa: F401 - registers the extension's methods
    except ImportError:
        return None
    local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", name)
    if local and not Path(f"/tmp/.X11-unix/X{local.group(1)}").exists():
        return None  # python-xlib would leak a socket on the failed connection
    try:
        conn = xdisplay.Display(name)
    except (DisplayError, OSError):
        return None
    try:
        if not conn.has_extension("MIT-SCREEN-SAVER"):
            return None
        info = conn.screen().root.screensaver_query_info()
        return float(info.idle) / 1000.0
    finally:
        conn.close()


def xprintidle_seconds(runner: Callable[[list[str]], str] | None = None) -> float | None:
    """Idle time from the ``xprintidle`` command (milliseconds), when it is installed."""
    if runner is None:
        if shutil.which("xprintidle") is None:
            return None
        runner = _output
    try:
        return int(runner(["xprintidle"]).strip()) / 1000.0
    except (ValueError, OSError, subprocess.SubprocessError):
        return None


def macos_idle_seconds(ioreg_output: str) -> float | None:
    """Idle time from ``ioreg -c IOHIDSystem`` output (``HIDIdleTime`` in nanoseconds).

    >>> macos_idle_seconds('    |   "HIDIdleTime" = 1500000000')
    1.5
    """
    match = re.search(r'"HIDIdleTime"\s*=\s*(\d+)', ioreg_output)
    return int(match.group(1)) / 1e9 if match else None


def _output(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=10,
                          check=True).stdout


def windows_idle_seconds() -> float | None:  # pragma: no cover - Windows only
    import ctypes

    class LastInput(ctypes.Structure):
        _fields_ = [("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint)]

    info = LastInput()
    info.cbSize = ctypes.sizeof(info)
    windll = ctypes.windll  # type: ignore[attr-defined]
    if not windll.user32.GetLastInputInfo(ctypes.byref(info)):
        return None
    return float((windll.kernel32.GetTickCount() - info.dwTime) & 0xFFFFFFFF) / 1000.0


def default_idle_probe() -> float | None:
    """This machine's idle time by the best means it has; None when it cannot be known."""
    if sys.platform == "win32":  # pragma: no cover
        return windows_idle_seconds()
    if sys.platform == "darwin":  # pragma: no cover
        try:
            return macos_idle_seconds(_output(["ioreg", "-c", "IOHIDSystem"]))
        except (OSError, subprocess.SubprocessError):
            return None
    if os.environ.get("WAYLAND_DISPLAY"):
        return None  # X11's idle time would only count XWayland clients' input
    idle = x11_idle_seconds()
    return idle if idle is not None else xprintidle_seconds()


# -- power -------------------------------------------------------------------------------

def linux_on_ac(root: Path = Path("/sys/class/power_supply")) -> bool | None:
    """On mains power? From ``/sys/class/power_supply``: a ``Mains`` supply's ``online``, else
    a battery's ``status``; None when there is no supply to read (a desktop)."""
    mains: list[bool] = []
    discharging: list[bool] = []
    if not root.is_dir():
        return None
    for supply in sorted(root.iterdir()):
        kind = _read(supply / "type")
        if kind == "Mains":
            mains.append(_read(supply / "online") == "1")
        elif kind == "Battery":
            discharging.append(_read(supply / "status") == "Discharging")
    if mains:
        return any(mains)
    if discharging:
        return not any(discharging)
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def macos_on_ac(pmset_output: str) -> bool | None:
    """From ``pmset -g batt``: ``Now drawing from 'AC Power'`` / ``'Battery Power'``.

    >>> macos_on_ac("Now drawing from 'Battery Power'"), macos_on_ac("")
    (False, None)
    """
    if "'AC Power'" in pmset_output:
        return True
    if "'Battery Power'" in pmset_output:
        return False
    return None


def default_power_probe() -> bool | None:
    if sys.platform == "darwin":  # pragma: no cover
        try:
            return macos_on_ac(_output(["pmset", "-g", "batt"]))
        except (OSError, subprocess.SubprocessError):
            return None
    if sys.platform == "win32":  # pragma: no cover
        return None  # the Task Scheduler task itself refuses to start on batteries
    return linux_on_ac()


# -- new judgments -----------------------------------------------------------------------

def new_judgments(store: Store, role: str) -> tuple[int, datetime | None]:
    """(judgments newer than the role's last finished training run, that run's end)."""
    from sqlalchemy import func, select

    from agent.store.schema import Judgment, TrainingRun

    with store.session() as s:
        last = s.scalar(select(func.max(TrainingRun.ended_at)).where(
            TrainingRun.role == role, TrainingRun.status == "done"))
        query = select(func.count()).select_from(Judgment).where(
            Judgment.kind.in_(COUNTED_KINDS))
        if last is not None:
            query = query.where(Judgment.created_at > last)
        return int(s.scalar(query) or 0), last


# -- the decision ------------------------------------------------------------------------

def should_run(paths: Paths, store: Store, config: LearnerConfig | ScheduleConfig, *,
               role: str, idle: IdleProbe = default_idle_probe,
               power: PowerProbe = default_power_probe,
               episode_running: Callable[[], bool] | None = None) -> RunDecision:
    """Every condition of a nightly run for ``role``, checked (see the module docstring)."""
    cfg = config.schedule if isinstance(config, LearnerConfig) else config
    checks = [_idle_check(idle(), cfg)]
    running = (episode_running or episode_lock(paths.locks_dir).is_held)()
    checks.append(Check("episode", not running, "an episode is running" if running
                        else "no episode is running"))
    on_ac = power()
    if on_ac is None:
        checks.append(Check("power", True, "power source unknown (treated as mains)"))
    elif not cfg.require_ac_power:
        checks.append(Check("power", True, f"on {'AC' if on_ac else 'battery'} (not required)"))
    else:
        checks.append(Check("power", on_ac, "on AC power" if on_ac else "on battery power"))
    count, since = new_judgments(store, role)
    when = f"since the last {role} run ({since:%Y-%m-%d %H:%M})" if since else "in total"
    checks.append(Check("judgments", count >= cfg.min_new_judgments,
                        f"{count} new judgments {when}, need {cfg.min_new_judgments}"))
    decision = RunDecision(all(c.ok for c in checks), tuple(checks))
    if decision.run:
        log.info("nightly %s run: conditions met (%s)", role,
                 "; ".join(c.detail for c in checks))
    else:
        log.info("nightly %s run skipped: %s", role, "; ".join(decision.reasons))
    return decision


def _idle_check(seconds: float | None, cfg: ScheduleConfig) -> Check:
    need = cfg.idle_minutes * 60
    if seconds is None:
        ok = cfg.when_idle_unknown == "run"
        return Check("idle", ok, f"idle time unknown (policy: {cfg.when_idle_unknown})")
    ok = seconds >= need
    return Check("idle", ok, f"user idle for {seconds / 60:.1f} min, need "
                             f"{cfg.idle_minutes:g} min")
