"""Screenshot files: content addressing, formats, atomic writes."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.store.screens import ImageError, ScreenFiles, load_rgb

Shot = Callable[..., np.ndarray]


def test_name_is_the_sha256_of_the_file_and_no_temp_is_left(tmp_path: Path,
                                                             screenshot: Shot) -> None:
    screens = ScreenFiles(tmp_path / "screens")
    stored = screens.put(screenshot(1))
    path = screens.path(stored.sha256, "png")
    assert path == tmp_path / "screens" / stored.sha256[:2] / f"{stored.sha256[2:]}.png"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    again = screens.put(Image.fromarray(screenshot(1)))  # same pixels, other input type
    assert (again.sha256, again.created, stored.created) == (stored.sha256, False, True)


def test_webp_is_lossless(tmp_path: Path, screenshot: Shot) -> None:
    screens = ScreenFiles(tmp_path, "webp")
    stored = screens.put(screenshot(2))
    assert stored.format == "webp"
    np.testing.assert_array_equal(load_rgb(screens.path(stored.sha256, "webp")), screenshot(2))


def test_png_bytes_are_kept_and_jpeg_is_reencoded(tmp_path: Path, screenshot: Shot) -> None:
    screens = ScreenFiles(tmp_path)
    png = io.BytesIO()
    Image.fromarray(screenshot(3)).save(png, format="PNG", compress_level=1)
    kept = screens.put(png.getvalue())
    assert kept.sha256 == hashlib.sha256(png.getvalue()).hexdigest()
    jpeg = io.BytesIO()
    Image.fromarray(screenshot(3)).save(jpeg, format="JPEG")
    converted = screens.put(jpeg.getvalue())
    assert converted.format == "png" and (converted.width, converted.height) == (32, 24)


@pytest.mark.parametrize("bad", [b"not an image", np.zeros((4, 4), dtype=np.uint8),
                                 np.zeros((4, 4, 3), dtype=np.float32), "a string"])
def test_what_is_not_an_image_is_refused(tmp_path: Path, bad: object) -> None:
    with pytest.raises(ImageError):
        ScreenFiles(tmp_path).put(bad)
    assert list(tmp_path.rglob("*")) == []
