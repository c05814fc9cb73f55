"""A training run's checkpoint: ``runs/<run>/checkpoint/`` = peft adapter + ``state.pt``.

``state.pt`` holds the optimizer state, the step counter, the RNG states, the per-step
metrics so far and the entropy history (Entropulse needs it after a resume).

The design choice a reader must know: a checkpoint is written whole into ``checkpoint.new``,
synced, and swapped in by two renames (``checkpoint`` → ``checkpoint.old``, ``.new`` →
``checkpoint``); ``load`` falls back to ``checkpoint.old`` when a kill landed between the two,
so a SIGKILL at any moment leaves one complete checkpoint, never half of one.
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

STATE_FILE = "state.pt"
ADAPTER_DIR = "adapter"
GUARD_FILE = "guard.safetensors"  # the warm-up's LoRA weights, while its guard is pending


@dataclass
class TrainState:
    """Everything besides the weights that a resumed run needs."""

    step: int = 0
    metrics: list[dict[str, float]] = field(default_factory=list)
    entropies: list[float] = field(default_factory=list)
    pulses: int = 0
    warmed: bool = False  # the run's supervised warm-up (if any) is done
    warmup_loss: float | None = None
    guard: dict[str, Any] | None = None  # the reward model's warm-up guard, once it decided
    warmup_step: int = 0  # warm-up steps done when a stop or the time budget cut it short
    # a reward run's warm-up guard still to check (its weights: GUARD_FILE): its agreement
    guard_agreement: float | None = None


def _sync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(run_dir: Path, model: Any, optimizer: Any, state: TrainState,
         weights: dict[str, Any] | None = None,
         optimizer_state: dict[str, Any] | None = None,
         guard_weights: dict[str, Any] | None = None) -> Path:
    """Write the checkpoint of ``run_dir`` atomically (see module doc); returns its folder.

    ``weights`` and ``optimizer_state`` are a sharded model's, gathered whole by every rank
    (:mod:`learner.sharding`); a whole model's are read from it and its optimizer.
    ``guard_weights``: a pending warm-up guard's (whole tensors), kept for a resumed run."""
    import torch
    from safetensors.torch import save_file

    final, new, old = (run_dir / "checkpoint", run_dir / "checkpoint.new",
                       run_dir / "checkpoint.old")
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    model.save_pretrained(str(new / ADAPTER_DIR), state_dict=weights)
    if guard_weights is not None:
        save_file({k: v.contiguous() for k, v in guard_weights.items()}, str(new / GUARD_FILE))
    torch.save({"optimizer": optimizer_state if optimizer_state is not None
                else optimizer.state_dict(), "step": state.step,
                "metrics": state.metrics, "entropies": state.entropies, "pulses": state.pulses,
                "warmed": state.warmed, "warmup_loss": state.warmup_loss, "guard": state.guard,
                "warmup_step": state.warmup_step, "guard_agreement": state.guard_agreement,
                "rng": {"torch": torch.get_rng_state(), "python": random.getstate(),
                        "numpy": np.random.get_state()}}, new / STATE_FILE)
    _sync_tree(new)
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def latest(run_dir: Path) -> Path | None:
    """The complete checkpoint of ``run_dir``, if any."""
    for name in ("checkpoint", "checkpoint.old"):
        folder = run_dir / name
        if (folder / STATE_FILE).is_file() and (folder / ADAPTER_DIR).is_dir():
            return folder
    return None


def load_weights(folder: Path, model: Any) -> None:
    """Put a checkpoint's adapter weights into ``model`` (a whole one: before sharding)."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = load_file(str(folder / ADAPTER_DIR / "adapter_model.safetensors"))
    set_peft_model_state_dict(model, weights)


def load_state(folder: Path, model: Any, optimizer: Any) -> TrainState:
    """Put a checkpoint's optimizer state (sharded or not: :mod:`learner.sharding`) and RNG
    state back; its step counter and history."""
    import torch

    from learner.sharding import load_optimizer_state

    raw = torch.load(folder / STATE_FILE, weights_only=False)
    load_optimizer_state(model, optimizer, raw["optimizer"])
    torch.set_rng_state(raw["rng"]["torch"])
    random.setstate(raw["rng"]["python"])
    np.random.set_state(raw["rng"]["numpy"])
    return TrainState(int(raw["step"]), list(raw["metrics"]), list(raw["entropies"]),
                      int(raw.get("pulses", 0)), bool(raw.get("warmed", False)),
                      raw.get("warmup_loss"), raw.get("guard"), int(raw.get("warmup_step", 0)),
                      raw.get("guard_agreement"))


def load_guard(folder: Path) -> dict[str, Any] | None:
    """A pending warm-up guard's weights from a checkpoint, if it holds them."""
    from safetensors.torch import load_file

    path = folder / GUARD_FILE
    return load_file(str(path)) if path.is_file() else None


def load(folder: Path, model: Any, optimizer: Any) -> TrainState:
    """Put a checkpoint's adapter weights, optimizer state and RNG state back."""
    load_weights(folder, model)
    return load_state(folder, model, optimizer)
