"""The adapter registry: immutable versioned LoRA adapters per role, atomic switch, rollback.

Layout under ``paths.adapters_dir``::

    <role>/v0003/peft/...           the peft adapter files (adapter_config.json, weights)
    <role>/v0003/adapter.gguf       the same LoRA as a llama.cpp GGUF adapter
    <role>/v0003/metadata.json      role, version, parent, dataset hash, config, metrics,
                                    sha256 of every file, their tree hash, created, run id
    <role>/active.json              {"version", "sha256", "history": [previous actives]}

A version folder is built under ``<role>/.tmp-*`` and renamed into place, so it exists whole
or not at all, and is never written again. The store's ``adapters`` table mirrors it (status
candidate / active / retired); ``active.json`` is the truth the agent reads, without the
database.

The design choice a reader must know: the active version is switched by replacing
``active.json`` (temp file, fsync, rename, fsync of the folder) — chosen over a symlink swap
because it works the same on Windows and carries the expected tree hash and the history of
earlier actives. Readers verify: :meth:`AdapterRegistry.active` re-hashes the active version's
files against its metadata and the hash in ``active.json``; if they do not match (a corrupted
or tampered adapter) it walks back through the history of earlier actives and returns the most
recent one that still verifies (or None, the base model, when the history reaches it). Readers
never write; the next promote or rollback by a writer repairs the record.
"""

from __future__ import annotations

import builtins
import json
import logging
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.locks import FileLock, LockBusy
from agent.paths import Paths
from agent.store.schema import ADAPTER_ROLES, utcnow
from learner.adapter_files import (
    fsync_dir,
    fsync_tree,
    remove_tree,
    tree_files,
    tree_hash,
    write_json_atomic,
)

if TYPE_CHECKING:
    from agent.store.repo import Store

log = logging.getLogger(__name__)

ACTIVE_FILE = "active.json"
METADATA_FILE = "metadata.json"
GGUF_FILE = "adapter.gguf"
PEFT_DIR = "peft"
HISTORY_MAX = 20
_RESERVED = ("role", "version", "files", "sha256", "created_at")


class RegistryError(RuntimeError):
    """A registry operation cannot be done (unknown version, nothing to roll back to, ...)."""


class CorruptAdapter(RegistryError):
    """A version's files do not match the hashes recorded when it was registered."""


@dataclass(frozen=True)
class AdapterVersion:
    """One registered adapter version, as its ``metadata.json`` describes it."""

    role: str
    version: int
    path: Path
    sha256: str  # tree hash of every file but metadata.json
    files: dict[str, str]
    parent: int | None = None
    dataset_hash: str | None = None
    training_run_id: int | None = None
    created_at: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    status: str = "candidate"

    @property
    def gguf_path(self) -> Path:
        return self.path / GGUF_FILE

    @property
    def peft_dir(self) -> Path:
        return self.path / PEFT_DIR


def _folder_name(version: int) -> str:
    return f"v{version:04d}"


def _check_role(role: str) -> None:
    if role not in ADAPTER_ROLES:
        raise RegistryError(f"unknown role {role!r}; known: {', '.join(ADAPTER_ROLES)}")


