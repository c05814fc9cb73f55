"""Showing text exactly as it was written: tasks, summaries, reasoning, the model's questions.

A ``QLabel`` left in its default ``AutoText`` mode *guesses* whether its text is HTML, so the
same escaped string shows right when it happens to contain a tag and as raw entities
(``&#x27;``, ``&amp;``) when it does not, and a task such as ``press <Enter>`` can lose words.
Every label showing words from the person or the model goes through these helpers: plain
text is shown as plain text (:func:`plain_label`, :func:`set_plain`), and HTML of ours is
always marked as HTML, with the outside words escaped by :func:`html` (newlines kept).

``Bubble`` is the chat's speech bubble: it is sized from its text, so a wrapped task is never
cut to its first line, whatever the layout around it does with word-wrapped labels.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QWidget

BUBBLE_TEXT_WIDTH = 460  # the widest a bubble's text runs before it wraps, in pixels


def html(text: str) -> str:
    """Outside words made safe inside our HTML: escaped, with their line breaks.

    >>> html("it's <b> & 'more'\\nline two")
    "it's &lt;b&gt; &amp; 'more'<br>line two"
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def breakable(text: str, run: int = 24) -> str:
    """``text`` with a zero-width space in every run of ``run`` characters without a space, so
    a word-wrapped label can break a long value (a path, a typed string) instead of growing.

    >>> breakable("a " + "x" * 30, run=10).count("\u200b")
    2
    """
    return re.sub(rf"(\S{{{run}}})(?=\S)", "\\1\u200b", text)


def set_plain(label: QLabel, text: str) -> None:
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)


def set_rich(label: QLabel, markup: str) -> None:
    """Show HTML of ours (outside words in it escaped with :func:`html`)."""
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setText(markup)


def plain_label(text: str = "", parent: QWidget | None = None, *,
                wrap: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(wrap)
    set_plain(label, text)
    return label


def rich_label(markup: str = "", parent: QWidget | None = None, *,
               wrap: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(wrap)
    set_rich(label, markup)
    return label


class Bubble(QLabel):
    """A speech bubble holding ``text`` whole: as wide as its longest line up to
    ``BUBBLE_TEXT_WIDTH``, as tall as its wrapped lines (``padding`` is the style's, x and y)."""

    def __init__(self, text: str, style: str, padding: tuple[int, int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._padding = padding
        self.setWordWrap(True)
        set_plain(self, text)
        self.setStyleSheet(style)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._fit()

    def _fit(self) -> None:
        metrics = self.fontMetrics()
        lines = self.text().splitlines() or [""]
        widest = max(metrics.horizontalAdvance(line) for line in lines)
        margins = self.contentsMargins()
        px, py = self._padding
        width = min(widest, BUBBLE_TEXT_WIDTH) + 2 * px + margins.left() + margins.right() + 4
        self.setFixedWidth(width)
        self.setFixedHeight(max(self.heightForWidth(width), metrics.height() + 2 * py))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()  # the style sheet sets the font after construction
