"""What compute this machine has (NVIDIA GPUs, CUDA, llama.cpp's backend, torch's device) and
the decisions that follow from it.

The design choice a reader must know: detection and decision are apart. :func:`detect` runs
``nvidia-smi`` / ``nvcc`` and asks torch and llama.cpp; everything else is a pure function of the
:class:`Detected` it returns, so the GPU paths are tested on machines without a GPU. Only the
standard library is imported at module level: ``scripts/setup.sh`` runs this file with the
system Python before the virtual environment has anything in it
(``python3 -m models.device setup-plan``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

# CUDA builds of torch, newest first: (lowest driver CUDA version, wheel index). A driver runs
# wheels built for its own CUDA version or older.
TORCH_CUDA_INDEXES = ((13, 0, "cu130"), (12, 8, "cu128"), (12, 6, "cu126"))
TORCH_INDEX_URL = "https://download.pytorch.org/whl/{}"
LLAMA_CUDA_CMAKE_ARGS = "-DGGML_CUDA=on"


@dataclass(frozen=True)
class Gpu:
    name: str
    vram_mib: int
    free_mib: int | None = None


@dataclass(frozen=True)
class Detected:
    """What :func:`detect` found; ``None`` where a tool is missing."""

    gpus: tuple[Gpu, ...] = ()
    driver_cuda: str | None = None  # the CUDA version the driver supports ("12.8")
    nvcc_cuda: str | None = None  # the CUDA toolkit's version, needed to build llama.cpp
    llama_offload: bool | None = None  # llama_supports_gpu_offload(); None: not installed
    torch_cuda: str | None = None  # torch's CUDA device name, when torch sees one
    torch_build: str | None = None  # torch.__version__ (+ its CUDA version); None: no torch


@dataclass(frozen=True)
class SetupPlan:
    """What ``scripts/setup.sh`` installs: torch from ``torch_index`` (None: the default CPU
    wheel) and llama-cpp-python built with ``llama_cmake_args`` (None: for the CPU)."""

    torch_index: str | None
    llama_cmake_args: str | None
    summary: str


def parse_gpus(text: str) -> tuple[Gpu, ...]:
    """GPUs from ``nvidia-smi --query-gpu=name,memory.total,memory.free
    --format=csv,noheader,nounits``.

    >>> parse_gpus("NVIDIA H200, 143771, 143000\\n")
    (Gpu(name='NVIDIA H200', vram_mib=143771, free_mib=143000),)
    >>> parse_gpus("")
    ()
    """
    gpus = []
    for line in text.strip().splitlines():
        name, _, rest = line.rpartition(",")
        free: int | None = None
        if "," in name:  # three columns: name, total, free
            name, _, total = name.rpartition(",")
            free = int(rest) if rest.strip().isdigit() else None
        else:
            total = rest
        if name.strip() and total.strip().isdigit():
            gpus.append(Gpu(name.strip(), int(total), free))
    return tuple(gpus)


def parse_cuda_version(text: str) -> str | None:
    """The CUDA version in ``nvidia-smi``'s banner or ``nvcc --version``'s output.

    >>> parse_cuda_version("| NVIDIA-SMI 570.86  Driver Version: 570.86  CUDA Version: 12.8 |")
    '12.8'
    >>> parse_cuda_version("Cuda compilation tools, release 12.4, V12.4.131")
    '12.4'
    >>> parse_cuda_version("no GPU") is None
    True
    """
    match = re.search(r"(?:CUDA Version:|release)\s*(\d+\.\d+)", text)
    return match.group(1) if match else None


def torch_index(driver_cuda: str | None) -> str | None:
    """The wheel index of the newest CUDA torch the driver runs; None: the CPU wheel.

    >>> torch_index("12.8"), torch_index("13.1"), torch_index("12.4"), torch_index(None)
    ('https://download.pytorch.org/whl/cu128', 'https://download.pytorch.org/whl/cu130', None, None)
    """
    if driver_cuda is None:
        return None
    major, minor = (int(p) for p in driver_cuda.split(".")[:2])
    for need_major, need_minor, tag in TORCH_CUDA_INDEXES:
        if (major, minor) >= (need_major, need_minor):
            return TORCH_INDEX_URL.format(tag)
    return None


def setup_plan(found: Detected) -> SetupPlan:
    """What to install on a machine like ``found`` (pure; ``scripts/setup.sh --plan`` prints it)."""
    if not found.gpus:
        return SetupPlan(None, None, "no NVIDIA GPU found (nvidia-smi): torch CPU wheel, "
                                     "llama.cpp for the CPU")
    gpu = f"{found.gpus[0].name} ({found.gpus[0].vram_mib / 1024:.1f} GiB)"
    index = torch_index(found.driver_cuda)
    torch_part = (f"CUDA torch from {index}" if index else
                  f"torch CPU wheel (driver CUDA {found.driver_cuda or 'unknown'} is older than "
                  "any CUDA torch wheel: update the NVIDIA driver)")
    cmake = LLAMA_CUDA_CMAKE_ARGS if found.nvcc_cuda else None
    llama_part = (f"llama.cpp built with CUDA {found.nvcc_cuda} ({cmake})" if cmake else
                  "llama.cpp for the CPU (no CUDA toolkit: install it, e.g. "
                  "apt-get install nvidia-cuda-toolkit, and run set-up again)")
    return SetupPlan(index, cmake, f"{gpu}, driver CUDA {found.driver_cuda or 'unknown'}: "
                                   f"{torch_part}; {llama_part}")


def gpu_line(found: Detected) -> str:
    """The doctor's GPU line: each GPU with its VRAM (total and free).

    >>> gpu_line(Detected(gpus=(Gpu("NVIDIA H200", 143771, 140000),), driver_cuda="12.8"))
    'NVIDIA H200, 140.4 GiB VRAM (136.7 GiB free); driver CUDA 12.8'
    """
    if not found.gpus:
        return "none found: acting and training run on the CPU (slow)"
    parts = [f"{g.name}, {g.vram_mib / 1024:.1f} GiB VRAM"
             + (f" ({g.free_mib / 1024:.1f} GiB free)" if g.free_mib is not None else "")
             for g in found.gpus]
    return "; ".join(parts) + (f"; driver CUDA {found.driver_cuda}" if found.driver_cuda else "")


def llama_backend_line(found: Detected) -> str:
    """The doctor's llama.cpp line.

    >>> llama_backend_line(Detected(llama_offload=False))
    'CPU (this llama-cpp-python was built without GPU offload)'
    """
    if found.llama_offload is None:
        return "not installed"
    if found.llama_offload:
        return "GPU offload supported (runtime.gpu_layers = 'auto' puts all layers that fit on it)"
    return "CPU (this llama-cpp-python was built without GPU offload)"


def torch_device_line(found: Detected) -> str:
    """The doctor's torch line: the device the trainer uses.

    >>> torch_device_line(Detected(torch_cuda="NVIDIA H200", torch_build="2.13.0+cu128"))
    'cuda (NVIDIA H200), torch 2.13.0+cu128'
    """
    if found.torch_build is None:
        return "not installed"
    device = f"cuda ({found.torch_cuda})" if found.torch_cuda else "cpu"
    return f"{device}, torch {found.torch_build}"


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def detect_nvidia() -> Detected:
    """GPUs and CUDA versions from ``nvidia-smi`` and ``nvcc`` (on PATH, else under
    ``$CUDA_HOME``, else ``/usr/local/cuda``); no Python package is asked."""
    smi = shutil.which("nvidia-smi")
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "/usr/local/cuda"
    nvcc = shutil.which("nvcc") or shutil.which(os.path.join(home, "bin", "nvcc"))
    if not smi:
        return Detected(nvcc_cuda=parse_cuda_version(_run([nvcc, "--version"])) if nvcc else None)
    gpus = parse_gpus(_run([smi, "--query-gpu=name,memory.total,memory.free",
                            "--format=csv,noheader,nounits"]))
    return Detected(gpus=gpus, driver_cuda=parse_cuda_version(_run([smi])),
                    nvcc_cuda=parse_cuda_version(_run([nvcc, "--version"])) if nvcc else None)


def detect() -> Detected:
    """Everything: :func:`detect_nvidia` plus what torch and llama.cpp see (imported here)."""
    from dataclasses import replace

    found = detect_nvidia()
    try:
        import llama_cpp

        found = replace(found, llama_offload=bool(llama_cpp.llama_supports_gpu_offload()))
    except ImportError:
        pass
    try:
        import torch

        cuda = torch.cuda.is_available()
        found = replace(found, torch_build=torch.__version__,
                        torch_cuda=torch.cuda.get_device_name(0) if cuda else None)
    except ImportError:
        pass
    return found


def main(argv: list[str]) -> int:
    """``setup-plan``: the plan as ``key=value`` lines for ``scripts/setup.sh`` to read."""
    if argv != ["setup-plan"]:
        print("usage: python -m models.device setup-plan", file=sys.stderr)
        return 2
    plan = setup_plan(detect_nvidia())
    print(f"torch_index={plan.torch_index or ''}")
    print(f"llama_cmake_args={plan.llama_cmake_args or ''}")
    print(f"summary={plan.summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
