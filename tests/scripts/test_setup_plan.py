"""``scripts/setup.sh --plan``: what a machine would get, decided by the script itself with a
fake ``nvidia-smi`` / ``nvcc`` on PATH, and nothing installed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMI = """#!/bin/sh
case "$1" in
  --query-gpu=*) echo "NVIDIA H200, 143771, 140000" ;;
  *) echo "| NVIDIA-SMI 570.86  Driver Version: 570.86  CUDA Version: 12.8 |" ;;
esac
"""
NVCC = '#!/bin/sh\necho "Cuda compilation tools, release 12.8, V12.8.93"\n'


def _tool(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")
    (folder / name).chmod(0o755 | stat.S_IXUSR)


def _plan(tmp_path: Path, tools: dict[str, str], **env: str) -> str:
    fake = tmp_path / "bin"
    fake.mkdir()
    for name, text in tools.items():
        _tool(fake, name, text)
    # the real PATH without any real nvidia-smi/nvcc, so the fakes alone decide
    real = [d for d in os.environ["PATH"].split(os.pathsep)
            if d and not any((Path(d) / t).exists() for t in ("nvidia-smi", "nvcc"))]
    venv = tmp_path / "venv"
    env = {"CUDA_HOME": str(tmp_path / "no-cuda"), **env}  # hide a toolkit this machine has
    result = subprocess.run(
        [str(ROOT / "scripts" / "setup.sh"), "--plan"], capture_output=True, text=True,
        timeout=120, env={**os.environ, "PATH": os.pathsep.join([str(fake), *real]),
                          "DESKHAND_VENV": str(venv), "PYTHON": shutil.which("python3") or
                          "python3", **env})
    assert result.returncode == 0, result.stderr
    assert not venv.exists()  # --plan installs nothing
    return result.stdout


def test_a_gpu_machine_gets_cuda_torch_and_a_cuda_llama_build(tmp_path: Path) -> None:
    out = _plan(tmp_path, {"nvidia-smi": SMI, "nvcc": NVCC})
    assert "device: NVIDIA H200 (140.4 GiB), driver CUDA 12.8" in out
    assert "torch: torch==2.13.0 from https://download.pytorch.org/whl/cu128" in out
    assert "llama.cpp: llama-cpp-python==0.3.36 built from source with " \
           "CMAKE_ARGS=-DGGML_CUDA=on" in out


def test_a_gpu_without_the_cuda_toolkit_keeps_llama_cpp_on_the_cpu(tmp_path: Path) -> None:
    out = _plan(tmp_path, {"nvidia-smi": SMI})
    assert "whl/cu128" in out
    assert "llama.cpp: llama-cpp-python==0.3.36 for the CPU" in out
    assert "nvidia-cuda-toolkit" in out


def test_a_cpu_machine_stays_on_the_cpu(tmp_path: Path) -> None:
    out = _plan(tmp_path, {})
    assert out.splitlines() == [
        "device: no NVIDIA GPU found (nvidia-smi): torch CPU wheel, llama.cpp for the CPU",
        "torch: torch==2.13.0 from the default index (the CPU wheel)",
        "llama.cpp: llama-cpp-python==0.3.36 for the CPU"]


def test_cpu_only_is_a_choice_on_a_gpu_machine(tmp_path: Path) -> None:
    out = _plan(tmp_path, {"nvidia-smi": SMI, "nvcc": NVCC}, DESKHAND_CPU_ONLY="1")
    assert "the default index (the CPU wheel)" in out and "for the CPU" in out
