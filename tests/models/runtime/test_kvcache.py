"""The KV ledger: which cached entries a new prompt can keep, by entry and by position."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from models.runtime.kvcache import Entry, Image, ImageIds, KvLedger

entries = st.lists(st.one_of(st.integers(0, 5),
                             st.sampled_from("ab").map(lambda k: Image(k, n_pos=3, n_embd=12))),
                   max_size=12)


def _pos(items: list[Entry]) -> int:
    return sum(1 if isinstance(e, int) else e.n_pos for e in items)


@given(cached=entries, new=entries.filter(bool))
def test_plan_keeps_the_longest_common_prefix_but_never_the_whole_prompt(
        cached: list[Entry], new: list[Entry]) -> None:
    plan = KvLedger(cached).plan(new)
    assert cached[:plan.keep] == new[:plan.keep]
    assert plan.keep <= len(new) - 1
    assert plan.keep == len(new) - 1 or plan.keep == len(cached) or (
        cached[plan.keep] != new[plan.keep])
    assert plan.keep_pos == _pos(new[:plan.keep])


@given(first=entries, cut=st.integers(0, 12), more=entries)
def test_running_counts_follow_truncate_and_extend(first: list[Entry], cut: int,
                                                   more: list[Entry]) -> None:
    ledger = KvLedger(first)
    ledger.truncate(cut)
    ledger.extend(more)
    expected = first[:cut] + more
    assert ledger.entries == expected
    assert ledger.n_past == _pos(expected)
    assert ledger.n_cells == sum(1 if isinstance(e, int) else e.n_embd for e in expected)


def test_an_image_advances_positions_by_its_n_pos_not_its_embeddings() -> None:
    ledger = KvLedger([1, 2, Image("img", n_pos=46, n_embd=1334), 3])
    assert (ledger.n_past, ledger.n_cells) == (49, 1337)
    plan = ledger.plan([1, 2, Image("img", n_pos=46, n_embd=1334), 4, 5])
    assert (plan.keep, plan.keep_pos) == (3, 48)
    ledger.truncate(plan.keep)
    assert ledger.n_past == 48


def test_a_different_image_is_evaluated_again_from_where_it_starts() -> None:
    ledger = KvLedger([1, Image("old", 5, 20), 2])
    assert ledger.plan([1, Image("new", 5, 20), 2]).keep_pos == 1


def test_image_ids_are_equal_exactly_when_the_pixels_are() -> None:
    ids = ImageIds(keep=2)
    a = np.random.default_rng(0).integers(0, 256, (56, 84, 3), dtype=np.uint8)
    key = ids.key(a)
    b = a.copy()
    assert ids.key(b) == key
    b[55, 83, 2] ^= 1  # the very last byte
    assert ids.key(b) != key
    ids.key(np.zeros((28, 28, 3), np.uint8))
    ids.key(np.ones((28, 28, 3), np.uint8))  # only the last two are remembered
    assert ids.key(a) != key
