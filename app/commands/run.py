"""``deskhand run TASK``: one episode on the real desktop, headless, with a terminal gate.

Builds the parts the app builds — the models from ``app.episode_models`` (or ``--policy
replay:FILE``), the desktop and the person's controls from ``app.episode_controls`` — and
runs ``agent.episode.EpisodeRunner``, streaming the model's reasoning to the terminal
(``run_terminal``) and asking through ``run_gate``: approve, edit, let me do it, skip, quit,
a rating of each approved step and of the whole episode; ``--approve never`` asks nothing.
Exit status: 0 when the episode ends ``done``, 1 when it fails or is stopped, 2 for a
problem found before it starts (no model, no display, a bad replay file, no terminal to ask),
128 + N after signal N (SIGTERM, SIGHUP), 130 after Ctrl-C.

The one design choice a reader must know: every problem that can be found before the first
action is checked before the episode row is created, so a mistyped option never leaves an
episode behind; once the episode runs, everything ends in the store, even Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from app.commands.errors import say_error
from app.episode_controls import SetupError, check_display, hold_episode_lock, open_desktop

SETUP_EXIT = 2
NOTICES = {
    "hotkey": "the stop hotkey is not available ({detail}); Ctrl-C stops",
    "takeover": "takeover detection is not available ({detail})",
}


@dataclass(frozen=True)
class RunOptions:
    task: str
    approve: str | None = None
    max_steps: int | None = None
    policy: str = "model"
    critic: str | None = None
    monitor: int | None = None


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        ctx: typer.Context,
        task: str = typer.Argument(..., help="What the agent should do, in your words."),
        approve: str | None = typer.Option(
            None, "--approve", help="Ask before each step, only risky ones, or never "
            "(each|risky|never; default: the config's agent.approval)."),
        max_steps: int | None = typer.Option(None, "--max-steps", min=1,
                                             help="Step budget of this episode."),
        policy: str = typer.Option("model", "--policy",
                                   help="'model' (the actor) or 'replay:FILE' (JSONL actions)."),
        critic: str | None = typer.Option(None, "--critic",
                                          help="Critic mode: off|before|after."),
        monitor: int | None = typer.Option(None, "--monitor", min=0,
                                           help="Monitor to watch and act on (1.., 0 = all)."),
    ) -> None:
        """Run a task from the terminal: approve, edit, let me do it, skip or quit; rate it."""
        from app.state import state

        options = RunOptions(task, approve, max_steps, policy, critic, monitor)
        raise typer.Exit(run_task(state(ctx), options, Console(highlight=False)))


def run_task(cli_state: Any, options: RunOptions, console: Console) -> int:
    """The command's body; returns the exit status."""
    from agent.store.engine import StoreError

    try:
        with ExitStack() as stack:
            episode = _build(cli_state, options, console, stack)
            if episode.note:
                console.print(episode.note)
            return _run(episode, options.task, console)
    except SetupError as exc:
        say_error(str(exc))
        return SETUP_EXIT
    except StoreError as exc:  # a damaged or locked database: the message says what to run
        say_error(str(exc))
        return SETUP_EXIT


def _configs(config: Any, options: RunOptions) -> tuple[Any, Any, Any]:
    """(agent, safety, runtime) settings: the config file's tables with the options applied."""
    from agent.safety import SafetyConfig
    from agent.settings import APPROVAL_MODES, CRITIC_MODES, AgentConfig
    from models.runtime import RuntimeConfig

    agent = getattr(config, "agent", None) or AgentConfig()
    safety = getattr(config, "safety", None) or SafetyConfig()
    runtime = getattr(config, "runtime", None) or RuntimeConfig()
    if options.approve is not None and options.approve not in APPROVAL_MODES:
        raise SetupError(f"--approve must be one of {', '.join(APPROVAL_MODES)}")
    if options.critic is not None and options.critic not in CRITIC_MODES:
        raise SetupError(f"--critic must be one of {', '.join(CRITIC_MODES)}")
    changes = {k: v for k, v in (("approval", options.approve), ("critic", options.critic),
                                 ("monitor", options.monitor)) if v is not None}
    agent = dataclasses.replace(agent, **changes)
    if options.max_steps is not None:
        safety = dataclasses.replace(safety, max_steps=options.max_steps)
    return agent, safety, runtime


def _gate(agent: Any, console: Console, stop: Any) -> tuple[Any, str]:
    """The terminal gate, or the one that asks nothing (``--approve never``, no terminal)."""
    from app.commands.run_gate import TerminalGate, UnattendedGate

    if agent.approval == "never":
        return UnattendedGate(console), ("--approve never: nothing is asked; steps the safety "
                                         "gate flags are skipped, not asked")
    if not sys.stdin.isatty():
        raise SetupError(f"--approve {agent.approval} needs a terminal to ask you, and stdin "
                         "is not one; run it in a terminal or use --approve never")
    # a step is rated right after it was approved; with "risky" only the episode is
    return TerminalGate(console, rate_steps=agent.rate_steps and agent.approval == "each",
                        stop=stop), ""


