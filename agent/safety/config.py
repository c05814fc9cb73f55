"""Settings of the safety gate, budgets and stall detector: the ``[safety]`` table of config.toml.

The one design choice a reader must know about the patterns: a ``deny_titles`` entry is plain
text found anywhere in the title, and a ``deny_apps`` entry is a whole app name, unless either
starts with ``re:`` (then it is a regex, searched), so that a user who writes
``Bank (Online)`` gets what they wrote; ``deny_text`` and
``password_title_patterns`` are always regular expressions. Every text comparison ignores case
(a regular expression can opt out with ``(?-i:...)``). ``TextMatcher`` is the one place that
implements this, for the config check here and for the gate.

>>> SafetyConfig(deny_text=("rm -rf", "(unclosed"))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: deny_text[1] '(unclosed' is not a valid regular expression: missing ), ...
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from agent.safety.secrets import LOGIN_WORDS, SECRET_WORDS, variants
from agent.safety.terminals import TERMINAL_APPS
from models.actions import ActionError, parse_keys

REGEX_PREFIX = "re:"

# Window titles / field names that look like a password, PIN or sign-in prompt (regexes,
# case ignored), in many languages (``agent.safety.secrets``).
PASSWORD_TITLE_PATTERNS: tuple[str, ...] = SECRET_WORDS + LOGIN_WORDS


class TextMatcher:
    """Case-insensitive patterns, each literal text or (``re:`` prefix / ``regex=True``) a regex.

    ``search`` returns the first entry (as the user wrote it) found in the text, or None;
    the text is searched as given and folded (``secrets.fold``: full-width forms, invisible
    characters, look-alike letters). With ``whole=True`` a literal entry must match the
    whole text (app names).

    >>> m = TextMatcher(("Bank (Online)", "re:^Private( |$)"))
    >>> m.search("My BANK (online) - Firefox"), m.search("Private notes"), m.search("Not Private")
    ('Bank (Online)', 're:^Private( |$)', None)
    """

    def __init__(self, entries: tuple[str, ...], regex: bool = False, name: str = "pattern",
                 whole: bool = False) -> None:
        self.entries = entries
        self._compiled: list[tuple[str, re.Pattern[str]]] = []
        for i, entry in enumerate(entries):
            self._compiled.append((entry, _compile(entry, regex, f"{name}[{i}]", whole)))

    def search(self, text: str | None) -> str | None:
        if not text:
            return None
        texts = variants(text)
        for entry, pattern in self._compiled:
            if any(pattern.search(t) for t in texts):
                return entry
        return None

    def search_any(self, texts: tuple[str, ...] | list[str]) -> tuple[str, str] | None:
        """(the first text that matches, the entry it matches), or None."""
        for text in texts:
            entry = self.search(text)
            if entry is not None:
                return text, entry
        return None


def _compile(entry: str, regex: bool, where: str, whole: bool = False) -> re.Pattern[str]:
    if not isinstance(entry, str):
        raise ValueError(f"{where} must be a string, got {entry!r}")
    source = entry
    if not regex and entry.startswith(REGEX_PREFIX):
        source, regex = entry[len(REGEX_PREFIX):], True
    if source.strip() == "":
        raise ValueError(f"{where} is empty (it would match everything)")
    if not regex:
        literal = re.escape(source.strip() if whole else source)
        return re.compile(rf"\A\s*{literal}\s*\Z" if whole else literal, re.IGNORECASE)
    try:
        return re.compile(source, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"{where} {entry!r} is not a valid regular expression: {exc}") from None


@dataclass(frozen=True)
class SafetyConfig:
    """What the gate refuses or asks about, and the budgets of an episode.

    >>> SafetyConfig().allow_shell, SafetyConfig().own_window_titles, SafetyConfig().stall_repeats
    (False, ('Deskhand',), 2)
    >>> SafetyConfig().own_window_classes, "xterm" in SafetyConfig().terminal_apps
    (('Deskhand',), True)
    >>> SafetyConfig(dangerous_keys=("ctrl+shift+k", "hyper+x"))
    Traceback (most recent call last):
    ...
    ValueError: dangerous_keys[1] 'hyper+x' is not a key chord: unknown key name 'hyper'
    """

    deny_apps: tuple[str, ...] = ()  # app / process names (WM_CLASS): whole name, case ignored
    deny_titles: tuple[str, ...] = ()  # window-title text ("re:" prefix for a regex)
    deny_text: tuple[str, ...] = ()  # regexes over typed text and shell commands → ask
    allow_shell: bool = False  # false: shell actions are blocked; true: always asked
    dangerous_keys: tuple[str, ...] = ()  # extra chords to confirm, e.g. "ctrl+shift+k"
    own_window_titles: tuple[str, ...] = ("Deskhand",)  # exact, or followed by " — ..."
    own_window_classes: tuple[str, ...] = ("Deskhand",)  # WM_CLASS class: whole, case ignored
    terminal_apps: tuple[str, ...] = TERMINAL_APPS  # Enter there runs a command: whole names
    password_title_patterns: tuple[str, ...] = PASSWORD_TITLE_PATTERNS  # regexes
    max_steps: int = 50  # steps (model proposals, parsed or not) per episode
    max_minutes: float = 30.0  # wall time per episode
    max_unparseable: int = 3  # consecutive unparseable outputs that end an episode
    stall_repeats: int = 2  # same action on an unchanged screen this many times → ask
    stall_tolerance_px: int = 3  # clicks this close (each axis) count as the same click

    def __post_init__(self) -> None:
        for name in ("deny_apps", "deny_titles", "deny_text", "dangerous_keys",
                     "own_window_titles", "own_window_classes", "terminal_apps",
                     "password_title_patterns"):
            object.__setattr__(self, name, _string_tuple(getattr(self, name), name))
        TextMatcher(self.deny_titles, name="deny_titles")
        TextMatcher(self.deny_apps, name="deny_apps", whole=True)
        TextMatcher(self.own_window_classes, name="own_window_classes", whole=True)
        TextMatcher(self.terminal_apps, name="terminal_apps", whole=True)
        TextMatcher(self.deny_text, regex=True, name="deny_text")
        TextMatcher(self.password_title_patterns, regex=True, name="password_title_patterns")
        for i, entry in enumerate(self.own_window_titles):
            if entry.strip() == "":
                raise ValueError(f"own_window_titles[{i}] is empty")
        for i, chord in enumerate(self.dangerous_keys):
            try:
                parse_keys(chord)
            except ActionError as exc:
                raise ValueError(f"dangerous_keys[{i}] {chord!r} is not a key chord: {exc}"
                                 ) from None
        _check_int("max_steps", self.max_steps, 1)
        _check_int("max_unparseable", self.max_unparseable, 1)
        _check_int("stall_repeats", self.stall_repeats, 2)
        _check_int("stall_tolerance_px", self.stall_tolerance_px, 0, 50)
        minutes = self.max_minutes
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not (
                math.isfinite(minutes) and minutes > 0):
            raise ValueError(f"max_minutes must be a positive number, got {minutes!r}")

    @property
    def max_seconds(self) -> float:
        return float(self.max_minutes) * 60.0


def _string_tuple(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{name} must be a list of strings, got {value!r}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ValueError(f"{name}[{i}] must be a string, got {item!r}")
    return tuple(value)


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        bound = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name} must be an integer {bound}, got {value!r}")
