"""The generated timer files: systemd units (checked by systemd-analyze), launchd, Windows."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from learner.config import ScheduleConfig
from learner.schedule.units import (
    Job,
    launchd_plist,
    read_marker,
    systemd_units,
    task_xml,
    window_times,
)

JOB = Job((sys.executable, "-m", "app.cli", "--home", "/data/my 100% home", "learn",
           "--nightly"), {"DESKHAND_HOME": "/data/my 100% home", "DISPLAY": ":1"},
          Path("/data/logs/nightly.log"))
CONFIG = ScheduleConfig(at="23:45", window_hours=1, retry_minutes=30)


def test_window_wraps_past_midnight() -> None:
    assert window_times(CONFIG) == [(23, 45), (0, 15)]
    assert len(window_times(ScheduleConfig(window_hours=3, retry_minutes=30))) == 6


def test_systemd_units_text() -> None:
    units = systemd_units(JOB, CONFIG)
    service, timer = units["deskhand-learn.service"], units["deskhand-learn.timer"]
    assert (f'ExecStart={sys.executable} -m app.cli --home "/data/my 100%% home" learn '
            "--nightly") in service
    assert 'Environment="DESKHAND_HOME=/data/my 100%% home"' in service
    assert "Environment=DISPLAY=:1" in service and "Type=oneshot" in service
    assert "OnCalendar=*-*-* 23:45:00\nOnCalendar=*-*-* 00:15:00\n" in timer
    assert "Unit=deskhand-learn.service" in timer and "WantedBy=timers.target" in timer
    assert read_marker(timer) == {"at": "23:45", "window_hours": "1", "retry_minutes": "30"}
    assert "$" not in service + timer  # every placeholder filled


def _verify(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", "verify", *map(str, sorted(folder.iterdir()))],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed; the unit text is tested above")
def test_systemd_analyze_accepts_the_units_and_catches_a_broken_one(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    for folder, job in ((good, JOB), (bad, Job(("/nonexistent/deskhand",), {}, JOB.log_file))):
        folder.mkdir()
        for name, text in systemd_units(job, CONFIG).items():
            (folder / name).write_text(text, encoding="utf-8")
    result = _verify(good)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stderr
    broken = _verify(bad)
    assert broken.returncode != 0 and "/nonexistent/deskhand" in broken.stderr


def test_launchd_plist_is_a_valid_property_list() -> None:
    plist = plistlib.loads(launchd_plist(JOB, CONFIG).encode("utf-8"))
    assert plist["Label"] == "org.deskhand.learn"
    assert plist["ProgramArguments"] == list(JOB.command)
    assert plist["EnvironmentVariables"] == dict(JOB.environment)
    assert plist["StartCalendarInterval"] == [{"Hour": 23, "Minute": 45},
                                              {"Hour": 0, "Minute": 15}]
    assert plist["StandardOutPath"] == "/data/logs/nightly.log"


def test_task_scheduler_xml(tmp_path: Path) -> None:
    path = tmp_path / "task.xml"
    path.write_text(task_xml(JOB, CONFIG), encoding="utf-16")
    root = ET.parse(path).getroot()  # the declared UTF-16 encoding must match the file
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    trigger = root.find("t:Triggers/t:CalendarTrigger", ns)
    assert trigger is not None
    assert trigger.findtext("t:StartBoundary", namespaces=ns) == "2026-01-01T23:45:00"
    assert trigger.findtext("t:Repetition/t:Interval", namespaces=ns) == "PT30M"
    assert trigger.findtext("t:Repetition/t:Duration", namespaces=ns) == "PT1H"
    assert root.findtext("t:Settings/t:DisallowStartIfOnBatteries", namespaces=ns) == "true"
    assert root.findtext("t:Actions/t:Exec/t:Command", namespaces=ns) == sys.executable
    assert root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=ns) == \
        '-m app.cli --home "/data/my 100% home" learn --nightly'
    assert root.findtext("t:RegistrationInfo/t:URI", namespaces=ns) == "\\Deskhand\\Learn"
