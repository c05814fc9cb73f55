"""The real parts of an app episode: the screen, mouse and keyboard, the actor, the controls.

``DesktopParts`` is the parts factory the chat page uses in the app (tests inject fakes with
the same call shape, ``app.gui.chat.worker.PartsFactory``). It builds what ``deskhand run``
builds — ``MssScreen``, ``PyAutoGuiActuator``, ``ModelPolicy`` from the catalogue, the critic
when asked, the stop hotkey, takeover detection and the "let me do it" recorder — with the
app's own windows masked out of every screenshot and ignored by the recorder.

The one design choice a reader must know: the llama.cpp runtime is loaded once (on the first
episode, on the episode thread, never the UI thread) and kept for the next episodes; the
per-episode pieces (listeners, the screen) are closed when the episode ends.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from agent.actuator import StopToken
from agent.episode import EpisodeMeta
from agent.paths import Paths
from agent.policy import Policy
from agent.settings import AgentConfig
from app.config import DeskhandConfig
from app.episode_models import ModelSetupError, ModelStack
from app.gui.chat.worker import EpisodeRequest, EpisodeSetup, SetupError

NO_MODEL = ("open the Models page (Ctrl+3) to download a recommended model, pick your own GGUF "
            "files, or add the demo model")
PolicyFactory = Callable[[AgentConfig], tuple[Policy, EpisodeMeta]]


class DesktopParts:
    """Builds the real parts for each episode; keeps the model runtimes between episodes."""

    def __init__(self, paths: Paths, config: DeskhandConfig | Callable[[], DeskhandConfig],
                 policy_factory: PolicyFactory | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.paths = paths
        # a callable: read at each episode, so a save on the Settings page applies to the next
        self._config = config if callable(config) else (lambda: config)
        self.policy_factory = policy_factory  # None: the actor from the catalogue
        self.warn = warn or (lambda message: None)
        self._models: ModelStack | None = None

    def __call__(self, request: EpisodeRequest, stop: StopToken) -> EpisodeSetup:
        from agent.actuator import DryRunError, PyAutoGuiActuator
        from agent.screen import CaptureMasks, MssScreen

        if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
            raise SetupError("There is no display (DISPLAY is not set), so there is no screen "
                             "to see or act on.")
        agent = request.agent
        policy, meta = (self.policy_factory(agent) if self.policy_factory is not None
                        else self._actor(agent))
        critic, critic_name = self._critic(agent)
        if critic_name:
            meta = EpisodeMeta(meta.actor_model, meta.actor_adapter, critic_name)
        stack = ExitStack()
        try:
            _hold_episode_lock(self.paths, stack)
            masks = getattr(self.config, "capture", None) or CaptureMasks()
            screen = MssScreen(agent.monitor, CaptureMasks(  # the person's masks + our panel
                regions=(*masks.regions, *request.own_rects), window_titles=masks.window_titles))
            stack.callback(screen.close)
            takeover = self._takeover(stack)
            try:
                actuator = PyAutoGuiActuator(stop, on_event=takeover.note if takeover else None)
            except DryRunError as exc:
                raise SetupError(str(exc)) from None
            stack.callback(actuator.close)
            self._hotkey(stop, stack)
            recorder = self._recorder(request, takeover)
        except BaseException:
            stack.close()
            raise
        return EpisodeSetup(screen=screen, actuator=actuator, policy=policy, critic=critic,
                            recorder=recorder, paused=takeover.paused if takeover else None,
                            meta=meta, safety=self.config.safety, close=stack.close)

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

    # -- the person's controls ----------------------------------------------------------
    def _hotkey(self, stop: StopToken, stack: ExitStack) -> None:
        try:
            from agent.control.hotkey import StopHotkey

            stack.enter_context(StopHotkey(stop, self.config.control.stop_hotkey))
        except Exception as exc:  # no RECORD extension, no permission: the button still works
            self.warn(f"The global stop hotkey is not available ({exc}); use the Stop button "
                      "or Esc.")

    def _takeover(self, stack: ExitStack) -> Any:
        from agent.control.takeover import TakeoverMonitor

        control = self.config.control
        monitor: Any = None

        def on_takeover(description: str) -> None:  # a listener thread: only say it
            self.warn(f"Paused: you are using the computer ({description}). The agent waits "
                      "until you press Resume (or Stop).")

        try:
            monitor = stack.enter_context(TakeoverMonitor(on_takeover, control.takeover))
        except Exception as exc:
            self.warn(f"Noticing your own input is not available here ({exc}).")
            return None
        return monitor

    def _recorder(self, request: EpisodeRequest, takeover: Any) -> Any:
        from agent.control.record import UserActionRecorder

        settings = self.config.control.recorder

        class _Recorder(UserActionRecorder):
            def finish(self) -> list[Any]:
                actions = super().finish()
                if takeover is not None:  # the person acted because the agent asked them to
                    takeover.resume()
                return actions

        return lambda: _Recorder(settings, ignore=request.own_rects)


def _hold_episode_lock(paths: Paths, stack: ExitStack) -> None:
    """While an episode runs, the nightly trainer must not start (it checks this lock), and a
    second episode (``deskhand run`` in a terminal) must not drive the same desktop."""
    from agent.locks import LockBusy, episode_lock

    try:
        stack.enter_context(episode_lock(paths.locks_dir))
    except LockBusy:
        raise SetupError("Another episode is running on this desktop (deskhand run in a "
                         "terminal?): stop it first.") from None


def _sentence(text: str) -> str:
    """A core message as the app writes it: a capital first letter and a full stop.

    >>> _sentence("no actor model is configured: open the Models page")
    'No actor model is configured: open the Models page.'
    """
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
