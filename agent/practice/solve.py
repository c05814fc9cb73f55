"""``solve(spec, geometry)``: a correct action sequence, planned from the live widget geometry;
``targets(spec, geometry)``: the widget boxes a correct click lands in, for the click reward.

The one design choice a reader must know: the plan is made once, from the geometry the app
reported at the start (popup rows of menus and the combo box are measured by the app at start,
list rows are reported at the current scroll), so it can be written to a replay file and run
by ``deskhand run --policy replay:FILE``. A click that opens a popup is followed by a short
``wait``, because the next click is delivered to whatever window is under the pointer.
"""

from __future__ import annotations

from agent.practice.spec import Box, ExerciseError, ExerciseSpec, Geometry
from models.actions import MAX_SCROLL_CLICKS, Action, Click, Done, Drag, Key, Scroll, Type, Wait

POPUP_WAIT = 0.5  # seconds for a popup (menu, drop-down) to be mapped on the X server


def target_names(spec: ExerciseSpec) -> list[str]:
    """Names of the geometry boxes a correct solution clicks (or grabs), in order, as far as
    they follow from the spec alone (the checkboxes to toggle, the menu then its item...)."""
    p = spec.params
    if spec.kind == "button":
        return [f"button:{p['target']}"]
    if spec.kind == "form":
        return [f"field:{label}" for label in p["fields"]] + ["submit"]
    if spec.kind == "checkboxes":
        flip = [b for b in p["labels"] if (b in p["initial"]) != (b in p["targets"])]
        return [f"check:{label}" for label in flip]
    if spec.kind == "menu":
        menu, item = p["target"]
        return [f"menu:{menu}", f"menu_item:{menu}/{item}"]
    if spec.kind == "combo":
        return ["combo", f"combo_item:{p['target']}"]
    if spec.kind == "slider":
        return ["slider_handle"]
    if spec.kind == "dialog":
        return [f"answer:{p['target']}"]
    if spec.kind == "editor":
        return ["editor"] + (["save_button"] if p["save_via"] == "button" else [])
    if spec.kind == "scroll_list":
        return [f"list_item:{p['target']}"]
    if spec.kind in ("swatch", "lamp"):
        return [f"swatch:{p['target']}"]
    raise ExerciseError(f"unknown exercise kind {spec.kind!r}")


def targets(spec: ExerciseSpec, geometry: Geometry) -> list[tuple[str, Box]]:
    """The target boxes in screen pixels (a list item: where it is at the current scroll)."""
    return [(name, geometry.box(name)) for name in target_names(spec)]


def _click(box: Box) -> Click:
    return Click(*box.center)


def _scroll_list(spec: ExerciseSpec, g: Geometry) -> list[Action]:
    """Wheel notches until the item is inside the viewport, then click it."""
    view, item = g.box("list_viewport"), g.box(f"list_item:{spec.params['target']}")
    row, per_notch = g.number("list_row_height"), g.number("list_rows_per_notch")
    scroll, top_limit = g.number("list_scroll"), g.number("list_max_scroll")
    if item.y >= view.y and item.y + item.height <= view.y + view.height:
        return [_click(item)]
    down = item.y > view.y
    for notches in range(1, 1000):
        rows = notches * per_notch
        shift = min(rows, top_limit - scroll) if down else -min(rows, scroll)
        y = item.y - shift * row
        if view.y <= y and y + item.height <= view.y + view.height:
            moved = Box(item.x, y, item.width, item.height)
            return [*_wheel(view.center, -notches if down else notches), Wait(0.3),
                    _click(moved)]
    raise ExerciseError("the list item cannot be scrolled into view")


def _wheel(at: tuple[int, int], clicks: int) -> list[Action]:
    """``clicks`` wheel clicks at one point, as scrolls of at most ``MAX_SCROLL_CLICKS``."""
    sign, left = (1 if clicks > 0 else -1), abs(clicks)
    out: list[Action] = []
    while left:
        step = min(left, MAX_SCROLL_CLICKS)
        out.append(Scroll(*at, 0, sign * step))
        left -= step
    return out


def _slider(spec: ExerciseSpec, g: Geometry) -> list[Action]:
    handle = g.box("slider_handle")
    x, y = handle.center
    return [Drag(x, y, g.number(f"slider_x:{spec.params['target']}"), y)]


def _editor(spec: ExerciseSpec, g: Geometry) -> list[Action]:
    p = spec.params
    save: Action = Key(("ctrl", "s")) if p["save_via"] == "keys" else _click(g.box("save_button"))
    return [_click(g.box("editor")), Key(("ctrl", "a")), Type(p["text"]), save]


def _form(spec: ExerciseSpec, g: Geometry) -> list[Action]:
    actions: list[Action] = []
    for label, value in spec.params["fields"].items():
        actions += [_click(g.box(f"field:{label}")), Key(("ctrl", "a")), Type(value)]
    return actions + [_click(g.box("submit"))]


def solve(spec: ExerciseSpec, geometry: Geometry) -> list[Action]:
    """A correct sequence of actions for this exercise, ending with ``done``.

    >>> from agent.practice.generators import make_exercise
    >>> spec = make_exercise("button", 1)
    >>> g = Geometry({f"button:{b}": Box(10 * i, 0, 8, 8)
    ...               for i, b in enumerate(spec.params["labels"])})
    >>> first = solve(spec, g)[0]
    >>> g.box(f"button:{spec.params['target']}").contains(first.x, first.y)
    True
    """
    actions: list[Action]
    if spec.kind == "scroll_list":
        actions = _scroll_list(spec, geometry)
    elif spec.kind == "slider":
        actions = _slider(spec, geometry)
    elif spec.kind == "editor":
        actions = _editor(spec, geometry)
    elif spec.kind == "form":
        actions = _form(spec, geometry)
    else:
        actions = [_click(box) for _name, box in targets(spec, geometry)]
        if spec.kind in ("menu", "combo"):  # the first click opens a popup
            actions.insert(1, Wait(POPUP_WAIT))
    return actions + [Done(spec.task)]