@dataclass
class _Episode:
    """What ``_build`` made: the runner, the gate, its stop token, and a line to say first."""

    runner: Any
    gate: Any
    stop: Any
    note: str


def _build(cli_state: Any, options: RunOptions, console: Console,
           stack: ExitStack) -> _Episode:
    from agent.actuator import StopToken
    from agent.clock import MonotonicClock
    from agent.episode import EpisodeParts, EpisodeRunner
    from agent.episode_safety import make_guards
    from agent.store.repo import open_store
    from app.commands.run_terminal import Pause, callbacks

    config = cli_state.config
    agent, safety, runtime_cfg = _configs(config, options)
    check_display()
    stop = StopToken()
    gate, gate_note = _gate(agent, console, stop)
    policy, critic, meta = _models(cli_state.paths, options, agent, runtime_cfg, stack,
                                   console)
    hold_episode_lock(cli_state.paths, stack)  # before the store: recover() is ours now
    store = open_store(cli_state.paths, config.store)
    stack.callback(store.close)
    recovered, _ = store.recover()
    if recovered:
        console.print(f"[yellow]{recovered} episode(s) left running by a crash are now marked "
                      "interrupted[/]")
    pause = Pause(config.control, console, getattr(gate, "read_line", None))
    desktop = open_desktop(cli_state.paths, config, agent, stop, stack, face="terminal",
                           on_pause=pause.paused, locked=True)
    pause.desktop = desktop
    for notice in desktop.notices:
        console.print(f"[yellow]{escape(NOTICES[notice.kind].format(detail=notice.detail))}[/]")
    if not any(n.kind == "hotkey" for n in desktop.notices):
        console.print(f"[dim]stop at any time: {escape(config.control.stop_hotkey)} or Ctrl-C[/]")
    clock = MonotonicClock()
    parts = EpisodeParts(screen=desktop.screen, actuator=desktop.actuator, policy=policy,
                         gate=desktop.gate(gate), store=store,
                         guards=make_guards(safety, agent.approval, clock, desktop.monitors),
                         critic=critic, stop=stop, clock=clock, recorder=desktop.recorder,
                         paused=desktop.paused)
    full = {**meta.config, "agent": dataclasses.asdict(agent),
            "safety": dataclasses.asdict(safety), "policy": options.policy}
    meta = dataclasses.replace(meta, config=full)
    return _Episode(EpisodeRunner(parts, agent, meta, callbacks(console)), gate, stop,
                    gate_note)


def _models(paths: Any, options: RunOptions, agent: Any, runtime_cfg: Any,
            stack: ExitStack, console: Console) -> tuple[Any, Any, Any]:
    """(policy, critic or None, EpisodeMeta) for the options."""
    from agent.episode import EpisodeMeta
    from agent.policy import Policy, ReplayError, ReplayPolicy
    from app.episode_models import ModelSetupError, ModelStack

    if options.policy != "model" and not options.policy.startswith("replay:"):
        raise SetupError(f"--policy must be 'model' or 'replay:FILE', got {options.policy!r}")
    models = ModelStack(paths, runtime_cfg)
    stack.callback(models.close)
    policy: Policy
    try:
        if options.policy == "model":
            policy, meta = models.actor(agent)
        else:
            policy = ReplayPolicy(Path(options.policy.removeprefix("replay:")).expanduser())
            meta = EpisodeMeta(actor_model=options.policy)
        critic, critic_model, critic_adapter = models.critic(agent)
    except (ModelSetupError, ReplayError) as exc:
        raise SetupError(str(exc)) from None
    for problem in models.warnings:
        console.print(f"[yellow]{escape(problem)}[/]")
    meta = dataclasses.replace(meta, critic_model=critic_model, critic_adapter=critic_adapter,
                               config={})
    return policy, critic, meta


def _run(episode: _Episode, task: str, console: Console) -> int:
    from app.commands.run_terminal import stop_on_signals, summary

    with stop_on_signals(episode.stop, console) as signals:
        try:
            result = episode.runner.run(task)
        except KeyboardInterrupt:
            console.print("\n[yellow]interrupted (Ctrl-C): the episode is recorded as "
                          "stopped[/]")
            return 130
        console.print(summary(result))
        if signals:
            return 128 + signals[0]
        rating = episode.gate.rate_episode(result.summary)
        if rating is not None:
            episode.runner.record.rate_episode(rating)
            console.print("[green]rating saved[/]")
    return 0 if result.status == "done" else 1
