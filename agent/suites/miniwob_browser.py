"""Chromium as an ordinary window on an X display, driven by Selenium only to read the page.

The agent sees and clicks this window like any app: Chromium runs in app mode (a window with a
title bar, no tabs or address bar), not headless, at a chosen device scale factor
(``--force-device-scale-factor``). Selenium is used to load pages, start episodes and read
the page's state — never to act on it.

The design choice a reader must know — page pixels to screen pixels: a point ``(cx, cy)`` in
the page's CSS pixels is on the screen at ``origin + (cx, cy) * devicePixelRatio``, where the
viewport's origin is read *live* from the window (``screenX``/``screenY`` and the browser
chrome, outer size minus inner size, in device-independent pixels times the scale factor), so
a window moved by a person or a window manager is followed. At start a pointer probe checks
the formula against where the page really sees the pointer; a window manager that makes
Chromium misreport its position is corrected by the offset the probe measured.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from agent.suites.miniwob_setup import Browser

GEOMETRY_JS = ("return [window.screenX, window.screenY, window.outerWidth, window.outerHeight,"
               " window.innerWidth, window.innerHeight, window.devicePixelRatio];")
PROBE_JS = ("window.__deskhandProbe = null; document.addEventListener('mousemove', function(e)"
            " { window.__deskhandProbe = [e.clientX, e.clientY]; }, true);")
START_TIMEOUT_S = 60.0
WINDOW_SIZE = (340, 300)  # device-independent pixels: the 160×210 task and a margin
CHROMIUM_FLAGS = (
    "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-features=Translate,MediaRouter,OptimizationHints", "--password-store=basic",
    "--disable-dev-shm-usage", "--disable-gpu", "--hide-crash-restore-bubble",
    "--disable-notifications", "--disable-session-crashed-bubble", "--lang=en-US",
    # the page keeps its timers running whatever covers the window
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
)


class BrowserError(RuntimeError):
    """Chromium did not start, or its window went away; the message says which."""


@dataclass(frozen=True)
class Viewport:
    """Where the page is on the screen now: its origin in screen pixels and the pixels per
    CSS pixel.

    >>> Viewport(100.0, 136.0, 1.5).to_screen(10, 20)
    (115, 166)
    """

    left: float
    top: float
    ratio: float

    def to_screen(self, x: float, y: float) -> tuple[int, int]:
        return round(self.left + x * self.ratio), round(self.top + y * self.ratio)

    def to_page(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.left) / self.ratio, (y - self.top) / self.ratio


def viewport_of(geometry: list[float], scale: float,
                offset: tuple[float, float] = (0.0, 0.0)) -> Viewport:
    """The viewport from ``GEOMETRY_JS``'s answer; ``scale`` is the device scale factor
    (screen pixels per device-independent pixel), ``offset`` the probe's correction.

    The browser chrome sits above the page (title bar) and evenly at its sides (borders);
    ``outer*`` are device-independent pixels, ``inner*`` CSS pixels (page zoom included).

    >>> viewport_of([100, 80, 400, 360, 400, 304, 1.5], 1.5)
    Viewport(left=150.0, top=204.0, ratio=1.5)
    """
    screen_x, screen_y, outer_w, outer_h, inner_w, inner_h, ratio = geometry
    left = screen_x * scale + (outer_w * scale - inner_w * ratio) / 2
    top = screen_y * scale + outer_h * scale - inner_h * ratio
    return Viewport(left + offset[0], top + offset[1], ratio)


class ChromiumWindow:
    """One Chromium window on ``display`` (see the module doc)."""

    def __init__(self, browser: Browser, *, display: str, scale: float | None = None,
                 position: tuple[int, int] = (40, 40),
                 size: tuple[int, int] = WINDOW_SIZE) -> None:
        if scale is not None and not 0.5 <= scale <= 4:
            raise ValueError("the device scale factor must be between 0.5 and 4")
        self.browser = browser
        self.display = display
        self.forced_scale = scale
        self.position = position  # screen pixels, the window's top-left
        self.size = size
        self.scale = scale or 1.0  # measured at start when not forced
        self.offset = (0.0, 0.0)  # the pointer probe's correction, screen pixels
        self.driver: Any = None
        self._finalizer: Any = None
        self._x: Any = None  # an Xlib connection for input_idle_s
        self._lock = threading.Lock()

    # -- life ---------------------------------------------------------------------------
    def start(self, url: str) -> None:
        """Open the window on ``url`` (an app window, the page filling it)."""
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service

        self.quit()
        options = webdriver.ChromeOptions()
        options.binary_location = str(self.browser.chromium)
        scale = self.forced_scale or 1.0
        args = [f"--app={url}", f"--window-position={round(self.position[0] / scale)},"
                f"{round(self.position[1] / scale)}",
                f"--window-size={self.size[0]},{self.size[1]}", *CHROMIUM_FLAGS]
        if self.forced_scale is not None:
            args.append(f"--force-device-scale-factor={self.forced_scale:g}")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        for arg in args:
            options.add_argument(arg)
        options.add_experimental_option("excludeSwitches", ["enable-automation"])
        env = {**os.environ, "DISPLAY": self.display}
        service = Service(str(self.browser.driver), env=env)
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except WebDriverException as exc:
            lines = (exc.msg or str(exc)).strip().splitlines()
            raise BrowserError(f"Chromium did not start on display {self.display}: "
                               f"{lines[0] if lines else type(exc).__name__}") from None
        self._finalizer = weakref.finalize(self, _quit_driver, self.driver)
        self.driver.set_script_timeout(10)
        self.driver.set_page_load_timeout(START_TIMEOUT_S)
        if self.forced_scale is None:
            self.scale = float(self.js("return window.devicePixelRatio;") or 1.0)

    @property
    def alive(self) -> bool:
        if self.driver is None:
            return False
        try:
            self.driver.execute_script("return 1;")
            return True
        except Exception:
            return False

    def quit(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # quits the driver once, whoever calls first
            self._finalizer = None
        self.driver = None
        if self._x is not None:
            self._x.close()
            self._x = None

    def input_idle_s(self) -> float | None:
        """Seconds since the display last had input, a person's or synthetic (the X screen
        saver's idle time); None where the display cannot say."""
        try:
            if self._x is None:
                from Xlib import display

                self._x = display.Display(self.display)
            return float(self._x.screen().root.screensaver_query_info().idle) / 1000
        except Exception:
            return None

    # -- the page -------------------------------------------------------------------------
    def js(self, script: str, *args: Any) -> Any:
        if self.driver is None:
            raise BrowserError("the browser is not running")
        with self._lock:
            return self.driver.execute_script(script, *args)

    def js_async(self, script: str, *args: Any) -> Any:
        """Run ``script`` in the page; it answers by calling its last argument."""
        if self.driver is None:
            raise BrowserError("the browser is not running")
        with self._lock:
            return self.driver.execute_async_script(script, *args)

    def load(self, url: str) -> None:
        if self.driver is None:
            self.start(url)
        else:
            with self._lock:
                self.driver.get(url)

    def viewport(self, geometry: list[float] | None = None) -> Viewport:
        """Where the page is now (``geometry``: a ``GEOMETRY_JS`` answer just read)."""
        return viewport_of(geometry or self.js(GEOMETRY_JS), self.scale, self.offset)

    # -- the window on the screen --------------------------------------------------------
    def calibrate(self) -> tuple[float, float]:
        """Check the formula with the pointer: move it onto the page, read where the page saw
        it, keep the difference as ``offset`` when it is more than rounding. Returns it."""
        self.offset = (0.0, 0.0)
        view = self.viewport()
        inner = self.js("return [window.innerWidth, window.innerHeight];")
        self.js(PROBE_JS)
        with _xdisplay(self.display) as disp:
            from Xlib import X
            from Xlib.ext import xtest

            pointer = disp.screen().root.query_pointer()
            target = view.to_screen(inner[0] * 0.4, inner[1] * 0.6)
            seen = None
            for dx in (7, 0):  # two moves: the page sees motion even if the pointer was there
                self.js("window.__deskhandProbe = null;")
                xtest.fake_input(disp, X.MotionNotify, x=target[0] + dx, y=target[1])
                disp.sync()
                deadline = time.monotonic() + 2.0
                seen = None
                while seen is None and time.monotonic() < deadline:
                    time.sleep(0.01)
                    seen = self.js("return window.__deskhandProbe;")
            xtest.fake_input(disp, X.MotionNotify, x=pointer.root_x, y=pointer.root_y)
            disp.sync()
        if seen is None:
            raise BrowserError("the page did not see the pointer: is the window on screen?")
        expected = view.to_page(*target)
        dx = (expected[0] - seen[0]) * view.ratio
        dy = (expected[1] - seen[1]) * view.ratio
        limit = 2 * view.ratio + 1  # whole CSS pixels in the page, whole device pixels in X
        if abs(dx) > limit or abs(dy) > limit:
            self.offset = (dx, dy)
        return self.offset

    def move(self, x: int, y: int) -> None:
        """Move the window's top-left to screen pixel ``(x, y)`` through the X server, as a
        person dragging it would (the page is not told)."""
        with _xdisplay(self.display) as disp:
            window = self._x_window(disp)
            if window is None:
                raise BrowserError("the Chromium window was not found on the display")
            window.configure(x=x, y=y)
            disp.sync()
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:  # Chromium learns of it from a ConfigureNotify
            sx, sy = self.js("return [window.screenX, window.screenY];")
            if abs(sx * self.scale - x) <= self.scale and abs(sy * self.scale - y) <= self.scale:
                return
            time.sleep(0.02)

    def screen_size(self) -> tuple[int, int]:
        """The display's size in screen pixels."""
        with _xdisplay(self.display) as disp:
            geo = disp.screen().root.get_geometry()
            return int(geo.width), int(geo.height)

    def window_size(self) -> tuple[int, int]:
        """The window's size in screen pixels."""
        width, height = self.js("return [window.outerWidth, window.outerHeight];")
        return round(width * self.scale), round(height * self.scale)

    def _x_window(self, disp: Any) -> Any:
        """The largest viewable window owned by the browser's processes."""
        import psutil
        from Xlib import X

        if self.driver is None:
            return None
        pids = {c.pid for c in psutil.Process(self.driver.service.process.pid)
                .children(recursive=True)}
        pid_atom = disp.get_atom("_NET_WM_PID")
        best, best_area = None, 0
        queue = list(disp.screen().root.query_tree().children)
        for _ in range(2):  # top-level windows, and the clients inside window-manager frames
            below = []
            for window in queue:
                try:
                    prop = window.get_full_property(pid_atom, 0)
                    attrs = window.get_attributes()
                    if prop is not None and int(prop.value[0]) in pids \
                            and attrs.map_state == X.IsViewable:
                        geo = window.get_geometry()
                        if geo.width * geo.height > best_area:
                            best, best_area = window, geo.width * geo.height
                    below += window.query_tree().children
                except Exception:
                    continue  # windows come and go
            queue = below
        return best


class _xdisplay:
    """An Xlib connection to ``name`` for the duration."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.disp: Any = None

    def __enter__(self) -> Any:
        from Xlib import display

        self.disp = display.Display(self.name)
        return self.disp

    def __exit__(self, *exc: object) -> None:
        self.disp.close()


def _quit_driver(driver: Any) -> None:
    try:
        driver.quit()
    except Exception:
        pass  # the browser is already gone
