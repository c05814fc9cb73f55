"""A stand-in for ``deskhand learn --now``, for the Training page's tests.

It behaves as the real trainer does towards the app: writes a ``training_runs`` row (with
per-step metrics and, at the end, the gate's decision), logs one ``<role> step i/n: {json}``
line per step and a summary line, and on SIGTERM marks the row interrupted and exits 0.
``--hold`` waits for SIGTERM after the last step (to test Cancel) instead of finishing.
Run as ``python fake_trainer.py HOME [--steps N] [--hold]``.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Any


def main(argv: list[str]) -> int:
    from agent.paths import Paths
    from agent.store.repo import open_store
    from agent.store.schema import TrainingRun, utcnow

    home, steps, hold = argv[0], 3, "--hold" in argv
    if "--steps" in argv:
        steps = int(argv[argv.index("--steps") + 1])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    store = open_store(Paths.resolve(home))
    try:
        with store.session() as s:
            row = TrainingRun(role="actor", status="running", started_at=utcnow(),
                              reason="started")
            s.add(row)
            s.flush()
            run_id = row.id
        done: list[dict[str, Any]] = []
        for i in range(1, steps + 1):
            m = {"loss": 1.0 / i, "reward": 0.2 + 0.1 * i, "kl": 0.01 * i,
                 "entropy": 1.5 - 0.1 * i}
            done.append(m)
            with store.session() as s:
                s.get_one(TrainingRun, run_id).metrics = {"steps": list(done)}
            print(f"2026-01-01 deskhand.learn: actor step {i}/{steps}: {json.dumps(m)}",
                  file=sys.stderr, flush=True)
        if hold:
            print("holding until SIGTERM", flush=True)
            stop.wait(120)
        with store.session() as s:
            row = s.get_one(TrainingRun, run_id)
            if stop.is_set():
                row.status, row.reason = "interrupted", f"stopped at step {steps} (signal)"
                print(f"actor: stopped at step {steps}", flush=True)
                return 0
            row.status, row.ended_at, row.reason = "done", utcnow(), f"done: {steps} steps"
            row.metrics = {"steps": done, "version": 2, "gate": {
                "promote": True, "reasons": ["verifiable_reward 0.700 beats 0.500 by 0.200"],
                "figures": {"n": 24, "p": 0.0039}}}
        print(f"actor: run {run_id}, {steps} steps, v2 promoted (better)", flush=True)
        return 0
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
