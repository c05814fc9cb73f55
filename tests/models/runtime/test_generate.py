"""Generation on the tiny model: streaming, determinism, candidates, KV prefix reuse."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models.runtime import LlamaRuntime, Prompt
from models.tiny import TinyModel
from tests.models.runtime.helpers import CONFIG, SYSTEM, prompt


def test_streamed_pieces_join_to_the_returned_text(runtime: LlamaRuntime) -> None:
    pieces: list[str] = []
    gen = runtime.generate(prompt(0), on_token=pieces.append, greedy=True)
    assert gen.n_tokens > 0 and gen.text
    assert "".join(pieces) == gen.text
    assert gen.finish in ("stop", "length")
    assert gen.finish == "stop" or gen.n_tokens == runtime.config.max_new_tokens


def test_greedy_is_deterministic_whatever_the_seed_and_the_cache(runtime: LlamaRuntime) -> None:
    first = runtime.generate(prompt(1), greedy=True, seed=1)
    again = runtime.generate(prompt(1), greedy=True, seed=99)  # prompt now in the cache
    runtime.reset_cache()
    cold = runtime.generate(prompt(1), greedy=True, seed=5)
    assert first.text == again.text == cold.text
    assert again.n_evaluated == 1 and cold.n_evaluated == cold.n_prompt


def test_candidates_have_distinct_seeds_and_are_reproducible(runtime: LlamaRuntime) -> None:
    cands = runtime.candidates(prompt(2), 4, seed=10, max_new_tokens=12)
    assert [c.seed for c in cands] == [10, 11, 12, 13]
    assert len({c.text for c in cands}) > 1  # temperature 1.0 on a random model
    again = runtime.candidates(prompt(2), 4, seed=10, max_new_tokens=12)
    assert [c.text for c in again] == [c.text for c in cands]
    assert all(c.n_evaluated == 1 for c in again)  # the prompt came from the KV cache


def test_step_two_reuses_the_prefix_and_matches_a_cold_run(runtime: LlamaRuntime) -> None:
    runtime.reset_cache()
    step1 = runtime.generate(prompt(3), greedy=True)
    warm_logits = runtime.logits(prompt(4))  # same prefix, new image and text
    warm = runtime.generate(prompt(4), greedy=True)
    runtime.reset_cache()
    cold_logits = runtime.logits(prompt(4))
    cold = runtime.generate(prompt(4), greedy=True)
    n_prefix = len(runtime.tokenize(Prompt(SYSTEM, "x"))[0].tokens) - 1
    assert step1.n_evaluated == step1.n_prompt
    assert cold.n_evaluated == 1  # cold_logits left prompt(4) in the cache
    assert warm.n_prompt == cold.n_prompt
    assert warm_logits.shape == cold_logits.shape
    np.testing.assert_allclose(warm_logits, cold_logits, atol=1e-4, rtol=0)
    assert warm.text == cold.text
    # the logits call itself evaluated only what follows the shared prefix
    runtime.reset_cache()
    runtime.generate(prompt(3), greedy=True, max_new_tokens=2)
    step2 = runtime.generate(prompt(4), greedy=True, max_new_tokens=2)
    assert step2.n_reused >= n_prefix
    assert step2.n_evaluated < step2.n_prompt


def test_one_changed_pixel_means_a_new_image(runtime: LlamaRuntime) -> None:
    runtime.generate(prompt(9), greedy=True, max_new_tokens=2)
    same = runtime.generate(prompt(9), greedy=True, max_new_tokens=2)  # equal pixels, new array
    changed = prompt(9)
    changed.image[-1, -1, 0] ^= 1
    moved = runtime.generate(changed, greedy=True, max_new_tokens=2)
    assert same.n_evaluated == 1 and same.timings.image_encode_s == 0
    assert moved.timings.image_encode_s > 0
    assert moved.n_evaluated > [c.n_tokens for c in runtime.tokenize(changed) if c.is_image][0]


def test_image_tokens_take_fewer_positions_than_kv_cells(runtime: LlamaRuntime) -> None:
    chunks = runtime.tokenize(prompt(0))
    images = [c for c in chunks if c.is_image]
    assert len(images) == 1
    assert images[0].n_tokens == (112 // 28) * (168 // 28)  # 2x2 merge of 14-px patches
    assert images[0].n_pos < images[0].n_tokens  # M-RoPE: max(h, w) positions


def test_text_only_prompts_work(runtime: LlamaRuntime) -> None:
    gen = runtime.generate(Prompt(SYSTEM, "Hello<|im_end|>\n<|im_start|>assistant\n"),
                           greedy=True, max_new_tokens=5)
    assert gen.n_tokens == 5 and gen.finish == "length"


def test_bad_prompts_are_refused(runtime: LlamaRuntime) -> None:
    with pytest.raises(ValueError, match="KV cells"):  # 39 x 69 = 2691 image tokens > n_ctx
        runtime.generate(prompt(0, height=1092, width=1932))
    with pytest.raises(ValueError, match="media markers"):
        runtime.generate(Prompt(SYSTEM, "no marker\n", prompt(0).image))


def test_image_token_bounds_reach_mtmd(tiny_model: TinyModel) -> None:
    """``image_max_tokens`` / ``image_min_tokens`` go to mtmd, which resizes to fit them."""
    big, small = prompt(8, height=336, width=504), prompt(8, height=56, width=56)  # 216, 4 tokens
    for bounds, p, check in (({"image_max_tokens": 64}, big, lambda n: n <= 64),
                             ({"image_min_tokens": 100}, small, lambda n: n >= 100)):
        config = replace(CONFIG, **bounds)
        with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, config) as rt:
            (image,) = [c for c in rt.tokenize(p) if c.is_image]
            assert check(image.n_tokens), (bounds, image.n_tokens)
            assert rt.generate(p, greedy=True, max_new_tokens=2).n_tokens == 2
