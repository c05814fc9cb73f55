"""Every key, button and pointer event the X server handles, from any device or client, with
the raw keycode: the RECORD listener of the takeover monitor and recorder on X11.

pynput reports keys by name, mapped through the keymap it read when it started, so a keycode
that the agent borrowed for a moment (to type ``é``) reads as nothing, or as whatever it was
borrowed for when pynput started; telling the agent's keys from a person's by name is then
guesswork. The agent knows the keycodes it pressed, so this listener hands over keycodes.

With ``name_keys`` it also names each key as pynput would (``xkeys``), by the keyboard mapping
it was pressed under (remappings are recorded in the same stream; ``xkeymap`` reads the
mapping on a third connection): the takeover recorder reads keys and buttons from this one
stream, in the order the server handled them, where pynput's two listeners (one thread for
the mouse, one for the keyboard) could deliver typing before the click that preceded it.

It has the interface ``agent.control.listeners`` expects of a pynput listener (``start``,
``wait``, ``stop``, ``join``, ``is_alive``), and stops the same way: the RECORD context is
disabled from the second connection, which is flushed so the reading thread wakes at once.
Unlike pynput's it drops nothing on the way out: after the disable the server sends every
event it recorded before it, then the end of the data, and each is delivered before the
thread ends. ``abandon`` is for a stop whose delivery runs past its time: nothing more is
delivered and the reading thread is woken by shutting its socket, so none is left blocked.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.control.listeners import disable_record_context
from agent.control.xkeymap import LiveKeymap
from agent.control.xkeys import KeyNamer

BUTTONS = {1: "left", 2: "middle", 3: "right"}  # X button → the actions' button name
WHEEL = {4: (0, 1), 5: (0, -1), 6: (-1, 0), 7: (1, 0)}  # X button → (dx, dy) of one click


@dataclass(frozen=True)
class RecordedEvent:
    kind: str  # "key", "button" or "motion"
    detail: int  # keycode or button number; 0 for motion
    label: str  # the key's name for people ("ctrl", "a", "keycode 248"); "" otherwise
    pressed: bool  # False for releases and motion
    x: int  # pointer position (root window) when it happened
    y: int
    server_ms: int  # the X server's timestamp (milliseconds, wraps after ~49 days)
    name: str | None = None  # a key as pynput names it (``name_keys`` only; None: unnamed)


class RecordListener(threading.Thread):
    """``RecordListener(on_event)``: ``on_event`` runs on the listener's thread, in the
    order the server handled the events; ``name_keys`` fills ``RecordedEvent.name``."""

    def __init__(self, on_event: Callable[[RecordedEvent], None], *,
                 name_keys: bool = False) -> None:
        super().__init__(name="deskhand-record", daemon=True)
        self._on_event = on_event
        self._name_keys = name_keys
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._display_stop: Any = None
        self._context: Any = None
        self._data_socket: socket.socket | None = None
        self._abandoned = False
        self._keymap: LiveKeymap | None = None
        self._namer = KeyNamer()

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

    def abandon(self) -> None:
        """Deliver nothing more and wake the reading thread (it ends once any callback it is
        in returns): for a stop whose delivery ran past its time."""
        self._abandoned = True
        sock = self._data_socket
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed: the thread is ending anyway
                pass

    def run(self) -> None:
        from Xlib import X, display
        from Xlib.ext import record

        opened: list[Any] = []

        def connect() -> Any:
            opened.append(display.Display())
            return opened[-1]

        try:
            control, data = connect(), connect()
            self._data_socket = data.display.socket
            if self._name_keys:
                self._keymap = LiveKeymap(connect())
            if not control.has_extension("RECORD"):
                raise RuntimeError("the X server has no RECORD extension")
            # with names: keyboard remappings too, where they happen among the keys
            mapping = (X.MappingNotify,) * 2 if self._name_keys else (0, 0)
            context = control.record_create_context(0, [record.AllClients], [{
                "core_requests": (0, 0), "core_replies": (0, 0),
                "ext_requests": (0, 0, 0, 0), "ext_replies": (0, 0, 0, 0),
                "delivered_events": mapping, "device_events": (X.KeyPress, X.MotionNotify),
                "errors": (0, 0), "client_started": False, "client_died": False}])
            control.sync()
            self._display_stop, self._context = control, context
            data.record_enable_context(context, lambda reply: self._handle(data, reply))
            data.record_free_context(context)
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()
            self._display_stop = self._context = self._data_socket = None
            for connection in opened:
                try:
                    connection.close()
                except Exception:  # a connection abandon() shut: nothing left to close
                    pass

    def _handle(self, data: Any, reply: Any) -> None:
        from Xlib.ext import record
        from Xlib.protocol import rq

        if self._abandoned:
            return
        if reply.category == record.StartOfData:
            if self._keymap is not None:
                self._keymap.changed()  # read again: it may have changed since it was read
            self._ready.set()
            return
        if reply.category != record.FromServer or reply.client_swapped:
            return
        raw = reply.data
        while raw and not self._abandoned:
            event, raw = rq.EventField(None).parse_binary_value(raw, data.display, None, None)
            try:
                self._dispatch(data, event)
            except Exception:  # a callback's bug must not end the listening
                continue

    def _dispatch(self, data: Any, event: Any) -> None:
        from Xlib import X

        from agent.xtest import keysym_label

        kind = event.type & 0x7F
        if kind == X.MappingNotify:
            if self._keymap is not None:
                self._keymap.changed()
            return
        pressed = kind in (X.KeyPress, X.ButtonPress)
        where = (int(event.root_x), int(event.root_y), int(event.time))
        if kind in (X.KeyPress, X.KeyRelease):
            keysym = data.keycode_to_keysym(event.detail, int(event.state) & 1)
            label = keysym_label(int(keysym)) if keysym else f"keycode {event.detail}"
            name = self._key_name(int(event.detail), int(event.state), pressed)
            self._on_event(RecordedEvent("key", int(event.detail), label, pressed, *where, name))
        elif kind in (X.ButtonPress, X.ButtonRelease):
            self._on_event(RecordedEvent("button", int(event.detail), "", pressed, *where))
        elif kind == X.MotionNotify:
            self._on_event(RecordedEvent("motion", 0, "", False, *where))

    def _key_name(self, keycode: int, state: int, pressed: bool) -> str | None:
        if self._keymap is None:
            return None
        keymap = self._keymap.now()
        return (self._namer.press if pressed else self._namer.release)(keymap, keycode, state)
