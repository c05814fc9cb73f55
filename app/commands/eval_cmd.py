"""``deskhand eval miniwob``: score a policy on MiniWoB++ through the real desktop.

Each task page opens in a Chromium window on an X display (a private Xvfb by default, or
``--display``); each episode is an ordinary Deskhand episode (``app.suite_runs``): real screen
capture, the policy (the actor with its active adapter, the DOM oracle, or a replay file),
the safety gate, the user's gate, the real actuator, the store (source ``eval``, so History
shows it and training leaves it out). The page's reward ends it, or the step budget does.

It prints per-task success rate, mean reward, steps and seconds per episode and the harness's
overhead per step, writes ``results.json``, ``results.csv`` and ``chart.png``, and compares
with an earlier ``results.json`` when given one. Exit status: 0 when it ran, 2 for a problem
found before the first episode (no Chromium, an unknown task, no model...) or a browser that
stops starting midway, 130 on Ctrl-C (in both, what finished is still written).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.commands.errors import fail
from app.commands.eval_results import (
    EpisodeRecord,
    ResultFileError,
    compare,
    load_results,
    summaries,
    summarize,
    write_results,
)

group = typer.Typer(help="Score a policy on a task suite (episodes are stored as 'eval').",
                    no_args_is_help=True)

SCREEN = (1280, 800)


class EvalSetupError(Exception):
    """Something to fix before the first episode; the message says what."""


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    tasks: list[str]
    episodes: int = 10
    seed: int = 0
    policy: str = "model"
    approve: str = "never"
    critic: str | None = None
    max_steps: int = 10
    display: str | None = None
    screen: tuple[int, int] = SCREEN
    scale: float | None = None
    move_window: bool = False
    time_limit: float | None = None
    step_pause: float = 0.0
    out: Path | None = None
    compare: Path | None = None


@group.command()
def miniwob(
    ctx: typer.Context,
    tasks: Annotated[list[str] | None, typer.Option(
        "--tasks", "-t", help="Task names or globs, comma-separated or repeated ('click-*', "
        "'all'); default: the 12 standard click/focus/enter tasks")] = None,
    episodes: Annotated[int, typer.Option("--episodes", "-n", min=1,
                                          help="Episodes per task")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first episode; episode i "
                                      "of every task uses seed+i")] = 0,
    policy: Annotated[str, typer.Option(
        "--policy", help="'model' (the actor and its active adapter), 'oracle' (the DOM "
        "oracle: the harness's own check) or 'replay:FILE'")] = "model",
    approve: Annotated[str, typer.Option(
        "--approve", help="each|risky|never; 'never' skips what the safety gate flags")
                       ] = "never",
    critic: Annotated[str | None, typer.Option("--critic", help="off|before|after")] = None,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1,
                                           help="Step budget per episode")] = 10,
    display: Annotated[str | None, typer.Option(
        "--display", help="X display to use (default: a private Xvfb of --screen)")] = None,
    screen: Annotated[str, typer.Option(
        "--screen", help="Size of the private Xvfb, WIDTHxHEIGHT")] = "1280x800",
    scale: Annotated[float | None, typer.Option(
        "--scale", help="Chromium's --force-device-scale-factor (default: the desktop's)")
                     ] = None,
    move_window: Annotated[bool, typer.Option(
        "--move-window", help="Move the browser window to a new place every episode")] = False,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="The page's own timer in seconds (default: off)")] = None,
    step_pause: Annotated[float, typer.Option(
        "--step-pause", min=0.0, max=10.0, help="Pause after each action before the next "
        "screenshot (s); the page's own input handling is always waited for")] = 0.0,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for results.json/.csv and chart.png (default: under the data "
        "folder, eval/miniwob-DATE)", file_okay=False)] = None,
    compare_with: Annotated[Path | None, typer.Option(
        "--compare", help="An earlier results.json (or its folder) to compare with")] = None,
) -> None:
    """Run MiniWoB++ tasks in Chromium on the desktop and score the policy."""
    from app.state import state

    try:
        size = _size(screen)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--screen") from None
    options = EvalOptions(list(tasks or []), episodes, seed, policy, approve, critic, max_steps,
                          display, size, scale, move_window, time_limit, step_pause, out,
                          compare_with)
    raise typer.Exit(run_eval(state(ctx), options, Console(highlight=False)))


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    try:
        size = int(width), int(height)
    except ValueError:
        raise ValueError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if min(size) < 200 or max(size) > 8192:
        raise ValueError(f"{text}: each side must be 200..8192 pixels")
    return size


def run_eval(cli_state: Any, options: EvalOptions, console: Console) -> int:
    """The command's body; returns the exit status."""
    from agent.control.xserver import NoDisplayError, private_display, using_display
    from agent.store.engine import StoreError
    from agent.suites.miniwob_browser import BrowserError
    from agent.suites.miniwob_setup import MiniWobSetupError, UnknownTaskError

    try:
        plan = _prepare(cli_state, options)
        with ExitStack() as stack:
            if options.display:
                stack.enter_context(using_display(options.display))
            else:
                name = stack.enter_context(private_display(*options.screen))
                stack.enter_context(using_display(name))
            _check_display(os.environ["DISPLAY"])
            from app.commands.eval_loop import EvalRun

            run = EvalRun(cli_state, options, plan, console, stack)
            records = run.episodes()
            code = _report(run, records, console)
            if run.error is not None:
                raise fail(f"the run stopped early: {run.error}")
            return code
    except (EvalSetupError, MiniWobSetupError, UnknownTaskError, ResultFileError,
            NoDisplayError, BrowserError, StoreError) as exc:
        raise fail(str(exc)) from None


