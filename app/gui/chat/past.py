"""Earlier episodes in the conversation: what was asked before, how it ended, where to look.

The chat shows the last ``PAST_LIMIT`` episodes from the store above this session's tasks,
oldest first, so the conversation reads like a chat with the newest at the bottom. Each is a
compact entry — the task as the person's bubble, then outcome, step count, when, its summary
and a "Show in History" link (the History page has its steps, screenshots and grades).

The one design choice a reader must know: the rows are ``app.gui.history.data.EpisodeRow``
values read on the database worker (``query_recent``), bounded and loaded lazily (when the page
is first shown and after each run), never ORM objects on the UI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from app.gui.history.data import EpisodeRow
from app.gui.widgets.text import Bubble, html, rich_label

PAST_LIMIT = 20
STATUS_WORDS = {"done": ("Done", "#2e7d32"), "failed": ("Failed", "#c62828"),
                "stopped": ("Stopped", "#b35c00"), "interrupted": ("Interrupted", "#b35c00"),
                "running": ("Did not finish", "#6d6d6d")}


def history_link(episode_id: int) -> str:
    return f"<a href='history:{episode_id}'>Show in History</a>"


def outcome_html(row: EpisodeRow) -> str:
    """The line under an earlier task: outcome · steps · when · link."""
    word, colour = STATUS_WORDS.get(row.status, (row.status.capitalize(), "#6d6d6d"))
    when = row.created_at.strftime("%a %d %b, %H:%M") if row.created_at else ""
    facts = [f"<b style='color:{colour}'>{word}</b>",
             f"{row.steps} step{'s' if row.steps != 1 else ''}", when, history_link(row.id)]
    text = " · ".join(f for f in facts if f)
    if row.summary:
        summary = " ".join(row.summary.split())
        text += "<br>" + html(summary)
    return text


class PastEpisode(QFrame):
    """One earlier episode: the task bubble and one line about how it went."""

    show_in_history = Signal(int)

    def __init__(self, row: EpisodeRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = row
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 4, 0, 6)
        column.setSpacing(3)
        # labels get their parent at once: a parentless one shown would flash up as a window
        self.task = Bubble(row.task, "background: palette(midlight); border-radius: 10px; "
                           "padding: 6px 12px;", (12, 6), self)
        column.addWidget(self.task, 0, Qt.AlignmentFlag.AlignRight)
        self.outcome = rich_label(outcome_html(row), self, wrap=True)
        self.outcome.setStyleSheet("color: palette(dark);")
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                             | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.outcome.linkActivated.connect(self._link)
        column.addWidget(self.outcome)

    def _link(self, href: str) -> None:
        if href.startswith("history:"):
            self.show_in_history.emit(int(href.split(":", 1)[1]))
