"""Installing the timer: files into a given folder, service-manager commands only for real."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from learner.config import ScheduleConfig
from learner.schedule.install import Installer, default_job
from learner.schedule.units import Job

JOB = Job(("/usr/bin/true", "learn", "--nightly"), {}, Path("/tmp/nightly.log"))


class Recorder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> tuple[int, str]:
        self.calls.append(list(argv))
        return 0, ""


@pytest.mark.parametrize(("platform", "names"), [
    ("linux", ["deskhand-learn.service", "deskhand-learn.timer"]),
    ("darwin", ["org.deskhand.learn.plist"]),
    ("win32", ["deskhand-learn.xml"])])
def test_install_into_a_given_folder_writes_files_and_activates_nothing(
        tmp_path: Path, platform: str, names: list[str]) -> None:
    runner = Recorder()
    installer = Installer(platform, tmp_path / "units", runner)
    files, messages = installer.install(JOB, ScheduleConfig(at="01:30"))
    assert sorted(p.name for p in files) == sorted(names)
    assert "not activated" in messages[0] and runner.calls == []
    status = installer.status()
    assert status.installed and status.at == "01:30" and not status.activated
    installer.install(JOB, ScheduleConfig(at="02:00"))  # replaces
    assert installer.status().at == "02:00"
    removed, _ = installer.remove()
    assert sorted(p.name for p in removed) == sorted(names)
    assert not installer.status().installed and runner.calls == []


def test_the_env_root_redirects_and_never_activates(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKHAND_SCHEDULE_ROOT", str(tmp_path))
    installer = Installer("linux", None, Recorder())
    assert installer.folder == tmp_path and not installer.manager_available()


@pytest.mark.parametrize(("platform", "first", "last"), [
    ("linux", ["systemctl", "--user", "daemon-reload"],
     ["systemctl", "--user", "enable", "--now", "deskhand-learn.timer"]),
    ("win32", ["schtasks", "/Create", "/TN", "\\Deskhand\\Learn", "/XML"], None)])
def test_activation_commands_when_the_service_manager_is_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str, first: list[str],
        last: list[str] | None) -> None:
    runner = Recorder()
    installer = Installer(platform, tmp_path, runner)
    monkeypatch.setattr(Installer, "manager_available", lambda self: True)
    installer.install(JOB, ScheduleConfig())
    assert runner.calls[0][:len(first)] == first
    if last is not None:
        assert runner.calls[-1] == last
    runner.calls.clear()
    installer.remove()
    assert runner.calls and runner.calls[0][0] in ("systemctl", "schtasks")


def test_default_job_passes_home_and_display(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":7")
    job = default_job(tmp_path, home="/h")
    assert job.command[-4:] == ("--home", "/h", "learn", "--nightly")
    assert job.environment["DISPLAY"] == ":7" and job.log_file == tmp_path / "nightly.log"


class Manager:
    """A service manager that answers status questions as told."""

    def __init__(self, answers: dict[str, tuple[int, str]]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> tuple[int, str]:
        self.calls.append(list(argv))
        return next((answer for word, answer in self.answers.items() if word in argv), (0, ""))


@pytest.mark.parametrize(("platform", "answers", "enabled", "active"), [
    ("linux", {"is-enabled": (0, "enabled"), "is-active": (0, "active")}, True, True),
    ("linux", {"is-enabled": (0, "enabled"), "is-active": (3, "inactive")}, True, False),
    ("linux", {"is-enabled": (1, "disabled"), "is-active": (3, "inactive")}, False, False),
    ("darwin", {"print": (0, "state = waiting")}, True, True),
    ("darwin", {"print": (113, "Could not find service")}, False, False),
    ("win32", {"/Query": (0, "TaskName: \\Deskhand\\Learn\nStatus: Ready")}, True, True),
    ("win32", {"/Query": (0, "TaskName: \\Deskhand\\Learn\nStatus: Disabled")}, False, False),
])
def test_status_says_whether_the_timer_is_active(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str,
        answers: dict[str, tuple[int, str]], enabled: bool, active: bool) -> None:
    installer = Installer(platform, tmp_path, Manager(answers))
    monkeypatch.setattr(Installer, "manager_available", lambda self: True)
    installer.install(JOB, ScheduleConfig(at="03:00"))
    status = installer.status()
    assert status.installed and (status.enabled, status.active) == (enabled, active)
    line = status.describe()
    assert line.startswith("installed: nightly at 03:00")
    assert ("NOT active" in line) is not active and ("active" in line)


def test_files_nobody_reads_are_installed_but_not_active(tmp_path: Path) -> None:
    installer = Installer("linux", tmp_path / "units", Recorder())
    installer.install(JOB, ScheduleConfig(at="01:30"))
    status = installer.status()
    assert status.installed and status.active is None
    assert "NOT active" in status.describe() and str(tmp_path / "units") in status.describe()
