"""Takeover: real user input while the agent acts pauses it.

Every event the agent sends looks like a person's to the X server (XTEST), so the monitor
recognises the agent's own events itself: the actuator hands every ``SentEvent`` to
``TakeoverMonitor.note`` *before* sending it (``PyAutoGuiActuator(on_event=monitor.note)``),
which turns it into expectations — a pointer segment, a button press, a wheel click, a key
press by its X keycode — that live for a short window. Each event the listener sees either
consumes a matching expectation (the agent's) or is the person's: the monitor sets ``paused``
and calls ``on_takeover(description)`` once, until ``resume()``. While paused, ``note``
refuses (raises ``TakenOver``), so an action racing with the pause sends nothing more.

The one design choice a reader must know: keys are matched by keycode, never by name. On X11
the listener is ``xrecord.RecordListener``, which reports raw keycodes; names would depend on
the keymap at the moment the listener reads it, and the agent borrows keycodes for characters
off the keymap, so ``é`` can read as nothing or as another letter. Elsewhere (pynput, no
keycodes) names are matched as before. Releases are ignored (a person cannot release what
they did not press, and a key held since before the episode must not pause it); pointer
motion on the agent's own position or path is the agent's whatever its timing. A person's
input that equals what the agent sends in the same instant is missed here — the actuator's
own check before every group (``agent.xtest``) sees the person's keys and buttons anyway.
Input the person gives to Deskhand itself is never a takeover: input on Deskhand's own windows
(``is_own``), input while the person is being asked (``hold``), and input within ``grace``
seconds after an answer or a ``resume``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from agent.actuator import SentEvent, TakenOver
from agent.control.keys import key_name
from agent.control.listeners import ListenerGroup
from agent.control.xrecord import BUTTONS, WHEEL, RecordedEvent, RecordListener

Point = tuple[int, int]
_TEXT_KEYS = {"\n": "enter", "\r": "enter", "\t": "tab", " ": "space", "\b": "backspace"}


@dataclass(frozen=True)
class Tolerance:
    pixels: float = 2.0  # pointer distance still counted as the agent's position or path
    window: float = 3.0  # seconds an expected press, wheel click or key stays expected


def _distance_to_segment(p: Point, a: Point, b: Point) -> float:
    """Euclidean distance from ``p`` to the segment ``a``–``b``.

    >>> _distance_to_segment((5, 3), (0, 0), (10, 0))
    3.0
    >>> _distance_to_segment((13, 4), (0, 0), (10, 0))
    5.0
    """
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    cx, cy = ax + t * dx, ay + t * dy
    return float(((px - cx) ** 2 + (py - cy) ** 2) ** 0.5)


def _text_expectations(chunk: str) -> list[frozenset[str | None]]:
    """The key presses a typed chunk produces: each character, or None for a character typed
    through a borrowed keycode (the listener cannot name it).

    >>> [sorted(e, key=str) for e in _text_expectations("a é")]
    [['a'], ['space'], [None, 'é']]
    """
    out: list[frozenset[str | None]] = []
    for char in chunk:
        if char in _TEXT_KEYS:
            out.append(frozenset({_TEXT_KEYS[char]}))
        elif char.isascii():
            out.append(frozenset({char.casefold()}))
        else:
            out.append(frozenset({char.casefold(), None}))
    return out


class Expectations:
    """What the agent has just sent, as the listeners will report it. Not thread-safe."""

    def __init__(self, tolerance: Tolerance, clock: Callable[[], float]) -> None:
        self.tolerance = tolerance
        self._clock = clock
        self.pointer: Point | None = None
        self._segments: deque[tuple[float, Point, Point]] = deque()
        self._buttons: deque[tuple[float, str]] = deque()
        self._wheel: deque[tuple[float, str, int]] = deque()
        self._keys: deque[tuple[float, frozenset[str | None], int | None]] = deque()
        self._shifts: deque[tuple[float]] = deque()

    def add(self, event: SentEvent) -> None:
        now = self._clock()
        if event.kind == "move":
            target = (int(event.detail[0]), int(event.detail[1]))
            self._segments.append((now, self.pointer or target, target))
            self.pointer = target
        elif event.kind == "down":
            self._buttons.append((now, str(event.detail[0])))
        elif event.kind == "scroll":
            dx, dy = int(event.detail[0]), int(event.detail[1])
            self._wheel.extend([(now, "v", 1 if dy > 0 else -1)] * abs(dy))
            self._wheel.extend([(now, "h", 1 if dx > 0 else -1)] * abs(dx))
        elif event.kind in ("key_down", "text") and event.codes:
            self._keys.extend((now, frozenset(), code) for code in event.codes)
        elif event.kind == "key_down":
            self._keys.append((now, frozenset({str(event.detail[0]).casefold()}), None))
        elif event.kind == "text":
            chunk = str(event.detail[0])
            self._keys.extend((now, names, None) for names in _text_expectations(chunk))
            # characters on the keymap's second level come with a Shift press
            self._shifts.extend([(now,)] * sum(1 for c in chunk if not c.islower()))

    def _expire(self) -> None:
        horizon = self._clock() - self.tolerance.window
        queues: tuple[deque[Any], ...] = (self._segments, self._buttons, self._wheel,
                                          self._keys, self._shifts)
        for queue in queues:
            while queue and queue[0][0] < horizon:
                queue.popleft()

    def move(self, x: int, y: int) -> bool:
        self._expire()
        here, px = (x, y), self.tolerance.pixels
        if self.pointer is not None and _distance_to_segment(here, self.pointer,
                                                             self.pointer) <= px:
            return True  # the agent's pointer stays where it put it: no timing needed
        return any(_distance_to_segment(here, a, b) <= px for _, a, b in self._segments)

    def press(self, button: str) -> bool:
        self._expire()
        return _consume(self._buttons, lambda b: b == button)

    def scroll(self, dx: int, dy: int) -> bool:
        self._expire()
        axis, sign = ("v", 1 if dy > 0 else -1) if dy else ("h", 1 if dx > 0 else -1)
        return _consume(self._wheel, lambda e: e == (axis, sign), whole=True)

    def key(self, name: str | None, code: int | None = None) -> bool:
        self._expire()
        if code is not None and _consume(self._keys, lambda e: e[1] == code, whole=True):
            return True
        wanted = name.casefold() if name is not None else None
        if _consume(self._keys, lambda e: e[1] is None and wanted in e[0],
                    whole=True):
            return True
        if wanted == "shift" and self._shifts:
            self._shifts.popleft()
            return True
        return False


def _consume(queue: deque[Any], match: Callable[[Any], bool], whole: bool = False) -> bool:
    """Remove the first live expectation that matches; True if there was one."""
    for index, item in enumerate(queue):
        value = item[1:] if whole else item[1]
        if match(value):
            del queue[index]
            return True
    return False


class TakeoverMonitor(ListenerGroup):
    """Listens to the mouse and keyboard for the episode; pauses it when a person acts.

    ``with TakeoverMonitor(on_takeover) as monitor:`` then build the actuator with
    ``on_event=monitor.note``. ``paused`` is set on the first input that is not the agent's;
    ``on_takeover(description)`` runs once, on a listener thread (keep it short: hand it
    over to the loop or the UI). ``wait_until_idle`` tells when the person has let go.
    """

    def __init__(self, on_takeover: Callable[[str], None] | None = None,
                 tolerance: Tolerance | None = None,
                 clock: Callable[[], float] = time.monotonic, *,
                 is_own: Callable[[Point | None], bool] | None = None,
                 grace: float = 0.0) -> None:
        self._on_takeover = on_takeover
        self._clock = clock
        self._lock = threading.Lock()
        self.expected = Expectations(tolerance or Tolerance(), clock)
        self.paused = threading.Event()
        self.description: str | None = None
        self.last_user_input: float | None = None
        self.last_seen_pointer: Point | None = None  # from any source: the listener's view
        self._listeners: list[Any] = []
        # input on Deskhand's own windows: a point, or None for a key (asks the focus)
        self.is_own = is_own
        self.grace = grace  # seconds after an answer or a resume still counted as Deskhand's
        self._holds = 0
        self._quiet_until = float("-inf")

    # -- the agent's side -----------------------------------------------------------------
    def note(self, event: SentEvent) -> None:
        """The actuator is about to send ``event`` (pass as ``on_event``). While paused it
        refuses: ``TakenOver`` is raised and the actuator sends nothing."""
        with self._lock:
            if self.paused.is_set():
                raise TakenOver(f"you took over ({self.description or 'paused'})")
            self.expected.add(event)

    def resume(self) -> None:
        """The person handed control back: the next foreign input pauses again."""
        with self._lock:
            self.description = None
            self.paused.clear()
            self._quiet_until = self._clock() + self.grace

    @contextmanager
    def hold(self) -> Iterator[None]:
        """The person is being asked (approve, correct, answer, do a step themselves): their
        input meanwhile, and for ``grace`` seconds after, is for Deskhand, not a takeover."""
        with self._lock:
            self._holds += 1
        try:
            yield
        finally:
            with self._lock:
                self._holds -= 1
                self._quiet_until = self._clock() + self.grace

    def wait_until_idle(self, seconds: float, timeout: float | None = None) -> bool:
        """Block until no person's input for ``seconds``; False if ``timeout`` ran out."""
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            with self._lock:
                last = self.last_user_input
            now = self._clock()
            quiet = seconds if last is None else now - last
            if quiet >= seconds:
                return True
            if deadline is not None and now >= deadline:
                return False
            wait = seconds - quiet
            if deadline is not None:
                wait = min(wait, deadline - now)
            time.sleep(max(0.005, min(wait, 0.05)))

    # -- what the listeners see -----------------------------------------------------------
    def seen_move(self, x: int, y: int) -> None:
        with self._lock:
            self.last_seen_pointer = (int(x), int(y))
            mine = self.expected.move(int(x), int(y))
        self._judge(mine, f"the pointer moved to ({int(x)}, {int(y)})", (int(x), int(y)))

    def seen_press(self, x: int, y: int, button: str) -> None:
        with self._lock:
            mine = self.expected.press(button)
        self._judge(mine, f"{button} button pressed at ({int(x)}, {int(y)})", (int(x), int(y)))

    def seen_scroll(self, x: int, y: int, dx: int, dy: int) -> None:
        with self._lock:
            mine = self.expected.scroll(int(dx), int(dy))
        self._judge(mine, f"wheel scrolled at ({int(x)}, {int(y)})", (int(x), int(y)))

    def seen_key(self, name: str | None, code: int | None = None) -> None:
        """A key press; ``code`` is its X keycode where the listener knows it."""
        with self._lock:
            mine = self.expected.key(name, code)
        self._judge(mine, f"key {name or 'unknown'!s} pressed")

    def _judge(self, mine: bool, description: str, where: Point | None = None) -> None:
        if mine or self._for_deskhand(where):
            return
        with self._lock:
            self.last_user_input = self._clock()
            first = not self.paused.is_set()
            if first:
                self.description = description
                self.paused.set()
        if first and self._on_takeover is not None:
            self._on_takeover(description)

    def _for_deskhand(self, where: Point | None) -> bool:
        """Input the person gives to Deskhand itself (see the module doc)."""
        with self._lock:
            if self._holds or self._clock() < self._quiet_until:
                return True
        if self.is_own is None:
            return False
        try:
            return bool(self.is_own(where))
        except Exception:  # the display could not say: count it as the person's
            return False

    # -- listening ------------------------------------------------------------------------
    def _make_listeners(self) -> list[Any]:
        if sys.platform.startswith("linux"):
            return [RecordListener(self._recorded)]
        from pynput import keyboard, mouse

        def on_click(x: int, y: int, button: Any, pressed: bool, *_: Any) -> None:
            if pressed:
                self.seen_press(x, y, str(getattr(button, "name", button)))

        return [
            mouse.Listener(on_move=lambda x, y, *_: self.seen_move(x, y), on_click=on_click,
                           on_scroll=lambda x, y, dx, dy, *_: self.seen_scroll(x, y, dx, dy)),
            keyboard.Listener(on_press=lambda key, *_: self.seen_key(key_name(key))),
        ]

    def _recorded(self, event: RecordedEvent) -> None:
        if event.kind == "motion":
            self.seen_move(event.x, event.y)
        elif not event.pressed:
            return
        elif event.kind == "key":
            self.seen_key(event.label, event.detail)
        elif event.detail in WHEEL:
            self.seen_scroll(event.x, event.y, *WHEEL[event.detail])
        else:
            self.seen_press(event.x, event.y, BUTTONS.get(event.detail, f"button {event.detail}"))
