"""The real parts of an app episode: the actor and critic, the screen, the mouse and keyboard,
and the person's controls.

``DesktopParts`` is the parts factory the chat page uses in the app (tests inject their own
with the same call shape, ``app.gui.chat.worker.PartsFactory``). The models come from
``app.episode_models.ModelStack`` and the desktop side from ``app.episode_controls`` — the
very wiring ``deskhand run`` uses — with the app's own windows masked out of every screenshot
and never recorded; this module only words what they report as the app does.

The one design choice a reader must know: the llama.cpp runtime is loaded once (on the first
episode, on the episode thread, never the UI thread) and kept for the next episodes; the
per-episode pieces (listeners, the screen) are closed when the episode ends.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from agent.actuator import StopToken
from agent.episode import EpisodeMeta
from agent.paths import Paths
from agent.policy import Policy
from agent.settings import AgentConfig
from app.config import DeskhandConfig
from app.episode_controls import Notice, SetupError, open_desktop
from app.episode_models import ModelSetupError, ModelStack
from app.gui.chat.worker import EpisodeRequest, EpisodeSetup

NO_MODEL = ("open the Models page (Ctrl+3) to download a recommended model, pick your own GGUF "
            "files, or add the demo model")
PolicyFactory = Callable[[AgentConfig], tuple[Policy, EpisodeMeta]]
NOTICES = {
    "hotkey": "The global stop hotkey is not available ({detail}); use the Stop button or Esc.",
    "takeover": "Noticing your own input is not available here ({detail}).",
}


class DesktopParts:
    """Builds the real parts for each episode; keeps the model runtimes between episodes."""

    def __init__(self, paths: Paths, config: DeskhandConfig | Callable[[], DeskhandConfig],
                 policy_factory: PolicyFactory | None = None,
                 warn: Callable[[str], None] | None = None,
                 on_pause: Callable[[str], None] | None = None) -> None:
        self.paths = paths
        # a callable: read at each episode, so a save on the Settings page applies to the next
        self._config = config if callable(config) else (lambda: config)
        self.policy_factory = policy_factory  # None: the actor from the catalogue
        self.warn = warn or (lambda message: None)
        self.on_pause = on_pause  # the person's input paused the agent (a listener thread)
        self._models: ModelStack | None = None

    def __call__(self, request: EpisodeRequest, stop: StopToken) -> EpisodeSetup:
        agent = request.agent
        policy, meta = (self.policy_factory(agent) if self.policy_factory is not None
                        else self._actor(agent))
        critic, critic_name = self._critic(agent)
        if critic_name:
            meta = EpisodeMeta(meta.actor_model, meta.actor_adapter, critic_name)
        stack = ExitStack()
        try:
            desktop = open_desktop(self.paths, self.config, agent, stop, stack, face="app",
                                   own_rects=request.own_rects, on_pause=self._paused)
        except SetupError as exc:
            stack.close()
            raise SetupError(_sentence(str(exc))) from None
        except BaseException:
            stack.close()
            raise
        for notice in desktop.notices:
            self.warn(_notice(notice))
        return EpisodeSetup(screen=desktop.screen, actuator=desktop.actuator, policy=policy,
                            critic=critic, recorder=desktop.recorder, paused=desktop.paused,
                            meta=meta, safety=self.config.safety, close=stack.close,
                            resume=desktop.resume, wrap_gate=desktop.gate)

    @property
    def config(self) -> DeskhandConfig:
        return self._config()

    def close(self) -> None:
        """Unload the models (the app is closing)."""
        if self._models is not None:
            self._models.close()

    # -- models (one wiring for every face: app.episode_models) ---------------------------
    @property
    def models(self) -> ModelStack:
        if self._models is None:
            self._models = ModelStack(self.paths, getattr(self.config, "runtime", None),
                                      how_to_add=NO_MODEL)
        return self._models

    def _actor(self, agent: AgentConfig) -> tuple[Policy, EpisodeMeta]:
        try:
            return self.models.actor(agent)
        except ModelSetupError as exc:
            raise SetupError(_sentence(str(exc))) from None
        finally:
            self._say_problems()

    def _critic(self, agent: AgentConfig) -> tuple[Any, str | None]:
        try:
            critic, name, version = self.models.critic(agent)
        except ModelSetupError as exc:
            raise SetupError(_sentence(str(exc))) from None
        finally:
            self._say_problems()
        return critic, (name + (f" + {version}" if version else "")) if name else None

    def _say_problems(self) -> None:
        """Adapters that could not be used: shown on the chat page, never only logged."""
        while self.models.warnings:
            self.warn(_sentence(self.models.warnings.pop(0)))

    def _paused(self, description: str) -> None:  # a listener thread: only hand it over
        self.warn(f"Paused: you are using the computer ({description}). The agent waits "
                  "until you press Resume (or Stop).")
        if self.on_pause is not None:
            self.on_pause(description)


def _notice(notice: Notice) -> str:
    return NOTICES[notice.kind].format(detail=notice.detail)


def _sentence(text: str) -> str:
    """A core message as the app writes it: a capital first letter and a full stop.

    >>> _sentence("no actor model is configured: open the Models page")
    'No actor model is configured: open the Models page.'
    """
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
