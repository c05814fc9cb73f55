"""``deskhand doctor``'s GPU, llama.cpp and torch lines, on this CPU machine and with a fake
``nvidia-smi`` that reports a GPU this machine does not have."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.doctor import run_checks
from agent.paths import Paths


def _details(home: Paths) -> dict[str, tuple[str, str]]:
    return {c.name: (c.detail, c.hint) for c in run_checks(home)
            if c.name in ("gpu", "llama.cpp", "torch")}


def _fake_smi(folder: Path) -> None:
    path = folder / "nvidia-smi"
    path.write_text("#!/bin/sh\ncase \"$1\" in\n  --query-gpu=*) echo 'NVIDIA L4, 23034, 22000' ;;"
                    "\n  *) echo '| Driver Version: 550.54  CUDA Version: 12.4 |' ;;\nesac\n",
                    encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_a_cpu_machine_reports_the_cpu_everywhere(home: Paths, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from llama_cpp import llama_cpp as ll

    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")  # no nvidia-smi
    found = _details(home)
    assert found["gpu"][0].startswith("none found")
    offload = ll.llama_supports_gpu_offload()
    assert ("GPU offload supported" if offload else "CPU (") in found["llama.cpp"][0]
    device = f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "cpu"
    assert found["torch"][0] == f"{device}, torch {torch.__version__}"


def test_a_gpu_with_cpu_builds_says_to_run_setup_again(home: Paths, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from llama_cpp import llama_cpp as ll

    _fake_smi(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")
    monkeypatch.setattr(ll, "llama_supports_gpu_offload", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    found = _details(home)
    assert found["gpu"][0] == "NVIDIA L4, 22.5 GiB VRAM (21.5 GiB free); driver CUDA 12.4"
    assert "rebuild llama.cpp with CUDA" in found["llama.cpp"][1]
    assert found["torch"][0].startswith("cpu, torch ")
    assert "install a CUDA torch" in found["torch"][1]
    from app.cli import cli

    out = CliRunner().invoke(cli, ["--home", str(home.data_dir.parent), "doctor"]).stdout
    assert "gpu: ok — NVIDIA L4, 22.5 GiB VRAM" in out
    assert "llama.cpp: ok — llama-cpp-python 0.3.36, CPU (" in out
    assert "torch: ok — cpu, torch" in out
