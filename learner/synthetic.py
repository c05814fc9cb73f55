"""A synthetic, learnable desktop task for the learning tests and ``deskhand bench learner``.

The screen is ``cells`` outlined squares in a row, ``cell`` pixels each, and its colour says
which square to click (red: the first, blue: the second, ...). The actor must click that
square, written in the Deskhand family's ``<think></think><answer>{json}</answer>`` format;
the reward model must judge whether a proposed click hits it. The colour is visible only in
the image: the task text is the same for every screen.

The design choice a reader must know: warm-start targets (``format_examples``,
``verdict_examples``) give every prompt *each* answer once, so a warm-started model knows the
format but chooses at chance — whatever it gains on the holdout afterwards was learned by GRPO
from the reward, not copied from labels.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from learner.grpo import Prompted
from learner.sft import Example
from models.actions import Click
from models.families.base import HF_VISION_BLOCK, ParseError, get_family
from models.families.critic import format_verdict
from models.frames import Frame, Monitor

TASK = "The screen is red or blue. If it is red, click the left square; if blue, the right one."
COLOURS = ((220, 40, 40), (40, 60, 220), (40, 180, 60), (230, 200, 40))
EDGE = (20, 20, 20)


@dataclass(frozen=True)
class Screen:
    """One synthetic screenshot: the squares' centres and which one is the answer."""

    image: np.ndarray  # [cell, cell*cells, 3] uint8
    lit: int  # the square to click: the one the screen's colour names
    centres: tuple[tuple[int, int], ...]
    cell: int

    @property
    def monitor(self) -> Monitor:
        return Monitor(0, 0, self.image.shape[1], self.image.shape[0])

    def box(self, index: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of square ``index``, right/bottom exclusive."""
        return (index * self.cell, 0, (index + 1) * self.cell, self.cell)


def screen(lit: int, cells: int = 2, cell: int = 56) -> Screen:
    """A row of ``cells`` outlined squares on a screen coloured ``COLOURS[lit]``.

    The answer is a global feature of the image (its colour), not a local one, so a tiny
    random model can learn it within a test's time; the click must still land in the box.

    >>> s = screen(1, cells=2)
    >>> s.image.shape, s.centres, tuple(int(v) for v in s.image[20, 80])
    ((56, 112, 3), ((28, 28), (84, 28)), (40, 60, 220))
    """
    image = np.empty((cell, cell * cells, 3), dtype=np.uint8)
    image[:] = COLOURS[lit]
    for i in range(cells):
        left = i * cell
        image[:2, left:left + cell] = image[-2:, left:left + cell] = EDGE
        image[:, left:left + 2] = image[:, left + cell - 2:left + cell] = EDGE
    centres = tuple((i * cell + cell // 2, cell // 2) for i in range(cells))
    return Screen(image, lit, centres, cell)


def screens(n: int, seed: int, cells: int = 2) -> list[Screen]:
    """``n`` screens; every block of ``cells`` consecutive screens holds each answer once
    (in a seeded order), so any batch of whole blocks is balanced.

    >>> [s.lit for s in screens(6, seed=0)]
    [0, 1, 0, 1, 1, 0]
    """
    rng = random.Random(seed)
    lit: list[int] = []
    while len(lit) < n:
        block = list(range(cells))
        rng.shuffle(block)
        lit.extend(block)
    return [screen(k, cells) for k in lit[:n]]


def sharpened_base(hf_dir: Path, out_dir: Path, gain: float = 8.0) -> Path:
    """A copy of a tiny random model whose final RMSNorm weight is multiplied by ``gain``.

    A random 64-wide model's logits span about ±1 (norm output ‖h‖ = 8, lm_head rows ‖w‖ ≈
    0.16), so no LoRA on its projections can make any token more likely than ~1%: real
    models have peaked logits. The gain gives the tiny base a realistic logit scale while the
    LoRA still trains only the projections the GGUF exporter writes.
    """
    from safetensors.torch import load_file, save_file

    out = Path(out_dir) / f"sharpened-{gain:g}"
    if (out / "model.safetensors").exists():
        return out
    staging = Path(out_dir) / f".staging-sharpened-{gain:g}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(hf_dir, staging)
    weights = load_file(str(staging / "model.safetensors"))
    weights["model.norm.weight"] = weights["model.norm.weight"] * gain
    save_file(weights, str(staging / "model.safetensors"), metadata={"format": "pt"})
    staging.rename(out)
    return out


def warm_started_base(hf_dir: Path, out_dir: Path, examples: Sequence[Example], *,
                      steps: int, seed: int = 0, lr: float = 1e-2) -> Path:
    """A base that already writes the output format: SFT a LoRA on ``examples``, merge it.

    This stands in for pretraining (a real base already knows the format), so an RL run
    starts from a *fresh* LoRA on top and its KL reference — the adapter disabled — writes the
    format. ``examples`` come in pairs (one prompt, two different answers) and every batch is
    one pair, so the answer's probability settles at one half: the base answers at chance.
    """
    import torch

    from learner.policy import Processor, load_lora_model
    from learner.sft import sft_step

    out = Path(out_dir)
    if (out / "model.safetensors").exists():
        return out
    torch.manual_seed(seed)
    processor = Processor(hf_dir)
    model = load_lora_model(hf_dir, rank=16, alpha=32)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    pairs = [list(examples[i:i + 2]) for i in range(0, len(examples) - 1, 2)]
    for step in range(steps):
        if step == steps * 3 // 4:  # settle
            for group in optimizer.param_groups:
                group["lr"] = lr / 10
        sft_step(model, processor, optimizer, pairs[step % len(pairs)])
    staging = out.parent / f".staging-{out.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(hf_dir, staging)
    model.merge_and_unload().save_pretrained(str(staging))
    try:
        staging.rename(out)
    except OSError:  # another process finished the same build first
        shutil.rmtree(staging, ignore_errors=True)
    return out


# -- the actor's task --------------------------------------------------------------------

def actor_state(s: Screen) -> tuple[Prompted, Frame]:
    """The prompt for one screen; reward columns: the frame and the target box.

    The answer is written in the Deskhand family's format and frame, but the prompt is short
    (task + screenshot, no system turn): the family's 600-token system prompt would make every
    test step ten times slower and is not what these tests are about.
    """
    family = get_family("deskhand")
    frame = family.frame(s.monitor)
    text = (f"<|im_start|>user\n{TASK}\n{HF_VISION_BLOCK}<|im_end|>\n"
            "<|im_start|>assistant\n")
    columns = {"frame": frame, "target_box": s.box(s.lit)}
    return Prompted(text, s.image, columns), frame


def click_reward(completions: list[str], frame: list[Frame],
                 target_box: list[tuple[int, int, int, int]], **_: object) -> list[float]:
    """1 for a parseable click inside the target box, else 0 (a verifiable reward).

    >>> s = screen(1)
    >>> state, fr = actor_state(s)
    >>> hit = '<answer>{"type": "click", "x": 84, "y": 28}</answer>'
    >>> miss = '<answer>{"type": "click", "x": 28, "y": 28}</answer>'
    >>> click_reward([hit, miss, "no"], [fr] * 3, [s.box(1)] * 3)
    [1.0, 0.0, 0.0]
    """
    family = get_family("deskhand")
    out = []
    for text, fr, (left, top, right, bottom) in zip(completions, frame, target_box, strict=True):
        try:
            action = family.parse(text, fr).action
        except ParseError:
            out.append(0.0)
            continue
        inside = isinstance(action, Click) and left <= action.x < right and top <= action.y < bottom
        out.append(1.0 if inside else 0.0)
    return out


def format_reward(completions: list[str], frame: list[Frame], **_: object) -> list[float]:
    """1 for output the Deskhand parser reads, else 0."""
    family = get_family("deskhand")
    out = []
    for text, fr in zip(completions, frame, strict=True):
        try:
            family.parse(text, fr)
            out.append(1.0)
        except ParseError:
            out.append(0.0)
    return out


def format_examples(items: Sequence[Screen]) -> list[Example]:
    """Warm-start targets in pairs: each screen clicking its first and its last square —
    the format, with no preference between answers (see the module doc)."""
    family = get_family("deskhand")
    out = []
    for s in items:
        state, frame = actor_state(s)
        for x, y in (s.centres[0], s.centres[-1]):
            out.append(Example(state.text, state.image,
                               family.format_action(Click(x, y), frame)))
    return out


def right_examples(items: Sequence[Screen]) -> list[Example]:
    """Each screen with its right click: what a person's corrections teach."""
    family = get_family("deskhand")
    out = []
    for s in items:
        state, frame = actor_state(s)
        out.append(Example(state.text, state.image,
                           family.format_action(Click(*s.centres[s.lit]), frame)))
    return out


