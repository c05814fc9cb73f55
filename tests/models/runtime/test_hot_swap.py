"""LoRA hot swap on a loaded base: equal to fresh loads, equal to torch+peft, and why the KV
cache must be reset after a swap (without it the cached prefix was computed by the old adapter);
each adapter keeps its own KV sequence, so alternating actor and critic keeps both prefixes.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from models.runtime import LlamaRuntime, Prompt
from models.tiny import TinyModel
from tests.models.runtime.helpers import CONFIG, PARITY_CONFIG, SYSTEM

TEXT = Prompt(SYSTEM, "Click the save button, then close the window.<|im_end|>\n"
                      "<|im_start|>assistant\n")
SAME = 1e-5  # a swapped-in adapter against a fresh load: the same computation
TORCH = 2e-3  # llama.cpp against torch + peft (f32 weights)


def _peft_model(tiny_model: TinyModel, seed: int) -> object:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import Qwen2_5_VLForConditionalGeneration

    from models.gguf.lora import TEXT_TARGET_MODULES

    torch.manual_seed(seed)
    base = Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_model.hf_dir,
                                                              dtype=torch.float32)
    with warnings.catch_warnings():  # peft 0.17 reads a deprecated transformers 5 property
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
        model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8,
                                                target_modules=TEXT_TARGET_MODULES))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, 0.5)  # peft starts B at zero: make the adapter matter
    return model.eval()


@pytest.fixture(scope="module")
def adapters(tiny_model: TinyModel, tmp_path_factory: pytest.TempPathFactory,
             ) -> dict[str, tuple[Path, object]]:
    from models.gguf.lora import export_lora

    folder = tmp_path_factory.mktemp("lora")
    out = {}
    for name, seed in (("actor", 1), ("critic", 2)):
        model = _peft_model(tiny_model, seed)
        out[name] = (export_lora(model, folder / f"{name}.gguf"), model)
    return out


@pytest.fixture(scope="module")
def rt(tiny_model: TinyModel, adapters: dict[str, tuple[Path, object]],
       ) -> Iterator[LlamaRuntime]:
    roles = {name: path for name, (path, _model) in adapters.items()}
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, PARITY_CONFIG,
                      roles) as runtime:
        yield runtime


def fresh_logits(tiny_model: TinyModel, adapter: Path | None) -> np.ndarray:
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, PARITY_CONFIG) as runtime:
        runtime.set_adapter(adapter)
        return runtime.logits(TEXT)


@pytest.fixture(scope="module")
def fresh(tiny_model: TinyModel, adapters: dict[str, tuple[Path, object]],
          ) -> dict[str, np.ndarray]:
    """Logits of ``TEXT`` from runtimes loaded fresh with no adapter / with the actor's."""
    return {"base": fresh_logits(tiny_model, None),
            "actor": fresh_logits(tiny_model, adapters["actor"][0])}


def torch_logits(model: object, ids: list[int], with_adapter: bool) -> np.ndarray:
    import torch

    with torch.no_grad():
        if with_adapter:
            out = model(input_ids=torch.tensor([ids]))  # type: ignore[operator]
        else:
            with model.disable_adapter():  # type: ignore[attr-defined]
                out = model(input_ids=torch.tensor([ids]))  # type: ignore[operator]
    return out.logits[0, -1].float().numpy()


def test_swaps_match_fresh_loads_and_torch(rt: LlamaRuntime, fresh: dict[str, np.ndarray],
                                           adapters: dict[str, tuple[Path, object]]) -> None:
    actor_model = adapters["actor"][1]
    fresh_base, fresh_actor = fresh["base"], fresh["actor"]
    seen = {}
    for label, target in (("base", None), ("actor", "actor"), ("none", None),
                          ("actor again", "actor"), ("critic", "critic")):
        rt.set_adapter(target)
        seen[label] = rt.logits(TEXT)
    assert rt.active_adapter == adapters["critic"][0].resolve()
    np.testing.assert_allclose(seen["base"], fresh_base, atol=SAME, rtol=0)
    np.testing.assert_allclose(seen["none"], fresh_base, atol=SAME, rtol=0)
    np.testing.assert_allclose(seen["actor"], fresh_actor, atol=SAME, rtol=0)
    np.testing.assert_allclose(seen["actor again"], fresh_actor, atol=SAME, rtol=0)
    assert np.abs(fresh_actor - fresh_base).max() > 0.1  # the adapter changes the output
    assert np.abs(seen["critic"] - seen["actor"]).max() > 0.1
    ids = list(rt.tokenize(TEXT)[0].tokens)
    n = len(fresh_base)
    for logits, with_adapter in ((fresh_actor, True), (fresh_base, False)):
        theirs = torch_logits(actor_model, ids, with_adapter)[:n]
        diff = float(np.abs(logits - theirs).max())
        print(f"\nadapter={with_adapter}: max |logit diff| llama.cpp vs torch+peft = {diff:.2e}")
        assert diff < TORCH


