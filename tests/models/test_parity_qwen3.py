"""Qwen3-VL text parity: torch (HF, eager, f32) against llama.cpp running our ``qwen3vl`` GGUF.

The tiny Qwen3-VL (``models.tiny_qwen3``) has Q/K norms, a 16-wide head with interleaved
M-RoPE sections [3, 3, 2] and random (not unit) norm weights, so a wrong eps, a missing norm or
a mis-ordered rotary pair each move the logits far more than the tolerance. Tolerances: f32 GGUF
max |Δlogit| over every position and the whole vocabulary < 1e-4 (measured 2e-7) with identical
greedy tokens; f32 GGUF + GGUF LoRA (plain, and rsLoRA with a per-module alpha) < 1e-5.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.gguf.lora import export_lora
from models.tiny import TinyModel
from tests.models.test_parity_text import (
    PROMPT,
    TEXTS,
    greedy_tokens,
    llama_logits,
    torch_logits,
)


def qwen3_model(tiny: TinyModel) -> Any:
    from transformers import Qwen3VLForConditionalGeneration

    return Qwen3VLForConditionalGeneration.from_pretrained(
        tiny.hf_dir, attn_implementation="eager").eval()


def qwen3_ids(tiny: TinyModel, text: str = PROMPT) -> list[int]:
    from transformers import AutoTokenizer

    ids: list[int] = AutoTokenizer.from_pretrained(tiny.hf_dir).encode(text)
    return ids


def test_the_text_model_is_a_qwen3vl_gguf(tiny_qwen3: TinyModel) -> None:
    from gguf import GGUFReader

    reader = GGUFReader(str(tiny_qwen3.gguf_path))
    fields = {name: field.contents() for name, field in reader.fields.items()
              if not name.startswith("tokenizer.")}
    assert fields["general.architecture"] == "qwen3vl"
    assert fields["qwen3vl.n_deepstack_layers"] == 2
    assert fields["qwen3vl.rope.dimension_sections"] == [3, 3, 2, 0]
    assert fields["qwen3vl.attention.key_length"] == 16
    names = {t.name for t in reader.tensors}
    assert {"blk.0.attn_q_norm.weight", "blk.1.attn_k_norm.weight"} <= names
    assert not any(n.startswith("v.") for n in names)


@pytest.mark.parametrize("text", TEXTS[:3])
def test_tokenizer_matches_llama_cpp(tiny_qwen3: TinyModel, text: str) -> None:
    from llama_cpp import Llama

    llm = Llama(str(tiny_qwen3.gguf_path), vocab_only=True, verbose=False)
    theirs = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
    assert theirs == qwen3_ids(tiny_qwen3, text)


def test_f32_logits_and_greedy_tokens_match(tiny_qwen3: TinyModel) -> None:
    model, ids = qwen3_model(tiny_qwen3), qwen3_ids(tiny_qwen3)
    ours, theirs = torch_logits(model, ids), llama_logits(tiny_qwen3.gguf_path, ids)
    assert ours.std() > 0.05  # the logits are not flat: the comparison means something
    assert np.abs(ours - theirs).max() < 1e-4
    torch_ids, llama_ids = greedy_tokens(model, tiny_qwen3.gguf_path, ids)
    assert llama_ids == torch_ids


def test_lora_adapter_matches_peft(tiny_qwen3: TinyModel, tmp_path: Path) -> None:
    """A peft LoRA on the Qwen3-VL text model, exported for ``qwen3vl``, gives llama.cpp the
    logits torch + peft computes (max |Δ| < 1e-5), as does the folder the trainer saves."""
    from gguf import GGUFReader

    from tests.models.test_gguf_lora import peft_model

    ids = qwen3_ids(tiny_qwen3)
    model = peft_model(tiny_qwen3, seed=1).eval()
    with model.disable_adapter():
        base = torch_logits(model, ids)
    tuned = torch_logits(model, ids)
    assert np.abs(tuned - base).max() > 0.1  # the adapter really changes the model
    adapter = export_lora(model, tmp_path / "lora.gguf")
    assert GGUFReader(str(adapter)).fields["general.architecture"].contents() == "qwen3vl"
    assert np.abs(tuned - llama_logits(tiny_qwen3.gguf_path, ids, lora=adapter)).max() < 1e-5
    model.save_pretrained(str(tmp_path / "peft"))  # names the base folder in its config
    from_folder = export_lora(tmp_path / "peft", tmp_path / "folder.gguf")
    assert GGUFReader(str(from_folder)).fields["general.architecture"].contents() == "qwen3vl"
    assert np.abs(tuned - llama_logits(tiny_qwen3.gguf_path, ids, lora=from_folder)).max() < 1e-5


def test_rslora_adapter_with_per_module_alpha_matches_peft(tiny_qwen3: TinyModel,
                                                           tmp_path: Path) -> None:
    from tests.models.test_gguf_lora import peft_model

    ids = qwen3_ids(tiny_qwen3)
    model = peft_model(tiny_qwen3, seed=2, r=8, lora_alpha=4, use_rslora=True,
                       alpha_pattern={"down_proj": 12}).eval()
    adapter = export_lora(model, tmp_path / "lora.gguf")
    theirs = llama_logits(tiny_qwen3.gguf_path, ids, lora=adapter)
    assert np.abs(torch_logits(model, ids) - theirs).max() < 1e-5


def test_the_mmproj_is_a_qwen3vl_merger_with_deepstack(tiny_qwen3: TinyModel) -> None:
    from gguf import GGUFReader

    reader = GGUFReader(str(tiny_qwen3.mmproj_path))
    fields = {name: field.contents() for name, field in reader.fields.items()}
    assert fields["clip.projector_type"] == "qwen3vl_merger"
    assert fields["clip.vision.is_deepstack_layers"] == [True, True, False]
    assert fields["clip.vision.patch_size"] == 16
    assert fields["clip.vision.image_size"] == 128  # 8x8 learned positions of 16 px
    assert fields["clip.vision.image_mean"] == [0.5, 0.5, 0.5]
    names = {t.name for t in reader.tensors}
    assert {"v.patch_embd.weight", "v.patch_embd.weight.1", "v.patch_embd.bias",
            "v.position_embd.weight", "v.blk.2.attn_qkv.weight", "v.post_ln.weight",
            "mm.0.weight", "mm.2.bias", "v.deepstack.0.norm.weight", "v.deepstack.1.fc2.weight",
            } <= names
    assert not any(n.startswith(("blk.", "token_embd", "output")) for n in names)


def test_a_deepstack_on_the_last_layer_is_refused(tiny_qwen3: TinyModel, tmp_path: Path) -> None:
    """llama.cpp adds deepstack features only before the last decoder layer (it aborts the
    process otherwise), so such a model is refused with a reason instead of converted."""
    import json
    import shutil

    from models.gguf.hf import UnsupportedModelError
    from models.gguf.qwen_text import convert_text

    folder = shutil.copytree(tiny_qwen3.hf_dir, tmp_path / "hf")
    config = json.loads((folder / "config.json").read_text())
    config["vision_config"]["deepstack_visual_indexes"] = [0, 1, 2]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(UnsupportedModelError, match="deepstack"):
        convert_text(folder, tmp_path / "t.gguf", dtype="f32")


def test_an_f16_mmproj_keeps_the_position_table_in_f32(tiny_qwen3: TinyModel,
                                                       tmp_path: Path) -> None:
    """mtmd resizes the learned position grid with ggml_interpolate, which takes only f32 and
    aborts the process otherwise: in an f16 mmproj that table stays f32 (the rest is f16), and
    llama.cpp encodes an image whose grid is not the table's. The encoding runs in a child
    process, so a regression fails this test instead of killing the suite."""
    import subprocess
    import sys

    from gguf import GGMLQuantizationType, GGUFReader

    from models.gguf.qwen_mmproj import convert_mmproj

    mmproj = convert_mmproj(tiny_qwen3.hf_dir, tmp_path / "mmproj-f16.gguf", dtype="f16")
    types = {t.name: t.tensor_type for t in GGUFReader(str(mmproj)).tensors}
    assert types["v.position_embd.weight"] == GGMLQuantizationType.F32
    assert types["v.blk.0.attn_qkv.weight"] == types["mm.0.weight"] == GGMLQuantizationType.F16
    script = (
        "import sys\n"
        "from models.runtime import LlamaRuntime\n"
        "from tests.models.runtime.helpers import PARITY_CONFIG, prompt\n"
        "with LlamaRuntime(sys.argv[1], sys.argv[2], PARITY_CONFIG) as rt:\n"
        "    print(rt.logits(prompt(1, height=96, width=160)).shape)\n")  # a 6x10 grid, not 8x8
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script, str(tiny_qwen3.gguf_path), str(mmproj)],
                          capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith(",)")  # one row of logits
