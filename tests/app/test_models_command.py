"""``deskhand models ...`` through the real command line, in a fresh home."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agent.paths import Paths
from app.cli import cli
from models.hub import RECOMMENDED, find_recommended
from models.tiny import TinyModel
from tests.models.test_hub_download import closed_port
from tests.models.test_hub_fake import FakeHub, write_gguf


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["models", *args])


def catalogue(home: Paths) -> dict[str, object]:
    data: dict[str, object] = json.loads((home.models_dir / "catalogue.json").read_text())
    return data


def one_line_error(result: Result, text: str) -> None:
    """Exit 2 with exactly one ``error:`` line, the last one, and no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == lines[-1:], result.output
    assert text in errors[0], result.output


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return (write_gguf(tmp_path / "mine" / "Agent-7B-Q4_K_M.gguf", name="UI-TARS-1.5-7B"),
            write_gguf(tmp_path / "mine" / "mmproj-Agent-7B.gguf", kind="mmproj"))


def test_add_list_use_remove(home: Paths, pair: tuple[Path, Path], tmp_path: Path) -> None:
    gguf, mmproj = pair
    result = run("add", str(gguf), "--mmproj", str(mmproj), "--hf", "ByteDance-Seed/UI-TARS-1.5-7B")
    assert result.exit_code == 0, result.output
    assert "Added Agent-7B-Q4_K_M (uitars" in result.output and "actor" in result.output
    entry = catalogue(home)["models"]["Agent-7B-Q4_K_M"]  # type: ignore[index]
    assert entry["gguf"] == str(gguf) and entry["source"] == "local"
    assert entry["sha256"] == hashlib.sha256(gguf.read_bytes()).hexdigest()
    assert entry["hf"] is None and entry["hf_repo"] == "ByteDance-Seed/UI-TARS-1.5-7B"

    other = write_gguf(tmp_path / "b" / "b.gguf", arch="qwen3vl", seed=3)
    assert run("add", str(other), "--mmproj", str(mmproj), "--name", "b").exit_code == 0
    assert catalogue(home)["in_use"] == {"actor": "Agent-7B-Q4_K_M"}
    assert run("use", "b", "--role", "critic").exit_code == 0
    listing = run("list")
    assert listing.exit_code == 0
    rows = {line.split("│")[1].strip(): line for line in listing.output.splitlines()
            if line.count("│") > 3}
    assert "actor" in rows["Agent-7B-Q4_K_M"] and "critic" in rows["b"]
    assert "qwen3vl" in rows["b"] and "local" in rows["b"]
    assert "not downloaded" in rows["Agent-7B-Q4_K_M"]  # the training weights' state
    assert "none known" in rows["b"]
    assert all(r.name in listing.output for r in RECOMMENDED)

    result = run("remove", "b")
    assert result.exit_code == 0 and "left alone" in result.output
    assert "No model is in use as critic" in result.output
    assert other.exists() and catalogue(home)["in_use"] == {"actor": "Agent-7B-Q4_K_M"}
    assert list(catalogue(home)["models"]) == ["Agent-7B-Q4_K_M"]  # type: ignore[call-overload]


def test_add_refuses_what_is_not_a_usable_pair(home: Paths, pair: tuple[Path, Path],
                                               tmp_path: Path) -> None:
    gguf, mmproj = pair
    text = tmp_path / "notes.gguf"
    text.write_text("just some text, not a model")
    one_line_error(run("add", str(text), "--mmproj", str(mmproj)), "is not a GGUF file")
    one_line_error(run("add", str(gguf), "--mmproj", str(tmp_path / "gone.gguf")),
                   "does not exist")
    one_line_error(run("add", str(mmproj), "--mmproj", str(gguf)), "not a text model")
    one_line_error(run("add", str(gguf), "--mmproj", str(gguf)), "not a vision projector")
    llama = write_gguf(tmp_path / "llama.gguf", arch="llama")
    one_line_error(run("add", str(llama), "--mmproj", str(mmproj)), "--family")
    one_line_error(run("add", str(llama), "--mmproj", str(mmproj), "--family", "gpt"),
                   "unknown family 'gpt'")
    assert not (home.models_dir / "catalogue.json").exists()
    assert run("add", str(llama), "--mmproj", str(mmproj), "--family", "qwen25vl").exit_code == 0
    one_line_error(run("add", str(llama), "--mmproj", str(mmproj), "--family", "qwen25vl"),
                   "already installed")


