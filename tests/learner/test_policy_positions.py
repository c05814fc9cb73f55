"""The trainer's torch model sees an image at the positions llama.cpp gives it.

Qwen-VL places an image's tokens at (t, h, w) M-RoPE positions. transformers computes them only
when the image's tokens are marked (``mm_token_type_ids``); unmarked, they silently get 1-D
positions, and a model trained that way is not the model llama.cpp serves (found when the demo
model, trained so, answered sensibly in torch and garbled through llama.cpp). Every forward
pass of the trainer (sampling, scoring, SFT) goes through ``Encoded``; this pins it down.
"""

from __future__ import annotations

import numpy as np

from learner.policy import Processor, sample
from models.families.base import HF_VISION_BLOCK
from models.tiny import TinyModel


def test_training_forward_passes_use_the_3d_image_positions(tiny_model: TinyModel) -> None:
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    processor = Processor(tiny_model.hf_dir)
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(
        str(tiny_model.hf_dir), dtype=torch.float32).eval()
    image = np.random.default_rng(0).integers(0, 255, (112, 224, 3), dtype=np.uint8)
    enc = processor.encode(f"<|im_start|>user\nLook.\n{HF_VISION_BLOCK}<|im_end|>\n"
                           "<|im_start|>assistant\n", image)
    completion = torch.tensor([processor.target_ids("ok, done")])
    kwargs = enc.with_completion(completion)
    assert int(kwargs["mm_token_type_ids"].sum()) == int(enc.input_ids.eq(
        model.config.image_token_id).sum()) == 32  # 112x224: 8x16 patches, 4x8 after merge
    with torch.no_grad():
        ours = model(**kwargs).logits
        positions, _ = model.model.get_rope_index(
            kwargs["input_ids"], mm_token_type_ids=kwargs["mm_token_type_ids"],
            image_grid_thw=kwargs["image_grid_thw"])
        on_image = kwargs["mm_token_type_ids"][0].bool()
        assert not torch.equal(positions[1, 0, on_image], positions[2, 0, on_image])  # 3-D
        explicit = model(input_ids=kwargs["input_ids"], position_ids=positions,
                         pixel_values=kwargs["pixel_values"],
                         image_grid_thw=kwargs["image_grid_thw"]).logits
        flat = model(input_ids=kwargs["input_ids"], pixel_values=kwargs["pixel_values"],
                     image_grid_thw=kwargs["image_grid_thw"]).logits
    assert torch.allclose(ours, explicit, atol=1e-6)
    assert (ours - flat).abs().max() > 1e-4  # the 1-D fallback would have been different
    drawn = sample(model, enc, 2, max_new_tokens=4, temperature=0.0, processor=processor)
    assert drawn.shape[0] == 2  # generation takes the same marked inputs
