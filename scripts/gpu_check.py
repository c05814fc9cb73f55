"""The checks of ``scripts/gpu-check.sh``, each printing one line of figures (and failing with
exit status 1 when what must hold does not).

    python scripts/gpu_check.py device SECONDS         what llama.cpp and torch run on
    python scripts/gpu_check.py bench KIND WORK LAYERS STEPS TOKENS
                                     ``deskhand bench runtime`` on the KIND model, one line
    python scripts/gpu_check.py judge KIND WORK LAYERS GROUP TOKENS
                                     ``deskhand bench judge``: GROUP verdicts one by one vs
                                     side by side, one line
    python scripts/gpu_check.py grpo KIND WORK STEPS   GRPO steps (bf16 on CUDA, f32 on CPU)
    accelerate launch --config_file packaging/accelerate/fsdp.yaml --num_processes K \\
        scripts/gpu_check.py fsdp KIND WORK STEPS     the same, the model sharded over K
    python scripts/gpu_check.py lora-parity WORK [tiny|tiny-qwen3]
                                     exported LoRA: llama.cpp vs peft logits

KIND is ``tiny`` (a Qwen2.5-VL 64 wide, 2 layers), ``tiny-qwen3`` (a Qwen3-VL 64 wide, deepstack
included), ``real`` (Qwen2.5-VL-3B's published dimensions, 4 layers; ``models.real_dims``) or
``real-qwen3`` (Qwen3-VL-2B's, 4 layers and 4 vision blocks: all three deepstack features),
built once under WORK and reused. ``scripts/gpu-check.sh`` benches ``real`` only: each real
build takes about a minute on a loaded 2-core CPU and the sequence's time limits already add
up to 645 s, so ``bench real-qwen3`` is run by hand until its GPU time is known.

The design choice a reader must know: every check runs on whatever device the machine has
(CUDA when torch and llama.cpp see a GPU, else the CPU), so the same code is the GPU proof on a
GPU machine and the CPU fallback that the test suite runs everywhere else.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# max |Δlogit|, f32 GGUF + LoRA vs peft: the suite's CPU tolerance; on CUDA cuBLAS may run f32
# GEMMs in TF32 (10-bit mantissa), so 1e-2, still far below the adapter's own effect (~0.8)
PARITY_TOLERANCE = {"cpu": 1e-4, "cuda": 1e-2}
# random models with a recommended model's published dimensions (models.real_dims), 4 text layers
# and 4 vision blocks deep so each builds in about a minute; served as Q4_K_M like a real one
REAL = {"real": "qwen2.5-vl-3b", "real-qwen3": "qwen3-vl-2b"}
REAL_LAYERS = 4
TINY_FAMILY = {"tiny": "qwen25vl", "tiny-qwen3": "qwen3vl"}  # the prompts each tiny model takes


def fail(line: str) -> int:
    print(line + " — FAILED", flush=True)
    return 1


def device(seconds: float) -> int:
    """llama.cpp's backend and torch's device, in one line; fails without a GPU build."""
    from models.device import detect, llama_backend_line, torch_device_line

    found = detect()
    line = (f"build: {seconds:.0f} s; llama.cpp {llama_backend_line(found).split(' (')[0]}; "
            f"torch on {torch_device_line(found)}")
    print(line if found.llama_offload and found.torch_cuda else line + " — FAILED", flush=True)
    return 0 if found.llama_offload and found.torch_cuda else 1


def built_model(kind: str, work: Path) -> Any:
    """The ``tiny``, ``tiny-qwen3``, ``real`` or ``real-qwen3`` random model under ``work``
    (built the first time)."""
    if kind == "tiny":
        from models.tiny import build_tiny

        return build_tiny(work, hidden=64, seed=0)
    if kind == "tiny-qwen3":
        from models.tiny_qwen3 import build_tiny_qwen3

        return build_tiny_qwen3(work, hidden=64, seed=0)
    if kind not in REAL:
        raise ValueError(f"unknown model kind {kind!r}: tiny, tiny-qwen3, {', '.join(REAL)}")
    from models.real_dims import build_real_dims

    return build_real_dims(work / "real", REAL[kind], layers=REAL_LAYERS,
                           vision_layers=REAL_LAYERS, quantize=("Q4_K_M",))


def bench(kind: str, work: Path, layers: int, steps: int, tokens: int) -> int:
    """``deskhand bench runtime --json`` on the model (Q4_K_M for the real ones, with the
    prompt family of the model they stand for), one line."""
    import subprocess

    from models.real_dims import published

    built = built_model(kind, work)
    gguf = built.quantized["Q4_K_M"] if kind in REAL else built.gguf_path
    family = published(REAL[kind])["family"] if kind in REAL else TINY_FAMILY[kind]
    out = work / f"bench-{kind}.json"
    with out.open("w", encoding="utf-8") as file:
        subprocess.run([sys.executable, "-m", "app.cli", "--home", str(work / "home"), "--set",
                        f"runtime.gpu_layers={layers}", "bench", "runtime", "--json", "--model",
                        str(gguf), "--mmproj", str(built.mmproj_path), "--family", family,
                        "--steps", str(steps), "--tokens", str(tokens), "--repeats", "1"],
                       stdout=file, check=True, cwd=ROOT)
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = report["steps"]
    resolved = report.get("gpu_layers", 0)
    where = "CPU" if resolved == 0 else f"GPU ({'all' if resolved < 0 else resolved} layers)"
    decode = [s["n_tokens"] / s["decode_s"] for s in rows if s["decode_s"] > 0]
    later = [s["ttft_s"] for s in rows[1:]]
    line = (f"bench {kind} ({Path(gguf).stat().st_size / 2**20:.0f} MiB): {where}, image "
            f"{report['image'][0]}x{report['image'][1]}, TTFT step 1 "
            f"{rows[0]['ttft_s'] * 1000:.0f} ms"
            + (f", later {statistics.median(later) * 1000:.0f} ms" if later else "")
            + (f", decode {statistics.median(decode):.0f} tok/s" if decode else "")
            + f", overhead {report['overhead']:.2f}x vs bare llama.cpp")
    if layers != 0 and resolved == 0:
        return fail(line + " (asked for the GPU)")
    print(line, flush=True)
    return 0


def judge(kind: str, work: Path, layers: int, group: int, tokens: int) -> int:
    """``deskhand bench judge --json`` on the model: the reward model's verdicts on a group of
    actions, one by one against side by side, one line."""
    import subprocess

    from models.real_dims import published

    built = built_model(kind, work)
    gguf = built.quantized["Q4_K_M"] if kind in REAL else built.gguf_path
    family = published(REAL[kind])["family"] if kind in REAL else TINY_FAMILY[kind]
    done = subprocess.run([sys.executable, "-m", "app.cli", "--home", str(work / "home"),
                           "--set", f"runtime.gpu_layers={layers}", "bench", "judge", "--json",
                           "--model", str(gguf), "--mmproj", str(built.mmproj_path), "--family",
                           family, "--group", str(group), "--tokens", str(tokens),
                           "--repeats", "2"], stdout=subprocess.PIPE, text=True, check=True,
                          cwd=ROOT)  # its stderr goes to the check's log
    report = json.loads(done.stdout)
    resolved = report["gpu_layers"]
    where = "CPU" if resolved == 0 else f"GPU ({'all' if resolved < 0 else resolved} layers)"
    line = (f"judge {kind} ({Path(gguf).stat().st_size / 2**20:.0f} MiB): {where}, {group} "
            f"actions x {tokens} tokens: one by one {report['one_by_one_per_s']:.2f}/s, side by "
            f"side {report['side_by_side_per_s']:.2f}/s ({report['ratio']:.2f}x the time), the "
            f"same verdicts: {'yes' if report['same_texts'] else 'no'}")
    if layers != 0 and resolved == 0:
        return fail(line + " (asked for the GPU)")
    print(line, flush=True)
    return 0


def _cuda_name() -> str | None:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def _reward(completions: list[Any], **_: Any) -> list[float]:
    """A reward with variance on any of the check's models: ``bench learner``'s digit share
    plus the decoded length (in 100s of characters). A random model as wide as a real one
    samples mostly ids beyond the tiny tokenizer's vocabulary, which decode to nothing: with
    the digit share alone every group was flat and no step had anything to learn."""
    from learner.bench import digit_share

    texts = [c if isinstance(c, str) else str(c) for c in completions]
    return [len(t) / 100 + (share or 0.0)
            for t, share in zip(texts, digit_share(texts), strict=True)]


@dataclass
class Steps:
    """What ``steps`` GRPO steps did (:func:`_run_steps`)."""

    times: list[float]
    losses: list[float]
    rewards: list[float]
    learned: int  # steps with at least one group that was not flat (something to learn from)
    changed: bool  # the LoRA weights moved

    @property
    def finite(self) -> bool:
        return all(v == v and abs(v) != float("inf") for v in self.losses)

    def figures(self) -> str:
        return (f"median {statistics.median(self.times):.2f} s/step, loss "
                f"{'finite' if self.finite else 'NOT finite'}, reward {self.rewards[0]:.3f} -> "
                f"{self.rewards[-1]:.3f}, {self.learned} of {len(self.times)} steps with a "
                f"learning signal, LoRA {'changed' if self.changed else 'UNCHANGED'}")


def _run_steps(model: Any, processor: Any, steps: int, gpu: bool, ranks: Any = None) -> Steps:
    """``steps`` GRPO steps of our trainer on two copies of ``bench learner``'s prompt."""
    import torch

    from learner.bench import PROMPT
    from learner.distributed import SINGLE
    from learner.grpo import GRPOSettings, Prompted, grpo_step
    from learner.sharding import full_weights

    before = full_weights(model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-3)
    settings = GRPOSettings(group_size=8 if gpu else 4, max_new_tokens=32 if gpu else 12,
                            temperature=1.0, beta=0.04)
    done = Steps([], [], [], 0, False)
    for step in range(steps):
        start = time.perf_counter()
        result = grpo_step(model, processor, optimizer, [Prompted(PROMPT, None)] * 2,
                           [_reward], settings, seed=step, ranks=ranks or SINGLE)
        done.times.append(time.perf_counter() - start)
        done.losses.append(result.loss)
        done.rewards.append(result.reward)
        done.learned += result.groups > result.dropped
    after = full_weights(model)
    done.changed = any(not torch.equal(before[k], after[k]) for k in before)
    return done


