"""G samples of one prompt from a Qwen-VL model: the prompt is encoded once, its KV shared.

``transformers``' ``generate`` on ``n`` copies of a prompt runs the prompt (and its image) ``n``
times and spends most of a small model's step in per-token bookkeeping. Here the prompt goes
through the model once (batch 1), its KV cache is repeated ``n`` times, and a plain loop draws
each token from exactly the distribution :func:`learner.policy.token_logprobs` scores:
``softmax(logits / temperature)`` with the special tokens masked — no top-k, top-p or
repetition penalty from the model's ``generation_config``.

A model sharded over several processes (:mod:`learner.sharding`) runs every token through
the whole model instead (its sharding hooks sit there), and the loop ends when every rank's
samples are done: each forward needs all of them.

The design choice a reader must know: the text tokens after the prompt get M-RoPE positions
``max(prompt positions) + 1 + t`` on all three axes, as transformers gives them in ``generate``
(for a text-only prompt that is ``P + t``); an image prompt's positions come from the model's
own ``get_rope_index``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


def accepts(fn: Any, name: str) -> bool:
    """Whether ``fn`` takes the keyword ``name``: transformers renames and adds them between
    releases (``past_key_values`` became ``cache``; ``mm_encoder_outputs`` is recent).

    >>> accepts(lambda cache=None: 0, "cache"), accepts(lambda past_key_values=None: 0, "cache")
    (True, False)
    """
    import inspect

    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def next_position(base: Any, inputs: dict[str, Any]) -> int:
    """The M-RoPE position of the first token after the prompt in ``inputs`` (batch 1)."""
    ids = inputs["input_ids"]  # [1, P]
    if "mm_token_type_ids" not in inputs:
        return int(ids.shape[1])
    positions, _ = base.model.get_rope_index(ids, mm_token_type_ids=inputs["mm_token_type_ids"],
                                             image_grid_thw=inputs["image_grid_thw"])
    return int(positions.max()) + 1  # positions: [3, 1, P]


def draw(logits: torch.Tensor, temperature: float, generator: Any = None) -> torch.Tensor:
    """One token per row of ``logits`` ``[n, V]`` (already masked): argmax at temperature 0."""
    import torch

    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits / temperature, dim=-1)  # [n, V]
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def decode(model: Any, base: Any, inputs: dict[str, Any], n: int, *, max_new_tokens: int,
           temperature: float, eos_ids: list[int], pad_id: int, suppress_ids: list[int],
           stop: Callable[[], bool] | None = None) -> tuple[torch.Tensor, bool]:
    """``n`` completions ``[n, C]`` of the batch-1 prompt ``inputs`` (padded with ``pad_id``
    after each row's EOS) and whether ``stop`` ended the loop early.

    The prompt goes through the whole model (image included); each later token only through
    the language model and the LM head (the LoRA in them active as the model's is)."""
    import torch

    from learner.sharding import peers, together

    device = inputs["input_ids"].device
    start = next_position(base, inputs)
    whole = peers(model) is None  # a sharded model runs only whole forwards (its hooks)
    eos = torch.tensor(eos_ids, device=device)
    text, head = base.model.language_model, base.lm_head
    with torch.no_grad():
        out = model(**inputs, use_cache=True, logits_to_keep=1)
        cache = getattr(out, "cache", None)
        if cache is None:  # transformers before the rename
            cache = out.past_key_values
        cache_kwarg = "cache" if accepts(text.forward, "cache") else "past_key_values"
        root_kwarg = "cache" if accepts(base.forward, "cache") else "past_key_values"
        cache.batch_repeat_interleave(n)  # one prompt's KV, shared by the n samples
        logits = out.logits[:, -1, :].float().expand(n, -1)  # [n, V]
        banned = torch.zeros(logits.shape[-1], device=device)  # [V]: -inf at special tokens
        banned[suppress_ids] = float("-inf")
        pad = torch.full((n,), pad_id, dtype=torch.long, device=device)
        done = torch.zeros(n, dtype=torch.bool, device=device)
        tokens: list[torch.Tensor] = []
        for step in range(max_new_tokens):
            token = torch.where(done, pad, draw(logits + banned, temperature))  # [n]
            tokens.append(token)
            done = done | (token[:, None] == eos).any(-1)
            if stop is not None and stop():
                return torch.stack(tokens, dim=1), True
            if together(model, bool(done.all())) or step == max_new_tokens - 1:
                break
            position = torch.full((3, n, 1), start + step, dtype=torch.long, device=device)
            if whole:
                hidden = text(input_ids=token[:, None], position_ids=position, use_cache=True,
                              **{cache_kwarg: cache}).last_hidden_state  # [n, 1, H]
                logits = head(hidden[:, -1, :]).float()  # [n, V]
            else:
                logits = model(input_ids=token[:, None], position_ids=position, use_cache=True,
                               logits_to_keep=1, **{root_kwarg: cache}).logits[:, -1, :].float()
    return torch.stack(tokens, dim=1), False  # [n, C]
