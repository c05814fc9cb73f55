"""Installing, removing and inspecting the nightly timer on this machine.

Files go to the platform's own place (``~/.config/systemd/user``, ``~/Library/LaunchAgents``,
``%LOCALAPPDATA%\\Deskhand``) unless a folder is given (``learner.schedule.unit_dir``, or
``$DESKHAND_SCHEDULE_ROOT`` for tests and packagers).

The design choice a reader must know: the timer is *activated* (``systemctl --user enable``,
``launchctl bootstrap``, ``schtasks /Create``) only when the files went to the platform's own
place and its service manager is reachable; otherwise the files are written and the result
says that nothing was activated. So a test, or a packager writing into a staging folder, can
never touch the real service manager. Every command runs through an injectable ``runner``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from learner.config import ScheduleConfig
from learner.schedule.units import (
    LAUNCHD_LABEL,
    PLIST,
    SERVICE,
    TASK_NAME,
    TASK_XML,
    TIMER,
    Job,
    read_marker,
    unit_texts,
)

ROOT_ENV = "DESKHAND_SCHEDULE_ROOT"
PASSED_ENV = ("DESKHAND_HOME", "DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY")
Runner = Callable[[Sequence[str]], tuple[int, str]]


def run_command(argv: Sequence[str]) -> tuple[int, str]:
    """Run a service-manager command; (exit status, combined output)."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return done.returncode, (done.stdout + done.stderr).strip()


def default_unit_dir(platform: str) -> Path:
    if platform == "darwin":
        return Path.home() / "Library" / "LaunchAgents"
    if platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "Deskhand"
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "systemd" / "user"


def default_job(logs_dir: Path, home: str | None = None) -> Job:
    """``deskhand [--home H] learn --nightly`` with this interpreter, and the display vars."""
    script = Path(sys.executable).parent / ("deskhand.exe" if sys.platform == "win32"
                                            else "deskhand")
    program = [str(script)] if script.is_file() else [sys.executable, "-m", "app.cli"]
    home = home or os.environ.get("DESKHAND_HOME")
    argv = [*program, *(["--home", home] if home else []), "learn", "--nightly"]
    env = {k: os.environ[k] for k in PASSED_ENV if os.environ.get(k)}
    return Job(tuple(argv), env, logs_dir / "nightly.log")


@dataclass(frozen=True)
class ScheduleStatus:
    """What is installed, and what the service manager says about it.

    ``installed`` means the files exist; only ``active`` says the timer will fire: it is
    None when no service manager was asked (files in a folder none reads, or none running).
    """

    installed: bool
    files: list[Path]
    at: str | None
    activated: bool  # whether this installer talks to the real service manager
    manager: list[str] = field(default_factory=list)  # what the service manager says
    enabled: bool | None = None  # starts with the session / at boot (None: not asked)
    active: bool | None = None  # loaded and waiting to fire (None: not asked)
    folder: Path | None = None

    def describe(self) -> str:
        """One line: installed or not, and whether the timer is active — and which.

        >>> ScheduleStatus(True, [], "02:00", True, enabled=True, active=True).describe()
        'installed: nightly at 02:00, timer enabled and active'
        >>> stopped = ScheduleStatus(True, [], "02:00", True, enabled=True, active=False)
        >>> "NOT active (enabled, not running)" in stopped.describe()
        True
        """
        if not self.installed:
            return "not installed (deskhand schedule install)"
        head = f"installed: nightly at {self.at or '?'}"
        if self.active is None:
            return (f"{head}, but the timer is NOT active: the files are in {self.folder}, "
                    "which no service manager reads here (or none is running), so nothing "
                    "will run them")
        if self.active:
            return f"{head}, timer {'enabled and ' if self.enabled else ''}active"
        enabled = {True: "enabled", False: "not enabled", None: "enabled?"}[self.enabled]
        return (f"{head}, but the timer is NOT active ({enabled}, not running): run "
                "deskhand schedule install again")


