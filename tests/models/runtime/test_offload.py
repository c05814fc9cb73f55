"""``gpu_layers = "auto"``: all that fit with a GPU build of llama.cpp, none without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import load
from models.runtime import RuntimeConfig, offload
from models.tiny import TinyModel

GiB = 1024**3


def test_auto_is_the_default_and_older_configs_stay_valid(tmp_path: Path) -> None:
    assert RuntimeConfig().gpu_layers == "auto"
    path = tmp_path / "runtime.toml"
    path.write_text("gpu_layers = 0\n", encoding="utf-8")
    assert load(RuntimeConfig, path).gpu_layers == 0
    assert load(RuntimeConfig, path, ["gpu_layers=-1"]).n_gpu_layers == -1
    assert load(RuntimeConfig, path, ["gpu_layers=auto"]).gpu_layers == "auto"
    with pytest.raises(ValueError, match="gpu_layers"):
        load(RuntimeConfig, path, ["gpu_layers=some"])


@pytest.mark.parametrize(("offload_ok", "weights", "free", "want"), [
    (False, 2 * GiB, 80 * GiB, 0),  # a CPU build of llama.cpp: nothing on the GPU
    (True, 2 * GiB, 80 * GiB, -1),  # fits: all
    (True, 2 * GiB, None, -1),  # free VRAM unknown (not NVIDIA): all, llama.cpp decides
    (True, 20 * GiB, 12 * GiB, 16),  # part of a big model: (12 - 1 - 2) / (20 / 37)
    (True, 20 * GiB, GiB, 0),  # not even the reserve fits
])
def test_auto_layers(offload_ok: bool, weights: int, free: int | None, want: int) -> None:
    assert offload.auto_layers(offload_ok, 36, weights, free) == want


def test_a_cpu_build_resolves_auto_to_the_cpu(tiny_model: TinyModel) -> None:
    from llama_cpp import llama_supports_gpu_offload

    resolved = offload.resolve_offload(RuntimeConfig(), tiny_model.gguf_path,
                                       tiny_model.mmproj_path)
    assert resolved.gpu_layers == (-1 if llama_supports_gpu_offload() else 0)
    assert offload.resolve_offload(RuntimeConfig(gpu_layers=3), tiny_model.gguf_path) \
        .gpu_layers == 3


def test_a_partial_fit_reads_the_layer_count(tiny_model: TinyModel,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from llama_cpp import llama_cpp as ll

    assert offload.block_count(tiny_model.gguf_path) == 2
    monkeypatch.setattr(ll, "llama_supports_gpu_offload", lambda: True)
    monkeypatch.setattr(offload, "free_vram", lambda: 1)
    assert offload.resolve_offload(RuntimeConfig(), tiny_model.gguf_path).gpu_layers == 0
    monkeypatch.setattr(offload, "free_vram", lambda: 100 * GiB)
    assert offload.resolve_offload(RuntimeConfig(), tiny_model.gguf_path).gpu_layers == -1
