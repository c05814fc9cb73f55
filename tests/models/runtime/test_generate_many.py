"""``generate_many``: answers decoded side by side after a shared prefix are the answers
``generate`` gives one at a time, whatever the width, the cells and the cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from models.runtime import LlamaRuntime, Prompt
from models.tiny import TinyModel
from tests.models.runtime.helpers import CONFIG, SYSTEM, image

PROPOSALS = ["click Save", "type 'Q3 report' into the name field", "press ctrl+s", "scroll down",
             "click Save", "double-click the folder icon on the left"]


def judge(step: int, proposal: str, **size: int) -> Prompt:
    """A reward-model-like prompt: one screenshot, then the action proposed on it."""
    return Prompt(SYSTEM + f"Task: save the file. Screenshot {step}: ",
                  f"<__media__>\nProposed action: {proposal}. Right?<|im_end|>\n"
                  "<|im_start|>assistant\n", image(step, **size))


def one_by_one(rt: LlamaRuntime, prompts: list[Prompt], **kw: object) -> list[str]:
    return [rt.generate(p, **kw).text for p in prompts]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def narrow(tiny_model: TinyModel) -> Iterator[LlamaRuntime]:
    """Two answers at a time."""
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path,
                      replace(CONFIG, batch_width=2)) as rt:
        yield rt


def test_side_by_side_greedy_answers_are_the_one_by_one_answers(runtime: LlamaRuntime) -> None:
    prompts = [judge(0, p) for p in PROPOSALS]
    many = runtime.generate_many(prompts, greedy=True)
    assert [g.text for g in many] == one_by_one(runtime, prompts, greedy=True)
    assert all(g.text for g in many) and many[0].text == many[4].text  # the same proposal
    assert len({g.text for g in many}) > 1  # the proposals lead to different answers
    assert all(g.finish in ("stop", "length") and g.n_tokens > 0 for g in many)
    assert [g.n_prompt for g in many] == [runtime.generate(p, max_new_tokens=1).n_prompt
                                          for p in prompts]


def test_the_prefix_is_evaluated_once_and_kept_for_the_next_call(runtime: LlamaRuntime) -> None:
    runtime.reset_cache()
    prompts = [judge(1, p) for p in PROPOSALS[:3]]
    first = runtime.generate_many(prompts, greedy=True, max_new_tokens=4)
    assert first[0].n_evaluated == first[0].n_prompt  # it carried the shared prefix
    assert all(g.n_evaluated < g.n_prompt / 2 for g in first[1:])  # only their own text
    assert first[0].timings.image_encode_s > 0 and first[1].timings.image_encode_s == 0
    again = runtime.generate_many(prompts[::-1], greedy=True, max_new_tokens=4)
    assert [g.n_evaluated for g in again[:2]] == [first[2].n_evaluated, first[1].n_evaluated]
    assert again[2].n_evaluated < again[2].n_prompt / 2  # the prefix came from the cache
    assert again[0].timings.image_encode_s == 0
    assert [g.text for g in again] == [g.text for g in first][::-1]


def test_width_and_cells_split_the_answers_into_rounds(narrow: LlamaRuntime,
                                                       runtime: LlamaRuntime) -> None:
    prompts = [judge(2, p) for p in PROPOSALS]
    many = narrow.generate_many(prompts, greedy=True)
    assert [g.text for g in many] == one_by_one(runtime, prompts, greedy=True)


def test_a_long_answer_is_cut_by_the_cells_it_can_have(tiny_model: TinyModel) -> None:
    """In a context of 256 cells (llama.cpp's least), answers asked for 400 tokens stop with
    "length" as ``generate``'s do, within the cells; none fails."""
    prompts = [judge(3, p) for p in PROPOSALS[:3]]
    small = replace(CONFIG, n_ctx=256, n_batch=64, max_new_tokens=400)
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, small) as rt:
        many = rt.generate_many(prompts, greedy=True, ignore_eos=True)
        alone = one_by_one(rt, prompts, greedy=True, ignore_eos=True)
    assert all(g.finish == "length" and 100 < g.n_tokens <= 256 - g.n_prompt + 1 for g in many)
    assert [g.text for g in many] == alone  # as many tokens as one by one


def test_sampled_answers_use_seed_plus_index(runtime: LlamaRuntime) -> None:
    prompts = [judge(4, p) for p in PROPOSALS[:4]]
    many = runtime.generate_many(prompts, seed=20, max_new_tokens=12)
    assert [g.seed for g in many] == [20, 21, 22, 23]
    assert [g.text for g in many] == [runtime.generate(p, seed=20 + i, max_new_tokens=12).text
                                      for i, p in enumerate(prompts)]


def test_prompts_with_different_screenshots_go_one_by_one(runtime: LlamaRuntime) -> None:
    prompts = [judge(5, "click Save"), judge(6, "click Save"), judge(5, "press enter")]
    many = runtime.generate_many(prompts, greedy=True, max_new_tokens=8)
    assert [g.text for g in many] == one_by_one(runtime, prompts, greedy=True, max_new_tokens=8)
    assert many[1].text != many[0].text  # another screenshot, another answer


def test_a_cancelled_call_answers_every_prompt_as_cancelled(runtime: LlamaRuntime) -> None:
    cancel = threading.Event()
    cancel.set()
    many = runtime.generate_many([judge(7, p) for p in PROPOSALS[:3]], greedy=True,
                                 cancel=cancel)
    assert [g.finish for g in many] == ["cancelled"] * 3
    after = runtime.generate_many([judge(7, p) for p in PROPOSALS[:3]], greedy=True)
    assert [g.text for g in after] == one_by_one(runtime, [judge(7, p) for p in PROPOSALS[:3]],
                                                 greedy=True)


def test_a_cancel_from_another_thread_stops_a_one_by_one_call(tiny_model: TinyModel) -> None:
    """Width 1 (and flash attention off) answer one prompt after another: ``cancel()`` still
    stops the whole call, not only the answer being written."""
    prompts = [judge(8, p) for p in PROPOSALS[:3]]
    for config in (replace(CONFIG, batch_width=1), replace(CONFIG, flash_attn="off")):
        with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, config) as rt:
            timer = threading.Timer(0.3, rt.cancel)
            timer.start()
            many = rt.generate_many(prompts, greedy=True, max_new_tokens=1900, ignore_eos=True)
            timer.join()
        finishes = [g.finish for g in many]
        assert "cancelled" in finishes, finishes  # 3 x 1,900 tokens take longer than 0.3 s
        first = finishes.index("cancelled")
        assert finishes[first:] == ["cancelled"] * (3 - first)
        assert [g.seed for g in many] == [CONFIG.seed, CONFIG.seed + 1, CONFIG.seed + 2]
