"""What MiniWoB++ needs on this machine, and its task names: Chromium, its driver, the pages.

Every problem is found here, before a browser starts, and said once with its fix: no Chromium,
no chromedriver, a driver whose major version is not the browser's, no ``miniwob`` package.
``deskhand doctor`` shows :func:`miniwob_check`; ``deskhand eval miniwob`` stops with the same
words. Tasks are the pages the ``miniwob`` package ships (``html/miniwob/NAME.html``), chosen by
name or glob.

The design choice a reader must know: the browser and its driver are found on this machine
only (``$DESKHAND_CHROMIUM`` / ``$DESKHAND_CHROMEDRIVER``, then the usual names and Debian's
paths) and always passed to Selenium by path, so Selenium Manager never downloads anything.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from agent.doctor import Check

CHROMIUM_ENV = "DESKHAND_CHROMIUM"
DRIVER_ENV = "DESKHAND_CHROMEDRIVER"
APT_LINE = "sudo apt-get install chromium chromium-driver"
PIP_LINE = "pip install miniwob selenium"
SETUP_HINT = f"run scripts/setup.sh as root (it installs them), or: {APT_LINE}"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVERS = ("chromedriver", "chromium.chromedriver")
DRIVER_PATHS = ("/usr/lib/chromium/chromedriver", "/usr/lib/chromium-browser/chromedriver")
# The tasks the harness is developed and checked against (the list): the default set.
STANDARD_TASKS = ("click-test", "click-test-2", "click-button", "click-link", "click-dialog",
                  "click-color", "click-shape", "click-checkboxes", "click-tab", "click-option",
                  "focus-text", "enter-text")


class MiniWobSetupError(RuntimeError):
    """Something this machine lacks for MiniWoB++: ``problem``, then ``fix`` (what to run)."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}: {fix}")
        self.problem, self.fix = problem, fix


class UnknownTaskError(ValueError):
    """A task name or glob that matches no MiniWoB++ page."""


@dataclass(frozen=True)
class Browser:
    """The Chromium binary and the chromedriver that drives it."""

    chromium: Path
    driver: Path
    version: str  # e.g. "156.0.8078.114"


def pages_dir() -> Path:
    """The folder of task pages inside the installed ``miniwob`` package."""
    spec = importlib.util.find_spec("miniwob")
    if spec is None or not spec.submodule_search_locations:
        raise MiniWobSetupError("the miniwob package is not installed",
                                f"{PIP_LINE} (scripts/setup.sh installs it)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "html" / "miniwob"
    if not folder.is_dir():
        raise MiniWobSetupError(f"the miniwob package has no task pages at {folder}",
                                f"reinstall it ({PIP_LINE})")
    return folder


def task_names() -> list[str]:
    """Every MiniWoB++ task this machine has, sorted."""
    return sorted(p.stem for p in pages_dir().glob("*.html"))


def page_of(task: str) -> Path:
    path = pages_dir() / f"{task}.html"
    if not path.is_file():
        raise UnknownTaskError(_unknown(task, task_names()))
    return path


def resolve_tasks(patterns: list[str] | tuple[str, ...]) -> list[str]:
    """Task names for names and globs (``click-*``), comma-separated or not, in the order
    given, each once; ``all`` is every task. An empty list is the standard set.

    A pattern that matches nothing is an error naming the closest tasks.
    """
    known = task_names()
    wanted = [p.strip() for item in patterns for p in item.split(",") if p.strip()]
    if not wanted:
        return list(STANDARD_TASKS)
    chosen: list[str] = []
    for pattern in wanted:
        if pattern == "all":
            matched = known
        elif any(c in pattern for c in "*?["):
            matched = fnmatch.filter(known, pattern)
        else:
            matched = [pattern] if pattern in known else []
        if not matched:
            raise UnknownTaskError(_unknown(pattern, known))
        chosen += [m for m in matched if m not in chosen]
    return chosen


def _unknown(pattern: str, known: list[str]) -> str:
    close = difflib.get_close_matches(pattern, known, n=4, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (f"no MiniWoB++ task matches {pattern!r}{hint} ({len(known)} tasks; "
            "`--tasks 'click-*'` picks by glob, `--tasks all` takes every one)")


def _version(binary: Path) -> str:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    found = re.search(r"(\d+)\.(\d+)\.(\d+)\.(\d+)", out)
    return found.group(0) if found else ""


def _find(env: str, names: tuple[str, ...], paths: tuple[str, ...] = ()) -> Path | None:
    given = os.environ.get(env)
    if given:
        return Path(given) if Path(given).is_file() else None
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((Path(p) for p in paths if Path(p).is_file()), None)


def find_browser() -> Browser:
    """Chromium and a matching chromedriver, or :class:`MiniWobSetupError` with the fix."""
    if not sys.platform.startswith("linux"):
        raise MiniWobSetupError("the MiniWoB++ harness runs on Linux/X11 only",
                                "run it on a Linux desktop or under Xvfb")
    chromium = _find(CHROMIUM_ENV, BROWSERS)
    if chromium is None:
        where = f" (${CHROMIUM_ENV} names no file)" if os.environ.get(CHROMIUM_ENV) else ""
        raise MiniWobSetupError(f"Chromium is not installed{where}", SETUP_HINT)
    driver = _find(DRIVER_ENV, DRIVERS, DRIVER_PATHS)
    if driver is None:
        where = f" (${DRIVER_ENV} names no file)" if os.environ.get(DRIVER_ENV) else ""
        raise MiniWobSetupError(f"chromedriver is not installed{where}", SETUP_HINT)
    version, driver_version = _version(chromium), _version(driver)
    if not version:
        raise MiniWobSetupError(f"{chromium} --version names no version (is it Chromium?)",
                                SETUP_HINT)
    if driver_version.split(".")[0] != version.split(".")[0]:
        raise MiniWobSetupError(
            f"chromedriver {driver_version or '(unknown version)'} ({driver}) does not match "
            f"Chromium {version} ({chromium})",
            f"install the driver of the same version ({APT_LINE})")
    return Browser(chromium, driver, version)


def check_setup() -> tuple[Browser, Path]:
    """Everything an evaluation needs (browser, driver, pages, selenium), or the error."""
    pages = pages_dir()
    if importlib.util.find_spec("selenium") is None:
        raise MiniWobSetupError("selenium is not installed", PIP_LINE)
    return find_browser(), pages


def miniwob_check() -> Check:
    """``deskhand doctor``'s line: whether ``deskhand eval miniwob`` can run here."""
    try:
        browser, pages = check_setup()
    except MiniWobSetupError as exc:
        return Check("miniwob", False, exc.problem, exc.fix)
    count = len(list(pages.glob("*.html")))
    return Check("miniwob", True, f"Chromium {browser.version} ({browser.chromium}), "
                 f"chromedriver {browser.driver}, {count} tasks")
