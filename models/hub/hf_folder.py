"""A model in Hugging Face format on disk: is it there, and is it the model its GGUF is?

Training reads the HF folder while llama.cpp serves the GGUF; an adapter trained on one model
and served on another is worse than none, so a folder is checked against the family of the
GGUF it is paired with before the catalogue records it.
"""

from __future__ import annotations

import json
from pathlib import Path

from models.hub.catalogue import CatalogueError

# The HF model_type each family's GGUF comes from (a UI-TARS GGUF is a Qwen2.5-VL model).
MODEL_TYPES = {"qwen25vl": ("qwen2_5_vl", "qwen2_vl"), "uitars": ("qwen2_5_vl", "qwen2_vl"),
               "qwen3vl": ("qwen3_vl", "qwen3_vl_moe"), "deskhand": ("qwen2_5_vl",)}


def check_hf_folder(folder: Path, family: str, where: str | None = None) -> Path:
    """``folder`` resolved, if it holds a readable config of a model type ``family`` fits."""
    where = where or str(folder)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        model_type = config["model_type"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CatalogueError(f"{where}: no readable config.json with a model_type ({exc}); it "
                             "is not a model in Hugging Face format") from None
    wanted = MODEL_TYPES.get(family, ())
    if wanted and model_type not in wanted:
        raise CatalogueError(f"{where} is a {model_type!r} model, but the GGUF is a {family} "
                             f"model ({' or '.join(wanted)}): they are not the same model")
    return folder.resolve()


def hf_source(hf: str | None, family: str) -> tuple[Path | None, str | None]:
    """``--hf``: (folder, None) for a checked local folder, (None, repo) for a hub repo id."""
    if hf is None:
        return None, None
    folder = Path(hf).expanduser()
    if folder.is_dir():
        return check_hf_folder(folder, family, f"--hf {hf}"), None
    if hf.count("/") == 1 and not hf.startswith((".", "/", "~")):
        return None, hf
    raise CatalogueError(f"--hf {hf!r} is neither an existing folder nor a hub repo id")
