"""Prompts and settings shared by the runtime tests (the fixture lives in ``conftest.py``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from models.runtime import Prompt, RuntimeConfig

SYSTEM = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
CONFIG = RuntimeConfig(threads=2, n_ctx=2048, n_batch=256, max_new_tokens=24, temperature=1.0,
                       top_p=1.0, seed=3)
# parity with torch is measured on llama.cpp's f32 attention path: its CPU flash attention
# (the "auto" default) rounds K/V to f16 and moves the logits by a few 1e-3
PARITY_CONFIG = replace(CONFIG, flash_attn="off")


def image(step: int, height: int = 112, width: int = 168) -> np.ndarray:
    """A deterministic screenshot-like image (sides multiples of 28), different per step."""
    rng = np.random.default_rng(step)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def prompt(step: int, task: str = "open the settings menu", **size: int) -> Prompt:
    suffix = (f"Task: {task}. Step {step}: <__media__> What next?<|im_end|>\n"
              "<|im_start|>assistant\n")
    return Prompt(SYSTEM, suffix, image(step, **size))