def recoloured(s: Screen) -> Screen:
    """The same screen in the colour two further on (green for red, yellow for blue): the
    actor's base is warm-started on these, so it writes the format and reads colours, but has
    never been told which square red and blue mean.

    >>> tuple(int(v) for v in recoloured(screen(0)).image[20, 20])
    (40, 180, 60)
    """
    image = s.image.copy()
    image[(image == np.array(COLOURS[s.lit], np.uint8)).all(-1)] = COLOURS[2 + s.lit]
    return Screen(image, s.lit, s.centres, s.cell)


# -- the reward model's task -------------------------------------------------------------

def square_name(index: int, cells: int) -> str:
    """The words for square ``index`` of ``cells``: LEFT/RIGHT for two, else its number.

    >>> square_name(0, 2), square_name(1, 2), square_name(2, 3)
    ('LEFT', 'RIGHT', 'number 3')
    """
    return ("LEFT", "RIGHT")[index] if cells == 2 else f"number {index + 1}"


def critic_state(s: Screen, candidate: int, with_reasoning: bool = False) -> Prompted:
    """A short critic prompt for "click square ``candidate``"; label: it is the answer.

    Short for the same reason as :func:`actor_state`; the verdict is written in the critic
    format of :mod:`models.families.critic` (``<score>…</score>``, after ``<think>`` with
    reasoning) and read by its parser. The proposal is named in words *after* the
    screenshot, right before the answer, as in the product's critic prompt: the label is the
    XOR of the screen's colour and the proposal, and with it there the test's GRPO run
    reached held-out accuracy 1.0 in 90 steps, against 0.75 with "click at (x, y)" before
    the screenshot (measured, same seed and settings).
    """
    form = "<think>why</think><score>0 or 1</score>" if with_reasoning else "<score>0 or 1</score>"
    text = (f"<|im_start|>user\n{TASK}\n{HF_VISION_BLOCK}\n"
            f"Proposed: click the {square_name(candidate, len(s.centres))} square. "
            f"Is it right? Answer {form}.<|im_end|>\n<|im_start|>assistant\n")
    label = 1.0 if candidate == s.lit else 0.0
    return Prompted(text, s.image, {"label": label})


def critic_states(items: Sequence[Screen], with_reasoning: bool = False,
                  seed: int = 0) -> list[Prompted]:
    """Two critic states per screen, one right and one wrong proposal in a seeded order:
    labels are balanced and the colour alone says nothing, so a reward model must read
    the proposal too.

    >>> [s.columns["label"] for s in critic_states(screens(2, seed=0))]
    [1.0, 0.0, 1.0, 0.0]
    """
    rng = random.Random(seed)
    out: list[Prompted] = []
    for s in items:
        others = [i for i in range(len(s.centres)) if i != s.lit]
        candidates = [s.lit, others[0] if len(others) == 1 else rng.choice(others)]
        rng.shuffle(candidates)
        out.extend(critic_state(s, c, with_reasoning) for c in candidates)
    return out


def verdict_examples(states: Sequence[Prompted], with_reasoning: bool = False,
                     ) -> list[Example]:
    """Warm-start targets for the critic in pairs: each state scored 0 and scored 1."""
    return [Example(s.text, s.image, format_verdict(score, "", with_reasoning))
            for s in states for score in (0.0, 1.0)]