def test_a_swap_without_resetting_the_cache_gives_wrong_logits(
        rt: LlamaRuntime, fresh: dict[str, np.ndarray]) -> None:
    fresh_actor = fresh["actor"]
    rt.set_adapter(None)
    base = rt.logits(TEXT)  # the cache now holds the prompt under the base model
    rt.set_adapter("actor", reset_cache=False)
    stale = rt.logits(TEXT)  # only the last token is evaluated under the adapter
    print(f"\nswap without reset: max |stale - fresh actor| = "
          f"{np.abs(stale - fresh_actor).max():.2e}, |stale - base| = "
          f"{np.abs(stale - base).max():.2e}")
    assert np.abs(stale - fresh_actor).max() > 1e-2
    assert np.abs(stale - base).max() > 1e-3
    rt.set_adapter(None)
    rt.set_adapter("actor")  # with the reset: right again
    np.testing.assert_allclose(rt.logits(TEXT), fresh_actor, atol=SAME, rtol=0)


def test_alternating_roles_keeps_each_adapters_prefix(
        rt: LlamaRuntime, fresh: dict[str, np.ndarray]) -> None:
    """Actor, critic, actor: each adapter has its own KV sequence (``kv_slots=2``), so the
    actor's prompt is still cached when it comes back, and still right."""
    fresh_actor = fresh["actor"]
    rt.set_adapter("actor")
    first = rt.generate(TEXT, greedy=True, max_new_tokens=3)
    rt.set_adapter("critic")
    critic = rt.generate(TEXT, greedy=True, max_new_tokens=3)
    rt.set_adapter("actor")
    back = rt.generate(TEXT, greedy=True, max_new_tokens=3)
    assert critic.n_evaluated == critic.n_prompt  # the critic had nothing cached yet
    assert back.n_evaluated == 1 and back.text == first.text
    np.testing.assert_allclose(rt.logits(TEXT), fresh_actor, atol=SAME, rtol=0)
    # a retired version is freed, with its cache; the active one stays
    assert not rt.unload_adapter(rt.roles["actor"])
    assert rt.unload_adapter(rt.roles["critic"])
    rt.set_adapter("critic")  # loaded again from its file, computed again from scratch
    again = rt.generate(TEXT, greedy=True, max_new_tokens=3)
    assert again.n_evaluated == again.n_prompt and again.text == critic.text


def test_one_kv_slot_recomputes_after_every_swap(
        tiny_model: TinyModel, adapters: dict[str, tuple[Path, object]],
        fresh: dict[str, np.ndarray]) -> None:
    fresh_actor = fresh["actor"]
    roles = {name: path for name, (path, _model) in adapters.items()}
    config = replace(PARITY_CONFIG, kv_slots=1)
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, config, roles) as one:
        one.set_adapter("actor")
        one.generate(TEXT, greedy=True, max_new_tokens=2)
        one.set_adapter("critic")
        one.generate(TEXT, greedy=True, max_new_tokens=2)
        one.set_adapter("actor")
        back = one.generate(TEXT, greedy=True, max_new_tokens=2)
        assert back.n_evaluated == back.n_prompt
        np.testing.assert_allclose(one.logits(TEXT), fresh_actor, atol=SAME, rtol=0)


def test_side_by_side_answers_are_computed_under_the_active_adapter(
        tiny_model: TinyModel, adapters: dict[str, tuple[Path, object]]) -> None:
    """``generate_many`` uses a second context: it must carry the active adapter, drop a
    prefix cached under another one, and let go of an adapter that is unloaded. (Flash
    attention on: without it ``generate_many`` answers one by one.)"""
    roles = {name: path for name, (path, _model) in adapters.items()}
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, CONFIG, roles) as rt:
        _side_by_side_under_adapters(rt)


def _side_by_side_under_adapters(rt: LlamaRuntime) -> None:
    prompts = [Prompt(TEXT.prefix, f"Step {i}: {TEXT.suffix}") for i in range(3)]
    texts = {}
    for role in ("critic", "actor", None, "critic"):
        rt.set_adapter(role)
        many = rt.generate_many(prompts, seed=4, max_new_tokens=8, temperature=1.0)
        alone = [rt.generate(p, seed=4 + i, max_new_tokens=8, temperature=1.0)
                 for i, p in enumerate(prompts)]
        assert [g.text for g in many] == [g.text for g in alone]
        assert many[0].adapter == (None if role is None else str(rt.roles[role].resolve()))
        texts[role] = [g.text for g in many]
    assert len({tuple(t) for t in texts.values()}) == 3  # each adapter answers its own way
    rt.set_adapter("actor")
    assert rt.unload_adapter(rt.roles["critic"])  # the side-by-side context had it last
    rt.set_adapter("critic")  # loaded again from its file
    again = rt.generate_many(prompts, seed=4, max_new_tokens=8, temperature=1.0)
    assert [g.text for g in again] == texts["critic"]
