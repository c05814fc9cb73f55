"""The Hugging Face weights of an installed model, which the nightly trainer needs.

The GGUF pair acts; training runs in torch on the same model in Hugging Face format (config,
tokenizer, processor and safetensors). :func:`plan_weights` asks the hub which of those files
the repository has and how big they are — without a listing API: the small files are named
by convention, and the weight shards by ``model.safetensors.index.json`` (or a single
``model.safetensors``) — so the user can be asked once, with the size, before gigabytes move.
:func:`download_weights` then fetches them into ``models/<name>/hf/`` with the same resume and
sha256 checks as the GGUF files, and only when every file is there does the catalogue point
``hf`` at the folder: a half-downloaded folder is never offered to the trainer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from models.hub.catalogue import Catalogue, CatalogueError, InstalledModel
from models.hub.download import HubError, NotOnHub, RemoteFile, download_file, remote_file
from models.hub.hf_folder import check_hf_folder, hf_source
from models.hub.install import FileProgress

HF_FOLDER = "hf"
INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"
REQUIRED = ("config.json", "preprocessor_config.json")
OPTIONAL = ("generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json",
            "merges.txt", "special_tokens_map.json", "added_tokens.json", "chat_template.json",
            "chat_template.jinja", "video_preprocessor_config.json")
_SHARD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.safetensors$")


class WeightsUnavailable(HubError):
    """The hub could not say which training files there are: nothing was asked or fetched."""


@dataclass(frozen=True)
class WeightsPlan:
    """The files of one repository's HF weights, as the hub describes them."""

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


def plan_weights(repo: str, staging: Path, *, endpoint: str | None = None,
                 revision: str = "main") -> WeightsPlan:
    """What ``repo`` holds for training. The shard index (a few kB) is fetched into
    ``staging`` to learn the shard names; nothing big is downloaded."""
    files = [_required(repo, name, endpoint, revision) for name in REQUIRED]
    files += [f for name in OPTIONAL if (f := _optional(repo, name, endpoint, revision))]
    if not any(f.filename in ("tokenizer.json", "vocab.json") for f in files):
        raise HubError(f"{repo} has no tokenizer (tokenizer.json or vocab.json), so it cannot "
                       "be trained")
    index = _optional(repo, INDEX, endpoint, revision)
    if index is None:
        files.append(_required(repo, SINGLE, endpoint, revision, what="weights "
                               f"({INDEX} or {SINGLE})"))
    else:
        got = download_file(repo, INDEX, staging / INDEX, revision=revision, endpoint=endpoint)
        files.append(index)
        files += [_required(repo, shard, endpoint, revision)
                  for shard in _shard_names(got.path, repo)]
    return WeightsPlan(repo, tuple(files))


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


def _shard_names(index: Path, repo: str) -> list[str]:
    """The shard files named by a safetensors index, refusing any name that is not a plain
    file name (an index must not write outside the weights folder)."""
    try:
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        names = sorted(set(weight_map.values()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise HubError(f"{repo}/{INDEX} is not a safetensors index ({exc})") from None
    bad = [n for n in names if not isinstance(n, str) or not _SHARD.match(n)]
    if bad or not names:
        raise HubError(f"{repo}/{INDEX} names no usable shard files"
                       + (f" (refused: {bad[0]!r})" if bad else ""))
    return names


def download_weights(catalogue: Catalogue, name: str, *, endpoint: str | None = None,
                     confirm: Callable[[WeightsPlan], bool] = lambda plan: True,
                     progress: FileProgress | None = None, retries: int = 3,
                     ) -> InstalledModel | None:
    """Fetch the HF weights of installed model ``name`` and record the folder for training.

    ``confirm`` sees the plan (files and total size) before anything big is fetched; when it
    says no, nothing changes and None is returned. ``WeightsUnavailable``: no plan could be
    made (hub unreachable, not a trainable repository), so nothing was asked. An interrupted
    download leaves ``.part`` files that the next call continues.
    """
    model = catalogue.get(name)
    if model.hf_repo is None:
        raise CatalogueError(f"no hub repository is known for {name}'s Hugging Face weights; "
                             f"add them with `deskhand models add ... --hf DIR` "
                             f"(or train with `deskhand learn --base DIR`)")
    folder = weights_folder(catalogue, name)
    try:
        plan = plan_weights(model.hf_repo, folder, endpoint=endpoint)
    except HubError as exc:
        raise WeightsUnavailable(str(exc)) from None
    if not confirm(plan):
        return None
    for remote in plan.files:
        def report(done: int, total: int | None, filename: str = remote.filename) -> None:
            if progress:
                progress(filename, done, total)
        download_file(plan.repo, remote.filename, folder / remote.filename, endpoint=endpoint,
                      progress=report, retries=retries)
    check_hf_folder(folder, model.family, plan.repo)
    updated = replace(model, hf=folder)
    catalogue.replace(updated)
    return updated


def training_state(model: InstalledModel) -> str:
    """A few words on whether ``model`` can be trained, and what fetches its weights if not."""
    if model.trainable:
        return "ready"
    if model.hf_repo:
        return f"missing: deskhand models download {model.name} --training"
    return f"unknown: deskhand models download {model.name} --hf FOLDER_OR_REPO"


def set_hf_source(catalogue: Catalogue, name: str, hf: str) -> InstalledModel:
    """Say where installed model ``name``'s HF weights are: a folder of them (checked against
    the model's family, then recorded for training) or a hub repo id to download them from."""
    model = catalogue.get(name)
    folder, repo = hf_source(hf, model.family)
    updated = replace(model, hf=folder) if folder else replace(model, hf_repo=repo)
    catalogue.replace(updated)
    return updated
