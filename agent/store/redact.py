"""Redaction for exports: text that matches the user's patterns never leaves in an export.

The ``[export]`` table turns it on and lists regular expressions; the defaults catch e-mail
addresses, long digit runs (card and phone numbers) and ``password: ...`` style pairs. Only
text fields are redacted (task, reasoning, raw output, typed text, comments); screenshots are
not — capture masks (``[capture]``) keep sensitive regions out of them in the first place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_PATTERNS = (
    r"[\w.+-]+@[\w-]+\.[\w.-]+",  # e-mail addresses
    r"\b(?:\d[ -]?){9,}\d\b",  # long digit runs: card, phone, account numbers
    r"\b(?i:password|passwd|pin|secret|token)\b\s*[:=]\s*\S+",  # key: value secrets
)
MASK = "[redacted]"


@dataclass(frozen=True)
class ExportConfig:
    redact: bool = False  # apply the patterns to every export
    patterns: tuple[str, ...] = DEFAULT_PATTERNS

    def __post_init__(self) -> None:
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"export pattern {pattern!r} is not a valid regex: {exc}"
                                 ) from None


def redactor(config: ExportConfig) -> Callable[[str], str] | None:
    """The text → text function for ``agent.store.export.export``, or None when off.

    >>> clean = redactor(ExportConfig(redact=True))
    >>> clean("mail ada@example.org, card 4111 1111 1111 1111, password: hunter2")
    'mail [redacted], card [redacted], [redacted]'
    >>> redactor(ExportConfig()) is None
    True
    """
    if not config.redact or not config.patterns:
        return None
    combined = re.compile("|".join(f"(?:{p})" for p in config.patterns))
    return lambda text: combined.sub(MASK, text)
