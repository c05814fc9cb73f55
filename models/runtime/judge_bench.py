"""``deskhand bench judge``: the reward model judging a group of actions on one screenshot,
one after another (``generate``) against side by side (``generate_many``).

A GRPO step of the actor asks the reward model about every distinct action a group sampled on
a state: G prompts that differ only in the proposed action. Both ways run the same G greedy
verdicts of exactly ``tokens`` tokens (end-of-generation ignored, so they do the same work) on
the same loaded model, each from an empty cache (the screenshot is encoded once either way);
they alternate ``repeats`` times and the fastest of each counts (the machine may be shared).
The figure is the ratio of the two times, measured in this one run.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from models.actions import Click, Scroll, Type
from models.families.base import get_family
from models.families.critic import build_critic_prompt
from models.frames import Monitor
from models.image_tokens import MTMD_MAX_IMAGE_TOKENS, max_image_tokens
from models.runtime.bench import screenshot
from models.runtime.config import RuntimeConfig
from models.runtime.llama import LlamaRuntime

TASK = "Save the quarterly report as 'Q3 report' in the Documents folder."


@dataclass(frozen=True)
class JudgeReport:
    model: str
    family: str
    group: int
    tokens: int
    threads: int
    gpu_layers: int
    one_by_one_s: list[float]  # seconds per group, each repeat
    side_by_side_s: list[float]
    same_texts: bool  # the two ways wrote the same verdicts

    @property
    def ratio(self) -> float:
        """Side-by-side time / one-by-one time, best of each (below 1: faster)."""
        return min(self.side_by_side_s) / min(self.one_by_one_s)

    def per_second(self, times: list[float]) -> float:
        return self.group / min(times)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio,
                "one_by_one_per_s": self.per_second(self.one_by_one_s),
                "side_by_side_per_s": self.per_second(self.side_by_side_s)}


def proposals(n: int, width: int, height: int) -> list[tuple[Any, str]]:
    """``n`` distinct actions with their reasoning, as a sampled group would propose them.

    >>> [type(a).__name__ for a, _ in proposals(4, 100, 100)]
    ['Click', 'Type', 'Scroll', 'Click']
    """
    out: list[tuple[Any, str]] = []
    for i in range(n):
        x, y = (37 * i + 11) % width, (53 * i + 7) % height
        kind = i % 3
        if kind == 0:
            out.append((Click(x, y), f"The Save button is near ({x}, {y})."))
        elif kind == 1:
            out.append((Type(f"Q3 report {i}"), "The name field has the focus."))
        else:
            out.append((Scroll(x, y, dy=-3 - i), "The folder list goes on below."))
    return out


def run_judge_bench(model: Path, mmproj: Path, *, config: RuntimeConfig | None = None,
                    family_name: str = "qwen25vl", screen: tuple[int, int] = (1280, 720),
                    group: int = 8, tokens: int = 48, repeats: int = 3) -> JudgeReport:
    config = config or RuntimeConfig()
    family = get_family(family_name)
    width, height = screen
    monitor = Monitor(left=0, top=0, width=width, height=height)
    image = screenshot(0, width, height)
    cap = config.image_max_tokens or MTMD_MAX_IMAGE_TOKENS
    max_pixels = max_image_tokens(config.n_ctx, tokens, cap) * family.factor ** 2
    prompts = [build_critic_prompt(TASK, image, monitor, action, why, True, max_pixels, family)
               for action, why in proposals(group, width, height)]
    one: list[float] = []
    side: list[float] = []
    same = True
    with LlamaRuntime(model, mmproj, config) as rt:
        for _ in range(repeats):
            rt.reset_cache()
            start = time.perf_counter()
            alone = [rt.generate(p, greedy=True, max_new_tokens=tokens, ignore_eos=True)
                     for p in prompts]
            one.append(time.perf_counter() - start)
            rt.reset_cache()
            start = time.perf_counter()
            many = rt.generate_many(prompts, greedy=True, max_new_tokens=tokens,
                                    ignore_eos=True)
            side.append(time.perf_counter() - start)
            same = same and [g.text for g in many] == [g.text for g in alone]
        return JudgeReport(str(model), family_name, group, tokens, rt.config.resolved_threads,
                           rt.config.n_gpu_layers, one, side, same)
