"""Import: r1-computer-use files (mapping, grouping, images, negatives) and bad input."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.store.importers import ImportInputError, import_file, r1_action
from agent.store.repo import Store
from models.actions import Click, Drag, Key, Move, Scroll, Shell, Type
from tests.fixtures.store import r1_record, write_r1_file


def _line(**fields: Any) -> str:
    record = r1_record("book a room", 0, "", "")
    record.update(fields)
    return json.dumps(record)


def _action(name: str, **params: Any) -> str:
    return json.dumps({"name": name, "parameters": params})


@pytest.mark.parametrize(("call", "cursor", "expected"), [
    ({"name": "move_mouse", "parameters": {"x": 531, "y": 724}}, None, Move(531, 724)),
    ({"name": "click", "parameters": {"x": 532, "y": 725, "button": "left"}}, None,
     Click(532, 725)),
    ({"name": "click", "parameters": {"button": "right"}}, (5, 6), Click(5, 6, "right")),
    ({"name": "double_click", "parameters": {}}, (5, 6), Click(5, 6, "left", 2)),
    ({"name": "drag_mouse", "parameters": {"x": 50, "y": 60}}, (5, 6), Drag(5, 6, 50, 60)),
    ({"name": "scroll", "parameters": {"clicks": 2}}, (5, 6), Scroll(5, 6, 0, 2)),
    ({"name": "scroll", "parameters": {}}, (5, 6), Scroll(5, 6, 0, -3)),
    ({"name": "type_text", "parameters": {"text": "airbnb"}}, None, Type("airbnb")),
    ({"name": "press_key", "parameters": {"key": "enter"}}, None, Key(("enter",))),
    ({"name": "hot_key", "parameters": {"keys": ["ctrlleft", "c"]}}, None, Key(("ctrl", "c"))),
    ({"name": "exec", "parameters": {"cmd": "ls"}}, None, Shell("ls")),
    ({"name": "open_url", "parameters": {"url": "https://x.org"}}, None,
     Shell("xdg-open https://x.org")),
])
def test_r1_actions_map_onto_the_vocabulary(call: dict[str, Any], cursor: Any,
                                            expected: object) -> None:
    assert r1_action(call, cursor) == expected


def test_scroll_without_pointer_uses_the_screen_centre_and_click_needs_a_point() -> None:
    assert r1_action({"name": "scroll", "parameters": {}}, None, (640, 400)) == \
        Scroll(320, 200, 0, -3)
    with pytest.raises(ValueError, match="no x/y and no earlier pointer"):
        r1_action({"name": "click", "parameters": {}}, None, (640, 400))


def test_r1_file_groups_tasks_tracks_the_pointer_and_keeps_negatives(
        store: Store, tmp_path: Path) -> None:
    source = write_r1_file(tmp_path, episodes=2, steps=10)
    summary = import_file(store, source, "r1")
    assert (summary.episodes, summary.steps, summary.judgments) == (2, 20, 4)
    assert summary.missing_images == 0 and summary.skipped == []
    first = sorted(store.list_episodes(), key=lambda e: e.id)[0]
    assert (first.task, first.status, first.source) == ("task number 0", "done", "import")
    steps = store.steps(first.id)
    assert [s.index for s in steps] == list(range(10))
    assert steps[6].action == {"type": "click", "x": 102, "y": 202, "button": "left",
                               "count": 2}  # double_click at the pointer of step 1
    assert steps[0].reasoning == "step 0: I need to move mouse"
    assert steps[0].extra == {"subtask": "move_mouse for step 0", "image_after": "images/e0_s1.png"}
    assert (steps[0].screenshot_width, steps[0].monitor_width) == (640, 640)
    assert steps[0].x_frac == pytest.approx(100 / 640)
    [negative] = steps[4].judgments
    assert (negative.kind, negative.value, negative.source) == ("negative", 0.0, "import")
    assert negative.reasoning == "step 4: maybe close the window"
    assert store.screenshot_path(steps[9]).is_file()  # type: ignore[union-attr]


def test_urls_are_not_fetched_unless_asked(store: Store, tmp_path: Path) -> None:
    url = "https://storage.example.invalid/images/sdK3Z0p4TCTlhMLq8DPpDlFJ.png"
    source = tmp_path / "remote.jsonl"
    source.write_text(_line(image_before=url, action=_action("move_mouse", x=1, y=2)) + "\n")
    summary = import_file(store, source, "r1")
    assert (summary.steps, summary.missing_images) == (1, 1)
    [step] = store.steps(store.list_episodes()[0].id)
    assert step.image_missing and step.screenshot_sha256 is None and step.image_source == url


@pytest.fixture
def image_server(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "served"
    write_r1_file(folder, episodes=1, steps=1)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_fetch_images_downloads_urls(store: Store, tmp_path: Path, image_server: str) -> None:
    source = tmp_path / "remote.jsonl"
    good = _line(image_before=f"{image_server}/images/e0_s0.png",
                 action=_action("move_mouse", x=1, y=2))
    gone = _line(image_before=f"{image_server}/images/absent.png",
                 action=_action("click", x=1, y=2))
    source.write_text(good + "\n" + gone + "\n")
    summary = import_file(store, source, "r1", fetch_images=True)
    assert (summary.steps, summary.missing_images) == (2, 1)
    fetched, absent = store.steps(store.list_episodes()[0].id)
    assert fetched.screenshot_width == 640 and not fetched.image_missing
    assert absent.image_missing and absent.image_source.endswith("absent.png")  # type: ignore[union-attr]


BAD_R1_LINES = {
    "not json": ("{\"task\": ", "not valid JSON"),
    "not an object": ("[1, 2]", "expected a JSON object"),
    "no task": (_line(task=""), "'task' is missing"),
    "wrong type": (_line(thought=42), "'thought' must be a string"),
    "action not json": (_line(action="{click"), "not valid JSON"),
    "action a number": (_line(action=7), "'action' must be JSON text"),
    "unknown action": (_line(action=_action("teleport", x=1)), "unknown action name"),
    "bad parameter": (_line(action=_action("click", x=1, y=2, button="sideways")), "button"),
    "missing text": (_line(action=_action("type_text")), "'text' must be a string"),
    "not an image": (_line(image_before="junk.png"), "not a readable image"),
}


@pytest.mark.parametrize("kind", sorted(BAD_R1_LINES))
def test_a_bad_r1_line_names_its_line_and_imports_nothing(store: Store, tmp_path: Path,
                                                          kind: str) -> None:
    source = write_r1_file(tmp_path, episodes=1, steps=6)
    (tmp_path / "junk.png").write_bytes(b"this is not a png")
    lines = source.read_text().splitlines()
    bad, message = BAD_R1_LINES[kind]
    lines.insert(4, bad)
    source.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportInputError, match=f"line 5: .*{message}"):
        import_file(store, source, "r1")
    assert store.list_episodes() == []
    assert list(store.screens.files()) == []  # the four good lines' images are gone too

    summary = import_file(store, source, "r1", skip_bad=True)
    assert summary.steps == 6 and [n for n, _ in summary.skipped] == [5]


def _native_line(tmp_path: Path, store: Store) -> dict[str, Any]:
    from agent.store.export import export

    ep = store.create_episode("t")
    store.add_step(ep, action=Click(1, 2))
    path = export(store, tmp_path / "exp", "jsonl").path
    store.delete_episode(ep)
    record: dict[str, Any] = json.loads(path.read_text().splitlines()[0])
    return record


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r.pop("format"), "field 'format' must be"),
    (lambda r: r["step"].update(index="0"), "step.index: wrong type str"),
    (lambda r: r["step"].update(outcome="teleported"), "step.outcome: 'teleported' is not"),
    (lambda r: r["step"].update(action={"type": "jump"}), "step.action: unknown action type"),
    (lambda r: r["episode"].pop("task"), "episode.task: missing"),
    (lambda r: r["episode"].update(created_at="yesterday"), "episode.created_at: expected an"),
    (lambda r: r.update(judgments=[{"kind": "like"}]), "judgments\\[0\\].kind"),
    (lambda r: r.pop("step"), "missing field 'step'"),
])
def test_a_bad_native_line_names_its_field(store: Store, tmp_path: Path, change: Any,
                                           message: str) -> None:
    record = _native_line(tmp_path, store)
    good = json.dumps(record)
    change(record)
    source = tmp_path / "in.jsonl"
    source.write_text(good + "\n" + json.dumps(record) + "\n")
    with pytest.raises(ImportInputError, match=f"in.jsonl: line 2: {message}"):
        import_file(store, source, "jsonl")
    assert store.list_episodes() == []


def test_a_step_appearing_twice_is_refused(store: Store, tmp_path: Path) -> None:
    line = json.dumps(_native_line(tmp_path, store))
    source = tmp_path / "twice.jsonl"
    source.write_text(line + "\n" + line + "\n")
    with pytest.raises(ImportInputError, match="line 2: step 0 of episode .* appears twice"):
        import_file(store, source, "jsonl")
