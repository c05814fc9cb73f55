"""Key names: every spelling to one canonical name, refusals, and properties over any text."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.actions import ActionError, from_json, parse_keys
from models.keys import (
    ALIASES,
    CHAR_KEYS,
    KEYSYMS,
    NAMED_KEYS,
    KeyNameError,
    control_chord,
    normalize_chord,
    normalize_key,
    pyautogui_chord,
    send_chord,
    sendable,
)
from tests.fixtures.key_spellings import SPELLINGS

CASES = [(spelling, key) for key, spellings in SPELLINGS.items() for spelling in spellings]


@pytest.mark.parametrize(("spelling", "key"), CASES, ids=[repr(s) for s, _ in CASES])
def test_every_spelling_has_one_canonical_name(spelling: str, key: str) -> None:
    assert normalize_key(spelling) == key
    assert normalize_key(key) == key  # canonical names are fixed points


REFUSED = ["", "hyper", "Hyper_L", "fn", "Fn", "XF86PowerOff", "XF86Sleep", "sleep",
           "volumeup", "playpause", "ctrl-alt-del", "ctrl+alt", "control w", "\x00", "\x03",
           "\x04", "\x17", "\x1c", "\x1f", "\x85", "\u200b", "\u202e", "ctrl\u200b",
           "c\x00trl", "\ue000", "\U000e0041", "ﬁ", "㎏", "\u0301", "  ", "\n\n", "^D",
           "C-x", "shift lock", "xyzzy", "Key.", "<>", "VK_", "f25", "f0", "num10"]


@pytest.mark.parametrize("name", REFUSED, ids=[repr(n) for n in REFUSED])
def test_what_has_no_canonical_name_is_refused(name: str) -> None:
    with pytest.raises(KeyNameError):
        normalize_key(name)
    with pytest.raises(ActionError):  # the action vocabulary refuses it too
        from_json({"type": "key", "keys": ["ctrl", name]})


@pytest.mark.parametrize("bad", [None, 5, b"ctrl", ["ctrl"], 1.5])
def test_non_strings_are_refused(bad: object) -> None:
    with pytest.raises(KeyNameError):
        normalize_key(bad)  # type: ignore[arg-type]


def test_a_control_character_names_its_chord_when_refused() -> None:
    with pytest.raises(KeyNameError, match=r"ctrl\+d"):
        normalize_key("\x04")
    assert [control_chord(chr(c)) for c in (1, 3, 4, 0x1A)] == [
        ("ctrl", "a"), ("ctrl", "c"), ("ctrl", "d"), ("ctrl", "z")]
    assert control_chord("\x1b") == ("esc",) and control_chord("\x7f") == ("delete",)
    assert control_chord("\x9b") == () and control_chord("x") == ()


def test_chords_in_text_and_lists_are_the_same_chord() -> None:
    assert parse_keys("ctrl+alt+\b") == ("ctrl", "alt", "backspace")
    assert parse_keys(["ctrl", "alt", "\b"]) == ("ctrl", "alt", "backspace")
    assert parse_keys("win+\b") == ("win", "backspace")
    assert parse_keys("Control_L+Alt_L+Delete") == ("ctrl", "alt", "delete")
    assert parse_keys("ctrl + shift + page up") == ("ctrl", "shift", "pageup")
    assert parse_keys(" Strg+Alt+Entf ") == ("ctrl", "alt", "delete")
    assert parse_keys("⌘+⌥+⎋") == ("win", "alt", "esc")
    assert parse_keys("ctrl++") == ("ctrl", "+") and parse_keys("+") == ("+",)
    assert parse_keys("alt f4") == ("alt", "f4") and parse_keys("\n") == ("enter",)
    assert parse_keys("ctrl+ ") == ("ctrl", "space")
    assert normalize_chord(["ctrl", "Control_L", "CTRL", "w"]) == ("ctrl", "w")
    with pytest.raises(KeyNameError):
        normalize_chord(["a", "b", "c", "d", "e", "f"])
    with pytest.raises(KeyNameError):
        normalize_chord(["ctrl"] * 17)
    with pytest.raises(KeyNameError):
        normalize_chord([])
    with pytest.raises(KeyNameError):
        normalize_chord("ctrl+w")  # a chord is a list; text goes through parse_keys


def test_what_the_actuator_cannot_press_is_refused_not_half_sent() -> None:
    assert send_chord(["Super_L", "\b"]) == ("win", "backspace")
    assert pyautogui_chord(["Menu", "KP_Enter", "ctrl"]) == ("apps", "enter", "ctrl")
    for unsendable in (["ctrl", "é"], ["altgr", "e"], ["F13"], ["ctrl", "ж"], ["Execute"]):
        with pytest.raises(KeyNameError, match="cannot be pressed"):
            send_chord(unsendable)
    assert all(sendable(k) for k in ("ctrl", "enter", "f12", "num0", "menu", "a", "~"))


def test_every_canonical_named_key_has_a_keysym_and_its_aliases_land_on_it() -> None:
    assert set(KEYSYMS) == NAMED_KEYS
    assert set(ALIASES.values()) <= NAMED_KEYS
    assert set(CHAR_KEYS.values()) <= NAMED_KEYS
    for key in NAMED_KEYS:
        assert normalize_key(KEYSYMS[key]) == key, key  # the X keysym name itself


# -- properties ---------------------------------------------------------------------------
VOCABULARY = sorted(NAMED_KEYS)


def _canonical(key: str) -> bool:
    if key in NAMED_KEYS:
        return True
    return len(key) == 1 and key.isprintable() and not key.isspace() and (
        unicodedata.category(key)[0] not in "CZM")


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=12) | st.characters().map(str)
       | st.sampled_from(sorted(ALIASES) + VOCABULARY + list(CHAR_KEYS)))
def test_any_text_is_a_canonical_key_or_refused(name: str) -> None:
    try:
        key = normalize_key(name)
    except KeyNameError:
        return
    assert _canonical(key), (name, key)
    assert normalize_key(key) == key


@settings(max_examples=1500, deadline=None)
@given(st.characters(max_codepoint=0x9F).filter(lambda c: unicodedata.category(c) == "Cc"))
def test_control_characters_are_a_key_or_refused_never_themselves(char: str) -> None:
    try:
        key = normalize_key(char)
    except KeyNameError:
        assert char not in CHAR_KEYS
        return
    assert key in ("backspace", "tab", "enter", "esc", "delete")


@st.composite
def respelled(draw: st.DrawFn) -> tuple[str, str]:
    """A known spelling of a key, with its letters' case, wrappers and surrounding spaces
    changed the ways models write keys."""
    key, spellings = draw(st.sampled_from(sorted(SPELLINGS.items())))
    spelling = draw(st.sampled_from(spellings))
    if len(spelling) > 1 and spelling.isascii() and spelling.strip() == spelling and \
            spelling[0] not in "<{[":
        spelling = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in spelling)
        left, right = draw(st.sampled_from([("", ""), ("<", ">"), ("{", "}"), ("[", "]")]))
        spelling = left + spelling + right
    pad = draw(st.sampled_from(["", " ", "  ", "\t"]))
    if len(spelling) > 1 or spelling in string.ascii_letters:
        spelling = pad + spelling + pad
    return spelling, key


@settings(max_examples=800, deadline=None)
@given(respelled())
def test_case_wrappers_and_whitespace_do_not_change_the_key(pair: tuple[str, str]) -> None:
    spelling, key = pair
    assert normalize_key(spelling) == key
