"""Under Xvfb: the planned solution, sent through the real actuator, solves real exercises
(as the exercise's own verifier judges), and a click lands on the exact pixel asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.actuator import PyAutoGuiActuator
from agent.practice.channel import geometry_of, spec_of
from agent.practice.solve import solve
from models.actions import Click, from_json
from tests.app.practice.conftest import PracticeApp

DATA = Path(__file__).with_name("data")
CASES = [("button", 1), ("button", 12), ("form", 2), ("checkboxes", 3), ("checkboxes", 8),
         ("menu", 4), ("menu", 9), ("combo", 5), ("combo", 10), ("slider", 6), ("slider", 11),
         ("dialog", 7), ("editor", 8), ("editor", 3), ("scroll_list", 9), ("scroll_list", 2)]


@pytest.mark.display
@pytest.mark.parametrize(("kind", "seed"), CASES)
def test_solution_solves_the_exercise(kind: str, seed: int, actuator: PyAutoGuiActuator,
                                      practice_app: Callable[..., PracticeApp]) -> None:
    app = practice_app(kind, seed)
    assert not app.document["solved"], "an exercise must not start solved"
    assert app.document["window"]["title"].startswith("Deskhand practice")
    spec = spec_of(app.document)
    for action in solve(spec, geometry_of(app.document)):
        actuator.execute(action)
    final = app.wait(lambda d: bool(d["solved"]), timeout=20)
    assert final["details"]


@pytest.mark.display
def test_a_click_lands_on_the_exact_pixel(actuator: PyAutoGuiActuator,
                                          practice_app: Callable[..., PracticeApp]) -> None:
    app = practice_app("form", 5)
    boxes = app.document["geometry"]["boxes"]
    fields = [name for name in boxes if name.startswith("field:")]
    assert len(fields) >= 2
    for name in fields:
        x, y, w, h = boxes[name]
        for dx, dy in ((1, 1), (w - 2, h - 2), (w // 3, h // 2)):
            before = app.document["last_press"]
            actuator.execute(Click(x + dx, y + dy))
            press = app.newer(lambda d, b=before: d["last_press"] != b)["last_press"]
            assert press == {"widget": name, "local": [dx, dy], "global": [x + dx, y + dy]}


@pytest.mark.display
def test_replay_file_matches_the_live_solution(practice_app: Callable[..., PracticeApp],
                                               tmp_path: Path) -> None:
    """The committed replay file (for ``deskhand run --policy replay:FILE``) is what
    ``deskhand practice --solution`` writes for the same exercise today."""
    written = tmp_path / "solution.jsonl"
    app = practice_app("button", 1, ["--solution", str(written)])
    plan = solve(spec_of(app.document), geometry_of(app.document))
    lines = written.read_text(encoding="utf-8").splitlines()
    assert [from_json(line) for line in lines] == plan
    committed = (DATA / "button-seed1.jsonl").read_text(encoding="utf-8").splitlines()
    assert committed == lines
