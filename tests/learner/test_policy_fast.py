"""The fast GRPO paths score and sample exactly what the plain transformers paths do.

Each state's image goes through the vision tower once per group (``with_image_features``) and
the G samples share one encoding of the prompt (:mod:`learner.sampling`). Both are pinned here
against the straightforward forms — ``pixel_values`` repeated per sample, and ``generate`` —
for the two supported architectures (Qwen3-VL adds deepstack features in early layers).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from learner.policy import (
    Encoded,
    Processor,
    load_lora_model,
    sample,
    token_logprobs,
    with_image_features,
)
from learner.sampling import accepts
from models.families.base import HF_VISION_BLOCK
from models.tiny import TinyModel


@pytest.fixture(params=["tiny_model", "tiny_qwen3"])
def arch(request: pytest.FixtureRequest) -> tuple[Any, Processor, Encoded]:
    """A LoRA model with a non-zero adapter, its processor, and an image prompt."""
    import torch

    tiny: TinyModel = request.getfixturevalue(request.param)
    processor = Processor(tiny.hf_dir)
    torch.manual_seed(0)
    model = load_lora_model(tiny.hf_dir, rank=4, alpha=8)
    for name, param in model.named_parameters():
        if "lora_B" in name:  # a fresh LoRA is the identity; make it count
            torch.nn.init.normal_(param, std=0.2)
    side = processor.params.factor
    image = np.random.default_rng(0).integers(0, 255, (side * 4, side * 8, 3), dtype=np.uint8)
    enc = processor.encode(f"<|im_start|>user\nLook.\n{HF_VISION_BLOCK}<|im_end|>\n"
                           "<|im_start|>assistant\n", image)
    return model.eval(), processor, enc


def _vision_calls(model: Any) -> list[int]:
    calls: list[int] = []
    model.get_base_model().model.visual.register_forward_hook(lambda *_: calls.append(1))
    return calls


def test_cached_image_features_give_the_same_logprobs(arch: tuple[Any, Processor, Encoded],
                                                      ) -> None:
    import torch

    model, processor, enc = arch
    completion = torch.randint(0, 300, (4, 6), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        plain = token_logprobs(model, enc, completion, processor.suppress_ids, 0.7)
        with model.disable_adapter():
            plain_ref = token_logprobs(model, enc, completion, processor.suppress_ids, 0.7)
        fast = with_image_features(model, enc)
        calls = _vision_calls(model)
        cached = token_logprobs(model, fast, completion, processor.suppress_ids, 0.7)
        with model.disable_adapter():
            cached_ref = token_logprobs(model, fast, completion, processor.suppress_ids, 0.7)
    if accepts(model.get_base_model().model.forward, "mm_encoder_outputs"):
        assert calls == []  # the image was not encoded again for the G samples
    else:  # a transformers without mm_encoder_outputs: each forward encodes it (measured with
        assert calls == [1, 1]  # 5.17 on the GPU machine), to the same results below
    for want, got in ((plain, cached), (plain_ref, cached_ref)):
        assert torch.allclose(want[0], got[0], atol=1e-5)  # log-probs
        assert torch.allclose(want[1], got[1], atol=1e-5)  # entropies
    assert (plain[0] - plain_ref[0]).abs().max() > 1e-3  # the adapter matters here


def test_gradients_reach_the_lora_through_cached_features(
        arch: tuple[Any, Processor, Encoded]) -> None:
    import torch

    model, processor, enc = arch
    completion = torch.randint(0, 300, (2, 5), generator=torch.Generator().manual_seed(2))
    grads = []
    for e in (enc, with_image_features(model, enc)):
        model.zero_grad(set_to_none=True)
        token_logprobs(model, e, completion, processor.suppress_ids)[0].sum().backward()
        grads.append(torch.cat([p.grad.flatten() for n, p in model.named_parameters()
                                if "lora_" in n and p.grad is not None]))
    assert grads[0].abs().sum() > 0
    assert torch.allclose(grads[0], grads[1], atol=1e-5)


def test_shared_prompt_sampling_decodes_as_generate_does(
        arch: tuple[Any, Processor, Encoded]) -> None:
    import torch

    model, processor, enc = arch
    inputs = enc.repeat(3)
    with torch.no_grad():
        generated = model.generate(**inputs, attention_mask=torch.ones_like(inputs["input_ids"]),
                                   max_new_tokens=10, do_sample=False,
                                   eos_token_id=processor.eos_ids, pad_token_id=processor.pad_id,
                                   suppress_tokens=processor.suppress_ids)
    want = generated[:, enc.input_ids.shape[1]:]
    got = sample(model, with_image_features(model, enc), 3, max_new_tokens=10, temperature=0.0,
                 processor=processor)
    assert torch.equal(got, want)
    assert len(set(want[0].tolist())) > 1  # a real sequence, not one token repeated


def test_sampled_tokens_have_the_scored_distribution(
        arch: tuple[Any, Processor, Encoded]) -> None:
    """A first token's sampled frequency matches ``exp(token_logprobs)`` at that temperature
    (a low one: the tiny model's logits are nearly flat)."""
    import torch

    model, processor, enc = arch
    torch.manual_seed(3)
    fast = with_image_features(model, enc)
    drawn = sample(model, fast, 4000, max_new_tokens=1, temperature=0.03, processor=processor)
    top = int(torch.mode(drawn[:, 0]).values)
    with torch.no_grad():
        logp, _ = token_logprobs(model, fast, torch.tensor([[top]]), processor.suppress_ids, 0.03)
    share = float((drawn[:, 0] == top).float().mean())
    assert drawn.shape == (4000, 1)
    assert 0.05 < float(logp.exp()) < 0.95  # a test of the distribution, not of a sure token
    assert abs(share - float(logp.exp())) < 0.03
    assert not set(drawn[:, 0].tolist()) & set(processor.suppress_ids)


def test_states_sampled_together_sample_as_each_alone(
        arch: tuple[Any, Processor, Encoded]) -> None:
    """A step's states share one sampling loop, left-padded to one length: prompts of other
    lengths, another image size and a text-only one beside them change none of the tokens a
    state draws (greedy, and from its own random stream at temperature 1)."""
    import torch

    from learner.grpo import stream
    from learner.policy import sample_many

    model, processor, enc = arch
    side = processor.params.factor
    wide = np.random.default_rng(1).integers(0, 255, (side * 6, side * 4, 3), dtype=np.uint8)
    other = processor.encode("<|im_start|>user\nA longer question, with many more words in it "
                             f"than the first.\n{HF_VISION_BLOCK}<|im_end|>\n"
                             "<|im_start|>assistant\n", wide)
    plain = processor.encode("<|im_start|>user\nNo picture.<|im_end|>\n<|im_start|>assistant\n",
                             None)
    encs = [with_image_features(model, e) for e in (enc, other, plain)]
    assert len({int(e.input_ids.shape[1]) for e in encs}) == 3  # padding really happens
    def streams(indices: list[int], temperature: float) -> list[Any] | None:
        return None if temperature == 0 else [stream(7, i, "cpu") for i in indices]

    for temperature in (0.0, 1.0):
        together = sample_many(model, encs, 3, max_new_tokens=8, temperature=temperature,
                               processor=processor, generators=streams([0, 1, 2], temperature))
        for i, e in enumerate(encs):
            (alone,) = sample_many(model, [e], 3, max_new_tokens=8, temperature=temperature,
                                   processor=processor, generators=streams([i], temperature))
            assert torch.equal(together[i], alone), (temperature, i)
    assert not torch.equal(together[0][:, :2], together[1][:, :2])  # three real prompts
