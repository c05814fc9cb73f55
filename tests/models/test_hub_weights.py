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
from models.hub.weights import download_weights, plan_weights, set_hf_source
from tests.models.test_hub_fake import FakeHub

REPO = "Org/Tiny-VL"


def hf_repo(model_type: str = "qwen2_5_vl", *, shards: int = 2, shard_bytes: int = 50_000,
            index: dict[str, str] | None = None) -> dict[tuple[str, str], bytes]:
    """The files of a small HF repository: config, processor, tokenizer and safetensors."""
    files = {
        "config.json": json.dumps({"model_type": model_type}).encode(),
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
    return {(REPO, name): data for name, data in files.items()}


def installed(root: Path, *, family: str = "qwen25vl", hf_repo: str | None = REPO,
              ) -> Catalogue:
    cat = Catalogue.load(root)
    (root / "m").mkdir(parents=True, exist_ok=True)
    cat.add(InstalledModel(name="m", family=family, gguf=root / "m" / "m.gguf",
                           mmproj=root / "m" / "p.gguf", source="downloaded", size=1,
                           sha256="a" * 64, hf_repo=hf_repo))
    return cat


def test_the_plan_names_every_file_and_its_size_before_anything_big_moves(
        tmp_path: Path) -> None:
    files = hf_repo(shards=3, shard_bytes=40_000)
    with FakeHub(files) as hub:
        plan = plan_weights(REPO, tmp_path / "hf", endpoint=hub.endpoint)
        shard_gets = [p for method, p, _ in hub.requests if method == "GET"]
    assert plan.shards == [f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)]
    assert plan.total_bytes == sum(len(b) for b in files.values())
    assert {f.filename for f in plan.files} == {name for _, name in files}
    assert len(shard_gets) == 1  # only the index's bytes were fetched, to learn the shards
    assert not any(p.suffix == ".safetensors" for p in (tmp_path / "hf").iterdir())


def test_download_records_the_folder_only_when_complete_and_resumes(tmp_path: Path) -> None:
    files = hf_repo()
    cat = installed(tmp_path)
    with FakeHub(files, cut_at=20_000, cuts=1) as hub:
        with pytest.raises(HubUnreachable, match="run the same command again"):
            download_weights(cat, "m", endpoint=hub.endpoint, retries=0)
        assert Catalogue.load(tmp_path).get("m").hf is None
        assert not Catalogue.load(tmp_path).get("m").trainable
        seen: list[tuple[str, int, int | None]] = []
        model = download_weights(cat, "m", endpoint=hub.endpoint,
                                 progress=lambda *a: seen.append(a))
        resumed = [rng for rng in hub.blob_gets() if rng]
    assert model is not None and model.trainable
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


def test_saying_no_downloads_nothing(tmp_path: Path) -> None:
    cat = installed(tmp_path)
    with FakeHub(hf_repo()) as hub:
        assert download_weights(cat, "m", endpoint=hub.endpoint, confirm=lambda p: False) is None
        assert not [rng for rng in hub.blob_gets() if rng is not None]
    assert not any(p.suffix == ".safetensors" for p in (tmp_path / "m" / "hf").iterdir())
    assert Catalogue.load(tmp_path).get("m").hf is None


@pytest.mark.parametrize("shard", ["../../evil.safetensors", "/etc/evil.safetensors",
                                   "sub/dir.safetensors", "weights.bin", ".hidden.safetensors"])
def test_an_index_cannot_name_files_outside_the_folder(tmp_path: Path, shard: str) -> None:
    files = hf_repo(index={"layer.0": shard})
    with FakeHub(files) as hub, pytest.raises(HubError, match="refused"):
        plan_weights(REPO, tmp_path / "hf", endpoint=hub.endpoint)
    assert not (tmp_path.parent / "evil.safetensors").exists()


def test_a_single_file_repository(tmp_path: Path) -> None:
    cat = installed(tmp_path)
    with FakeHub(hf_repo(shards=1)) as hub:
        model = download_weights(cat, "m", endpoint=hub.endpoint)
    assert model is not None and (tmp_path / "m" / "hf" / "model.safetensors").is_file()


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


def test_weights_of_another_model_are_refused(tmp_path: Path) -> None:
    cat = installed(tmp_path, family="qwen3vl")
    with FakeHub(hf_repo("qwen2_5_vl")) as hub, \
            pytest.raises(CatalogueError, match="not the same model"):
        download_weights(cat, "m", endpoint=hub.endpoint)
    assert not Catalogue.load(tmp_path).get("m").trainable


def test_no_known_repository_says_how_to_give_the_weights(tmp_path: Path) -> None:
    cat = installed(tmp_path, hf_repo=None)
    with pytest.raises(CatalogueError, match="--hf"):
        download_weights(cat, "m")


def test_set_hf_source_takes_a_checked_folder_or_a_repo(tmp_path: Path) -> None:
    cat = installed(tmp_path, hf_repo=None)
    assert set_hf_source(cat, "m", "Other/Repo").hf_repo == "Other/Repo"
    folder = tmp_path / "mine"
    folder.mkdir()
    with pytest.raises(CatalogueError, match="no readable config.json"):
        set_hf_source(cat, "m", str(folder))
    (folder / "config.json").write_text('{"model_type": "qwen3_vl"}')
    with pytest.raises(CatalogueError, match="not the same model"):
        set_hf_source(cat, "m", str(folder))
    (folder / "config.json").write_text('{"model_type": "qwen2_5_vl"}')
    assert set_hf_source(cat, "m", str(folder)).trainable
    assert Catalogue.load(tmp_path).get("m").hf == folder.resolve()
    with pytest.raises(CatalogueError, match="neither an existing folder nor a hub repo id"):
        set_hf_source(cat, "m", "./missing")


def test_a_version_1_catalogue_keeps_its_repo_ids_as_download_sources(tmp_path: Path) -> None:
    hf_dir = tmp_path / "elsewhere"
    hf_dir.mkdir()
    (hf_dir / "config.json").write_text("{}")
    entry = {"family": "qwen25vl", "gguf": "a/m.gguf", "mmproj": "a/p.gguf",
             "source": "downloaded", "size": 1, "sha256": "a" * 64}
    (tmp_path / "catalogue.json").write_text(json.dumps({"version": 1, "in_use": {}, "models": {
        "repo": {**entry, "hf": "Qwen/Qwen2.5-VL-3B-Instruct"},
        "folder": {**entry, "hf": str(hf_dir)},
        "none": entry}}))
    cat = Catalogue.load(tmp_path)
    assert (cat.get("repo").hf, cat.get("repo").hf_repo) == (None, "Qwen/Qwen2.5-VL-3B-Instruct")
    assert (cat.get("folder").hf, cat.get("folder").trainable) == (hf_dir, True)
    assert (cat.get("none").hf, cat.get("none").hf_repo) == (None, None)
    cat.save()
    assert json.loads(cat.path.read_text())["version"] == 2
    assert Catalogue.load(tmp_path).get("repo").hf_repo == "Qwen/Qwen2.5-VL-3B-Instruct"
    raw = json.loads(cat.path.read_text())
    raw["version"] = 3
    cat.path.write_text(json.dumps(raw))
    with pytest.raises(CatalogueError, match="newer Deskhand"):
        Catalogue.load(tmp_path)
