"""Tiny Qwen2.5-VL models for tests: the same random weights in HF form and in GGUF form.

``build_tiny`` trains a byte-level BPE tokenizer in Qwen2's image (NFC, Qwen2 split regex,
ChatML + vision special tokens), builds a 2-layer Qwen2.5-VL with a fixed seed, saves it with
``save_pretrained`` and converts it with :mod:`models.gguf` — all in a few seconds. Builds are
cached: each lands, atomically, in its own folder under ``out_dir`` named by a hash of the
parameters *and of the building code*, so a changed converter never serves a stale model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.build_once import build_once
from models.vision_input import CLIP_MEAN, CLIP_STD

if TYPE_CHECKING:
    from tokenizers import Tokenizer

QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SPECIAL_TOKENS = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
)
ADDED_TOKENS = ("<tool_call>", "</tool_call>")
LEARNED_VOCAB = 480  # 256 bytes + merges; the 16 added tokens follow, the embedding pads to 512
VOCAB_SIZE = 512
CONTEXT = 4096
# llama.cpp (0.3.36) never reads qwen2vl.attention.layer_norm_rms_epsilon and normalises with
# eps = 0; with tiny random weights (mean square ~4e-4) Qwen's 1e-6 would shift logits ~1e-3
RMS_EPS = 1e-12
CHAT_TEMPLATE = "".join((  # Qwen2-VL's ChatML with a default system prompt and image parts
    "{%- for message in messages -%}",
    "{%- if loop.first and message['role'] != 'system' -%}",
    r"{{- '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' -}}",
    "{%- endif -%}",
    r"{{- '<|im_start|>' + message['role'] + '\n' -}}",
    "{%- if message['content'] is string -%}{{- message['content'] -}}",
    "{%- else -%}{%- for part in message['content'] -%}",
    "{%- if part['type'] == 'image' -%}{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}",
    "{%- elif part['type'] == 'text' -%}{{- part['text'] -}}{%- endif -%}",
    "{%- endfor -%}{%- endif -%}",
    r"{{- '<|im_end|>\n' -}}",
    "{%- endfor -%}",
    r"{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%}",
))

_WORDS = (
    "the a to of and in is it you that for on with click type open file window button menu "
    "save close screen mouse keyboard scroll drag move wait done fail ask user task step "
    "action think answer reason text field browser terminal editor settings search folder "
    "document email send copy paste select delete new name ok cancel yes no please then next"
).split()
_SENTENCES = (
    'I will click the "Save" button at the top of the window.',
    "The user wants to open the settings menu and change the theme.",
    '{"type": "click", "x": 300, "y": 250, "button": "left", "count": 1}',
    '{"type": "type", "text": "hello world"}', '{"type": "key", "keys": ["ctrl", "s"]}',
    '{"type": "scroll", "x": 640, "y": 360, "dx": 0, "dy": -3}',
    "<think>The search field is empty, so I should type the query.</think>",
    '<answer>{"type": "done", "summary": "The file was saved."}</answer>',
    "You are a helpful assistant.", "What's on the screen? It's a text editor; they're done.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 1080 1920 2026.",
)


@dataclass(frozen=True)
class TinyModel:
    """Paths of one tiny build. ``gguf_path`` is the f32 text model, ``mmproj_path`` f32."""

    hf_dir: Path
    gguf_path: Path
    mmproj_path: Path
    quantized: dict[str, Path] = field(default_factory=dict)


def corpus(lines: int = 400) -> list[str]:
    """The deterministic training text (English words, action JSON, reasoning tags).

    >>> corpus(2)[-1]
    'It save task folder.'
    """
    out = list(_SENTENCES)
    for i in range(lines):
        words = [_WORDS[(i * 7 + j * 13) % len(_WORDS)] for j in range(3 + i % 9)]
        out.append(" ".join(words).capitalize() + ("." if i % 3 else "?"))
    return out


def train_tokenizer(learned: int = LEARNED_VOCAB, texts: list[str] | None = None) -> Tokenizer:
    """Train the byte-level BPE (``learned`` ids incl. the 256 bytes) on ``texts`` (default:
    :func:`corpus`), then add the specials."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, trainers
    from tokenizers import pre_tokenizers as pre

    tok = Tokenizer(models.BPE(byte_fallback=False, ignore_merges=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre.Sequence([
        pre.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=learned, show_progress=False, special_tokens=[],
                                  initial_alphabet=pre.ByteLevel.alphabet())
    tok.train_from_iterator(texts if texts is not None else corpus(), trainer=trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in ADDED_TOKENS])
    return tok


def _mrope_section(head_dim: int) -> list[int]:
    """Split ``head_dim / 2`` rotary pairs over (t, h, w) in Qwen's 1:1.5:1.5 proportion.

    >>> _mrope_section(16), _mrope_section(64), _mrope_section(128)
    ([2, 3, 3], [8, 12, 12], [16, 24, 24])
    """
    half = head_dim // 2
    first = half // 4
    second = (half - first) // 2
    return [first, second, half - first - second]


def tiny_config(hidden: int, ids: dict[str, int]) -> dict[str, Any]:
    """The ``Qwen2_5_VLConfig`` keyword arguments of a tiny model ``hidden`` wide."""
    heads = 4
    text = {
        "vocab_size": VOCAB_SIZE, "hidden_size": hidden, "intermediate_size": 2 * hidden,
        "num_hidden_layers": 2, "num_attention_heads": heads, "num_key_value_heads": 2,
        "max_position_embeddings": CONTEXT, "rms_norm_eps": RMS_EPS,
        "rope_parameters": {"rope_type": "default", "rope_theta": 1_000_000.0,
                            "mrope_section": _mrope_section(hidden // heads)},
        "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }
    # intermediate 96 != hidden 64: clip.cpp swaps ffn up/down of Qwen-VL towers whose
    # ffn_down input width equals the hidden size (a fix for old conversions)
    vision = {"depth": 2, "hidden_size": 64, "intermediate_size": 96, "num_heads": 4,
              "out_hidden_size": hidden, "fullatt_block_indexes": [1], "window_size": 112,
              "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2}
    return {
        "text_config": text, "vision_config": vision, "tie_word_embeddings": False,
        "image_token_id": ids["<|image_pad|>"], "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }


def save_tokenizer(hf_dir: Path, *, patch: int = 14, mean: tuple[float, ...] = CLIP_MEAN,
                   std: tuple[float, ...] = CLIP_STD) -> dict[str, int]:
    """The offline tokenizer (ChatML template) and an image processor of ``patch``-pixel
    patches, saved in ``hf_dir``; returns the vocabulary (token -> id)."""
    from transformers import PreTrainedTokenizerFast

    tok = train_tokenizer()
    wrapped = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
        model_max_length=CONTEXT,
    )
    wrapped.chat_template = CHAT_TEMPLATE
    wrapped.save_pretrained(str(hf_dir))
    save_preprocessor(hf_dir, patch=patch, mean=mean, std=std)
    vocab: dict[str, int] = tok.get_vocab(with_added_tokens=True)
    return vocab


def save_preprocessor(hf_dir: Path, *, patch: int = 14, mean: tuple[float, ...] = CLIP_MEAN,
                      std: tuple[float, ...] = CLIP_STD) -> None:
    """Qwen-VL's image processor settings (what ``models.vision_input`` reads): 2x2 merged
    cells of ``patch`` pixels, 1280 cells at most (14: Qwen2.5-VL, 16: Qwen3-VL)."""
    cell = 2 * patch
    preprocessor = {
        "image_processor_type": "Qwen2VLImageProcessor", "do_resize": True, "do_rescale": True,
        "rescale_factor": 1 / 255, "do_normalize": True, "do_convert_rgb": True,
        "image_mean": list(mean), "image_std": list(std), "patch_size": patch,
        "temporal_patch_size": 2, "merge_size": 2, "min_pixels": (2 * cell) ** 2,
        "max_pixels": cell * cell * 1280,
    }
    (hf_dir / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2))


def _save_model(hf_dir: Path, hidden: int, seed: int, ids: dict[str, int]) -> None:
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        config = Qwen2_5_VLConfig(**tiny_config(hidden, ids))
        model = Qwen2_5_VLForConditionalGeneration(config)
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(str(hf_dir))


def _build(folder: Path, hidden: int, seed: int, quantize: tuple[str, ...]) -> TinyModel:
    from models.gguf.qwen_mmproj import convert_mmproj
    from models.gguf.qwen_text import convert_text

    hf_dir = folder / "hf"
    hf_dir.mkdir(parents=True)
    ids = save_tokenizer(hf_dir)
    _save_model(hf_dir, hidden, seed, ids)
    text = convert_text(hf_dir, folder / "tiny-f32.gguf", dtype="f32")
    mmproj = convert_mmproj(hf_dir, folder / "mmproj-tiny-f32.gguf", dtype="f32")
    quantized: dict[str, Path] = {}
    if quantize:
        from models.gguf.quantize import quantize_gguf

        for qtype in quantize:
            quantized[qtype] = quantize_gguf(text, folder / f"tiny-{qtype}.gguf", qtype)
    return TinyModel(hf_dir, text, mmproj, quantized)


_BUILD_SOURCES = ("tiny.py", "vision_input.py", "gguf/hf.py", "gguf/tokenizer.py",
                  "gguf/qwen_text.py", "gguf/qwen_mmproj.py", "gguf/quantize.py")


def _code_hash() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in [here / name for name in _BUILD_SOURCES]:
        digest.update(str(path.relative_to(here)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _relative(model: TinyModel, folder: Path) -> dict[str, Any]:
    return {
        "hf_dir": str(model.hf_dir.relative_to(folder)),
        "gguf_path": str(model.gguf_path.relative_to(folder)),
        "mmproj_path": str(model.mmproj_path.relative_to(folder)),
        "quantized": {k: str(v.relative_to(folder)) for k, v in model.quantized.items()},
    }


def _load(folder: Path) -> TinyModel:
    info = json.loads((folder / "tiny.json").read_text(encoding="utf-8"))["paths"]
    return TinyModel(folder / info["hf_dir"], folder / info["gguf_path"],
                     folder / info["mmproj_path"],
                     {k: folder / v for k, v in info["quantized"].items()})


def build_tiny(out_dir: Path, *, hidden: int = 64, seed: int = 0,
               quantize: tuple[str, ...] = ()) -> TinyModel:
    """Build (or return the cached) tiny Qwen2.5-VL ``hidden`` wide under ``out_dir``.

    ``quantize`` names llama.cpp types ("Q8_0", "Q4_K_M", ...); k-quants need ``hidden`` to be
    a multiple of 256. The folder is built under a temporary name and renamed into place, so a
    concurrent or interrupted build never leaves a half-written model behind.
    """
    if hidden < 32 or hidden % 32:
        raise ValueError(f"hidden must be a positive multiple of 32, got {hidden}")
    params = {"hidden": hidden, "seed": seed, "quantize": sorted(quantize), "code": _code_hash()}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    out_dir = Path(out_dir)
    folder = out_dir / f"tiny-h{hidden}-s{seed}-{key}"
    if (folder / "tiny.json").exists():
        return _load(folder)

    def make(staging: Path) -> None:
        model = _build(staging, hidden, seed, tuple(quantize))
        marker = {"params": params, "paths": _relative(model, staging)}
        (staging / "tiny.json").write_text(json.dumps(marker, indent=2), encoding="utf-8")

    build_once(folder, "tiny.json", make)
    _prune_superseded(out_dir, folder, params)
    return _load(folder)


def _prune_superseded(out_dir: Path, keep: Path, params: dict[str, Any]) -> None:
    """Delete builds of the same parameters made by older code (they can never be served)."""
    same = {k: v for k, v in params.items() if k != "code"}
    for marker in out_dir.glob(f"tiny-h{params['hidden']}-s{params['seed']}-*/tiny.json"):
        if marker.parent == keep:
            continue
        try:
            old = json.loads(marker.read_text(encoding="utf-8"))["params"]
        except (OSError, ValueError, KeyError):
            continue
        if {k: v for k, v in old.items() if k != "code"} == same:
            shutil.rmtree(marker.parent, ignore_errors=True)
