"""How the episode loop writes to the store: one episode row, step rows, judgments.

Kept apart from the loop so that ``agent/episode.py`` reads as the algorithm and this file as
the mapping onto ``agent/store`` (DESIGN.md §4, §6). The one design choice a reader must know:
each write happens *as it happens* (the step row right after the proposal, its outcome when
known, each judgment when given), so a crash or a SIGKILL leaves a store that says exactly how
far the episode got; the labels follow the store's conventions — approve 1, reject 0 (a skip),
correct with the corrected action (the original implicitly 0), rate with the stars 1–5,
thumbs up/down as approve/reject.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.screen import Observation
from agent.store.repo import Monitor as StoreMonitor
from agent.store.repo import Store
from agent.user_gate import Rating
from models.actions import Action
from models.families.critic import CriticVerdict


def store_monitor(observation: Observation) -> StoreMonitor:
    m = observation.monitor
    return StoreMonitor(m.left, m.top, m.width, m.height, m.scale)


class EpisodeRecord:
    """The store rows of one running episode."""

    def __init__(self, store: Store, task: str, **episode_fields: Any) -> None:
        self.store = store
        self.episode_id = store.create_episode(task, **episode_fields)

    def add_step(self, observation: Observation, *, raw: str, reasoning: str,
                 action: Action | None, parse_error: str | None,
                 latencies: Mapping[str, float]) -> int:
        cursor = observation.cursor
        return self.store.add_step(
            self.episode_id, screenshot=observation.image, monitor=store_monitor(observation),
            action=action, raw_output=raw, reasoning=reasoning or None, parse_error=parse_error,
            outcome="parse_failed" if action is None else "proposed",
            cursor_x=cursor[0] if cursor else None, cursor_y=cursor[1] if cursor else None,
            window_title=observation.window_title, latencies=dict(latencies))

    def outcome(self, step_id: int, outcome: str, *, latencies: Mapping[str, float] | None = None,
                extra: dict[str, Any] | None = None) -> None:
        fields: dict[str, Any] = {"outcome": outcome}
        if extra:
            fields["extra"] = extra
        self.store.update_step(step_id, latencies=dict(latencies or {}), **fields)

    def critic(self, step_id: int, verdict: CriticVerdict | None, seconds: float) -> None:
        if verdict is None:
            self.store.update_step(step_id, latencies={"critic_s": seconds})
            return
        self.store.update_step(step_id, critic_score=verdict.reward,
                               critic_analysis=verdict.analysis or None,
                               latencies={"critic_s": seconds})

    def approve(self, step_id: int, comment: str | None = None) -> None:
        self.store.add_judgment(kind="approve", step_id=step_id, value=1.0, comment=comment)

    def reject(self, step_id: int, comment: str | None = None) -> None:
        self.store.add_judgment(kind="reject", step_id=step_id, value=0.0, comment=comment)

    def correct(self, step_id: int, action: Action, reasoning: str,
                comment: str | None = None) -> None:
        """The corrected action is the label (1); ``reasoning`` is the original's, judged."""
        self.store.add_judgment(kind="correct", step_id=step_id, value=1.0,
                                corrected_action=action, reasoning=reasoning or None,
                                comment=comment)

    def rate(self, step_id: int, rating: Rating) -> int:
        """Store a rating of a step; returns how many judgments it became."""
        return self._rate(rating, step_id=step_id)

    def rate_episode(self, rating: Rating) -> int:
        """Store a rating of the whole episode; returns how many judgments it became."""
        return self._rate(rating, episode_id=self.episode_id)

    def _rate(self, rating: Rating, **target: int) -> int:
        made = 0
        if rating.stars is not None:
            self.store.add_judgment(kind="rate", value=float(rating.stars),
                                    comment=rating.comment, **target)
            made += 1
        if rating.thumbs is not None:
            kind, value = ("approve", 1.0) if rating.thumbs else ("reject", 0.0)
            self.store.add_judgment(kind=kind, value=value,
                                    comment="thumbs up" if rating.thumbs else "thumbs down",
                                    **target)
            made += 1
        if made == 0 and rating.comment:
            self.store.add_judgment(kind="comment", comment=rating.comment, **target)
            made += 1
        return made

    def finish(self, status: str, summary: str) -> None:
        self.store.finish_episode(self.episode_id, status, summary)
