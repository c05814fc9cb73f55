"""Verifiers: the right state is solved; each kind of wrong state is not, and says why."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.practice.generators import make_exercise
from agent.practice.spec import ExerciseError
from agent.practice.verify import verify


def _other(values: list[str], target: str) -> str:
    return next(v for v in values if v != target)


def _cases(seed: int) -> list[tuple[str, dict[str, Any], bool, str]]:
    """(kind, state, solved?, a word the details must contain)."""
    b = make_exercise("button", seed).params
    f = make_exercise("form", seed).params
    c = make_exercise("checkboxes", seed).params
    m = make_exercise("menu", seed).params
    co = make_exercise("combo", seed).params
    s = make_exercise("slider", seed).params
    d = make_exercise("dialog", seed).params
    e = make_exercise("editor", seed).params
    li = make_exercise("scroll_list", seed).params
    wrong_b = _other(b["labels"], b["target"])
    wrong_values = {k: v + "x" for k, v in f["fields"].items()}
    extra = _other(c["labels"], c["targets"][0]) if len(c["targets"]) == 1 else None
    menu, item = m["target"]
    wrong_item = _other(m["menus"][menu], item)
    return [
        ("button", {"clicked": [b["target"]]}, True, "clicked"),
        ("button", {"clicked": []}, False, "not been clicked"),
        ("button", {"clicked": [wrong_b, b["target"]]}, False, "wrong button"),
        ("form", {"values": f["fields"], "submitted": dict(f["fields"])}, True, "submitted"),
        ("form", {"values": f["fields"], "submitted": None}, False, "not been submitted"),
        ("form", {"values": wrong_values, "submitted": wrong_values}, False, "wrong values"),
        ("checkboxes", {"checked": c["targets"]}, True, "exactly"),
        ("checkboxes", {"checked": c["targets"][1:]}, False, "not ticked"),
        *([("checkboxes", {"checked": c["targets"] + [extra]}, False, "should not be")]
          if extra else []),
        ("menu", {"chosen": [f"{menu}/{item}"]}, True, "clicked"),
        ("menu", {"chosen": [f"{menu}/{wrong_item}", f"{menu}/{item}"]}, False, "wrong"),
        ("menu", {"chosen": []}, False, "not been clicked"),
        ("combo", {"current": co["target"]}, True, "selected"),
        ("combo", {"current": None}, False, "None"),
        ("combo", {"current": _other(co["options"], co["target"])}, False, "not"),
        ("slider", {"value": s["target"]}, True, "is at"),
        ("slider", {"value": s["initial"]}, False, "not"),
        ("dialog", {"answer": d["target"]}, True, "answered"),
        ("dialog", {"answer": None}, False, "not been answered"),
        ("dialog", {"answer": _other(d["answers"], d["target"])}, False, "not"),
        ("editor", {"text": e["text"], "saved": e["text"]}, True, "saved"),
        ("editor", {"text": e["text"], "saved": e["text"] + "\n"}, True, "saved"),
        ("editor", {"text": e["text"], "saved": None}, False, "not been saved"),
        ("editor", {"text": e["text"], "saved": e["text"][:-1]}, False, "not"),
        ("scroll_list", {"clicked": [li["target"]]}, True, "clicked"),
        ("scroll_list", {"clicked": [li["items"][0]]}, False, "wrong item"),
    ]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_verdicts(seed: int) -> None:
    for kind, state, solved, word in _cases(seed):
        verdict = verify(make_exercise(kind, seed), state)
        assert verdict.ok is solved, (kind, state, verdict)
        assert word in verdict.details, (kind, verdict.details)


@given(seed=st.integers(0, 10_000), data=st.data())
def test_checkboxes_solved_exactly_when_the_ticked_set_is_the_named_set(
        seed: int, data: st.DataObject) -> None:
    spec = make_exercise("checkboxes", seed)
    ticked = data.draw(st.sets(st.sampled_from(spec.params["labels"])))
    assert verify(spec, {"checked": sorted(ticked)}).ok == (ticked == set(spec.params["targets"]))


def test_a_state_that_is_not_an_object_is_an_error() -> None:
    with pytest.raises(ExerciseError):
        verify(make_exercise("button", 0), ["Orange"])  # type: ignore[arg-type]
