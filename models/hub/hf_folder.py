"""A model in Hugging Face format on disk: is it all there, and is it the model its GGUF is?

Training reads the HF folder while llama.cpp serves the GGUF; an adapter trained on one model
and served on another is worse than none, so a folder is checked against the GGUF it is paired
with (the family's model type, and the width and depth in the GGUF's header) before the
catalogue records it, and only a complete folder (config, tokenizer, every weight shard, no
half-downloaded file) counts as trainable.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from models.hub.catalogue import CatalogueError
from models.hub.hf_files import missing_weights

# The HF model_type each family's GGUF comes from (a UI-TARS GGUF is a Qwen2.5-VL model).
MODEL_TYPES = {"qwen25vl": ("qwen2_5_vl", "qwen2_vl"), "uitars": ("qwen2_5_vl", "qwen2_vl"),
               "qwen3vl": ("qwen3_vl", "qwen3_vl_moe"), "deskhand": ("qwen2_5_vl",),
               "guiowl": ("qwen3_vl",), "uivenus": ("qwen3_vl", "qwen3_vl_moe")}
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"^{_PART}/{_PART}$")


def is_repo_id(text: str) -> bool:
    """Whether ``text`` is a hub repo id (``owner/name``), not a path.

    >>> [is_repo_id(t) for t in ("Qwen/Qwen2.5-VL-3B-Instruct", "foo/..", "a/b c", "./x/y")]
    [True, False, False, False]
    >>> is_repo_id("a--b/c"), is_repo_id("~/models")
    (False, False)
    """
    return bool(_REPO_ID.match(text)) and ".." not in text and "--" not in text


def config_dims(config: dict[str, Any]) -> tuple[int | None, int | None]:
    """(hidden size, decoder layers) of an HF config, nested ``text_config`` or flat."""
    nested = config.get("text_config")
    text: dict[str, Any] = nested if isinstance(nested, dict) else config
    hidden, layers = text.get("hidden_size"), text.get("num_hidden_layers")
    return (hidden if isinstance(hidden, int) else None,
            layers if isinstance(layers, int) else None)


def check_config(config: dict[str, Any], family: str, where: str, *,
                 gguf_dims: tuple[int | None, int | None] = (None, None)) -> None:
    """``config`` is of a model type ``family`` fits, as wide and deep as the GGUF."""
    model_type = config.get("model_type")
    wanted = MODEL_TYPES.get(family, ())
    if wanted and model_type not in wanted:
        raise CatalogueError(f"{where} is a {model_type!r} model, but the GGUF is a {family} "
                             f"model ({' or '.join(wanted)}): they are not the same model")
    ours = config_dims(config)
    for what, theirs, mine in zip(("hidden size", "layer count"), gguf_dims, ours, strict=True):
        if theirs is not None and mine is not None and theirs != mine:
            raise CatalogueError(f"{where} has {what} {mine}, the GGUF {theirs}: they are not "
                                 "the same model (another size?)")


def read_config(folder: Path, where: str) -> dict[str, Any]:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"{where}: no readable config.json ({exc}); it is not a model in "
                             "Hugging Face format") from None
    if not isinstance(config, dict) or "model_type" not in config:
        raise CatalogueError(f"{where}: config.json names no model_type")
    return config


def check_hf_folder(folder: Path, family: str, where: str | None = None, *,
                    gguf_dims: tuple[int | None, int | None] = (None, None)) -> Path:
    """``folder`` resolved, if it is a complete HF model of the GGUF's kind and size."""
    where = where or str(folder)
    check_config(read_config(folder, where), family, where, gguf_dims=gguf_dims)
    if missing := missing_weights(folder):
        raise CatalogueError(f"{where} is incomplete: {missing}")
    return folder.resolve()


def hf_source(hf: str | None, family: str, *,
              gguf_dims: tuple[int | None, int | None] = (None, None),
              ) -> tuple[Path | None, str | None]:
    """``--hf``: (folder, None) for a checked local folder, (None, repo) for a hub repo id."""
    if hf is None:
        return None, None
    folder = Path(hf).expanduser()
    if folder.is_dir():
        return check_hf_folder(folder, family, f"--hf {hf}", gguf_dims=gguf_dims), None
    if is_repo_id(hf):
        return None, hf
    raise CatalogueError(f"--hf {hf!r} is neither an existing folder nor a hub repo id "
                         "(owner/name)")
