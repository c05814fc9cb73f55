"""The Hugging Face weights of an installed model, which the nightly trainer needs.

The GGUF pair acts; training runs in torch on the same model in Hugging Face format (config,
tokenizer, processor and safetensors). :func:`plan_for` asks the hub which of those files the
repository has and how big they are — without a listing API: the small files are named by
convention, the weight shards by ``model.safetensors.index.json`` (or a single
``model.safetensors``) — and checks its ``config.json`` against the installed GGUF (model type,
width, depth) before anything big moves, so the user is asked once, with the size, and only
about the right model. :func:`download_weights` then fetches the plan into
``models/<name>/hf/`` with the same resume and sha256 checks as the GGUF files; only when every
file is there, and the model is still installed as it was, does the catalogue point ``hf`` at
the folder: a half-downloaded folder is never offered to the trainer.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from models.hub.catalogue import Catalogue, CatalogueError, InstalledModel
from models.hub.download import (
    HubError,
    HubUnreachable,
    NotOnHub,
    RemoteFile,
    check_space,
    download_file,
    remote_file,
)
from models.hub.gguf_info import inspect_gguf
from models.hub.hf_files import INDEX, SINGLE, shard_names
from models.hub.hf_folder import check_config, check_hf_folder, hf_source, read_config
from models.hub.install import FileProgress

HF_FOLDER = "hf"
REQUIRED = ("config.json", "preprocessor_config.json")
OPTIONAL = ("generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json",
            "merges.txt", "special_tokens_map.json", "added_tokens.json", "chat_template.json",
            "chat_template.jinja", "video_preprocessor_config.json")
MAX_INDEX_BYTES = 16 << 20  # a real index is a few hundred kB
_SHARD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.safetensors$")


class WeightsUnavailable(HubError):
    """No plan could be made (hub unreachable, not a trainable repository, another model):
    nothing was asked and nothing big was fetched."""


@dataclass(frozen=True)
class WeightsPlan:
    """The files of one repository's HF weights, as the hub describes them."""

    name: str  # the installed model they are for
    repo: str
    files: tuple[RemoteFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size or 0 for f in self.files)

    @property
    def shards(self) -> list[str]:
        return [f.filename for f in self.files if f.filename.endswith(".safetensors")]


def weights_folder(catalogue: Catalogue, name: str) -> Path:
    return catalogue.models_dir / name / HF_FOLDER


def gguf_dims(model: InstalledModel) -> tuple[int | None, int | None]:
    """(width, depth) from the installed GGUF's header; unknown when it cannot be read."""
    try:
        info = inspect_gguf(model.gguf)
    except (OSError, ValueError):
        return None, None
    return info.hidden, info.layers


def plan_for(catalogue: Catalogue, name: str, *, endpoint: str | None = None) -> WeightsPlan:
    """The download plan for installed model ``name``'s training weights, or
    ``WeightsUnavailable`` / ``CatalogueError`` saying why there is none."""
    model = catalogue.get(name)
    if model.hf_repo is None:
        raise CatalogueError(f"no hub repository is known for {name}'s Hugging Face weights; "
                             f"say where they are with `deskhand models download {name} --hf "
                             "FOLDER_OR_REPO`")
    try:
        return plan_weights(model.hf_repo, weights_folder(catalogue, name), endpoint=endpoint,
                            name=name, family=model.family, dims=gguf_dims(model))
    except HubUnreachable as exc:
        reason = str(exc).split(";")[0]
        raise WeightsUnavailable(f"{reason}; run `deskhand models download {name} --training` "
                                 "again when the hub can be reached") from None
    except (HubError, CatalogueError) as exc:
        raise WeightsUnavailable(str(exc)) from None


def plan_weights(repo: str, staging: Path, *, endpoint: str | None = None,
                 revision: str = "main", name: str = "", family: str = "",
                 dims: tuple[int | None, int | None] = (None, None)) -> WeightsPlan:
    """What ``repo`` holds for training. Its config (checked against ``family`` and the GGUF's
    ``dims``) and shard index (at most 16 MB) are fetched into ``staging``; nothing else."""
    files = [_required(repo, f, endpoint, revision) for f in REQUIRED]
    config = download_file(repo, "config.json", staging / "config.json", revision=revision,
                           endpoint=endpoint)
    check_config(read_config(config.path.parent, repo), family, repo, gguf_dims=dims)
    files += [f for n in OPTIONAL if (f := _optional(repo, n, endpoint, revision))]
    if not any(f.filename in ("tokenizer.json", "vocab.json") for f in files):
        raise HubError(f"{repo} has no tokenizer (tokenizer.json or vocab.json), so it cannot "
                       "be trained")
    index = _optional(repo, INDEX, endpoint, revision)
    if index is None:
        files.append(_required(repo, SINGLE, endpoint, revision, what="weights "
                               f"({INDEX} or {SINGLE})"))
    else:
        if (index.size or 0) > MAX_INDEX_BYTES:
            raise HubError(f"{repo}/{INDEX} is {index.size} bytes, not a shard index")
        got = download_file(repo, INDEX, staging / INDEX, revision=revision, endpoint=endpoint)
        files.append(index)
        files += [_required(repo, shard, endpoint, revision)
                  for shard in _checked_shards(got.path, repo)]
    return WeightsPlan(name, repo, tuple(files))


