"""The ``Policy`` seam: given the task, the history and a screenshot, propose one action.

``ModelPolicy`` runs the actor (a model family's prompt → the llama.cpp runtime, streaming →
the family's parser), ``ReplayPolicy`` replays a JSONL file of actions (DESIGN.md §3 form, or
Deskhand's own ``jsonl`` export); the scripted policy of the tests is ``tests.fakes.policy``.

The one design choice a reader must know: a policy never raises for a bad model output. An
output that does not parse (or points off the monitor) comes back as a ``Proposal`` with
``action=None`` and ``parse_error`` set; the loop records it as a failure and never acts on it.
A step the runtime refuses to run because mtmd resized the screenshot behind the family's back
(``ImageTokenMismatch``) comes back with ``refused`` set: a failed step that ends the episode,
since every later step would be refused the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agent.screen import Observation
from models.actions import Action, Done, dumps, from_json
from models.families.base import Family, HistoryStep, RenderedPrompt
from models.image_tokens import MTMD_MAX_IMAGE_TOKENS, ImageTokenMismatch
from models.runtime.config import RuntimeConfig

OnToken = Callable[[str], None]


@dataclass(frozen=True)
class PolicyRequest:
    task: str
    history: tuple[HistoryStep, ...]  # earlier steps, oldest first (already cut to length)
    observation: Observation


@dataclass(frozen=True)
class Proposal:
    """What a policy proposed: exactly one of ``action``, ``parse_error`` and ``refused`` is set
    (none when ``cancelled``)."""

    raw: str
    reasoning: str
    action: Action | None
    parse_error: str | None = None
    timings: Mapping[str, float] = field(default_factory=dict)  # seconds per phase
    cancelled: bool = False  # the generation was cut short (a stop)
    refused: str | None = None  # why the step could not run at all (nothing to act on)


class Policy(Protocol):
    def propose(self, request: PolicyRequest, on_token: OnToken | None = None) -> Proposal: ...

    def cancel(self) -> None:
        """Cut a running ``propose`` short (called from another thread on stop)."""
        ...


def parse_proposal(family: Family, raw: str, prompt_frame: Any,
                   cursor: tuple[int, int] | None, timings: Mapping[str, float] | None = None,
                   ) -> Proposal:
    """Raw text → ``Proposal`` through the family's parser; failures become ``parse_error``."""
    started = time.perf_counter()
    try:
        parsed = family.parse(raw, prompt_frame, cursor)
    except ValueError as exc:  # ParseError, FrameError, ActionError
        times = {**(timings or {}), "parse_s": time.perf_counter() - started}
        return Proposal(raw, "", None, str(exc) or type(exc).__name__, times)
    times = {**(timings or {}), "parse_s": time.perf_counter() - started}
    return Proposal(raw, parsed.reasoning, parsed.action, None, times)


class Generator(Protocol):
    """What ``ModelPolicy`` and ``ModelCritic`` need of ``models.runtime.LlamaRuntime``."""

    roles: dict[str, Path]
    config: RuntimeConfig

    def set_adapter(self, target: str | Path | None) -> None: ...

    def generate(self, prompt: RenderedPrompt, *, on_token: OnToken | None = ...,
                 greedy: bool = ..., max_new_tokens: int | None = ...) -> Any: ...

    def generate_many(self, prompts: Sequence[RenderedPrompt], *, greedy: bool = ...,
                      max_new_tokens: int | None = ...) -> list[Any]: ...

    def cancel(self) -> None: ...


def role_adapter(runtime: Generator, role: str) -> str | None:
    """The role name if the runtime has an adapter for it, else None (the base model)."""
    return role if role in runtime.roles else None


def image_budget(config: RuntimeConfig, max_new_tokens: int | None) -> tuple[int, int, int]:
    """(n_ctx, answer tokens, projector cap) that bound a screenshot on this runtime."""
    return (config.n_ctx, max_new_tokens or config.max_new_tokens,
            config.image_max_tokens or MTMD_MAX_IMAGE_TOKENS)


