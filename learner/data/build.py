"""Datasets from the store: a consistent snapshot, labels, a stable holdout split, a hash.

The design choice a reader must know: the builder never reads the live database. It copies it
with SQLite's online backup API into a temporary file (a consistent snapshot even while the
app writes), reads the copy read-only, and deletes it. Episodes deleted before the snapshot
are simply not in it (their steps and judgments cascade away with them).

The holdout split is by *episode*: ``sha256(salt, episode key)`` mapped to [0, 1) and compared
with ``holdout_fraction``. The key is the episode's import reference when it has one, else its
id and creation time, so the split is the same on every run and never mixes one episode's
steps into both sets. A stored action that no longer validates (written before
``models.actions.validate`` refused what it holds) is left out and counted in ``stats``.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.paths import Paths
from agent.prompt_context import StepTrace, history, legacy_trace, task_text
from agent.settings import AgentConfig
from agent.store.schema import Episode, Step
from learner.config import DataConfig, LearnerConfig
from learner.data.labels import JudgmentView, correction, label_step, reference_action
from learner.data.records import StepRecord, Target, content_hash
from models.actions import ActionError, from_json
from models.families.base import get_family
from models.frames import Monitor

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agent.store.repo import Store

log = logging.getLogger(__name__)
EVAL_SOURCE = "eval"  # episodes.source of evaluation episodes (agent.episode_parts)
DEFAULT_HISTORY = AgentConfig.history_length  # the agent's default; callers pass its setting


@dataclass(frozen=True)
class Datasets:
    """The train and holdout records and the hash of their contents (for adapter metadata)."""

    train: list[StepRecord]
    holdout: list[StepRecord]
    content_hash: str
    stats: dict[str, int] = field(default_factory=dict)  # counts of what was left out and why


def episode_key(episode: Episode) -> str:
    """The stable key of an episode (what the holdout split hashes)."""
    if episode.source_ref:
        return f"{episode.source}:{episode.source_ref}"
    return f"episode:{episode.id}:{episode.created_at.isoformat()}"


def is_holdout(key: str, fraction: float, salt: str) -> bool:
    """Whether the episode with this key is held out (stable across runs and machines).

    >>> is_holdout("episode:1", 0.0, "s"), is_holdout("episode:1", 1.0, "s")
    (False, True)
    >>> is_holdout("episode:7", 0.5, "s") == is_holdout("episode:7", 0.5, "s")
    True
    """
    digest = hashlib.sha256(f"{salt}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64 < fraction


@contextmanager
def snapshot(db_path: Path) -> Iterator[Session]:
    """A read-only session on a fresh backup-API copy of ``db_path`` (deleted afterwards)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from agent.store.engine import backup_database

    if not db_path.is_file():
        raise FileNotFoundError(f"no database at {db_path}")
    with tempfile.TemporaryDirectory(prefix="deskhand-snapshot-") as tmp:
        copy = backup_database(db_path, Path(tmp), "learner", keep=1)
        engine = create_engine(f"sqlite:///file:{copy}?mode=ro&uri=true")
        try:
            with Session(engine) as session:
                yield session
        finally:
            engine.dispose()


def _readable(action: dict[str, Any]) -> bool:
    """Whether a stored action still validates: a row written before ``validate`` refused
    what it holds (a control character in typed text, a key the actuator cannot press) is
    left out of the datasets and counted, as an import leaves out a line it cannot read."""
    try:
        from_json(action)
    except ActionError:
        return False
    return True


def _views(step: Step) -> list[JudgmentView]:
    return [JudgmentView(j.kind, j.value, j.corrected_action, j.reasoning)
            for j in sorted(step.judgments, key=lambda j: j.id)]


def _monitor(step: Step) -> Monitor | None:
    if step.monitor_width and step.monitor_height:
        return Monitor(step.monitor_left or 0, step.monitor_top or 0, step.monitor_width,
                       step.monitor_height, step.monitor_scale or 1.0)
    if step.screenshot_width and step.screenshot_height:
        return Monitor(0, 0, step.screenshot_width, step.screenshot_height)
    return None


def _target(step: Step, ref: dict[str, Any] | None, monitor: Monitor,
            radius_frac: float) -> Target | None:
    diagonal = (monitor.width ** 2 + monitor.height ** 2) ** 0.5
    box = (step.extra or {}).get("target_box")
    box_t = None
    if isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box):
        box_t = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
    if ref is not None and ref.get("type") == "click":
        return Target(float(ref["x"]), float(ref["y"]), radius_frac * diagonal, box_t, "click")
    if box_t is not None:
        x0, y0, x1, y1 = box_t
        return Target((x0 + x1) / 2, (y0 + y1) / 2, 0.0, box_t, "box")
    return None


