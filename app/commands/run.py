"""``deskhand run TASK``: one episode on the real desktop, headless, with a terminal gate.

Builds the real parts — ``MssScreen``, ``PyAutoGuiActuator``, the actor from the model
catalogue (or ``--policy replay:FILE``), the critic when asked, the stop hotkey — and runs
``agent.episode.EpisodeRunner``, streaming the model's reasoning to the terminal and printing
a summary. Exit status: 0 when the episode ends ``done``, 1 when it fails or is stopped, 2 for
a problem found before it starts (no model, no display, a bad replay file, no terminal to ask).

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
from app.episode_controls import SetupError, check_display, open_desktop

SETUP_EXIT = 2
NOTICES = {
    "hotkey": "the stop hotkey is not available ({detail}); Ctrl-C stops",
    "takeover": "takeover detection is not available ({detail})",
    "recorder": "\"let me do it\" is not available ({detail})",
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
        """Run a task headless with a terminal gate (approve / edit / skip / quit)."""
        from app.state import state

        options = RunOptions(task, approve, max_steps, policy, critic, monitor)
        raise typer.Exit(run_task(state(ctx), options, Console(highlight=False)))


def run_task(cli_state: Any, options: RunOptions, console: Console) -> int:
    """The command's body; returns the exit status."""
    from agent.store.engine import StoreError

    try:
        with ExitStack() as stack:
            runner, gate_note = _build(cli_state, options, console, stack)
            if gate_note:
                console.print(gate_note)
            return _run(runner, options.task, console)
    except SetupError as exc:
        say_error(str(exc))
        return SETUP_EXIT
    except StoreError as exc:  # a damaged or locked database: the message says what to run
        Console(stderr=True, highlight=False).print(f"[red]error:[/] {escape(str(exc))}",
                                                    soft_wrap=True)
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


def _gate(agent: Any, console: Console) -> tuple[Any, str]:
    from app.commands.run_gate import TerminalGate, UnattendedGate

    if sys.stdin.isatty():
        return TerminalGate(console, rate_steps=agent.rate_steps), ""
    if agent.approval != "never":
        raise SetupError(f"--approve {agent.approval} needs a terminal to ask you, and stdin "
                         "is not one; run it in a terminal or use --approve never")
    return UnattendedGate(console), ("no terminal: steps the safety gate flags will be "
                                     "skipped, not asked")


def _build(cli_state: Any, options: RunOptions, console: Console,
           stack: ExitStack) -> tuple[Any, str]:
    from agent.actuator import StopToken
    from agent.clock import MonotonicClock
    from agent.episode import EpisodeParts, EpisodeRunner
    from agent.episode_safety import make_guards
    from agent.store.repo import open_store

    config = cli_state.config
    agent, safety, runtime_cfg = _configs(config, options)
    check_display()
    gate, gate_note = _gate(agent, console)
    policy, critic, meta = _models(cli_state.paths, options, agent, runtime_cfg, stack,
                                   console)
    stop = StopToken()
    pause = _Pause(config.control, console, interactive=gate_note == "")
    desktop = open_desktop(cli_state.paths, config, agent, stop, stack, face="terminal",
                           on_pause=pause.paused)
    pause.desktop = desktop
    for notice in desktop.notices:
        console.print(f"[yellow]{escape(NOTICES[notice.kind].format(detail=notice.detail))}[/]")
    if not any(n.kind == "hotkey" for n in desktop.notices):
        console.print(f"[dim]stop at any time: {escape(config.control.stop_hotkey)} or Ctrl-C[/]")
    store = open_store(cli_state.paths, config.store)
    stack.callback(store.close)
    recovered, _ = store.recover()
    if recovered:
        console.print(f"[yellow]{recovered} episode(s) left running by a crash are now marked "
                      "interrupted[/]")
    clock = MonotonicClock()
    parts = EpisodeParts(screen=desktop.screen, actuator=desktop.actuator, policy=policy,
                         gate=desktop.gate(gate), store=store,
                         guards=make_guards(safety, agent.approval, clock, desktop.monitors),
                         critic=critic, stop=stop, clock=clock, recorder=desktop.recorder,
                         paused=desktop.paused)
    full = {**meta.config, "agent": dataclasses.asdict(agent),
            "safety": dataclasses.asdict(safety), "policy": options.policy}
    meta = dataclasses.replace(meta, config=full)
    return EpisodeRunner(parts, agent, meta, _callbacks(console)), gate_note


class _Pause:
    """The terminal's side of a takeover pause: say so, and resume when the person presses
    Enter (at a terminal that is asked things) or has been still for a while."""

    def __init__(self, control: Any, console: Console, interactive: bool) -> None:
        self.control, self.console, self.interactive = control, console, interactive
        self.desktop: Any = None

    def paused(self, description: str) -> None:  # a listener thread: say it, then hand over
        import threading

        how = ("press Enter to resume" if self.interactive else
               f"the agent resumes after {self.control.resume_after_idle_s:g} s without input")
        self.console.print(f"[yellow]paused: you took over ({escape(description)}); {how}[/]")
        threading.Thread(target=self._resume_later, daemon=True).start()

    def _resume_later(self) -> None:
        desktop = self.desktop
        if desktop is None or desktop.takeover is None:
            return
        if self.interactive:
            sys.stdin.readline()
        else:
            desktop.takeover.wait_until_idle(self.control.resume_after_idle_s)
        self.console.print("[green]resuming[/]")
        desktop.resume()


def _models(paths: Any, options: RunOptions, agent: Any, runtime_cfg: Any,
            stack: ExitStack, console: Console) -> tuple[Any, Any, Any]:
    """(policy, critic or None, EpisodeMeta) for the options."""
    from agent.episode import EpisodeMeta
    from agent.policy import ReplayError, ReplayPolicy
    from app.episode_models import ModelSetupError, ModelStack

    if options.policy != "model" and not options.policy.startswith("replay:"):
        raise SetupError(f"--policy must be 'model' or 'replay:FILE', got {options.policy!r}")
    models = ModelStack(paths, runtime_cfg)
    stack.callback(models.close)
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


def _callbacks(console: Console) -> Any:
    from agent.episode import Callbacks, StepReport
    from models.actions import describe

    def on_token(piece: str) -> None:
        console.print(piece, end="", markup=False, style="dim")

    def on_step(report: StepReport) -> None:
        what = describe(report.action) if report.action is not None else (
            f"unparseable output: {report.parse_error}")
        note = f" ({report.note})" if report.note else ""
        console.print(f"\n[bold]#{report.index + 1}[/] {report.outcome}: {escape(what)}"
                      f"{escape(note)}")

    def on_status(text: str) -> None:
        if text.startswith(("acting", "paused")):
            console.print(f"[dim]{escape(text)}[/]")

    return Callbacks(on_token=on_token, on_step=on_step, on_status=on_status)


def _run(runner: Any, task: str, console: Console) -> int:
    try:
        result = runner.run(task)
    except KeyboardInterrupt:
        console.print("\n[yellow]interrupted (Ctrl-C): the episode is recorded as stopped[/]")
        return 130
    counts: dict[str, int] = {}
    for step in result.steps:
        counts[step.outcome] = counts.get(step.outcome, 0) + 1
    tally = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no steps"
    colour = "green" if result.status == "done" else "yellow"
    console.print(f"\n[{colour}]episode {result.episode_id} {result.status}[/]: "
                  f"{escape(result.summary)} ({tally})")
    return 0 if result.status == "done" else 1
