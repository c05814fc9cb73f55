"""The GPU decisions of ``models.device``, over GPU and CPU machines, without a GPU."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from models import device
from models.device import Detected, Gpu, setup_plan

H200 = (Gpu("NVIDIA H200", 143771, 140000),)
SMI_BANNER = "| NVIDIA-SMI 570.86.10   Driver Version: 570.86.10   CUDA Version: 12.8     |\n"


def test_a_cpu_machine_keeps_the_cpu_wheels() -> None:
    plan = setup_plan(Detected())
    assert (plan.torch_index, plan.llama_cmake_args) == (None, None)
    assert "no NVIDIA GPU" in plan.summary


def test_a_gpu_with_the_toolkit_gets_cuda_torch_and_a_cuda_llama_build() -> None:
    plan = setup_plan(Detected(gpus=H200, driver_cuda="12.8", nvcc_cuda="12.8"))
    assert plan.torch_index == "https://download.pytorch.org/whl/cu128"
    assert plan.llama_cmake_args == "-DGGML_CUDA=on"
    assert "NVIDIA H200" in plan.summary


def test_a_gpu_without_the_toolkit_gets_cuda_torch_and_says_what_to_install() -> None:
    plan = setup_plan(Detected(gpus=H200, driver_cuda="13.0"))
    assert plan.torch_index == "https://download.pytorch.org/whl/cu130"
    assert plan.llama_cmake_args is None
    assert "cuda-toolkit" in plan.summary


def test_an_old_driver_keeps_the_cpu_torch_and_says_why() -> None:
    plan = setup_plan(Detected(gpus=H200, driver_cuda="11.8", nvcc_cuda="11.8"))
    assert plan.torch_index is None
    assert "update the NVIDIA driver" in plan.summary


@pytest.mark.parametrize(("found", "words"), [
    (Detected(), ["none found", "CPU"]),
    (Detected(gpus=H200, driver_cuda="12.8"), ["NVIDIA H200", "140.4 GiB VRAM", "12.8"]),
])
def test_the_doctor_gpu_line(found: Detected, words: list[str]) -> None:
    line = device.gpu_line(found)
    assert all(w in line for w in words), line


def test_the_doctor_backend_and_torch_lines() -> None:
    assert device.llama_backend_line(Detected()) == "not installed"
    assert "GPU offload supported" in device.llama_backend_line(Detected(llama_offload=True))
    assert device.torch_device_line(Detected(torch_build="2.13.0+cpu")) == "cpu, torch 2.13.0+cpu"
    assert device.torch_device_line(Detected(torch_build="2.13.0", torch_cuda="H200")).startswith(
        "cuda (H200)")


def test_two_gpus_and_odd_lines() -> None:
    text = "NVIDIA A10, 23028, 22000\nNVIDIA RTX 4090, 24564, [N/A]\n\ngarbage\n"
    assert device.parse_gpus(text) == (Gpu("NVIDIA A10", 23028, 22000),
                                       Gpu("NVIDIA RTX 4090", 24564, None))


def fake_tool(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_detect_nvidia_reads_a_fake_nvidia_smi(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tool(tmp_path, "nvidia-smi", f"""case "$1" in
  --query-gpu=*) echo "NVIDIA H200, 143771, 140000" ;;
  *) printf '%s' '{SMI_BANNER}' ;;
esac
""")
    fake_tool(tmp_path, "nvcc", 'echo "Cuda compilation tools, release 12.8, V12.8.93"\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")
    found = device.detect_nvidia()
    assert found == Detected(gpus=H200, driver_cuda="12.8", nvcc_cuda="12.8")


def test_detect_nvidia_without_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CUDA_HOME", str(tmp_path))
    assert device.detect_nvidia().gpus == ()
