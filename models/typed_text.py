"""What text a ``type`` (or ``shell``) action may hold: text a person can read before it runs.

The actuator types every character as the key that makes it, so a character that is no
visible text is a key press in disguise, or a way to make the text look other than what is
typed. ``check_typed`` refuses, naming the character by its code point only:

- control characters (Unicode ``Cc``: C0, DEL, C1) except tab, newline and carriage return,
  which the actuator types as Tab and Return (``agent.xtest``) and the safety gate reads as
  line ends: ``"\\x04"`` is ctrl+d, ``"\\x1b"`` starts an escape sequence, ``"\\b"`` erases
  what was just shown, ``"\\x85"`` is a newline that no newline check sees;
- the line and paragraph separators U+2028 and U+2029: line breaks that are no newline;
- the bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069):
  they reorder how the rest of the line shows ("Trojan Source", CVE-2021-42574), so the person
  approving the text reads another text than the one typed.

The one design choice a reader must know: the other invisible format characters stay
allowed — the zero-width joiner and non-joiner (emoji sequences, Persian, Indic scripts), the
left-to-right and right-to-left marks of ordinary bidirectional text, the tag characters of
flag emoji. They are part of real text, and none of them sends a key or reorders the line.
"""

from __future__ import annotations

import unicodedata

from models.errors import ActionError
from models.keys import control_chord

TYPEABLE_CONTROLS = frozenset("\t\n\r")  # control characters the actuator types as a key
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_SEPARATORS = frozenset("\u2028\u2029")


def refused(char: str) -> str | None:
    """Why ``char`` may not be typed (no raw character in the words), or None.

    >>> refused("a"), refused("\\n"), refused("\\u200d")
    (None, None, None)
    >>> refused("\\x1b"), refused("\\x85")
    ('control character U+001B (esc)', 'control character U+0085')
    >>> refused("\\u202e")
    'bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE: it reorders how the text shows)'
    """
    if char in TYPEABLE_CONTROLS:
        return None
    code = f"U+{ord(char):04X}"
    if unicodedata.category(char) == "Cc":
        chord = control_chord(char)
        return f"control character {code}" + (f" ({'+'.join(chord)})" if chord else "")
    if char in LINE_SEPARATORS:
        return f"{unicodedata.name(char).lower()} {code} (a line break that is no newline)"
    if char in BIDI_CONTROLS:
        return f"bidirectional control {code} ({unicodedata.name(char)}: it reorders how " \
               "the text shows)"
    return None


def check_typed(text: str, what: str = "type: text") -> None:
    """Raise ``ActionError`` at the first character of ``text`` that may not be typed.

    >>> check_typed("Grüße 東京 👩‍💻\\tok\\r\\n")
    >>> check_typed("a\\x00b\\x1b[31m")
    Traceback (most recent call last):
    ...
    models.actions.ActionError: type: text contains control character U+0000 (ctrl+@) at index 1
    """
    for index, char in enumerate(text):
        why = refused(char)
        if why is not None:
            raise ActionError(f"{what} contains {why} at index {index}")
