"""One actor run and one reward-model run through ``run_job``: they finish, their losses are
finite, the LoRA weights change, the row and the registry say what happened, and the exported
GGUF adapter gives llama.cpp the logits torch + peft computes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from agent.paths import Paths
from agent.store.repo import Store
from agent.store.schema import TrainingRun
from learner import grpo_actor, grpo_reward
from learner.adapters import AdapterRegistry
from learner.runs import run_job
from learner.train_config import ActorTrainConfig, RewardTrainConfig
from models.tiny import TinyModel
from tests.learner.test_learning import warm_bases

SMALL = {"lr": 5e-3, "lora_rank": 8, "lora_alpha": 16, "group_size": 4, "states_per_step": 2,
         "max_steps": 3, "temperature": 0.7, "checkpoint_every": 2, "device": "cpu",
         "beta": 0.04}


def _lora(peft_dir: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return dict(load_file(str(peft_dir / "adapter_model.safetensors")))


def _row(store: Store, run_id: int) -> TrainingRun:
    with store.session() as s:
        return s.get_one(TrainingRun, run_id)


def _check_run(store: Store, paths: Paths, run_id: int, role: str) -> dict[str, Any]:
    row = _row(store, run_id)
    assert row.status == "done", row.reason
    assert row.metrics is not None
    steps = row.metrics["steps"]
    assert [s["step"] for s in steps] == [1.0, 2.0, 3.0]
    for s in steps:
        assert all(math.isfinite(s[k]) for k in ("loss", "reward", "entropy", "kl"))
    assert row.config is not None and row.config["role"] == role
    return row.metrics


def test_actor_run_trains_exports_and_registers(tiny_model: TinyModel, tiny_cache_dir: Path,
                                                home: Paths, store: Store) -> None:
    import torch

    torch.set_num_threads(1)
    paths = home
    actor_base, _ = warm_bases(tiny_model, tiny_cache_dir)
    config = ActorTrainConfig(**SMALL, max_new_tokens=48, entropy_floor=100.0,
                              entropulse_steps=1, sft_batch=2, sft_lr=1e-3)
    job = grpo_actor.synthetic_job(actor_base, config, train_screens=8, holdout_screens=4)
    outcome = run_job(paths, store, job)
    metrics = _check_run(store, paths, outcome.run_id, "actor")
    assert outcome.version == 1 and metrics["version"] == 1
    assert set(metrics["candidate"]) >= {"verifiable_reward", "format_rate"}
    assert metrics["gate"]["reasons"]  # promoted or not, the gate says why
    assert metrics["pulses"] == 1  # entropy "collapsed" below 100 nats: one Entropulse phase
    assert math.isfinite(metrics["steps"][1]["pulse_sft_loss"])
    adapter = AdapterRegistry(paths.adapters_dir).get("actor", 1)
    trained = _lora(adapter.peft_dir)
    assert any(np.abs(v).max() > 0 for k, v in trained.items() if "lora_B" in k)  # B starts 0
    _gguf_matches_torch(actor_base, adapter.peft_dir, adapter.gguf_path, tiny_cache_dir)


def test_reward_model_run_records_its_form(tiny_model: TinyModel, tiny_cache_dir: Path,
                                           home: Paths, store: Store) -> None:
    import torch

    torch.set_num_threads(1)
    paths = home
    _, critic_base = warm_bases(tiny_model, tiny_cache_dir)
    config = RewardTrainConfig(**SMALL, max_new_tokens=8)
    job = grpo_reward.synthetic_job(critic_base, config, train_screens=8, holdout_screens=4)
    outcome = run_job(paths, store, job)
    metrics = _check_run(store, paths, outcome.run_id, "reward")
    assert _row(store, outcome.run_id).config["reasoning"] is False  # type: ignore[index]
    assert set(metrics["candidate"]) >= {"accuracy", "mae", "parse_rate"}
    trained = _lora(AdapterRegistry(paths.adapters_dir).get("reward", 1).peft_dir)
    assert any(np.abs(v).max() > 0 for k, v in trained.items() if "lora_B" in k)


def _gguf_matches_torch(base: Path, peft_dir: Path, gguf_adapter: Path, cache: Path) -> None:
    """llama.cpp (base GGUF + the exported adapter) vs torch + peft, f32, text positions."""
    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer, Qwen2_5_VLForConditionalGeneration

    from models.gguf.qwen_text import convert_text
    from tests.models.test_parity_text import PROMPT, llama_logits, torch_logits

    base_gguf = cache / f"{base.name}-f32.gguf"
    if not base_gguf.exists():
        convert_text(base, base_gguf, dtype="f32")
    ids = AutoTokenizer.from_pretrained(str(base)).encode(PROMPT)
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(
        str(base), attn_implementation="eager", dtype=torch.float32)
    tuned = PeftModel.from_pretrained(model, str(peft_dir)).eval()
    ours = torch_logits(tuned, ids)
    with tuned.disable_adapter():
        plain = torch_logits(tuned, ids)
    assert np.abs(ours - plain).max() > 1e-3  # the adapter changes the logits
    theirs = llama_logits(base_gguf, ids, lora=gguf_adapter)
    assert np.abs(ours - theirs).max() < 1e-4  # the models suite's f32 LoRA tolerance
