"""MiniWoB++ as a task suite: each task a page of the ``miniwob`` package in a Chromium window.

``reset(seed)`` shows task ``tasks[seed % len(tasks)]`` (the page is loaded once and reused),
seeds the page's random generator, starts an episode and returns the page's utterance — the
task text the agent gets. The page's own reward (``WOB_RAW_REWARD_GLOBAL``, set by the task's
script) is the verdict: the task is over when the page says so, a success when the raw reward
is above zero. ``oracle()`` and ``accepts()`` come from the DOM oracle
(``miniwob_page.js``): the right next steps from the page as it stands, clicks converted to
screen pixels through the live window geometry (:mod:`agent.suites.miniwob_browser`).

The design choices a reader must know: the page's 10-second timer is off by default (a model
thinks for seconds per step; Deskhand's own step and time budgets bound the episode, as
BrowserGym does), and the reward display is hidden. ``verdict()`` first lets the page handle
the input just sent: it waits until the page's input-event counter has been still for
``settle_s``, at most until ``settle_max_s`` after the display's last input (so a click that
ends the task is judged in the same step, and a verdict long after any input costs
nothing). ``close()`` ends the task but keeps the window for the next one (starting Chromium
takes seconds); ``shutdown()`` — or leaving the ``with`` block, or the interpreter exiting —
closes it.
"""

from __future__ import annotations

import functools
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.suites.base import SuiteVerdict
from agent.suites.miniwob_browser import BrowserError, ChromiumWindow
from agent.suites.miniwob_setup import STANDARD_TASKS, find_browser, page_of
from models.actions import Action, Click, Key, Type, normalize_key

NO_TIME_LIMIT_MS = 2_000_000_000  # the page's timer, effectively off
READY_TIMEOUT_S = 10.0
SETTLE_JS = ("var reply = arguments[arguments.length - 1];"
             "if (typeof WOB_DONE_GLOBAL === 'undefined' || !window.__deskhand) reply(null);"
             "else window.__deskhand.settle(arguments[0], arguments[1], arguments[2], reply);")
ON_PAGE_JS = ("return location.href === arguments[0] && !!window.__deskhand"
              " && typeof core !== 'undefined';")
PLAN_JS = ("return [window.__deskhand.plan(arguments[0], arguments[1]), [window.screenX,"
           " window.screenY, window.outerWidth, window.outerHeight, window.innerWidth,"
           " window.innerHeight, window.devicePixelRatio]];")


@functools.cache
def page_script() -> str:
    """The helpers installed in every task page (``miniwob_page.js``)."""
    return (Path(__file__).parent / "miniwob_page.js").read_text(encoding="utf-8")


