"""A whole actor run on a Qwen3-VL base through ``run_job`` (the nightly path): it trains,
exports the adapter for llama.cpp's ``qwen3vl`` architecture, registers it, and the exported
GGUF adapter on the converted base gives llama.cpp the logits torch + peft computes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from agent.paths import Paths
from agent.store.repo import Store
from agent.store.schema import TrainingRun
from learner.adapters import AdapterRegistry
from learner.evaluate import actor_evaluation
from learner.gate import Evaluation
from learner.grpo import Prompted
from learner.policy import Processor
from learner.runs import run_job
from learner.sft import Example
from learner.train import Job
from learner.train_config import ActorTrainConfig
from models.families.base import get_family
from models.frames import Monitor
from models.tiny import TinyModel

CONFIG = {"lr": 5e-3, "lora_rank": 4, "lora_alpha": 8, "group_size": 4, "states_per_step": 1,
          "max_steps": 2, "temperature": 1.0, "checkpoint_every": 2, "device": "cpu",
          "beta": 0.04, "max_new_tokens": 6}


def _states(n: int, seed: int) -> list[Prompted]:
    family, monitor = get_family("qwen3vl"), Monitor(0, 0, 128, 64)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        shot = rng.integers(0, 256, (64, 128, 3), dtype=np.uint8)
        prompt = family.build_prompt("Click the button", [], shot, monitor)
        out.append(Prompted(prompt.hf_text(), prompt.image))
    return out


def distinct(completions: list[str], **_: object) -> list[float]:
    return [len(set(c)) / 10 for c in completions]


@pytest.mark.slow
def test_an_actor_run_on_qwen3vl_exports_a_qwen3vl_adapter(tiny_qwen3: TinyModel, home: Paths,
                                                           store: Store) -> None:
    import torch
    from gguf import GGUFReader

    torch.set_num_threads(1)
    config = ActorTrainConfig(**CONFIG)

    def evaluate(model: Any, processor: Processor, held: Sequence[Prompted]) -> Evaluation:
        return actor_evaluation(model, processor, held, distinct, distinct, 4)

    train, holdout = _states(2, 1), _states(1, 2)
    examples = [Example(s.text, s.image, "ok") for s in train]
    job = Job("actor", tiny_qwen3.hf_dir, config, train, holdout, [distinct], (1.0,), evaluate,
              None, examples, "qwen3-test")
    outcome = run_job(home, store, job)
    with store.session() as s:
        row = s.get_one(TrainingRun, outcome.run_id)
        assert row.status == "done", row.reason
        assert row.metrics is not None
        assert all(math.isfinite(step["loss"]) for step in row.metrics["steps"])
    adapter = AdapterRegistry(home.adapters_dir).get("actor", 1)
    reader = GGUFReader(str(adapter.gguf_path))
    assert reader.fields["general.architecture"].contents() == "qwen3vl"
    _served_matches_torch(tiny_qwen3, adapter.peft_dir, adapter.gguf_path)


def _served_matches_torch(tiny: TinyModel, peft_dir: Any, gguf_adapter: Any) -> None:
    from peft import PeftModel

    from tests.models.test_parity_qwen3 import qwen3_ids, qwen3_model
    from tests.models.test_parity_text import llama_logits, torch_logits

    tuned = PeftModel.from_pretrained(qwen3_model(tiny), str(peft_dir)).eval()
    ids = qwen3_ids(tiny)
    ours = torch_logits(tuned, ids)
    with tuned.disable_adapter():
        assert np.abs(ours - torch_logits(tuned, ids)).max() > 1e-4  # training moved it
    assert np.abs(ours - llama_logits(tiny.gguf_path, ids, lora=gguf_adapter)).max() < 1e-5
