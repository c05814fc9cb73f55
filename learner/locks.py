"""The locks moved to ``agent.locks`` (the agent's loop takes the episode lock, and agent
may not import learner); this name stays only while the trainer's imports move over."""

from agent.locks import (
    EPISODE_LOCK,
    TRAINING_LOCK,
    FileLock,
    LockBusy,
    episode_lock,
    training_lock,
)

__all__ = ["EPISODE_LOCK", "TRAINING_LOCK", "FileLock", "LockBusy", "episode_lock",
           "training_lock"]
