"""What every command gets: the resolved folders and the loaded configuration.

Built once by the root callback from ``--home`` / ``--set`` and stored on the typer context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import typer

from agent.config import ConfigError
from agent.paths import Paths
from app.config import DeskhandConfig, load_config


@dataclass
class CliState:
    paths: Paths
    overrides: list[str] = field(default_factory=list)

    @cached_property
    def config(self) -> DeskhandConfig:
        try:
            return load_config(self.paths.config_file, self.overrides)
        except ConfigError as exc:
            raise typer.BadParameter(str(exc), param_hint="config") from None


def state(ctx: typer.Context) -> CliState:
    """The ``CliState`` of the running command (made by the root callback)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState(Paths.resolve())
    return root.obj
