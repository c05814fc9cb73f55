"""Key chords that close, delete, quit, lock, log out or leave the desktop: the gate confirms them.

The one design choice a reader must know: a chord is compared as a *set* of canonical key
names (``models.keys``: "Control_L" is ctrl, "cmd"/"super"/"⌘" are win, "\\b" is backspace),
and a pressed chord is dangerous when it *contains* a dangerous one — so ``ctrl+shift+alt+w``
asks like ``ctrl+w`` does, and any chord with ``delete`` asks. Erring towards asking is cheap;
a closed document with unsaved work is not.

``TERMINAL_CHORDS`` are dangerous only in a terminal (ctrl+c interrupts the running program
there, copies elsewhere); ``SUBMIT_CHORDS`` are the keys that run a terminal's command line.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.actions import parse_keys
from models.keys import normalize_chord

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
    # leaving or ending the desktop session
    "ctrl+alt+shift+delete": "logs out without asking (KDE)",
    "ctrl+alt+shift+pageup": "reboots without asking (KDE)",
    "ctrl+alt+shift+pagedown": "shuts down without asking (KDE)",
    **{f"ctrl+alt+f{i}": "switches to another virtual console, away from the desktop"
       for i in range(1, 13)},
    "alt+printscreen": "is Alt+SysRq, the kernel's magic SysRq keys (alt+sysrq+b reboots)",
    "ctrl+alt+esc": "runs xkill on Xfce (the next click kills a window); it is also "
                    "Deskhand's stop chord",
    "ctrl+alt+add": "changes the X server's video mode",
    "ctrl+alt+subtract": "changes the X server's video mode",
    "ctrl+alt+multiply": "kills every X client holding a grab",
    "ctrl+alt+divide": "breaks every keyboard and pointer grab",
    # running commands and killing programs
    "alt+f2": "opens the run-a-command dialog",
    "win+r": "opens the Run dialog (Windows)",
    "win+x": "opens the power-user menu (Windows)",
    "ctrl+shift+esc": "opens the task manager",
}
# chords that are harmless elsewhere but not in a terminal
TERMINAL_CHORDS: dict[str, str] = {
    "ctrl+c": "interrupts the program running in the terminal",
    "ctrl+\\": "kills the program running in the terminal (SIGQUIT)",
    "ctrl+z": "suspends the program running in the terminal",
}
# chords that run a terminal's command line
SUBMIT_CHORDS: tuple[frozenset[str], ...] = (
    frozenset({"enter"}), frozenset({"ctrl", "m"}), frozenset({"ctrl", "j"}),
    frozenset({"ctrl", "o"}),
)

# chords that open a dialog that runs the command typed into it
RUN_DIALOG_CHORDS: tuple[frozenset[str], ...] = (frozenset({"alt", "f2"}), frozenset({"win", "r"}))

Entry = tuple[frozenset[str], str, str]


def _entries(chords: Iterable[tuple[str, str]]) -> list[Entry]:
    out = [(frozenset(parse_keys(chord)), "+".join(parse_keys(chord)), what)
           for chord, what in chords]
    out.sort(key=lambda item: -len(item[0]))  # most specific first: name what was pressed
    return out


class ChordTable:
    """The dangerous chords (the built-in ones plus the user's ``dangerous_keys``).

    >>> table = ChordTable(["ctrl+shift+k"])
    >>> table.match(("shift", "delete"))
    ('shift+delete', 'deletes permanently, bypassing the trash')
    >>> table.match(("k", "shift", "ctrl"))
    ('ctrl+shift+k', 'is on your list of dangerous keys')
    >>> table.match(("ctrl", "s")) is None, table.match(("ctrl", "c")) is None
    (True, True)
    >>> table.match(("ctrl", "c"), terminal=True)
    ('ctrl+c', 'interrupts the program running in the terminal')
    """

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._chords = _entries([*DANGEROUS_CHORDS.items(),
                                 *((chord, "is on your list of dangerous keys")
                                   for chord in extra)])
        self._terminal = _entries(TERMINAL_CHORDS.items())

    def match(self, keys: Iterable[str], terminal: bool = False) -> tuple[str, str] | None:
        """(the dangerous chord, what it does) contained in the pressed keys, or None.

        Raises ``KeyNameError`` (an ``ActionError``) for a key that has no canonical name.
        """
        pressed = frozenset(normalize_chord(tuple(keys)))
        for chord, name, what in (self._terminal if terminal else []) + self._chords:
            if chord <= pressed:
                return name, what
        return None


def submits(keys: Iterable[str]) -> bool:
    """Whether pressing these (canonical) keys runs a terminal's command line.

    >>> submits(("enter",)), submits(("shift", "enter")), submits(("ctrl", "m")), submits(("m",))
    (True, True, True, False)
    """
    pressed = frozenset(keys)
    return any(chord <= pressed for chord in SUBMIT_CHORDS)


def opens_run_dialog(keys: Iterable[str]) -> bool:
    """Whether pressing these (canonical) keys opens a run-a-command dialog.

    >>> opens_run_dialog(("alt", "f2")), opens_run_dialog(("win", "r")), opens_run_dialog(("r",))
    (True, True, False)
    """
    pressed = frozenset(keys)
    return any(chord <= pressed for chord in RUN_DIALOG_CHORDS)
