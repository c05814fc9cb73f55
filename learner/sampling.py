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

from collections.abc import Callable, Sequence
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


def left_padded(base: Any, prompts: Sequence[dict[str, Any]],
                pad_id: int) -> tuple[dict[str, Any], torch.Tensor, torch.Tensor | None]:
    """Several batch-1 prompts as one batch, padded on the left: the model inputs, each row's
    next M-RoPE position ``[S]``, and the attention mask ``[S, P]`` (None for one prompt,
    which needs neither padding nor a mask).

    Images stay in prompt order (pixel values, or encoded features, joined); positions come
    from the model's ``get_rope_index`` over the real tokens only."""
    import torch

    if len(prompts) == 1:
        start = next_position(base, prompts[0])
        return dict(prompts[0]), torch.tensor([start]), None
    device = prompts[0]["input_ids"].device
    width = max(int(p["input_ids"].shape[1]) for p in prompts)

    def pad(tensor: torch.Tensor, value: int) -> torch.Tensor:  # [1, L] -> [1, width]
        fill = torch.full((1, width - tensor.shape[1]), value, dtype=tensor.dtype, device=device)
        return torch.cat([fill, tensor.to(device)], dim=1)

    ids = torch.cat([pad(p["input_ids"], pad_id) for p in prompts])  # [S, P]
    mask = torch.cat([pad(torch.ones_like(p["input_ids"]), 0) for p in prompts])  # [S, P]
    inputs: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
    images = [p for p in prompts if "image_grid_thw" in p]
    if images:
        types = [p.get("mm_token_type_ids", torch.zeros_like(p["input_ids"])) for p in prompts]
        inputs["mm_token_type_ids"] = torch.cat([pad(t, 0) for t in types])  # [S, P]
        inputs["image_grid_thw"] = torch.cat([p["image_grid_thw"] for p in images])  # [I, 3]
        encoded = [p["mm_encoder_outputs"]["image"] for p in images if "mm_encoder_outputs" in p]
        if encoded and len(encoded) != len(images):
            raise ValueError("either every image prompt comes encoded or none does")
        if encoded:
            inputs["mm_encoder_outputs"] = {"image": joined_features(encoded)}
        else:
            inputs["pixel_values"] = torch.cat([p["pixel_values"] for p in images])
        positions, _ = base.model.get_rope_index(
            ids, mm_token_type_ids=inputs["mm_token_type_ids"],
            image_grid_thw=inputs["image_grid_thw"], attention_mask=mask)  # [3, S, P]
    else:
        positions = (mask.cumsum(-1) - 1).clamp_min(0).unsqueeze(0).expand(3, -1, -1)
    positions = positions.to(device)
    inputs["position_ids"] = positions
    start = positions.masked_fill(mask.unsqueeze(0) == 0, -1).amax(dim=(0, 2)) + 1  # [S]
    return inputs, start, mask


def joined_features(features: Sequence[Any]) -> Any:
    """Several prompts' encoded images as one batch's (one image per prompt, in order)."""
    import copy

    out = copy.copy(features[0])
    out.pooler_output = tuple(t for f in features for t in f.pooler_output)
    if getattr(out, "deepstack_features", None) is not None:  # Qwen3-VL: per injected layer
        out.deepstack_features = [tuple(t for f in features for t in f.deepstack_features[k])
                                  for k in range(len(out.deepstack_features))]
    return out


def decode(model: Any, base: Any, inputs: dict[str, Any], n: int, *, max_new_tokens: int,
           temperature: float, eos_ids: list[int], pad_id: int, suppress_ids: list[int],
           stop: Callable[[], bool] | None = None) -> tuple[torch.Tensor, bool]:
    """``n`` completions ``[n, C]`` of the batch-1 prompt ``inputs`` (padded with ``pad_id``
    after each row's EOS) and whether ``stop`` ended the loop early (:func:`decode_many`)."""
    outs, stopped = decode_many(model, base, [inputs], n, max_new_tokens=max_new_tokens,
                                temperature=temperature, eos_ids=eos_ids, pad_id=pad_id,
                                suppress_ids=suppress_ids, stop=stop)
    return outs[0], stopped


