"""Screenshot files of the store: content-addressed, written atomically, swept when orphaned.

A screenshot lives at ``screens/ab/cdef….png`` (or ``.webp``, lossless) where ``abcdef…`` is
the sha256 of the *encoded file bytes*. One design choice a reader must know: hashing the file
bytes (not the pixels) means anyone can check a file with ``sha256sum``, and an imported PNG keeps
its bytes and its name, so export → import keeps image names; the same pixels encoded by the same
Pillow give the same bytes, so identical screenshots are still stored once.

Files are written before the row that names them (temp file in the same folder, fsync, rename,
fsync of the folder), so a crash leaves at worst an orphan file, never a row without its image.
The start-up sweep removes orphans and stale temp files, but only those older than ``min_age_s``
so that a file a concurrent writer has just written (its row not yet committed) is left alone.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMATS = ("png", "webp")
TEMP_PREFIX = ".tmp-"
SWEEP_MIN_AGE_S = 600.0


class ImageError(ValueError):
    """The bytes or array given are not an image we can store."""


@dataclass(frozen=True)
class StoredImage:
    sha256: str
    format: str  # "png" | "webp"
    width: int
    height: int
    created: bool  # False when an identical file was already there


def encode(image: Any, image_format: str) -> tuple[bytes, str, int, int]:
    """(file bytes, format, width, height) of a numpy RGB array, PIL image or encoded bytes.

    Encoded PNG or WebP bytes are kept as they are; other formats (JPEG, ...) are decoded and
    re-encoded losslessly in ``image_format``.

    >>> data, fmt, w, h = encode(np.zeros((2, 3, 3), dtype=np.uint8), "png")
    >>> fmt, w, h, data[:4] == b"\\x89PNG"
    ('png', 3, 2, True)
    """
    from PIL import Image, UnidentifiedImageError

    if image_format not in FORMATS:
        raise ImageError(f"image format must be one of {FORMATS}, got {image_format!r}")
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                probe.load()
                kind = (probe.format or "").lower()
                if kind in FORMATS:
                    return data, kind, probe.width, probe.height
                pil = probe.convert("RGB")
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ImageError(f"not a readable image: {exc}") from None
    elif isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
            raise ImageError(f"expected an [H, W, 3] uint8 array, got {image.shape} {image.dtype}")
        pil = Image.fromarray(np.ascontiguousarray(image[:, :, :3]))
    elif isinstance(image, Image.Image):
        pil = image if image.mode in ("RGB", "RGBA") else image.convert("RGB")
    else:
        raise ImageError(f"cannot store an image of type {type(image).__name__}")
    out = io.BytesIO()
    if image_format == "png":
        pil.save(out, format="PNG", compress_level=6)
    else:
        pil.save(out, format="WEBP", lossless=True, quality=80, method=4)
    return out.getvalue(), image_format, pil.width, pil.height


class ScreenFiles:
    """The ``screens/`` folder: put an image in, get a path out, sweep orphans."""

    def __init__(self, root: Path, image_format: str = "png") -> None:
        self.root = root
        self.image_format = image_format

    def path(self, sha256: str, image_format: str) -> Path:
        return self.root / sha256[:2] / f"{sha256[2:]}.{image_format}"

    def put(self, image: Any) -> StoredImage:
        """Store an image (array, PIL image or encoded bytes); returns once it is on disk."""
        data, fmt, width, height = encode(image, self.image_format)
        sha = hashlib.sha256(data).hexdigest()
        created = self.put_bytes(data, sha, fmt)
        return StoredImage(sha, fmt, width, height, created)

    def put_bytes(self, data: bytes, sha256: str, image_format: str) -> bool:
        """Write encoded bytes under their hash (atomically); False if the file was there."""
        final = self.path(sha256, image_format)
        if final.exists():
            try:  # refresh its age so a concurrent sweep leaves it alone until our row lands
                os.utime(final)
                return False
            except FileNotFoundError:
                pass
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex}.{image_format}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)
        return True

    def remove(self, sha256: str, image_format: str) -> bool:
        path = self.path(sha256, image_format)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def files(self) -> Iterable[tuple[str, str, Path]]:
        """(sha256, format, path) of every stored screenshot."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if not sub.is_dir() or len(sub.name) != 2:
                continue
            for path in sub.iterdir():
                suffix = path.suffix.lstrip(".")
                if suffix in FORMATS and not path.name.startswith(TEMP_PREFIX):
                    yield sub.name + path.stem, suffix, path

    def sweep(self, referenced: set[str], min_age_s: float = SWEEP_MIN_AGE_S,
              now: float | None = None) -> int:
        """Remove files whose hash no row names, and stale temp files; returns how many.

        Only files older than ``min_age_s`` go: a younger one may belong to a row that a
        concurrent writer has not committed yet.
        """
        now = time.time() if now is None else now
        removed = 0
        candidates: list[Path] = [p for sha, _, p in self.files() if sha not in referenced]
        if self.root.is_dir():
            candidates += list(self.root.glob(f"*/{TEMP_PREFIX}*"))
        for path in candidates:
            try:
                if now - path.stat().st_mtime >= min_age_s:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a directory; NTFS journals the rename
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_rgb(path: Path) -> np.ndarray:
    """A stored screenshot as an ``[H, W, 3]`` uint8 array."""
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))
