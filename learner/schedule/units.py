"""The nightly timer's files, rendered from the templates under ``packaging/``.

One timer per platform: a systemd ``--user`` service + timer (Linux), a launchd agent plist
(macOS), a Task Scheduler XML task (Windows). Each fires at ``at`` and again every
``retry_minutes`` until ``window_hours`` have passed; the job itself decides whether to train
(``learner.schedule.conditions``), and after one finished run the "new judgments" condition
makes the later firings skip, so the window retries without training twice.

The design choice a reader must know: the text is generated here, as pure functions of the
command and the schedule, and tested as text (and with ``systemd-analyze verify`` where it
exists); installing and activating it is ``learner.schedule.install``'s business.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from xml.sax.saxutils import escape

from learner.config import ScheduleConfig, parse_hhmm

SERVICE = "deskhand-learn.service"
TIMER = "deskhand-learn.timer"
LAUNCHD_LABEL = "org.deskhand.learn"
PLIST = f"{LAUNCHD_LABEL}.plist"
TASK_NAME = "\\Deskhand\\Learn"
TASK_XML = "deskhand-learn.xml"
MARKER = "deskhand-schedule"


@dataclass(frozen=True)
class Job:
    """What the timer runs, and with which environment."""

    command: tuple[str, ...]  # argv: the program and its arguments
    environment: Mapping[str, str]
    log_file: Path


def templates_dir() -> Path:
    """``packaging/`` of this source tree (the templates ship beside the packages)."""
    return Path(__file__).resolve().parents[2] / "packaging"


def _template(rel: str) -> Template:
    return Template((templates_dir() / rel).read_text(encoding="utf-8"))


def window_times(config: ScheduleConfig) -> list[tuple[int, int]]:
    """(hour, minute) of every firing in the window, wrapping past midnight.

    >>> window_times(ScheduleConfig(at="23:30", window_hours=1, retry_minutes=20))
    [(23, 30), (23, 50), (0, 10)]
    """
    hour, minute = parse_hhmm(config.at)
    start = hour * 60 + minute
    return [((start + k) // 60 % 24, (start + k) % 60)
            for k in range(0, config.window_hours * 60, config.retry_minutes)]


def marker(config: ScheduleConfig) -> str:
    """The line every generated file carries, read back by ``schedule status``."""
    return (f"{MARKER} at={config.at} window_hours={config.window_hours} "
            f"retry_minutes={config.retry_minutes}")


def systemd_quote(arg: str) -> str:
    """One argument of ``ExecStart=`` (systemd's quoting; ``%`` and ``$`` escaped).

    >>> systemd_quote("/opt/my apps/deskhand"), systemd_quote("50%"), systemd_quote("plain")
    ('"/opt/my apps/deskhand"', '50%%', 'plain')
    """
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    escaped = escaped.replace("$", "$$")
    if escaped and not any(c in escaped for c in ' \t"\'\\;'):
        return escaped
    return f'"{escaped}"'


def systemd_units(job: Job, config: ScheduleConfig) -> dict[str, str]:
    """{file name: text} of the service and the timer."""
    env = "\n".join(f"Environment={systemd_quote(f'{k}={v}')}"
                    for k, v in sorted(job.environment.items()))
    calendar = "\n".join(f"OnCalendar=*-*-* {h:02d}:{m:02d}:00"
                         for h, m in window_times(config))
    values = {"marker": marker(config), "docs": templates_dir() / "README.md",
              "exec_start": " ".join(systemd_quote(a) for a in job.command),
              "environment": env, "log_file": str(job.log_file).replace("%", "%%"),
              "on_calendar": calendar}
    return {SERVICE: _template(f"systemd/{SERVICE}").substitute(values),
            TIMER: _template(f"systemd/{TIMER}").substitute(values)}


def launchd_plist(job: Job, config: ScheduleConfig) -> str:
    """The launchd agent's plist text."""
    args = "\n".join(f"    <string>{escape(a)}</string>" for a in job.command)
    env = "\n".join(f"    <key>{escape(k)}</key>\n    <string>{escape(v)}</string>"
                    for k, v in sorted(job.environment.items()))
    calendar = "\n".join(
        f"    <dict>\n      <key>Hour</key>\n      <integer>{h}</integer>\n"
        f"      <key>Minute</key>\n      <integer>{m}</integer>\n    </dict>"
        for h, m in window_times(config))
    return _template(f"launchd/{PLIST}").substitute(
        marker=marker(config), label=LAUNCHD_LABEL, program_arguments=args, environment=env,
        calendar=calendar, log_file=escape(str(job.log_file)))


def task_xml(job: Job, config: ScheduleConfig) -> str:
    """The Task Scheduler task's XML text (write it as UTF-16 for ``schtasks /XML``)."""
    hour, minute = parse_hhmm(config.at)
    return _template(f"windows/{TASK_XML}").substitute(
        marker=marker(config), task_name=escape(TASK_NAME),
        start_boundary=f"2026-01-01T{hour:02d}:{minute:02d}:00",
        repeat_interval=f"PT{config.retry_minutes}M",
        repeat_duration=f"PT{config.window_hours}H",
        disallow_on_batteries="true" if config.require_ac_power else "false",
        command=escape(job.command[0]),
        arguments=escape(subprocess.list2cmdline(list(job.command[1:]))))


def unit_texts(platform: str, job: Job, config: ScheduleConfig) -> dict[str, str]:
    """{file name: text} for ``platform`` (``linux``, ``darwin`` or ``win32``)."""
    if platform == "darwin":
        return {PLIST: launchd_plist(job, config)}
    if platform == "win32":
        return {TASK_XML: task_xml(job, config)}
    return systemd_units(job, config)


def read_marker(text: str) -> dict[str, str]:
    """The ``key=value`` pairs of a generated file's marker line ({} when there is none).

    >>> read_marker("# deskhand-schedule at=03:00 window_hours=3 retry_minutes=30")["at"]
    '03:00'
    """
    for line in text.splitlines():
        if MARKER in line:
            words: Sequence[str] = line.split(MARKER, 1)[1].replace("-->", "").split()
            return dict(w.split("=", 1) for w in words if "=" in w)
    return {}
