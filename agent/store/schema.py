"""The database tables of the trajectory store (DESIGN.md §4), as SQLAlchemy 2.0 typed models.

Schema changes happen only through Alembic migrations in ``agent/store/migrations``; a test
checks that these models and the migrations agree. One design choice a reader must know:
every time is stored as a *naive UTC* datetime (SQLite has no time zones) — use :func:`utcnow`.
Closed sets of words (statuses, outcomes, judgment kinds) are plain strings checked in Python
(the tuples below), so that adding a word needs no table rebuild.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

EPISODE_STATUSES = ("running", "done", "failed", "stopped", "interrupted")
STEP_OUTCOMES = ("proposed", "executed", "skipped", "blocked", "interrupted", "parse_failed",
                 "corrected", "failed")
JUDGMENT_KINDS = ("approve", "reject", "correct", "rate", "comment", "negative")
SOURCES = ("user", "import")
ADAPTER_ROLES = ("actor", "reward")
ADAPTER_STATUSES = ("candidate", "active", "retired")
RUN_STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")

# Names for constraints and indexes: Alembic's batch mode (SQLite) needs them to be stable.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every column of this schema holds."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON}


class Episode(Base):
    """One task given to the agent (or one imported demonstration), start to end."""

    __tablename__ = "episodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    approval_mode: Mapped[str | None] = mapped_column(String(32))
    critic_mode: Mapped[str | None] = mapped_column(String(32))
    actor_model: Mapped[str | None] = mapped_column(Text)
    actor_adapter: Mapped[str | None] = mapped_column(String(64))
    critic_model: Mapped[str | None] = mapped_column(Text)
    critic_adapter: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # resolved config, as run
    source: Mapped[str] = mapped_column(String(16), default="user")  # user | import
    source_ref: Mapped[str | None] = mapped_column(Text)  # e.g. "trajectories.jsonl:12"
    # sha256 of an imported episode's content (its lines, normalised): a re-import is noticed
    import_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    summary: Mapped[str | None] = mapped_column(Text)

    steps: Mapped[list[Step]] = relationship(
        back_populates="episode", order_by="Step.index", passive_deletes=True)
    judgments: Mapped[list[Judgment]] = relationship(
        back_populates="episode", passive_deletes=True, order_by="Judgment.id")


class Step(Base):
    """One observe → think → act step: what was seen, thought, proposed and what became of it."""

    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("episode_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)  # 0, 1, 2, ... within the episode
    # The screenshot: a content-addressed file (see screens.py); NULL when it is missing
    # (e.g. an imported step whose image was a URL not fetched: image_source says where).
    screenshot_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    screenshot_format: Mapped[str | None] = mapped_column(String(8))
    image_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    image_source: Mapped[str | None] = mapped_column(Text)
    screenshot_width: Mapped[int | None] = mapped_column(Integer)
    screenshot_height: Mapped[int | None] = mapped_column(Integer)
    # The monitor the screenshot shows, in virtual-screen pixels, and its HiDPI scale.
    monitor_left: Mapped[int | None] = mapped_column(Integer)
    monitor_top: Mapped[int | None] = mapped_column(Integer)
    monitor_width: Mapped[int | None] = mapped_column(Integer)
    monitor_height: Mapped[int | None] = mapped_column(Integer)
    monitor_scale: Mapped[float | None] = mapped_column(Float)
    cursor_x: Mapped[int | None] = mapped_column(Integer)
    cursor_y: Mapped[int | None] = mapped_column(Integer)
    window_title: Mapped[str | None] = mapped_column(Text)
    observed_at: Mapped[datetime | None] = mapped_column(DateTime)
    raw_output: Mapped[str | None] = mapped_column(Text)
    reasoning: Mapped[str | None] = mapped_column(Text)
    action: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # DESIGN §3 form
    # The action's points as fractions of the monitor, so data survives a resolution change.
    x_frac: Mapped[float | None] = mapped_column(Float)
    y_frac: Mapped[float | None] = mapped_column(Float)
    to_x_frac: Mapped[float | None] = mapped_column(Float)
    to_y_frac: Mapped[float | None] = mapped_column(Float)
    parse_error: Mapped[str | None] = mapped_column(Text)
    critic_score: Mapped[float | None] = mapped_column(Float)
    critic_analysis: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    latencies: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # seconds per phase
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # e.g. imported subtask
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    episode: Mapped[Episode] = relationship(back_populates="steps")
    judgments: Mapped[list[Judgment]] = relationship(
        back_populates="step", passive_deletes=True, order_by="Judgment.id")


class Judgment(Base):
    """A person's verdict on one step, or on a whole episode when ``step_id`` is NULL."""

    __tablename__ = "judgments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    value: Mapped[float | None] = mapped_column(Float)  # approve 1, reject 0, rate 1..5, ...
    corrected_action: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    reasoning: Mapped[str | None] = mapped_column(Text)  # the (bad) reasoning judged, if any
    source: Mapped[str] = mapped_column(String(16), default="user")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    episode: Mapped[Episode] = relationship(back_populates="judgments")
    step: Mapped[Step | None] = relationship(back_populates="judgments")


class TrainingRun(Base):
    """One run of the nightly trainer for one role."""

    __tablename__ = "training_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    log_path: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why it ran / why it stopped
    notes: Mapped[str | None] = mapped_column(Text)


class Adapter(Base):
    """One immutable LoRA adapter version; at most one is ``active`` per role."""

    __tablename__ = "adapters"
    __table_args__ = (
        UniqueConstraint("role", "version"),
        Index("ix_adapters_role_status", "role", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("adapters.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    dataset_hash: Mapped[str | None] = mapped_column(String(64))
    training_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_runs.id", ondelete="SET NULL"))
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
