"""The product's trainer (``learner.policy`` + ``learner.grpo`` + ``learner.sft``) trains a
LoRA on a Qwen3-VL base exactly as on a Qwen2.5-VL one: the folder's config picks the class,
the image goes in as 16-pixel patches with Qwen3's (t, h, w) positions, and a few GRPO and
SFT steps change the adapter with finite losses."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from learner.grpo import GRPOSettings, Prompted, grpo_step
from learner.policy import Processor, load_lora_model, token_logprobs
from learner.sft import Example, sft_step
from models.actions import Click
from models.families.base import get_family
from models.frames import Monitor
from models.tiny import TinyModel

SCREEN = np.random.default_rng(3).integers(0, 255, (64, 128, 3), dtype=np.uint8)
MONITOR = Monitor(0, 0, 128, 64)


def _prompt() -> tuple[str, np.ndarray]:
    prompt = get_family("qwen3vl").build_prompt("Click the button", [], SCREEN, MONITOR)
    return prompt.hf_text(), prompt.image


def _lora(model: Any) -> dict[str, np.ndarray]:
    return {n: p.detach().clone().numpy() for n, p in model.named_parameters()
            if "lora_" in n}


@pytest.fixture
def qwen3_lora(tiny_qwen3: TinyModel) -> Any:
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(1)
    return load_lora_model(tiny_qwen3.hf_dir, rank=4, alpha=8)


def test_a_qwen3vl_folder_loads_as_qwen3vl_with_a_text_only_lora(qwen3_lora: Any) -> None:
    model = qwen3_lora
    assert type(model.base_model.model).__name__ == "Qwen3VLForConditionalGeneration"
    names = list(_lora(model))
    assert names and all("visual" not in n for n in names)
    assert {n.split(".")[-4] for n in names} == {"q_proj", "k_proj", "v_proj", "o_proj",
                                                 "gate_proj", "up_proj", "down_proj"}


def test_the_image_is_encoded_in_qwen3_patches_at_3d_positions(tiny_qwen3: TinyModel,
                                                                qwen3_lora: Any) -> None:
    import torch

    processor = Processor(tiny_qwen3.hf_dir)
    text, image = _prompt()
    assert image.shape == (64, 128, 3)  # the family's factor 32 kept the size
    enc = processor.encode(text, image)
    assert enc.pixel_values is not None and enc.image_mask is not None
    assert tuple(enc.pixel_values.shape) == (4 * 8, 3 * 2 * 16 * 16)  # 4x8 patches of 16
    assert int(enc.image_mask.sum()) == 8  # merged 2x2
    model = qwen3_lora.base_model.model
    kwargs = enc.with_completion(torch.tensor([processor.target_ids("ok")]))
    with torch.no_grad():
        marked = model(**kwargs).logits
        positions, _ = model.model.get_rope_index(
            kwargs["input_ids"], mm_token_type_ids=kwargs["mm_token_type_ids"],
            image_grid_thw=kwargs["image_grid_thw"])
        explicit = model(input_ids=kwargs["input_ids"], position_ids=positions,
                         pixel_values=kwargs["pixel_values"],
                         image_grid_thw=kwargs["image_grid_thw"]).logits
        with pytest.raises(ValueError, match="mm_token_type_ids"):  # Qwen3-VL refuses to guess
            model(**{k: v for k, v in kwargs.items() if k != "mm_token_type_ids"})
    on_image = kwargs["mm_token_type_ids"][0].bool()
    assert not torch.equal(positions[1, 0, on_image], positions[2, 0, on_image])  # (h, w)
    assert torch.allclose(marked, explicit, atol=1e-6)


def test_grpo_and_sft_steps_train_the_qwen3vl_lora(tiny_qwen3: TinyModel,
                                                   qwen3_lora: Any) -> None:
    import torch

    model = qwen3_lora
    processor = Processor(tiny_qwen3.hf_dir)
    text, image = _prompt()
    before = _lora(model)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-2)

    def distinct(completions: list[str], **_: object) -> list[float]:
        return [len(set(c)) / 10 for c in completions]  # varies, so no group is flat

    settings = GRPOSettings(group_size=4, max_new_tokens=6, temperature=1.0, beta=0.04)
    results = [grpo_step(model, processor, optimizer, [Prompted(text, image)], [distinct],
                         settings) for _ in range(2)]
    assert all(math.isfinite(r.loss) and math.isfinite(r.kl) for r in results)
    assert sum(r.groups - r.dropped for r in results) > 0  # some step really updated
    after_grpo = _lora(model)
    assert any(not np.array_equal(before[n], after_grpo[n]) for n in before)

    frame = get_family("qwen3vl").frame(MONITOR, (128, 64))
    target = get_family("qwen3vl").format_action(Click(30, 20), frame)
    example = Example(text, image, target)
    enc = processor.encode(text, image)
    ids = torch.tensor([processor.target_ids(target)])
    with torch.no_grad():
        start = -token_logprobs(model, enc, ids)[0].mean().item()
    losses = [sft_step(model, processor, optimizer, [example]) for _ in range(3)]
    with torch.no_grad():
        end = -token_logprobs(model, enc, ids)[0].mean().item()
    assert all(math.isfinite(v) for v in losses)
    assert end < start  # supervised steps make the target likelier
