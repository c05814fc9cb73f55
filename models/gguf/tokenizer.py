"""The tokenizer part of a GGUF text model, read from an HF ``tokenizer.json`` (byte-level BPE).

llama.cpp re-implements Qwen2's tokenizer from three things: the token strings in id order (in
their byte-level form, e.g. ``Ġthe``), the merges, and the pre-tokenizer name ``qwen2`` (its
split regex). Added tokens marked special become CONTROL tokens, the other added tokens
USER_DEFINED (as in llama.cpp's converter, ``<|...|>`` tokens count as special either way); ids
the embedding has beyond the tokenizer are padded as UNUSED ``[PAD{i}]``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf

from models.gguf.hf import UnsupportedModelError


@dataclass(frozen=True)
class GgufVocab:
    """Token strings, their types and the merges, ready for ``GGUFWriter``."""

    tokens: list[str]
    types: list[int]
    merges: list[str]
    bos_id: int | None
    eos_id: int | None
    pad_id: int | None
    chat_template: str | None


def looks_special(text: str) -> bool:
    """Added tokens llama.cpp treats as CONTROL even when the tokenizer says "not special".

    >>> looks_special("<|fim_prefix|>"), looks_special("<tool_call>")
    (True, False)
    """
    return (text.startswith("<|") and text.endswith("|>")) or text in ("<pad>", "<mask>")


def _token_id(name: Any, vocab: dict[str, int]) -> int | None:
    if isinstance(name, dict):
        name = name.get("content")
    return vocab.get(name) if isinstance(name, str) else None


def _chat_template(hf_dir: Path, config: dict[str, Any]) -> str | None:
    jinja = hf_dir / "chat_template.jinja"
    if jinja.exists():
        return jinja.read_text(encoding="utf-8")
    as_json = hf_dir / "chat_template.json"
    if as_json.exists():
        value = json.loads(as_json.read_text(encoding="utf-8")).get("chat_template")
        return value if isinstance(value, str) else None
    value = config.get("chat_template")
    return value if isinstance(value, str) else None


def _merges(model: dict[str, Any]) -> list[str]:
    return [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]


def read_vocab(hf_dir: Path, vocab_size: int) -> GgufVocab:
    """Read ``tokenizer.json`` (+ ``tokenizer_config.json``), padded to ``vocab_size`` ids."""
    hf_dir = Path(hf_dir)
    data = json.loads((hf_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = data.get("model", {})
    if model.get("type") != "BPE":
        raise UnsupportedModelError(f"tokenizer model {model.get('type')!r} is not BPE")
    vocab: dict[str, int] = dict(model["vocab"])
    kinds = {i: gguf.TokenType.NORMAL for i in vocab.values()}
    for added in data.get("added_tokens", []):
        vocab[added["content"]] = added["id"]
        special = added.get("special", False) or looks_special(added["content"])
        kinds[added["id"]] = gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED
    by_id = {i: tok for tok, i in vocab.items()}
    if max(by_id) >= vocab_size:
        raise UnsupportedModelError(f"tokenizer has id {max(by_id)} >= vocab_size {vocab_size}")
    tokens = [by_id.get(i, f"[PAD{i}]") for i in range(vocab_size)]
    types = [int(kinds.get(i, gguf.TokenType.UNUSED)) for i in range(vocab_size)]
    config_path = hf_dir / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    eos = _token_id(config.get("eos_token"), vocab)
    pad = _token_id(config.get("pad_token"), vocab)
    bos = _token_id(config.get("bos_token"), vocab)
    if bos is None:  # Qwen names no BOS; llama.cpp's converter uses <|endoftext|>
        bos = vocab.get("<|endoftext|>")
    return GgufVocab(tokens, types, _merges(model), bos, eos, pad, _chat_template(hf_dir, config))


def add_vocab(writer: gguf.GGUFWriter, vocab: GgufVocab) -> None:
    """Write the ``tokenizer.ggml.*`` keys (gpt2 model, qwen2 pre-tokenizer, no BOS added)."""
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(vocab.tokens)
    writer.add_token_types(vocab.types)
    writer.add_token_merges(vocab.merges)
    for token_id, add in ((vocab.bos_id, writer.add_bos_token_id),
                          (vocab.eos_id, writer.add_eos_token_id),
                          (vocab.pad_id, writer.add_pad_token_id)):
        if token_id is not None:
            add(token_id)
    writer.add_add_bos_token(False)
    if vocab.chat_template:
        writer.add_chat_template(vocab.chat_template)
