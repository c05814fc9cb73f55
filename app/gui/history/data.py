"""What the History page shows, read from the store on the database worker as plain rows.

The page never holds ORM objects: each job returns frozen dataclasses (``EpisodeRow``,
``StepRow``), so nothing on the UI thread can trigger a lazy load. The filter is applied here,
on the worker: task text and the start date go to SQL, outcome / end date / graded in Python
(the lists are a person's own history — hundreds, not millions, of episodes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from agent.store.schema import Step
from app.gui.widgets.rating import RatingState
from models import actions

GRADED_ANY, GRADED_YES, GRADED_NO = "any", "graded", "ungraded"


@dataclass(frozen=True)
class HistoryFilter:
    """Which episodes to list. Dates are the person's local calendar days, both inclusive."""

    text: str = ""
    first_day: date | None = None
    last_day: date | None = None
    outcome: str | None = None  # an episode status; None: any
    graded: str = GRADED_ANY  # any | graded | ungraded

    def since_utc(self) -> datetime | None:
        return None if self.first_day is None else _local_midnight_utc(self.first_day)

    def until_utc(self) -> datetime | None:
        """The first instant *after* the range (exclusive bound)."""
        if self.last_day is None:
            return None
        return _local_midnight_utc(self.last_day + timedelta(days=1))


def _local_midnight_utc(day: date) -> datetime:
    local = datetime.combine(day, time()).astimezone()  # the local zone of that day
    return local.astimezone(UTC).replace(tzinfo=None)


def local_time(naive_utc: datetime | None) -> datetime | None:
    return None if naive_utc is None else naive_utc.replace(tzinfo=UTC).astimezone()


@dataclass(frozen=True)
class JudgmentRow:
    kind: str
    value: float | None
    comment: str | None
    corrected_action: dict[str, Any] | None
    created_at: datetime | None  # local time

    def describe(self) -> str:
        """One judgment in words.

        >>> JudgmentRow("rate", 4.0, None, None, None).describe()
        'rated ★★★★☆'
        """
        if self.kind == "approve":
            return "thumbs up"
        if self.kind == "reject":
            return "thumbs down"
        if self.kind == "rate" and self.value is not None:
            n = max(1, min(5, round(self.value)))
            return "rated " + "★" * n + "☆" * (5 - n)
        if self.kind == "comment":
            return f"comment: {self.comment or ''}"
        if self.kind == "correct":
            return "corrected to " + describe_action(self.corrected_action)
        return self.kind


@dataclass(frozen=True)
class EpisodeRow:
    id: int
    task: str
    status: str
    created_at: datetime | None  # local time
    steps: int
    graded_steps: int  # steps with at least one judgment
    judgments: int  # all judgments, on steps and on the episode
    rating: RatingState  # the episode's own (step-less) grades
    summary: str | None = None
    actor_model: str | None = None

    @property
    def graded(self) -> bool:
        return self.judgments > 0


@dataclass(frozen=True)
class StepRow:
    id: int
    episode_id: int
    index: int
    action: dict[str, Any] | None
    outcome: str
    reasoning: str | None
    parse_error: str | None
    critic_score: float | None
    critic_analysis: str | None
    window_title: str | None
    image_path: Path | None
    monitor: tuple[int, int, int, int, float] | None  # left, top, width, height, scale
    judgments: tuple[JudgmentRow, ...] = field(default_factory=tuple)

    @property
    def rating(self) -> RatingState:
        return RatingState.from_judgments(self.judgments)

    @property
    def description(self) -> str:
        if self.action is None:
            return "unreadable output" if self.parse_error else "no action"
        return describe_action(self.action)


def describe_action(obj: dict[str, Any] | None) -> str:
    if obj is None:
        return "no action"
    try:
        return actions.describe(actions.from_json(obj))
    except (actions.ActionError, TypeError, ValueError):
        return str(obj.get("type", "unknown action"))


def query_episodes(store: Any, filt: HistoryFilter) -> list[EpisodeRow]:
    """Episodes matching ``filt``, newest first (runs on the worker)."""
    episodes = store.list_episodes(task_contains=filt.text.strip() or None,
                                   since=filt.since_utc())
    return _rows(store, episodes, filt)


def query_recent(store: Any, limit: int) -> list[EpisodeRow]:
    """The newest ``limit`` episodes, newest first (the chat's earlier tasks)."""
    return _rows(store, store.list_episodes(limit=limit), HistoryFilter())


def query_episode(store: Any, episode_id: int) -> EpisodeRow | None:
    """One episode as a row (after a grade changed it), or None if it is gone."""
    rows = _rows(store, store.list_episodes(ids=[episode_id]), HistoryFilter())
    return rows[0] if rows else None


def _rows(store: Any, episodes: list[Any], filt: HistoryFilter) -> list[EpisodeRow]:
    until = filt.until_utc()
    ids = [e.id for e in episodes]
    counts: dict[int, int] = {}
    if ids:
        with store.session() as s:
            counts = dict(s.execute(select(Step.episode_id, func.count())
                                    .where(Step.episode_id.in_(ids))
                                    .group_by(Step.episode_id)).all())
    rows = []
    for e in episodes:
        if until is not None and e.created_at >= until:
            continue
        if filt.outcome is not None and e.status != filt.outcome:
            continue
        judged = len(e.judgments)
        if filt.graded == GRADED_YES and not judged:
            continue
        if filt.graded == GRADED_NO and judged:
            continue
        rows.append(EpisodeRow(
            id=e.id, task=e.task, status=e.status, created_at=local_time(e.created_at),
            steps=counts.get(e.id, 0),
            graded_steps=len({j.step_id for j in e.judgments if j.step_id is not None}),
            judgments=judged,
            rating=RatingState.from_judgments(j for j in e.judgments if j.step_id is None),
            summary=e.summary, actor_model=e.actor_model))
    return rows


def query_steps(store: Any, episode_id: int) -> list[StepRow]:
    """The episode's steps in order, with their judgments (runs on the worker)."""
    rows = []
    for step in store.steps(episode_id):
        monitor = None
        if step.monitor_width and step.monitor_height:
            monitor = (step.monitor_left or 0, step.monitor_top or 0, step.monitor_width,
                       step.monitor_height, step.monitor_scale or 1.0)
        rows.append(StepRow(
            id=step.id, episode_id=step.episode_id, index=step.index, action=step.action,
            outcome=step.outcome, reasoning=step.reasoning, parse_error=step.parse_error,
            critic_score=step.critic_score, critic_analysis=step.critic_analysis,
            window_title=step.window_title, image_path=store.screenshot_path(step),
            monitor=monitor,
            judgments=tuple(JudgmentRow(j.kind, j.value, j.comment, j.corrected_action,
                                        local_time(j.created_at)) for j in step.judgments)))
    return rows
