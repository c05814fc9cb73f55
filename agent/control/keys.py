"""Key names between pynput and Deskhand's action vocabulary, and the hotkey-combo syntax.

pynput reports keys as ``Key`` members (``Key.ctrl_l``, ``Key.page_up``) or ``KeyCode``s with a
character (possibly a control character when Ctrl is held) or only a virtual key code.
``key_name`` turns either into the canonical names of ``models.actions`` (``ctrl``,
``pageup``, ``s``) so the takeover detector and the recorder speak the actions' language.
``parse_combo`` validates pynput's hotkey syntax without importing pynput (it needs a display).
"""

from __future__ import annotations

from typing import Any

from models.actions import ActionError, normalize_key

# Names of pynput's ``Key`` members (pynput.keyboard._base.Key), left/right variants folded.
PYNPUT_KEYS = frozenset({
    "alt", "alt_l", "alt_r", "alt_gr", "backspace", "caps_lock", "cmd", "cmd_l", "cmd_r",
    "ctrl", "ctrl_l", "ctrl_r", "delete", "down", "end", "enter", "esc", "home", "left",
    "page_down", "page_up", "right", "shift", "shift_l", "shift_r", "space", "tab", "up",
    "insert", "menu", "num_lock", "pause", "print_screen", "scroll_lock",
    "media_play_pause", "media_volume_mute", "media_volume_down", "media_volume_up",
    "media_previous", "media_next", *(f"f{i}" for i in range(1, 21)),
})
_SPECIAL = {"alt_gr": "altgr", "cmd": "win", "num_lock": "numlock",
            "scroll_lock": "scrolllock", "print_screen": "printscreen"}


def pynput_name(name: str) -> str | None:
    """A pynput ``Key`` member's name → the canonical key name, or None (media keys).

    >>> [pynput_name(n) for n in ("ctrl_l", "page_up", "alt_gr", "cmd_r", "esc", "media_next")]
    ['ctrl', 'pageup', 'altgr', 'win', 'esc', None]
    """
    if name.endswith(("_l", "_r")) and name[:-2] in PYNPUT_KEYS:
        name = name[:-2]
    if name in _SPECIAL:
        return _SPECIAL[name]
    try:
        return normalize_key(name)
    except ActionError:
        return None


def key_name(key: Any) -> str | None:
    """A pynput key object → ``(canonical name)``; characters stay as typed (``'A'``).

    Ctrl+letter may arrive as a control character; it is mapped back to the letter.
    Keys with neither a name nor a character (a borrowed keycode) give None.
    """
    name = getattr(key, "name", None)
    if isinstance(name, str):
        return pynput_name(name)
    char = getattr(key, "char", None)
    if isinstance(char, str) and len(char) == 1:
        if ord(char) < 32:
            return chr(ord(char) + 96)
        return char
    return None


def parse_combo(combo: str) -> tuple[str, ...]:
    """Validate a hotkey in pynput's syntax and return its parts.

    Parts are joined by ``+``: a single character, a ``<name>`` of a pynput key, or a
    ``<vk>`` number. The same part may not appear twice.

    >>> parse_combo("<ctrl>+<alt>+<esc>")
    ('<ctrl>', '<alt>', '<esc>')
    >>> parse_combo("<ctrl>+<shift>+q")
    ('<ctrl>', '<shift>', 'q')
    >>> parse_combo("<ctrl>+<escape>")
    Traceback (most recent call last):
    ...
    ValueError: hotkey '<ctrl>+<escape>': unknown key '<escape>' (pynput names: <alt>, <esc>, ...)
    >>> parse_combo("ctrl+alt")
    Traceback (most recent call last):
    ...
    ValueError: hotkey 'ctrl+alt': 'ctrl' is neither one character nor a <name>
    """
    if not isinstance(combo, str) or not combo.strip():
        raise ValueError("hotkey must be a non-empty string such as '<ctrl>+<alt>+<esc>'")
    parts: list[str] = []
    start = 0
    for i, char in enumerate(combo):  # a '+' right after a separator is the '+' key
        if char == "+" and i != start:
            parts.append(combo[start:i])
            start = i + 1
    if start == len(combo):
        raise ValueError(f"hotkey {combo!r} ends with '+'")
    parts.append(combo[start:])
    for part in parts:
        if len(part) == 1:
            continue
        if len(part) > 2 and part[0] == "<" and part[-1] == ">":
            inner = part[1:-1].lower()
            if inner in PYNPUT_KEYS or inner.isdigit():
                continue
            raise ValueError(f"hotkey {combo!r}: unknown key {part!r} "
                             "(pynput names: <alt>, <esc>, ...)")
        raise ValueError(f"hotkey {combo!r}: {part!r} is neither one character nor a <name>")
    lowered = [p.lower() for p in parts]
    if len(set(lowered)) != len(lowered):
        raise ValueError(f"hotkey {combo!r} names a key twice")
    return tuple(parts)
