"""``deskhand doctor``'s monitor check on a real X display: count, geometry, scale factor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from typer.testing import CliRunner

from agent.doctor import MonitorInfo, describe_monitors, run_checks
from agent.paths import Paths
from tests.fixtures.display import XDisplay


@contextmanager
def _resources(text: str) -> Iterator[None]:
    """Set the X resource database (what ``xrdb`` would) for the duration."""
    from Xlib import Xatom, display

    disp = display.Display()
    root = disp.screen().root
    try:
        root.change_property(Xatom.RESOURCE_MANAGER, Xatom.STRING, 8, text.encode())
        disp.sync()
        yield
    finally:
        root.delete_property(Xatom.RESOURCE_MANAGER)
        disp.sync()
        disp.close()


def _monitor_check(home: Paths) -> str:
    [check] = [c for c in run_checks(home) if c.name == "monitors"]
    assert check.ok, check.detail
    return check.detail


@pytest.mark.display
def test_the_monitors_of_the_display_with_geometry_and_scale(xdisplay: XDisplay,
                                                             home: Paths) -> None:
    assert _monitor_check(home) == f"1 monitor: #1 {xdisplay.width}x{xdisplay.height}+0+0 scale 1"
    with _resources("Xft.dpi:\t144\nXft.antialias:\t1\n"):
        assert _monitor_check(home).endswith("; desktop scale 1.5 (Xft.dpi 144)")
    from app.cli import cli

    out = CliRunner().invoke(cli, ["--home", str(home.data_dir.parent), "doctor"]).stdout
    assert f"monitors: ok — 1 monitor: #1 {xdisplay.width}x{xdisplay.height}+0+0 scale 1" in out


def test_several_monitors_each_with_its_geometry() -> None:
    text = describe_monitors([MonitorInfo(-1280, 0, 1280, 1024, 1.0),
                              MonitorInfo(0, 0, 3840, 2160, 2.0)])
    assert text == "2 monitors: #1 1280x1024-1280+0 scale 1; #2 3840x2160+0+0 scale 2"


def test_without_a_display_the_check_says_so(home: Paths,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    [check] = [c for c in run_checks(home) if c.name == "monitors"]
    assert not check.ok and "no display" in check.detail