def _check_display(name: str) -> None:
    import gc
    import warnings

    from Xlib import display

    with warnings.catch_warnings():  # python-xlib leaves its sockets open when it fails
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            display.Display(name).close()
            return
        except Exception as exc:
            problem = str(exc)
        finally:
            gc.collect()
    raise EvalSetupError(f"cannot open the X display {name!r} ({problem}): is it running? "
                         "Leave out --display to use a private one")


@dataclasses.dataclass(frozen=True)
class Plan:
    tasks: list[str]
    earlier: dict[str, Any] | None
    out: Path
    chromium: str


def _prepare(cli_state: Any, options: EvalOptions) -> Plan:
    """Everything checkable before a display or a browser starts."""
    from agent.suites.miniwob_setup import check_setup, resolve_tasks
    from app.commands.run import RunOptions, SetupError, _configs

    browser, _pages = check_setup()
    tasks = resolve_tasks(options.tasks)
    if options.policy not in ("model", "oracle") and not options.policy.startswith("replay:"):
        raise EvalSetupError(f"--policy must be 'model', 'oracle' or 'replay:FILE', got "
                             f"{options.policy!r}")
    if options.policy.startswith("replay:"):
        from agent.policy import ReplayError, ReplayPolicy

        try:
            ReplayPolicy(Path(options.policy.removeprefix("replay:")).expanduser())
        except ReplayError as exc:
            raise EvalSetupError(str(exc)) from None
    if options.scale is not None and not 0.5 <= options.scale <= 4:
        raise EvalSetupError("--scale must be between 0.5 and 4")
    if options.time_limit is not None and options.time_limit <= 0:
        raise EvalSetupError("--time-limit must be a positive number of seconds")
    try:
        _configs(cli_state.config, RunOptions("", options.approve, options.max_steps,
                                              critic=options.critic))
    except SetupError as exc:
        raise EvalSetupError(str(exc)) from None
    if options.approve != "never" and not sys.stdin.isatty():
        raise EvalSetupError(f"--approve {options.approve} needs a terminal to ask you, and "
                             "stdin is not one; use --approve never")
    if options.display is None:
        from agent.control.xserver import xvfb_available

        if not xvfb_available():
            raise EvalSetupError("Xvfb is not installed, so there is no private display to "
                                 "run on: install it (scripts/setup.sh as root does) or pass "
                                 "--display :0 to use yours")
    earlier = load_results(options.compare) if options.compare is not None else None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = options.out or cli_state.paths.data_dir / "eval" / f"miniwob-{stamp}"
    return Plan(tasks, earlier, out, browser.version)


def _report(run: Any, records: list[EpisodeRecord], console: Console) -> int:
    from app.commands.eval_chart import draw_chart

    if not records:
        console.print("[yellow]no episode finished: nothing to report[/]")
        return 130 if run.interrupted else 2
    rows = summaries(records)
    changes = compare(run.plan.earlier, rows) if run.plan.earlier is not None else []
    document = write_results(run.plan.out, run.settings(), records)
    title = (f"MiniWoB++ success rate, policy {run.options.policy}, scale "
             f"{run.options.scale or 'desktop'}, {run.options.episodes} episode(s) per task")
    chart = draw_chart(run.plan.out / "chart.png", title, rows, changes)
    table = Table(title=f"deskhand eval miniwob — policy {escape(run.options.policy)}, "
                        f"{len(records)} episode(s)")
    for name in ("task", "success", "mean reward", "steps/ep", "s/ep", "overhead ms/step",
                 "policy ms/step"):
        table.add_column(name, justify="left" if name == "task" else "right", no_wrap=True)
    for s in [*rows, summarize("all", records)]:
        table.add_row(s.task, f"{100 * s.success_rate:.0f}% ({s.successes}/{s.episodes})",
                      f"{s.mean_reward:+.2f}", f"{s.mean_steps:.1f}",
                      f"{s.seconds_per_episode:.2f}", f"{s.overhead_ms_per_step:.0f}",
                      f"{s.policy_ms_per_step:.0f}")
    out = Console(width=max(140, console.width), highlight=False)
    out.print(table)
    if changes:
        _print_changes(changes, run.plan.earlier, out)
    summary = document["summary"]
    out.print(f"harness overhead per step: {summary['overhead_ms_per_step']:.0f} ms "
              f"(goal <= 150 ms); episodes are in History (source eval)")
    out.print(f"results: {run.plan.out / 'results.json'}, {run.plan.out / 'results.csv'}, "
              f"{chart}", soft_wrap=True)
    return 130 if run.interrupted else 0


def _print_changes(changes: list[Any], earlier: dict[str, Any], out: Console) -> None:
    table = Table(title=f"compared with {escape(str(earlier.get('created', 'the earlier run')))}"
                        f" (policy {escape(str(earlier.get('policy', '?')))})")
    for name in ("task", "success before", "now", "change", "reward before", "now "):
        table.add_column(name, justify="left" if name == "task" else "right", no_wrap=True)

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.0f}%"

    def rew(v: float | None) -> str:
        return "-" if v is None else f"{v:+.2f}"

    for c in changes:
        delta = "-" if c.delta is None else f"{100 * c.delta:+.0f} pts"
        table.add_row(c.task, pct(c.before), pct(c.after), delta, rew(c.reward_before),
                      rew(c.reward_after))
    out.print(table)
