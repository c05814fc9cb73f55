"""What every part of the app is handed: folders, configuration, the database worker.

Built once in ``app.gui.main.start_app`` (or by a test) and passed to each page; nothing in
the app reaches for globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.paths import Paths
from app.config import DeskhandConfig
from app.gui.worker import DbWorker


@dataclass
class AppContext:
    paths: Paths
    config: DeskhandConfig
    db: DbWorker
    overrides: list[str] = field(default_factory=list)
