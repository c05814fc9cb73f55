"""Training weights from the fake hub: the plan and its size, resume, the catalogue's ``hf``
only once every file is there, hostile shard indexes, a model of another kind, old catalogues.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from models.hub.catalogue import Catalogue, CatalogueError, InstalledModel
from models.hub.download import HubError, HubUnreachable
from models.hub.install import remove_model
from models.hub.weights import (
    WeightsUnavailable,
    download_weights,
    plan_for,
    plan_weights,
    set_hf_source,
)
from tests.models.test_hub_fake import FakeHub, write_gguf

REPO = "Org/Tiny-VL"


def hf_repo(model_type: str = "qwen2_5_vl", *, shards: int = 2, shard_bytes: int = 50_000,
            index: dict[str, str] | None = None, hidden: int | None = None,
            repo: str = REPO) -> dict[tuple[str, str], bytes]:
    """The files of a small HF repository: config, processor, tokenizer and safetensors."""
    config: dict[str, object] = {"model_type": model_type}
    if hidden is not None:
        config["text_config"] = {"hidden_size": hidden, "num_hidden_layers": 2}
    files = {
        "config.json": json.dumps(config).encode(),
        "preprocessor_config.json": b'{"patch_size": 14}',
        "tokenizer.json": b'{"model": {}}',
        "tokenizer_config.json": b"{}",
        "generation_config.json": b"{}",
    }
    names = [f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)]
    for i, name in enumerate(names):
        files[name] = bytes([i + 1]) * shard_bytes
    if shards == 1 and index is None:
        files["model.safetensors"] = files.pop(names[0])
    else:
        weight_map = index or {f"layer.{i}": name for i, name in enumerate(names)}
        files["model.safetensors.index.json"] = json.dumps({"weight_map": weight_map}).encode()
    return {(repo, name): data for name, data in files.items()}


def shard_gets(hub: FakeHub, files: dict[tuple[str, str], bytes]) -> int:
    """How many GETs fetched the bytes of a weight shard (any range)."""
    shas = {hashlib.sha256(d).hexdigest() for (_, n), d in files.items()
            if n.endswith(".safetensors")}
    return sum(1 for m, path, _ in hub.requests
               if m == "GET" and path.removeprefix("/blobs/") in shas)


def fetch(cat: Catalogue, name: str, endpoint: str, **kw: object) -> InstalledModel:
    return download_weights(cat, plan_for(cat, name, endpoint=endpoint), endpoint=endpoint,
                            **kw)  # type: ignore[arg-type]


def installed(root: Path, *, family: str = "qwen25vl", hf_repo: str | None = REPO,
              gguf_hidden: int | None = None) -> Catalogue:
    """A catalogue with model ``m`` (its GGUF header says ``gguf_hidden`` wide, 2 layers)."""
    cat = Catalogue.load(root)
    gguf = write_gguf(root / "m" / "m.gguf", hidden=gguf_hidden, layers=2)
    proj = write_gguf(root / "m" / "p.gguf", kind="mmproj")
    cat.add(InstalledModel(name="m", family=family, gguf=gguf, mmproj=proj,
                           source="downloaded", size=1, sha256="a" * 64, hf_repo=hf_repo))
    return cat


def complete_folder(folder: Path, model_type: str = "qwen2_5_vl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
    (folder / "tokenizer.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"x")
    return folder


def test_the_plan_names_every_file_and_its_size_before_anything_big_moves(
        tmp_path: Path) -> None:
    files = hf_repo(shards=3, shard_bytes=40_000)
    with FakeHub(files) as hub:
        plan = plan_weights(REPO, tmp_path / "hf", endpoint=hub.endpoint)
        gets = [p for method, p, _ in hub.requests if method == "GET"]
        assert shard_gets(hub, files) == 0
    assert plan.shards == [f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)]
    assert plan.total_bytes == sum(len(b) for b in files.values())
    assert {f.filename for f in plan.files} == {name for _, name in files}
    assert len(gets) == 2  # only the config and the index, to check the model and its shards
    assert sorted(p.name for p in (tmp_path / "hf").iterdir()) == \
        ["config.json", "model.safetensors.index.json"]


def test_download_records_the_folder_only_when_complete_and_resumes(tmp_path: Path) -> None:
    files = hf_repo()
    cat = installed(tmp_path)
    with FakeHub(files, cut_at=20_000, cuts=1) as hub:
        with pytest.raises(HubUnreachable, match="run the same command again"):
            fetch(cat, "m", hub.endpoint, retries=0)
        assert Catalogue.load(tmp_path).get("m").hf is None
        assert not Catalogue.load(tmp_path).get("m").trainable
        seen: list[tuple[str, int, int | None]] = []
        model = fetch(cat, "m", hub.endpoint, progress=lambda *a: seen.append(a))
        resumed = [rng for rng in hub.blob_gets() if rng]
    assert model.trainable
    folder = tmp_path / "m" / "hf"
    assert model.hf == folder
    for (_, name), data in files.items():
        assert hashlib.sha256((folder / name).read_bytes()).digest() == \
            hashlib.sha256(data).digest(), name
    assert resumed == ["bytes=20000-"]  # the cut shard continued, nothing started over
    assert not list(folder.glob("*.part*"))
    again = Catalogue.load(tmp_path).get("m")
    assert again.trainable and again.hf == folder and again.hf_repo == REPO
    assert json.loads((tmp_path / "catalogue.json").read_text())["models"]["m"]["hf"] == "m/hf"
    assert any(name.endswith(".safetensors") and done == total for name, done, total in seen)


def test_a_half_downloaded_folder_is_never_trainable(tmp_path: Path) -> None:
    files = hf_repo()
    cat = installed(tmp_path, hf_repo=None)
    folder = tmp_path / "mine"
    for (_, name), data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    shard = sorted(folder.glob("*.safetensors"))[-1]
    shard.rename(shard.with_name(shard.name + ".part"))
    with pytest.raises(CatalogueError, match="incomplete: a download is still in progress"):
        set_hf_source(cat, "m", str(folder))
    (folder / (shard.name + ".part")).unlink()
    with pytest.raises(CatalogueError, match=f"incomplete: shard {shard.name} is missing"):
        set_hf_source(cat, "m", str(folder))
    shard.write_bytes(b"x")
    assert set_hf_source(cat, "m", str(folder)).trainable
    shard.unlink()  # gone later: the catalogue no longer calls it trainable
    assert not Catalogue.load(tmp_path).get("m").trainable


def test_a_model_removed_or_repointed_during_the_download_is_not_brought_back(
        tmp_path: Path) -> None:
    cat = installed(tmp_path)
    with FakeHub(hf_repo()) as hub:
        plan = plan_for(cat, "m", endpoint=hub.endpoint)
        other = Catalogue.load(tmp_path)  # meanwhile, another window removes it
        remove_model(other, "m")
        with pytest.raises(CatalogueError, match="removed or given other weights"):
            download_weights(cat, plan, endpoint=hub.endpoint)
    assert "m" not in Catalogue.load(tmp_path).models

    cat = installed(tmp_path / "second")
    with FakeHub({**hf_repo(), **hf_repo(repo="Org/Other")}) as hub:
        plan = plan_for(cat, "m", endpoint=hub.endpoint)
        set_hf_source(Catalogue.load(tmp_path / "second"), "m", "Org/Other")
        with pytest.raises(CatalogueError, match="removed or given other weights"):
            download_weights(cat, plan, endpoint=hub.endpoint)
    assert Catalogue.load(tmp_path / "second").get("m").hf is None


@pytest.mark.parametrize("shard", ["../../evil.safetensors", "/etc/evil.safetensors",
                                   "sub/dir.safetensors", "weights.bin", ".hidden.safetensors"])
def test_an_index_cannot_name_files_outside_the_folder(tmp_path: Path, shard: str) -> None:
    files = hf_repo(index={"layer.0": shard})
    with FakeHub(files) as hub, pytest.raises(HubError, match="refused"):
        plan_weights(REPO, tmp_path / "hf", endpoint=hub.endpoint)


def test_a_single_file_repository(tmp_path: Path) -> None:
    cat = installed(tmp_path)
    with FakeHub(hf_repo(shards=1)) as hub:
        model = fetch(cat, "m", hub.endpoint)
    assert model.trainable and (tmp_path / "m" / "hf" / "model.safetensors").is_file()


@pytest.mark.parametrize(("drop", "message"), [
    ("config.json", "has no config.json"),
    ("model.safetensors.index.json", "has no weights"),
    ("tokenizer.json", "has no tokenizer"),
])
def test_a_repository_that_cannot_be_trained_is_one_clear_error(
        tmp_path: Path, drop: str, message: str) -> None:
    files = {k: v for k, v in hf_repo().items() if k[1] != drop}
    with FakeHub(files) as hub, pytest.raises(HubError, match=message):
        plan_weights(REPO, tmp_path / "hf", endpoint=hub.endpoint)


@pytest.mark.parametrize(("family", "model_type", "hidden", "message"), [
    ("qwen3vl", "qwen2_5_vl", None, "not the same model"),
    ("qwen25vl", "qwen2_5_vl", 3584, "hidden size 3584, the GGUF 2048"),
])
def test_weights_of_another_model_are_refused_before_the_question(
        tmp_path: Path, family: str, model_type: str, hidden: int | None, message: str) -> None:
    cat = installed(tmp_path, family=family, gguf_hidden=2048)
    files = hf_repo(model_type, hidden=hidden)
    with FakeHub(files) as hub:
        with pytest.raises(WeightsUnavailable, match=message):
            plan_for(cat, "m", endpoint=hub.endpoint)
        assert shard_gets(hub, files) == 0  # refused from the config alone
    assert not Catalogue.load(tmp_path).get("m").trainable


def test_no_known_repository_says_how_to_give_the_weights(tmp_path: Path) -> None:
    cat = installed(tmp_path, hf_repo=None)
    with pytest.raises(CatalogueError, match="`deskhand models download m --hf FOLDER_OR_REPO`"):
        plan_for(cat, "m")


def test_set_hf_source_takes_a_checked_folder_or_a_repo(tmp_path: Path) -> None:
    cat = installed(tmp_path, hf_repo=None, gguf_hidden=2048)
    assert set_hf_source(cat, "m", "Other/Repo").hf_repo == "Other/Repo"
    folder = tmp_path / "mine"
    folder.mkdir()
    with pytest.raises(CatalogueError, match="no readable config.json"):
        set_hf_source(cat, "m", str(folder))
    complete_folder(folder, "qwen3_vl")
    with pytest.raises(CatalogueError, match="not the same model"):
        set_hf_source(cat, "m", str(folder))
    (folder / "config.json").write_text(json.dumps(
        {"model_type": "qwen2_5_vl", "text_config": {"hidden_size": 3584}}))
    with pytest.raises(CatalogueError, match="hidden size 3584, the GGUF 2048"):
        set_hf_source(cat, "m", str(folder))
    complete_folder(folder)
    assert set_hf_source(cat, "m", str(folder)).trainable
    assert Catalogue.load(tmp_path).get("m").hf == folder.resolve()
    for bad in ("./missing", "foo/..", "a/b c", "x--y/z"):
        with pytest.raises(CatalogueError, match="neither an existing folder nor a hub repo"):
            set_hf_source(cat, "m", bad)
    assert Catalogue.load(tmp_path).get("m").hf_repo == "Other/Repo"  # nothing bad recorded


def test_another_repository_drops_the_weights_of_the_previous_one(tmp_path: Path) -> None:
    cat = installed(tmp_path)
    with FakeHub(hf_repo()) as hub:
        assert fetch(cat, "m", hub.endpoint).trainable
    updated = set_hf_source(cat, "m", "Org/Other")
    assert (updated.hf, updated.hf_repo) == (None, "Org/Other")
    assert not (tmp_path / "m" / "hf").exists()
    assert set_hf_source(cat, "m", "Org/Other") == updated  # the same repo again: no change


def test_a_version_1_catalogue_keeps_its_repo_ids_and_folders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "models"
    root.mkdir()
    absolute = complete_folder(tmp_path / "elsewhere")
    complete_folder(tmp_path / "cwd" / "rel-hf")
    monkeypatch.chdir(tmp_path / "cwd")  # where `models add --hf rel-hf` once ran
    entry = {"family": "qwen25vl", "gguf": "a/m.gguf", "mmproj": "a/p.gguf",
             "source": "downloaded", "size": 1, "sha256": "a" * 64}
    (root / "catalogue.json").write_text(json.dumps({"version": 1, "in_use": {}, "models": {
        "repo": {**entry, "hf": "Qwen/Qwen2.5-VL-3B-Instruct"},
        "folder": {**entry, "hf": str(absolute)},
        "relative": {**entry, "hf": "./rel-hf"},
        "gone": {**entry, "hf": "~/nowhere-at-all", "note": "mine"},
        "none": entry}}))
    cat = Catalogue.load(root)
    assert (cat.get("repo").hf, cat.get("repo").hf_repo) == (None, "Qwen/Qwen2.5-VL-3B-Instruct")
    assert (cat.get("folder").hf, cat.get("folder").trainable) == (absolute, True)
    assert cat.get("relative").trainable and cat.get("relative").hf_repo is None
    gone = cat.get("gone")
    assert (gone.hf, gone.hf_repo) == (None, None)
    assert gone.note == "mine; training weights were given as ~/nowhere-at-all, which no " \
        "longer exists"
    assert (cat.get("none").hf, cat.get("none").hf_repo) == (None, None)
    cat.save()
    assert json.loads(cat.path.read_text())["version"] == 2
    monkeypatch.chdir(tmp_path)  # version 2 keeps folders absolute: no longer cwd-relative
    again = Catalogue.load(root)
    assert again.get("repo").hf_repo == "Qwen/Qwen2.5-VL-3B-Instruct"
    assert again.get("relative").trainable
    raw = json.loads(cat.path.read_text())
    raw["version"] = 3
    cat.path.write_text(json.dumps(raw))
    with pytest.raises(CatalogueError, match="newer Deskhand"):
        Catalogue.load(root)


def test_a_gated_repository_needs_the_token_for_every_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small files come from the hub itself, not its CDN: they need the token too."""
    files = hf_repo()
    small = frozenset(n for _, n in files if not n.endswith(".safetensors"))
    cat = installed(tmp_path)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no stored login either
    with FakeHub(files, direct=small, token="secret") as hub:
        with pytest.raises(WeightsUnavailable, match="refused access .* token"):
            plan_for(cat, "m", endpoint=hub.endpoint)
        monkeypatch.setenv("HF_TOKEN", "secret")
        model = fetch(cat, "m", hub.endpoint)
    assert model.trainable
    assert (tmp_path / "m" / "hf" / "config.json").read_bytes() == files[(REPO, "config.json")]


def test_the_whole_plan_must_fit_on_the_disk_before_the_first_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file fits alone, all of them do not: nothing is fetched, not half of it."""
    import shutil
    from collections import namedtuple

    files = hf_repo(shards=3, shard_bytes=40_000)
    cat = installed(tmp_path)
    with FakeHub(files) as hub:
        plan = plan_for(cat, "m", endpoint=hub.endpoint)
        usage = namedtuple("usage", "total used free")
        monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**9, 10**9, 60_000))
        with pytest.raises(HubError, match="not enough disk space for m's training weights"):
            download_weights(cat, plan, endpoint=hub.endpoint)
        assert shard_gets(hub, files) == 0
