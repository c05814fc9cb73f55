"""X key events → the names pynput gives the same keys (``ctrl``, ``enter``, ``A``, ``я``).

The takeover recorder reads keys from X RECORD itself (one stream with the buttons, in the
server's order; see ``record``), so it names keys here, the way pynput's X11 listener does:
the keysym at the level the event's modifier state selects — Shift for the second level, the
Mode_switch modifier (or a second XKB group) for the second pair, an empty level falling back
to the first — then a named key (``keys.pynput_name`` of pynput's ``Key`` member), a keypad
key, or the character the keysym types (``keysyms``), upper-cased under Shift. Caps Lock is
ignored, as pynput ignores it: the recorder stores the Caps Lock key itself and replay presses
it, so a letter is stored as it types without Lock (stored as it appeared, ``AB`` typed with
Caps Lock on, replay would invert it twice and type ``ab``).

Where pynput is plainly wrong this differs, on purpose:
- a modifier key is named by its own first keysym whatever the state: pynput reads Alt
  pressed after Shift as Meta_L, which it cannot name, so Alt was never held;
- a key pressed with Ctrl, Alt or Super held is read on the first group, as applications read
  a shortcut: Ctrl+C typed in a Cyrillic second group is ``c``, which the actuator can press
  on replay, not ``с``, which it refuses (pynput ignores an XKB group, so it named shortcuts
  right but typed Latin for Cyrillic; with Mode_switch it reads the second pair even then);
- Shift+Tab (ISO_Left_Tab, with or without Ctrl or Alt) is tab, so the recorder stores
  shift+tab: pynput names no key for it and the key was dropped from a correction;
- the keypad follows Num Lock as X does (XKB's KEYPAD type: the digits with Num Lock alone,
  the keys with Shift as well, Shift alone changes nothing): pynput types digits for Shift
  with Num Lock, drops the 5 with Num Lock (its first level, KP_Begin, is no keypad key to
  pynput) and types ``,`` for KP_Decimal;
- Shift Lock shifts the level as X does (pynput ignores it): the key names nothing and is
  not replayed, so what it shifted is stored as it appeared;
- dead keys without a spacing accent give None (pynput gives a lone combining mark), and
  Shift leaves a dead key as it is (pynput upper-cases dead_iota's mark into a Greek Iota);
- a character with no one-letter capital (ß) stays itself under Shift (pynput: no name);
- every legacy and Unicode keysym with a character is named (pynput's table lacks Hangul
  and a few others, and names two Unicode keysyms wrongly).

The one design choice a reader must know: a release is named as its press was, by keycode
(``KeyNamer``): while Shift is held a key's level changes, so reading the release afresh gave
another name than the press and the recorder kept Shift or Ctrl held for ever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from agent.control.keys import pynput_name
from agent.control.keysyms import keysym_char

SHIFT_MASK, LOCK_MASK, CONTROL_MASK = 0x1, 0x2, 0x4
GROUP_BITS = 0x6000  # XKB's group in a core state (bits 13–14): not the first group

# X keysym names → pynput ``Key`` member names (pynput.keyboard._xorg.Key).
_PYNPUT_KEYS = {
    "Alt_L": "alt_l", "Alt_R": "alt_r", "Mode_switch": "alt_gr", "BackSpace": "backspace",
    "Caps_Lock": "caps_lock", "Super_L": "cmd_l", "Super_R": "cmd_r", "Control_L": "ctrl_l",
    "Control_R": "ctrl_r", "Delete": "delete", "Down": "down", "End": "end", "Return": "enter",
    "Escape": "esc", "Home": "home", "Left": "left", "Next": "page_down", "Prior": "page_up",
    "Right": "right", "Shift_L": "shift_l", "Shift_R": "shift_r", "space": "space",
    "Tab": "tab", "Up": "up", "Insert": "insert", "Menu": "menu", "Num_Lock": "num_lock",
    "Pause": "pause", "Print": "print_screen", "Scroll_Lock": "scroll_lock",
    **{f"F{i}": f"f{i}" for i in range(1, 21)},
    "ISO_Left_Tab": "tab",  # Shift+Tab: not pynput's (it drops the key)
}
# Keys that are modifiers by their first keysym → their name at any level (None: unnamed).
_MODIFIER_KEYS = {
    "Shift_L": "shift", "Shift_R": "shift", "Control_L": "ctrl", "Control_R": "ctrl",
    "Alt_L": "alt", "Alt_R": "alt", "Meta_L": "alt", "Meta_R": "alt", "Super_L": "win",
    "Super_R": "win", "Caps_Lock": "capslock", "Num_Lock": "numlock", "Mode_switch": "altgr",
    "ISO_Level3_Shift": "altgr", "Hyper_L": None, "Hyper_R": None, "Shift_Lock": None,
}
# Keypad keysyms → names. KP_Begin (the 5 without Num Lock) names no key, as in pynput.
_KEYPAD = {
    **{f"KP_{d}": str(d) for d in range(10)}, "KP_Add": "+", "KP_Subtract": "-",
    "KP_Multiply": "*", "KP_Divide": "/", "KP_Equal": "=", "KP_Decimal": ".",
    "KP_Separator": ",", "KP_Enter": "enter", "KP_Tab": "tab", "KP_Space": "space",
    "KP_Home": "home", "KP_End": "end", "KP_Up": "up", "KP_Down": "down", "KP_Left": "left",
    "KP_Right": "right", "KP_Prior": "pageup", "KP_Next": "pagedown", "KP_Insert": "insert",
    "KP_Delete": "delete", **{f"KP_F{i}": f"f{i}" for i in range(1, 5)},
}
# Dead keys → the spacing accent pynput reports for them.
_DEAD = {
    "dead_grave": "`", "dead_acute": "\u00b4", "dead_circumflex": "^", "dead_tilde": "~",
    "dead_macron": "\u00af", "dead_breve": "\u02d8", "dead_abovedot": "\u02d9",
    "dead_diaeresis": "\u00a8", "dead_abovering": "\u02da", "dead_doubleacute": "\u02dd",
    "dead_caron": "\u02c7", "dead_cedilla": "\u00b8", "dead_ogonek": "\u02db",
    "dead_iota": "\u037a", "dead_lowline": "_",
}
_NOT_IN_XLIB = {"dead_lowline": 0xFE90}  # keysyms python-xlib 0.33 cannot name


def _is_keypad(keysym: int) -> bool:
    return 0xFF80 <= keysym <= 0xFFBD  # X's IsKeypadKey


@cache
def _tables() -> tuple[dict[int, str | None], dict[int, str | None], dict[int, str]]:
    """(named keys, modifier keys, keypad and dead keys) by keysym, resolved once."""
    from Xlib import XK

    XK.load_keysym_group("xkb")  # ISO_Level3_Shift, the dead keys

    def keysym(name: str) -> int:
        value = int(XK.string_to_keysym(name)) or _NOT_IN_XLIB.get(name, 0)
        if not value:
            raise LookupError(f"python-xlib has no keysym {name!r}")
        return value

    named = {keysym(x): pynput_name(member) for x, member in _PYNPUT_KEYS.items()}
    modifiers = {keysym(x): name for x, name in _MODIFIER_KEYS.items()}
    chars = {keysym(x): name for x, name in (*_KEYPAD.items(), *_DEAD.items())}
    return named, modifiers, chars


@dataclass(frozen=True)
class Keymap:
    """The server's core keyboard mapping: each keycode's keysyms (core order: level 1 and 2
    of group 1, then of group 2, ...) and the modifier bits that lock or shift levels."""

    keysyms: Mapping[int, Sequence[int]]
    mode_switch: int = 0  # the modifier bits holding Mode_switch (select group 2)
    num_lock: int = 0
    shift_lock: int = 0  # LOCK_MASK when the Lock modifier is Shift Lock
    shortcut: int = CONTROL_MASK  # the bits of Control, Alt and Super: a shortcut is held

    @classmethod
    def build(cls, keysyms: Mapping[int, Sequence[int]],
              modifiers: Sequence[Sequence[int]]) -> Keymap:
        """From ``keysyms`` and the 8 modifiers' keycodes (Shift, Lock, Control, Mod1–5)."""
        from Xlib import XK

        def bits(*names: str) -> int:
            wanted = {int(XK.string_to_keysym(name)) for name in names}
            return sum(1 << index for index, codes in enumerate(modifiers)
                       if any(wanted & set(keysyms.get(code, ())) for code in codes if code))

        mode_switch, num_lock = bits("Mode_switch"), bits("Num_Lock")
        shortcut = CONTROL_MASK | bits("Alt_L", "Alt_R", "Meta_L", "Meta_R", "Super_L",
                                       "Super_R")
        return cls(keysyms, mode_switch, num_lock, bits("Shift_Lock") & LOCK_MASK,
                   shortcut & ~(mode_switch | num_lock))

    def level(self, keycode: int, index: int) -> int:
        """The keysym at core index ``index``; an empty one falls back to the first group,
        then to the first level (pynput's and Xlib's rule)."""
        syms = self.keysyms.get(keycode, ())
        while True:
            if index < len(syms) and syms[index]:
                return int(syms[index])
            if index & 2:
                index &= ~2
            elif index & 1:
                index &= ~1
            else:
                return 0


