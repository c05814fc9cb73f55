"""The product learns from its user: a short ``deskhand bench learning`` through the real path.

Three nights on the practice desktop's lamp exercises, run as the product runs: the demo model
(built by ``deskhand models add-demo``'s code, cached for the suite) acts through the real
episode loop on a private X display; a simulated person judges every step through the approval
gate; ``deskhand learn`` trains both roles in its own process, exports the GGUF adapters and
lets the served gate decide; the promoted actor then acts alone on held-out exercises never
taught. Fixed seeds. The held-out success must rise by a clear margin, as the exercise's own
checker counts it.

Why three nights (the learning issue's own horizon): a night's candidate is promoted only when
the gate is sure of it on the held-out judged steps, and each night's data differs from run to
run even with fixed seeds (a teaching step's screen and timing on a loaded machine can change
what the simulated person does, and everything after it). So the test must pass whatever
plausible data a run draws, not on one lucky draw. A CI run once failed here: night 1's
candidate not promoted though better (p=0.031; a guard failed, and on night-1 data with 8
episodes dropped the same figures came from unparseable held-out actions), and a later
night's candidate, trained on more data with the same 40 warm-up steps, worse than the active
one (seen here too: parse rate 0.74). The warm-up now walks shuffled passes over
its examples with a decaying learning rate, at least ``sft_epochs`` of them, so more data
means more steps (``learner.sft``; measured in the closing note of that change).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.control.xserver import xvfb_available

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.display
@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_one_night_of_judgments_makes_the_demo_model_better(tmp_path: Path,
                                                            demo_cache: Path) -> None:
    if not xvfb_available():
        pytest.skip("Xvfb is not installed (scripts/setup.sh installs it when run as root)")
    out = tmp_path / "bench"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--home", str(tmp_path / "user"), "bench",
         "learning", "--nights", "3", "--episodes", "60", "--heldout", "24", "--seed", "0",
         "--out", str(out), "--demo-cache", str(demo_cache)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3500,
        stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads((out / "learning.json").read_text())
    before, *nights = report["nights"]
    after = nights[-1]
    for row in nights:
        print(f"\nnight {row['night']}: held-out success {row['success']:.2f} (before "
              f"{before['success']:.2f}), parse {row['parse_rate']:.2f}; actor gate: "
              f"{row['actor_gate']}; reward gate: {row['reward_gate']}; reward-model "
              f"agreement {row['rm_agreement']}")
    assert 0.1 <= before["success"] <= 0.5  # the demo model, before any judgment
    assert any(row["actor_promoted"] for row in nights), [r["actor_gate"] for r in nights]
    # ... and it is better, held out: at least a quarter of the 24 exercises more, counted in
    # whole exercises (7/24 + 0.25 is one float ulp above 13/24)
    gained = round((after["success"] - before["success"]) * 24)
    assert gained >= 6, (before["success"], after["success"])
    assert after["parse_rate"] >= 0.9
    assert (out / "learning.png").stat().st_size > 1000
