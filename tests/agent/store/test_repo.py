"""The store API as the agent loop and the app use it."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable

import numpy as np
import pytest
from sqlalchemy import text

from agent.paths import Paths
from agent.store.repo import Monitor, Store
from agent.store.screens import TEMP_PREFIX, load_rgb
from models.actions import Click, Drag, Type

Shot = Callable[..., np.ndarray]


def _episode_with_steps(store: Store, shot: Shot, seeds: list[int]) -> tuple[int, list[int]]:
    ep = store.create_episode("write a letter", approval_mode="every_step")
    ids = [store.add_step(ep, screenshot=shot(seed), action=Click(10 * i, 5), reasoning=f"r{i}")
           for i, seed in enumerate(seeds)]
    return ep, ids


def test_steps_round_trip_with_screenshot_and_fractions(store: Store, screenshot: Shot) -> None:
    ep = store.create_episode("open the editor", actor_model="qwen2.5-vl-3b")
    image = screenshot(1, height=100, width=200)
    sid = store.add_step(ep, screenshot=image, monitor=Monitor(1920, 0, 200, 100, 2.0),
                         action=Drag(1970, 25, 2020, 75), cursor_x=3, cursor_y=4,
                         window_title="Editor", raw_output="<think>x</think>", reasoning="x",
                         latencies={"propose": 1.5})
    store.update_step(sid, outcome="executed", critic_score=0.75, latencies={"act": 0.2})
    [step] = store.steps(ep)
    assert step.id == sid and step.index == 0 and step.outcome == "executed"
    assert step.action == {"type": "drag", "x": 1970, "y": 25, "to_x": 2020, "to_y": 75}
    assert (step.x_frac, step.y_frac, step.to_x_frac, step.to_y_frac) == (0.25, 0.25, 0.5, 0.75)
    assert step.latencies == {"propose": 1.5, "act": 0.2}
    assert (step.screenshot_width, step.screenshot_height, step.monitor_scale) == (200, 100, 2.0)
    path = store.screenshot_path(step)
    assert path is not None and step.screenshot_sha256 is not None
    assert path.parent.name == step.screenshot_sha256[:2]
    np.testing.assert_array_equal(load_rgb(path), image)


def test_indexes_count_up_and_bad_words_are_refused(store: Store, screenshot: Shot) -> None:
    ep, ids = _episode_with_steps(store, screenshot, [1, 2, 3])
    assert [s.index for s in store.steps(ep)] == [0, 1, 2]
    with pytest.raises(ValueError, match="outcome"):
        store.update_step(ids[0], outcome="teleported")
    with pytest.raises(ValueError, match="kind"):
        store.add_judgment(kind="like", step_id=ids[0])
    with pytest.raises(ValueError, match="finish"):
        store.finish_episode(ep, "running")


def test_identical_screenshots_are_stored_once(store: Store, screenshot: Shot) -> None:
    _, ids = _episode_with_steps(store, screenshot, [7, 7, 8])
    assert len(list(store.screens.files())) == 2


def test_judgment_is_readable_from_another_connection_when_add_returns(
        store: Store, home: Paths, screenshot: Shot) -> None:
    ep, [sid] = _episode_with_steps(store, screenshot, [1])
    jid = store.add_judgment(kind="correct", step_id=sid, value=1.0,
                             corrected_action=Type("hello"), comment="type instead")
    other = sqlite3.connect(home.db_path)
    try:
        row = other.execute("SELECT kind, value, corrected_action, episode_id FROM judgments "
                            "WHERE id = ?", (jid,)).fetchone()
    finally:
        other.close()
    assert row == ("correct", 1.0, '{"type": "type", "text": "hello"}', ep)
    whole = store.add_judgment(kind="rate", episode_id=ep, value=4.0)
    [step] = store.steps(ep)
    assert [j.kind for j in step.judgments] == ["correct"]
    assert [j.id for j in store.get_episode(ep).judgments] == [jid, whole]


def test_every_connection_has_the_pragmas(store: Store) -> None:
    with store.engine.connect() as conn:
        got = [conn.execute(text(f"PRAGMA {name}")).scalar()
               for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")]
    assert got == ["wal", 1, 2, 5000]  # synchronous 2 = FULL


def test_delete_episode_removes_rows_and_unshared_files(store: Store, screenshot: Shot) -> None:
    gone, gone_steps = _episode_with_steps(store, screenshot, [1, 2])
    kept, _ = _episode_with_steps(store, screenshot, [2, 3])  # seed 2 is shared
    store.add_judgment(kind="approve", step_id=gone_steps[0], value=1.0)
    shared = store.steps(kept)[0]
    own = store.steps(gone)[0]
    assert store.delete_episode(gone) == 1
    assert [e.id for e in store.list_episodes()] == [kept]
    with store.engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM steps WHERE episode_id = :e"),
                            {"e": gone}).scalar()
        judged = conn.execute(text("SELECT count(*) FROM judgments")).scalar()
    assert (left, judged) == (0, 0)
    assert not store.screenshot_path(own).exists()  # type: ignore[union-attr]
    assert store.screenshot_path(shared).exists()  # type: ignore[union-attr]
    assert len(list(store.screens.files())) == 2


def test_running_episodes_become_interrupted(store: Store) -> None:
    left = store.create_episode("left running")
    done = store.create_episode("finished")
    store.finish_episode(done, "done", summary="ok")
    assert store.mark_interrupted() == 1
    by_id = {e.id: e for e in store.list_episodes()}
    assert by_id[left].status == "interrupted" and by_id[left].ended_at is not None
    assert by_id[done].status == "done" and by_id[done].summary == "ok"
    assert [e.id for e in store.list_episodes(status="interrupted")] == [left]
    assert store.mark_interrupted() == 0


def test_sweep_removes_old_orphans_and_temp_files_only(store: Store, screenshot: Shot) -> None:
    _, [sid] = _episode_with_steps(store, screenshot, [1])
    old = time.time() - 3600
    orphan = store.screens.path(store.screens.put(screenshot(9)).sha256, "png")
    young = store.screens.path(store.screens.put(screenshot(10)).sha256, "png")
    temp = orphan.parent / f"{TEMP_PREFIX}dead.png"
    temp.write_bytes(b"half")
    referenced = store.screenshot_path(store.steps(store.list_episodes()[0].id)[0])
    for path in (orphan, temp, referenced):
        os.utime(path, (old, old))  # type: ignore[arg-type]
    assert store.sweep_screens(min_age_s=600) == 2
    assert not orphan.exists() and not temp.exists()
    assert young.exists() and referenced.exists()  # type: ignore[union-attr]


def test_list_episodes_filters(store: Store) -> None:
    a = store.create_episode("send mail to Ann")
    b = store.create_episode("book a train", source="import")
    assert [e.id for e in store.list_episodes()] == [b, a]
    assert [e.id for e in store.list_episodes(source="import")] == [b]
    assert [e.id for e in store.list_episodes(task_contains="mail")] == [a]
    assert [e.id for e in store.list_episodes(limit=1)] == [b]
