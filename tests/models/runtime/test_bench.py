"""``deskhand bench runtime``: the per-step breakdown and both ratios, from one short run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.paths import Paths
from app.cli import cli
from models.tiny import TinyModel


def test_bench_runtime_json_reports_steps_and_ratios(tiny_model: TinyModel, home: Paths) -> None:
    result = CliRunner().invoke(cli, [
        "bench", "runtime",
        "--model", str(tiny_model.gguf_path), "--mmproj", str(tiny_model.mmproj_path),
        "--steps", "3", "--tokens", "4", "--screen", "448x252", "--repeats", "2",
        "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # llama.cpp's warnings go to stderr
    steps = report["steps"]
    assert [s["step"] for s in steps] == [1, 2, 3]
    assert steps[0]["n_reused"] == 0
    assert all(s["n_reused"] > 0 for s in steps[1:])  # the static prefix came from the cache
    assert all(s["image_encode_s"] > 0 and s["prefill_s"] > 0 for s in steps)
    assert all(s["parse_s"] is not None for s in steps)
    assert report["overhead"] > 0 and report["ttft_ratio"] > 0
    assert "bare llama-cpp-python" in report["baseline"]
    print(f"\ntiny model: overhead {report['overhead']:.3f}x, TTFT ratio "
          f"{report['ttft_ratio']:.3f}x")


def test_bench_runtime_table(tiny_model: TinyModel, home: Paths) -> None:
    result = CliRunner().invoke(cli, [
        "bench", "runtime", "--model", str(tiny_model.gguf_path),
        "--mmproj", str(tiny_model.mmproj_path), "--steps", "2", "--tokens", "2",
        "--screen", "224x224", "--repeats", "1"])
    assert result.exit_code == 0, result.output
    assert "overhead (cold / bare" in result.output and "TTFT step n>1" in result.output


def test_bench_runtime_size_builds_the_published_dimensions(
        tiny_model: TinyModel, home: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--size`` benches a build of the named model's published dimensions (here a stand-in:
    the real build is ``tests/models/test_real_dims.py``'s), as Q4_K_M, at ``--layers``."""
    import models.real_dims

    asked: list[tuple[str, int | None, int | None, tuple[str, ...]]] = []

    def build(folder: Path, name: str, *, layers: int | None, vision_layers: int | None,
              dtype: str, quantize: tuple[str, ...]) -> TinyModel:
        asked.append((name, layers, vision_layers, quantize))
        return TinyModel(tiny_model.hf_dir, tiny_model.gguf_path, tiny_model.mmproj_path,
                         {"Q4_K_M": tiny_model.gguf_path})

    monkeypatch.setattr(models.real_dims, "build_real_dims", build)
    result = CliRunner().invoke(cli, ["bench", "runtime", "--size", "qwen2.5-vl-3b",
                                      "--layers", "3", "--steps", "1", "--tokens", "2",
                                      "--screen", "224x224", "--repeats", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert asked == [("qwen2.5-vl-3b", 3, 3, ("Q4_K_M",))]
    report = json.loads(result.stdout)
    assert report["steps"] and report["family"] == "qwen25vl"
    unknown = CliRunner().invoke(cli, ["bench", "runtime", "--size", "gpt-5"])
    assert unknown.exit_code == 2 and "no published dimensions for 'gpt-5'" in unknown.output
    alone = CliRunner().invoke(cli, ["bench", "runtime", "--layers", "3"])
    assert alone.exit_code == 2 and "--layers goes with --size" in alone.output


def test_bench_runtime_size_qwen3_uses_the_qwen3vl_family(
        tiny_qwen3: TinyModel, home: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--size qwen3-vl-2b`` builds Qwen3-VL-2B's dimensions (stand-in: the tiny Qwen3-VL) and
    renders Qwen3-VL's prompts (its resize: a Qwen2.5-VL prompt's image would not make the
    tokens mtmd makes of it); ``--layers`` omitted means the published depth."""
    import models.real_dims

    asked: list[tuple[str, int | None]] = []

    def build(folder: Path, name: str, *, layers: int | None, vision_layers: int | None,
              dtype: str, quantize: tuple[str, ...]) -> TinyModel:
        asked.append((name, layers))
        return TinyModel(tiny_qwen3.hf_dir, tiny_qwen3.gguf_path, tiny_qwen3.mmproj_path,
                         {"Q4_K_M": tiny_qwen3.gguf_path})

    monkeypatch.setattr(models.real_dims, "build_real_dims", build)
    args = ["bench", "runtime", "--size", "qwen3-vl-2b", "--steps", "1", "--tokens", "2",
            "--screen", "256x256", "--repeats", "1", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert asked == [("qwen3-vl-2b", None)]
    assert report["family"] == "qwen3vl" and report["steps"]
    assert report["image"][0] % 32 == 0 and report["image"][1] % 32 == 0  # Qwen3-VL's factor


def test_bench_judge_times_both_ways_on_the_same_verdicts(tiny_model: TinyModel,
                                                          home: Paths) -> None:
    result = CliRunner().invoke(cli, [
        "bench", "judge", "--model", str(tiny_model.gguf_path),
        "--mmproj", str(tiny_model.mmproj_path), "--group", "3", "--tokens", "5",
        "--screen", "224x224", "--repeats", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["group"], report["tokens"]) == (3, 5)
    assert len(report["one_by_one_s"]) == len(report["side_by_side_s"]) == 2
    assert report["ratio"] == min(report["side_by_side_s"]) / min(report["one_by_one_s"])
    assert report["side_by_side_per_s"] == 3 / min(report["side_by_side_s"])
    assert report["same_texts"] is True  # a short prompt: no rounding moves a verdict here
    table = CliRunner().invoke(cli, [
        "bench", "judge", "--model", str(tiny_model.gguf_path),
        "--mmproj", str(tiny_model.mmproj_path), "--group", "2", "--tokens", "2",
        "--screen", "224x224", "--repeats", "1"])
    assert table.exit_code == 0 and "ratio side by side / one by one" in table.output
