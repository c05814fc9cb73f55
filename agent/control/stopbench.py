"""``deskhand bench stop``: after a stop, or the person's first key, does any event go out?

For every kind of action (typing, scrolling, clicking, dragging) the agent acts in a loop and
is interrupted at a random moment, many times over, along three paths:

- ``recording``: ``StopToken.stop()`` against ``RecordingActuator`` (no display): the loop's
  own reaction, ``event_delay`` per group standing in for real pacing;
- ``stop``: ``StopToken.stop()`` against the real actuator on an X display — the Stop button,
  the loop, a budget. Counted: events the actuator logged after ``stop()`` had returned;
- ``chord``: the person presses the stop chord ctrl+alt+esc (through XTEST, on the bench's
  own connection, as a keyboard would) while the real actuator acts, with ``StopHotkey``
  listening. Counted, in the X server's own order (a RECORD listener): the agent's presses,
  wheel clicks and pointer motion handled after the person's first key (Ctrl) — which are
  also the only ones that could combine with the person's modifiers. Releases of a button
  the agent held (a drag cut short) are counted apart: letting go is the one event allowed.

Latencies: stop (or the person's first key) → the agent's last event (0 when it came
before), and → the actuator returned. The real paths press keys and type, so the command line
runs them in a child process on a private Xvfb (``python -m agent.control.stopbench`` with
``DISPLAY`` set), never on the person's own desktop unless asked.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.actuator import Pacing, RecordingActuator, SentEvent, Stopped, StopToken
from models.actions import Action, Click, Drag, Scroll, Type

GOAL_MS = 50.0
KINDS = ("type", "scroll", "click", "drag")
TEXT = "the quick brown fox jumps over the lazy dog " * 8
CHORD = ("Control_L", "Alt_L", "Escape")
MARKER = (3, 1076)  # the pointer goes here after a trial: all of its events are then in


def kind_actions(kind: str) -> list[Action]:
    """The actions one trial repeats until it is interrupted."""
    if kind == "type":
        return [Type(TEXT)]
    if kind == "scroll":
        return [Scroll(500, 300, 0, -50), Scroll(520, 320, 0, 50)]
    if kind == "click":
        return [Click(300 + 37 * i, 250 + 23 * i, "left", 1 + i % 3) for i in range(12)]
    if kind == "drag":
        return [Drag(100, 100, 900, 600), Drag(900, 600, 150, 120)]
    raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")


PACING = Pacing(move_duration=0.01, between_clicks=0.04, chunk_chars=4, between_chunks=0.01,
                drag_duration=0.3, between_wheel=0.005, release_grace=0.5)


@dataclass(frozen=True)
class Distribution:
    n: int
    p50_ms: float
    p95_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Distribution:
        """Milliseconds of a sample of durations in seconds.

        >>> Distribution.of([0.001 * i for i in range(1, 101)])
        Distribution(n=100, p50_ms=50.5, p95_ms=95.0, max_ms=100.0)
        """
        ms = sorted(s * 1000 for s in seconds)
        if not ms:
            return cls(0, float("nan"), float("nan"), float("nan"))
        p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
        return cls(len(ms), round(statistics.median(ms), 3), round(p95, 3), round(ms[-1], 3))


@dataclass(frozen=True)
class KindReport:
    """One kind of action on one path, over ``trials`` interruptions."""

    kind: str
    path: str
    trials: int
    mid_action: int  # trials interrupted while the agent was sending (events before)
    events_after: int  # the agent's events after the stop / the person's first key
    releases_after: int  # buttons the agent let go of after it (a drag cut short)
    last_event: Distribution  # stop → the agent's last event (0 if before)
    returned: Distribution  # stop → the actuator returned
    hotkey_fired: Distribution | None = None  # chord's last key → StopHotkey fired

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> KindReport:
        dists = {k: Distribution(**row[k]) for k in ("last_event", "returned")}
        fired = row.get("hotkey_fired")
        return cls(**{**row, **dists,
                      "hotkey_fired": Distribution(**fired) if fired else None})


def _loop(execute: Callable[[Action], None], actions: Sequence[Action],
          returned: list[float]) -> None:
    try:
        for _ in range(1000):
            for action in actions:
                execute(action)
    except Stopped:
        pass
    finally:
        returned.append(time.monotonic())


def _after(events: Sequence[SentEvent], t0: float) -> tuple[int, int, float]:
    """(events logged after t0 other than releases, releases after t0, t0 → last event)."""
    late = [e for e in events if e.time > t0]
    releases = sum(1 for e in late if e.kind == "release")
    last = max((e.time for e in events if e.kind != "release"), default=t0)
    return len(late) - releases, releases, max(0.0, last - t0)


def bench_recording(trials: int = 200, event_delay: float = 0.005, seed: int = 0
                    ) -> list[KindReport]:
    """Stops at random times against the recording actuator, per kind."""
    rng = random.Random(seed)
    reports = []
    for kind in KINDS:
        late = released = mid = 0
        last, back = [], []
        for _ in range(trials):
            token = StopToken()
            fake = RecordingActuator(token, event_delay=event_delay)
            returned: list[float] = []
            worker = threading.Thread(target=_loop,
                                      args=(fake.execute, kind_actions(kind), returned))
            worker.start()
            time.sleep(rng.uniform(0.005, 0.1))
            token.stop("bench")
            t0 = time.monotonic()  # stop() has returned
            worker.join()
            after, rel, lag = _after(fake.sent, t0)
            late, released, mid = late + after, released + rel, mid + bool(fake.sent)
            last.append(lag)
            back.append(max(0.0, returned[0] - t0))
        reports.append(KindReport(kind, "recording", trials, mid, late, released,
                                  Distribution.of(last), Distribution.of(back)))
    return reports


class _Person:
    """A person's hands, on their own X connection: the stop chord and the marker move."""

    def __init__(self) -> None:
        from Xlib import XK, display

        self._display: Any = display.Display()
        self._root: Any = self._display.screen().root
        self.codes = [int(self._display.keysym_to_keycode(XK.string_to_keysym(name)))
                      for name in CHORD]

    def chord(self) -> tuple[float, float]:
        """Press ctrl+alt+esc like a hand would; the monotonic times of its first and last
        key press."""
        from Xlib import X
        from Xlib.ext import xtest

        *mods, last = self.codes
        first_at = time.monotonic()
        for code in mods:
            xtest.fake_input(self._display, X.KeyPress, code)
            self._display.sync()
            time.sleep(0.015)
        last_at = time.monotonic()
        xtest.fake_input(self._display, X.KeyPress, last)
        self._display.sync()
        time.sleep(0.03)
        for code in reversed(self.codes):
            xtest.fake_input(self._display, X.KeyRelease, code)
        self._display.sync()
        return first_at, last_at

    def marker(self) -> None:
        from Xlib import X
        from Xlib.ext import xtest

        xtest.fake_input(self._display, X.MotionNotify, 0, root=self._root, x=MARKER[0],
                         y=MARKER[1])
        self._display.sync()

    def close(self) -> None:
        self._display.close()