@dataclass
class Installer:
    """The timer of one platform in one folder (see the module docstring)."""

    platform: str = sys.platform
    unit_dir: Path | None = None
    runner: Runner = run_command

    @property
    def folder(self) -> Path:
        if self.unit_dir is not None:
            return self.unit_dir
        env_root = os.environ.get(ROOT_ENV)
        return Path(env_root) if env_root else default_unit_dir(self.platform)

    def _file_names(self) -> list[str]:
        return {"darwin": [PLIST], "win32": [TASK_XML]}.get(self.platform, [SERVICE, TIMER])

    def manager_available(self) -> bool:
        """Whether to activate: the platform's own folder and a reachable service manager."""
        if self.unit_dir is not None or os.environ.get(ROOT_ENV):
            return False
        if self.platform == "darwin":
            return shutil.which("launchctl") is not None
        if self.platform == "win32":
            return shutil.which("schtasks") is not None
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        return shutil.which("systemctl") is not None and runtime is not None \
            and Path(runtime, "systemd").is_dir()

    def install(self, job: Job, config: ScheduleConfig) -> tuple[list[Path], list[str]]:
        """Write the files (replacing earlier ones) and activate; (files, messages)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in unit_texts(self.platform, job, config).items():
            path = self.folder / name
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_text(text, encoding="utf-16" if name == TASK_XML else "utf-8")
            os.replace(tmp, path)
            written.append(path)
        if not self.manager_available():
            return written, [f"files written to {self.folder}; timer not activated "
                             "(not the service manager's folder, or no service manager)"]
        return written, self._run(self._activate_commands())

    def remove(self) -> tuple[list[Path], list[str]]:
        """Deactivate (when installed for real) and delete the files; (removed, messages)."""
        messages = self._run(self._deactivate_commands()) if self.manager_available() else []
        removed = []
        for name in self._file_names():
            path = self.folder / name
            if path.exists():
                path.unlink()
                removed.append(path)
        if removed and self.manager_available() and self.platform not in ("darwin", "win32"):
            messages += self._run([["systemctl", "--user", "daemon-reload"]])
        return removed, messages

    def status(self) -> ScheduleStatus:
        files = [self.folder / n for n in self._file_names() if (self.folder / n).exists()]
        at = None
        if files:
            encoding = "utf-16" if files[0].name == TASK_XML else "utf-8"
            at = read_marker(files[-1].read_text(encoding=encoding)).get("at")
        available = self.manager_available()
        if not (available and files):
            return ScheduleStatus(bool(files), files, at, available, folder=self.folder)
        answers = [self.runner(argv) for argv in self._status_commands()]
        manager = [out for _code, out in answers if out]
        enabled, active = self._read_state(answers)
        return ScheduleStatus(True, files, at, True, manager, enabled, active, self.folder)

    def _read_state(self, answers: list[tuple[int, str]]) -> tuple[bool | None, bool]:
        """(enabled, active) from the answers of :meth:`_status_commands`."""
        if self.platform == "darwin":  # launchctl print: loaded means it will fire
            loaded = answers[0][0] == 0
            return loaded, loaded
        if self.platform == "win32":
            code, out = answers[0]
            states = ("status:", "scheduled task state:")
            status = next((line.split(":", 1)[1].strip().lower() for line in out.splitlines()
                           if line.strip().lower().startswith(states)), "")
            registered = code == 0
            disabled = "disabled" in status
            return registered and not disabled, registered and not disabled
        (enabled_code, enabled_out), (active_code, active_out) = answers[0], answers[1]
        enabled = enabled_code == 0 and enabled_out.strip().startswith("enabled")
        return enabled, active_code == 0 and active_out.strip() == "active"

    def _run(self, commands: list[list[str]]) -> list[str]:
        messages = []
        for argv in commands:
            code, out = self.runner(argv)
            messages.append(f"$ {' '.join(argv)} → {code}" + (f": {out}" if out else ""))
        return messages

    def _activate_commands(self) -> list[list[str]]:
        if self.platform == "darwin":
            uid = os.getuid() if hasattr(os, "getuid") else 0
            return [["launchctl", "bootout", f"gui/{uid}/{LAUNCHD_LABEL}"],
                    ["launchctl", "bootstrap", f"gui/{uid}", str(self.folder / PLIST)]]
        if self.platform == "win32":
            return [["schtasks", "/Create", "/TN", TASK_NAME, "/XML",
                     str(self.folder / TASK_XML), "/F"]]
        return [["systemctl", "--user", "daemon-reload"],
                ["systemctl", "--user", "enable", "--now", TIMER]]

    def _deactivate_commands(self) -> list[list[str]]:
        if self.platform == "darwin":
            uid = os.getuid() if hasattr(os, "getuid") else 0
            return [["launchctl", "bootout", f"gui/{uid}/{LAUNCHD_LABEL}"]]
        if self.platform == "win32":
            return [["schtasks", "/Delete", "/TN", TASK_NAME, "/F"]]
        return [["systemctl", "--user", "disable", "--now", TIMER]]

    def _status_commands(self) -> list[list[str]]:
        if self.platform == "darwin":
            uid = os.getuid() if hasattr(os, "getuid") else 0
            return [["launchctl", "print", f"gui/{uid}/{LAUNCHD_LABEL}"]]
        if self.platform == "win32":
            return [["schtasks", "/Query", "/TN", TASK_NAME, "/V", "/FO", "LIST"]]
        return [["systemctl", "--user", "is-enabled", TIMER],
                ["systemctl", "--user", "is-active", TIMER],
                ["systemctl", "--user", "list-timers", TIMER, "--no-pager"]]
