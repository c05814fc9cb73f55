"""peft LoRA (a saved adapter folder or an in-memory ``PeftModel``) → GGUF LoRA adapter.

llama.cpp applies ``W x + s · B (A x)`` with ``s = scale · alpha / r`` (``r`` read from each
tensor's shape, ``alpha`` one number per file), so peft's A ``[r, in]`` and B ``[out, r]`` are
written as they are and only alpha needs care: rsLoRA's ``alpha / sqrt(r)`` becomes
``alpha · sqrt(r)``. When per-module ranks/alphas (``rank_pattern``/``alpha_pattern``) make a
single alpha impossible, each module's scale is folded into its B and alpha is written as 0
(llama.cpp's "no alpha": ``s = scale``). The adapter's GGUF architecture must be its base
model's (llama.cpp refuses a mismatch): it is read from the base's config (the in-memory
model's, or the folder named by the adapter's ``base_model_name_or_path``) unless given.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import gguf

from models.architectures import UnsupportedArchitecture, architecture, gguf_archs, of_folder
from models.gguf.hf import UnsupportedModelError, add_tensor, write_gguf

if TYPE_CHECKING:
    import torch

TARGETS = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
# peft ``target_modules`` (a full-match regex) selecting exactly what this exporter writes:
# the decoder layers' seven projections, never the vision tower (whose MLP reuses the names)
TEXT_TARGET_MODULES = r".*\.layers\.\d+\.(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)"
_KEY_RE = re.compile(
    r"^(?P<module>(?:.*\.)?layers\.(?P<layer>\d+)\.(?P<target>self_attn\.[qkvo]_proj"
    r"|mlp\.(?:gate|up|down)_proj))\.lora_(?P<ab>[AB])(?:\.[^.]+)?\.weight$"
)


@dataclass(frozen=True)
class LoraTensors:
    """One adapter: per GGUF base name (``blk.0.attn_q``) its A and B, and the peft config."""

    pairs: dict[str, tuple[torch.Tensor, torch.Tensor]]
    modules: dict[str, str]  # GGUF base name -> peft module name, for the patterns
    config: dict[str, Any]


def _collect(state: Mapping[str, torch.Tensor], config: dict[str, Any]) -> LoraTensors:
    halves: dict[str, dict[str, torch.Tensor]] = {}
    modules: dict[str, str] = {}
    for key, tensor in state.items():
        match = _KEY_RE.match(key)
        if match is None or "visual." in key:
            raise UnsupportedModelError(
                f"cannot export LoRA tensor {key!r}: only the text model's q/k/v/o/gate/up/down "
                "projections are supported (no vision tower, embeddings, lm_head, DoRA, bias)"
            )
        name = f"blk.{match['layer']}.{TARGETS[match['target']]}"
        halves.setdefault(name, {})[match["ab"]] = tensor
        modules[name] = match["module"]
    pairs = {}
    for name, half in sorted(halves.items()):
        if set(half) != {"A", "B"}:
            raise UnsupportedModelError(f"LoRA for {name} lacks lora_A or lora_B")
        pairs[name] = (half["A"], half["B"])
    if not pairs:
        raise UnsupportedModelError("the adapter has no LoRA weights")
    return LoraTensors(pairs, modules, config)


def read_adapter_folder(folder: Path) -> LoraTensors:
    """Load ``adapter_config.json`` + ``adapter_model.safetensors`` written by peft."""
    from safetensors.torch import load_file

    folder = Path(folder)
    weights = folder / "adapter_model.safetensors"
    if not weights.exists():
        raise FileNotFoundError(f"{weights} not found (only safetensors adapters are supported)")
    config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    return _collect(load_file(str(weights)), config)


def read_peft_model(model: Any, adapter_name: str = "default") -> LoraTensors:
    """Take the LoRA of an in-memory ``PeftModel`` (its ``adapter_name`` adapter)."""
    from peft import get_peft_model_state_dict

    config = model.peft_config[adapter_name].to_dict()
    state = get_peft_model_state_dict(model, adapter_name=adapter_name,
                                      save_embedding_layers=False)
    return _collect(state, config)


def _pattern_value(patterns: Mapping[str, Any], module: str, default: Any) -> Any:
    for pattern, value in patterns.items():  # peft's rule: the pattern matches a name suffix
        if re.match(rf"(.*\.)?({pattern})$", module):
            return value
    return default


def module_scales(lora: LoraTensors) -> dict[str, float]:
    """peft's scale per GGUF base name: ``alpha / r`` (rsLoRA: ``alpha / sqrt(r)``)."""
    cfg = lora.config
    if cfg.get("use_dora"):
        raise UnsupportedModelError("DoRA adapters cannot be expressed as a GGUF LoRA")
    alpha, rslora = float(cfg.get("lora_alpha", 8)), bool(cfg.get("use_rslora", False))
    scales = {}
    for name, (a, _b) in lora.pairs.items():
        rank = int(a.shape[0])
        alpha_m = float(_pattern_value(cfg.get("alpha_pattern") or {}, lora.modules[name], alpha))
        scales[name] = alpha_m / (math.sqrt(rank) if rslora else rank)
    return scales


