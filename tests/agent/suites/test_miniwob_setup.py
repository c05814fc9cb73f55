"""What MiniWoB++ needs: task names by name and glob, and one clear message per missing part."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from agent.suites import miniwob_setup as setup
from agent.suites.miniwob_setup import (
    STANDARD_TASKS,
    Browser,
    MiniWobSetupError,
    UnknownTaskError,
    find_browser,
    miniwob_check,
    resolve_tasks,
    task_names,
)


def _fake_binary(folder: Path, name: str, says: str) -> Path:
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{says}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_package_ships_the_standard_tasks_and_many_more() -> None:
    names = task_names()
    assert set(STANDARD_TASKS) <= set(names) and len(names) > 100


def test_tasks_by_name_glob_comma_and_all_in_order_each_once() -> None:
    assert resolve_tasks([]) == list(STANDARD_TASKS)
    assert resolve_tasks(["enter-text, click-test", "click-test"]) == ["enter-text", "click-test"]
    tabs = resolve_tasks(["click-tab*"])
    assert tabs[0] == "click-tab" and "click-tab-2-hard" in tabs
    assert all(t.startswith("click-tab") for t in tabs)
    assert resolve_tasks(["all"]) == task_names()


@pytest.mark.parametrize("pattern", ["click-tset", "nope-*", ","])
def test_an_unknown_task_names_the_closest_ones(pattern: str) -> None:
    if pattern == ",":  # only separators: nothing asked for, the standard set
        assert resolve_tasks([pattern]) == list(STANDARD_TASKS)
        return
    with pytest.raises(UnknownTaskError) as caught:
        resolve_tasks([pattern])
    assert pattern in str(caught.value)
    if pattern == "click-tset":
        assert "did you mean click-test" in str(caught.value)


def test_no_chromium_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.setenv(setup.CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    with pytest.raises(MiniWobSetupError) as caught:
        find_browser()
    message = str(caught.value)
    assert message.startswith("Chromium is not installed")
    assert "scripts/setup.sh" in message and "apt-get install chromium chromium-driver" in message
    check = miniwob_check()
    assert (check.name, check.ok) == ("miniwob", False)
    assert check.detail.startswith("Chromium is not installed") and "apt-get" in check.hint


def test_none_on_the_path_at_all(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(setup.CHROMIUM_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(setup, "DRIVER_PATHS", ())
    with pytest.raises(MiniWobSetupError, match="^Chromium is not installed: run scripts/setup"):
        find_browser()
    _fake_binary(tmp_path, "chromium", "Chromium 156.0.8078.114 built on Debian")
    with pytest.raises(MiniWobSetupError, match="^chromedriver is not installed"):
        find_browser()


def test_a_driver_of_another_version_is_refused(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    chromium = _fake_binary(tmp_path, "chromium", "Chromium 156.0.8078.114 built on Debian")
    driver = _fake_binary(tmp_path, "chromedriver", "ChromeDriver 120.0.6099.1 (abc)")
    monkeypatch.setenv(setup.CHROMIUM_ENV, str(chromium))
    monkeypatch.setenv(setup.DRIVER_ENV, str(driver))
    with pytest.raises(MiniWobSetupError, match="does not match Chromium 156.0.8078.114"):
        find_browser()
    _fake_binary(tmp_path, "chromedriver", "ChromeDriver 156.0.8078.99 (abc)")
    found = find_browser()
    assert (found.chromium, found.driver, found.version) == (chromium, driver,
                                                             "156.0.8078.114")


def test_the_installed_browser_passes_the_doctor(chromium: Browser) -> None:
    check = miniwob_check()
    assert check.ok, f"{check.detail} — {check.hint}"
    assert "Chromium" in check.detail and "tasks" in check.detail
