"""The demo model: a small Qwen2.5-VL taught, on this machine, by supervised fine-tuning on
demonstrations of the practice desktop's own solver.

It is honest about what it is — a model for the practice desktop's ``swatch`` exercises, built
in minutes on a CPU — and it is a real model of the product's architecture: the same family
prompt (Deskhand's own format), the same image path, converted to GGUF and run by llama.cpp
like any downloaded model, and trained further overnight by the same GRPO as any other.

``build_demo`` takes the demonstrations (prompt text + image + target, made by the caller from
real practice windows) and: trains a byte-level BPE tokenizer with Qwen2's pre-tokenizer on
the prompts and answers (so llama.cpp tokenizes exactly as transformers does), initialises a
small Qwen2.5-VL from a seed, fine-tunes it (all weights: it starts from random) for a fixed
number of steps, and writes the HF folder plus the GGUF text model and projector. The build is
deterministic for a seed and cached under a key of its parameters, its data and its code.

The design choice a reader must know: the step budget is fixed, not "until solved": the
demo model is what a few minutes of demonstrations give — it writes the format and points at
squares, but it is far from always right, so a person's judgments have something to teach it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from learner.sft import Example
from models.build_once import build_once

log = logging.getLogger(__name__)
VERSION = 1  # bump when the recipe changes in a way the code hash would not show


@dataclass(frozen=True)
class DemoRecipe:
    """The knobs of a demo build (every one is part of the cache key)."""

    hidden: int = 128
    layers: int = 4
    vocab: int = 1000  # learned BPE ids (the embedding is padded to a multiple of 256)
    steps: int = 200
    batch: int = 4
    lr: float = 2e-3
    warmup: int = 30
    seed: int = 0
    threads: int = 1  # torch threads while training (1: the same build on any machine)

    def key(self, data_hash: str) -> str:
        here = Path(__file__).resolve().parent
        code = b"".join((here / name).read_bytes()  # the training path is part of the build
                        for name in ("demo_model.py", "policy.py", "sft.py"))
        payload = json.dumps({**asdict(self), "threads": 0, "data": data_hash,
                              "version": VERSION}, sort_keys=True).encode()
        return hashlib.sha256(payload + code).hexdigest()[:16]


@dataclass(frozen=True)
class DemoModel:
    """Paths of one demo build."""

    folder: Path
    hf_dir: Path
    gguf_path: Path
    mmproj_path: Path
    report: dict[str, Any]


def examples_hash(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(ex.text.encode() + b"\0" + ex.target.encode() + b"\0")
        if ex.image is not None:
            digest.update(str(ex.image.shape).encode() + ex.image.tobytes())
    return digest.hexdigest()


def cached_demo(out_dir: Path, alias: str) -> DemoModel | None:
    """A build recorded under ``alias`` (see ``build_demo``), without remaking its data."""
    marker = Path(out_dir) / f"alias-{alias}.json"
    try:
        folder = Path(out_dir) / json.loads(marker.read_text(encoding="utf-8"))["folder"]
    except (OSError, ValueError, KeyError):
        return None
    return _load(folder) if (folder / "demo.json").is_file() else None


def build_demo(out_dir: Path, examples: Sequence[Example], recipe: DemoRecipe | None = None,
               *, progress: Callable[[int, int, float], None] | None = None,
               alias: str | None = None) -> DemoModel:
    """Build (or return the cached) demo model from ``examples`` under ``out_dir``.

    ``alias``: a key the caller can find this build by later without the examples (a hash of
    how it makes them), for :func:`cached_demo`."""
    if not examples:
        raise ValueError("the demo model needs demonstrations")
    recipe = recipe or DemoRecipe()
    key = recipe.key(examples_hash(examples))
    out_dir = Path(out_dir)
    folder = out_dir / f"demo-{key}"
    if alias is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"alias-{alias}.json").write_text(json.dumps({"folder": folder.name}),
                                                     encoding="utf-8")

    def make(staging: Path) -> None:
        report = _build(staging, list(examples), recipe, progress)
        (staging / "demo.json").write_text(json.dumps(report, indent=2), encoding="utf-8")

    return _load(build_once(folder, "demo.json", make))


def _load(folder: Path) -> DemoModel:
    report = json.loads((folder / "demo.json").read_text(encoding="utf-8"))
    return DemoModel(folder, folder / "hf", folder / "demo-f32.gguf",
                     folder / "mmproj-demo-f32.gguf", report)


def _build(folder: Path, examples: list[Example], recipe: DemoRecipe,
           progress: Callable[[int, int, float], None] | None) -> dict[str, Any]:
    import torch

    from learner.policy import Processor
    from learner.sft import sft_step
    from models.gguf.qwen_mmproj import convert_mmproj
    from models.gguf.qwen_text import convert_text

    hf_dir = folder / "hf"
    hf_dir.mkdir(parents=True)
    corpus = [ex.text for ex in examples[:64]] + [ex.target for ex in examples]
    ids = _save_tokenizer(hf_dir, corpus, recipe.vocab)
    threads = torch.get_num_threads()
    if recipe.threads:
        torch.set_num_threads(recipe.threads)
    try:
        model = _init_model(hf_dir, ids, recipe)
        processor = Processor(hf_dir)
        optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.0)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(recipe))
        rng = random.Random(recipe.seed)
        started, losses = time.monotonic(), []
        for step in range(recipe.steps):
            batch = [examples[rng.randrange(len(examples))] for _ in range(recipe.batch)]
            losses.append(sft_step(model, processor, optimizer, batch))
            schedule.step()
            if progress is not None:
                progress(step + 1, recipe.steps, losses[-1])
        seconds = time.monotonic() - started
        model.save_pretrained(str(hf_dir))
    finally:
        torch.set_num_threads(threads)
    convert_text(hf_dir, folder / "demo-f32.gguf", dtype="f32")
    convert_mmproj(hf_dir, folder / "mmproj-demo-f32.gguf", dtype="f32")
    tail = losses[-20:]
    return {"recipe": asdict(recipe), "examples": len(examples),
            "train_seconds": round(seconds, 1), "final_loss": sum(tail) / len(tail)}


def _lr_lambda(recipe: DemoRecipe) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < recipe.warmup:
            return (step + 1) / recipe.warmup
        done = (step - recipe.warmup) / max(1, recipe.steps - recipe.warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, done)))

    return factor


def _save_tokenizer(hf_dir: Path, corpus: list[str], learned: int) -> dict[str, int]:
    from transformers import PreTrainedTokenizerFast

    from models import tiny

    tok = tiny.train_tokenizer(learned, texts=[*tiny.corpus(), *corpus])
    wrapped = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
        model_max_length=tiny.CONTEXT)
    wrapped.chat_template = tiny.CHAT_TEMPLATE
    wrapped.save_pretrained(str(hf_dir))
    tiny.save_preprocessor(hf_dir)
    vocab: dict[str, int] = tok.get_vocab(with_added_tokens=True)
    return vocab


def _init_model(hf_dir: Path, ids: dict[str, int], recipe: DemoRecipe) -> Any:
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    from models import tiny

    config = tiny.tiny_config(recipe.hidden, ids)
    config["text_config"]["num_hidden_layers"] = recipe.layers
    config["text_config"]["vocab_size"] = 256 * math.ceil(len(ids) / 256)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(recipe.seed)
        model = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig(**config))
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    return model