class _Builder:
    def __init__(self, screens_dir: Path, config: DataConfig, family: str,
                 history_length: int) -> None:
        self.screens_dir = screens_dir
        self.config = config
        self.history_length = history_length
        self.family_name = family
        self.family = get_family(family)
        self.stats: dict[str, int] = {"episodes": 0, "steps": 0, "unlabelled_steps": 0,
                                      "no_image": 0}

    def episode(self, episode: Episode) -> list[StepRecord]:
        self.stats["episodes"] += 1
        key = episode_key(episode)
        traces: list[StepTrace] = []
        out: list[StepRecord] = []
        for step in sorted(episode.steps, key=lambda s: s.index):
            self.stats["steps"] += 1
            views = _views(step)
            out.extend(self.step(episode, key, step, views, traces))
            try:
                trace = legacy_trace(step.action, step.outcome, step.reasoning or "",
                                     correction(views), step.extra)
            except ActionError:  # stored before validate refused it: not in later histories
                self._count("unreadable_history")
                trace = None
            if trace is not None:
                traces.append(trace)
        return out

    def _count(self, what: str, n: int = 1) -> None:
        self.stats[what] = self.stats.get(what, 0) + n

    def step(self, episode: Episode, key: str, step: Step, views: list[JudgmentView],
             traces: list[StepTrace]) -> list[StepRecord]:
        labelled = label_step(step.action, step.reasoning or "", views,
                              imported=episode.source == "import",
                              imported_positive=self.config.imported_steps_positive)
        readable = [cand for cand in labelled if _readable(cand.action)]
        if len(readable) < len(labelled):
            self._count("unreadable_actions", len(labelled) - len(readable))
            if not readable:
                return []
            labelled = readable
        if not labelled:
            self.stats["unlabelled_steps"] += 1
            return []
        monitor = _monitor(step)
        path = self._screenshot(step)
        if path is None or monitor is None or not step.screenshot_width \
                or not step.screenshot_height or step.screenshot_sha256 is None:
            self.stats["no_image"] += 1
            return []
        ref = reference_action(labelled)
        size = (step.screenshot_width, step.screenshot_height)
        shown = history(traces, self.history_length)  # as the loop showed it (one function)
        cursor = (step.cursor_x, step.cursor_y) if step.cursor_x is not None \
            and step.cursor_y is not None else None
        return [StepRecord(
            key=f"{key}#{step.index}/{n}", episode_key=key, episode_id=episode.id,
            step_id=step.id, step_index=step.index, family=self.family_name,
            task=task_text(episode.task, traces),
            screenshot_path=path, screenshot_sha256=step.screenshot_sha256,
            screenshot_size=size, image_size=self.family.image_size(*size), monitor=monitor,
            cursor=cursor, history=shown, action=cand.action, reasoning=cand.reasoning,
            raw_output=step.raw_output if cand.from_step else None, label=cand.label,
            label_source=cand.source, reference_action=ref,
            target=_target(step, ref, monitor, self.config.click_radius),
        ) for n, cand in enumerate(labelled)]

    def _screenshot(self, step: Step) -> Path | None:
        if step.screenshot_sha256 is None or step.screenshot_format is None:
            return None
        sha = step.screenshot_sha256
        path = self.screens_dir / sha[:2] / f"{sha[2:]}.{step.screenshot_format}"
        return path if path.is_file() else None


def build_datasets(db_path_or_store: Path | Store, paths: Paths,
                   config: LearnerConfig | DataConfig, *, family: str = "qwen25vl",
                   history_length: int = DEFAULT_HISTORY) -> Datasets:
    """Train and holdout records from a snapshot of the store (see the module docstring).

    ``family``: the actor's model family, whose resize rule fixes ``image_size``;
    ``history_length``: the agent's own setting (``agent.history_length``), so each record's
    prompt shows the history the loop showed when it served that step.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    data = config.data if isinstance(config, LearnerConfig) else config
    if isinstance(db_path_or_store, Path):
        db_path, screens_dir = db_path_or_store, paths.screens_dir
    else:
        database = db_path_or_store.engine.url.database
        if not database:
            raise ValueError("the store has no database file to snapshot")
        db_path, screens_dir = Path(database), db_path_or_store.screens.root
    builder = _Builder(screens_dir, data, family, history_length)
    train: list[StepRecord] = []
    holdout: list[StepRecord] = []
    with snapshot(db_path) as session, closing(session):
        query = select(Episode).order_by(Episode.id).options(
            selectinload(Episode.steps).selectinload(Step.judgments))
        for episode in session.scalars(query):
            if episode.source == EVAL_SOURCE:  # a suite's held-out evaluation: never trained on
                builder.stats["eval_episodes"] = builder.stats.get("eval_episodes", 0) + 1
                continue
            records = builder.episode(episode)
            held = is_holdout(episode_key(episode), data.holdout_fraction, data.holdout_salt)
            (holdout if held else train).extend(records)
    result = Datasets(train, holdout, content_hash(train, holdout), builder.stats)
    log.info("datasets: %d train, %d holdout records (%s); hash %s", len(train), len(holdout),
             ", ".join(f"{k} {v}" for k, v in builder.stats.items()), result.content_hash[:12])
    return result
