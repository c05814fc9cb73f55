"""Datasets from the store: labels, holdout split, snapshot, deletions, images, hash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from agent.paths import Paths
from agent.store.repo import Store
from learner.config import DataConfig
from learner.data import StepRecord, build_datasets, snapshot, states
from models.actions import Key, Type
from models.families.base import get_family
from models.frames import Monitor

CLICK = {"type": "click", "x": 10, "y": 20}
FIXED = {"type": "click", "x": 40, "y": 15}
Shot = Callable[..., np.ndarray]


def _all(store: Store, home: Paths, **cfg: object) -> list[StepRecord]:
    data = build_datasets(store, home, DataConfig(**cfg))  # type: ignore[arg-type]
    return data.train + data.holdout


def _step(store: Store, shot: Shot, episode: int, seed: int, action: dict[str, Any],
          **fields: Any) -> int:
    return store.add_step(episode, screenshot=shot(seed), action=action, outcome="executed",
                          **fields)


def test_each_judgment_kind_gives_its_label(store: Store, home: Paths, screenshot: Shot) -> None:
    ep = store.create_episode("save the report")
    approved = _step(store, screenshot, ep, 1, CLICK)
    store.add_judgment(kind="approve", step_id=approved, value=1.0)
    rejected = _step(store, screenshot, ep, 2, CLICK)
    store.add_judgment(kind="reject", step_id=rejected, value=0.0)
    rated = _step(store, screenshot, ep, 3, CLICK)
    store.add_judgment(kind="rate", step_id=rated, value=4)
    corrected = _step(store, screenshot, ep, 4, CLICK, reasoning="the Save button")
    store.add_judgment(kind="correct", step_id=corrected, corrected_action=FIXED)
    bad = _step(store, screenshot, ep, 5, CLICK, reasoning="good thought")
    store.add_judgment(kind="negative", step_id=bad, value=0.0, reasoning="close everything")
    store.add_judgment(kind="comment", step_id=bad, comment="no label from a comment")

    got = {(r.step_id, r.label_source): (r.label, r.action["x"], r.reasoning)
           for r in _all(store, home)}
    assert got == {
        (approved, "approve"): (1.0, 10, ""),
        (rejected, "reject"): (0.0, 10, ""),
        (rated, "rate"): (0.75, 10, ""),
        (corrected, "correct_original"): (0.0, 10, "the Save button"),
        (corrected, "corrected"): (1.0, 40, ""),
        (bad, "negative"): (0.0, 10, "close everything"),
    }


def test_rejected_then_uncorrected_actions_are_never_positive(
        store: Store, home: Paths, screenshot: Shot) -> None:
    ep = store.create_episode("t")
    only_rejected = _step(store, screenshot, ep, 1, CLICK)
    store.add_judgment(kind="reject", step_id=only_rejected)
    changed_mind = _step(store, screenshot, ep, 2, CLICK)
    store.add_judgment(kind="approve", step_id=changed_mind)
    store.add_judgment(kind="reject", step_id=changed_mind)
    corrected_then_approved = _step(store, screenshot, ep, 3, CLICK)
    store.add_judgment(kind="correct", step_id=corrected_then_approved, corrected_action=FIXED)
    store.add_judgment(kind="approve", step_id=corrected_then_approved)

    records = _all(store, home)
    for record in records:
        if record.step_id in (only_rejected, changed_mind):
            assert record.label == 0.0 and record.reference_action is None
        if record.action["x"] == CLICK["x"]:
            assert record.label == 0.0, record
    assert [r.label for r in records if r.step_id == corrected_then_approved
            and r.action["x"] == FIXED["x"]] == [1.0]
    assert [r.step_id for r in states(records)] == [only_rejected, changed_mind,
                                                    corrected_then_approved]
    assert [r.step_id for r in states(records, with_reference=True)] == [
        corrected_then_approved]


def test_holdout_episodes_are_never_in_train_and_the_split_is_stable(
        store: Store, home: Paths, screenshot: Shot) -> None:
    for e in range(24):
        ep = store.create_episode(f"task {e}")
        for s in range(2):
            store.add_judgment(kind="approve", step_id=_step(store, screenshot, ep, e * 10 + s,
                                                             CLICK))
    first = build_datasets(store, home, DataConfig(holdout_fraction=0.3))
    train_eps = {r.episode_id for r in first.train}
    held_eps = {r.episode_id for r in first.holdout}
    assert train_eps and held_eps and not train_eps & held_eps
    assert len(train_eps | held_eps) == 24
    again = build_datasets(store, home, DataConfig(holdout_fraction=0.3))
    assert {r.episode_id for r in again.holdout} == held_eps
    assert again.content_hash == first.content_hash
    reshuffled = build_datasets(store, home, DataConfig(holdout_fraction=0.3,
                                                        holdout_salt="other"))
    assert {r.episode_id for r in reshuffled.holdout} != held_eps
    assert reshuffled.content_hash != first.content_hash


def test_deleted_episodes_leave_no_records(store: Store, home: Paths, screenshot: Shot) -> None:
    kept, doomed = store.create_episode("keep"), store.create_episode("delete me")
    for ep in (kept, doomed):
        store.add_judgment(kind="approve", step_id=_step(store, screenshot, ep, ep, CLICK))
    assert {r.episode_id for r in _all(store, home)} == {kept, doomed}
    store.delete_episode(doomed)
    assert {r.episode_id for r in _all(store, home)} == {kept}


def test_the_snapshot_does_not_see_later_writes(store: Store, home: Paths,
                                                screenshot: Shot) -> None:
    from sqlalchemy import func, select

    from agent.store.schema import Judgment

    ep = store.create_episode("t")
    step = _step(store, screenshot, ep, 1, CLICK)
    store.add_judgment(kind="approve", step_id=step)
    with snapshot(home.db_path) as session:
        store.add_judgment(kind="reject", step_id=step)  # the live file moves on
        assert session.scalar(select(func.count()).select_from(Judgment)) == 1
    with store.session() as live:
        assert live.scalar(select(func.count()).select_from(Judgment)) == 2


def test_hash_changes_with_content_only(store: Store, home: Paths, screenshot: Shot) -> None:
    ep = store.create_episode("t")
    step = _step(store, screenshot, ep, 1, CLICK)
    store.add_judgment(kind="approve", step_id=step)
    before = build_datasets(store, home, DataConfig()).content_hash
    assert build_datasets(home.db_path, home, DataConfig()).content_hash == before
    store.add_judgment(kind="reject", step_id=step)
    assert build_datasets(store, home, DataConfig()).content_hash != before


def test_image_is_the_one_the_runtime_sees_and_history_is_executed_actions(
        store: Store, home: Paths, screenshot: Shot) -> None:
    ep = store.create_episode("fill the form")
    big = screenshot(7, 300, 500)
    first = store.add_step(ep, screenshot=big, action=CLICK, outcome="executed")
    store.add_judgment(kind="correct", step_id=first, corrected_action=FIXED)
    store.add_step(ep, screenshot=big, action={"type": "done"}, outcome="skipped")
    third = store.add_step(ep, screenshot=big, action={"type": "type", "text": "hi"},
                           outcome="executed")
    store.add_judgment(kind="approve", step_id=third)

    records = build_datasets(store, home, DataConfig(), family="qwen25vl")
    record = next(r for r in records.train + records.holdout if r.step_id == third)
    family = get_family("qwen25vl")
    prompt = family.build_prompt("fill the form", record.history, big, Monitor(0, 0, 500, 300))
    assert record.image_size == (prompt.frame.image_width, prompt.frame.image_height)
    assert np.array_equal(record.image(), prompt.image)
    assert record.history_text() == ("click at (40, 15)",)  # corrected; skipped step left out
    assert record.reference_action == {"type": "type", "text": "hi"}


def test_targets_come_from_corrected_clicks_and_widget_boxes(
        store: Store, home: Paths, screenshot: Shot) -> None:
    ep = store.create_episode("t")
    corrected = _step(store, screenshot, ep, 1, CLICK)
    store.add_judgment(kind="correct", step_id=corrected, corrected_action=FIXED)
    boxed = _step(store, screenshot, ep, 2, CLICK, extra={"target_box": [2, 3, 12, 9]})
    store.add_judgment(kind="reject", step_id=boxed)

    records = {r.step_id: r for r in _all(store, home, click_radius=0.1)}
    target = records[corrected].target
    assert target is not None and (target.x, target.y) == (40.0, 15.0)
    assert target.radius == pytest.approx(0.1 * (32 ** 2 + 24 ** 2) ** 0.5)
    assert target.contains(42, 16) and not target.contains(10, 20)
    box = records[boxed].target
    assert box is not None and box.box == (2.0, 3.0, 12.0, 9.0) and box.contains(11, 8)


def test_imported_demonstrations_are_positive_unless_configured_off(
        store: Store, home: Paths, screenshot: Shot) -> None:
    ep = store.create_episode("imported", source="import", source_ref="r1.jsonl:1")
    step = _step(store, screenshot, ep, 1, CLICK, reasoning="open the menu")
    store.add_judgment(kind="negative", step_id=step, value=0.0, reasoning="close it")
    labels = sorted((r.label, r.label_source, r.reasoning) for r in _all(store, home))
    assert labels == [(0.0, "negative", "close it"), (1.0, "demo", "open the menu")]
    off = _all(store, home, imported_steps_positive=False)
    assert [(r.label, r.label_source) for r in off] == [(0.0, "negative")]


def test_steps_without_a_screenshot_file_are_counted_and_left_out(
        store: Store, home: Paths) -> None:
    ep = store.create_episode("t")
    step = store.add_step(ep, action=CLICK, outcome="executed", image_missing=True)
    store.add_judgment(kind="approve", step_id=step)
    data = build_datasets(store, home, DataConfig())
    assert data.train == data.holdout == [] and data.stats["no_image"] == 1


def test_rows_that_no_longer_validate_are_counted_and_left_out(
        store: Store, home: Paths, screenshot: Shot) -> None:
    """Rows stored before ``validate`` refused a control character in typed text or a key the
    actuator cannot press (``Action`` objects are stored as they are) never crash the build."""
    ep = store.create_episode("t")
    typed = store.add_step(ep, screenshot=screenshot(1), action=Type("exit\x04"),
                           outcome="executed")
    store.add_judgment(kind="approve", step_id=typed)
    chord = _step(store, screenshot, ep, 2, CLICK)
    store.add_judgment(kind="correct", step_id=chord, corrected_action=Key(("ctrl", "é")))
    good = _step(store, screenshot, ep, 3, CLICK)
    store.add_judgment(kind="approve", step_id=good)

    data = build_datasets(store, home, DataConfig())
    got = sorted((r.step_id, r.label_source) for r in data.train + data.holdout)
    assert got == [(chord, "correct_original"), (good, "approve")]
    assert data.stats["unreadable_actions"] == 2  # the approved text, the correction
    assert data.stats["unreadable_history"] == 2  # and both steps as history of later ones
    record = next(r for r in data.train + data.holdout if r.step_id == good)
    assert record.history_text() == ()  # the unreadable steps are not in the history
