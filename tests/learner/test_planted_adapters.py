"""Planted bad actor adapters never pass the gate: noise LoRAs of several sizes and adapters
trained to click a corner, each registered and judged exactly as a night's candidate is — the
GGUF adapter on the served model through llama.cpp, on the store's held-out judged steps —
against the base model, which answers at chance there."""

from __future__ import annotations

from pathlib import Path

from agent.paths import Paths
from agent.store.repo import Store
from learner.adapters import AdapterRegistry
from learner.config import DataConfig, GateConfig
from learner.data import build_datasets
from learner.gate import gate_candidate
from learner.served_eval import ServedEvaluator
from models.hub.catalogue import Catalogue
from models.runtime import LlamaRuntime, RuntimeConfig
from models.tiny import TinyModel
from tests.app.test_learn_command import install, judged_steps
from tests.learner.test_learning import warm_bases

CONFIG = GateConfig(min_holdout=10)


def _noise_lora(base: Path, out: Path, seed: int, scale: float) -> Path:
    """A LoRA whose B and A are random: it changes the model without teaching it anything."""
    import torch

    from learner.policy import load_lora_model

    torch.manual_seed(seed)
    model = load_lora_model(base, rank=8, alpha=16)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_" in name:
                param.normal_(0.0, scale)
    model.save_pretrained(str(out))
    return out


def _corner_lora(base: Path, out: Path, seed: int, examples: list[object]) -> Path:
    """A LoRA taught to click the top-left corner of every screen."""
    import torch

    from learner.policy import Processor, load_lora_model
    from learner.sft import sft_phase

    torch.manual_seed(seed)
    model = load_lora_model(base, rank=8, alpha=16)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-3)
    sft_phase(model, Processor(base), optimizer, examples, 30, 4, seed)  # type: ignore[arg-type]
    model.save_pretrained(str(out))
    return out


def test_no_planted_bad_adapter_is_promoted(home: Paths, store: Store, tiny_model: TinyModel,
                                            tiny_cache_dir: Path, tmp_path: Path) -> None:
    import torch

    from learner.grpo_actor import prompted
    from learner.sft import Example
    from models.actions import Click
    from models.families.base import get_family
    from models.gguf.lora import export_lora

    torch.set_num_threads(1)
    base, _ = warm_bases(tiny_model, tiny_cache_dir)
    install(home, base, tiny_cache_dir)
    judged_steps(store, 60, seed=11)
    data = build_datasets(store, home, DataConfig(holdout_fraction=0.5), family="deskhand")
    family = get_family("deskhand")
    corner = [Example(prompted(r).text, prompted(r).image,
                      family.format_action(Click(r.monitor.left, r.monitor.top), r.frame()))
              for r in data.train]
    planted = [_noise_lora(base, tmp_path / f"noise-{i}", i, scale)
               for i, scale in enumerate((0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0))]
    planted += [_corner_lora(base, tmp_path / f"corner-{i}", i, corner) for i in range(2)]
    registry = AdapterRegistry(home.adapters_dir, store)
    model = Catalogue.load(home.models_dir).model_for("actor")
    assert model is not None
    with LlamaRuntime(model.gguf, model.mmproj, RuntimeConfig()) as runtime:
        served = ServedEvaluator(runtime, data.holdout, with_reasoning=False, max_new_tokens=48)
        baseline = served("actor", None)
        assert baseline.n >= CONFIG.min_holdout
        decisions = []
        for peft in planted:
            gguf = export_lora(peft, peft.with_suffix(".gguf"))
            version = registry.register("actor", peft, gguf, {"planted": peft.name})
            decisions.append(gate_candidate(registry, "actor", version,
                                            served("actor", gguf), baseline, CONFIG))
    assert len(decisions) >= 10
    promoted = [d for d in decisions if d.promote]
    assert promoted == [], [d.reasons for d in promoted]
    assert registry.active("actor") is None  # the base model still acts
    corner_results = decisions[-2:]
    assert all(d.figures.get("candidate", 1.0) <= 0.05 for d in corner_results)
