"""The torch side of a LoRA-tuned Qwen-VL model: load, encode prompts, sample, score tokens.

The GRPO and SFT recipes see a model only through this module. ``Processor`` stands in for
transformers' Qwen-VL processors (which needs torchvision): the tokenizer of the model folder
plus :mod:`models.vision_input`, so training sees exactly the pixels the llama.cpp runtime sees
(the family already resized the screenshot with ``smart_resize``).

The design choice a reader must know: a prompt is the family's *rendered text* (``hf_text()``)
with one ``<|vision_start|><|image_pad|><|vision_end|>`` block that ``encode`` expands to the
image's token count — the same bytes the runtime sends, never a re-templated conversation.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
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

    def repeat(self, n: int) -> dict[str, torch.Tensor]:
        """Model keyword arguments for ``n`` copies of this prompt (for ``generate``).

        ``mm_token_type_ids`` marks the image's tokens: without it transformers gives them
        1-D positions instead of Qwen-VL's (t, h, w) M-RoPE positions — a model trained so
        would not be the model llama.cpp runs.
        """
        out = {"input_ids": self.input_ids.repeat(n, 1)}  # [n, P]
        if self.pixel_values is not None and self.image_grid_thw is not None:
            out["pixel_values"] = self.pixel_values.repeat(n, 1)  # [n*patches, 3*2*patch*patch]
            out["image_grid_thw"] = self.image_grid_thw.repeat(n, 1)  # [n, 3]
            assert self.image_mask is not None
            out["mm_token_type_ids"] = self.image_mask.repeat(n, 1)  # [n, P]
        return out

    def with_completion(self, completion: torch.Tensor) -> dict[str, torch.Tensor]:
        """Model keyword arguments for the prompt followed by ``completion`` ``[n, C]``."""
        import torch

        n, length = completion.shape
        out = self.repeat(n)
        device = completion.device
        out = {k: v.to(device) for k, v in out.items()}
        out["input_ids"] = torch.cat([out["input_ids"], completion], dim=1)  # [n, P+C]
        if "mm_token_type_ids" in out:
            zeros = torch.zeros((n, length), dtype=out["mm_token_type_ids"].dtype, device=device)
            out["mm_token_type_ids"] = torch.cat([out["mm_token_type_ids"], zeros], dim=1)
        out["attention_mask"] = torch.ones_like(out["input_ids"])
        return out


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
                    gradient_checkpointing: bool = False) -> Any:
    """The base model with a trainable LoRA: ``adapter_dir``'s weights, or a fresh one.

    The base is loaded as whatever supported architecture ``hf_dir/config.json`` names
    (Qwen2-VL, Qwen2.5-VL, Qwen3-VL; see :mod:`models.architectures`).

    On CUDA the base is bf16 (or 4-bit through bitsandbytes when asked and installed); the
    LoRA targets only the text model's projections, the ones the GGUF exporter writes.
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
    if not load_in_4bit:
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
    generated token; when it says so, sampling ends and ``Interrupted`` is raised.
    """
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Stop(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), bool(stop and stop()),
                              dtype=torch.bool, device=input_ids.device)

    inputs = {k: v.to(model.device) for k, v in enc.repeat(n).items()}
    greedy = temperature <= 0
    with torch.no_grad():
        out = model.generate(
            **inputs, attention_mask=torch.ones_like(inputs["input_ids"]),
            max_new_tokens=max_new_tokens, do_sample=not greedy,
            temperature=None if greedy else temperature, top_k=None if greedy else 0,
            top_p=None, eos_token_id=processor.eos_ids, pad_token_id=processor.pad_id,
            suppress_tokens=processor.suppress_ids,
            stopping_criteria=StoppingCriteriaList([_Stop()]) if stop else None)
    if stop is not None and stop():
        raise Interrupted("stopped while sampling")
    completion: torch.Tensor = out[:, enc.input_ids.shape[1]:]  # [n, C]
    return completion


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
    logits = model(**enc.with_completion(completion.to(model.device))).logits  # [n, P+C, V]
    logits = logits[:, -length - 1:-1, :].float()  # [n, C, V]: position t predicts token t+1
    if temperature > 0 and temperature != 1.0:
        logits = logits / temperature
    if suppress_ids:
        logits = logits.index_fill(-1, torch.tensor(suppress_ids, device=logits.device),
                                   float("-inf"))
    logp_all = torch.log_softmax(logits, dim=-1)  # [n, C, V]
    logp = logp_all.gather(-1, completion.to(model.device).unsqueeze(-1)).squeeze(-1)  # [n, C]
    entropy = -(logp_all.exp() * logp_all.clamp_min(-1e30)).sum(-1)  # [n, C] (0·-inf = 0)
    return logp, entropy