@dataclass
class _Server:
    """The server's record of one trial (RECORD): what came after the person's first key."""

    events: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    marked: threading.Event = field(default_factory=threading.Event)

    def add(self, event: Any) -> None:
        with self.lock:
            self.events.append(event)
        if event.kind == "motion" and (event.x, event.y) == MARKER:
            self.marked.set()

    def take(self) -> list[Any]:
        with self.lock:
            events, self.events = self.events, []
        self.marked.clear()
        return events


def _judge_server(events: Sequence[Any], person: Sequence[int]) -> tuple[int, int, float, bool]:
    """(agent presses/motion after the person's first key, agent releases after it,
    that key → the agent's last event in server ms, whether the agent sent before it)."""
    first = next((i for i, e in enumerate(events)
                  if e.kind == "key" and e.pressed and e.detail in person), None)
    if first is None:
        raise RuntimeError("the server never saw the person's key")
    ours = [(i, e) for i, e in enumerate(events) if not (e.kind == "key" and e.detail in person)
            and not (e.kind == "motion" and (e.x, e.y) == MARKER)]
    before = [e for i, e in ours if i < first]
    after = [e for i, e in ours if i > first]
    sent = [e for e in after if not (e.kind == "button" and not e.pressed)]
    lag = max(0, sent[-1].server_ms - events[first].server_ms) / 1000 if sent else 0.0
    return len(sent), len(after) - len(sent), lag, bool(before)


