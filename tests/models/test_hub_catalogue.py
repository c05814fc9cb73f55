"""The installed-models catalogue: JSON round trip, atomic saves, roles, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.hub.catalogue import Catalogue, CatalogueError, InstalledModel
from models.hub.gguf_info import NotGGUF, inspect_gguf
from tests.models.test_hub_fake import write_gguf


def model(root: Path, name: str, *, inside: bool = True) -> InstalledModel:
    folder = root / name if inside else Path("/elsewhere") / name
    return InstalledModel(name=name, family="qwen3vl", gguf=folder / "m.gguf",
                          mmproj=folder / "p.gguf", source="downloaded" if inside else "local",
                          size=10, sha256="a" * 64, hf=folder / "hf",
                          hf_repo="Qwen/Qwen3-VL-2B-Instruct")


def test_round_trip_with_relative_paths(tmp_path: Path) -> None:
    cat = Catalogue.load(tmp_path)
    cat.add(model(tmp_path, "inside"))
    cat.add(model(tmp_path, "outside", inside=False))
    raw = cat.path.read_text()
    assert '"gguf": "inside/m.gguf"' in raw and '"/elsewhere/outside/m.gguf"' in raw
    assert '"hf": "inside/hf"' in raw and '"hf": "/elsewhere/outside/hf"' in raw
    assert [p.name for p in tmp_path.iterdir()] == ["catalogue.json"]  # no temp file left

    moved = tmp_path.parent / (tmp_path.name + "-moved")
    tmp_path.rename(moved)
    again = Catalogue.load(moved)
    assert again.get("inside").gguf == moved / "inside" / "m.gguf"
    assert again.get("outside").gguf == Path("/elsewhere/outside/m.gguf")
    assert again.get("inside").hf == moved / "inside" / "hf"
    assert again.get("inside") == model(moved, "inside")


def test_roles(tmp_path: Path) -> None:
    cat = Catalogue.load(tmp_path)
    assert cat.model_for("actor") is None and cat.model_for("critic") is None
    cat.add(model(tmp_path, "a"))
    cat.add(model(tmp_path, "b"))
    assert cat.in_use == {"actor": "a"}  # the first model added acts
    assert cat.model_for("critic") == cat.get("a")  # the critic falls back to the actor's model
    cat.use("b", "critic")
    assert Catalogue.load(tmp_path).model_for("critic") == cat.get("b")
    with pytest.raises(CatalogueError, match="unknown role"):
        cat.use("b", "judge")
    cat.remove("a")
    assert Catalogue.load(tmp_path).in_use == {"critic": "b"}


def test_a_damaged_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "catalogue.json").write_text("{not json")
    with pytest.raises(CatalogueError, match="catalogue.json is unreadable"):
        Catalogue.load(tmp_path)
    (tmp_path / "catalogue.json").write_text('{"models": {"x": {"family": "gpt"}}}')
    with pytest.raises(CatalogueError, match="'x' is malformed"):
        Catalogue.load(tmp_path)


def test_gguf_headers(tmp_path: Path) -> None:
    info = inspect_gguf(write_gguf(tmp_path / "m.gguf", arch="qwen3vl", name="Qwen3-VL-2B"))
    assert (info.architecture, info.kind, info.name) == ("qwen3vl", "model", "Qwen3-VL-2B")
    assert info.guess_family() == "qwen3vl"
    proj = inspect_gguf(write_gguf(tmp_path / "p.gguf", kind="mmproj"))
    assert (proj.architecture, proj.kind, proj.guess_family()) == ("clip", "mmproj", None)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes((tmp_path / "m.gguf").read_bytes()[:40])
    with pytest.raises(NotGGUF, match="damaged GGUF header"):
        inspect_gguf(cut)
