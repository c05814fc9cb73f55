"""A home whose active actor adapter cannot be used (its GGUF file is gone), and a model stack
on a stand-in runtime: what the faces' tests need to show that such a problem reaches the
person, without loading a model."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agent.paths import Paths
from app.episode_models import ModelStack
from learner.adapters import AdapterRegistry
from models.runtime import RuntimeConfig

PROBLEM = "the active actor adapter cannot be used (actor v1: files differ"


class StandInRuntime:
    """What ``attach_active_adapters`` and ``ModelPolicy`` touch of a ``LlamaRuntime``."""

    def __init__(self) -> None:
        self.roles: dict[str, Path] = {}
        self.config = RuntimeConfig()

    def set_adapter(self, role: str | None) -> None:
        pass


def break_active_adapter(home: Paths, tmp_path: Path) -> None:
    """Register and promote actor v1, then delete its GGUF file."""
    peft = tmp_path / "peft"
    peft.mkdir()
    (peft / "adapter_config.json").write_text(json.dumps({"r": 8}), encoding="utf-8")
    (peft / "adapter_model.safetensors").write_bytes(b"weights")
    gguf = tmp_path / "lora.gguf"
    gguf.write_bytes(b"GGUF adapter")
    registry = AdapterRegistry(home.adapters_dir)
    version = registry.register("actor", peft, gguf, {"config": {}})
    active = registry.promote("actor", version)
    Path(active.gguf_path).unlink()


def stand_in_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``ModelStack`` serves a catalogue model on a :class:`StandInRuntime`."""
    model = SimpleNamespace(name="tiny", sha256="ab" * 32, family="qwen25vl")
    runtime = StandInRuntime()

    def fake_model(self: Any, role: str) -> Any:
        return model

    def fake_runtime(self: Any, found: Any) -> Any:
        return runtime

    monkeypatch.setattr(ModelStack, "model", fake_model)
    monkeypatch.setattr(ModelStack, "runtime", fake_runtime)
