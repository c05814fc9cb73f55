"""Qwen3-VL: the same ``computer_use`` tool call as Qwen2.5-VL, on a 0–1000 relative grid.

Qwen3-VL's own computer-use cookbook (QwenLM/Qwen3-VL ``cookbooks/computer_use.ipynb``)
describes the screen to the model as 1000x1000 and maps the answer back with
``x / 1000 * width``; its image processor works in patches of 16 merged 2×2, so images are
resized to multiples of 32 (the cookbook calls ``smart_resize(..., factor=32)``). OSWorld's
``mm_agents/qwen3vl_agent.py`` divides by 999 instead; the difference is under 0.1 %.

The design choice a reader must know: because coordinates are relative, the resized image
size never enters the conversion — only the monitor does — so a resolution change between
steps cannot skew a click; the resize only bounds the number of visual tokens.
"""

from __future__ import annotations

from models.families.base import Family
from models.families.qwen25vl import QwenToolCallFamily

FAMILY: Family = QwenToolCallFamily("qwen3vl", factor=32, min_pixels=64 * 64,
                            max_pixels=1280 * 32 * 32, relative=True)
