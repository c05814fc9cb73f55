"""The torch side of a LoRA-tuned Qwen-VL model: load, encode prompts, sample, score tokens.

The GRPO and SFT recipes see a model only through this module. ``Processor`` stands in for
transformers' Qwen-VL processors (which needs torchvision): the tokenizer of the model folder
plus :mod:`models.vision_input`, so training sees exactly the pixels the llama.cpp runtime sees
(the family already resized the screenshot with ``smart_resize``).

The design choice a reader must know: a prompt is the family's *rendered text* (``hf_text()``)
with one ``<|vision_start|><|image_pad|><|vision_end|>`` block that ``encode`` expands to the
image's token count — the same bytes the runtime sends, never a re-templated conversation.
For GRPO, ``with_image_features`` runs the vision tower once per state (the LoRA never touches
it) and every later forward of that state reuses the features (transformers'
``mm_encoder_outputs``, deepstack included); ``sample`` (in :mod:`learner.sampling`) encodes
the prompt once and shares its KV cache among the G samples.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.gguf.lora import TEXT_TARGET_MODULES
from models.vision_input import ImageParams, image_token_count, vision_inputs

if TYPE_CHECKING:
    import torch

IMAGE_PAD = "<|image_pad|>"


@dataclass(frozen=True)
class Encoded:
    """One prompt as model inputs (``pixel_values`` None for a text-only prompt)."""

    input_ids: torch.Tensor  # [1, P]
    pixel_values: torch.Tensor | None  # [patches, 3*2*patch*patch] (1176 for Qwen2.5-VL)
    image_grid_thw: torch.Tensor | None  # [1, 3]
    image_mask: torch.Tensor | None = None  # [1, P] 1 at the image's tokens
    features: Any = None  # the vision tower's output for this image (no grad), or None

    def repeat(self, n: int) -> dict[str, Any]:
        """Model keyword arguments for ``n`` copies of this prompt.

        ``mm_token_type_ids`` marks the image's tokens: without it transformers gives them
        1-D positions instead of Qwen-VL's (t, h, w) M-RoPE positions — a model trained so
        would not be the model llama.cpp runs. With ``features`` the image is not encoded
        again: its features (and deepstack features) are handed over ``n`` times.
        """
        out: dict[str, Any] = {"input_ids": self.input_ids.repeat(n, 1)}  # [n, P]
        if self.pixel_values is not None and self.image_grid_thw is not None:
            if self.features is not None:
                out["mm_encoder_outputs"] = {"image": _repeat_features(self.features, n)}
            else:  # [n*patches, 3*2*patch*patch]
                out["pixel_values"] = self.pixel_values.repeat(n, 1)
            out["image_grid_thw"] = self.image_grid_thw.repeat(n, 1)  # [n, 3]
            assert self.image_mask is not None
            out["mm_token_type_ids"] = self.image_mask.repeat(n, 1)  # [n, P]
        return out

    def with_completion(self, completion: torch.Tensor) -> dict[str, Any]:
        """Model keyword arguments for the prompt followed by ``completion`` ``[n, C]``."""
        import torch

        n, length = completion.shape
        device = completion.device
        out = {k: v.to(device) if isinstance(v, torch.Tensor) else v
               for k, v in self.repeat(n).items()}
        out["input_ids"] = torch.cat([out["input_ids"], completion], dim=1)  # [n, P+C]
        if "mm_token_type_ids" in out:
            zeros = torch.zeros((n, length), dtype=out["mm_token_type_ids"].dtype, device=device)
            out["mm_token_type_ids"] = torch.cat([out["mm_token_type_ids"], zeros], dim=1)
        out["attention_mask"] = torch.ones_like(out["input_ids"])
        return out


def _repeat_features(features: Any, n: int) -> Any:
    """The vision output for ``n`` copies of one image: the same tensors, referenced ``n`` times
    (transformers concatenates them in image order, one image per row here)."""
    out = copy.copy(features)
    out.pooler_output = tuple(features.pooler_output) * n
    deepstack = getattr(features, "deepstack_features", None)
    if deepstack is not None:  # Qwen3-VL: per injected layer, one tensor per image
        out.deepstack_features = [tuple(layer) * n for layer in deepstack]
    return out


def with_image_features(model: Any, enc: Encoded) -> Encoded:
    """``enc`` with its image encoded once (no grad: the LoRA only adapts the text model, so the
    features are the same with the adapter on, off, in eval or in train mode)."""
    import torch

    from learner.sampling import accepts
    from learner.sharding import peers

    if enc.pixel_values is None or enc.image_grid_thw is None or enc.features is not None:
        return enc
    if peers(model) is not None:  # sharded: only whole forwards gather the vision weights
        return enc
    inner = _base(model).model  # the ForConditionalGeneration's multimodal model
    if not accepts(inner.forward, "mm_encoder_outputs"):  # older transformers: every forward
        return enc  # encodes the image again (the same result, more work)
    with torch.no_grad():
        features = inner.get_image_features(enc.pixel_values.to(model.device),
                                            enc.image_grid_thw.to(model.device),
                                            return_dict=True)
    return replace(enc, features=features)


def _base(model: Any) -> Any:
    """The transformers model under a peft wrapper (or the model itself)."""
    get = getattr(model, "get_base_model", None)
    return get() if callable(get) else model


class Processor:
    """Tokenizer + project image preprocessing (the part of HF's processor we need)."""

    def __init__(self, hf_dir: Path) -> None:
        from transformers import AutoTokenizer

        tokenizer: Any = AutoTokenizer.from_pretrained(str(hf_dir))
        self.tokenizer = tokenizer
        self.params = ImageParams.from_hf(Path(hf_dir))
        self.eos_ids = sorted({int(tokenizer.convert_tokens_to_ids(t))
                               for t in ("<|im_end|>", "<|endoftext|>")})
        self.pad_id = int(tokenizer.convert_tokens_to_ids("<|endoftext|>"))
        # special tokens a completion must never hold (an image pad there would break the
        # image/feature count): masked when sampling and when scoring alike
        self.suppress_ids = sorted(int(i) for i, tok in
                                   self.tokenizer.added_tokens_decoder.items()
                                   if tok.special and int(i) not in self.eos_ids)

    def encode(self, text: str, image: np.ndarray | None) -> Encoded:
        """Tokenize ``text`` (HF vision block form) with ``image`` (already family-resized)."""
        import torch

        if image is None:
            if IMAGE_PAD in text:
                raise ValueError("the prompt has an image block but no image was given")
            ids = self.tokenizer.encode(text, add_special_tokens=False)
            return Encoded(torch.tensor([ids], dtype=torch.long), None, None)
        if text.count(IMAGE_PAD) != 1:
            raise ValueError("a prompt must hold exactly one image block")
        vision = vision_inputs([image], self.params)
        grid = tuple(int(v) for v in vision["image_grid_thw"][0])
        count = image_token_count((grid[0], grid[1], grid[2]), self.params.merge_size)
        ids = self.tokenizer.encode(text.replace(IMAGE_PAD, IMAGE_PAD * count),
                                    add_special_tokens=False)
        pad = int(self.tokenizer.convert_tokens_to_ids(IMAGE_PAD))
        tensor = torch.tensor([ids], dtype=torch.long)
        return Encoded(tensor, vision["pixel_values"], vision["image_grid_thw"],
                       (tensor == pad).long())

    def target_ids(self, text: str) -> list[int]:
        """A completion's token ids, closed by ``<|im_end|>`` as the chat template ends a turn."""
        ids: list[int] = self.tokenizer.encode(text, add_special_tokens=False)
        return [*ids, int(self.tokenizer.convert_tokens_to_ids("<|im_end|>"))]

    def decode(self, ids: list[int]) -> str:
        text: str = self.tokenizer.decode(ids, skip_special_tokens=True)
        return text


def pick_device(prefer: str = "auto", local_rank: int = 0) -> str:
    """``cuda`` when present (or asked for), else ``cpu``; a data-parallel process with
    ``local_rank`` > 0 gets its own GPU, ``cuda:<local_rank>``."""
    import torch

    device = ("cuda" if torch.cuda.is_available() else "cpu") if prefer == "auto" else prefer
    if device == "cuda" and local_rank > 0:
        return f"cuda:{local_rank}"
    return device


def load_lora_model(hf_dir: Path, *, rank: int, alpha: int, adapter_dir: Path | None = None,
                    device: str = "cpu", load_in_4bit: bool = False,
                    gradient_checkpointing: bool = False, stay_on_cpu: bool = False) -> Any:
    """The base model with a trainable LoRA: ``adapter_dir``'s weights, or a fresh one.

    The base is loaded as whatever supported architecture ``hf_dir/config.json`` names
    (Qwen2-VL, Qwen2.5-VL, Qwen3-VL; see :mod:`models.architectures`).

    On CUDA the base is bf16 (or 4-bit through bitsandbytes when asked and installed); the
    LoRA targets only the text model's projections, the ones the GGUF exporter writes. With
    ``stay_on_cpu`` the model is made for ``device`` but left in CPU memory (a model sharded
    over several GPUs: :func:`learner.sharding.shard` moves each process's part).
    """
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model

    from learner.base_model import load_base

    kwargs: dict[str, Any] = {"dtype": torch.float32}
    load_in_4bit = load_in_4bit and device.startswith("cuda") and _has_bitsandbytes()
    if device.startswith("cuda"):
        kwargs["dtype"] = torch.bfloat16
        if load_in_4bit:
            from transformers import BitsAndBytesConfig

            kwargs["quantization_config"] = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
                load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16)
            kwargs["device_map"] = {"": torch.cuda.current_device()}
    base: Any = load_base(hf_dir, **kwargs)  # the architecture its config.json names
    if not load_in_4bit and not stay_on_cpu:
        base = base.to(device)
    if gradient_checkpointing:
        base.gradient_checkpointing_enable()
        base.enable_input_require_grads()
    with warnings.catch_warnings():  # peft 0.21 reads a transformers-5 deprecated property
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
        if adapter_dir is not None:
            model = PeftModel.from_pretrained(base, str(adapter_dir), is_trainable=True)
        else:
            config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0,
                                target_modules=TEXT_TARGET_MODULES)
            model = get_peft_model(base, config)
    return model


