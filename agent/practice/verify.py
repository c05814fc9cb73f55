"""``verify(spec, state)``: has the exercise been done? Read from the plain state the app reports.

The state is the JSON the practice app writes (``state`` in its state file), one small dict
per kind, e.g. ``{"clicked": ["Orange"]}`` or ``{"text": "...", "saved": "..."}``.

The one design choice a reader must know: a verdict is about the outcome *and* about mistakes
that leave a trace. Clicking a wrong button, choosing a wrong menu item or clicking a wrong list
entry fails the exercise even if the right one was clicked too; for widgets whose value can be
put right (boxes, fields, combo, slider, editor) only the final value counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.practice.spec import ExerciseError, ExerciseSpec, Verdict


def _clicked_only(state: dict[str, Any], target: str, what: str) -> Verdict:
    clicked = list(state.get("clicked", []))
    wrong = [c for c in clicked if c != target]
    if wrong:
        return Verdict(False, f"clicked the wrong {what}: {', '.join(map(repr, wrong))}")
    if not clicked:
        return Verdict(False, f"the {what} {target!r} has not been clicked")
    return Verdict(True, f"clicked {target!r}")


def _button(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    return _clicked_only(state, spec.params["target"], "button")


def _scroll_list(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    return _clicked_only(state, spec.params["target"], "item")


def _swatch(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    return _clicked_only(state, spec.params["target"], "square")


def _lamp(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    """As ``swatch``, but the words never name the lamp's colour: they are on the screen."""
    clicked = list(state.get("clicked", []))
    if any(c != spec.params["target"] for c in clicked):
        return Verdict(False, "a square of another colour than the lamp's was clicked")
    if not clicked:
        return Verdict(False, "no square has been clicked yet")
    return Verdict(True, "the square of the lamp's colour was clicked")


def _form(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    expected: dict[str, str] = spec.params["fields"]
    submitted = state.get("submitted")
    if submitted is None:
        values = dict(state.get("values", {}))
        off = [k for k, v in expected.items() if values.get(k) != v]
        left = f"; fields still wrong: {', '.join(off)}" if off else ""
        return Verdict(False, f"the form has not been submitted{left}")
    off = [k for k, v in expected.items() if submitted.get(k) != v]
    if off:
        got = ", ".join(f"{k}={submitted.get(k)!r}" for k in off)
        return Verdict(False, f"submitted with wrong values: {got}")
    return Verdict(True, "submitted with every field right")


def _checkboxes(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    checked = set(state.get("checked", []))
    targets = set(spec.params["targets"])
    missing, extra = sorted(targets - checked), sorted(checked - targets)
    if missing or extra:
        parts = ([f"not ticked: {', '.join(missing)}"] if missing else []) + (
            [f"ticked but should not be: {', '.join(extra)}"] if extra else [])
        return Verdict(False, "; ".join(parts))
    return Verdict(True, "exactly the named boxes are ticked")


def _menu(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    menu, item = spec.params["target"]
    return _clicked_only({"clicked": state.get("chosen", [])}, f"{menu}/{item}", "menu item")


def _combo(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    current = state.get("current")
    if current != spec.params["target"]:
        return Verdict(False, f"the drop-down shows {current!r}, not {spec.params['target']!r}")
    return Verdict(True, f"{current!r} is selected")


def _slider(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    value = state.get("value")
    if value != spec.params["target"]:
        return Verdict(False, f"the slider is at {value}, not {spec.params['target']}")
    return Verdict(True, f"the slider is at {value}")


def _dialog(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    answer = state.get("answer")
    if answer is None:
        return Verdict(False, "the dialog has not been answered")
    if answer != spec.params["target"]:
        return Verdict(False, f"answered {answer!r}, not {spec.params['target']!r}")
    return Verdict(True, f"answered {answer!r}")


def _editor(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    saved = state.get("saved")
    want: str = spec.params["text"]
    if saved is None:
        return Verdict(False, "the text has not been saved")
    if saved.rstrip("\n") != want:
        return Verdict(False, f"saved {saved!r}, not {want!r}")
    return Verdict(True, "the right text is saved")


_VERIFIERS: dict[str, Callable[[ExerciseSpec, dict[str, Any]], Verdict]] = {
    "button": _button, "form": _form, "checkboxes": _checkboxes, "menu": _menu,
    "combo": _combo, "slider": _slider, "dialog": _dialog, "editor": _editor,
    "scroll_list": _scroll_list, "swatch": _swatch, "lamp": _lamp,
}


def verify(spec: ExerciseSpec, state: dict[str, Any]) -> Verdict:
    """The verdict on a state the app reported for this exercise.

    >>> from agent.practice.generators import make_exercise
    >>> spec = make_exercise("slider", 1)
    >>> verify(spec, {"value": spec.params["target"]}).ok
    True
    >>> verify(spec, {"value": spec.params["initial"]}).ok
    False
    """
    if spec.kind not in _VERIFIERS:
        raise ExerciseError(f"no verifier for kind {spec.kind!r}")
    if not isinstance(state, dict):
        raise ExerciseError(f"a state is a JSON object, got {type(state).__name__}")
    return _VERIFIERS[spec.kind](spec, state)


def failed_for_good(spec: ExerciseSpec, state: dict[str, Any]) -> bool:
    """Whether no later action can solve the exercise any more: a kind judged on what was
    clicked (button, list item, menu item, square) once a wrong one was.

    >>> from agent.practice.generators import make_exercise
    >>> spec = make_exercise("swatch", 1)
    >>> wrong = next(c for c in spec.params["colours"] if c != spec.params["target"])
    >>> failed_for_good(spec, {"clicked": [wrong]}), failed_for_good(spec, {"clicked": []})
    (True, False)
    """
    if spec.kind == "menu":
        menu, item = spec.params["target"]
        return any(c != f"{menu}/{item}" for c in state.get("chosen", []))
    if spec.kind in ("button", "scroll_list", "swatch", "lamp"):
        return any(c != spec.params["target"] for c in state.get("clicked", []))
    return False