def test_use_and_remove_unknown_names(home: Paths, pair: tuple[Path, Path]) -> None:
    one_line_error(run("use", "ghost"), "no installed model called 'ghost'")
    one_line_error(run("remove", "ghost"), "no installed model called 'ghost'")
    gguf, mmproj = pair
    assert run("add", str(gguf), "--mmproj", str(mmproj), "--name", "m").exit_code == 0
    one_line_error(run("use", "m", "--role", "judge"), "unknown role 'judge'")


def test_download_a_recommended_model(home: Paths, tmp_path: Path) -> None:
    rec = find_recommended("qwen2.5-vl-3b")
    assert rec is not None
    model = write_gguf(tmp_path / "src" / "m.gguf", n_floats=200_000).read_bytes()
    proj = write_gguf(tmp_path / "src" / "p.gguf", kind="mmproj").read_bytes()
    files = {(rec.repo, rec.gguf_file): model, (rec.repo, rec.mmproj_file): proj}
    with FakeHub(files) as hub:
        result = run("download", rec.name, "--endpoint", hub.endpoint)
    assert result.exit_code == 0, result.output
    folder = home.models_dir / rec.name
    assert (folder / rec.gguf_file).read_bytes() == model
    assert (folder / rec.mmproj_file).read_bytes() == proj
    entry = catalogue(home)["models"][rec.name]  # type: ignore[index]
    assert entry["source"] == "downloaded" and entry["family"] == "qwen25vl"
    assert entry["gguf"] == f"{rec.name}/{rec.gguf_file}"  # relative to the models folder
    assert entry["sha256"] == hashlib.sha256(model).hexdigest()
    assert entry["hf"] is None and entry["hf_repo"] == rec.hf_repo  # weights not asked for
    assert entry["size"] == len(model) + len(proj)
    assert "(installed)" in run("list").output
    assert "Training weights: not offered now" in result.output  # the hub has no HF repo

    result = run("remove", rec.name)
    assert result.exit_code == 0, result.output
    assert not folder.exists()


def test_download_with_the_hub_unreachable(home: Paths) -> None:
    result = run("download", "qwen3-vl-2b", "--endpoint", f"http://127.0.0.1:{closed_port()}")
    one_line_error(result, "cannot reach the model hub")
    assert not (home.models_dir / "catalogue.json").exists()


def test_download_an_unknown_model(home: Paths) -> None:
    one_line_error(run("download", "gpt-5"), "not a recommended model")


def test_add_tiny_is_labelled_a_demo(home: Paths, tiny_model: TinyModel) -> None:
    # Seed the models folder with the session's build: build_tiny finds it and reuses it.
    build = tiny_model.gguf_path.parent
    shutil.copytree(build, home.models_dir / "tiny-demo" / build.name)
    result = run("add-tiny")
    assert result.exit_code == 0, result.output
    assert "cannot really do tasks" in result.output
    entry = catalogue(home)["models"]["tiny-demo"]  # type: ignore[index]
    assert entry["source"] == "tiny" and "demo" in entry["note"]
    assert entry["family"] == "qwen25vl"
    assert entry["gguf"].startswith("tiny-demo/") and entry["hf"].endswith("hf")
    assert catalogue(home)["in_use"] == {"actor": "tiny-demo"}
    assert "demo" in run("list").output
