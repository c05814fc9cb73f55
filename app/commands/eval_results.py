"""What ``deskhand eval`` reports: per-episode records, per-task figures, files, comparisons.

Pure functions over plain records, so the figures a person reads are tested without a browser.
A result file (``results.json``) holds the run's settings, the per-task summary and every
episode (with its store id, for review in History); ``results.csv`` is the per-task table;
a later run compares itself with any earlier ``results.json``.

The design choice a reader must know — *harness overhead per step* is everything in an
episode's step loop except the policy's own thinking: (loop time − policy time) / steps, where
the loop time leaves out opening the task page (reported apart as ``reset_s``).
"""

from __future__ import annotations

import csv
import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULT_VERSION = 1


@dataclass(frozen=True)
class EpisodeRecord:
    task: str
    seed: int
    episode_id: int
    status: str  # the episode's own end: done / failed / stopped
    success: bool  # the suite's verdict
    reward: float  # the page's raw reward (0 when the page never ended the task)
    steps: int
    seconds: float  # the whole episode, opening the task included
    reset_s: float  # opening the task page
    policy_s: float  # the policy's proposals (the model's thinking)
    details: str = ""

    @property
    def overhead_s(self) -> float:
        return max(0.0, self.seconds - self.reset_s - self.policy_s)


@dataclass(frozen=True)
class TaskSummary:
    task: str
    episodes: int
    successes: int
    success_rate: float
    mean_reward: float
    mean_steps: float
    seconds_per_episode: float
    overhead_ms_per_step: float
    policy_ms_per_step: float


def summarize(task: str, records: Sequence[EpisodeRecord]) -> TaskSummary:
    """Per-task figures; step-weighted times (a long episode counts by its steps).

    >>> r = [EpisodeRecord("t", 0, 1, "done", True, 1.0, 2, 1.0, 0.2, 0.6),
    ...      EpisodeRecord("t", 1, 2, "stopped", False, -1.0, 1, 0.5, 0.2, 0.1)]
    >>> s = summarize("t", r)
    >>> s.success_rate, s.mean_reward, s.mean_steps, round(s.overhead_ms_per_step, 1)
    (0.5, 0.0, 1.5, 133.3)
    """
    n = len(records)
    steps = sum(r.steps for r in records)
    return TaskSummary(
        task=task, episodes=n, successes=sum(r.success for r in records),
        success_rate=sum(r.success for r in records) / n if n else 0.0,
        mean_reward=statistics.fmean(r.reward for r in records) if n else 0.0,
        mean_steps=steps / n if n else 0.0,
        seconds_per_episode=statistics.fmean(r.seconds for r in records) if n else 0.0,
        overhead_ms_per_step=1000 * sum(r.overhead_s for r in records) / steps if steps else 0.0,
        policy_ms_per_step=1000 * sum(r.policy_s for r in records) / steps if steps else 0.0)


def summaries(records: Sequence[EpisodeRecord]) -> list[TaskSummary]:
    """One summary per task, in the order the tasks first appear."""
    order: list[str] = []
    for r in records:
        if r.task not in order:
            order.append(r.task)
    return [summarize(t, [r for r in records if r.task == t]) for t in order]


def write_results(folder: Path, settings: dict[str, Any], records: Sequence[EpisodeRecord]
                  ) -> dict[str, Any]:
    """Write ``results.json`` and ``results.csv`` in ``folder``; returns the JSON document."""
    folder.mkdir(parents=True, exist_ok=True)
    per_task = summaries(records)
    document = {
        "version": RESULT_VERSION, **settings,
        "summary": asdict(summarize("all", records)),
        "per_task": [asdict(s) for s in per_task],
        "episodes": [{**asdict(r), "overhead_s": r.overhead_s} for r in records],
    }
    tmp = folder / "results.json.tmp"
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    tmp.replace(folder / "results.json")
    with (folder / "results.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        names = list(asdict(per_task[0]).keys()) if per_task else ["task"]
        writer.writerow(names)
        for s in [*per_task, summarize("all", records)] if per_task else []:
            writer.writerow([_cell(v) for v in asdict(s).values()])
    return document


def _cell(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


class ResultFileError(ValueError):
    """An earlier result file that cannot be compared with; the message says why."""


def load_results(path: Path) -> dict[str, Any]:
    """An earlier ``results.json`` (a folder holding one will do)."""
    if path.is_dir():
        path = path / "results.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultFileError(f"{path}: no such result file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultFileError(f"{path}: not a result file ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("per_task"), list):
        raise ResultFileError(f"{path}: not a deskhand eval result (no per-task table)")
    return document


@dataclass(frozen=True)
class Change:
    task: str
    before: float | None  # success rate in the earlier file (None: not there)
    after: float | None
    reward_before: float | None
    reward_after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def compare(earlier: dict[str, Any], now: Sequence[TaskSummary]) -> list[Change]:
    """Per task of either run: success rate and mean reward before and now.

    >>> old = {"per_task": [{"task": "a", "success_rate": 0.5, "mean_reward": 0.0},
    ...                     {"task": "b", "success_rate": 1.0, "mean_reward": 1.0}]}
    >>> new = [summarize("a", [EpisodeRecord("a", 0, 1, "done", True, 1.0, 1, 1, 0, 0)])]
    >>> [(c.task, c.before, c.after, c.delta) for c in compare(old, new)]
    [('a', 0.5, 1.0, 0.5), ('b', 1.0, None, None)]
    """
    old = {str(row.get("task")): row for row in earlier.get("per_task", [])
           if isinstance(row, dict)}
    changes = []
    for s in now:
        row = old.get(s.task)
        changes.append(Change(s.task, _num(row, "success_rate"), s.success_rate,
                              _num(row, "mean_reward"), s.mean_reward))
    seen = {s.task for s in now}
    for task, row in old.items():
        if task not in seen:
            changes.append(Change(task, _num(row, "success_rate"), None,
                                  _num(row, "mean_reward"), None))
    return changes


def _num(row: dict[str, Any] | None, key: str) -> float | None:
    if row is None:
        return None
    value = row.get(key)
    return float(value) if isinstance(value, int | float) else None
