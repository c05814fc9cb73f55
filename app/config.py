"""The whole configuration: one table per subsystem, each a frozen dataclass owned by it.

A subsystem adds its dataclass here as a field; ``agent.config`` does the strict loading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent import config as loader
from agent.store.config import StoreConfig


@dataclass(frozen=True)
class DeskhandConfig:
    store: StoreConfig = field(default_factory=StoreConfig)


def load_config(path: Path | None, overrides: list[str] | None = None) -> DeskhandConfig:
    """The config file (missing is fine: defaults) with ``key=value`` overrides applied."""
    return loader.load(DeskhandConfig, path, overrides)
