"""Grading after the fact on the History page: a step or the whole episode, from the keyboard
or the rating bars; each grade is one judgment row, and the graded episode is reread so the
list, the header and the step's words show it at once.

The one design choice a reader must know: the page's place (the episode and the step selected)
is kept across the reread; only the rows' words change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from app.gui.history.data import EpisodeRow, StepRow, query_episode, query_steps
from app.gui.history.step_view import step_html
from app.gui.history.text import episode_html, step_item_text
from app.gui.widgets.rating import submit_rating

if TYPE_CHECKING:
    from app.gui.history.page import HistoryPage


class Grading(QObject):
    """Saves the grades given on one History page and shows them (a child of the page, so
    its connections end with it)."""

    def __init__(self, page: HistoryPage) -> None:
        super().__init__(page)
        self.page = page
        page.step_view.rating.rated.connect(self.rate_step)
        page.episode_rating.rated.connect(self.rate_episode)

    def rate_step(self, kind: str, value: float | None, comment: str | None) -> None:
        step = self.page.step_view.step
        if step is None:
            return
        self._submit(kind, value, comment, step.episode_id, self.page.step_view.rating,
                     step_id=step.id)

    def rate_episode(self, kind: str, value: float | None, comment: str | None) -> None:
        episode = self.page.episode
        if episode is None:
            return
        self._submit(kind, value, comment, episode.id, self.page.episode_rating,
                     episode_id=episode.id)

    def _submit(self, kind: str, value: float | None, comment: str | None, graded: int,
                bar: Any, **target: int) -> None:
        """Save one grade of a step or an episode (``target``); ``graded``: its episode."""
        page = self.page
        page.pending += 1

        def saved(_judgment_id: int) -> None:
            page.pending -= 1
            self.refresh(graded)

        def failed(_message: str) -> None:
            page.pending -= 1  # the rating bar itself says "Not saved", with the reason

        submit_rating(page.db, kind, value, comment, bar=bar, on_saved=saved,
                      on_failed=failed, **target)

    def refresh(self, episode_id: int) -> None:
        """Reread the graded episode (its row and its steps' judgments), keeping the place."""
        page = self.page

        def both(store: Any) -> tuple[EpisodeRow | None, list[StepRow]]:
            return query_episode(store, episode_id), query_steps(store, episode_id)

        def show(result: tuple[EpisodeRow | None, list[StepRow]]) -> None:
            row, steps = result
            if row is not None:
                page.model.replace(row)
            if page.episode is None or page.episode.id != episode_id:
                return
            if row is not None:
                page.episode = row
                page.header.setText(episode_html(row))
            for i, step in enumerate(steps):
                if i < page.step_list.count():
                    page.step_list.item(i).setText(step_item_text(step))
            page.steps = steps
            current = page.step_list.currentRow()
            if 0 <= current < len(steps):
                page.step_view.step = steps[current]
                page.step_view.caption.setText(step_html(steps[current]))

        page.job(both, show)
