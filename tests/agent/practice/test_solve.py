"""The solver plans from geometry alone: the right widgets, popups waited for, lists scrolled."""

from __future__ import annotations

import dataclasses

import pytest

from agent.practice.generators import make_exercise
from agent.practice.solve import POPUP_WAIT, solve, target_names, targets
from agent.practice.spec import Box, ExerciseError, ExerciseSpec, Geometry
from models.actions import Click, Done, Drag, Key, Scroll, Type, Wait, validate


def _boxes(names: list[str]) -> dict[str, Box]:
    return {n: Box(100 + 50 * i, 200, 40, 20) for i, n in enumerate(names)}


def test_button_clicks_the_centre_of_the_named_button_then_done() -> None:
    spec = make_exercise("button", 4)
    g = Geometry(_boxes([f"button:{b}" for b in spec.params["labels"]]))
    plan = solve(spec, g)
    target = g.box(f"button:{spec.params['target']}")
    assert plan == [Click(*target.center), Done(spec.task)]
    assert targets(spec, g) == [(f"button:{spec.params['target']}", target)]


def test_checkboxes_click_only_the_boxes_that_must_change() -> None:
    spec = make_exercise("checkboxes", 0)
    p = spec.params
    spec = dataclasses.replace(spec, params={**p, "labels": ["A", "B", "C", "D"],
                                             "targets": ["A", "B"], "initial": ["B", "C"]})
    g = Geometry(_boxes([f"check:{x}" for x in "ABCD"]))
    assert solve(spec, g)[:-1] == [Click(*g.box("check:A").center),
                                    Click(*g.box("check:C").center)]


def test_menu_and_combo_wait_for_the_popup_between_the_clicks() -> None:
    for kind in ("menu", "combo"):
        spec = make_exercise(kind, 2)
        names = target_names(spec)
        g = Geometry(_boxes(names))
        plan = solve(spec, g)
        assert plan == [Click(*g.box(names[0]).center), Wait(POPUP_WAIT),
                        Click(*g.box(names[1]).center), Done(spec.task)]


def test_slider_drags_the_handle_to_the_target_position() -> None:
    spec = make_exercise("slider", 3)
    g = Geometry({"slider_handle": Box(300, 400, 10, 20)},
                 {f"slider_x:{v}": 300 + 8 * v for v in range(spec.params["maximum"] + 1)})
    assert solve(spec, g)[0] == Drag(305, 410, 300 + 8 * spec.params["target"], 410)


def test_editor_selects_all_types_and_saves_the_asked_way() -> None:
    for seed in range(20):
        spec = make_exercise("editor", seed)
        g = Geometry({"editor": Box(0, 0, 400, 300), "save_button": Box(500, 0, 60, 24)})
        plan = solve(spec, g)
        save = Key(("ctrl", "s")) if spec.params["save_via"] == "keys" else Click(530, 12)
        assert plan == [Click(200, 150), Key(("ctrl", "a")), Type(spec.params["text"]), save,
                        Done(spec.task)]


def _list_geometry(spec: ExerciseSpec, scroll: int = 0, max_scroll: int = 50) -> Geometry:
    """A list viewport of 10 rows of 20 px at y=100; rows laid out from the current scroll."""
    items = spec.params["items"]
    boxes = {f"list_item:{t}": Box(10, 100 + 20 * (i - scroll), 200, 20)
             for i, t in enumerate(items)}
    boxes["list_viewport"] = Box(10, 100, 200, 200)
    return Geometry(boxes, {"list_row_height": 20, "list_rows_per_notch": 3,
                            "list_scroll": scroll, "list_max_scroll": max_scroll})


def test_scroll_list_scrolls_just_enough_then_clicks_where_the_item_will_be() -> None:
    spec = make_exercise("scroll_list", 0)
    index = spec.params["items"].index(spec.params["target"])
    g = _list_geometry(spec, max_scroll=len(spec.params["items"]) - 10)
    wheel, wait, click = solve(spec, g)[:3]
    assert isinstance(wheel, Scroll) and wheel.dy < 0 and isinstance(wait, Wait)
    rows = -wheel.dy * 3
    shifted = min(rows, len(spec.params["items"]) - 10)
    assert rows - 3 < index - 9 <= rows, "the fewest notches that bring the row into view"
    assert isinstance(click, Click) and click.y == 100 + 20 * (index - shifted) + 10
    assert 100 <= click.y < 300


def test_scroll_list_accounts_for_the_end_of_the_list_and_for_scrolling_up() -> None:
    spec = make_exercise("scroll_list", 1)
    items = spec.params["items"]
    last = dataclasses.replace(spec, params={**spec.params, "target": items[-1]})
    max_scroll = len(items) - 10
    wheel, _, click = solve(last, _list_geometry(last, max_scroll=max_scroll))[:3]
    assert isinstance(click, Click) and click.y == 100 + 20 * 9 + 10  # last visible row
    first = dataclasses.replace(spec, params={**spec.params, "target": items[0]})
    up, _, click = solve(first, _list_geometry(first, scroll=max_scroll,
                                              max_scroll=max_scroll))[:3]
    assert isinstance(up, Scroll) and up.dy > 0 and isinstance(click, Click)
    assert click.y == 110
    visible = dataclasses.replace(spec, params={**spec.params, "target": items[2]})
    assert solve(visible, _list_geometry(visible))[0] == Click(110, 150)


def test_a_long_scroll_is_split_into_scrolls_within_the_bounds() -> None:
    spec = make_exercise("scroll_list", 0)
    items = [f"item {i}" for i in range(400)]
    spec = dataclasses.replace(spec, params={**spec.params, "items": items,
                                             "target": items[-1]})
    plan = solve(spec, _list_geometry(spec, max_scroll=len(items) - 10))
    wheels = [a for a in plan if isinstance(a, Scroll)]
    assert len(wheels) > 1 and all(-50 <= w.dy < 0 for w in wheels)
    assert -sum(w.dy for w in wheels) * 3 >= len(items) - 10  # the whole way down
    assert all(validate(a) == a for a in plan)


def test_missing_geometry_is_a_clear_error() -> None:
    with pytest.raises(ExerciseError, match="no widget 'button:"):
        solve(make_exercise("button", 0), Geometry())


def test_geometry_round_trips_through_json() -> None:
    g = Geometry({"editor": Box(-5, 3, 10, 20)}, {"list_scroll": 4})
    assert Geometry.from_json(g.to_json()) == g
    with pytest.raises(ExerciseError):
        Box.from_json([1, 2, 3])
