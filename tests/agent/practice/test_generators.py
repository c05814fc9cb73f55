"""Exercises are deterministic per (kind, seed), vary across seeds, and fit a small screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.practice.generators import (
    LAMP_COLOURS,
    LAMP_TASK,
    SCREEN_FIT,
    SWATCH_COLOURS,
    SWATCH_LOOK,
    SWATCH_SLOTS,
    make_exercise,
)
from agent.practice.spec import KINDS, THEMES, ExerciseError

ROOT = Path(__file__).resolve().parents[3]
SEEDS = range(40)


@pytest.mark.parametrize("kind", KINDS)
def test_same_kind_and_seed_give_the_same_exercise(kind: str) -> None:
    for seed in range(10):
        assert make_exercise(kind, seed) == make_exercise(kind, seed)
        spec = make_exercise(kind, seed)
        assert json.loads(json.dumps(spec.to_json())) == spec.to_json()


def test_exercises_do_not_depend_on_the_process() -> None:
    """Another interpreter with another hash seed builds the very same exercises."""
    code = ("import json; from agent.practice.generators import make_exercise; "
            "from agent.practice.spec import KINDS; "
            "print(json.dumps([make_exercise(k, s).to_json() for k in KINDS for s in (0, 7)]))")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    here = [make_exercise(k, s).to_json() for k in KINDS for s in (0, 7)]
    assert json.loads(out.stdout) == here


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in ("swatch", "lamp")])
def test_seeds_vary_words_look_and_place(kind: str) -> None:
    specs = [make_exercise(kind, seed) for seed in SEEDS]
    assert len({s.task for s in specs}) >= 10
    assert {s.look.theme for s in specs} == set(THEMES)
    assert len({s.look.font_pt for s in specs}) >= 3
    assert len({(s.look.x, s.look.y) for s in specs}) >= 30
    assert len({(s.look.width, s.look.height) for s in specs}) >= 30
    for s in specs:
        look = s.look
        assert look.x >= 0 and look.y >= 0
        assert look.x + look.width <= SCREEN_FIT[0] and look.y + look.height <= SCREEN_FIT[1]
        assert s.title.startswith("Deskhand practice")


def test_targets_are_among_the_choices_and_named_in_the_task() -> None:
    for seed in SEEDS:
        button = make_exercise("button", seed).params
        assert button["target"] in button["labels"]
        assert len(set(button["labels"])) == len(button["labels"])
        boxes = make_exercise("checkboxes", seed)
        assert set(boxes.params["targets"]) <= set(boxes.params["labels"])
        assert all(f"'{t}'" in boxes.task for t in boxes.params["targets"])
        assert set(boxes.params["initial"]) != set(boxes.params["targets"]), "starts solved"
        menu = make_exercise("menu", seed).params
        title, item = menu["target"]
        assert item in menu["menus"][title]
        slider = make_exercise("slider", seed).params
        assert slider["minimum"] <= slider["target"] <= slider["maximum"]
        assert slider["target"] != slider["initial"]
        listed = make_exercise("scroll_list", seed).params
        assert listed["items"].index(listed["target"]) >= 20, "the target needs scrolling"
        assert len(set(listed["items"])) == len(listed["items"])
        form = make_exercise("form", seed)
        assert all(f"'{v}'" in form.task for v in form.params["fields"].values())


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ExerciseError, match="unknown exercise kind 'juggle'; known: button"):
        make_exercise("juggle", 0)


def test_swatch_varies_colours_and_order_in_a_fixed_small_window() -> None:
    """The demo model's kind: the answer is a colour; where the squares are never changes."""
    specs = [make_exercise("swatch", seed) for seed in SEEDS]
    assert {s.look for s in specs} == {SWATCH_LOOK}
    assert {s.params["target"] for s in specs} == set(SWATCH_COLOURS)
    assert len({tuple(s.params["colours"]) for s in specs}) >= 30
    for s in specs:
        assert s.params["target"] in s.params["colours"]
        assert len(set(s.params["colours"])) == SWATCH_SLOTS
        assert s.task == f"Click the {s.params['target']} square."


def test_lamp_keeps_its_squares_in_one_order_and_lights_each_colour() -> None:
    specs = [make_exercise("lamp", seed) for seed in SEEDS]
    assert {s.look for s in specs} == {SWATCH_LOOK}
    assert {tuple(s.params["colours"]) for s in specs} == {LAMP_COLOURS}
    assert {s.params["target"] for s in specs} == set(LAMP_COLOURS)
    assert {s.task for s in specs} == {LAMP_TASK}  # only the lamp says which
