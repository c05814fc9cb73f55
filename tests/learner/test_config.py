"""The ``[learner]`` table loads strictly through the shared loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import ConfigError, load
from learner.config import LearnerConfig


def test_file_and_overrides_fill_the_sub_tables(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[data]\nholdout_fraction = 0.2\n[schedule]\nat = "02:30"\n'
                    'unit_dir = "~/units"\nwhen_idle_unknown = "skip"\n', encoding="utf-8")
    config = load(LearnerConfig, path, ["gate.max_kl=0.3", "registry.keep_versions=3"])
    assert config.data.holdout_fraction == 0.2 and config.schedule.at == "02:30"
    assert config.schedule.unit_dir == Path("~/units").expanduser()
    assert config.schedule.when_idle_unknown == "skip"
    assert config.gate.max_kl == 0.3 and config.registry.keep_versions == 3


@pytest.mark.parametrize(("override", "message"), [
    ("schedule.at=25:00", "time must be HH:MM"),
    ("data.holdout_fraction=1.5", "holdout_fraction must be in [0, 1]"),
    ("registry.keep_versions=1", "keep_versions must be >= 2"),
    ("schedule.when_idle_unknown=maybe", "must be one of 'run', 'skip'"),
    ("gate.margin=0.1", "unknown key 'gate.margin'"),
])
def test_bad_values_name_the_key(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(LearnerConfig, None, [override])