def gguf_alpha(lora: LoraTensors) -> float | None:
    """The one ``adapter.lora.alpha`` that gives every module its peft scale, if there is one
    (never 0, which llama.cpp reads as "no alpha")."""
    scales = module_scales(lora)
    alphas = [scales[n] * int(a.shape[0]) for n, (a, _b) in lora.pairs.items()]
    plain = not lora.config.get("use_rslora") and not lora.config.get("alpha_pattern")
    if plain:  # write peft's own alpha: bit-identical to llama.cpp's converter
        alphas = [float(lora.config.get("lora_alpha", 8))]
    first = alphas[0]
    uniform = all(math.isclose(x, first, rel_tol=1e-6) for x in alphas)
    return first if uniform and first != 0 else None


def base_arch(adapter: Path | Any) -> str:
    """The GGUF architecture of the base model of ``adapter`` (a peft folder or model).

    A folder whose base cannot be found (moved, or a hub id) is taken for ``qwen2vl``, the
    architecture every adapter had before Qwen3-VL; llama.cpp refuses a wrong guess on load.
    """
    if not isinstance(adapter, str | Path):
        return architecture(str(adapter.get_base_model().config.model_type)).gguf_arch
    config = json.loads((Path(adapter) / "adapter_config.json").read_text(encoding="utf-8"))
    base = config.get("base_model_name_or_path")
    try:
        return of_folder(Path(base)).gguf_arch if base else "qwen2vl"
    except UnsupportedArchitecture:
        if base and (Path(base) / "config.json").exists():
            raise
        return "qwen2vl"


def export_lora(adapter: Path | Any, out_path: Path, *, arch: str | None = None,
                dtype: Literal["f32", "f16"] = "f32", adapter_name: str = "default") -> Path:
    """Write ``adapter`` (a peft folder or a ``PeftModel``) as a GGUF LoRA for ``arch`` (by
    default its base model's: see :func:`base_arch`)."""
    arch = arch or base_arch(adapter)
    if arch not in gguf_archs():
        raise UnsupportedModelError(f"LoRA export supports the {', '.join(gguf_archs())} "
                                    f"architectures, not {arch!r}")
    if isinstance(adapter, str | Path):
        lora = read_adapter_folder(Path(adapter))
    else:
        lora = read_peft_model(adapter, adapter_name)
    alpha = gguf_alpha(lora)
    scales = module_scales(lora)

    def fill(writer: gguf.GGUFWriter) -> None:
        writer.add_type("adapter")
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 0.0 if alpha is None else alpha)
        for name, (a, b) in lora.pairs.items():
            add_tensor(writer, f"{name}.weight.lora_a", a, dtype)  # [r, in]
            folded = b if alpha is not None else b * scales[name]  # [out, r]
            add_tensor(writer, f"{name}.weight.lora_b", folded, dtype)

    return write_gguf(out_path, arch, fill)
