"""X11 keysyms → characters: X11's rules, checked against keysymdef.h itself where the
machine has it, and against the table pynput's X11 listener names characters with."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from agent.control.keysyms import keysym_char

HEADER = Path("/usr/include/X11/keysymdef.h")
DEFINE = re.compile(r"^#define XK_\w+\s+0x([0-9a-fA-F]+)\s*/\*\s*(\(?)U\+([0-9A-Fa-f]+)")


def test_latin1_and_unicode_keysyms_follow_the_rule() -> None:
    assert [keysym_char(k) for k in (0x20, 0x7E, 0xA0, 0xFF)] == [" ", "~", "\xa0", "ÿ"]
    assert [keysym_char(k) for k in (0x1F, 0x7F, 0x9F)] == [None, None, None]
    assert keysym_char(0x0100_0000 + 0x1F600) == "\U0001f600"
    assert keysym_char(0x0100_0000 + 0x10FFFF) == "\U0010ffff"
    assert [keysym_char(0x0100_0000 + c) for c in (0x7, 0x85, 0xD800)] == [None] * 3
    assert keysym_char(0x0111_0000) is None


def test_legacy_sets() -> None:
    samples = {0x01A1: "Ą", 0x02A6: "Ĥ", 0x03F2: "ō", 0x04B1: "ア", 0x05C7: "ا",
               0x06C1: "а", 0x06E1: "А", 0x06A4: "є", 0x06B0: "№", 0x07C1: "Α",
               0x07F2: "σ", 0x07F3: "ς", 0x08BC: "≤", 0x09E0: "◆", 0x0AE9: None,
               0x0CE0: "א", 0x0DA1: "ก", 0x0EA1: "ㄱ", 0x13BC: "Œ", 0x20AC: "€"}
    assert {k: keysym_char(k) for k in samples} == samples


@pytest.mark.skipif(not HEADER.exists(), reason="keysymdef.h is not installed (x11proto-dev)")
def test_every_keysym_of_the_header_types_its_character() -> None:
    """The header is the specification: each keysym it maps exactly (not in parentheses) to
    a character gives that character, whatever rule or table covers it."""
    wrong, checked = [], 0
    for line in HEADER.read_text(encoding="utf-8", errors="replace").splitlines():
        match = DEFINE.match(line)
        if match is None or match.group(2):
            continue
        keysym, code = int(match.group(1), 16), int(match.group(3), 16)
        if keysym >> 8 in (0xFE, 0xFF) or code < 0x20:
            continue  # dead keys and function keys type no character here (xkeys names them)
        checked += 1
        if keysym_char(keysym) != chr(code):
            wrong.append((hex(keysym), hex(code), keysym_char(keysym)))
    assert checked > 1500
    assert not wrong, wrong[:20]


def test_the_characters_pynput_knows_are_the_same() -> None:
    """pynput's X11 table (read as a file: importing pynput needs a display): every keysym it
    maps to a character, but two it maps wrongly, and dead keys (``xkeys`` names those)."""
    spec = importlib.util.find_spec("pynput")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "_util" / "xorg_keysyms.py"
    loaded = importlib.util.spec_from_file_location("pynput_xorg_keysyms", path)
    assert loaded is not None and loaded.loader is not None
    tables = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(tables)
    theirs = {keysym: tables.SYMBOLS[name][1] for keysym, name in tables.KEYSYMS.items()}
    pynput_mistakes = {0x010001D1: "ǒ", 0x01002248: "≅"}  # U+01D1 Ǒ and U+2248 ≈
    different = {hex(k): (keysym_char(k), c) for k, c in theirs.items()
                 if keysym_char(k) != c and k >> 8 != 0xFE and k not in pynput_mistakes}
    assert len(theirs) > 1500
    assert not different
    assert {k: keysym_char(k) for k in pynput_mistakes} == {0x010001D1: "Ǒ", 0x01002248: "≈"}
