"""Settings of the trajectory store (the ``[store]`` table of config.toml)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoreConfig:
    busy_timeout_ms: int = 5000  # how long SQLite waits for a lock before an attempt fails
    keep_backups: int = 5  # pre-migration backups kept in data/backups
    image_format: str = "png"  # screenshot files: "png" (lossless) or "webp" (lossless)
    write_retry_s: float = 30.0  # a write that meets a locked database is retried this long

    def __post_init__(self) -> None:
        if self.busy_timeout_ms < 0:
            raise ValueError("busy_timeout_ms must be >= 0")
        if self.write_retry_s < 0:
            raise ValueError("write_retry_s must be >= 0")
        if self.keep_backups < 1:
            raise ValueError("keep_backups must be >= 1")
        if self.image_format not in ("png", "webp"):
            raise ValueError(f"image_format must be 'png' or 'webp', got {self.image_format!r}")
