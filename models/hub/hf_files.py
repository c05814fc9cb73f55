"""Which files make a Hugging Face model folder complete enough to train (no other imports, so
the catalogue can ask it): a config, a tokenizer, and every safetensors shard — the single
``model.safetensors`` or all that ``model.safetensors.index.json`` names — with no download
still in progress (``*.part``)."""

from __future__ import annotations

import json
from pathlib import Path

INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"


def shard_names(index: dict[str, object]) -> list[str]:
    """The distinct shard files a safetensors index names (ValueError if it names none)."""
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise ValueError("no weight_map")
    return sorted({str(v) for v in weight_map.values()})


def missing_weights(folder: Path) -> str | None:
    """What ``folder`` lacks for training, in a few words; None when it is complete."""
    if not (folder / "config.json").is_file():
        return "no config.json"
    if not any((folder / name).is_file() for name in ("tokenizer.json", "vocab.json")):
        return "no tokenizer (tokenizer.json or vocab.json)"
    if partial := sorted(p.name for p in folder.glob("*.part")):
        return f"a download is still in progress ({partial[0]})"
    if (folder / INDEX).is_file():
        try:
            shards = shard_names(json.loads((folder / INDEX).read_text(encoding="utf-8")))
        except (OSError, ValueError, AttributeError) as exc:
            return f"an unreadable {INDEX} ({exc})"
        absent = [s for s in shards if not (folder / s).is_file()]
        return f"shard {absent[0]} is missing" if absent else None
    return None if (folder / SINGLE).is_file() else f"no weights ({SINGLE} or {INDEX})"