def _required(repo: str, name: str, endpoint: str | None, revision: str, *,
              what: str | None = None) -> RemoteFile:
    try:
        return remote_file(repo, name, revision=revision, endpoint=endpoint)
    except NotOnHub:
        raise HubError(f"{repo} has no {what or name}: it is not a model in Hugging Face "
                       "format that Deskhand can train") from None


def _optional(repo: str, name: str, endpoint: str | None, revision: str) -> RemoteFile | None:
    try:
        return remote_file(repo, name, revision=revision, endpoint=endpoint)
    except NotOnHub:
        return None


def _checked_shards(index: Path, repo: str) -> list[str]:
    """The shard files named by a safetensors index, refusing any name that is not a plain
    file name (an index must not write outside the weights folder)."""
    try:
        names = shard_names(json.loads(index.read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError) as exc:
        raise HubError(f"{repo}/{INDEX} is not a safetensors index ({exc})") from None
    bad = [n for n in names if not _SHARD.match(n)]
    if bad:
        raise HubError(f"{repo}/{INDEX} names a file Deskhand will not write (refused: "
                       f"{bad[0]!r})")
    return names


def download_weights(catalogue: Catalogue, plan: WeightsPlan, *, endpoint: str | None = None,
                     progress: FileProgress | None = None, retries: int = 3) -> InstalledModel:
    """Fetch ``plan`` and record the folder for training. An interrupted download leaves
    ``.part`` files that the next call continues. The catalogue is read again at the end: a
    model removed, or pointed at another repository, meanwhile is not brought back."""
    folder = weights_folder(catalogue, plan.name)
    folder.mkdir(parents=True, exist_ok=True)
    have = sum(_on_disk(folder, f.filename) for f in plan.files)
    check_space(folder, plan.total_bytes - have, f"{plan.name}'s training weights")
    for remote in plan.files:
        def report(done: int, total: int | None, filename: str = remote.filename) -> None:
            if progress:
                progress(filename, done, total)
        download_file(plan.repo, remote.filename, folder / remote.filename, endpoint=endpoint,
                      progress=report, retries=retries)
    fresh = Catalogue.load(catalogue.models_dir)
    model = fresh.models.get(plan.name)
    if model is None or model.hf_repo != plan.repo:
        raise CatalogueError(f"{plan.name} was removed or given other weights while these "
                             "downloaded; nothing was recorded")
    check_hf_folder(folder, model.family, plan.repo, gguf_dims=gguf_dims(model))
    updated = replace(model, hf=folder)
    fresh.replace(updated)
    catalogue.models = fresh.models
    catalogue.in_use = fresh.in_use
    return updated


def _on_disk(folder: Path, filename: str) -> int:
    """Bytes of ``filename`` already there, finished or partly downloaded."""
    for path in (folder / filename, folder / (filename + ".part")):
        if path.is_file():
            return path.stat().st_size
    return 0


def training_state(model: InstalledModel) -> str:
    """A few words on whether ``model`` can be trained, and what fetches its weights if not."""
    if model.trainable:
        return "ready"
    if model.hf_repo:
        return f"not downloaded: deskhand models download {model.name} --training"
    return f"none known: deskhand models download {model.name} --hf FOLDER_OR_REPO"


def set_hf_source(catalogue: Catalogue, name: str, hf: str) -> InstalledModel:
    """Say where installed model ``name``'s HF weights are: a complete folder (checked against
    the model's GGUF, then recorded for training) or a hub repo id to download them from. A
    new repository drops the weights downloaded from the previous one."""
    model = catalogue.get(name)
    folder, repo = hf_source(hf, model.family, gguf_dims=gguf_dims(model))
    if folder is not None:
        updated = replace(model, hf=folder)
    elif repo == model.hf_repo:
        return model
    else:  # another repository: what was downloaded from the previous one is not its weights
        shutil.rmtree(weights_folder(catalogue, name), ignore_errors=True)
        updated = replace(model, hf_repo=repo, hf=None)
    catalogue.replace(updated)
    return updated
