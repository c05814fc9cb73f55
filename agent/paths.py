"""Where Deskhand keeps its files.

platformdirs gives the per-user config and data folders; ``DESKHAND_HOME`` (or the global
``--home`` option, which sets it) puts both under one folder — every test uses that.
Nothing is created at import time: ``Paths.resolve()`` computes, ``ensure()`` creates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "DESKHAND_HOME"
APP_NAME = "deskhand"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> Paths:
        """Folders from an explicit home, else ``$DESKHAND_HOME``, else platformdirs."""
        home = home or os.environ.get(HOME_ENV) or None
        if home:
            root = Path(home).expanduser().resolve()
            return cls(config_dir=root / "config", data_dir=root / "data")
        import platformdirs

        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
        )

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "deskhand.sqlite3"

    @property
    def screens_dir(self) -> Path:
        return self.data_dir / "screens"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def adapters_dir(self) -> Path:
        return self.data_dir / "adapters"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def locks_dir(self) -> Path:
        return self.data_dir / "locks"

    def ensure(self) -> Paths:
        for folder in (self.config_dir, self.data_dir, self.screens_dir, self.backups_dir,
                       self.models_dir, self.adapters_dir, self.runs_dir, self.logs_dir,
                       self.locks_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