def decode_many(model: Any, base: Any, prompts: Sequence[dict[str, Any]], n: int, *,
                max_new_tokens: int, temperature: float, eos_ids: list[int], pad_id: int,
                suppress_ids: list[int], stop: Callable[[], bool] | None = None,
                generators: Sequence[Any] | None = None) -> tuple[list[torch.Tensor], bool]:
    """``n`` completions of each batch-1 prompt, all sampled in one loop: per prompt
    ``[n, C]`` ids (padded with ``pad_id`` after each row's EOS; C the longest of its rows),
    and whether ``stop`` ended the loop early. ``generators``: one per prompt, its samples'
    random stream (None: the global one).

    The prompts go through the whole model together, left-padded (image included); each later
    token only through the language model and the LM head (the LoRA in them active as the
    model's is)."""
    import torch

    from learner.sharding import peers, together

    whole = peers(model) is None  # a sharded model runs only whole forwards (its hooks)
    inputs, start, mask = left_padded(base, prompts, pad_id)
    device = inputs["input_ids"].device
    rows = n * len(prompts)
    start = start.to(device).repeat_interleave(n)  # [rows]
    eos = torch.tensor(eos_ids, device=device)
    text, head = base.model.language_model, base.lm_head
    with torch.no_grad():
        out = model(**inputs, use_cache=True, logits_to_keep=1)
        cache = getattr(out, "cache", None)
        if cache is None:  # transformers before the rename
            cache = out.past_key_values
        cache_kwarg = "cache" if accepts(text.forward, "cache") else "past_key_values"
        root_kwarg = "cache" if accepts(base.forward, "cache") else "past_key_values"
        cache.batch_repeat_interleave(n)  # each prompt's KV, shared by its n samples
        logits = out.logits[:, -1, :].float().repeat_interleave(n, dim=0)  # [rows, V]
        masks = None if mask is None else mask.repeat_interleave(n, dim=0)  # [rows, P]
        banned = torch.zeros(logits.shape[-1], device=device)  # [V]: -inf at special tokens
        banned[suppress_ids] = float("-inf")
        pad = torch.full((rows,), pad_id, dtype=torch.long, device=device)
        done = torch.zeros(rows, dtype=torch.bool, device=device)
        tokens: list[torch.Tensor] = []
        for step in range(max_new_tokens):
            drawn = (draw(logits + banned, temperature) if generators is None else
                     torch.cat([draw(part + banned, temperature, gen) for part, gen in
                                zip(logits.split(n), generators, strict=True)]))  # [rows]
            token = torch.where(done, pad, drawn)
            tokens.append(token)
            done = done | (token[:, None] == eos).any(-1)
            if stop is not None and stop():
                return _per_prompt(tokens, n, eos_ids), True
            if together(model, bool(done.all())) or step == max_new_tokens - 1:
                break
            position = (start + step).view(1, rows, 1).expand(3, -1, -1)  # [3, rows, 1]
            extra: dict[str, Any] = {}
            if masks is not None:  # the new token attends to its row's real tokens
                masks = torch.cat([masks, torch.ones_like(masks[:, :1])], dim=1)
                extra["attention_mask"] = masks
            if whole:
                hidden = text(input_ids=token[:, None], position_ids=position, use_cache=True,
                              **extra, **{cache_kwarg: cache}).last_hidden_state  # [rows, 1, H]
                logits = head(hidden[:, -1, :]).float()  # [rows, V]
            else:
                logits = model(input_ids=token[:, None], position_ids=position, use_cache=True,
                               logits_to_keep=1, **extra,
                               **{root_kwarg: cache}).logits[:, -1, :].float()
    return _per_prompt(tokens, n, eos_ids), False


def _per_prompt(tokens: list[torch.Tensor], n: int, eos_ids: list[int]) -> list[torch.Tensor]:
    """The loop's ``[rows]`` tokens as one ``[n, C]`` block per prompt, each cut after the
    step where its last row ended (the batch's longer rows only added padding)."""
    import torch

    from learner.policy import completion_mask

    out = []
    for block in torch.split(torch.stack(tokens, dim=1), n):  # [n, C_all] each
        length = int(completion_mask(block, eos_ids).sum(1).max())
        out.append(block[:, :max(1, length)])
    return out
