"""The adapter registry: immutable versions, atomic switch, verification, rollback, pruning."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.locks import FileLock
from agent.paths import Paths
from agent.store.repo import Store
from agent.store.schema import Adapter
from learner import adapter_files
from learner.adapters import (
    AdapterRegistry,
    CorruptAdapter,
    RegistryError,
    active_adapter_path,
)


def _adapter(folder: Path, seed: int) -> tuple[Path, Path]:
    """A stand-in peft folder and GGUF file with distinct bytes per seed."""
    peft = folder / f"peft{seed}"
    peft.mkdir(parents=True)
    (peft / "adapter_config.json").write_text(json.dumps({"r": 4, "seed": seed}))
    (peft / "adapter_model.safetensors").write_bytes(bytes([seed % 256]) * 1000)
    gguf = folder / f"lora{seed}.gguf"
    gguf.write_bytes(b"GGUF" + bytes([seed % 256]) * 500)
    return peft, gguf


def _register(reg: AdapterRegistry, tmp: Path, seed: int, role: str = "actor") -> int:
    peft, gguf = _adapter(tmp / "src", seed)
    return reg.register(role, peft, gguf, {"dataset_hash": f"d{seed}", "config": {"lr": 1e-4},
                                           "metrics": {"verifiable_reward": seed / 10}})


def _statuses(store: Store, role: str = "actor") -> dict[int, str]:
    with store.session() as s:
        return {a.version: a.status for a in s.scalars(select(Adapter).where(
            Adapter.role == role))}


def test_register_writes_an_immutable_version_with_metadata(
        home: Paths, store: Store, tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, store)
    version = _register(reg, tmp_path, 1)
    assert version == 1
    folder = home.adapters_dir / "actor" / "v0001"
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["role"] == "actor" and meta["version"] == 1 and meta["parent"] is None
    assert meta["dataset_hash"] == "d1" and meta["config"] == {"lr": 1e-4}
    assert set(meta["files"]) == {"adapter.gguf", "peft/adapter_config.json",
                                  "peft/adapter_model.safetensors"}
    assert meta["files"]["adapter.gguf"] == adapter_files.file_sha256(folder / "adapter.gguf")
    assert meta["created_at"]
    assert _statuses(store) == {1: "candidate"}
    assert reg.active("actor") is None and active_adapter_path(home, "actor") is None
    assert not list((home.adapters_dir / "actor").glob(".tmp-*"))


def test_promote_switches_atomically_and_rollback_restores_the_exact_hash(
        home: Paths, store: Store, tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, store)
    v1, v2 = _register(reg, tmp_path, 1), _register(reg, tmp_path, 2)
    first = reg.promote("actor", v1)
    assert reg.get("actor", _register(reg, tmp_path, 3)).parent == v1  # parent: the active one
    reg.promote("actor", v2)
    assert active_adapter_path(home, "actor") == home.adapters_dir / "actor/v0002/adapter.gguf"
    assert _statuses(store) == {1: "retired", 2: "active", 3: "candidate"}

    back = reg.rollback("actor")
    assert back is not None and back.version == v1 and back.sha256 == first.sha256
    assert reg.active("actor") == back
    assert _statuses(store)[1] == "active" and _statuses(store)[2] == "retired"
    assert reg.rollback("actor") is None  # before v1 there was only the base model
    assert reg.active("actor") is None
    with pytest.raises(RegistryError, match="no earlier actor adapter"):
        reg.rollback("actor")


def test_a_corrupted_active_adapter_falls_back_to_the_last_verified_one(
        home: Paths, store: Store, tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, store)
    v1, v2 = _register(reg, tmp_path, 1), _register(reg, tmp_path, 2)
    reg.promote("actor", v1)
    reg.promote("actor", v2)
    gguf = home.adapters_dir / "actor" / "v0002" / "adapter.gguf"
    gguf.write_bytes(gguf.read_bytes()[:-1] + b"X")  # one flipped byte
    fallback = reg.active("actor")
    assert fallback is not None and fallback.version == v1
    with pytest.raises(CorruptAdapter, match="adapter.gguf"):
        reg.promote("actor", v2)
    (home.adapters_dir / "actor" / "v0001" / "peft" / "adapter_config.json").write_text("{}")
    assert reg.active("actor") is None  # nothing verifies: the base model


def test_a_tampered_metadata_file_is_detected(home: Paths, store: Store,
                                              tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, store)
    v1 = _register(reg, tmp_path, 1)
    reg.promote("actor", v1)
    meta_path = home.adapters_dir / "actor" / "v0001" / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["files"]["adapter.gguf"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    assert reg.active("actor") is None


def test_a_crash_while_switching_keeps_the_old_active_version(
        home: Paths, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = AdapterRegistry(home.adapters_dir, store)
    v1, v2 = _register(reg, tmp_path, 1), _register(reg, tmp_path, 2)
    reg.promote("actor", v1)

    def killed(src: object, dst: object) -> None:
        raise OSError("killed before the rename")

    monkeypatch.setattr("learner.adapter_files.os.replace", killed)
    with pytest.raises(OSError):
        reg.promote("actor", v2)
    monkeypatch.undo()
    active = reg.active("actor")
    assert active is not None and active.version == v1
    assert not [p for p in (home.adapters_dir / "actor").iterdir() if p.name.endswith(".tmp")]


def test_a_crash_while_registering_leaves_no_version(
        home: Paths, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = AdapterRegistry(home.adapters_dir, store)

    def killed(folder: Path) -> None:
        raise OSError("killed while syncing")

    monkeypatch.setattr("learner.adapters.fsync_tree", killed)
    with pytest.raises(OSError):
        _register(reg, tmp_path, 1)
    monkeypatch.undo()
    assert reg.versions("actor") == [] and _statuses(store) == {}
    assert _register(reg, tmp_path, 2) == 1


def test_pruning_keeps_the_newest_and_never_the_active_or_its_parent(
        home: Paths, store: Store, tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, store, keep=2)
    v1 = _register(reg, tmp_path, 1)
    reg.promote("actor", v1)
    v2 = _register(reg, tmp_path, 2)
    reg.promote("actor", v2)  # parent v1
    for seed in (3, 4, 5):
        _register(reg, tmp_path, seed)
    assert reg.versions("actor") == [1, 2, 4, 5]
    assert set(_statuses(store)) == {1, 2, 4, 5}
    assert _register(reg, tmp_path, 6) == 6  # numbers are never reused


def test_roles_are_separate_and_unknown_roles_refused(home: Paths, store: Store,
                                                      tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, store)
    _register(reg, tmp_path, 1, role="reward")
    reg.promote("reward", 1)
    assert reg.active("actor") is None and reg.active("reward") is not None
    with pytest.raises(RegistryError, match="unknown role"):
        reg.active("critic")


def test_a_busy_registry_is_an_error_not_a_race(home: Paths, tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, None, lock_timeout_s=0.1)
    peft, gguf = _adapter(tmp_path, 1)
    with FileLock(home.adapters_dir / ".registry.lock"), \
            pytest.raises(RegistryError, match="busy"):
        reg.register("actor", peft, gguf, {})
    assert reg.register("actor", peft, gguf, {}) == 1


def test_register_refuses_what_is_not_an_adapter(home: Paths, tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, None)
    peft, gguf = _adapter(tmp_path, 1)
    with pytest.raises(RegistryError, match="adapter_config.json"):
        reg.register("actor", tmp_path, gguf, {})
    with pytest.raises(RegistryError, match="may not set version"):
        reg.register("actor", peft, gguf, {"version": 9})
    os.remove(gguf)
    with pytest.raises(RegistryError, match="no GGUF adapter"):
        reg.register("actor", peft, gguf, {})
