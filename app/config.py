"""The whole configuration: one table per subsystem, each a frozen dataclass owned by it.

A subsystem adds its dataclass here as a field; ``agent.config`` does the strict loading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent import config as loader
from agent.control.config import ControlConfig
from agent.safety.config import SafetyConfig
from agent.screen import CaptureMasks
from agent.settings import AgentConfig
from agent.store.config import StoreConfig
from agent.store.redact import ExportConfig
from learner.config import LearnerConfig
from models.runtime.config import RuntimeConfig


@dataclass(frozen=True)
class DeskhandConfig:
    agent: AgentConfig = field(default_factory=AgentConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    control: ControlConfig = field(default_factory=ControlConfig)
    capture: CaptureMasks = field(default_factory=CaptureMasks)  # never stored or shown
    export: ExportConfig = field(default_factory=ExportConfig)
    learner: LearnerConfig = field(default_factory=LearnerConfig)


def load_config(path: Path | None, overrides: list[str] | None = None) -> DeskhandConfig:
    """The config file (missing is fine: defaults) with ``key=value`` overrides applied."""
    return loader.load(DeskhandConfig, path, overrides)