def grpo(kind: str, work: Path, steps: int) -> int:
    """``steps`` GRPO steps of our trainer on the model: bf16 on CUDA, f32 on the CPU."""
    import torch

    from learner.policy import Processor, load_lora_model, pick_device

    base = built_model(kind, work).hf_dir
    torch.manual_seed(0)
    where = pick_device()
    gpu = where == "cuda"
    model = load_lora_model(base, rank=8, alpha=16, device=where)
    dtype = next(p.dtype for p in model.parameters())
    done = _run_steps(model, Processor(base), steps, gpu)
    peak = (f", peak CUDA {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB" if gpu else "")
    name = f" ({_cuda_name()})" if gpu else ""
    line = (f"grpo {kind}: {steps} steps on {where}{name} in {str(dtype).removeprefix('torch.')}, "
            f"{done.figures()}{peak}")
    if not (done.finite and done.changed):
        return fail(line)
    print(line, flush=True)
    return 0


def fsdp(kind: str, work: Path, steps: int) -> int:
    """``steps`` GRPO steps with the model sharded over this launch's processes (run under
    ``accelerate launch --config_file packaging/accelerate/fsdp.yaml``): one per GPU, or gloo
    processes on the CPU. Rank 0 prints the line: the weights each rank holds against the
    whole model, and each GPU's peak memory."""
    import torch

    from learner import distributed, sharding
    from learner.policy import Processor, load_lora_model, pick_device

    ranks = distributed.current()
    wanted = sharding.requested()
    if wanted is None or ranks.world < 2:
        return fail(f"fsdp {kind}: launch with accelerate's FSDP config and 2 or more processes")
    base = built_model(kind, work).hf_dir if ranks.main else None
    base = Path(ranks.share(str(base)))  # rank 0 builds it once; the others wait
    where = pick_device(local_rank=ranks.local_rank)
    gpu = where.startswith("cuda")
    if gpu:
        torch.cuda.set_device(ranks.local_rank)
    torch.manual_seed(0)
    model = load_lora_model(base, rank=8, alpha=16, device=where)
    whole = sum(p.numel() * p.element_size() for p in model.parameters())
    model, ranks = sharding.shard(model, wanted, ranks, where)
    held = sum(p.to_local().numel() * p.element_size() for p in model.parameters())
    done = _run_steps(model, Processor(base), steps, gpu, ranks)
    peak = torch.cuda.max_memory_allocated() / 2**30 if gpu else 0.0
    seen = ranks.gather((held, peak))
    ranks.barrier()  # all leave together (a rank gone early can abort the others' exit)
    if not ranks.main:
        return 0
    over = "GPUs" if gpu else "CPU processes"
    line = (f"fsdp {kind}: {steps} steps sharded over {ranks.world} {over}, each holding "
            f"{max(h for h, _ in seen) / whole:.0%} of the model's "
            f"{whole / 2**20:.0f} MiB, {done.figures()}"
            + (f", peak CUDA per GPU {max(p for _, p in seen):.2f} GiB" if gpu else ""))
    if not (done.finite and done.changed and max(h for h, _ in seen) < 0.75 * whole):
        return fail(line)
    print(line, flush=True)
    return 0


