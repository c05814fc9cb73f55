"""The X server's keyboard mapping for naming recorded keys (``xkeys``), kept as it was when
each key was pressed.

Every client gets a MappingNotify when a keycode is remapped (xmodmap, a layout switch, the
agent borrowing a keycode to type ``é``). ``xrecord.RecordListener`` records those deliveries in
the same stream as the keys, so ``LiveKeymap`` is told of a change exactly where it happened
among them (``changed``) and reads the mapping again before naming the next key (``now``).

The one design choice a reader must know: the mapping is read again only when the stream says
it changed, never simply "now". The listener reads events later than they happen (on a loaded
machine, much later); reading the current mapping for each key would name a key pressed
before a remap by the mapping after it.
"""

from __future__ import annotations

from typing import Any

from agent.control.xkeys import Keymap


def read_keymap(display: Any) -> Keymap:
    """The core keyboard and modifier mapping of a python-xlib ``Display``."""
    first = int(display.display.info.min_keycode)
    count = int(display.display.info.max_keycode) - first + 1
    rows = display.get_keyboard_mapping(first, count)
    keysyms = {first + i: tuple(int(s) for s in row) for i, row in enumerate(rows)}
    modifiers = [tuple(int(c) for c in codes) for codes in display.get_modifier_mapping()]
    return Keymap.build(keysyms, modifiers)


class LiveKeymap:
    """``LiveKeymap(display)``: ``now()`` is the mapping, read on ``display`` (used for
    nothing else) at first and again after each ``changed()``."""

    def __init__(self, display: Any) -> None:
        self._display = display
        self._keymap = read_keymap(display)
        self._stale = False

    def changed(self) -> None:
        """The server announced a new mapping (a MappingNotify in the recorded stream)."""
        self._stale = True

    def now(self) -> Keymap:
        """The mapping since the last change; the one read before if the server cannot be
        asked (a key named by an old mapping is better than a key lost)."""
        if self._stale:
            self._stale = False
            try:
                while self._display.pending_events():  # its own MappingNotify: not needed
                    self._display.next_event()
                self._keymap = read_keymap(self._display)
            except Exception:
                pass
        return self._keymap
