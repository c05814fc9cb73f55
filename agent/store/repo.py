"""The store's API for the agent loop and the app: episodes, steps, judgments, deletion.

One design choice a reader must know: every method opens a short-lived session, commits and
returns plain ids or *detached* rows (``expire_on_commit=False``, relationships loaded up front),
so the app can call it from its single database worker thread and pass results to the UI
without holding a session open. A method that writes returns only after its commit: when
``add_judgment`` returns, the judgment is on disk (``synchronous=FULL``, see engine.py).

Every write runs through :meth:`Store._write`: when another process holds the database's write
lock for longer than SQLite's busy timeout (a long import, a checkpoint), the whole transaction
is retried with a growing pause, for at most ``StoreConfig.write_retry_s``, so a judgment is
not lost (nor its episode failed) because the database was busy a moment. SQLite's corruption
errors become one :class:`~agent.store.health.StoreCorrupt` message naming the backups.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, selectinload

from agent.paths import Paths
from agent.store.config import StoreConfig
from agent.store.engine import MigrationFailed, StoreError, make_engine, migrate
from agent.store.health import (
    StoreBusy,
    StoreCorrupt,
    corrupt_error,
    is_corruption,
    is_locked,
    unusable_message,
)
from agent.store.schema import (
    EPISODE_STATUSES,
    JUDGMENT_KINDS,
    STEP_OUTCOMES,
    Episode,
    Judgment,
    Step,
    utcnow,
)
from agent.store.screens import ScreenFiles
from models import actions

log = logging.getLogger(__name__)
T = TypeVar("T")
_FIRST_PAUSE_S, _MAX_PAUSE_S = 0.05, 1.0


@dataclass(frozen=True)
class Monitor:
    """The monitor a screenshot shows, in virtual-screen pixels (``scale``: HiDPI factor)."""

    left: int
    top: int
    width: int
    height: int
    scale: float = 1.0


def action_fractions(action: dict[str, Any] | None,
                     monitor: Monitor | None) -> dict[str, float | None]:
    """The action's points as fractions of the monitor (None where there is no point).

    >>> action_fractions({"type": "click", "x": 150, "y": 50}, Monitor(100, 0, 200, 100))
    {'x_frac': 0.25, 'y_frac': 0.5, 'to_x_frac': None, 'to_y_frac': None}
    """
    out: dict[str, float | None] = dict.fromkeys(("x_frac", "y_frac", "to_x_frac", "to_y_frac"))
    if not action or monitor is None or monitor.width <= 0 or monitor.height <= 0:
        return out
    for xk, yk, prefix in (("x", "y", ""), ("to_x", "to_y", "to_")):
        if isinstance(action.get(xk), (int, float)) and isinstance(action.get(yk), (int, float)):
            out[f"{prefix}x_frac"] = (action[xk] - monitor.left) / monitor.width
            out[f"{prefix}y_frac"] = (action[yk] - monitor.top) / monitor.height
    return out


def _action_json(action: actions.Action | dict[str, Any] | None) -> dict[str, Any] | None:
    if action is None:
        return None
    if isinstance(action, dict):
        return actions.to_json(actions.from_json(action))  # validate, normalise
    return actions.to_json(action)


class Store:
    """Episodes, steps and judgments in SQLite plus screenshot files (see module docstring)."""

    def __init__(self, engine: Engine, screens: ScreenFiles, *, paths: Paths | None = None,
                 write_retry_s: float = StoreConfig.write_retry_s) -> None:
        self.engine = engine
        self.screens = screens
        self.paths = paths
        self.write_retry_s = write_retry_s

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A short-lived session that commits on success and rolls back on error."""
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except DatabaseError as exc:
            if self.paths is not None and is_corruption(exc):
                raise corrupt_error(self.paths, exc) from None
            raise

    def _write(self, work: Callable[[Session], T]) -> T:
        """``work`` in one committed transaction, retried while the database is locked."""
        pause, waited = _FIRST_PAUSE_S, 0.0
        while True:
            try:
                with self.session() as s:
                    return work(s)
            except DatabaseError as exc:
                if not is_locked(exc):
                    raise
                if waited + pause > self.write_retry_s:
                    raise StoreBusy(f"the database {self.engine.url.database} stayed locked by "
                                    f"another process for {waited:.1f} s more than the busy "
                                    f"timeout; nothing was written: {exc.orig}") from None
                log.info("the database is locked; retrying the write in %.2f s", pause)
                time.sleep(pause)
                waited += pause
                pause = min(pause * 2, _MAX_PAUSE_S)

    def close(self) -> None:
        self.engine.dispose()

    # -- episodes -----------------------------------------------------------------------
    def create_episode(self, task: str, **fields: Any) -> int:
        """A new episode (``status`` running unless given); other fields as in the schema."""
        fields.setdefault("started_at", utcnow())
        if fields.get("status") is not None and fields["status"] not in EPISODE_STATUSES:
            raise ValueError(f"unknown episode status {fields['status']!r}")

        def work(s: Session) -> int:
            episode = Episode(task=task, **fields)
            s.add(episode)
            s.flush()
            return episode.id

        return self._write(work)

    def finish_episode(self, episode_id: int, status: str, summary: str | None = None) -> None:
        if status not in EPISODE_STATUSES or status == "running":
            raise ValueError(f"an episode cannot finish as {status!r}")

        def work(s: Session) -> None:
            episode = s.get_one(Episode, episode_id)
            episode.status, episode.ended_at = status, utcnow()
            if summary is not None:
                episode.summary = summary

        self._write(work)

    def mark_interrupted(self) -> int:
        """Episodes left ``running`` by a crash become ``interrupted``; returns how many."""

        def work(s: Session) -> int:
            rows = s.scalars(select(Episode).where(Episode.status == "running")).all()
            for episode in rows:
                episode.status, episode.ended_at = "interrupted", episode.ended_at or utcnow()
            return len(rows)

        return self._write(work)

    def get_episode(self, episode_id: int) -> Episode:
        with self.session() as s:
            return s.get_one(Episode, episode_id,
                             options=[selectinload(Episode.judgments)])

    def list_episodes(self, *, status: str | None = None, source: str | None = None,
                      task_contains: str | None = None, since: datetime | None = None,
                      ids: list[int] | None = None, limit: int | None = None) -> list[Episode]:
        """Episodes (with their judgments), newest first, filtered by the arguments given."""
        query = (select(Episode).options(selectinload(Episode.judgments))
                 .order_by(Episode.created_at.desc(), Episode.id.desc()))
        if status is not None:
            query = query.where(Episode.status == status)
        if source is not None:
            query = query.where(Episode.source == source)
        if task_contains:
            query = query.where(Episode.task.contains(task_contains))
        if since is not None:
            query = query.where(Episode.created_at >= since)
        if ids is not None:
            query = query.where(Episode.id.in_(ids))
        if limit is not None:
            query = query.limit(limit)
        with self.session() as s:
            return list(s.scalars(query).all())

    def delete_episode(self, episode_id: int) -> int:
        """Delete an episode (its steps and judgments cascade) and the screenshot files no
        other step names. Returns how many files were removed.

        Assumes one writer process (the app's worker): a step with the same screenshot being
        added by another process at this very moment could lose its file.
        """

        def work(s: Session) -> set[Any]:
            episode = s.get_one(Episode, episode_id)
            found = set(s.execute(
                select(Step.screenshot_sha256, Step.screenshot_format)
                .where(Step.episode_id == episode_id, Step.screenshot_sha256.is_not(None))).all())
            s.delete(episode)
            return found

        images = self._write(work)
        removed = 0
        with self.session() as s:
            for sha, fmt in images:
                if sha is None or fmt is None:
                    continue
                still = s.scalar(select(func.count()).select_from(Step)
                                 .where(Step.screenshot_sha256 == sha))
                if not still and self.screens.remove(sha, fmt):
                    removed += 1
        return removed

    # -- steps --------------------------------------------------------------------------
    def add_step(self, episode_id: int, *, screenshot: Any = None,
                 monitor: Monitor | None = None, action: Any = None,
                 index: int | None = None, **fields: Any) -> int:
        """Store a step; the screenshot file is written (and synced) before the row.

        ``screenshot``: numpy RGB array, PIL image or encoded bytes. ``action``: an
        ``Action`` or its JSON object. Other fields as in the schema. Returns the step id.
        """
        outcome = fields.setdefault("outcome", "proposed")
        if outcome not in STEP_OUTCOMES:
            raise ValueError(f"unknown step outcome {outcome!r}")
        action_json = _action_json(action)
        if screenshot is not None:
            image = self.screens.put(screenshot)
            fields.update(screenshot_sha256=image.sha256, screenshot_format=image.format,
                          screenshot_width=image.width, screenshot_height=image.height)
            if monitor is None:
                monitor = Monitor(0, 0, image.width, image.height)
        if monitor is not None:
            fields.update(monitor_left=monitor.left, monitor_top=monitor.top,
                          monitor_width=monitor.width, monitor_height=monitor.height,
                          monitor_scale=monitor.scale)
        fields.update(action_fractions(action_json, monitor))
        fields.setdefault("observed_at", utcnow())

        def work(s: Session) -> int:
            at = index
            if at is None:
                last = s.scalar(select(func.max(Step.index)).where(Step.episode_id == episode_id))
                at = 0 if last is None else last + 1
            step = Step(episode_id=episode_id, index=at, action=action_json, **fields)
            s.add(step)
            s.flush()
            return step.id

        return self._write(work)

    def update_step(self, step_id: int, *, latencies: dict[str, float] | None = None,
                    **fields: Any) -> None:
        """Change a step's outcome, critic score/analysis, ...; ``latencies`` are merged."""
        if "outcome" in fields and fields["outcome"] not in STEP_OUTCOMES:
            raise ValueError(f"unknown step outcome {fields['outcome']!r}")
        for name in fields:
            if not hasattr(Step, name):
                raise AttributeError(f"steps has no column {name!r}")

        def work(s: Session) -> None:
            step = s.get_one(Step, step_id)
            for name, value in fields.items():
                setattr(step, name, value)
            if latencies:
                step.latencies = {**(step.latencies or {}), **latencies}

        self._write(work)

    def steps(self, episode_id: int) -> list[Step]:
        """The episode's steps in order, each with its judgments loaded."""
        with self.session() as s:
            return list(s.scalars(select(Step).where(Step.episode_id == episode_id)
                                  .order_by(Step.index)
                                  .options(selectinload(Step.judgments))).all())

    def screenshot_path(self, step: Step) -> Path | None:
        if step.screenshot_sha256 is None or step.screenshot_format is None:
            return None
        return self.screens.path(step.screenshot_sha256, step.screenshot_format)

    # -- judgments ----------------------------------------------------------------------
    def add_judgment(self, *, kind: str, step_id: int | None = None,
                     episode_id: int | None = None, value: float | None = None,
                     corrected_action: Any = None, **fields: Any) -> int:
        """Record a judgment on a step (or, with ``episode_id`` only, on a whole episode).

        Returns only after the commit, so the caller may tell the user it is saved.
        """
        if kind not in JUDGMENT_KINDS:
            raise ValueError(f"unknown judgment kind {kind!r}")
        if step_id is None and episode_id is None:
            raise ValueError("a judgment needs a step_id or an episode_id")
        corrected = _action_json(corrected_action)

        def work(s: Session) -> int:
            owner = episode_id
            if step_id is not None:
                step_episode = s.get_one(Step, step_id).episode_id
                if owner is not None and owner != step_episode:
                    raise ValueError(f"step {step_id} is not in episode {owner}")
                owner = step_episode
            judgment = Judgment(kind=kind, step_id=step_id, episode_id=owner, value=value,
                                corrected_action=corrected, **fields)
            s.add(judgment)
            s.flush()
            return judgment.id

        return self._write(work)

    # -- housekeeping -------------------------------------------------------------------
    def referenced_images(self) -> set[str]:
        with self.session() as s:
            rows = s.scalars(select(Step.screenshot_sha256).distinct()
                             .where(Step.screenshot_sha256.is_not(None))).all()
            return {sha for sha in rows if sha is not None}

    def sweep_screens(self, min_age_s: float | None = None) -> int:
        """Remove screenshot files no row names (older than ``min_age_s``); returns how many."""
        referenced = self.referenced_images()
        if min_age_s is None:
            return self.screens.sweep(referenced)
        return self.screens.sweep(referenced, min_age_s)

    def recover(self) -> tuple[int, int]:
        """Start-up housekeeping of the app: (episodes marked interrupted, files swept)."""
        return self.mark_interrupted(), self.sweep_screens()


