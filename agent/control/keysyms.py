"""X11 keysyms → the character they type, by X11's own rules.

A keysym names what a key means; the character it types follows one of three rules:
Latin-1 keysyms (0x20–0x7E, 0xA0–0xFF) are their code point; keysyms 0x01000000 + a code
point stand for that code point (how every keysym newer than X11R6 is defined); the legacy
sets in between (Cyrillic 0x06xx, Greek 0x07xx, Hebrew, Thai, Kana, Technical, ...) follow
tables from keysymdef.h (``keysym_table``). Keysyms for keys that type no character (Return,
the keypad, modifiers, dead keys) give None: naming those is ``xkeys``' business.

The one design choice a reader must know: the legacy table is stored as runs and expanded
into a dictionary on first use, never at import.
"""

from __future__ import annotations

from functools import cache

UNICODE_BASE = 0x01000000


@cache
def _legacy() -> dict[int, str]:
    from agent.control.keysym_table import LEGACY_RUNS

    table: dict[int, str] = {}
    for start, chars in LEGACY_RUNS.items():
        for offset, char in enumerate(chars):
            if char != "\0":
                table[start + offset] = char
    return table


def _printable(code: int) -> bool:
    return code >= 0x20 and not 0x7F <= code <= 0x9F and not 0xD800 <= code <= 0xDFFF


def keysym_char(keysym: int) -> str | None:
    """The character a keysym types, or None.

    >>> [keysym_char(k) for k in (0x61, 0xE9, 0x06D1, 0x07E1, 0x0CE0, 0x01000439, 0x20AC)]
    ['a', 'é', 'я', 'α', 'א', 'й', '€']
    >>> [keysym_char(k) for k in (0xFF0D, 0xFFB1, 0xFE51, 0x1F, 0x06A0, 0x01000007, 0)]
    [None, None, None, None, None, None, None]
    """
    if 0x20 <= keysym <= 0x7E or 0xA0 <= keysym <= 0xFF:
        return chr(keysym)
    if UNICODE_BASE <= keysym <= UNICODE_BASE + 0x10FFFF:
        code = keysym - UNICODE_BASE
        return chr(code) if _printable(code) else None
    return _legacy().get(keysym)
