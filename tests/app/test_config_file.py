"""The whole config file: every subsystem's table loads from TOML and round-trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomli_w

from agent.config import ConfigError, to_dict
from app.config import DeskhandConfig, load_config


def _without_none(data: Any) -> Any:
    """TOML has no null: a None default is written by leaving the key out."""
    if isinstance(data, dict):
        return {k: _without_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_none(v) for v in data]
    return data


def test_defaults_round_trip_through_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(_without_none(to_dict(DeskhandConfig()))))
    assert load_config(path) == DeskhandConfig()


def test_every_table_is_present() -> None:
    assert {"agent", "runtime", "store", "safety", "learner"} <= set(to_dict(DeskhandConfig()))


def test_a_typo_in_any_table_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[runtime]\nthreds = 4\n")
    with pytest.raises(ConfigError, match="unknown key 'runtime.threds'"):
        load_config(path)


def test_the_readme_example_config_loads(tmp_path: Path) -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert example is not None, "the README shows an example config"
    path = tmp_path / "config.toml"
    path.write_text(example.group(1))
    assert load_config(path).agent.approval in ("each", "risky", "never")
