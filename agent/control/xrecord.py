"""Every key, button and pointer event the X server handles, from any device or client, with
the raw keycode: a RECORD listener for the takeover monitor on X11.

pynput reports keys by name, mapped through the keymap it read when it started, so a keycode
that the agent borrowed for a moment (to type ``é``) reads as nothing, or as whatever it was
borrowed for when pynput started; telling the agent's keys from a person's by name is then
guesswork. The agent knows the keycodes it pressed, so this listener hands over keycodes.

It has the interface ``agent.control.listeners`` expects of a pynput listener (``start``,
``wait``, ``stop``, ``join``, ``is_alive``), and stops the same way: the RECORD context is
disabled from the second connection, which is flushed so the reading thread wakes at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.control.listeners import disable_record_context


@dataclass(frozen=True)
class RecordedEvent:
    kind: str  # "key", "button" or "motion"
    detail: int  # keycode or button number; 0 for motion
    label: str  # the key's name for people ("ctrl", "a", "keycode 248"); "" otherwise
    pressed: bool  # False for releases and motion
    x: int  # pointer position (root window) when it happened
    y: int
    server_ms: int  # the X server's timestamp (milliseconds, wraps after ~49 days)


class RecordListener(threading.Thread):
    """``RecordListener(on_event)``: ``on_event`` runs on the listener's thread, in the
    order the server handled the events."""

    def __init__(self, on_event: Callable[[RecordedEvent], None]) -> None:
        super().__init__(name="deskhand-record", daemon=True)
        self._on_event = on_event
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._display_stop: Any = None
        self._context: Any = None

    def wait(self) -> None:
        """Block until events are being recorded (or the listener failed: then raise)."""
        while not self._ready.wait(0.05):
            if not self.is_alive():
                break
        if self._error is not None:
            raise RuntimeError(f"X RECORD is not available: {self._error}") from self._error

    def stop(self) -> None:
        context, self._context = self._context, None  # once: stop_listener would do it again
        disable_record_context(self._display_stop, context)

    def run(self) -> None:
        from Xlib import X, display
        from Xlib.ext import record

        try:
            control, data = display.Display(), display.Display()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        try:
            if not control.has_extension("RECORD"):
                raise RuntimeError("the X server has no RECORD extension")
            context = control.record_create_context(0, [record.AllClients], [{
                "core_requests": (0, 0), "core_replies": (0, 0),
                "ext_requests": (0, 0, 0, 0), "ext_replies": (0, 0, 0, 0),
                "delivered_events": (0, 0), "device_events": (X.KeyPress, X.MotionNotify),
                "errors": (0, 0), "client_started": False, "client_died": False}])
            control.sync()
            self._display_stop, self._context = control, context
            data.record_enable_context(context, lambda reply: self._handle(data, reply))
            data.record_free_context(context)
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()
            self._display_stop = self._context = None
            control.close()
            data.close()

    def _handle(self, data: Any, reply: Any) -> None:
        from Xlib.ext import record
        from Xlib.protocol import rq

        if reply.category == record.StartOfData:
            self._ready.set()
            return
        if reply.category != record.FromServer or reply.client_swapped:
            return
        raw = reply.data
        while raw:
            event, raw = rq.EventField(None).parse_binary_value(raw, data.display, None, None)
            try:
                self._dispatch(data, event)
            except Exception:  # a callback's bug must not end the listening
                continue

    def _dispatch(self, data: Any, event: Any) -> None:
        from Xlib import X

        from agent.xtest import keysym_label

        kind = event.type & 0x7F
        pressed = kind in (X.KeyPress, X.ButtonPress)
        where = (int(event.root_x), int(event.root_y), int(event.time))
        if kind in (X.KeyPress, X.KeyRelease):
            keysym = data.keycode_to_keysym(event.detail, int(event.state) & 1)
            label = keysym_label(int(keysym)) if keysym else f"keycode {event.detail}"
            self._on_event(RecordedEvent("key", int(event.detail), label, pressed, *where))
        elif kind in (X.ButtonPress, X.ButtonRelease):
            self._on_event(RecordedEvent("button", int(event.detail), "", pressed, *where))
        elif kind == X.MotionNotify:
            self._on_event(RecordedEvent("motion", 0, "", False, *where))
