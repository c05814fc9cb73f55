"""Export formats: native jsonl (and its round trip through import), chat messages, parquet."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.paths import Paths
from agent.store.export import ExportError, export
from agent.store.importers import import_file
from agent.store.repo import Monitor, Store, open_store
from models.actions import Click, Key, Type

Shot = Callable[..., np.ndarray]


def _fill(store: Store, shot: Shot) -> tuple[int, int]:
    """Two episodes: every kind of judgment, a shared image, a step without image."""
    ep = store.create_episode("rename the file", approval_mode="every_step", critic_mode="off",
                              actor_model="qwen2.5-vl-3b-q4", actor_adapter="v3",
                              config={"store": {"keep_backups": 5}})
    s0 = store.add_step(ep, screenshot=shot(1), monitor=Monitor(0, 0, 32, 24), action=Click(8, 6),
                        reasoning="the file is on the left", raw_output="<think>…</think>",
                        window_title="Files", cursor_x=1, cursor_y=2, latencies={"propose": 2.5})
    store.update_step(s0, outcome="executed", critic_score=0.9, critic_analysis="fine")
    store.add_judgment(kind="approve", step_id=s0, value=1.0)
    s1 = store.add_step(ep, screenshot=shot(2), action=Type("old.txt"), reasoning="type it")
    store.add_judgment(kind="correct", step_id=s1, value=1.0, corrected_action=Type("new.txt"),
                       comment="the new name, not the old one")
    s2 = store.add_step(ep, screenshot=shot(1), action=Key(("enter",)))
    store.add_judgment(kind="reject", step_id=s2, value=0.0)
    store.add_step(ep, outcome="parse_failed", raw_output="I think I should click",
                   parse_error="no <answer> block")
    store.add_judgment(kind="rate", episode_id=ep, value=4.0, comment="good enough")
    store.finish_episode(ep, "done", summary="renamed")
    other = store.create_episode("second task")
    store.add_step(other, screenshot=shot(3), action=Click(1, 1, "right"))
    return ep, other


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _normalised(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop what a re-import changes by design: the episode key, source and source_ref."""
    for record in records:
        for name in ("key", "source", "source_ref"):
            record["episode"].pop(name)
    return records


def test_jsonl_round_trip_gives_the_same_records(store: Store, screenshot: Shot,
                                                 tmp_path: Path) -> None:
    _fill(store, screenshot)
    first = export(store, tmp_path / "a", "jsonl")
    assert (first.records, first.images, first.without_image) == (5, 3, 1)
    again = open_store(Paths.resolve(tmp_path / "other-home").ensure())
    try:
        summary = import_file(again, first.path, "jsonl")
        assert (summary.episodes, summary.steps, summary.judgments) == (2, 5, 4)
        second = export(again, tmp_path / "b", "jsonl")
    finally:
        again.close()
    a, b = _records(first.path), _records(second.path)
    assert {r["episode"]["source"] for r in b} == {"import"}
    assert _normalised(a) == _normalised(b)
    assert sorted(p.name for p in (tmp_path / "a" / "images").iterdir()) == \
        sorted(p.name for p in (tmp_path / "b" / "images").iterdir())


def test_native_record_holds_step_action_image_and_judgments(store: Store, screenshot: Shot,
                                                             tmp_path: Path) -> None:
    ep, _ = _fill(store, screenshot)
    records = _records(export(store, tmp_path, "jsonl", episode_ids=[ep]).path)
    assert [r["step"]["index"] for r in records] == [0, 1, 2, 3]
    first = records[0]
    assert first["episode"]["task"] == "rename the file" and first["episode"]["status"] == "done"
    assert first["step"]["action"] == {"type": "click", "x": 8, "y": 6, "button": "left",
                                       "count": 1}
    assert (first["step"]["x_frac"], first["step"]["y_frac"]) == (0.25, 0.25)
    assert (tmp_path / first["step"]["image"]).is_file()
    assert [j["kind"] for j in first["judgments"]] == ["approve"]
    assert [j["kind"] for j in first["episode_judgments"]] == ["rate"]
    assert "episode_judgments" not in records[1]
    assert records[3]["step"]["image"] is None and records[3]["step"]["parse_error"]


def test_messages_use_the_correction_and_say_the_verdict(store: Store, screenshot: Shot,
                                                         tmp_path: Path) -> None:
    ep, _ = _fill(store, screenshot)
    seen: list[tuple[int, int]] = []
    summary = export(store, tmp_path, "messages", episode_ids=[ep],
                     progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    rows = _records(summary.path)
    assert [r["label"] for r in rows] == ["approved", "corrected", "rejected", "parse_failed"]
    corrected = rows[1]["messages"][2]["content"]
    assert corrected == ('<think>the new name, not the old one</think>'
                         '<answer>{"type": "type", "text": "new.txt"}</answer>')
    user = rows[2]["messages"][1]["content"]
    assert user.startswith("<image>Task: rename the file\nPrevious actions:\n")
    assert "1. click at (8, 6)\n2. type 'old.txt'" in user
    assert rows[0]["images"] == rows[2]["images"]  # the same screenshot, stored once
    assert rows[3]["images"] == [] and "<image>" not in rows[3]["messages"][1]["content"]
    assert rows[3]["messages"][2]["content"] == "I think I should click"
    # the corrected step is a preference pair: the original answer is the rejected one
    assert rows[1]["rejected"] == [{"role": "assistant", "content": (
        '<think>type it</think><answer>{"type": "type", "text": "old.txt"}</answer>')}]
    assert rows[1]["rejected_label"] == "correct_original"
    assert [r["rejected"] for r in rows[::2]] == [None, None]


def test_redaction_reaches_every_text_field(store: Store, screenshot: Shot,
                                            tmp_path: Path) -> None:
    _fill(store, screenshot)
    path = export(store, tmp_path, "jsonl", redact=lambda text: "█" * len(text)).path
    text = path.read_text(encoding="utf-8")
    for secret in ("rename the file", "the file is on the left", "Files", "good enough"):
        assert secret not in text


def test_parquet_loads_with_datasets(store: Store, screenshot: Shot, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    _fill(store, screenshot)
    summary = export(store, tmp_path / "pq", "parquet")
    messages = _records(export(store, tmp_path / "msg", "messages").path)
    ds = datasets.load_dataset("parquet", data_files=str(summary.path),
                               cache_dir=str(tmp_path / "cache"), split="train")
    assert ds.num_rows == summary.records == 5
    expected = messages[0]["messages"]
    expected[1]["content"] = expected[1]["content"].removeprefix("<image>")  # TRL's form
    assert ds[0]["messages"] == expected
    assert ds[0]["label"] == "approved" and json.loads(ds[1]["judgments"])[0]["kind"] == "correct"
    assert ds[1]["rejected"] == messages[1]["rejected"] and ds[0]["rejected"] is None
    image = ds[0]["images"][0]
    np.testing.assert_array_equal(np.asarray(image.convert("RGB")), screenshot(1))
    assert ds[3]["images"] == []


def test_unknown_episode_or_format_is_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no episode with id 7"):
        export(store, tmp_path, "jsonl", episode_ids=[7])
    with pytest.raises(ExportError, match="unknown export format"):
        export(store, tmp_path, "csv")
