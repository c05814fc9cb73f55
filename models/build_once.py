"""Build a folder once, atomically: under a temporary name, renamed into place when complete.

The tiny test models and the demo model are cached by a key of how they are made. A concurrent
or interrupted build must never leave a half-written folder where the cache looks, and two
processes building the same key must both end up with the one that finished first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path


def build_once(folder: Path, marker: str, build: Callable[[Path], None]) -> Path:
    """``folder``, built by ``build(staging)`` unless ``folder / marker`` already exists.

    ``build`` must write ``marker`` last, into the staging folder it is given.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> calls = []
    >>> def make(staging: Path) -> None:
    ...     calls.append(staging.name)
    ...     (staging / "done.json").write_text("{}")
    >>> first = build_once(root / "m", "done.json", make)
    >>> again = build_once(root / "m", "done.json", make)
    >>> (first == again, len(calls), sorted(p.name for p in root.iterdir()))
    (True, 1, ['m'])
    """
    if (folder / marker).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".staging-{folder.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        build(staging)
        try:
            staging.rename(folder)
        except OSError:  # another process finished the same build first
            if not (folder / marker).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
