"""The X server's keyboard mapping as it is now, for naming recorded keys (``xkeys``).

``LiveKeymap`` reads the mapping on an X connection of its own and reads it again whenever
the server announces a change: every client gets a MappingNotify when a keycode is remapped
(xmodmap, a layout switch, the agent borrowing a keycode to type ``é``).

The one design choice a reader must know: ``now()`` makes one round trip before answering.
The server handled any remapping before the key event that asks, and sent its MappingNotify
then; after the round trip that notice has surely arrived, so a key pressed right after a
remap is named by the new mapping, never the old one.
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
    """``LiveKeymap(display).now()``: the mapping, re-read after any MappingNotify. Use the
    display for nothing else (its events are read and dropped here)."""

    def __init__(self, display: Any) -> None:
        self._display = display
        self._keymap = read_keymap(display)

    def now(self) -> Keymap:
        """The mapping now; the one last read if the server cannot be asked (a key named by
        a stale mapping is better than a key lost)."""
        from Xlib import X

        try:
            self._display.sync()
            changed = False
            while self._display.pending_events():
                changed |= self._display.next_event().type == X.MappingNotify
            if changed:
                self._keymap = read_keymap(self._display)
        except Exception:
            pass
        return self._keymap
