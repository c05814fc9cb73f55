"""A running model picks up the active adapter at the start of the next episode — promoted
or rolled back — without reloading the base model."""

from __future__ import annotations

from pathlib import Path

from agent.paths import Paths
from app.adapters import attach_active_adapters
from learner.adapters import AdapterRegistry
from models.gguf.lora import export_lora
from models.runtime import LlamaRuntime, RuntimeConfig
from models.tiny import TinyModel
from tests.models.runtime.helpers import prompt
from tests.models.test_gguf_lora import peft_model

CONFIG = RuntimeConfig(threads=2, n_ctx=2048, n_batch=256, max_new_tokens=6, seed=1,
                       flash_attn="off")


def _version(tiny: TinyModel, registry: AdapterRegistry, folder: Path, seed: int) -> int:
    model = peft_model(tiny, seed=seed)
    peft_dir = folder / f"peft-{seed}"
    model.save_pretrained(peft_dir)
    gguf = export_lora(peft_dir, folder / f"lora-{seed}.gguf")
    return registry.register("actor", peft_dir, gguf, {"config": {"seed": seed}})


def test_promotion_and_rollback_reach_the_running_model(tiny_model: TinyModel, home: Paths,
                                                        tmp_path: Path) -> None:
    registry = AdapterRegistry(home.adapters_dir)
    first = _version(tiny_model, registry, tmp_path, seed=1)
    second = _version(tiny_model, registry, tmp_path, seed=2)
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, CONFIG) as runtime:
        pointer = runtime.model_pointer
        assert attach_active_adapters(runtime, home, ("actor",))[0] == {}
        assert "actor" not in runtime.roles  # nothing promoted: the base model runs

        registry.promote("actor", first)
        assert attach_active_adapters(runtime, home, ("actor",))[0] == {"actor": f"v{first}"}
        one = runtime.roles["actor"]

        registry.promote("actor", second)
        assert attach_active_adapters(runtime, home, ("actor",))[0] == {"actor": f"v{second}"}
        assert runtime.roles["actor"] != one

        registry.rollback("actor")
        assert attach_active_adapters(runtime, home, ("actor",))[0] == {"actor": f"v{first}"}
        assert runtime.roles["actor"] == one
        assert runtime.model_pointer == pointer, "the base model was never reloaded"


def test_an_adapter_that_does_not_fit_the_model_leaves_the_base(
        tiny_model: TinyModel, tiny_model_256: TinyModel, home: Paths, tmp_path: Path) -> None:
    registry = AdapterRegistry(home.adapters_dir)
    registry.promote("actor", _version(tiny_model_256, registry, tmp_path, seed=3))  # 256 wide
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, CONFIG) as runtime:
        versions, problems = attach_active_adapters(runtime, home, ("actor",))
        assert versions == {} and "actor" not in runtime.roles
        assert len(problems) == 1 and "does not fit the running model" in problems[0]
        out = runtime.generate(prompt(0), greedy=True, max_new_tokens=2)
        assert out.finish in ("stop", "length")
