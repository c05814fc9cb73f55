"""What a GGUF file is, read from its header: architecture, and text model versus mmproj.

``gguf.GGUFReader`` memory-maps the file, so this reads only the header pages even for a
multi-gigabyte model. Projectors are recognised by ``general.type == "mmproj"`` (written by
current llama.cpp converters) or, for older files, by the ``clip`` architecture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

GGUF_MAGIC = b"GGUF"

# llama.cpp architecture name -> our family name, where the architecture alone decides it.
_FAMILY_BY_ARCH = {"qwen2vl": "qwen25vl", "qwen3vl": "qwen3vl", "qwen3vlmoe": "qwen3vl"}


class NotGGUF(ValueError):
    """The file is missing, unreadable or not a GGUF file; the message says which."""


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    architecture: str
    kind: Literal["model", "mmproj"]
    name: str | None  # general.name, when the converter wrote one
    hidden: int | None = None  # {arch}.embedding_length of a text model
    layers: int | None = None  # {arch}.block_count of a text model

    def guess_family(self) -> str | None:
        """Our family name for a text model, when the header makes it clear.

        >>> GGUFInfo(Path("m.gguf"), "qwen2vl", "model", "UI-TARS-1.5-7B").guess_family()
        'uitars'
        >>> GGUFInfo(Path("m.gguf"), "qwen3vl", "model", None).guess_family()
        'qwen3vl'
        >>> GGUFInfo(Path("m.gguf"), "llama", "model", None).guess_family() is None
        True
        >>> GGUFInfo(Path("m.gguf"), "qwen3vl", "model", "GUI-Owl-1.5-2B-Instruct").guess_family()
        'guiowl'

        GUI-Owl and UI-Venus only as Qwen3-VL models: their Qwen2.5-VL versions (GUI-Owl 1.0,
        UI-Venus 1.0) answer in other formats.

        >>> GGUFInfo(Path("m.gguf"), "qwen2vl", "model", "UI-Venus-Navi-7B").guess_family()
        'qwen25vl'
        """
        if self.kind != "model":
            return None
        name = (self.name or "").lower().replace("_", "-")
        if "ui-tars" in name:
            return "uitars"
        if self.architecture in ("qwen3vl", "qwen3vlmoe"):
            for marker, family in (("gui-owl", "guiowl"), ("ui-venus", "uivenus")):
                if marker in name:
                    return family
        return _FAMILY_BY_ARCH.get(self.architecture)


def _field(reader: Any, key: str) -> Any:
    field = reader.get_field(key)
    if field is None:
        return None
    try:
        return field.contents()
    except (IndexError, ValueError, UnicodeDecodeError):
        return None


def inspect_gguf(path: Path) -> GGUFInfo:
    """Read ``path``'s GGUF header; ``NotGGUF`` with a clear message if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise NotGGUF(f"{path} does not exist or is not a file")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise NotGGUF(f"{path} is not a GGUF file (it does not start with 'GGUF')")
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path)
    except (ValueError, OSError, IndexError, KeyError) as exc:
        raise NotGGUF(f"{path} has a damaged GGUF header ({exc})") from None
    arch = _field(reader, "general.architecture")
    if not isinstance(arch, str) or not arch:
        raise NotGGUF(f"{path} is a GGUF file without general.architecture")
    general_type = _field(reader, "general.type")
    kind: Literal["model", "mmproj"] = (
        "mmproj" if general_type == "mmproj" or arch == "clip" else "model")
    name = _field(reader, "general.name")
    hidden, layers = (_field(reader, f"{arch}.{key}") for key in ("embedding_length",
                                                                   "block_count"))
    return GGUFInfo(path=path, architecture=arch, kind=kind,
                    name=name if isinstance(name, str) else None,
                    hidden=hidden if isinstance(hidden, int) else None,
                    layers=layers if isinstance(layers, int) else None)
