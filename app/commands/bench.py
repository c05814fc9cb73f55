"""``deskhand bench ...``: speed and memory measured as ratios within one run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from app.commands.errors import fail
from app.learning_bench.settings import MINIWOB_DEFAULT_TASKS

group = typer.Typer(help="Benchmarks: ratios measured in one run.", no_args_is_help=True)

ModelOption = Annotated[Path | None, typer.Option(
    "--model", help="Base GGUF (default: the tiny test model)", exists=True, dir_okay=False)]
MmprojOption = Annotated[Path | None, typer.Option(
    "--mmproj", help="Vision projector GGUF", exists=True, dir_okay=False)]
FamilyOption = Annotated[str | None, typer.Option(
    "--family", help="Prompt family (default: qwen25vl, or the --size model's)")]
ScreenOption = Annotated[str, typer.Option(
    "--screen", help="Simulated screen WIDTHxHEIGHT (resized by the family)")]
SizeOption = Annotated[str | None, typer.Option(
    "--size", help="Bench a random model with the published dimensions of this model "
                   "(qwen2.5-vl-3b, qwen3-vl-2b), served as Q4_K_M; built once")]
LayersOption = Annotated[int | None, typer.Option(
    "--layers", min=1, help="With --size: text layers and vision blocks (default: the "
                            "published depth)")]


@group.command()
def runtime(
    ctx: typer.Context,
    model: ModelOption = None,
    mmproj: MmprojOption = None,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Episode steps")] = 4,
    tokens: Annotated[int, typer.Option("--tokens", min=1, help="Tokens per step")] = 32,
    repeats: Annotated[int, typer.Option(
        "--repeats", min=1, help="Cold/bare runs per step (the fastest counts)")] = 3,
    family: FamilyOption = None,
    screen: ScreenOption = "1280x720",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    size: SizeOption = None,
    layers: LayersOption = None,
) -> None:
    """Per-step breakdown of the llama.cpp runtime; overhead and TTFT ratios."""
    import json

    from rich.console import Console
    from rich.table import Table

    from app.state import state
    from models.runtime.bench import OVERHEAD_GOAL, TTFT_GOAL, run_bench
    from models.runtime.config import RuntimeConfig

    cli = state(ctx)
    width, height = _screen(screen)
    model, mmproj, family = _served(cli, model, mmproj, size, layers, family)
    config = getattr(cli.config, "runtime", None) or RuntimeConfig()
    report = run_bench(model, mmproj, steps=steps, config=config, family_name=family,
                       screen=(width, height), max_new_tokens=tokens, repeats=repeats)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    head, rows = report.table()
    table = Table(title=f"deskhand bench runtime — {model.name}, image {report.image[0]}x"
                        f"{report.image[1]}, {report.threads} threads, "
                        f"{_offload(report.gpu_layers)}, cold/bare best of {report.repeats} (ms)")
    for name in head:
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    out = Console()
    if not out.is_terminal:
        out = Console(width=160)  # piped: do not squeeze the columns into 80
    out.print(table)
    out.print(f"baseline: {report.baseline}")
    out.print(f"overhead (cold / bare, median of steps): {report.overhead:.3f}x "
              f"(goal <= {OVERHEAD_GOAL}x)")
    ratio = report.ttft_ratio
    out.print("TTFT step n>1 / step 1: " + ("n/a (one step)" if ratio is None else
              f"{ratio:.3f}x (goal <= {TTFT_GOAL}x)"))


@group.command()
def judge(
    ctx: typer.Context,
    model: ModelOption = None,
    mmproj: MmprojOption = None,
    group_size: Annotated[int, typer.Option(
        "--group", min=2, help="Distinct actions judged on one screenshot")] = 8,
    tokens: Annotated[int, typer.Option("--tokens", min=1, help="Tokens per verdict")] = 48,
    repeats: Annotated[int, typer.Option(
        "--repeats", min=1, help="Runs of each way (the fastest counts)")] = 3,
    family: FamilyOption = None,
    screen: ScreenOption = "1280x720",
    size: SizeOption = None,
    layers: LayersOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """The reward model judging a group of actions: one by one vs side by side."""
    import json

    from app.state import state
    from models.runtime.config import RuntimeConfig
    from models.runtime.judge_bench import run_judge_bench

    cli = state(ctx)
    width, height = _screen(screen)
    model, mmproj, family = _served(cli, model, mmproj, size, layers, family)
    config = getattr(cli.config, "runtime", None) or RuntimeConfig()
    report = run_judge_bench(model, mmproj, config=config, family_name=family,
                             screen=(width, height), group=group_size, tokens=tokens,
                             repeats=repeats)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    typer.echo(f"deskhand bench judge — {model.name}, {family}, {report.group} actions x "
               f"{report.tokens} verdict tokens, {report.threads} threads, "
               f"{_offload(report.gpu_layers)}, best of {repeats}")
    for name, times in (("one by one", report.one_by_one_s),
                        ("side by side", report.side_by_side_s)):
        typer.echo(f"  {name:12}  {min(times):7.3f} s per group  "
                   f"{report.per_second(times):7.2f} judgments/s  "
                   f"(runs: {' '.join(f'{t:.3f}' for t in times)})")
    typer.echo(f"ratio side by side / one by one: {report.ratio:.3f}x; the same verdicts: "
               f"{'yes' if report.same_texts else 'no'}")


def _screen(screen: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in screen.lower().split("x"))
    except ValueError:
        raise typer.BadParameter(f"expected WIDTHxHEIGHT, got {screen!r}",
                                 param_hint="--screen") from None
    return width, height


def _served(cli: Any, model: Path | None, mmproj: Path | None, size: str | None,
            layers: int | None, family: str | None) -> tuple[Path, Path, str]:
    """The GGUF pair a runtime bench loads (given, --size's, or the tiny model's) and the
    prompt family."""
    if (model is None) != (mmproj is None):
        raise typer.BadParameter("give both --model and --mmproj, or neither (tiny model)")
    if size is not None:
        if model is not None:
            raise fail("give --size or --model, not both", code=2)
        model, mmproj, size_family = _real_dims(cli.paths.ensure().models_dir / "real", size,
                                                layers)
        family = family or size_family
    elif layers is not None:
        raise fail("--layers goes with --size", code=2)
    if model is None or mmproj is None:
        from models.tiny import build_tiny

        tiny = build_tiny(cli.paths.ensure().models_dir / "tiny")
        model, mmproj = tiny.gguf_path, tiny.mmproj_path
    return model, mmproj, family or "qwen25vl"


def _offload(gpu_layers: int) -> str:
    """``gpu_layers`` as resolved, in words: "GPU (all layers)", "GPU (12 layers)" or "CPU"."""
    if gpu_layers == 0:
        return "CPU"
    return f"GPU ({'all' if gpu_layers < 0 else gpu_layers} layers)"


def _real_dims(folder: Path, name: str, layers: int | None) -> tuple[Path, Path, str]:
    """The Q4_K_M text model and f16 projector of ``name``'s published dimensions, and the
    prompt family of the model they stand for."""
    from rich.console import Console

    from models.real_dims import PUBLISHED, build_real_dims

    if name not in PUBLISHED:
        raise fail(f"no published dimensions for {name!r}; known: {', '.join(PUBLISHED)}",
                   code=2)
    Console(stderr=True).print(f"building {name}'s dimensions with random weights "
                               f"({layers or 'all'} layers; once, cached in {folder})",
                               highlight=False, soft_wrap=True)
    built = build_real_dims(folder, name, layers=layers, vision_layers=layers, dtype="f16",
                            quantize=("Q4_K_M",))
    return built.quantized["Q4_K_M"], built.mmproj_path, str(PUBLISHED[name]["family"])


@group.command()
def capture(
    iterations: Annotated[int, typer.Option("--iterations", "-n", min=1,
                                            help="Timed captures (medians)")] = 30,
    family: Annotated[str, typer.Option("--family", help="Family whose resize is used")
                      ] = "qwen25vl",
    display: Annotated[str | None, typer.Option(
        "--display", help="X display (default: $DISPLAY, else a private 1920x1080 Xvfb)")
                       ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Screen capture to a model-ready image vs a bare mss grab."""
    import json

    from rich.console import Console
    from rich.table import Table

    from agent.control.xserver import NoDisplayError, chosen_display

    try:
        with chosen_display(display, allow_current=True) as name:
            from agent.control.capturebench import bench_capture

            report = bench_capture(iterations, family)
    except (NoDisplayError, KeyError) as exc:
        raise typer.BadParameter(str(exc)) from None
    if as_json:
        typer.echo(json.dumps({**report.__dict__, "display": name, "ratio": report.ratio}))
        return
    table = Table(title=f"deskhand bench capture — {name}, screen {report.screen[0]}x"
                        f"{report.screen[1]} → {family} image {report.image[0]}x"
                        f"{report.image[1]}, median of {iterations} (ms)")
    table.add_column("stage")
    table.add_column("median ms", justify="right")
    for stage, ms in (("bare mss grab", report.bare_ms), ("MssScreen.capture", report.capture_ms),
                      ("family resize", report.resize_ms), ("full: capture + resize",
                                                            report.full_ms)):
        table.add_row(stage, f"{ms:.2f}")
    out = Console(width=max(100, Console().width))
    out.print(table)
    out.print(f"ratio full / bare: {report.ratio:.2f}x")


