"""The History page's words: a step as a list item, an episode as a header.

Plain functions of the rows (no widgets), so they are easy to read and to test.
"""

from __future__ import annotations

from pathlib import Path

from app.gui.history.data import EpisodeRow, StepRow
from app.gui.history.episodes import graded_text
from app.gui.widgets.text import html


def shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def step_item_text(step: StepRow) -> str:
    """A step in the list: number, action, and how it was graded."""
    rating = step.rating
    marks = []
    if rating.thumb is not None:
        marks.append("✓" if rating.thumb else "✗")
    if rating.stars:
        marks.append("★" * rating.stars)
    if rating.comment:
        marks.append("✎")
    if any(j.kind == "correct" for j in step.judgments):
        marks.append("corrected")
    grade = " ".join(marks) if marks else "ungraded"
    return f"{step.index + 1}. {step.description}\n    {step.outcome} · {grade}"


def episode_html(row: EpisodeRow) -> str:
    when = row.created_at.strftime("%Y-%m-%d %H:%M") if row.created_at else ""
    facts = [row.status, when, f"{row.steps} step{'s' if row.steps != 1 else ''}",
             f"graded: {graded_text(row)}"]
    if row.actor_model:
        facts.append(html(Path(row.actor_model).name))
    text = f"<b style='font-size:14px'>{html(row.task)}</b><br>"
    text += f"<span style='color:gray'>{' · '.join(facts)}</span>"
    if row.summary:
        text += f"<br>{html(row.summary)}"
    return text
