"""Key names: one canonical name for every spelling of a key a model, a replay or a person writes.

A model may say ``Control``, ``ctrl_l``, ``Control_L`` (an X keysym), ``ControlLeft`` (a W3C
code), ``<ctrl>`` (pynput), ``{CTRL}``, ``⌃``, ``Strg`` (a German keycap) — or send ``"\\b"``,
``"\\n"``, ``"\\x1b"`` as a key. ``normalize_key`` maps each to one canonical name (the
pyautogui spelling: ``ctrl``, ``enter``, ``backspace``, ``a``, ``f4``, ``num0``), each of which
is exactly one X keysym (``KEYSYMS``). What has no canonical name raises ``KeyNameError``.

The one design choice a reader must know: the safety gate and the actuator use the *same*
function on the *same* keys — the gate decides on ``send_chord(keys)``, the actuator presses
``pyautogui_chord(keys)``, which is ``send_chord`` spelled for pyautogui — so no spelling can
look harmless to the gate and do harm on the desktop. A key the actuator cannot press (AltGr,
``é``, media keys) is refused by both, never half-sent.

Control characters are not key names, except those that *are* a key on every keyboard:
``\\b`` backspace, ``\\t`` tab, ``\\n`` / ``\\r`` enter, ``\\x1b`` esc, ``\\x7f`` delete.
``control_chord`` says which chord any control character is (``"\\x04"`` is ctrl+d), for the
gate's check of typed text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from models.errors import ActionError


class KeyNameError(ActionError):
    """A key name (or chord) that has no canonical spelling, or that cannot be pressed."""


# canonical named key → the X keysym it is (what the actuator presses on X11)
KEYSYMS: dict[str, str] = {
    "enter": "Return", "esc": "Escape", "tab": "Tab", "space": "space",
    "backspace": "BackSpace", "delete": "Delete", "insert": "Insert", "home": "Home",
    "end": "End", "pageup": "Prior", "pagedown": "Next", "up": "Up", "down": "Down",
    "left": "Left", "right": "Right", "ctrl": "Control_L", "alt": "Alt_L",
    "shift": "Shift_L", "win": "Super_L", "altgr": "ISO_Level3_Shift",
    "capslock": "Caps_Lock", "numlock": "Num_Lock", "scrolllock": "Scroll_Lock",
    "printscreen": "Print", "pause": "Pause", "menu": "Menu", "help": "Help",
    "select": "Select", "execute": "Execute",
    **{f"f{i}": f"F{i}" for i in range(1, 25)},
    **{f"num{i}": f"KP_{i}" for i in range(10)},
    "add": "KP_Add", "subtract": "KP_Subtract", "multiply": "KP_Multiply",
    "divide": "KP_Divide", "decimal": "KP_Decimal", "separator": "KP_Separator",
}
NAMED_KEYS = frozenset(KEYSYMS)
MODIFIER_KEYS = frozenset({"ctrl", "alt", "shift", "win", "altgr"})

# Spellings of named keys, written squashed (lower case, no ' ', '_', '-'): pyautogui's names,
# X keysyms, W3C key/code values, pynput's, Windows VK_ names, Mac words, keycap legends.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "ctrl": ("control", "ctl", "ctrll", "ctrlr", "controll", "controlr", "ctrlleft",
             "ctrlright", "controlleft", "controlright", "lctrl", "rctrl", "leftctrl",
             "rightctrl", "lcontrol", "rcontrol", "leftcontrol", "rightcontrol", "strg",
             "lctl", "rctl", "ctrlkey", "controlkey"),
    "alt": ("option", "opt", "altl", "altr", "altleft", "altright", "lalt", "ralt", "leftalt",
            "rightalt", "optionleft", "optionright", "leftoption", "rightoption", "lmenu",
            "rmenu", "alternate", "altkey"),
    "shift": ("shiftl", "shiftr", "shiftleft", "shiftright", "lshift", "rshift", "leftshift",
              "rightshift", "umschalt", "maj", "mayús", "mayus", "maiusc", "shiftkey"),
    "win": ("super", "superl", "superr", "meta", "metal", "metar", "metaleft", "metaright",
            "cmd", "cmdl", "cmdr", "command", "commandleft", "commandright", "cmdleft",
            "cmdright", "windows", "winleft", "winright", "lwin", "rwin", "leftwin",
            "rightwin", "os", "osleft", "osright", "superleft", "superright", "lsuper",
            "rsuper", "windowskey", "winkey", "superkey", "start", "logo", "gui"),
    "altgr": ("altgraph", "isolevel3shift", "modeswitch", "rightaltgr"),
    "enter": ("return", "ret", "kpenter", "numpadenter", "newline", "linefeed", "cr", "lf",
              "eingabe", "entrée", "entree", "intro", "invio", "carriagereturn"),
    "esc": ("escape", "échap", "echap", "esc", "escapekey"),
    "tab": ("isolefttab", "kptab", "tabulator", "tabulation", "tabkey"),
    "space": ("spacebar", "kpspace", "leertaste", "espace", "espacio", "spazio"),
    "backspace": ("bksp", "bs", "back", "rubout", "rücktaste", "ruecktaste", "retroceso",
                  "retourarrière", "backspacekey"),
    "delete": ("del", "kpdelete", "numpaddelete", "forwarddelete", "fwddelete", "entf",
               "suppr", "supr", "canc", "deletekey"),
    "insert": ("ins", "kpinsert", "numpadinsert", "einfg", "inser", "insertar"),
    "home": ("kphome", "numpadhome", "pos1", "début", "inicio"),
    "end": ("kpend", "numpadend", "ende", "fin", "fine"),
    "pageup": ("pgup", "prior", "kpprior", "kppageup", "numpadpageup", "bildauf", "repág",
               "repag", "pagup", "pageupkey"),
    "pagedown": ("pgdn", "pgdown", "next", "kpnext", "kppagedown", "numpadpagedown", "bildab",
                 "avpág", "avpag", "pagdown", "pagedownkey"),
    "up": ("arrowup", "uparrow", "kpup", "numpadup", "upkey"),
    "down": ("arrowdown", "downarrow", "kpdown", "numpaddown", "downkey"),
    "left": ("arrowleft", "leftarrow", "kpleft", "numpadleft", "leftkey"),
    "right": ("arrowright", "rightarrow", "kpright", "numpadright", "rightkey"),
    "capslock": ("caps", "capital", "verrmaj", "bloqmayús", "bloqmayus", "feststell"),
    "numlock": ("numlk", "verrnum", "bloqnum"),
    "scrolllock": ("scrlk", "scroll", "rollen"),
    "printscreen": ("print", "prtsc", "prtscr", "prntscrn", "printscrn", "sysrq", "sysreq",
                    "snapshot", "druck", "impr", "imprpant"),
    "pause": ("break", "pausebreak"),
    "menu": ("apps", "contextmenu", "application", "applications", "props"),
    "add": ("kpadd", "numpadadd", "kpplus", "numpadplus"),
    "subtract": ("kpsubtract", "numpadsubtract", "kpminus", "numpadminus"),
    "multiply": ("kpmultiply", "numpadmultiply"),
    "divide": ("kpdivide", "numpaddivide"),
    "decimal": ("kpdecimal", "numpaddecimal"),
    "separator": ("kpseparator", "numpadcomma", "numpadseparator"),
}
ALIASES: dict[str, str] = {spelling: key for key, spellings in _SPELLINGS.items()
                           for spelling in spellings}
KEY_ALIASES = ALIASES  # the old name, kept for callers

# X keysym / W3C names of printable keys → the character.
_CHAR_NAMES: dict[str, str] = {
    "exclam": "!", "at": "@", "numbersign": "#", "dollar": "$", "percent": "%",
    "asciicircum": "^", "ampersand": "&", "asterisk": "*", "parenleft": "(",
    "parenright": ")", "minus": "-", "underscore": "_", "equal": "=", "plus": "+",
    "bracketleft": "[", "bracketright": "]", "braceleft": "{", "braceright": "}",
    "backslash": "\\", "bar": "|", "semicolon": ";", "colon": ":", "apostrophe": "'",
    "quoteright": "'", "quotedbl": '"', "grave": "`", "quoteleft": "`", "asciitilde": "~",
    "comma": ",", "less": "<", "period": ".", "greater": ">", "slash": "/",
    "question": "?", "quote": "'", "backquote": "`", "hyphen": "-", "dash": "-",
    "kpequal": "=", "numpadequal": "=", "dot": ".",
}
# Single characters that name a key: control characters that are keys, and Mac/keycap symbols.
CHAR_KEYS: dict[str, str] = {
    "\b": "backspace", "\t": "tab", "\n": "enter", "\r": "enter", "\x1b": "esc",
    "\x7f": "delete", " ": "space",
    "⌘": "win", "⌥": "alt", "⇧": "shift", "⌃": "ctrl", "⏎": "enter", "↵": "enter",
    "↩": "enter", "⌤": "enter", "⌫": "backspace", "⌦": "delete", "⎋": "esc", "⇥": "tab",
    "⇤": "tab", "⇪": "capslock", "←": "left", "↑": "up", "→": "right", "↓": "down",
    "⇞": "pageup", "⇟": "pagedown", "↖": "home", "↘": "end", "␣": "space", "⎀": "insert",
    "⎙": "printscreen", "⌧": "delete",
}
_FUNCTION = re.compile(r"f0*([1-9]|1[0-9]|2[0-4])")
_NUMPAD = re.compile(r"(?:kp|numpad|num|keypad)([0-9])")
_W3C_CHAR = re.compile(r"(?:key([a-z])|digit([0-9]))")
_WRAPPERS = (("<", ">"), ("{", "}"), ("[", "]"))
_PREFIXES = ("key.", "key_", "keycode.", "vk_", "xk_", "keys.")
MAX_CHORD = 5  # different keys in one chord
MAX_NAMES = 16  # names in one chord, repeats included

# What pyautogui can press (its X11 keyboard map, keysyms found on a common keymap), in
# canonical names. The actuator refuses the rest instead of silently pressing half a chord.
_PYAUTOGUI_NAME = {"menu": "apps"}
_UNSENDABLE = frozenset({"altgr", "select", "execute", "separator",
                         *(f"f{i}" for i in range(13, 25))})
_SENDABLE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789"
                            "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def describe(value: object) -> str:
    """``repr`` of a value, cut to a length an error message can carry (a model can write a
    key name or a text of any length).

    >>> describe("ctrl"), describe("a" * 100)[-16:]
    ("'ctrl'", '(102 characters)')
    """
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def normalize_key(name: str) -> str:
    """The canonical name of one key, or ``KeyNameError``.

    >>> [normalize_key(k) for k in ("Control", "Return", "A", "F5", " Page_Down ", "<esc>")]
    ['ctrl', 'enter', 'a', 'f5', 'pagedown', 'esc']
    >>> [normalize_key(k) for k in ("\\b", "\\n", "Super_L", "⌘", "Strg", "ＷＩＮ", "KP_0")]
    ['backspace', 'enter', 'win', 'win', 'ctrl', 'win', 'num0']
    >>> normalize_key("\\x04")
    Traceback (most recent call last):
    ...
    models.keys.KeyNameError: '\\x04' is a control character (ctrl+d), not a key name
    """
    if not isinstance(name, str) or name == "":
        raise KeyNameError(f"key name must be a non-empty string, got {describe(name)}")
    if len(name) == 1:
        return _one_char(name, name)
    text = unicodedata.normalize("NFKC", name).strip()
    if len(text) == 1:
        return _one_char(text, name)
    if text == "" or any(unicodedata.category(c)[0] in "CZ" and c != " " for c in text):
        raise KeyNameError(f"unknown key name {describe(name)}")
    low = text.lower()
    for start, end in _WRAPPERS:
        if low.startswith(start) and low.endswith(end) and len(low) > 2:
            low = low[1:-1].strip()
            break
    for prefix in _PREFIXES:
        if low.startswith(prefix) and len(low) > len(prefix):
            low = low[len(prefix):]
            if prefix == "vk_" and low in ("menu", "lmenu", "rmenu"):
                return "alt"  # Windows calls Alt "VK_MENU"
            break
    if len(low) == 1:
        return _one_char(low, name)
    found = _named(re.sub(r"[\s_\-]+", "", low))
    if found is None:
        raise KeyNameError(f"unknown key name {describe(name)}")
    return found


def _named(squashed: str) -> str | None:
    if squashed in NAMED_KEYS:
        return squashed
    if squashed in ALIASES:
        return ALIASES[squashed]
    if squashed in _CHAR_NAMES:
        return _CHAR_NAMES[squashed]
    for pattern, template in ((_FUNCTION, "f{}"), (_NUMPAD, "num{}")):
        match = pattern.fullmatch(squashed)
        if match:
            return template.format(match.group(1))
    match = _W3C_CHAR.fullmatch(squashed)
    if match:
        return match.group(1) or match.group(2)
    if squashed.endswith("key") and len(squashed) > 3:
        return _named(squashed[:-3])
    return None


def _one_char(char: str, original: str) -> str:
    if char in CHAR_KEYS:
        return CHAR_KEYS[char]
    category = unicodedata.category(char)
    if category == "Cc":
        chord = control_chord(char)
        what = f" ({'+'.join(chord)})" if chord else ""
        raise KeyNameError(f"{describe(original)} is a control character{what}, "
                           "not a key name")
    if char.isspace():
        return "space"
    if category[0] in "CZ" or category[0] == "M":  # format, private, unassigned, marks, lines
        raise KeyNameError(f"unknown key name {describe(original)}")
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1:
        raise KeyNameError(f"unknown key name {describe(original)}")
    if folded != char:
        return _one_char(folded, original)
    lower = char.lower()
    return lower if len(lower) == 1 else char


def control_chord(char: str) -> tuple[str, ...]:
    """The key or chord a control character is, as a terminal reads it (() if none).

    >>> control_chord("\\x04"), control_chord("\\x03"), control_chord("\\x1b"), control_chord("\\n")
    (('ctrl', 'd'), ('ctrl', 'c'), ('esc',), ('enter',))
    >>> control_chord("\\x00"), control_chord("\\x1c"), control_chord("\\x85"), control_chord("a")
    (('ctrl', '@'), ('ctrl', '\\\\'), (), ())
    """
    if char in ("\b", "\t", "\n", "\r", "\x1b", "\x7f"):
        return (CHAR_KEYS[char],)
    code = ord(char) if len(char) == 1 else -1
    if 0 <= code < 0x20:
        return ("ctrl", chr(code + 0x40).lower())
    return ()


def normalize_chord(keys: Iterable[str] | str) -> tuple[str, ...]:
    """Canonical names of a chord's keys, each once, in order; ``KeyNameError`` if any key has
    none, or for an empty or implausibly long chord.

    >>> normalize_chord(["Control_L", "ALT", "\\b"])
    ('ctrl', 'alt', 'backspace')
    >>> normalize_chord(("ctrl", "Control", "w"))
    ('ctrl', 'w')
    """
    if isinstance(keys, str) or not isinstance(keys, Iterable):
        raise KeyNameError(f"a chord is a list of key names, got {describe(keys)}")
    names = list(keys)
    if not names:
        raise KeyNameError("no keys given")
    out: list[str] = []
    for name in names[:MAX_NAMES + 1]:
        key = normalize_key(name)
        if key not in out:
            out.append(key)
    if len(names) > MAX_NAMES or len(out) > MAX_CHORD:
        raise KeyNameError(f"a chord of {max(len(names), len(out))} keys is not plausible")
    return tuple(out)


def sendable(key: str) -> bool:
    """Whether the actuator can press this canonical key (pyautogui's X11 keyboard map)."""
    if key in NAMED_KEYS:
        return key not in _UNSENDABLE
    return key in _SENDABLE_CHARS


def send_chord(keys: Iterable[str] | str) -> tuple[str, ...]:
    """``normalize_chord``, refusing a key the actuator cannot press: what the gate decides on.

    >>> send_chord(["win", "\\b"])
    ('win', 'backspace')
    >>> send_chord(["ctrl", "é"])
    Traceback (most recent call last):
    ...
    models.keys.KeyNameError: key 'é' cannot be pressed by the actuator (type it instead)
    """
    chord = normalize_chord(keys)
    for key in chord:
        if not sendable(key):
            raise KeyNameError(f"key {key!r} cannot be pressed by the actuator "
                               "(type it instead)")
    return chord


def pyautogui_name(key: str) -> str:
    """pyautogui's spelling of a canonical key (they differ only for the menu key)."""
    return _PYAUTOGUI_NAME.get(key, key)


def pyautogui_chord(keys: Iterable[str] | str) -> tuple[str, ...]:
    """``send_chord`` in pyautogui's spelling: what the actuator presses.

    >>> pyautogui_chord(["Super", "Menu", "KP_Enter"])
    ('win', 'apps', 'enter')
    """
    return tuple(pyautogui_name(key) for key in send_chord(keys))
