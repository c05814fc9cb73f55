"""``deskhand bench stop``: how long after a stop does the last synthetic event go out?

Two paths, each over many stops at random moments of a running action:
- ``recording``: ``StopToken.stop()`` against the ``RecordingActuator`` with realistic pacing
  (``event_delay`` per low-level event) — the loop's own reaction, no display needed;
- ``hotkey``: the real chain on an X display — the stop chord pressed through XTEST, pynput's
  ``GlobalHotKeys`` firing ``StopHotkey``, and ``PyAutoGuiActuator`` typing a long text.
  It presses keys and types, so the command line runs it in a child process on a private Xvfb
  (``python -m agent.control.stopbench --trials N`` with ``DISPLAY`` set), never on the
  user's own desktop unless asked.

The one design choice a reader must know: latencies are measured from the moment the stop
was requested (the token call, or the chord's last key press) to the last event the actuator
logged (it logs an event just before sending it; events logged before the stop count as 0)
and to the moment the action returned — an upper bound on when the last event was out.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from agent.actuator import RecordingActuator, SentEvent, Stopped, StopToken
from models.actions import Action, Click, Drag, Scroll, Type

GOAL_MS = 50.0
TEXT = "the quick brown fox jumps over the lazy dog " * 12


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


def _after(events: Sequence[SentEvent], t0: float) -> float:
    return max(0.0, events[-1].time - t0) if events else 0.0


def _run_until_stopped(execute: Callable[[Action], None], actions: Sequence[Action],
                       returned: list[float]) -> None:
    try:
        for action in actions:
            execute(action)
    except Stopped:
        pass
    returned.append(time.monotonic())


def bench_recording(trials: int = 200, event_delay: float = 0.01, max_delay: float = 0.15,
                    seed: int = 0) -> dict[str, Distribution]:
    """Stops at random times against the recording actuator."""
    rng = random.Random(seed)
    actions: list[Action] = [Click(300, 200), Type(TEXT), Drag(10, 10, 500, 400),
                             Scroll(400, 300, 0, -5)] * 4
    last, back = [], []
    for _ in range(trials):
        token = StopToken()
        fake = RecordingActuator(token, event_delay=event_delay)
        returned: list[float] = []
        worker = threading.Thread(target=_run_until_stopped,
                                  args=(fake.execute, actions, returned))
        worker.start()
        time.sleep(rng.uniform(0.0, max_delay))
        t0 = time.monotonic()
        token.stop("bench")
        worker.join()
        last.append(_after(fake.sent, t0))
        back.append(max(0.0, returned[0] - t0))
    return {"stop → last event": Distribution.of(last),
            "stop → actuator returned": Distribution.of(back)}


class _Chord:
    """Presses ctrl+alt+esc through XTEST on its own connection, like a keyboard would."""

    def __init__(self) -> None:
        from Xlib import XK, display

        self._display: Any = display.Display()
        self._codes = [self._display.keysym_to_keycode(XK.string_to_keysym(name))
                       for name in ("Control_L", "Alt_L", "Escape")]

    def press(self) -> float:
        """Press the chord; return the monotonic time of its last key press."""
        from Xlib import X
        from Xlib.ext import xtest

        *mods, last = self._codes
        for code in mods:
            xtest.fake_input(self._display, X.KeyPress, code)
        self._display.sync()
        t0 = time.monotonic()
        xtest.fake_input(self._display, X.KeyPress, last)
        self._display.sync()
        for code in reversed(self._codes):
            xtest.fake_input(self._display, X.KeyRelease, code)
        self._display.sync()
        return t0

    def close(self) -> None:
        self._display.close()


def bench_hotkey(trials: int = 200, max_delay: float = 0.15, seed: int = 0
                 ) -> dict[str, Distribution]:
    """Stops by the real hotkey against the real actuator on the current ``DISPLAY``
    (it types: give it a display of its own)."""
    from agent.actuator import Pacing, PyAutoGuiActuator
    from agent.control.hotkey import StopHotkey

    rng = random.Random(seed)
    actuator = PyAutoGuiActuator(pacing=Pacing(move_duration=0.0))
    chord = _Chord()
    fired, last, back, missed = [], [], [], 0
    try:
        with StopHotkey(StopToken()) as hotkey:
            for _ in range(trials):
                token = StopToken()
                hotkey.token = actuator.stop_token = token
                actuator.sent = []
                returned: list[float] = []
                worker = threading.Thread(target=_run_until_stopped,
                                          args=(actuator.execute, [Type(TEXT)], returned))
                worker.start()
                time.sleep(rng.uniform(0.02, max_delay))
                t0 = chord.press()
                worker.join(timeout=30)
                if not token.stopped or hotkey.fired_at is None or hotkey.fired_at < t0:
                    missed += 1
                    continue
                fired.append(hotkey.fired_at - t0)
                last.append(_after(actuator.sent, t0))
                back.append(max(0.0, returned[0] - t0))
    finally:
        chord.close()
        actuator.close()
    if missed:
        raise RuntimeError(f"the hotkey did not stop {missed} of {trials} trials")
    return {"key press → hotkey fired": Distribution.of(fired),
            "stop → last event": Distribution.of(last),
            "stop → actuator returned": Distribution.of(back)}


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m agent.control.stopbench --trials N``: the hotkey bench, as JSON."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args(argv)
    result = bench_hotkey(args.trials)
    print(json.dumps({name: asdict(dist) for name, dist in result.items()}))


if __name__ == "__main__":
    main()


def bench_hotkey_in_child(display: str, trials: int, timeout: float = 600
                          ) -> dict[str, Distribution]:
    """``bench_hotkey`` in a fresh interpreter on ``display`` (its X libraries bind
    ``DISPLAY`` at import, so this process's may point elsewhere)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, DISPLAY=display)
    done = subprocess.run([sys.executable, "-m", "agent.control.stopbench", "--trials",
                           str(trials)], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"hotkey bench failed: {done.stderr.strip()[-800:]}")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: Distribution(**row) for name, row in rows.items()}
