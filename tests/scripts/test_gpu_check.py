"""``scripts/gpu-check.sh``: on this machine (no GPU) it says the GPU parts are skipped and
runs its CPU fallback for real, one line of figures per check; with a fake ``nvidia-smi`` and
stand-ins for the heavy commands, the GPU sequence asks for full offload, 10 GRPO steps and
the parity check."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from models.tiny import TinyModel

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu-check.sh"


def _path_without_nvidia_smi() -> str:
    return os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep)
                           if d and not (Path(d) / "nvidia-smi").exists())


def test_without_a_gpu_the_cpu_fallback_runs_and_says_what_was_skipped(
        tiny_model: TinyModel, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / tiny_model.hf_dir.parent.name).symlink_to(tiny_model.hf_dir.parent)  # built once
    env = {**os.environ, "PATH": _path_without_nvidia_smi(),
           "DESKHAND_VENV": str(Path(sys.executable).parents[1])}
    done = subprocess.run([str(SCRIPT), "--work", str(work)], capture_output=True, text=True,
                          timeout=500, env=env, cwd=tmp_path)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines[0].startswith("gpu-check: no NVIDIA GPU found (nvidia-smi) — SKIPPED the GPU "
                               "parts: CUDA build, full offload")
    assert lines[1].startswith("bench tiny (1 MiB): CPU, image ")
    assert "overhead" in lines[1] and "decode" in lines[1]
    assert lines[2].startswith("judge tiny (1 MiB): CPU, 4 actions x 8 tokens: one by one ")
    assert "side by side" in lines[2]
    assert lines[3].startswith("grpo tiny: 2 steps on cpu in float32, median ")
    assert "loss finite" in lines[3] and "LoRA changed" in lines[3]
    assert lines[4].startswith("lora parity qwen2vl: peft on cpu vs llama.cpp on the CPU, max "
                               "|Δlogit|")
    assert lines[5].startswith("lora parity qwen3vl: peft on cpu vs llama.cpp on the CPU, max "
                               "|Δlogit|")
    assert lines[6].startswith("fsdp tiny: 2 steps sharded over 2 CPU processes, each holding "
                               "50% of the model's ")
    assert "loss finite" in lines[6] and "LoRA changed" in lines[6]
    assert lines[7].startswith("gpu-check: CPU fallback (GPU parts skipped): 6 passed, 0 failed")
    assert len(lines) == 8


def _tool(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.mark.parametrize("gpus", [1, 2])
def test_with_a_gpu_the_checks_run_in_order(tmp_path: Path, gpus: int) -> None:
    """Seven checks on one GPU (sharding is said to be skipped); with two, the sharded GRPO
    steps run too, one process per GPU."""
    fake = tmp_path / "bin"
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    fake.mkdir()
    calls = tmp_path / "calls"
    _tool(fake, "nvidia-smi", 'echo "NVIDIA H200, 143771 MiB"\n' * gpus)
    # the venv's python stands in for every check: it records its arguments and prints figures;
    # grpo fails the way gpu_check.py's fail() does, its line already marked FAILED
    _tool(tmp_path / "venv" / "bin", "python",
          f'echo "$*" >> {calls}\n[ "$2" != grpo ] && echo "figures of $2 $3" && exit 0\n'
          'echo "figures of $2 $3 — FAILED"\nexit 1\n')
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}",
           "DESKHAND_VENV": str(tmp_path / "venv"), "GPU_CHECK_SETUP": "true"}
    done = subprocess.run([str(SCRIPT), "--work", str(tmp_path / "work")], capture_output=True,
                          text=True, timeout=60, env=env)
    lines = done.stdout.splitlines()
    assert lines[0] == "gpu-check: NVIDIA H200, 143771 MiB"
    recorded = [line.split()[1:] for line in calls.read_text().splitlines()]
    work = str(tmp_path / "work")
    sharded = ["-m", "accelerate.commands.launch", "--config_file",
               "packaging/accelerate/fsdp.yaml", "--num_machines", "1", "--mixed_precision",
               "no", "--dynamo_backend", "no", "--num_processes", "2", "scripts/gpu_check.py",
               "fsdp", "real", work, "3"]
    assert recorded == [["device", "0"], ["bench", "tiny", work, "-1", "4", "32"],
                        ["bench", "real", work, "-1", "4", "32"],
                        ["judge", "real", work, "-1", "8", "48"], ["grpo", "real", work, "10"],
                        ["lora-parity", work], ["lora-parity", work, "tiny-qwen3"],
                        *([sharded[1:]] if gpus == 2 else [])]
    assert lines[5].startswith("figures of grpo real — FAILED (exit 1; see ")
    assert lines[5].count("FAILED") == 1
    if gpus == 1:
        assert lines[8] == "fsdp real: one GPU — SKIPPED (sharding the model needs 2 or more)"
    assert lines[-1].startswith(f"gpu-check: GPU: {5 + gpus} passed, 1 failed in ")
    assert done.returncode == 1


def test_bench_real_qwen3_serves_the_quantized_model_with_qwen3_prompts(
        tiny_qwen3: TinyModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``gpu_check.py bench real-qwen3`` benches the Q4_K_M build of Qwen3-VL-2B's dimensions
    (a stand-in here: the tiny Qwen3-VL; the real build is ``tests/models/test_real_dims_qwen3``)
    with Qwen3-VL's prompt family, on the CPU when told ``0`` layers."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    assert spec is not None and spec.loader is not None
    gpu_check = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gpu_check", gpu_check)  # as an import would (dataclasses)
    spec.loader.exec_module(gpu_check)
    asked: list[str] = []

    def built(kind: str, work: Path) -> TinyModel:
        asked.append(kind)
        return TinyModel(tiny_qwen3.hf_dir, Path("unused.gguf"), tiny_qwen3.mmproj_path,
                         {"Q4_K_M": tiny_qwen3.gguf_path})

    monkeypatch.setattr(gpu_check, "built_model", built)
    assert gpu_check.bench("real-qwen3", tmp_path, 0, 1, 2) == 0
    line = capsys.readouterr().out.strip()
    assert asked == ["real-qwen3"]
    assert line.startswith("bench real-qwen3 (") and ": CPU, image " in line, line
    report = json.loads((tmp_path / "bench-real-qwen3.json").read_text())
    assert report["family"] == "qwen3vl" and report["model"] == str(tiny_qwen3.gguf_path)
