"""``deskhand bench learner``: seconds per GRPO step of our trainer vs TRL's ``GRPOTrainer``.

Both train the same tiny model's LoRA (same rank, targets, learning rate, β, group size G,
states per step B, completion length, sampling temperature) on the same prompts with the same
reward, each in a process of its own, so each one's peak memory (``ru_maxrss``; on CUDA also
``torch.cuda.max_memory_allocated``) is its own. The ratio is ours / TRL's median step time;
``cpu_ratio`` is the same ratio in CPU seconds of each process (``time.process_time``), the
figure to read on a shared machine, where wall time also measures the neighbours' load (run it
with ``OMP_NUM_THREADS=1`` there, so idle threads spinning do not count as work).

The design choice a reader must know: the prompts are text-only (the synthetic task's prompt
without its image), because TRL's image path needs a transformers ``ProcessorMixin`` and
Qwen2.5-VL's needs torchvision, which is not installed here; ours runs the image path in
training — this bench compares the GRPO loops, not image preprocessing.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PROMPT = ("<|im_start|>user\nThe screen is red. If it is red, click the left square; if "
          "blue, the right one.<|im_end|>\n<|im_start|>assistant\n")


@dataclass(frozen=True)
class Side:
    """One trainer's figures."""

    name: str
    step_s: list[float]
    peak_rss_mb: float
    cuda_peak_mb: float | None
    cpu_s: list[float] = field(default_factory=list)  # process CPU seconds per step

    @property
    def median_s(self) -> float:
        return statistics.median(self.step_s[1:] or self.step_s)  # the first step warms up

    @property
    def cpu_median_s(self) -> float:
        return statistics.median(self.cpu_s[1:] or self.cpu_s or [float("nan")])


@dataclass(frozen=True)
class BenchReport:
    ours: Side
    trl: Side
    steps: int
    group: int
    batch: int
    max_new_tokens: int
    device: str

    @property
    def ratio(self) -> float:
        return self.ours.median_s / self.trl.median_s

    @property
    def cpu_ratio(self) -> float:
        return self.ours.cpu_median_s / self.trl.cpu_median_s

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ours_median_s": self.ours.median_s,
                "trl_median_s": self.trl.median_s, "ratio": self.ratio,
                "ours_cpu_median_s": self.ours.cpu_median_s,
                "trl_cpu_median_s": self.trl.cpu_median_s, "cpu_ratio": self.cpu_ratio}


def digit_share(completions: list[Any], **_: Any) -> list[float | None]:
    """A cheap reward with variance: the share of digits in the completion (never None; the
    type is TRL's reward contract).

    >>> digit_share(["a1", "", 42])
    [0.5, 0.0, 1.0]
    """
    texts = [c if isinstance(c, str) else str(c) for c in completions]
    return [sum(ch.isdigit() for ch in t) / max(1, len(t)) for t in texts]


def _peaks() -> tuple[float, float | None]:
    import resource

    import torch

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB (Linux)
    cuda = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    return rss, cuda


def run_ours(base: Path, steps: int, group: int, batch: int, max_new: int) -> Side:
    from learner.grpo import GRPOSettings, Prompted, grpo_step
    from learner.policy import Processor, load_lora_model, pick_device

    processor = Processor(base)
    model = load_lora_model(base, rank=8, alpha=16, device=pick_device())
    import torch

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    settings = GRPOSettings(group_size=group, max_new_tokens=max_new, temperature=1.0,
                            beta=0.04)
    states = [Prompted(PROMPT, None)] * batch
    times, cpu = [], []
    for _ in range(steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        grpo_step(model, processor, optimizer, states, [digit_share], settings)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return Side("deskhand", times, *_peaks(), cpu)


def run_trl(base: Path, steps: int, group: int, batch: int, max_new: int, out: Path) -> Side:
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer  # type: ignore[attr-defined]

    from learner.base_model import load_base
    from models.gguf.lora import TEXT_TARGET_MODULES

    times: list[float] = []
    cpu: list[float] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, *args: Any, **kwargs: Any) -> None:
            self.start, self.start_cpu = time.perf_counter(), time.process_time()

        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            times.append(time.perf_counter() - self.start)
            cpu.append(time.process_time() - self.start_cpu)

    import torch

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    # the dtype ours trains in (bf16 weights on CUDA, f32 on the CPU), so both do the same work
    model = load_base(base, dtype=torch.bfloat16 if _cuda() else torch.float32)
    args = GRPOConfig(output_dir=str(out), max_steps=steps,
                      per_device_train_batch_size=batch * group,
                      num_generations=group, max_completion_length=max_new, learning_rate=1e-4,
                      beta=0.04, temperature=1.0, report_to="none", save_strategy="no",
                      logging_steps=10**6, use_cpu=not _cuda(), bf16=False,
                      disable_tqdm=True, seed=0, gradient_checkpointing=False)
    data = Dataset.from_dict({"prompt": [PROMPT] * (batch * steps * 2)})
    trainer = GRPOTrainer(model=model, reward_funcs=[digit_share], args=args, train_dataset=data,
                          processing_class=tokenizer, callbacks=[Clock()],
                          peft_config=LoraConfig(r=8, lora_alpha=16,
                                                 target_modules=TEXT_TARGET_MODULES))
    trainer.train()
    return Side("trl", times, *_peaks(), cpu)


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _child(which: str, base: Path, steps: int, group: int, batch: int, max_new: int,
           out: Path) -> Side:
    """Run one side in a fresh interpreter (its own peak memory); parse its JSON line."""
    cmd = [sys.executable, "-m", "learner.bench", which, str(base), str(steps), str(group),
           str(batch), str(max_new), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench {which} failed: {done.stderr[-3000:]}")
    raw = json.loads(lines[-1])
    return Side(raw["name"], raw["step_s"], raw["peak_rss_mb"], raw["cuda_peak_mb"],
                raw.get("cpu_s", []))


def run_bench(base: Path, work: Path, *, steps: int = 6, group: int = 8, batch: int = 2,
              max_new_tokens: int = 32) -> BenchReport:
    """Both sides on ``base`` (an HF folder); ``work`` holds TRL's output folder."""
    ours = _child("ours", base, steps, group, batch, max_new_tokens, work)
    trl = _child("trl", base, steps, group, batch, max_new_tokens, work)
    return BenchReport(ours, trl, steps, group, batch, max_new_tokens,
                       "cuda" if _cuda() else "cpu")


def main(argv: list[str]) -> None:
    import torch

    which, base, steps, group, batch, max_new, out = argv
    torch.manual_seed(0)
    if not _cuda():
        torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    args = (Path(base), int(steps), int(group), int(batch), int(max_new))
    side = run_ours(*args) if which == "ours" else run_trl(*args, Path(out))
    print(json.dumps(asdict(side)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