class MiniWobSuite:
    """Tasks ``tasks`` (by seed) in one Chromium window on ``display`` (see the module doc)."""

    name = "miniwob"

    def __init__(self, tasks: Sequence[str] = STANDARD_TASKS, *, display: str | None = None,
                 scale: float | None = None, position: tuple[int, int] = (40, 40),
                 move_window: bool = False, mode: str = "train",
                 time_limit_s: float | None = None, settle_s: float = 0.02,
                 settle_max_s: float = 0.25, window: ChromiumWindow | None = None) -> None:
        if not tasks:
            raise ValueError("a MiniWoB++ suite needs at least one task")
        self.pages = {task: page_of(task) for task in tasks}  # unknown names fail here
        self.tasks = tuple(tasks)
        self.display = display or os.environ.get("DISPLAY", "")
        if window is None:
            window = ChromiumWindow(find_browser(), display=self.display, scale=scale,
                                    position=position)
        self.window = window
        self._owns_window = True
        self.move_window = move_window
        self.mode = mode
        self.time_limit_s = time_limit_s
        self.settle_s, self.settle_max_s = settle_s, settle_max_s
        self.task: str | None = None
        self.utterance = ""
        self.seed: int | None = None
        self.oracle_note = ""  # why the oracle has no step, when it has none
        self.last_reset_s = 0.0  # how long the last reset took (eval reports it apart)
        self._events = 0

    @classmethod
    def sharing(cls, window: ChromiumWindow, tasks: Sequence[str], **options: Any
                ) -> MiniWobSuite:
        """A suite on a window another suite (or the caller) owns; it never closes it."""
        suite = cls(tasks, window=window, display=window.display, **options)
        suite._owns_window = False
        return suite

    def task_of(self, seed: int) -> str:
        return self.tasks[seed % len(self.tasks)]

    # -- the suite ----------------------------------------------------------------------
    def reset(self, seed: int) -> str:
        started = time.monotonic()
        task = self.task_of(seed)
        url = self.pages[task].as_uri()
        if not self.window.alive:  # first use, or the window was closed or crashed
            self.window.start(url)
            self._install(task)
            self.window.calibrate()
        elif not self.window.js(ON_PAGE_JS, url):  # another task, or the page was left
            self.window.load(url)
            self._install(task)
        if self.move_window:
            self._move(seed)
        limit = NO_TIME_LIMIT_MS if self.time_limit_s is None else int(self.time_limit_s * 1000)
        self.window.js("if (!WOB_DONE_GLOBAL) { core.endEpisode(0); }"  # a left-over episode
                       "Math.seedrandom(arguments[0]); core.setDataMode(arguments[1]);"
                       "core.EPISODE_MAX_TIME = arguments[2]; core.startEpisodeReal();",
                       seed, self.mode, limit)
        self._wait_ready()
        utterance = self.window.js("return core.getUtterance();")
        if isinstance(utterance, dict):
            utterance = utterance.get("utterance", "")
        self.task, self.seed, self.utterance = task, seed, str(utterance)
        self._events = int(self.window.js("return window.__deskhand.events;"))
        self.last_reset_s = time.monotonic() - started
        return self.utterance

    def verdict(self) -> SuiteVerdict:
        if self.task is None:
            raise BrowserError("no task is open: call reset(seed) first")
        idle = self.window.input_idle_s()  # input sent long ago is handled by now
        most = self.settle_max_s if idle is None else max(0.0, self.settle_max_s - idle)
        try:
            state = self.window.js_async(SETTLE_JS, self._events, 1000 * self.settle_s,
                                         1000 * most)
        except Exception as exc:  # the window closed or crashed, or the page went away
            if self.window.alive:
                return SuiteVerdict(True, False, -1.0, f"{self.task}: the task page was left")
            return SuiteVerdict(True, False, -1.0, f"{self.task}: the browser is gone "
                                f"({type(exc).__name__})")
        if state is None:
            return SuiteVerdict(True, False, -1.0, f"{self.task}: the task page was left")
        done, raw, reason, self._events = state
        if not done:
            return SuiteVerdict(False, False, 0.0, f"{self.task}: in progress")
        reward = float(raw)
        why = f" ({reason})" if reason else ""
        return SuiteVerdict(True, reward > 0, reward, f"{self.task}: reward {reward:g}{why}")

    def oracle(self) -> list[Action]:
        """The right steps from here, clicks in screen pixels; [] when the oracle has none
        (``oracle_note`` says why)."""
        if self.task is None:
            return []
        try:
            found, geometry = self.window.js(PLAN_JS, self.task, self.utterance)
            view = self.window.viewport(geometry)
        except Exception as exc:
            self.oracle_note = f"the page cannot be read ({type(exc).__name__})"
            return []
        self.oracle_note = found.get("error") or ""
        actions: list[Action] = []
        for step in found.get("steps", []):
            if step["kind"] == "click":
                actions.append(Click(*view.to_screen(step["x"], step["y"])))
            elif step["kind"] == "type":
                actions.append(Type(str(step["text"])))
            elif step["kind"] == "key":
                actions.append(Key(tuple(str(k) for k in step["keys"])))
        return actions

    def accepts(self, action: Action) -> bool:
        """Whether ``action`` is the next right step: a click must land on the next target
        (the page's own hit test at that point), typing and keys must be the oracle's."""
        plan = self.oracle()
        if not plan:
            return False
        want = plan[0]
        if isinstance(want, Click):
            if not isinstance(action, Click) or (action.button, action.count) != (
                    want.button, want.count):
                return False
            x, y = self.window.viewport().to_page(action.x, action.y)
            try:
                return bool(self.window.js(
                    "return window.__deskhand.hits(arguments[0], arguments[1], arguments[2],"
                    " arguments[3]);", self.task, self.utterance, x, y))
            except Exception:
                return False
        if isinstance(want, Key):
            return isinstance(action, Key) and _keys(action) == _keys(want)
        return action == want

    def close(self) -> None:
        """End the open task (the window stays for the next one; see ``shutdown``)."""
        if self.task is not None and self.window.driver is not None:
            try:
                self.window.js("if (!WOB_DONE_GLOBAL) { core.endEpisode(0); }")
            except Exception:
                pass  # the window is gone already
        self.task = None

    def shutdown(self) -> None:
        """Close the task and, if this suite opened it, the Chromium window."""
        self.close()
        if self._owns_window:
            self.window.quit()

    def __enter__(self) -> MiniWobSuite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- helpers ------------------------------------------------------------------------
    def _install(self, task: str) -> None:
        """Wait for the page's start screen, then install the helpers."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.window.js("return typeof core !== 'undefined' && "
                                 "!!document.getElementById('sync-task-cover');"):
            if time.monotonic() > deadline:
                raise BrowserError(f"the page of {task} did not load")
            time.sleep(0.02)
        self.window.js(page_script())

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.window.js("return WOB_TASK_READY;"):
            if time.monotonic() > deadline:
                raise BrowserError("the task did not become ready")
            time.sleep(0.02)

    def _move(self, seed: int) -> None:
        """Put the window somewhere else on the screen (drawn from the seed)."""
        screen = self.window.screen_size()
        width, height = self.window.window_size()
        rng = random.Random(f"window-{seed}")
        x = rng.randint(0, max(0, screen[0] - width))
        y = rng.randint(0, max(0, screen[1] - height))
        self.window.move(x, y)


def _keys(action: Key) -> tuple[str, ...]:
    return tuple(normalize_key(k) for k in action.keys)
