"""Key chords that close, delete, quit, lock or log out: the ones the gate always confirms.

The one design choice a reader must know: a chord is compared as a *set* of canonical key
names (``models.actions.normalize_key``: "Control" is ctrl, "cmd"/"super" are win), and a
pressed chord is dangerous when it *contains* a dangerous one — so ``ctrl+shift+alt+w`` asks
like ``ctrl+w`` does, and any chord with ``delete`` asks. Erring towards asking is cheap; a
closed document with unsaved work is not.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.actions import normalize_key, parse_keys

# chord → what it does, for the reason shown to the person.
DANGEROUS_CHORDS: dict[str, str] = {
    "alt+f4": "closes the window",
    "ctrl+f4": "closes the tab or document",
    "ctrl+w": "closes the tab or window",
    "ctrl+q": "quits the application",
    "ctrl+shift+w": "closes the window",
    "ctrl+shift+q": "quits the application or logs out",
    "ctrl+d": "ends a terminal session (and deletes in some apps)",
    "ctrl+alt+delete": "opens the log-out / shutdown screen",
    "ctrl+alt+backspace": "kills the X server",
    "ctrl+alt+l": "locks the screen",
    "ctrl+shift+delete": "clears browsing data",
    "delete": "deletes the selection",
    "shift+delete": "deletes permanently, bypassing the trash",
    "win+l": "locks the screen",
    "win+q": "quits the application (cmd+q)",
    "win+w": "closes the window (cmd+w)",
    "win+backspace": "moves the selection to the trash (cmd+backspace)",
    "win+alt+esc": "opens force quit (cmd+option+esc)",
    "win+shift+e": "exits the session (i3/sway)",
}


class ChordTable:
    """The dangerous chords (the built-in ones plus the user's ``dangerous_keys``).

    >>> table = ChordTable(["ctrl+shift+k"])
    >>> table.match(("shift", "delete"))
    ('shift+delete', 'deletes permanently, bypassing the trash')
    >>> table.match(("k", "shift", "ctrl"))
    ('ctrl+shift+k', 'is on your list of dangerous keys')
    >>> table.match(("ctrl", "s")) is None
    True
    """

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._chords: list[tuple[frozenset[str], str, str]] = []
        for chord, what in DANGEROUS_CHORDS.items():
            self._add(chord, what)
        for chord in extra:
            self._add(chord, "is on your list of dangerous keys")
        # most specific first, so the reason names the chord that was actually pressed
        self._chords.sort(key=lambda item: -len(item[0]))

    def _add(self, chord: str, what: str) -> None:
        keys = frozenset(parse_keys(chord))
        self._chords.append((keys, "+".join(parse_keys(chord)), what))

    def match(self, keys: Iterable[str]) -> tuple[str, str] | None:
        """(the dangerous chord, what it does) contained in the pressed keys, or None.

        Raises ``ActionError`` for a key name that is not known (the gate asks then).
        """
        pressed = frozenset(normalize_key(k) for k in keys)
        for chord, name, what in self._chords:
            if chord <= pressed:
                return name, what
        return None