def key_name(keymap: Keymap, keycode: int, state: int) -> str | None:
    """The name pynput gives the key ``keycode`` pressed in modifier ``state`` (see the
    module doc for where it differs); None for a key it cannot name."""
    named, modifiers, chars = _tables()
    first = next((int(s) for s in keymap.keysyms.get(keycode, ()) if s), 0)
    if first in modifiers:
        return modifiers[first]
    shift = bool(state & SHIFT_MASK or state & keymap.shift_lock)
    group = 2 if state & keymap.mode_switch or state & GROUP_BITS else 0
    if group and state & keymap.shortcut and keymap.level(keycode, 0):
        group = 0  # a shortcut is read on the first group, as applications read it
    level = int(shift)
    if _is_keypad(keymap.level(keycode, group + 1)):  # XKB's KEYPAD type: Num Lock alone
        level = int(bool(state & keymap.num_lock) and not shift)  # gives the second level
    keysym = keymap.level(keycode, group + level)
    if keysym in named:
        return named[keysym]
    char = chars.get(keysym) if keysym in chars else keysym_char(keysym)
    if char is None or _is_keypad(keysym) or keysym >> 8 == 0xFE:
        return char
    cased = char.upper() if shift else char
    return cased if len(cased) == 1 else char


class KeyNamer:
    """Names presses and releases; a release gets the name its press got (by keycode), so
    a key released under another level (Shift let go first, Alt after Shift) is released
    under the name it was pressed with."""

    def __init__(self) -> None:
        self._down: dict[int, str | None] = {}

    def press(self, keymap: Keymap, keycode: int, state: int) -> str | None:
        name = key_name(keymap, keycode, state)
        self._down[keycode] = name
        return name

    def release(self, keymap: Keymap, keycode: int, state: int) -> str | None:
        if keycode in self._down:
            return self._down.pop(keycode)
        return key_name(keymap, keycode, state)  # pressed before we listened
