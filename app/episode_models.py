"""The models of an episode, for every face: the actor and the critic from the catalogue, on
llama.cpp runtimes loaded once, with the registry's active adapters attached.

``deskhand run``, the app's chat page, ``deskhand eval`` and ``deskhand bench learning`` all
get their policy and critic here, so an episode acts with the same model, the same adapter and
the same settings whichever face started it. Qt-free: the app wraps the errors in its own words.

The design choice a reader must know: a runtime is keyed by the model file's hash and kept
until ``close``, so the next episode reuses the loaded base model; the adapters are looked up
again at the start of *every* episode, so a version promoted overnight (or rolled back) is used
at once without reloading the base. An adapter that does not fit the running model is not
dropped silently: ``warnings`` says so, and the faces show it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.critic import ModelCritic
from agent.episode import EpisodeMeta
from agent.paths import Paths
from agent.policy import ModelPolicy
from agent.settings import AgentConfig

HOW_TO_ADD = ("add one with `deskhand models download` (a recommended model), "
              "`deskhand models add GGUF --mmproj MMPROJ` (your own files) or "
              "`deskhand models add-demo` (a small model for the practice desktop), then "
              "`deskhand models use NAME`")


class ModelSetupError(Exception):
    """No model for a role, a missing file, an unreadable catalogue; the message says what."""


@dataclass
class ModelStack:
    """Loaded runtimes for one home's catalogue (see the module doc)."""

    paths: Paths
    runtime_config: Any = None  # models.runtime.RuntimeConfig; None: its defaults
    how_to_add: str = HOW_TO_ADD
    warnings: list[str] = field(default_factory=list)
    _runtimes: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def model(self, role: str) -> Any:
        """The catalogue's model for ``role`` (``actor`` / ``critic``)."""
        from models.hub import Catalogue, CatalogueError

        try:
            found = Catalogue.load(self.paths.models_dir).model_for(role)
        except CatalogueError as exc:
            raise ModelSetupError(str(exc)) from None
        if found is None:
            what = "actor model" if role == "actor" else "critic model (--critic needs one)"
            raise ModelSetupError(f"no {what} is configured: {self.how_to_add}")
        return found

    def runtime(self, model: Any) -> Any:
        from models.runtime import LlamaRuntime, RuntimeConfig

        key = f"{model.name}:{model.sha256}"
        with self._lock:
            if key not in self._runtimes:
                for path in (model.gguf, model.mmproj):
                    if not Path(path).exists():
                        raise ModelSetupError(f"model {model.name!r}: the file {path} is "
                                              "missing; remove the model and add it again")
                self._runtimes[key] = LlamaRuntime(Path(model.gguf), Path(model.mmproj),
                                                   self.runtime_config or RuntimeConfig())
            return self._runtimes[key]

    def actor(self, agent: AgentConfig) -> tuple[ModelPolicy, EpisodeMeta]:
        """The actor policy with its active adapter, and what the episode row says of it."""
        from models.families.base import get_family

        model = self.model("actor")
        runtime = self.runtime(model)
        version = self._attach(runtime, "actor")
        policy = ModelPolicy(runtime, get_family(agent.family or model.family),
                             greedy=agent.greedy, max_new_tokens=agent.max_new_tokens)
        return policy, EpisodeMeta(actor_model=f"{model.name} ({model.sha256[:12]})",
                                   actor_adapter=version)

    def critic(self, agent: AgentConfig) -> tuple[ModelCritic | None, str | None, str | None]:
        """(critic or None when off, its model's name, its adapter version)."""
        if agent.critic == "off":
            return None, None, None
        model = self.model("critic")
        runtime = self.runtime(model)
        version = self._attach(runtime, "critic")
        from models.families.base import get_family

        critic = ModelCritic(runtime, with_reasoning=agent.critic_reasoning,
                             max_new_tokens=agent.max_new_tokens,
                             family=get_family(model.family))
        return critic, f"{model.name} ({model.sha256[:12]})", version

    def _attach(self, runtime: Any, role: str) -> str | None:
        from app.adapters import attach_active_adapters

        versions, problems = attach_active_adapters(runtime, self.paths, (role,))
        self.warnings.extend(problems)
        return versions.get(role)

    def close(self) -> None:
        """Unload every runtime (the face is closing)."""
        with self._lock:
            for runtime in self._runtimes.values():
                runtime.close()
            self._runtimes.clear()
