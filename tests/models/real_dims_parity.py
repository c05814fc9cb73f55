"""The parity harness of the real-dimension builds (``test_real_dims*.py``): the GGUF's metadata
and tensor shapes, llama.cpp's logits against torch's on the text prompt, and an image prompt
as llama.cpp serves it and as torch reads it.

The one design choice a reader must know: a comparison is only worth its bound if the logits
it compares move, so the text check also holds that they are not flat, and each image test
holds that another image (or a dropped feature) moves torch's logits far more than the bound.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.runtime import LlamaRuntime, Prompt
from models.tiny import TinyModel
from tests.models.runtime.helpers import PARITY_CONFIG
from tests.models.test_parity_text import PROMPT, llama_logits, torch_logits

VOCAB = 151936  # every Qwen-VL's published vocabulary
TEXT_BOUND = 1e-4  # max |logit diff| at f32, as the tiny models'


def fields(path: Path) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """A GGUF's metadata (without the tokenizer's long lists) and its tensors' shapes."""
    import gguf

    reader = gguf.GGUFReader(path)
    meta = {k: f.contents() for k, f in reader.fields.items()
            if not k.startswith(("tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
                                 "tokenizer.ggml.merges"))}
    return meta, {t.name: [int(n) for n in t.shape] for t in reader.tensors}


def check_text_parity(real: TinyModel, hf: Any, name: str, arch: str, context: int) -> None:
    """llama.cpp and torch agree within ``TEXT_BOUND`` on every position of ``PROMPT`` over
    the whole vocabulary, and llama.cpp reads the published context length from the GGUF."""
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    ids = AutoTokenizer.from_pretrained(real.hf_dir).encode(PROMPT)
    ours, theirs = torch_logits(hf, ids), llama_logits(real.gguf_path, ids)
    diff = float(np.abs(ours - theirs).max())
    print(f"\n{name} dims, text: max |logit diff| = {diff:.2e} over {ours.shape}, "
          f"logits' std {ours.std():.2f}")
    assert ours.shape == (len(ids), VOCAB)
    assert ours.std() > 0.05  # not flat: the comparison means something
    assert diff < TEXT_BOUND
    llm = Llama(str(real.gguf_path), vocab_only=True, verbose=False)
    assert (llm.n_vocab(), llm.metadata[f"{arch}.context_length"]) == (VOCAB, str(context))


def image_ids(rt: LlamaRuntime, p: Prompt, pad: int) -> list[int]:
    """The prompt's token ids as mtmd lays them out, each image position as ``pad``."""
    ids: list[int] = []
    for chunk in rt.tokenize(p):
        ids.extend([pad] * chunk.n_tokens if chunk.is_image else chunk.tokens)
    return ids


def served_image_logits(real: TinyModel, p: Prompt, pad: int) -> tuple[list[int], np.ndarray]:
    """The prompt's ids (``image_ids``) and the runtime's last logits for it."""
    with LlamaRuntime(real.gguf_path, real.mmproj_path, PARITY_CONFIG) as rt:
        return image_ids(rt, p, pad), rt.logits(p)


def torch_image_logits(real: TinyModel, hf: Any, ids: list[int], image: np.ndarray,
                       pad: int) -> np.ndarray:
    """torch's last logits for ``ids`` with ``image`` at the ``pad`` positions."""
    import torch

    from models.vision_input import ImageParams, vision_inputs

    inputs = vision_inputs([image], ImageParams.from_hf(real.hf_dir))
    tensor = torch.tensor([ids])
    with torch.no_grad():
        out = hf(input_ids=tensor, mm_token_type_ids=(tensor == pad).long(), **inputs)
    return np.asarray(out.logits[0, -1].float().numpy())
