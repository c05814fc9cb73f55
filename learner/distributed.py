"""Data-parallel training across processes: who this rank is, its share, and the all-reduces.

``accelerate launch --num_processes K -m app.cli learn`` starts K copies of the trainer; each
finds its rank here (accelerate's ``PartialState`` sets up the process group: NCCL on GPUs,
gloo on CPUs). A GRPO or SFT step gives each rank every K-th state of the global batch,
sums the gradients and the step's statistics over the ranks, and every rank then applies the
same optimizer step, so the weights stay identical without any broadcast.

The design choice a reader must know: one process (no launcher, no ``WORLD_SIZE``) gets
``SINGLE``, whose reductions are the identity — the same step code runs everywhere and never
touches ``torch.distributed`` unless a launcher asked for it.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Ranks:
    """This process's place among ``world`` data-parallel processes (``SINGLE``: alone)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    sharded: bool = False  # the model is sharded over the ranks (FSDP, :mod:`learner.sharding`)

    @property
    def main(self) -> bool:
        """Rank 0 owns the run: lock, run folder, checkpoints, export and gate."""
        return self.rank == 0

    def shard(self, items: Sequence[T]) -> list[tuple[int, T]]:
        """This rank's ``(global index, item)`` pairs: every ``world``-th item.

        >>> Ranks(1, 2).shard(["a", "b", "c", "d", "e"])
        [(1, 'b'), (3, 'd')]
        >>> SINGLE.shard(["a", "b"])
        [(0, 'a'), (1, 'b')]
        """
        return [(i, x) for i, x in enumerate(items) if i % self.world == self.rank]

    def even_shard(self, items: Sequence[T]) -> list[tuple[int | None, T]]:
        """:meth:`shard`, padded with ``(None, items[0])`` so every rank gets as many: a
        sharded model's every forward and backward is a collective, so all ranks must make
        as many (the caller gives a pad's result no weight). Unsharded ranks get no pads.

        >>> Ranks(1, 2, sharded=True).even_shard(["a", "b", "c"])
        [(1, 'b'), (None, 'a')]
        >>> Ranks(1, 2).even_shard(["a", "b", "c"])
        [(1, 'b')]
        """
        share: list[tuple[int | None, T]] = list(self.shard(items))
        if self.sharded and items:
            share += [(None, items[0])] * (-(-len(items) // self.world) - len(share))
        return share

    def sum(self, values: Sequence[float]) -> list[float]:
        """Each value summed over the ranks (float64, one all-reduce).

        >>> SINGLE.sum([1.0, 2.5])
        [1.0, 2.5]
        """
        if self.world == 1:
            return [float(v) for v in values]
        import torch
        import torch.distributed as dist

        buf = torch.tensor(list(values), dtype=torch.float64, device=self._device())
        dist.all_reduce(buf)
        return [float(v) for v in buf.cpu().tolist()]

    def most(self, values: Sequence[float]) -> list[float]:
        """Each value's maximum over the ranks (float64, one all-reduce).

        >>> SINGLE.most([3.0])
        [3.0]
        """
        if self.world == 1:
            return [float(v) for v in values]
        import torch
        import torch.distributed as dist

        buf = torch.tensor(list(values), dtype=torch.float64, device=self._device())
        dist.all_reduce(buf, op=dist.ReduceOp.MAX)
        return [float(v) for v in buf.cpu().tolist()]

    def all(self, flag: bool) -> bool:
        """Whether ``flag`` holds on every rank (a sharded model's loops end together)."""
        return not self.any([not flag])[0]

    def sum_grads(self, params: Iterable[Any]) -> None:
        """Sum the gradients of ``params`` over the ranks in place (a rank that computed
        none contributes zeros), in one flat all-reduce. A sharded model's gradients are
        summed by FSDP itself, in its backward."""
        if self.world == 1 or self.sharded:
            return
        import torch
        import torch.distributed as dist

        params = [p for p in params if p.requires_grad]
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        if not params:
            return

        # [sum of numel], on the backend's device (a CPU run on a GPU machine under NCCL)
        flat = torch.cat([p.grad.reshape(-1) for p in params]).to(self._device())
        dist.all_reduce(flat)
        offset = 0
        for p in params:
            n = p.grad.numel()
            p.grad.copy_(flat[offset:offset + n].view_as(p.grad))
            offset += n

    def gather(self, obj: T) -> list[T]:
        """Every rank's ``obj``, in rank order (picklable objects; small ones)."""
        if self.world == 1:
            return [obj]
        import torch.distributed as dist

        out: list[Any] = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def share(self, obj: T) -> T:
        """Rank 0's ``obj`` on every rank (a run id, an error message)."""
        if self.world == 1:
            return obj
        import torch.distributed as dist

        box: list[Any] = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]  # type: ignore[no-any-return]

    def any(self, flags: Sequence[bool]) -> list[bool]:
        """Each flag true on at least one rank: decisions every rank must take together
        (stop, out of time), or a rank would wait forever in a collective the others left."""
        return [v > 0 for v in self.sum([float(bool(f)) for f in flags])]

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def _device(self) -> str:
        import torch.distributed as dist

        return "cuda" if dist.get_backend() == "nccl" else "cpu"


SINGLE = Ranks()


def lost_peer(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective failing because another rank died (killed, out of
    memory): the run is then interrupted, not failed, and the next run resumes it.

    >>> lost_peer(RuntimeError("[gloo/transport/tcp/pair.cc:537] Connection reset by peer"))
    True
    >>> lost_peer(ValueError("no training states"))
    False
    """
    import torch.distributed as dist

    if isinstance(exc, dist.DistError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(
        mark in text for mark in ("gloo", "NCCL", "Connection reset", "Connection closed"))


def current(device: str = "auto") -> Ranks:
    """This process's ranks: ``SINGLE`` unless a launcher (accelerate, torchrun) set
    ``WORLD_SIZE`` > 1, in which case accelerate's state joins the process group — NCCL when
    training runs on CUDA (``device``: the training config's, ``auto`` = CUDA when present),
    gloo when it runs on the CPU, even on a machine with GPUs. The first call decides."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return SINGLE
    from datetime import timedelta

    import torch
    from accelerate import PartialState

    cuda = torch.cuda.is_available() if device == "auto" else device.startswith("cuda")
    # the long timeout covers rank 0's export, served evaluation and gate, which the other
    # ranks wait out before the next role's run
    state = PartialState(cpu=not cuda, timeout=timedelta(hours=12))
    if not cuda:
        atexit.register(leave)
    return Ranks(state.process_index, state.num_processes, state.local_process_index)


def leave() -> None:
    """Destroy the (gloo) process group while the interpreter is still whole (registered to
    run at exit by :func:`current`).

    Left to the interpreter's teardown, gloo's worker threads are destroyed while still
    joinable, and now and then the process aborts after its work is done ("terminate called
    without an active exception", pytorch/pytorch#190489): seen here in about 1 of 4 runs of
    two CPU ranks, and the launcher then reports the run as failed. NCCL groups are left to
    accelerate and torch: destroying one is collective, and a rank leaving on its own error
    must not wait for the others.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
