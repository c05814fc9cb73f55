"""``deskhand models download``: the training weights are asked for once, with their size, and
``learn`` says what is missing and the command that fixes it — through the real command line,
against the fake hub on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from agent.paths import Paths
from app.cli import cli
from models.hub import find_recommended
from models.hub.registry import Recommended, human_size
from tests.models.test_hub_fake import FakeHub, write_gguf
from tests.models.test_hub_weights import complete_folder, hf_repo, shard_gets


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.fixture
def rec() -> Recommended:
    found = find_recommended("qwen2.5-vl-3b")
    assert found is not None
    return found


@pytest.fixture
def hub_files(rec: Recommended, tmp_path: Path) -> dict[tuple[str, str], bytes]:
    """The recommended model's GGUF pair and its HF repository's files."""
    gguf = write_gguf(tmp_path / "src" / "m.gguf", n_floats=20_000).read_bytes()
    proj = write_gguf(tmp_path / "src" / "p.gguf", kind="mmproj").read_bytes()
    weights = {(rec.hf_repo, name): data for (_, name), data in hf_repo().items()}
    return {(rec.repo, rec.gguf_file): gguf, (rec.repo, rec.mmproj_file): proj, **weights}


def entry(home: Paths, name: str) -> dict[str, object]:
    data: dict[str, dict[str, dict[str, object]]] = json.loads(
        (home.models_dir / "catalogue.json").read_text())
    return data["models"][name]


def weight_bytes(files: dict[tuple[str, str], bytes], repo: str) -> int:
    return sum(len(data) for (r, _), data in files.items() if r == repo)


def test_yes_downloads_the_weights_after_showing_their_size(
        home: Paths, rec: Recommended, hub_files: dict[tuple[str, str], bytes]) -> None:
    with FakeHub(hub_files) as hub:
        result = run("models", "download", rec.name, "--endpoint", hub.endpoint, input="y\n")
    assert result.exit_code == 0, result.output
    size = human_size(weight_bytes(hub_files, rec.hf_repo))
    assert f"({size} from {rec.hf_repo}). Download them now?" in result.output
    assert entry(home, rec.name)["hf"] == f"{rec.name}/hf"
    folder = home.models_dir / rec.name / "hf"
    for (repo, name), data in hub_files.items():
        if repo == rec.hf_repo:
            assert (folder / name).read_bytes() == data
    assert "`deskhand learn` can train" in result.output
    # removing the model removes its training weights with it
    assert run("models", "remove", rec.name).exit_code == 0
    assert not folder.exists()


@pytest.mark.parametrize(("args", "answer"), [((), None), ((), "n\n"), (("--no-training",), None)])
def test_without_a_yes_only_the_gguf_pair_arrives_and_the_command_is_said(
        home: Paths, rec: Recommended, hub_files: dict[tuple[str, str], bytes],
        args: tuple[str, ...], answer: str | None) -> None:
    with FakeHub(hub_files) as hub:
        result = run("models", "download", rec.name, "--endpoint", hub.endpoint, *args,
                     input=answer)
        assert shard_gets(hub, hub_files) == 0
    assert result.exit_code == 0, result.output
    assert f"`deskhand models download {rec.name} --training`" in result.output
    assert entry(home, rec.name)["hf"] is None
    assert entry(home, rec.name)["hf_repo"] == rec.hf_repo
    assert (home.models_dir / rec.name / rec.gguf_file).exists()


def test_training_weights_for_an_installed_model_fetch_nothing_else(
        home: Paths, rec: Recommended, hub_files: dict[tuple[str, str], bytes]) -> None:
    with FakeHub(hub_files) as hub:
        assert run("models", "download", rec.name, "--endpoint", hub.endpoint,
                   "--no-training").exit_code == 0
        sha = entry(home, rec.name)["sha256"]
        hub.requests.clear()
        result = run("models", "download", rec.name, "--endpoint", hub.endpoint, "--training")
        asked = {p.split("/resolve/")[0] for m, p, _ in hub.requests if "/resolve/" in p}
        again = run("models", "download", rec.name, "--training", "--endpoint", hub.endpoint)
    assert result.exit_code == 0, result.output
    assert f"Downloading the training weights ({human_size(weight_bytes(hub_files, rec.hf_repo))}" \
        in result.output
    assert asked == {f"/{rec.hf_repo}"}  # the installed GGUF pair is not fetched again
    assert f"{rec.name} is installed" in result.output and entry(home, rec.name)["sha256"] == sha
    assert entry(home, rec.name)["hf"] == f"{rec.name}/hf"
    assert "Training weights: ready in" in again.output


def test_a_bad_hf_is_refused_before_anything_is_downloaded(home: Paths, rec: Recommended,
                                                          hub_files: dict[tuple[str, str], bytes]
                                                          ) -> None:
    with FakeHub(hub_files) as hub:
        for bad in ("./missing-folder", "foo/..", "a/b c"):
            result = run("models", "download", rec.name, "--endpoint", hub.endpoint,
                         "--hf", bad)
            assert result.exit_code == 2 and "Traceback" not in result.output, result.output
            assert "neither an existing folder nor a hub repo id" in result.output
        assert not [r for r in hub.requests if r[0] == "GET"]
    assert not (home.models_dir / "catalogue.json").exists()


def test_learn_says_what_is_missing_and_the_command_that_fixes_it(
        home: Paths, rec: Recommended, hub_files: dict[tuple[str, str], bytes]) -> None:
    from agent.store.repo import open_store
    from tests.app.test_learn_command import judged_steps

    with FakeHub(hub_files) as hub:
        assert run("models", "download", rec.name, "--endpoint", hub.endpoint,
                   "--no-training").exit_code == 0
    store = open_store(home.ensure())
    try:
        judged_steps(store, 40)
    finally:
        store.close()
    result = run("--set", "learner.gate.min_holdout=5", "--set",
                 "learner.data.holdout_fraction=0.5", "learn", "--role", "both")
    assert result.exit_code == 2, result.output  # neither role could start: set-up first
    for role in ("reward", "actor"):
        assert (f"{role}: not trained — the {role} model '{rec.name}' has no Hugging Face "
                f"weights to train on: `deskhand models download {rec.name} --training` "
                f"fetches them from {rec.hf_repo}") in result.stderr


def test_a_local_model_is_given_its_weights_folder(home: Paths, tmp_path: Path) -> None:
    gguf = write_gguf(tmp_path / "mine" / "m.gguf", name="Qwen2.5-VL-3B")
    proj = write_gguf(tmp_path / "mine" / "p.gguf", kind="mmproj")
    assert run("models", "add", str(gguf), "--mmproj", str(proj), "--name", "mine").exit_code == 0
    result = run("models", "download", "mine")
    assert result.exit_code == 0, result.output
    assert "`deskhand models download mine --hf FOLDER_OR_REPO`" in result.output
    hf = complete_folder(tmp_path / "mine-hf")
    result = run("models", "download", "mine", "--hf", str(hf))
    assert result.exit_code == 0, result.output
    assert entry(home, "mine")["hf"] == str(hf.resolve())
    assert "Training weights: ready in" in result.output
    (hf / "config.json").write_text('{"model_type": "llama"}')
    bad = run("models", "download", "mine", "--hf", str(hf))
    assert bad.exit_code == 2 and "not the same model" in bad.output


def test_the_question_is_asked_before_any_progress_display_is_live(
        home: Paths, rec: Recommended, hub_files: dict[tuple[str, str], bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A live progress bar redraws the terminal and would wipe the question off it."""
    import typer

    import app.commands.models_cmd as cmd

    live: list[bool] = []
    seen: list[bool] = []
    real_progress, real_confirm = cmd._progress, typer.confirm

    @contextmanager
    def progress() -> Iterator[Any]:
        live.append(True)
        with real_progress() as report:
            yield report
        live.pop()

    def confirm(*args: Any, **kwargs: Any) -> bool:
        seen.append(bool(live))
        return bool(real_confirm(*args, **kwargs))

    monkeypatch.setattr(cmd, "_progress", progress)
    monkeypatch.setattr(typer, "confirm", confirm)
    with FakeHub(hub_files) as hub:
        result = run("models", "download", rec.name, "--endpoint", hub.endpoint, input="y\n")
    assert result.exit_code == 0, result.output
    assert seen == [False]  # asked once, with no progress display on screen
    assert entry(home, rec.name)["hf"] == f"{rec.name}/hf"


def test_removing_a_local_model_removes_the_weights_downloaded_for_it(
        home: Paths, rec: Recommended, hub_files: dict[tuple[str, str], bytes],
        tmp_path: Path) -> None:
    gguf = write_gguf(tmp_path / "mine" / "m.gguf", name="Qwen2.5-VL-3B")
    proj = write_gguf(tmp_path / "mine" / "p.gguf", kind="mmproj")
    assert run("models", "add", str(gguf), "--mmproj", str(proj), "--name", "loc",
               "--hf", rec.hf_repo).exit_code == 0
    with FakeHub(hub_files) as hub:
        result = run("models", "download", "loc", "--training", "--endpoint", hub.endpoint)
    assert result.exit_code == 0, result.output
    assert (home.models_dir / "loc" / "hf").is_dir()
    assert run("models", "remove", "loc").exit_code == 0
    assert not (home.models_dir / "loc").exists()
    assert gguf.exists() and proj.exists()  # the person's own files stay
