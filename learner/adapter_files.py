"""File helpers of the adapter registry: hashing, durable writes, atomic replacement.

The design choice a reader must know: "durable" means written, fsynced, renamed into place
and the parent folder fsynced, in that order — a power cut leaves the old file or the new
one, never a torn one. File hashes are cached per process by (path, inode, size, mtime), so
the agent can verify its adapter at every episode start without re-reading unchanged files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20
_HASH_CACHE: dict[tuple[str, int, int, int], str] = {}
_HASH_CACHE_MAX = 256


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes (cached while the file is unchanged)."""
    st = path.stat()
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    cached = _HASH_CACHE.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    if len(_HASH_CACHE) >= _HASH_CACHE_MAX:
        _HASH_CACHE.clear()
    _HASH_CACHE[key] = digest.hexdigest()
    return _HASH_CACHE[key]


def tree_files(folder: Path, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """{relative posix path: sha256} of every file under ``folder`` (names in ``skip`` left out)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in skip:
            out[rel] = file_sha256(path)
    return out


def tree_hash(files: Mapping[str, str]) -> str:
    """One hash over a folder's files: sha256 of ``"path\\0sha\\n"`` lines in path order.

    >>> tree_hash({"b": "2", "a": "1"}) == tree_hash({"a": "1", "b": "2"})
    True
    """
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(f"{rel}\0{files[rel]}\n".encode())
    return digest.hexdigest()


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as handle:
                os.fsync(handle.fileno())
    for sub in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        fsync_dir(sub)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to ``path`` through a temp file, fsync and rename (atomic replacement)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(obj, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def remove_tree(folder: Path) -> None:
    """Remove a folder so that it disappears at once (renamed aside, then deleted)."""
    if not folder.exists():
        return
    aside = folder.with_name(f".trash-{folder.name}-{uuid.uuid4().hex[:8]}")
    os.replace(folder, aside)
    fsync_dir(folder.parent)
    shutil.rmtree(aside, ignore_errors=True)