@group.command()
def stop(
    trials: Annotated[int, typer.Option(
        "--trials", "-n", min=1, help="Stops per kind of action and path")] = 200,
    kinds: Annotated[str, typer.Option(
        "--kinds", help="Kinds of action, comma-separated")] = "type,scroll,click,drag",
    event_delay: Annotated[float, typer.Option(
        "--event-delay", min=0.0, help="Recording actuator's pacing per group (s)")] = 0.005,
    display: Annotated[str | None, typer.Option(
        "--display", help="X display for the real paths; it types and clicks there "
                          "(default: a private Xvfb, never your desktop)")] = None,
    real: Annotated[bool, typer.Option(
        "--real/--no-real", help="Also the real actuator: the Stop button and the person's "
                                 "stop chord")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Events after a stop or the person's first key (goal 0), and how fast everything halts."""
    import json

    from rich.console import Console
    from rich.table import Table

    from agent.control.stopbench import GOAL_MS, KINDS, bench_real_in_child, bench_recording
    from agent.control.xserver import NoDisplayError, private_display, xvfb_available

    chosen = [k.strip() for k in kinds.split(",") if k.strip()]
    unknown = sorted(set(chosen) - set(KINDS))
    if unknown or not chosen:
        raise typer.BadParameter(f"unknown kind(s) {unknown}; choose from {', '.join(KINDS)}",
                                 param_hint="--kinds")
    reports = [r for r in bench_recording(trials, event_delay) if r.kind in chosen]
    skipped = None
    if real and (display or xvfb_available()):
        try:
            if display:
                reports += bench_real_in_child(display, trials, chosen)
            else:
                with private_display() as name:
                    reports += bench_real_in_child(name, trials, chosen)
        except NoDisplayError as exc:
            skipped = str(exc)
    elif real:
        skipped = "no Xvfb to run it on (install xvfb, or pass --display to use yours)"
    late = sum(r.events_after for r in reports)
    if as_json:
        typer.echo(json.dumps({"goal_ms": GOAL_MS, "events_after": late,
                               "skipped_real": skipped,
                               "reports": [r.as_dict() for r in reports]}))
        return
    table = Table(title=f"deskhand bench stop — {trials} stops at random times per kind and "
                        "path (ms)")
    for column in ("kind", "path", "stops", "mid-action", "events after", "releases after",
                   "last event p95", "max", "halted p95", "max", "hotkey p95"):
        table.add_column(column, justify="left" if column in ("kind", "path") else "right")
    for r in reports:
        fired = "-" if r.hotkey_fired is None else f"{r.hotkey_fired.p95_ms:.2f}"
        table.add_row(r.kind, r.path, str(r.trials), str(r.mid_action), str(r.events_after),
                      str(r.releases_after), f"{r.last_event.p95_ms:.2f}",
                      f"{r.last_event.max_ms:.2f}", f"{r.returned.p95_ms:.2f}",
                      f"{r.returned.max_ms:.2f}", fired)
    out = Console(width=max(140, Console().width))
    out.print(table)
    out.print("paths: recording = the fake actuator; stop = StopToken.stop() on the real one; "
              "chord = the person presses ctrl+alt+esc (counted in the X server's order from "
              "their first key)")
    worst = max((r.returned.p95_ms for r in reports), default=0.0)
    out.print(f"events after a stop or the person's first key: {late} over "
              f"{sum(r.trials for r in reports)} stops (goal 0); halted p95 <= {worst:.2f} ms "
              f"(goal <= {GOAL_MS:.0f} ms)")
    if skipped:
        out.print(f"real paths skipped: {skipped}")


@group.command()
def learner(
    ctx: typer.Context,
    base: Annotated[Path | None, typer.Option(
        "--base", help="HF folder to train (default: the tiny test model)", exists=True,
        file_okay=False)] = None,
    steps: Annotated[int, typer.Option("--steps", min=2, help="GRPO steps per trainer")] = 6,
    group: Annotated[int, typer.Option("--group", min=2, help="Completions per state")] = 8,
    batch: Annotated[int, typer.Option("--batch", min=1, help="States per step")] = 2,
    tokens: Annotated[int, typer.Option("--tokens", min=1, help="Completion tokens")] = 32,
    processes: Annotated[int, typer.Option(
        "--processes", min=1, help="Also measure K data-parallel CPU processes (one thread "
        "each) against one K-thread process on the same model and global batch (1: skip)")] = 1,
    repeats: Annotated[int, typer.Option(
        "--repeats", min=1, help="With --processes: runs of each (the best counts)")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Time per GRPO step vs plain TRL, and peak memory; with ``--processes K``, samples/s of
    K data-parallel processes vs one."""
    import json
    import tempfile

    from rich.console import Console
    from rich.table import Table

    from app.state import state
    from learner.bench import run_bench

    cli = state(ctx)
    if base is None:
        from models.tiny import build_tiny

        base = build_tiny(cli.paths.ensure().models_dir / "tiny").hf_dir
    scaling = None
    with tempfile.TemporaryDirectory(prefix="deskhand-bench-") as work:
        report = run_bench(base, Path(work), steps=steps, group=group, batch=batch,
                           max_new_tokens=tokens)
        if processes > 1:
            from learner.bench_dp import compare

            scaling = compare(base, Path(work) / "dp", processes=processes, repeats=repeats,
                              steps=steps, states=batch, group=group, tokens=tokens,
                              say=(lambda _: None) if as_json else typer.echo)
    if as_json:
        figures = report.as_dict()
        if scaling is not None:
            figures["processes"] = scaling.as_dict()
        typer.echo(json.dumps(figures, indent=2))
        return
    table = Table(title=f"deskhand bench learner — {base.name}, {report.device}, G={group}, "
                        f"B={batch}, {tokens} tokens, {steps} steps")
    for name in ("trainer", "median s/step", "steps (s)", "peak RSS MiB", "peak CUDA MiB"):
        table.add_column(name, justify="right")
    for side in (report.ours, report.trl):
        table.add_row(side.name, f"{side.median_s:.3f}",
                      " ".join(f"{s:.2f}" for s in side.step_s), f"{side.peak_rss_mb:.0f}",
                      "-" if side.cuda_peak_mb is None else f"{side.cuda_peak_mb:.0f}")
    out = Console()
    out.print(table)
    out.print(f"ratio deskhand / TRL (median step time): {report.ratio:.3f}x; in CPU seconds "
              f"per step: {report.cpu_ratio:.3f}x")
    if scaling is not None:
        out.print(f"on the CPU, {processes} processes x 1 thread vs 1 process x {processes} "
                  f"threads: "
                  f"{max(scaling.multi):.2f} vs {max(scaling.single):.2f} samples/s (best of "
                  f"{len(scaling.multi)}), ratio {scaling.ratio:.3f} (goal >= 0.9; global batch "
                  f"{scaling.states} states x {scaling.group} samples)")


@group.command()
def ui(
    ctx: typer.Context,
    model: ModelOption = None,
    mmproj: MmprojOption = None,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Episode steps")] = 3,
    tokens: Annotated[int, typer.Option("--tokens", min=1, help="Tokens per step")] = 48,
    family: Annotated[str, typer.Option("--family", help="Prompt family")] = "qwen25vl",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Longest UI event-loop stall while an episode streams tokens."""
    import json

    from app.gui.chat.bench import GOAL_MS, TICK_MS, run_ui_bench
    from app.state import state

    cli = state(ctx)
    if (model is None) != (mmproj is None):
        raise typer.BadParameter("give both --model and --mmproj, or neither (tiny model)")
    report = run_ui_bench(cli.paths.ensure().models_dir, cli.config, model, mmproj,
                          steps=steps, tokens=tokens, family=family)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    typer.echo(f"deskhand bench ui — {report.model}, {report.steps} step(s), "
               f"{report.tokens} tokens streamed in {report.seconds:.1f} s "
               f"(episode {report.status})")
    typer.echo(f"UI timer every {TICK_MS} ms: {report.ticks} ticks; stall beyond the tick: "
               f"longest {report.longest_stall_ms:.1f} ms, p99 {report.p99_gap_ms:.1f} ms "
               f"(goal <= {GOAL_MS:.0f} ms)")


@group.command()
def learning(
    ctx: typer.Context,
    nights: Annotated[int, typer.Option("--nights", min=1, help="Nights to run")] = 3,
    episodes: Annotated[int, typer.Option(
        "--episodes", min=1, help="Teaching episodes per night")] = 60,
    heldout: Annotated[int, typer.Option(
        "--heldout", min=1, help="Held-out evaluation episodes per measurement")] = 40,
    seed: Annotated[int, typer.Option("--seed", help="Seed of tasks and judgments")] = 0,
    kinds: Annotated[str, typer.Option(
        "--kinds", help="Practice exercise kinds of the suite, comma-separated")] = "lamp",
    suite: Annotated[str, typer.Option(
        "--suite", help="Task suite: 'practice' (the practice desktop) or 'miniwob' "
        "(MiniWoB++ pages in Chromium)")] = "practice",
    tasks: Annotated[str, typer.Option(
        "--tasks", help="MiniWoB++ task names or globs, comma-separated (--suite miniwob)")
    ] = ",".join(MINIWOB_DEFAULT_TASKS),
    error_rate: Annotated[float, typer.Option(
        "--error-rate", min=0.0, max=1.0, help="Share of wrong simulated judgments")] = 0.05,
    actor_steps: Annotated[int, typer.Option(
        "--actor-steps", min=1, help="Actor GRPO steps per night")] = 4,
    sft_steps: Annotated[int, typer.Option(
        "--sft-steps", min=0, help="Actor warm-up SFT steps on vouched-for actions")] = 40,
    reward_steps: Annotated[int, typer.Option(
        "--reward-steps", min=1, help="Reward-model GRPO steps per night")] = 10,
    reward_sft_steps: Annotated[int, typer.Option(
        "--reward-sft-steps", min=0, help="Reward-model warm-up SFT steps on judged actions")
    ] = 40,
    sft_epochs: Annotated[float, typer.Option(
        "--sft-epochs", min=0.0, max=1000.0, help="Warm-ups run at least this many passes "
        "over their examples (more steps than --sft-steps once the data has grown)")] = 5.0,
    min_holdout: Annotated[int, typer.Option(
        "--min-holdout", min=5, help="The gate's minimum held-out size")] = 12,
    demo_cache: Annotated[Path | None, typer.Option(
        "--demo-cache", help="Where the demo model is built and cached (default: this "
        "home's models folder)", file_okay=False)] = None,
    out: Annotated[Path, typer.Option("--out", help="Report folder")] = Path("bench-learning"),
    bench_home: Annotated[Path | None, typer.Option(
        "--bench-home", help="Deskhand home for the bench (default: a new one in --out)",
        file_okay=False)] = None,
) -> None:
    """Nights of simulated teaching and the real learn command; held-out success per night.

    ``--suite practice`` (the default) teaches the practice desktop's exercises of ``--kinds``;
    ``--suite miniwob`` teaches MiniWoB++ pages (``--tasks``), the page's reward as the
    simulated person's verdict and the DOM oracle's target as its corrections."""
    import json
    import time

    from rich.console import Console

    from agent.control.xserver import private_display
    from app.demo import build, install
    from app.learning_bench.nights import Bench, as_json
    from app.learning_bench.report import plot, table
    from app.learning_bench.settings import BenchSettings
    from app.state import state
    from models.hub.catalogue import Catalogue

    console = Console(soft_wrap=True, highlight=False)
    try:
        names = _suite_tasks(suite, tasks)
        settings = BenchSettings(nights=nights, episodes=episodes, heldout=heldout, seed=seed,
                                 kinds=tuple(k.strip() for k in kinds.split(",") if k.strip()),
                                 suite=suite, tasks=names, error_rate=error_rate,
                                 actor_steps=actor_steps, actor_sft_steps=sft_steps,
                                 reward_steps=reward_steps,
                                 reward_sft_steps=reward_sft_steps, sft_epochs=sft_epochs,
                                 min_holdout=min_holdout)
    except ValueError as exc:
        raise fail(str(exc)) from None
    out = out.resolve()
    home = (bench_home or out / "home").resolve()
    started = time.monotonic()
    console.print("building (or reusing) the demo model …")
    demo = build(demo_cache or state(ctx).paths.ensure().models_dir)
    settings.write_home_config(home)
    bench = Bench(settings, home, out, say=console.print)
    install(Catalogue.load(bench.paths.models_dir), demo)
    with private_display(*settings.screen) as display:
        rows = bench.run(display)
    console.print(table(rows))
    (out / "learning.json").write_text(json.dumps(as_json(rows, settings), indent=2))
    picture = plot(rows, out / "learning.png")
    console.print(f"report: {out / 'learning.json'}, plot: {picture}; the bench home is "
                  f"{home} (deskhand --home {home} ...); {time.monotonic() - started:.0f} s")


def _suite_tasks(suite: str, tasks: str) -> tuple[str, ...]:
    """The MiniWoB++ task names of ``--tasks`` (globs resolved), checking that the benchmark
    can run here; () for another suite. ``ValueError`` with the fix when it cannot."""
    if suite != "miniwob":
        return ()
    from agent.suites.miniwob_setup import (
        MiniWobSetupError,
        UnknownTaskError,
        check_setup,
        resolve_tasks,
    )

    try:
        check_setup()
        return tuple(resolve_tasks([tasks]))
    except (MiniWobSetupError, UnknownTaskError) as exc:
        raise ValueError(str(exc)) from None