class AdapterRegistry:
    """Versioned adapters of every role under ``root`` (see the module docstring)."""

    def __init__(self, root: Path, store: Store | None = None, *, keep: int = 5,
                 lock_timeout_s: float = 30.0) -> None:
        self.root = root
        self.store = store
        self.keep = keep
        self.lock_timeout_s = lock_timeout_s

    # -- reading ---------------------------------------------------------------------
    def _dir(self, role: str) -> Path:
        _check_role(role)
        return self.root / role

    def versions(self, role: str) -> builtins.list[int]:
        """Version numbers present on disk, ascending."""
        folder = self._dir(role)
        if not folder.is_dir():
            return []
        found = [int(p.name[1:]) for p in folder.iterdir()
                 if p.is_dir() and p.name.startswith("v") and p.name[1:].isdigit()]
        return sorted(found)

    def get(self, role: str, version: int) -> AdapterVersion:
        """A version's metadata (not verified; see :meth:`verify`)."""
        path = self._dir(role) / _folder_name(version)
        try:
            meta = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RegistryError(f"{role} adapter version {version} does not exist") from None
        except (OSError, ValueError) as exc:
            raise CorruptAdapter(f"{role} v{version}: unreadable metadata: {exc}") from None
        state = self._read_active(role)
        status = "active" if state.get("version") == version else "candidate"
        if status != "active" and any(h.get("version") == version
                                      for h in state.get("history", [])):
            status = "retired"
        return AdapterVersion(
            role=role, version=version, path=path, sha256=str(meta.get("sha256", "")),
            files=dict(meta.get("files", {})), parent=meta.get("parent"),
            dataset_hash=meta.get("dataset_hash"), training_run_id=meta.get("training_run_id"),
            created_at=str(meta.get("created_at", "")), metrics=dict(meta.get("metrics") or {}),
            config=dict(meta.get("config") or {}), status=status)

    def verify(self, role: str, version: int, expected_sha256: str | None = None
               ) -> AdapterVersion:
        """The version, after checking every file against its recorded sha256."""
        adapter = self.get(role, version)
        found = tree_files(adapter.path, frozenset({METADATA_FILE}))
        if found != adapter.files:
            bad = sorted(k for k in set(found) | set(adapter.files)
                         if found.get(k) != adapter.files.get(k))
            raise CorruptAdapter(f"{role} v{version}: files differ from their recorded "
                                 f"hashes: {', '.join(bad)}")
        if tree_hash(found) != adapter.sha256:
            raise CorruptAdapter(f"{role} v{version}: metadata tree hash does not match")
        if expected_sha256 is not None and adapter.sha256 != expected_sha256:
            raise CorruptAdapter(f"{role} v{version}: hash {adapter.sha256[:12]} is not the "
                                 f"activated {expected_sha256[:12]}")
        return adapter

    def _read_active(self, role: str) -> dict[str, Any]:
        try:
            state = json.loads((self._dir(role) / ACTIVE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": None, "sha256": None, "history": []}
        except (OSError, ValueError) as exc:
            log.warning("%s: unreadable %s (%s); using the base model", role, ACTIVE_FILE, exc)
            return {"version": None, "sha256": None, "history": []}
        return state if isinstance(state, dict) else {"version": None, "history": []}

    def active(self, role: str) -> AdapterVersion | None:
        """The active version, verified; else the latest earlier active that verifies; else
        None (the base model)."""
        return self.active_checked(role)[0]

    def active_checked(self, role: str) -> tuple[AdapterVersion | None, builtins.list[str]]:
        """:meth:`active`, and why each version passed over fails verification (the faces
        show these: a fallback is never only logged)."""
        state = self._read_active(role)
        entries = [{"version": state.get("version"), "sha256": state.get("sha256")},
                   *state.get("history", [])]
        failed: builtins.list[str] = []
        for entry in entries:
            version = entry.get("version")
            if version is None:
                return None, failed
            try:
                return self.verify(role, int(version), entry.get("sha256")), failed
            except RegistryError as exc:
                log.warning("%s adapter v%s fails verification (%s); falling back", role,
                            version, exc)
                failed.append(str(exc))
        return None, failed

    def list(self, role: str) -> builtins.list[AdapterVersion]:
        """Every version on disk, ascending, with its status (not verified)."""
        out = []
        for version in self.versions(role):
            try:
                out.append(self.get(role, version))
            except CorruptAdapter as exc:
                log.warning("%s", exc)
        return out

    def history(self, role: str) -> builtins.list[int | None]:
        """Earlier active versions, most recent first (None: the base model)."""
        return [h.get("version") for h in self._read_active(role).get("history", [])]

    # -- writing ---------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock = FileLock(self.root / ".registry.lock", "adapter registry")
        try:
            lock.acquire_within(self.lock_timeout_s)
        except LockBusy:
            raise RegistryError("the adapter registry is busy (another writer)") from None
        try:
            yield
        finally:
            lock.release()

    def register(self, role: str, peft_dir: Path, gguf_path: Path,
                 metadata: Mapping[str, Any]) -> int:
        """Copy an adapter in as a new immutable version (a candidate); returns its number.

        ``metadata``: ``dataset_hash``, ``config``, ``metrics``, ``training_run_id`` and
        optionally ``parent`` (default: the version active now), plus anything else to keep.
        """
        role_dir = self._dir(role)
        clash = [k for k in _RESERVED if k in metadata]
        if clash:
            raise RegistryError(f"metadata may not set {', '.join(clash)}")
        if not (peft_dir / "adapter_config.json").is_file():
            raise RegistryError(f"{peft_dir} is not a peft adapter (no adapter_config.json)")
        if not gguf_path.is_file():
            raise RegistryError(f"no GGUF adapter at {gguf_path}")
        with self._locked():
            role_dir.mkdir(parents=True, exist_ok=True)
            for stale in role_dir.glob(".tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)
            version = self._next_version(role)
            active = self._read_active(role).get("version")
            tmp = role_dir / f".tmp-{uuid.uuid4().hex}"
            try:
                shutil.copytree(peft_dir, tmp / PEFT_DIR)
                shutil.copy2(gguf_path, tmp / GGUF_FILE)
                files = tree_files(tmp)
                meta = {**dict(metadata), "role": role, "version": version,
                        "parent": metadata.get("parent", active), "files": files,
                        "sha256": tree_hash(files), "created_at": utcnow().isoformat()}
                (tmp / METADATA_FILE).write_text(
                    json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n",
                    encoding="utf-8")
                fsync_tree(tmp)
                tmp.rename(role_dir / _folder_name(version))
                fsync_dir(role_dir)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
            self._store_insert(self.get(role, version))
            self._prune(role)
        log.info("registered %s adapter v%d (%s)", role, version, meta["sha256"][:12])
        return version

    def _next_version(self, role: str) -> int:
        known = set(self.versions(role))
        known |= {v for v in self.history(role) if v is not None}
        known |= set(self._store_versions(role))
        return max(known, default=0) + 1

    def promote(self, role: str, version: int) -> AdapterVersion:
        """Make ``version`` the active one (after verifying it); the old one can be rolled
        back to."""
        with self._locked():
            adapter = self.verify(role, version)
            state = self._read_active(role)
            if state.get("version") != version:
                previous = {"version": state.get("version"), "sha256": state.get("sha256")}
                history = [previous, *state.get("history", [])][:HISTORY_MAX]
                self._write_active(role, version, adapter.sha256, history)
            self._mirror(role)
            self._prune(role)
        log.info("%s adapter v%d is active", role, version)
        return self.get(role, version)

    def rollback(self, role: str) -> AdapterVersion | None:
        """Switch back to the previous active version (its exact recorded hash), skipping
        ones that no longer verify; None when that is the base model."""
        with self._locked():
            history = list(self._read_active(role).get("history", []))
            if not history:
                raise RegistryError(f"no earlier {role} adapter to roll back to")
            while history:
                entry = history.pop(0)
                version = entry.get("version")
                if version is None:
                    self._write_active(role, None, None, history)
                    self._mirror(role)
                    log.info("%s: rolled back to the base model", role)
                    return None
                try:
                    adapter = self.verify(role, int(version), entry.get("sha256"))
                except RegistryError as exc:
                    log.warning("cannot roll back to %s v%s: %s", role, version, exc)
                    continue
                self._write_active(role, adapter.version, adapter.sha256, history)
                self._mirror(role)
                log.info("%s: rolled back to v%d", role, adapter.version)
                return self.get(role, adapter.version)
            raise RegistryError(f"no earlier {role} adapter verifies; nothing rolled back")

    def _write_active(self, role: str, version: int | None, sha256: str | None,
                      history: builtins.list[dict[str, Any]]) -> None:
        write_json_atomic(self._dir(role) / ACTIVE_FILE, {
            "role": role, "version": version, "sha256": sha256, "history": history,
            "switched_at": utcnow().isoformat()})

    def _prune(self, role: str) -> builtins.list[int]:
        """Delete versions beyond the newest ``keep``, never the active one, its parent or
        the version a rollback would return to."""
        state = self._read_active(role)
        versions = self.versions(role)
        protected: set[int | None] = set(versions[-self.keep:]) if self.keep > 0 else set()
        active = state.get("version")
        if active is not None:
            protected.add(active)
            try:
                protected.add(self.get(role, active).parent)
            except RegistryError:
                pass
        history = state.get("history", [])
        if history:
            protected.add(history[0].get("version"))
        removed = [v for v in versions if v not in protected]
        for version in removed:
            remove_tree(self._dir(role) / _folder_name(version))
        self._store_delete(role, removed)
        return removed

    # -- the store's mirror ------------------------------------------------------------
    def _store_versions(self, role: str) -> builtins.list[int]:
        if self.store is None:
            return []
        from sqlalchemy import select

        from agent.store.schema import Adapter

        with self.store.session() as s:
            return list(s.scalars(select(Adapter.version).where(Adapter.role == role)).all())

    def _store_insert(self, adapter: AdapterVersion) -> None:
        if self.store is None:
            return
        from sqlalchemy import select

        from agent.store.schema import Adapter

        with self.store.session() as s:
            parent_id = None
            if adapter.parent is not None:
                parent_id = s.scalar(select(Adapter.id).where(
                    Adapter.role == adapter.role, Adapter.version == adapter.parent))
            s.add(Adapter(role=adapter.role, version=adapter.version, parent_id=parent_id,
                          path=str(adapter.path), sha256=adapter.sha256,
                          dataset_hash=adapter.dataset_hash,
                          training_run_id=adapter.training_run_id,
                          metrics=adapter.metrics or None, status="candidate"))

    def _mirror(self, role: str) -> None:
        """Make the table's statuses agree with ``active.json``."""
        if self.store is None:
            return
        from sqlalchemy import select

        from agent.store.schema import Adapter

        state = self._read_active(role)
        earlier = {h.get("version") for h in state.get("history", [])}
        with self.store.session() as s:
            for row in s.scalars(select(Adapter).where(Adapter.role == role)):
                if row.version == state.get("version"):
                    row.status = "active"
                elif row.status == "active" or row.version in earlier:
                    row.status = "retired"

    def _store_delete(self, role: str, versions: builtins.list[int]) -> None:
        if self.store is None or not versions:
            return
        from sqlalchemy import delete

        from agent.store.schema import Adapter

        with self.store.session() as s:
            s.execute(delete(Adapter).where(Adapter.role == role,
                                            Adapter.version.in_(versions)))

    def record_decision(self, role: str, version: int, decision: Mapping[str, Any]) -> None:
        """Keep the gate's verdict on a version in its store row (``metrics["gate"]``)."""
        if self.store is None:
            return
        from sqlalchemy import select

        from agent.store.schema import Adapter

        with self.store.session() as s:
            row = s.scalar(select(Adapter).where(Adapter.role == role,
                                                 Adapter.version == version))
            if row is None:
                raise RegistryError(f"{role} v{version} has no row in the store")
            row.metrics = {**(row.metrics or {}), "gate": dict(decision)}


def active_adapter_path(paths: Paths, role: str) -> Path | None:
    """The GGUF adapter the agent should load for ``role`` at the start of an episode
    (verified; None: run the base model). Reads files only, never the database."""
    adapter = AdapterRegistry(paths.adapters_dir).active(role)
    return adapter.gguf_path if adapter is not None else None
