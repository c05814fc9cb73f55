"""What the llama.cpp KV cache holds, entry by entry, so a new prompt can reuse its longest prefix.

An *entry* is one text token (its id: one position, one cell) or one whole image (its id, and as
many positions as mtmd says: with M-RoPE an image of 1,334 embeddings may advance the position
by only 46). The ledger therefore keeps positions apart from entry counts: the KV cache is cut by
*position* (``llama_memory_seq_rm(seq, pos, -1)``) and an image is never cut in half.

No llama.cpp here: the runtime asks :meth:`KvLedger.plan` what to keep, removes the
rest from the real cache, evaluates only the new entries and records them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Image:
    """An image in the cache: its id (equal ids = equal pixels), positions and KV cells."""

    key: str
    n_pos: int  # positions it advances n_past by (M-RoPE: far fewer than its embeddings)
    n_embd: int  # KV cells it occupies


Entry = int | Image  # a text token id (one position, one cell), or an image


def _pos(entry: Entry) -> int:
    return 1 if isinstance(entry, int) else entry.n_pos


def _cells(entry: Entry) -> int:
    return 1 if isinstance(entry, int) else entry.n_embd


@dataclass(frozen=True)
class Plan:
    keep: int  # entries of the ledger to keep
    keep_pos: int  # first position to remove from the KV cache (= n_past after the kept ones)


class KvLedger:
    """The entries in the KV cache, in order, with running position and cell counts (read once
    per generated token, so kept up to date rather than summed)."""

    def __init__(self, entries: Sequence[Entry] = ()) -> None:
        self.entries: list[Entry] = []
        self.n_past = 0  # the next free position
        self.n_cells = 0  # KV cells in use (what the context size bounds)
        self.extend(entries)

    def plan(self, new: Sequence[Entry], *, whole: bool = False) -> Plan:
        """Keep the longest common prefix of the cache and ``new``, but never all of ``new``
        unless ``whole`` (a shared prefix, whose end needs no logits).

        The last entry of a prompt is always evaluated again: its logits are needed to sample
        the first token, and a decode cannot produce logits for what is only in the cache.

        >>> ledger = KvLedger([1, Image("a", 3, 9), 5, 6])
        >>> ledger.n_past, ledger.n_cells
        (6, 12)
        >>> ledger.plan([1, Image("a", 3, 9), 5, 7])
        Plan(keep=3, keep_pos=5)
        >>> ledger.plan([1, Image("b", 3, 9), 5])
        Plan(keep=1, keep_pos=1)
        >>> ledger.plan([1, Image("a", 3, 9), 5, 6])
        Plan(keep=3, keep_pos=5)
        >>> ledger.plan([1, Image("a", 3, 9)], whole=True)
        Plan(keep=2, keep_pos=4)
        """
        keep = 0
        pos = 0
        limit = min(len(self.entries), len(new) - (0 if whole else 1))
        entries = self.entries
        while keep < limit and entries[keep] == new[keep]:
            pos += _pos(entries[keep])
            keep += 1
        return Plan(keep=keep, keep_pos=pos)

    def truncate(self, keep: int) -> None:
        dropped = self.entries[keep:]
        del self.entries[keep:]
        self.n_past -= sum(_pos(entry) for entry in dropped)
        self.n_cells -= sum(_cells(entry) for entry in dropped)

    def extend(self, entries: Sequence[Entry]) -> None:
        self.entries.extend(entries)
        self.n_past += sum(_pos(entry) for entry in entries)
        self.n_cells += sum(_cells(entry) for entry in entries)

    def clear(self) -> None:
        self.truncate(0)


class ImageIds:
    """Ids for images, equal exactly when the pixels are: how the ledger recognises an image
    that is already in the KV cache.

    Comparing with the few images seen last (``np.array_equal``, ~1.5 ms for a 1288×728
    screenshot here) is cheaper than hashing every screenshot (blake2b: ~14 ms) and exact.

    >>> ids = ImageIds()
    >>> a = np.zeros((28, 56, 3), np.uint8)
    >>> first = ids.key(a)
    >>> ids.key(a.copy()) == first, ids.key(a.reshape(56, 28, 3)) == first, ids.key(a + 1) == first
    (True, False, False)
    """

    def __init__(self, keep: int = 4) -> None:
        self._keep = keep
        self._seen: list[tuple[str, np.ndarray]] = []  # most recent last
        self._count = 0

    def key(self, image: np.ndarray) -> str:
        for i, (key, seen) in enumerate(self._seen):
            if seen.shape == image.shape and np.array_equal(seen, image):
                self._seen.append(self._seen.pop(i))
                return key
        self._count += 1
        key = f"image-{self._count}"
        self._seen.append((key, np.array(image, copy=True)))  # the caller may reuse its buffer
        del self._seen[:-self._keep]
        return key
