"""Is the database healthy, which backups are good, and the repair that restores one.

Used three ways: ``open_store`` and ``Store`` turn SQLite's corruption errors into one
:class:`StoreCorrupt` message (what is wrong, where the backups are, the command that restores
one) instead of a traceback; ``deskhand doctor`` reports :func:`diagnose`; and
``deskhand doctor --repair`` runs :func:`repair`.

The design choice a reader must know: repair never deletes anything. The damaged file (with
its ``-wal`` and ``-shm``) is *moved aside* next to the database, then the newest backup that
passes ``PRAGMA integrity_check`` is copied into place (temporary name, then rename). A
database written by a newer Deskhand is not "damaged" and is never replaced.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from agent.paths import Paths
from agent.store.engine import (
    StoreError,
    backups_of,
    head_revision,
    known_revisions,
    make_engine,
    migrate,
)

SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CORRUPT, SQLITE_NOTADB = 5, 6, 11, 26
REPAIR_COMMAND = "deskhand doctor --repair"


class StoreCorrupt(StoreError):
    """The database file is damaged; the message says where the backups are and what to run."""


class StoreBusy(StoreError):
    """The database stayed locked by another process for longer than we wait."""


def _sqlite_error(exc: BaseException) -> BaseException:
    return getattr(exc, "orig", None) or exc


def is_corruption(exc: BaseException) -> bool:
    """Whether ``exc`` (sqlite3's or SQLAlchemy's) says the file is damaged or no database."""
    err = _sqlite_error(exc)
    if not isinstance(err, sqlite3.DatabaseError):
        return False
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(err).lower()
    return "malformed" in text or "not a database" in text


def is_locked(exc: BaseException) -> bool:
    """Whether ``exc`` says another connection holds a lock we need (worth retrying)."""
    err = _sqlite_error(exc)
    if not isinstance(err, sqlite3.OperationalError):
        return False
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
    text = str(err).lower()
    return "locked" in text or "busy" in text


@dataclass(frozen=True)
class Backup:
    path: Path
    taken: datetime | None  # from the file name (UTC)
    revision: str  # the schema revision the database had when it was backed up
    problem: str | None  # None: it opens and passes integrity_check

    @property
    def good(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        when = self.taken.strftime("%Y-%m-%d %H:%M UTC") if self.taken else "unknown time"
        state = "good" if self.good else f"unusable: {self.problem}"
        return f"{self.path.name} ({when}, {state})"


def _parse_name(path: Path, stem: str) -> tuple[datetime | None, str]:
    rest = path.stem.removeprefix(f"{stem}-")
    stamp, _, revision = rest.partition("-")
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S%f"), revision or "?"
    except ValueError:
        return None, revision or "?"


def check_file(path: Path) -> str | None:
    """None when ``path`` is a readable, intact Deskhand database; else what is wrong."""
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                return "; ".join(str(r[0]) for r in result[:3])
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                return "no schema version (not a Deskhand database, or a half-made one)"
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        return str(exc)
    if row is None or row[0] not in known_revisions():
        return f"unknown schema revision {row[0] if row else None}"
    return None


def list_backups(paths: Paths) -> list[Backup]:
    """The database's backups, newest first, each checked."""
    out = []
    for path in reversed(backups_of(paths.db_path, paths.backups_dir)):
        taken, revision = _parse_name(path, paths.db_path.stem)
        out.append(Backup(path, taken, revision, check_file(path)))
    return out


def unusable_message(paths: Paths, problem: str) -> str:
    """The one message a person sees when the database cannot be used: what is wrong, where
    the backups are, and the command that restores one. ``problem``: "it is damaged (...)"."""
    backups = [b for b in list_backups(paths) if b.good]
    head = f"cannot open the database {paths.db_path}: {problem}. "
    if backups:
        return (head + f"{len(backups)} good backup(s) in {paths.backups_dir}, the newest "
                f"{backups[0].describe()}. Run `{REPAIR_COMMAND}` to move the damaged file "
                "aside and restore the newest good backup.")
    return (head + f"There is no good backup in {paths.backups_dir}. Run `{REPAIR_COMMAND}` "
            "to move the damaged file aside; Deskhand then starts with a new, empty database.")


def corrupt_message(paths: Paths, detail: str) -> str:
    return unusable_message(paths, f"it is damaged ({detail})")


def corrupt_error(paths: Paths, exc: BaseException) -> StoreCorrupt:
    return StoreCorrupt(corrupt_message(paths, str(_sqlite_error(exc))))