def _has_bitsandbytes() -> bool:
    import importlib.util
    import logging

    if importlib.util.find_spec("bitsandbytes") is None:
        logging.getLogger(__name__).warning("4-bit asked for but bitsandbytes is not installed; "
                                            "loading the base in bf16")
        return False
    return True


class Interrupted(Exception):
    """A stop was requested in the middle of sampling (SIGTERM): the step is abandoned."""


def sample(model: Any, enc: Encoded, n: int, *, max_new_tokens: int, temperature: float,
           processor: Processor, stop: Callable[[], bool] | None = None) -> torch.Tensor:
    """``n`` sampled completions of one prompt: ``[n, C]`` ids, padded with ``pad_id``.

    ``temperature`` 0 decodes greedily (for evaluation). ``stop`` is checked after every
    generated token; when it says so, sampling ends and ``Interrupted`` is raised. The prompt
    (and its image) is encoded once for the ``n`` samples (:mod:`learner.sampling`).
    """
    return sample_many(model, [enc], n, max_new_tokens=max_new_tokens, temperature=temperature,
                       processor=processor, stop=stop)[0]


def sample_many(model: Any, encs: Sequence[Encoded], n: int, *, max_new_tokens: int,
                temperature: float, processor: Processor, stop: Callable[[], bool] | None = None,
                generators: Sequence[Any] | None = None) -> list[torch.Tensor]:
    """:func:`sample` for several prompts at once (one ``[n, C]`` block each), in one
    sampling loop; ``generators``: each prompt's random stream (None: the global one)."""
    import torch

    from learner.sampling import decode_many

    prompts = [{k: v.to(model.device) if isinstance(v, torch.Tensor) else v
                for k, v in enc.repeat(1).items()} for enc in encs]
    completions, stopped = decode_many(
        model, _base(model), prompts, n, max_new_tokens=max_new_tokens,
        temperature=temperature, eos_ids=processor.eos_ids, pad_id=processor.pad_id,
        suppress_ids=processor.suppress_ids, stop=stop, generators=generators)
    if stopped or (stop is not None and stop()):
        raise Interrupted("stopped while sampling")
    return completions


