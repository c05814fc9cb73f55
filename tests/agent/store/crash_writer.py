"""A store writer for the crash test: writes episodes, steps (with screenshots) and judgments
forever, printing ``E|S|J <id>`` to stdout after each commit, until it is killed.

Run as ``python -m tests.agent.store.crash_writer HOME SEED``.
"""

from __future__ import annotations

import sys

import numpy as np


def main(home: str, seed: int) -> None:
    from agent.paths import Paths
    from agent.store.repo import open_store
    from models.actions import Click

    store = open_store(Paths.resolve(home))
    rng = np.random.default_rng(seed)
    while True:
        episode = store.create_episode(f"crash test {seed}")
        print(f"E {episode}", flush=True)
        for _ in range(int(rng.integers(1, 6))):
            # a small pool of pictures, so that files are often shared between steps
            image = np.full((48, 64, 3), int(rng.integers(0, 12)), dtype=np.uint8)
            image[: int(rng.integers(1, 48))] = 255
            step = store.add_step(episode, screenshot=image, action=Click(3, 4))
            print(f"S {step}", flush=True)
            judgment = store.add_judgment(kind="approve", step_id=step, value=1.0)
            print(f"J {judgment}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
