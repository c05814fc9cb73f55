"""Ranks that built different jobs (each reads the store on its own) refuse to train one run
together; ranks that built the same job go on."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from learner.distributed import Ranks
from learner.runs import same_job
from models.tiny import TinyModel
from tests.learner.dp_worker import job


@dataclasses.dataclass(frozen=True)
class TwoRanks(Ranks):
    """Rank 0 of two, whose peer reports ``other`` (None: the same as this rank)."""

    other: Any = None

    def gather(self, obj: Any) -> list[Any]:
        return [obj, obj if self.other is None else self.other(obj)]


def test_ranks_with_different_jobs_refuse_to_train(tiny_model: TinyModel) -> None:
    built = job(Path(tiny_model.hf_dir), 2)
    same_job(built, TwoRanks(0, 2))  # the same job everywhere: nothing to say
    with pytest.raises(RuntimeError, match="built different actor jobs"):
        same_job(built, TwoRanks(0, 2, other=lambda mine: (*mine[:2], mine[2] + 1,
                                                           *mine[3:])))
