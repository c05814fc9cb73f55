"""The person in the loop, end to end: 20 episodes in a row in the real app, on an X display
with a window manager, beside the practice desktop's form — approving by Enter, correcting by
clicking the screenshot, taking over with typing, touching the mouse while the agent thinks
and resuming (by the panel's Resume or by Ctrl+R), rating the episode with a digit. The
person's hands are real X input (xdotool, see ``person_driver``).

What must hold: no pause the person did not cause (0 spurious pauses), every judgment stored
exactly as given, and every approved action executed in the right window — the practice form
shows each click on the widget it was meant for and every text in the field it was typed for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.paths import Paths
from agent.practice.channel import read_state, wait_for_state
from tests.fixtures.display import XDisplay

ROOT = Path(__file__).resolve().parents[3]
EPISODES = 20
FORM_SEED = 3  # a form with three fields, labels beside them


def _env(display: XDisplay) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display.name,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    env.pop("DESKHAND_DRY_RUN", None)
    return env


@pytest.mark.display
def test_twenty_episodes_with_a_person_in_the_loop(wm_display: XDisplay, home: Paths,
                                                    tmp_path: Path) -> None:
    env = _env(wm_display)
    state_file = tmp_path / "practice.json"
    practice_log = (tmp_path / "practice.log").open("wb")
    practice = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--home", str(home.data_dir.parent), "practice",
         "-e", "form", "--seed", str(FORM_SEED), "--state-file", str(state_file)],
        cwd=ROOT, env=env, stdout=practice_log, stderr=subprocess.STDOUT)
    try:
        start = wait_for_state(state_file, lambda d: bool(d["settled"]), timeout=60)
        fields = sorted(n for n in start["geometry"]["boxes"] if n.startswith("field:"))
        out = tmp_path / "person.json"
        driver = subprocess.run(
            [sys.executable, "-m", "tests.app.gui.person_driver", str(home.data_dir.parent),
             str(out), str(state_file), str(EPISODES)], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=1500)
        assert driver.returncode == 0, driver.stdout[-3000:] + driver.stderr[-3000:]
        log = json.loads(out.read_text())
        assert "error" not in log, log["error"] + "\n" + "\n".join(log["statuses"][-30:])
        final = read_state(state_file)
    finally:
        practice.terminate()
        practice.wait(timeout=20)
        practice_log.close()
    episodes = log["episodes"]
    assert len(episodes) == EPISODES

    # 0 spurious pauses: one pause in each episode where the person touched the mouse
    touched = [e["number"] for e in episodes if e["number"] % 2 == 1]
    assert len(log["pauses"]) == len(touched), log["pauses"]
    assert all(p.startswith("the pointer moved to") for p in log["pauses"]), log["pauses"]

    # every approved action in the right window: each click landed on its widget of the form
    first, second = fields[0], fields[1]
    for e in episodes:
        assert e["presses"][1:] == [first, second, first, first, "submit"], e
    # every text reached the field it was meant for: each episode adds the person's text and
    # then the agent's, together, where the person's click put the caret (inside earlier text)
    label = first.split(":", 1)[1]
    before = ""
    for e in episodes:
        after, pair = e["state"]["values"][label], e["typed_by_person"] + e["typed_by_agent"]
        assert any(after == before[:i] + pair + before[i:] for i in range(len(before) + 1)), \
            (e["number"], before, after)
        before = after
    assert final is not None and final["state"]["values"][label] == before
    assert final["state"]["values"][second.split(":", 1)[1]] == ""
    _check_store(home, episodes, fields)


def _check_store(home: Paths, episodes: list[dict[str, Any]], fields: list[str]) -> None:
    """Every judgment stored exactly as given, in order, on the right step."""
    from agent.store.repo import open_store

    store = open_store(home)
    try:
        stored = sorted(store.list_episodes(limit=100), key=lambda e: e.id)
        assert len(stored) == len(episodes)
        for given, episode in zip(episodes, stored, strict=True):
            steps = store.steps(episode.id)
            assert episode.status == "done"
            assert [s.outcome for s in steps] == ["executed", "corrected", "corrected",
                                                  "corrected", "executed", "executed",
                                                  "executed"]
            rows = [(j.kind, next((s.index for s in steps if s.id == j.step_id), None),
                     j.value) for j in episode.judgments]
            assert rows == [("approve", 0, 1.0), ("correct", 1, 1.0), ("correct", 2, 1.0),
                            ("correct", 3, 1.0), ("approve", 4, 1.0), ("approve", 5, 1.0),
                            ("approve", 6, 1.0), ("rate", None, float(given["stars"]))]
            corrected = [j.corrected_action for j in episode.judgments if j.kind == "correct"]
            assert corrected[0]["type"] == "click"  # the click on the screenshot
            assert corrected[1]["type"] == "click"  # the person's own click, taking over
            assert corrected[2] == {"type": "type", "text": given["typed_by_person"]}
    finally:
        store.close()