def bench_real(trials: int = 200, seed: int = 0, kinds: Sequence[str] = KINDS
               ) -> list[KindReport]:
    """The ``stop`` and ``chord`` paths against the real actuator on the current ``DISPLAY``
    (it types and clicks: give it a display of its own)."""
    from agent.actuator import PyAutoGuiActuator
    from agent.control.hotkey import StopHotkey
    from agent.control.listeners import start_listener, stop_listener
    from agent.control.xrecord import RecordListener

    rng = random.Random(seed)
    actuator = PyAutoGuiActuator(pacing=PACING)
    person = _Person()
    server = _Server()
    listener = RecordListener(server.add)
    reports: list[KindReport] = []
    try:
        start_listener(listener)
        with StopHotkey(StopToken()) as hotkey:
            for kind in kinds:
                reports.append(_token_trials(actuator, kind, trials, rng))
                reports.append(_chord_trials(actuator, hotkey, person, server, kind, trials,
                                             rng))
    finally:
        stop_listener(listener)
        person.close()
        actuator.close()
    return reports


def _start(actuator: Any, kind: str) -> tuple[threading.Thread, list[float]]:
    actuator.stop_token = StopToken()
    actuator.sent = []
    returned: list[float] = []
    worker = threading.Thread(target=_loop, args=(actuator.execute, kind_actions(kind),
                                                  returned))
    worker.start()
    return worker, returned


def _token_trials(actuator: Any, kind: str, trials: int, rng: random.Random) -> KindReport:
    late = released = mid = 0
    last, back = [], []
    for _ in range(trials):
        worker, returned = _start(actuator, kind)
        time.sleep(rng.uniform(0.03, 0.4))
        actuator.stop_token.stop("bench")
        t0 = time.monotonic()  # stop() has returned: nothing may follow
        worker.join(timeout=60)
        after, rel, lag = _after(actuator.sent, t0)
        late, released, mid = late + after, released + rel, mid + bool(actuator.sent)
        last.append(lag)
        back.append(max(0.0, returned[0] - t0))
    return KindReport(kind, "stop", trials, mid, late, released, Distribution.of(last),
                      Distribution.of(back))


def _chord_trials(actuator: Any, hotkey: Any, person: _Person, server: _Server, kind: str,
                  trials: int, rng: random.Random) -> KindReport:
    late = released = mid = missed = 0
    last, back, fired = [], [], []
    for _ in range(trials):
        server.take()
        worker, returned = _start(actuator, kind)
        hotkey.token = actuator.stop_token
        hotkey.fired_at = None
        time.sleep(rng.uniform(0.03, 0.4))
        first_at, last_at = person.chord()
        worker.join(timeout=60)
        deadline = time.monotonic() + 5
        while hotkey.fired_at is None and time.monotonic() < deadline:
            time.sleep(0.005)
        person.marker()
        if not server.marked.wait(10):
            raise RuntimeError("the RECORD listener fell behind by 10 s")
        after, rel, lag, before = _judge_server(server.take(), person.codes)
        late, released, mid = late + after, released + rel, mid + before
        last.append(lag)
        back.append(max(0.0, returned[0] - first_at))
        if hotkey.fired_at is None or not actuator.stop_token.stopped:
            missed += 1
        else:
            fired.append(max(0.0, hotkey.fired_at - last_at))
    if missed:
        raise RuntimeError(f"the stop hotkey did not fire in {missed} of {trials} trials")
    return KindReport(kind, "chord", trials, mid, late, released, Distribution.of(last),
                      Distribution.of(back), Distribution.of(fired))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m agent.control.stopbench --trials N``: the real paths, as JSON lines."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    reports = bench_real(args.trials, args.seed, args.kinds.split(","))
    print(json.dumps([r.as_dict() for r in reports]))


def bench_real_in_child(display: str, trials: int, kinds: Sequence[str] = KINDS,
                        timeout: float = 7200) -> list[KindReport]:
    """``bench_real`` in a fresh interpreter on ``display`` (its X libraries bind
    ``DISPLAY`` at import, so this process's may point elsewhere)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, DISPLAY=display)
    done = subprocess.run([sys.executable, "-m", "agent.control.stopbench", "--trials",
                           str(trials), "--kinds", ",".join(kinds)], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the stop bench failed: {done.stderr.strip()[-800:]}")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return [KindReport.from_dict(row) for row in rows]


if __name__ == "__main__":
    main()