def lora_parity(folder: Path, kind: str = "tiny") -> int:
    """A random LoRA on the ``kind`` tiny model (Qwen2.5-VL or Qwen3-VL), exported to GGUF:
    llama.cpp's logits (all layers on the GPU when it has one) against peft's (on the same
    device) for one prompt."""
    import numpy as np
    import torch
    from llama_cpp import Llama
    from llama_cpp import llama_cpp as lib
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer

    from learner.base_model import load_base
    from models.architectures import of_folder
    from models.gguf.lora import TEXT_TARGET_MODULES, export_lora

    tiny = built_model(kind, folder)
    arch = of_folder(tiny.hf_dir).gguf_arch
    where = "cuda" if torch.cuda.is_available() else "cpu"
    offload = bool(lib.llama_supports_gpu_offload()) and where == "cuda"
    base = load_base(tiny.hf_dir, attn_implementation="eager", dtype=torch.float32)
    with warnings.catch_warnings():  # peft 0.21 calls a transformers-5 deprecated alias
        warnings.simplefilter("ignore", FutureWarning)
        peft = get_peft_model(base, LoraConfig(r=4, lora_alpha=8,
                                               target_modules=TEXT_TARGET_MODULES))
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, param in peft.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.3)
    peft = peft.to(where).eval()
    ids = AutoTokenizer.from_pretrained(str(tiny.hf_dir)).encode(
        "<|im_start|>user\nOpen the file menu and click save.<|im_end|>\n<|im_start|>assistant\n")
    with torch.no_grad():
        tuned = peft(input_ids=torch.tensor([ids], device=where)).logits[0].float().cpu()
        with peft.disable_adapter():
            plain = peft(input_ids=torch.tensor([ids], device=where)).logits[0].float().cpu()
    adapter = export_lora(peft.to("cpu"), folder / f"gpu-check-lora-{kind}.gguf")
    original = lib.llama_model_default_params

    def params() -> Any:  # llama.cpp's CPU repacking faults on VMs that advertise AMX
        value = original()
        value.use_extra_bufts = False
        return value

    lib.llama_model_default_params = params
    try:
        llm = Llama(str(tiny.gguf_path), n_ctx=256, logits_all=True, type_k=0, type_v=0,
                    seed=0, n_threads=2, verbose=False, lora_path=str(adapter),
                    n_gpu_layers=-1 if offload else 0)
    finally:
        lib.llama_model_default_params = original
    llm.eval(ids)
    theirs = np.array(llm.scores[: len(ids)], dtype=np.float32)
    delta = float(np.abs(tuned.numpy() - theirs).max())
    effect = float((tuned - plain).abs().max())
    tolerance = PARITY_TOLERANCE[where]
    served = "the GPU" if offload else "the CPU"
    line = (f"lora parity {arch}: peft on {where} vs llama.cpp on {served}, max |Δlogit| "
            f"{delta:.2e} (tolerance {tolerance:g}) over {len(ids)} positions; "
            f"the adapter moves logits by up to {effect:.2f}")
    if not (delta < tolerance and effect > 0.1):
        return fail(line)
    print(line, flush=True)
    return 0


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    if command == "device":
        return device(float(args[0]))
    if command == "bench":
        return bench(args[0], Path(args[1]), *(int(a) for a in args[2:5]))
    if command == "judge":
        return judge(args[0], Path(args[1]), *(int(a) for a in args[2:5]))
    if command == "grpo":
        return grpo(args[0], Path(args[1]), int(args[2]))
    if command == "fsdp":
        # leave without the interpreter's teardown: in about 1 run of 4 on the 2-core VM gloo's
        # threads, torn down there, aborted both ranks ("terminate called without an active
        # exception") after the line was printed; learner.distributed.leave now destroys the
        # group at exit for every CPU rank, and this check keeps its own way out as well
        code = fsdp(args[0], Path(args[1]), int(args[2]))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if command == "lora-parity":
        return lora_parity(Path(args[0]), *args[1:2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
