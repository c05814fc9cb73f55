"""What an import reads, checked before anything is stored: lines, JSON values and images.

Every check here raises :class:`BadLine` with a message that says what is wrong (the caller
adds the file and line), never another exception: a hostile or broken file is a clear error,
not a traceback. The design choices a reader must know:

* Lines are split on ``\\n`` *bytes* and decoded one by one, so a non-UTF-8 byte is an error
  of its line (``--skip-bad`` can skip it), and a JSON string holding U+2028 is not cut in two.
* Values must fit the database: integers in SQLite's 64 bits, finite floats, strings that are
  valid Unicode, and at most ``MAX_DEPTH`` levels of nesting — checked for the whole record,
  so nothing fails later at the commit, where no line number is known.
* Images are read only from inside the imported file's folder (after following ``..`` and
  symlinks) or a folder the person named with ``--allow-outside``; a file larger than
  ``MAX_IMAGE_BYTES`` or a picture of more than ``MAX_IMAGE_PIXELS`` is refused before it is
  decoded (decompression bombs).
"""

from __future__ import annotations

import io
import json
import math
import urllib.error
import urllib.request
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAX_DEPTH = 32
MAX_IMAGE_BYTES = 64 * 1024**2
MAX_IMAGE_PIXELS = 8192 * 8192
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # SQLite's INTEGER


class BadLine(ValueError):
    """One line is malformed (the message says how; the caller adds where)."""


def split_lines(data: bytes) -> list[tuple[int, bytes]]:
    """(line number, bytes) of each line, ``\\r\\n`` or ``\\n``; a UTF-8 BOM is dropped.

    >>> split_lines(b"\\xef\\xbb\\xbfa\\r\\nb\\n\\nc")
    [(1, b'a'), (2, b'b'), (3, b''), (4, b'c')]
    """
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [(n, line.removesuffix(b"\r")) for n, line in enumerate(lines, 1)]


def decode(raw: bytes) -> str:
    """The line as text; BadLine naming the column of the first byte that is not UTF-8.

    >>> decode(b"ok \\xff")
    Traceback (most recent call last):
    ...
    agent.store.import_input.BadLine: not UTF-8: byte 0xff at column 4
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadLine(f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
                      ) from None


def _no_constant(name: str) -> Any:
    raise BadLine(f"not valid JSON: {name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadLine(f"number {text[:40]} is too large")
    return value


def parse_object(text: str, what: str = "line") -> dict[str, Any]:
    """A JSON object whose every value fits the database (see :func:`check_values`)."""
    try:
        obj = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise BadLine(f"JSON nested too deeply (more than {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        if isinstance(exc, BadLine):
            raise
        raise BadLine(f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise BadLine(f"expected a JSON object, got {type(obj).__name__}")
    check_values(obj, what)
    return obj


def check_values(obj: Any, where: str = "line") -> None:
    """BadLine unless every value of ``obj`` can be stored: 64-bit integers, finite floats,
    valid Unicode strings (keys too), at most ``MAX_DEPTH`` levels. Walks without recursion.

    >>> try:
    ...     check_values({"a": [1, {"b": 2**64}]})
    ... except BadLine as exc:
    ...     print(exc)
    line.a[1].b: the number 18446744073709551616 does not fit in 64 bits
    """
    stack: list[tuple[Any, str, int]] = [(obj, where, 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadLine(f"{path}: nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            if not INT_MIN <= value <= INT_MAX:
                shown = str(value) if value.bit_length() < 200 else f"of {len(str(value))} digits"
                raise BadLine(f"{path}: the number {shown} does not fit in 64 bits")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise BadLine(f"{path}: the number {value} is not finite")
        elif isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(str(key), f"{path} (a key)")
                stack.append((item, f"{path}.{key}", depth + 1))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        else:
            raise BadLine(f"{path}: unexpected value of type {type(value).__name__}")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadLine(f"{path}: invalid Unicode (a lone surrogate \\u{ord(text[exc.start]):04x}"
                      f" at character {exc.start + 1})") from None


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of encoded image bytes, refusing what is no image or too big to decode.

    Only the header is read: a decompression bomb is refused before any pixel is decoded.
    """
    from PIL import Image

    if len(data) > MAX_IMAGE_BYTES:
        raise BadLine(f"image: {len(data)} bytes is more than {MAX_IMAGE_BYTES} allowed")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadLine(f"image: refused, a decompression bomb: {exc}") from None
    except Exception as exc:  # Pillow raises many kinds on hostile bytes
        raise BadLine(f"image: not a readable image: {exc}") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise BadLine(f"image: {width}x{height} pixels is more than {MAX_IMAGE_PIXELS} "
                      "allowed (a decompression bomb?)")
    return width, height


class ImageSource:
    """Reads the image a line names: a path inside the allowed folders, or a URL if asked."""

    def __init__(self, base: Path, allow_outside: Sequence[Path] = (), fetch: bool = False
                 ) -> None:
        self.base = base
        self.roots = [p.resolve() for p in (base, *allow_outside)]
        self.fetch = fetch

    def read(self, ref: str | None) -> bytes | None:
        """The image bytes, or None when the image is missing (not fetched, absent, failed).

        BadLine when ``ref`` points outside the allowed folders, or at a file too large.
        """
        if not ref:
            return None
        if ref.startswith(("http://", "https://")):
            return self._fetch(ref) if self.fetch else None
        shown = f"{ref[:200]!r}"
        try:
            path = Path(ref.removeprefix("file://"))
            real = (path if path.is_absolute() else self.base / path).resolve()
            inside = any(real.is_relative_to(root) for root in self.roots)
            if inside and not real.is_file():
                return None  # absent, a folder, a pipe or a device: never read
            size = real.stat().st_size if inside else 0
        except (OSError, RuntimeError, ValueError) as exc:  # a loop, a NUL, a name too long
            raise BadLine(f"image {shown}: {exc}") from None
        if not inside:
            raise BadLine(f"image {shown} is outside {self.base} (it is {real}); nothing is "
                          "read from elsewhere unless you pass --allow-outside DIR")
        if size > MAX_IMAGE_BYTES:
            raise BadLine(f"image {shown}: {size} bytes is more than {MAX_IMAGE_BYTES} allowed")
        with open(real, "rb") as fh:
            return fh.read(MAX_IMAGE_BYTES + 1)

    def _fetch(self, url: str) -> bytes | None:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                data: bytes = response.read(MAX_IMAGE_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError):
            return None
        if len(data) > MAX_IMAGE_BYTES:
            raise BadLine(f"image {url}: more than {MAX_IMAGE_BYTES} bytes")
        return data
