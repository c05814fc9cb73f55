"""Putting models into the catalogue: local files, recommended downloads, the tiny demo model.

Each function checks what it installs (both files are GGUF, the text model is a model and the
projector an mmproj) before the catalogue hears of it, so an entry in the catalogue always
points at a usable pair. ``remove_model`` deletes files only inside the models folder: a
model the user added from elsewhere is forgotten, never deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from models.hub.catalogue import Catalogue, CatalogueError, InstalledModel
from models.hub.download import CHUNK, download_file
from models.hub.gguf_info import GGUFInfo, NotGGUF, inspect_gguf
from models.hub.hf_folder import hf_source
from models.hub.registry import FAMILIES, Recommended

FileProgress = Callable[[str, int, "int | None"], None]
"""Called as ``progress(filename, downloaded_bytes, total_bytes_or_None)``."""

TINY_NAME = "tiny-demo"
TINY_NOTE = "demo only: a tiny random model that cannot really do tasks"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def check_pair(gguf: Path, mmproj: Path) -> tuple[GGUFInfo, GGUFInfo]:
    """Both files are GGUF; the first a text model, the second a projector (else NotGGUF)."""
    model, proj = inspect_gguf(gguf), inspect_gguf(mmproj)
    if model.kind != "model":
        raise NotGGUF(f"{gguf} is a vision projector (mmproj), not a text model; "
                      "pass it with --mmproj")
    if proj.kind != "mmproj":
        raise NotGGUF(f"{mmproj} is a text model ({proj.architecture}), not a vision "
                      "projector (mmproj)")
    return model, proj


def _family(info: GGUFInfo, family: str | None) -> str:
    if family is not None:
        if family not in FAMILIES:
            raise CatalogueError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
        return family
    guessed = info.guess_family()
    if guessed is None:
        raise CatalogueError(f"cannot tell the family of {info.path.name} (architecture "
                             f"{info.architecture!r}); say it with --family "
                             f"({', '.join(FAMILIES)})")
    return guessed


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise CatalogueError(f"{name!r} is not a usable model name (letters, digits, '.', '_', "
                             "'-'; at most 64)")
    return name


def add_local(catalogue: Catalogue, gguf: Path, mmproj: Path, *, hf: str | None = None,
              family: str | None = None, name: str | None = None) -> InstalledModel:
    """Register GGUF files the user already has, where they are (nothing is copied)."""
    gguf, mmproj = Path(gguf).expanduser().resolve(), Path(mmproj).expanduser().resolve()
    model_info, _ = check_pair(gguf, mmproj)
    chosen = _check_name(name or gguf.stem)
    if chosen in catalogue.models:
        raise CatalogueError(f"a model called {chosen!r} is already installed; "
                             "pick another --name or remove it first")
    chosen_family = _family(model_info, family)
    hf_dir, hf_repo = hf_source(hf, chosen_family,
                                gguf_dims=(model_info.hidden, model_info.layers))
    model = InstalledModel(
        name=chosen, family=chosen_family, gguf=gguf, mmproj=mmproj,
        source="local", size=gguf.stat().st_size + mmproj.stat().st_size,
        sha256=sha256_file(gguf), mmproj_sha256=sha256_file(mmproj), hf=hf_dir,
        hf_repo=hf_repo)
    catalogue.add(model)
    return model


def download_recommended(catalogue: Catalogue, rec: Recommended, *,
                         endpoint: str | None = None, progress: FileProgress | None = None,
                         retries: int = 3) -> InstalledModel:
    """Download ``rec``'s text model and projector into ``models_dir/<name>/`` and add them."""
    folder = catalogue.models_dir / rec.name
    results = []
    for filename in (rec.gguf_file, rec.mmproj_file):
        def report(done: int, total: int | None, filename: str = filename) -> None:
            if progress:
                progress(filename, done, total)
        results.append(download_file(rec.repo, filename, folder / filename, endpoint=endpoint,
                                     progress=report, retries=retries))
    gguf, mmproj = results
    check_pair(gguf.path, mmproj.path)
    earlier = catalogue.models.get(rec.name)
    model = InstalledModel(
        name=rec.name, family=rec.family, gguf=gguf.path, mmproj=mmproj.path,
        source="downloaded", size=gguf.size + mmproj.size, sha256=gguf.sha256,
        mmproj_sha256=mmproj.sha256, hf=earlier.hf if earlier else None, note=rec.note,
        hf_repo=rec.hf_repo)
    catalogue.add(model, replace_existing=True)
    return model


def add_tiny(catalogue: Catalogue, *, name: str = TINY_NAME) -> InstalledModel:
    """Build the tiny test model (``models.tiny``) in the models folder and add it as a demo."""
    try:
        from models.tiny import build_tiny
    except ImportError as exc:
        raise CatalogueError(f"the tiny model builder is not available ({exc})") from None
    tiny = build_tiny(catalogue.models_dir / _check_name(name))
    gguf, mmproj = Path(tiny.gguf_path), Path(tiny.mmproj_path)
    model_info, _ = check_pair(gguf, mmproj)
    model = InstalledModel(
        name=name, family=model_info.guess_family() or "qwen25vl", gguf=gguf, mmproj=mmproj,
        source="tiny", size=gguf.stat().st_size + mmproj.stat().st_size,
        sha256=sha256_file(gguf), mmproj_sha256=sha256_file(mmproj),
        hf=Path(tiny.hf_dir), note=TINY_NOTE)
    catalogue.add(model, replace_existing=True)
    return model


def remove_model(catalogue: Catalogue, name: str) -> tuple[InstalledModel, list[Path]]:
    """Forget ``name``; delete its files that live in the models folder. Returns those paths."""
    model = catalogue.remove(name)
    root = catalogue.models_dir.resolve()
    deleted: list[Path] = []
    if model.source == "local":  # the GGUF files are the user's; weights we downloaded are ours
        weights = root / name / "hf"
        if _NAME.match(name) and weights.resolve().parent.parent == root and weights.is_dir():
            shutil.rmtree(weights)
            deleted.append(weights)
            with contextlib.suppress(OSError):
                (root / name).rmdir()
        return model, deleted
    folder = root / name
    for path in (model.gguf, model.mmproj):
        if path.resolve().is_relative_to(root) and path.exists():
            path.unlink()
            deleted.append(path)
    if _NAME.match(name) and folder.resolve().parent == root and folder.is_dir():
        shutil.rmtree(folder)
        deleted.append(folder)
    return model, deleted
