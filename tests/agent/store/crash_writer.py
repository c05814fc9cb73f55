"""A store writer for the crash test: writes episodes, steps (with screenshots) and judgments
forever, appending ``E|S|J <id>`` to an acknowledgment file after each commit, until killed.

Run in a forkserver child (``multiprocessing``), or as
``python -m tests.agent.store.crash_writer HOME SEED ACKS``. Its busy timeout is tiny on
purpose: the three concurrent writers of the test meet each other's locks all the time, so
the store's retry of locked writes runs under the kills too.
"""

from __future__ import annotations

import os
import sys

import numpy as np

BUSY_TIMEOUT_MS = 2


def write_forever(home: str, seed: int, acks: str) -> None:
    from agent.paths import Paths
    from agent.store.config import StoreConfig
    from agent.store.repo import open_store
    from models.actions import Click

    store = open_store(Paths.resolve(home), StoreConfig(busy_timeout_ms=BUSY_TIMEOUT_MS))
    out = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    rng = np.random.default_rng(seed)

    def ack(kind: str, ident: int) -> None:  # once write() returns, a SIGKILL cannot undo it
        os.write(out, f"{kind} {ident}\n".encode())

    while True:
        episode = store.create_episode(f"crash test {seed}")
        ack("E", episode)
        for _ in range(int(rng.integers(1, 6))):
            # a small pool of pictures, so that files are often shared between steps
            image = np.full((48, 64, 3), int(rng.integers(0, 12)), dtype=np.uint8)
            image[: int(rng.integers(1, 48))] = 255
            step = store.add_step(episode, screenshot=image, action=Click(3, 4))
            ack("S", step)
            judgment = store.add_judgment(kind="approve", step_id=step, value=1.0)
            ack("J", judgment)


if __name__ == "__main__":
    write_forever(sys.argv[1], int(sys.argv[2]), sys.argv[3])
