"""``deskhand learn --processes K``: the same command again under ``accelerate launch``.

Data-parallel training is accelerate's job (:mod:`learner.distributed` reads the ranks it
sets up); this module only rewrites the command line: ``deskhand [global options] learn ...
--processes K`` becomes ``python -m accelerate.commands.launch --multi_gpu --num_processes K
... -m app.cli [global options] learn ...`` (``--multi_gpu`` is accelerate's name for "one
process per device" and runs on CPUs too, over gloo).

The design choice a reader must know: the launched processes see ``WORLD_SIZE``, so their own
``--processes`` never launches again; one process (``--processes 1``) never involves
accelerate at all. ``--fsdp`` launches with accelerate's FSDP settings instead of
``--multi_gpu`` (the same as ``packaging/accelerate/fsdp.yaml``), and the ranks shard the model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence


def without_processes(args: Sequence[str]) -> list[str]:
    """``args`` without ``--processes K`` / ``--processes=K``.

    >>> without_processes(["--home", "h", "learn", "--processes", "2", "--max-steps", "1"])
    ['--home', 'h', 'learn', '--max-steps', '1']
    >>> without_processes(["learn", "--processes=4"])
    ['learn']
    """
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--processes":
            skip = True
        elif not arg.startswith("--processes="):
            out.append(arg)
    return out


# accelerate's FSDP settings for ``--fsdp``: those of packaging/accelerate/fsdp.yaml
FSDP_FLAGS = ("--use_fsdp", "--fsdp_version", "2", "--fsdp_auto_wrap_policy",
              "TRANSFORMER_BASED_WRAP", "--fsdp_reshard_after_forward", "true",
              "--fsdp_offload_params", "false", "--fsdp_state_dict_type", "FULL_STATE_DICT",
              "--fsdp_cpu_ram_efficient_loading", "false", "--fsdp_sync_module_states", "false")


def launch_argv(processes: int, args: Sequence[str], fsdp: bool = False) -> list[str]:
    """The ``accelerate launch`` command line that runs ``deskhand args`` on ``processes``,
    sharding the model over them with ``fsdp`` (:mod:`learner.sharding`).

    >>> launch_argv(2, ["learn", "--processes", "2"])[3:6]
    ['--multi_gpu', '--num_processes', '2']
    >>> launch_argv(2, ["learn", "--processes", "2"])[-3:]
    ['-m', 'app.cli', 'learn']
    >>> launch_argv(2, ["learn", "--fsdp"], fsdp=True)[3:6]
    ['--use_fsdp', '--fsdp_version', '2']
    """
    mode = list(FSDP_FLAGS) if fsdp else ["--multi_gpu"]
    return [sys.executable, "-m", "accelerate.commands.launch", *mode,
            "--num_processes", str(processes), "--num_machines", "1",
            "--mixed_precision", "no", "--dynamo_backend", "no",
            "-m", "app.cli", *without_processes(args)]


def launched() -> bool:
    """Whether this process is already one of a launcher's ranks."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def relaunch(processes: int, args: Sequence[str], fsdp: bool = False) -> int:
    """Run ``deskhand args`` on ``processes`` through accelerate; its exit status. A SIGTERM
    or SIGINT to this process goes on to the launcher, which passes it to the ranks: they
    stop at the end of their step and checkpoint, as one process would."""
    import signal

    child = subprocess.Popen(launch_argv(processes, args, fsdp))

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
