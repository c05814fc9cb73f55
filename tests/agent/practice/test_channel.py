"""The state channel is written atomically and read back; replay files parse as actions."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agent.practice.channel import read_state, spec_of, wait_for_state, write_state
from agent.practice.generators import make_exercise
from agent.practice.replay import write_replay, write_solution
from agent.practice.spec import Box, Geometry
from models.actions import Click, Done, Key, Type, from_json


def test_write_then_read_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "state.json"
    assert read_state(path) is None
    spec = make_exercise("combo", 3)
    write_state(path, {"seq": 1, "spec": spec.to_json(), "text": "Grüße"})
    write_state(path, {"seq": 2, "spec": spec.to_json(), "text": "Grüße"})
    assert read_state(path) == {"seq": 2, "spec": spec.to_json(), "text": "Grüße"}
    assert spec_of(read_state(path) or {}) == spec
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


def test_wait_for_state_sees_a_later_write(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_state(path, {"seq": 1})
    timer = threading.Timer(0.2, write_state, args=(path, {"seq": 2}))
    timer.start()
    try:
        assert wait_for_state(path, lambda d: d["seq"] == 2, timeout=20)["seq"] == 2
    finally:
        timer.join()
    with pytest.raises(TimeoutError, match="'seq': 2"):
        wait_for_state(path, lambda d: d["seq"] == 3, timeout=0.2)


def test_replay_file_is_one_action_per_line(tmp_path: Path) -> None:
    actions = [Click(1, 2), Key(("ctrl", "s")), Type("héllo\nworld"), Done("ok")]
    path = write_replay(tmp_path / "plan.jsonl", actions)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [from_json(line) for line in lines] == actions
    spec = make_exercise("dialog", 0)
    target = f"answer:{spec.params['target']}"
    write_solution(path, spec, Geometry({target: Box(10, 10, 80, 30)}))
    assert [from_json(x) for x in path.read_text().splitlines()] == [Click(50, 25),
                                                                      Done(spec.task)]