@dataclass(frozen=True)
class Diagnosis:
    state: str  # missing | ok | upgrade | damaged | newer
    detail: str
    revision: str | None = None

    @property
    def repairable(self) -> bool:
        return self.state == "damaged"


def _revision_of(path: Path) -> str | None:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        result = conn.execute("PRAGMA quick_check").fetchall()
        if result != [("ok",)]:
            raise sqlite3.DatabaseError("; ".join(str(r[0]) for r in result[:3]))
        tables = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])


def _trial_upgrade(db_path: Path) -> str | None:
    """Upgrade a copy of the database; None when that works, else why not."""
    from agent.store.config import StoreConfig

    with tempfile.TemporaryDirectory(prefix="deskhand-doctor-") as tmp:
        copy = Path(tmp) / db_path.name
        with closing(sqlite3.connect(db_path)) as src, closing(sqlite3.connect(copy)) as dst:
            src.backup(dst)
        engine = make_engine(copy, StoreConfig())
        try:
            migrate(engine, copy, Path(tmp) / "backups", keep=1)
        except StoreError as exc:
            return str(exc.__cause__ or exc)
        finally:
            engine.dispose()
    return None


def diagnose(paths: Paths) -> Diagnosis:
    """What state the database is in (never raises for a bad database)."""
    head = head_revision()
    if not paths.db_path.exists():
        return Diagnosis("missing", f"{paths.db_path} (created on first start, at {head})")
    try:
        revision = _revision_of(paths.db_path)
    except sqlite3.Error as exc:
        return Diagnosis("damaged", str(exc))
    if revision == head:
        return Diagnosis("ok", f"{paths.db_path} at revision {head} (current)", revision)
    if revision is not None and revision not in known_revisions():
        return Diagnosis("newer", f"{paths.db_path} is at revision {revision}, written by a "
                         f"newer Deskhand (this one knows up to {head})", revision)
    try:
        problem = _trial_upgrade(paths.db_path)
    except sqlite3.Error as exc:
        problem = str(exc)
    if problem is not None:
        return Diagnosis("damaged", f"it cannot be upgraded from revision {revision}: {problem}",
                         revision)
    return Diagnosis("upgrade", f"{paths.db_path} at revision {revision or 'none'}, program "
                     f"expects {head}", revision)


@dataclass
class RepairResult:
    diagnosis: Diagnosis
    moved_aside: list[Path] = field(default_factory=list)
    restored: Backup | None = None
    skipped: list[Backup] = field(default_factory=list)  # newer backups that were unusable

    @property
    def changed(self) -> bool:
        return bool(self.moved_aside)

    def lines(self) -> list[str]:
        if not self.changed:
            if self.diagnosis.state == "newer":
                return [f"not repaired: {self.diagnosis.detail}; update Deskhand instead"]
            return [f"nothing to repair: {self.diagnosis.detail}"]
        out = [f"the database was damaged: {self.diagnosis.detail}"]
        out += [f"moved aside: {p}" for p in self.moved_aside]
        out += [f"skipped backup {b.describe()}" for b in self.skipped]
        if self.restored is not None:
            out.append(f"restored {self.restored.describe()}; steps recorded after it are in "
                       "the file moved aside")
        else:
            out.append("no good backup to restore: Deskhand starts with a new, empty database")
        return out


def repair(paths: Paths) -> RepairResult:
    """Move a damaged database aside and restore the newest good backup (see docstring)."""
    diagnosis = diagnose(paths)
    result = RepairResult(diagnosis)
    if not diagnosis.repairable:
        return result
    from agent.store.schema import utcnow

    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    for suffix in ("", "-wal", "-shm", "-journal"):
        source = paths.db_path.with_name(paths.db_path.name + suffix)
        if source.exists():
            target = source.with_name(f"{paths.db_path.name}.damaged-{stamp}{suffix}")
            os.replace(source, target)
            result.moved_aside.append(target)
    for backup in list_backups(paths):
        if not backup.good:
            result.skipped.append(backup)
            continue
        temp = paths.db_path.with_name(f".restore-{paths.db_path.name}")
        shutil.copyfile(backup.path, temp)
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, paths.db_path)
        after = diagnose(paths)
        if after.state in ("ok", "upgrade"):
            result.restored = backup
            break
        # intact, but this Deskhand cannot use it either (e.g. it cannot be upgraded)
        paths.db_path.unlink()
        result.skipped.append(Backup(backup.path, backup.taken, backup.revision,
                                     after.detail))
    return result
