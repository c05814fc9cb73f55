"""Read back what a window shows: every visible text as a person reads it, and every text that
does not fit its widget (cut to its first lines, elided with "…", clipped at the edge).

``shown_text(label)`` is what a label displays (rich text rendered to plain words), so a test
compares it with the string that was meant; ``problems(window)`` walks every visible widget
and names each text that is escaped (``&#x27;``, ``&amp;``, a raw tag) or does not fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QStyleOptionViewItem,
    QWidget,
)

ESCAPED = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos|nbsp);"
                     r"|</?(b|i|br|span|a|p|h\d|div|font)\b", re.IGNORECASE)
ITEM_MARGIN = 8  # what a cell keeps around its text, both sides
BUTTON_MARGIN = 6  # the least a button keeps around its words


def shown_text(label: QLabel) -> str:
    """The words the label displays."""
    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text))
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def words(text: str) -> str:
    """Whitespace folded, for comparing a shown text with its source."""
    return " ".join(text.split())


def visible_widgets(root: QWidget) -> Iterator[QWidget]:
    for widget in [root, *root.findChildren(QWidget)]:
        if widget.isVisible() and widget.width() > 0 and widget.height() > 0:
            yield widget


def visible_texts(root: QWidget) -> list[str]:
    """Every visible label's shown words and every visible cell's text."""
    found = [words(shown_text(w)) for w in visible_widgets(root) if isinstance(w, QLabel)]
    for view in (w for w in visible_widgets(root) if isinstance(w, QAbstractItemView)):
        model = view.model()
        if model is None:
            continue
        for row in range(model.rowCount(QModelIndex())):
            for column in range(_columns(model)):
                value = model.data(model.index(row, column))
                if isinstance(value, str):
                    found.append(words(value))
    return found


def _columns(model: Any) -> int:
    try:
        return int(model.columnCount(QModelIndex()))
    except TypeError:  # a list model keeps it private: one column
        return 1


def problems(root: QWidget) -> list[str]:
    """Every visible text that is escaped or does not fit (empty: all is well)."""
    found: list[str] = []
    for widget in visible_widgets(root):
        where = f"{type(widget).__name__} {widget.objectName() or ''}".strip()
        if isinstance(widget, QLabel) and widget.pixmap().isNull():
            found += _label(widget, where)
        elif isinstance(widget, QAbstractButton) and widget.text():
            text = widget.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
            need = widget.fontMetrics().horizontalAdvance(text) + BUTTON_MARGIN
            if isinstance(widget, (QCheckBox, QRadioButton)):
                need = widget.sizeHint().width()  # the box or the dot, the gap, the words
            if need > widget.width():
                found.append(f"{where} {widget.text()!r}: {widget.width()} px wide, needs "
                             f"{need}")
        elif isinstance(widget, QLineEdit) and not widget.text() and widget.placeholderText():
            need = widget.fontMetrics().horizontalAdvance(widget.placeholderText()) + 12
            if need > widget.width():
                found.append(f"{where} placeholder {widget.placeholderText()!r} is cut "
                             f"({widget.width()} px, needs {need})")
        elif isinstance(widget, QComboBox) and widget.currentText():
            if widget.sizeHint().width() > widget.width() + 1:
                found.append(f"{where} {widget.currentText()!r} is cut")
        elif isinstance(widget, QHeaderView):
            found += _header(widget, where)
        elif isinstance(widget, QAbstractItemView):
            found += _cells(widget, where)
    return found


def _label(label: QLabel, where: str) -> list[str]:
    text = shown_text(label)
    if not text.strip():
        return []
    out = []
    if ESCAPED.search(text):
        out.append(f"{where} shows escaped text: {text[:80]!r}")
    if label.wordWrap():
        need = label.heightForWidth(label.width())
        if need > label.height() + 1:
            out.append(f"{where} {text[:60]!r} is cut to {label.height()} px of {need}")
        metrics, room = label.fontMetrics(), label.contentsRect().width()
        longest = max(re.split(r"[\s\u200b]+", text), key=metrics.horizontalAdvance)
        if metrics.horizontalAdvance(longest) > room:
            out.append(f"{where} {longest[:60]!r} runs past the edge ({room} px)")
    elif label.sizeHint().width() > label.width() + 1:
        out.append(f"{where} {text[:60]!r} is cut: {label.width()} px wide, needs "
                   f"{label.sizeHint().width()}")
    return out


def _header(header: QHeaderView, where: str) -> list[str]:
    model, out = header.model(), []
    if model is None or header.orientation() != Qt.Orientation.Horizontal:
        return out
    metrics = header.fontMetrics()
    for section in range(header.count()):
        if header.isSectionHidden(section):
            continue
        text = str(model.headerData(section, Qt.Orientation.Horizontal) or "")
        if metrics.horizontalAdvance(text) + ITEM_MARGIN > header.sectionSize(section):
            out.append(f"{where} column {text!r} is cut")
    return out


def _cells(view: QAbstractItemView, where: str) -> list[str]:
    model, out = view.model(), []
    if model is None:
        return out
    viewport = view.viewport().rect()
    for row in range(model.rowCount(QModelIndex())):
        for column in range(_columns(model)):
            index = model.index(row, column)
            text = model.data(index)
            rect = view.visualRect(index)
            if not isinstance(text, str) or not text or not rect.intersects(viewport):
                continue
            option = QStyleOptionViewItem()
            view.initViewItemOption(option)
            option.rect = rect
            option.index = index
            if bool(getattr(view, "wordWrap", lambda: False)()):
                option.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
            need = view.itemDelegate().sizeHint(option, index)
            metrics = QFontMetrics(option.font)
            lines = text.splitlines() or [text]
            widest = max(metrics.horizontalAdvance(line) for line in lines)
            wrapped = bool(option.features & QStyleOptionViewItem.ViewItemFeature.WrapText)
            if need.height() > rect.height() + 1 or (not wrapped and widest > rect.width()):
                out.append(f"{where} cell {text[:50]!r} is cut ({rect.width()}x"
                           f"{rect.height()}, needs {need.width()}x{need.height()})")
    return out