def open_store(paths: Paths, config: StoreConfig | None = None) -> Store:
    """Open (creating or migrating, with a backup first) the store under ``paths``.

    Raises ``StoreError``; a damaged file is a ``StoreCorrupt`` whose message names the
    backups and ``deskhand doctor --repair``.
    """
    config = config or StoreConfig()
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(paths.db_path, config)
    try:
        with _opening(paths):  # one opener at a time checks and migrates (see below)
            _check_readable(engine)
            migrate(engine, paths.db_path, paths.backups_dir, config.keep_backups,
                    config.busy_timeout_ms)
    except BaseException as exc:
        engine.dispose()
        cause = exc.__cause__ if isinstance(exc, StoreError) and exc.__cause__ else exc
        if is_corruption(cause):
            raise corrupt_error(paths, cause) from None
        if isinstance(exc, MigrationFailed):
            raise StoreCorrupt(unusable_message(paths, str(exc))) from None
        if isinstance(exc, StoreError):
            raise
        if isinstance(exc, (DatabaseError, sqlite3.DatabaseError)):
            raise StoreError(f"cannot open the database {paths.db_path}: {exc}") from None
        raise
    return Store(engine, ScreenFiles(paths.screens_dir, config.image_format), paths=paths,
                 write_retry_s=config.write_retry_s)


@contextmanager
def _opening(paths: Paths, timeout_s: float = 120.0) -> Iterator[None]:
    """Hold the store's open lock: processes opening a new store together (the ranks of a
    data-parallel ``deskhand learn``) would otherwise both migrate it, and the second would
    fail on the tables the first made. Waits for another opener, at most ``timeout_s``."""
    from agent.locks import FileLock, LockBusy

    lock = FileLock(paths.locks_dir / "store-open.lock", "opening the store")
    try:
        lock.acquire_within(timeout_s)
    except LockBusy:
        raise StoreError(f"another process has been opening the store for {timeout_s:.0f} s "
                         f"({lock.holder() or '?'})") from None
    try:
        yield
    finally:
        lock.release()


def _check_readable(engine: Engine) -> None:
    """``PRAGMA quick_check`` (≈0.6 s for a 480 MB database): damage found at open, not later."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
    if rows != [("ok",)]:
        detail = "; ".join(str(r[0]) for r in rows[:3])
        raise sqlite3.DatabaseError(f"database disk image is malformed: {detail}")
