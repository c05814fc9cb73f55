"""Replay files go through the same validation as a model's output: bounds included."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.policy import ReplayError, ReplayPolicy, read_replay
from agent.practice.replay import write_replay
from models.actions import ActionError, Click, Scroll

GOOD = '{"type": "scroll", "x": 5, "y": 6, "dy": -3}'


@pytest.mark.parametrize(("line", "reason"), [
    ('{"type": "scroll", "x": 5, "y": 6, "dy": -10000000}', "at most ±50"),
    ('{"type": "scroll", "x": 5, "y": 6, "dy": 2.5}', "whole number"),
    ('{"type": "click", "x": 5, "y": 6, "count": 20}', "count must be 1..3"),
    ('{"type": "click", "x": 1e400, "y": 6}', "finite"),
    ('{"type": "click", "x": ' + "9" * 5000 + ', "y": 6}', "line 2"),  # int() digit limit
    ('{"type": "click", "x": ' + "[" * 100_000 + "]" * 100_000 + ', "y": 6}', "line 2"),
    ('{"type": ["click"], "x": 5, "y": 6}', "unknown action type"),
    ('{"type": "type", "text": "' + "a" * 10_001 + '"}', "at most 10000"),
    ('{"type": "wait", "seconds": NaN}', "seconds"),
])
def test_a_bad_line_is_a_replay_error_naming_it(line: str, reason: str) -> None:
    with pytest.raises(ReplayError) as err:
        read_replay([GOOD, line], "moves.jsonl")
    assert "moves.jsonl line 2" in str(err.value) and reason in str(err.value)
    assert len(str(err.value)) < 500


def test_a_stored_episode_replays_a_correction_only_if_it_is_valid() -> None:
    record = ('{"format": "deskhand-step", "episode": {"key": "e1"}, "step": {"action": '
              + GOOD + '}, "judgments": [{"kind": "correct", "corrected_action": {"type": '
              '"scroll", "x": 5, "y": 6, "dy": 99999}}]}')
    with pytest.raises(ReplayError, match="at most ±50"):
        read_replay([record])


def test_replay_policy_refuses_the_file_before_acting(tmp_path: Path) -> None:
    path = tmp_path / "replay.jsonl"
    path.write_text(GOOD + "\n" + '{"type": "scroll", "x": 5, "y": 6, "dx": 100, "dy": 0}\n',
                    encoding="utf-8")
    with pytest.raises(ReplayError, match="line 2"):
        ReplayPolicy(path)
    path.write_text(GOOD + "\n", encoding="utf-8")
    assert ReplayPolicy(path).actions == [Scroll(5, 6, 0, -3)]


def test_a_replay_file_is_written_only_with_valid_actions(tmp_path: Path) -> None:
    path = tmp_path / "plan.jsonl"
    with pytest.raises(ActionError, match="replay action 2: scroll: dy"):
        write_replay(path, [Click(1, 2), Scroll(5, 6, 0, -10_000_000)])
    assert not path.exists()
    write_replay(path, [Click(1, 2), Scroll(5, 6, 0, -50)])
    assert ReplayPolicy(path).actions == [Click(1, 2), Scroll(5, 6, 0, -50)]