class ModelPolicy:
    """The actor: family prompt → runtime (streaming) → family parser.

    The family's pixel budget is clamped to the runtime (``Family.for_context``), so that
    prompt + screenshot + answer fit its context and mtmd never resizes the screenshot.
    """

    def __init__(self, runtime: Generator, family: Family, *, role: str = "actor",
                 greedy: bool = True, max_new_tokens: int | None = None) -> None:
        self.runtime = runtime
        self.family = family.for_context(*image_budget(runtime.config, max_new_tokens))
        self.role = role
        self.greedy = greedy
        self.max_new_tokens = max_new_tokens or None

    def propose(self, request: PolicyRequest, on_token: OnToken | None = None) -> Proposal:
        obs = request.observation
        started = time.perf_counter()
        prompt = self.family.build_prompt(request.task, request.history, obs.image, obs.monitor)
        built = time.perf_counter()
        self.runtime.set_adapter(role_adapter(self.runtime, self.role))
        try:
            gen = self.runtime.generate(prompt, on_token=on_token, greedy=self.greedy,
                                        max_new_tokens=self.max_new_tokens)
        except ImageTokenMismatch as exc:
            return Proposal("", "", None, timings={"prompt_s": built - started},
                            refused=str(exc))
        timings = {"prompt_s": built - started, **gen.timings.as_dict()}
        if gen.finish == "cancelled":
            return Proposal(gen.text, "", None, "cancelled", timings, cancelled=True)
        return parse_proposal(self.family, gen.text, prompt.frame, obs.cursor, timings)

    def cancel(self) -> None:
        self.runtime.cancel()


class ReplayError(ValueError):
    """A replay file cannot be read; the message names the line."""


def _replay_action(obj: Any) -> Action | None:
    """The action a replay line stands for (None: a recorded step with nothing to replay)."""
    if isinstance(obj, dict) and "format" in obj and "step" in obj:
        step = obj["step"] if isinstance(obj["step"], dict) else {}
        corrections = [j.get("corrected_action") for j in obj.get("judgments") or []
                       if isinstance(j, dict) and j.get("kind") == "correct"]
        if corrections and corrections[-1] is not None:
            return from_json(corrections[-1])  # what the person wanted is what to replay
        if step.get("outcome") in ("skipped", "blocked", "parse_failed", "interrupted"):
            return None
        return from_json(step["action"]) if step.get("action") is not None else None
    return from_json(obj)


def read_replay(lines: Iterable[str], where: str = "replay") -> list[Action]:
    """Actions of a replay file: one JSON action per line, or Deskhand ``jsonl`` records
    (of the file's first episode only). Blank lines and ``#`` comments are skipped.

    >>> read_replay(['{"type": "click", "x": 5, "y": 6}', '', '# note', '{"type": "type",'
    ...              ' "text": "hi"}'])
    [Click(x=5, y=6, button='left', count=1), Type(text='hi')]
    >>> read_replay(['{"type": "jump"}'])
    Traceback (most recent call last):
    ...
    agent.policy.ReplayError: replay line 1: unknown action type 'jump'
    """
    out: list[Action] = []
    episode: Any = None
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            obj = json.loads(text)
            if isinstance(obj, dict) and "format" in obj:
                key = (obj.get("episode") or {}).get("key")
                episode = key if episode is None else episode
                if key != episode:
                    continue
            action = _replay_action(obj)
        # ValueError: bad JSON (also numbers of more than 4300 digits) and ActionError, which
        # carries the vocabulary's bounds; RecursionError: JSON nested too deep
        except (ValueError, RecursionError, KeyError, TypeError, AttributeError) as exc:
            raise ReplayError(f"{where} line {number}: {str(exc)[:300]}") from None
        if action is not None:
            out.append(action)
    return out


class ReplayPolicy:
    """Replays actions from a file through the full loop; after the last one, ``done``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ReplayError(f"cannot read the replay file {self.path}: {exc}") from None
        self.actions = read_replay(text.splitlines(), str(self.path))
        self.position = 0

    def propose(self, request: PolicyRequest, on_token: OnToken | None = None) -> Proposal:
        if self.position >= len(self.actions):
            action: Action = Done(f"replayed {len(self.actions)} actions from {self.path.name}")
            reasoning = "the replay file is finished"
        else:
            action = self.actions[self.position]
            self.position += 1
            reasoning = f"replay {self.position}/{len(self.actions)} from {self.path.name}"
        raw = dumps(action)
        if on_token is not None:
            on_token(raw)
        return Proposal(raw, reasoning, action)

    def cancel(self) -> None:
        pass
