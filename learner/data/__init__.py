"""Learner datasets from the store: ``build_datasets`` → ``Datasets(train, holdout, hash)``.

``labels`` turns judgments into labelled candidate actions, ``records`` is one example
(``StepRecord``) with its lazily loaded image, ``build`` reads a snapshot of the store.
"""

from learner.data.build import Datasets, build_datasets, episode_key, is_holdout, snapshot
from learner.data.records import StepRecord, Target, content_hash, states

__all__ = ["Datasets", "StepRecord", "Target", "build_datasets", "content_hash", "episode_key",
           "is_holdout", "snapshot", "states"]
