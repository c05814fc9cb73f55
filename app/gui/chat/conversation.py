"""The conversation: earlier episodes from the store (``past.py``), then each task the person
gave in this session, followed by its episode — the live reasoning while the agent thinks, a
card per step, the outcome (with a link to it in History), and a rating of the whole episode.

The one design choice a reader must know: tokens are appended to the live box in batches
(``flush`` on a short timer, driven by the page), so a model streaming hundreds of tokens a
second never makes the UI thread lay text out hundreds of times a second.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.gui.chat.cards import KeepReturn, StepCard, keep_return
from app.gui.chat.past import PAST_LIMIT, PastEpisode, history_link
from app.gui.chat.worker import StepEvent
from app.gui.history.data import EpisodeRow
from app.gui.widgets.rating import RatingBar
from app.gui.widgets.text import Bubble, html, rich_label

STATUS_WORDS = {"done": ("Done", "#2e7d32"), "failed": ("Failed", "#c62828"),
                "stopped": ("Stopped", "#b35c00"), "interrupted": ("Interrupted", "#b35c00")}


class EpisodeBlock(QFrame):
    """One task and its episode."""

    episode_rated = Signal(int, str, object, object)  # episode id, kind, value, comment
    show_in_history = Signal(int)  # episode id

    def __init__(self, task: str, keeper: KeepReturn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keeper = keeper
        self.episode_id: int | None = None
        self.cards: list[StepCard] = []
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 6, 0, 10)
        self.layout_.setSpacing(6)
        self.task = Bubble(task, "background: palette(highlight); color: palette(highlighted-"
                           "text); border-radius: 10px; padding: 8px 12px; font-size: 14px;",
                           (12, 8), self)
        self.layout_.addWidget(self.task, 0, Qt.AlignmentFlag.AlignRight)
        self.live = QPlainTextEdit()
        self.live.setReadOnly(True)
        self.live.setPlaceholderText("The agent's reasoning appears here as it thinks…")
        self.live.setMaximumHeight(110)
        self.live.setAccessibleName("Live reasoning")
        self.live.setStyleSheet("QPlainTextEdit { border: 1px dashed palette(mid); "
                                "border-radius: 6px; color: palette(dark); }")
        self.live.hide()  # shown with the first token of a thought
        self.layout_.addWidget(self.live)
        self.outcome = rich_label(wrap=True)
        self.outcome.linkActivated.connect(
            lambda href: self.show_in_history.emit(int(href.split(":", 1)[1])))
        self.outcome.hide()
        self.layout_.addWidget(self.outcome)
        # RatingBar's own title shows a stray top-level label while it is built (it steals
        # the window's activation), so the caption is a label of ours
        self.rating = RatingBar()
        self.rating.setAccessibleName("Rating of the whole episode")
        self.rating.setEnabled(False)
        self.rating.setToolTip("Grade the whole episode (during the run or after it). "
                               + self.rating.toolTip())
        keep_return(self.rating.comment, keeper)
        self.rating.rated.connect(self._episode_rated)
        caption = QLabel("<b>The whole episode:</b>")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(caption)
        row.addWidget(self.rating, 1)
        self.layout_.addLayout(row)
        self._pending = ""

    def started(self, episode_id: int) -> None:
        self.episode_id = episode_id
        self.rating.setEnabled(True)

    def token(self, piece: str) -> None:
        self._pending += piece

    def flush(self) -> None:
        if self._pending:
            cursor = self.live.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(self._pending)
            self._pending = ""
            self.live.setTextCursor(cursor)
            self.live.ensureCursorVisible()
            self.live.show()

    def live_text(self) -> str:
        return self.live.toPlainText() + self._pending

    def new_thought(self) -> None:
        """A new proposal starts: the live box begins again."""
        self.flush()
        self.live.clear()
        self.live.hide()

    def add_step(self, event: StepEvent) -> StepCard:
        card = StepCard(event, self.keeper)
        self.layout_.insertWidget(self.layout_.indexOf(self.live), card)
        self.cards.append(card)
        return card

    def add_note(self, text: str, colour: str = "#b35c00") -> QLabel:
        """A line from the agent (blocked action, budget reached, ...) in the conversation."""
        note = rich_label(f"<span style='color:{colour}'>{html(text)}</span>", wrap=True)
        self.layout_.insertWidget(self.layout_.indexOf(self.live), note)
        return note

    def finish(self, status: str, summary: str) -> None:
        self.flush()
        self.live.hide()
        word, colour = STATUS_WORDS.get(status, (status.capitalize(), "#6d6d6d"))
        steps = len(self.cards)
        link = "" if self.episode_id is None else " · " + history_link(self.episode_id)
        self.outcome.setText(f"<b style='color:{colour}'>{word}</b> — {html(summary)}<br>"
                             f"<span style='color:gray'>{steps} step{'s' if steps != 1 else ''}"
                             f"</span>{link}")
        self.outcome.show()

    def _episode_rated(self, kind: str, value: object, comment: object) -> None:
        if self.episode_id is not None:
            self.episode_rated.emit(self.episode_id, kind, value, comment)


class Conversation(QScrollArea):
    """The scrolling column: earlier episodes, then this session's blocks, newest at the
    bottom."""

    show_in_history = Signal(int)  # episode id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keeper = KeepReturn(self)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.column = QVBoxLayout(body)
        self.column.setContentsMargins(12, 8, 12, 8)
        self.column.addStretch(1)
        self.hint = QLabel("<h3>What should I do?</h3>Type a task below and press Enter. You "
                           "approve each step (Enter), correct it, or stop at any time (Esc). "
                           "Grade steps with + / − and 1–5 while it runs.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(dark);")
        self.column.addWidget(self.hint)
        self.setWidget(body)
        self.blocks: list[EpisodeBlock] = []
        self.past: list[PastEpisode] = []
        self.past_header = QLabel(body)
        self.past_header.setStyleSheet("color: gray;")
        self.past_header.hide()
        self.column.insertWidget(1, self.past_header)
        self.verticalScrollBar().rangeChanged.connect(self._follow)
        self._at_bottom = True
        self.verticalScrollBar().valueChanged.connect(self._remember)

    def add_task(self, task: str) -> EpisodeBlock:
        self.hint.hide()
        block = EpisodeBlock(task, self.keeper)
        block.show_in_history.connect(self.show_in_history)
        self.column.addWidget(block)
        self.blocks.append(block)
        self._at_bottom = True
        QTimer.singleShot(0, self._scroll_down)
        return block

    def set_past(self, rows: list[EpisodeRow]) -> None:
        """Show these earlier episodes (newest first, as the store lists them) above this
        session's tasks, oldest at the top; episodes of this session's blocks are left out."""
        mine = {block.episode_id for block in self.blocks}
        rows = [row for row in rows if row.id not in mine]
        for widget in self.past:
            self.column.removeWidget(widget)
            widget.deleteLater()
        self.past = []
        body = self.widget()
        for index, row in enumerate(reversed(rows)):
            entry = PastEpisode(row, body)
            entry.show_in_history.connect(self.show_in_history)
            self.column.insertWidget(2 + index, entry)
            self.past.append(entry)
        self.past_header.setText(f"Earlier tasks — the last {PAST_LIMIT} episodes; all of "
                                 "them, with their steps, are on the History page (Ctrl+2)."
                                 if len(rows) >= PAST_LIMIT else "Earlier tasks")
        self.past_header.setVisible(bool(rows))
        self._at_bottom = True
        QTimer.singleShot(0, self._scroll_down)

    def _remember(self, value: int) -> None:
        self._at_bottom = value >= self.verticalScrollBar().maximum() - 8

    def _follow(self, _low: int, _high: int) -> None:
        if self._at_bottom:
            self._scroll_down()

    def _scroll_down(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

