"""The font of the PNG charts the benches and ``eval`` write (Pillow, no plotting library).

Pillow's scalable default font where it has one (10.1 and newer); the old bitmap font, which
drops some spaces, only where it has not.
"""

from __future__ import annotations

from typing import Any

from PIL import ImageFont


def chart_font(size: int = 13) -> Any:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the small bitmap font
        return ImageFont.load_default()