def completion_mask(completion: torch.Tensor, eos_ids: list[int]) -> torch.Tensor:
    """1 for every token up to and including the first EOS, 0 after: ``[n, C]`` float.

    >>> import torch
    >>> completion_mask(torch.tensor([[5, 9, 7, 7], [9, 5, 5, 5]]), [9]).tolist()
    [[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    """
    import torch

    is_eos = torch.isin(completion, torch.tensor(eos_ids, device=completion.device))
    after = (is_eos.cumsum(dim=1) - is_eos.long()) > 0  # strictly after the first EOS
    return (~after).float()


def token_logprobs(model: Any, enc: Encoded, completion: torch.Tensor,
                   suppress_ids: list[int] | None = None, temperature: float = 1.0,
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities ``[n, C]`` of ``completion`` tokens and the entropy ``[n, C]`` there.

    Logits are divided by the sampling ``temperature``, so the probabilities are those of the
    distribution the completions were drawn from (as TRL does).
    """
    import torch

    n, length = completion.shape
    out = model(**enc.with_completion(completion.to(model.device)), logits_to_keep=length + 1)
    logits = out.logits[:, :-1, :].float()  # [n, C, V]: position t predicts token t+1
    if temperature > 0 and temperature != 1.0:
        logits = logits / temperature
    if suppress_ids:
        logits = logits.index_fill(-1, torch.tensor(suppress_ids, device=logits.device),
                                   float("-inf"))
    logp_all = torch.log_softmax(logits, dim=-1)  # [n, C, V]
    logp = logp_all.gather(-1, completion.to(model.device).unsqueeze(-1)).squeeze(-1)  # [n, C]
    entropy = -(logp_all.exp() * logp_all.clamp_min(-1e30)).sum(-1)  # [n, C] (0·-inf = 0)
    return logp, entropy
