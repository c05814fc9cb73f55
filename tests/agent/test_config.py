"""The config loader: strict, typed, and its errors name the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from agent.config import ConfigError, from_dict, load, to_dict


@dataclass(frozen=True)
class Inner:
    threads: int = 4
    ratio: float = 0.5
    mode: Literal["each", "risky", "never"] = "each"
    titles: tuple[str, ...] = ()
    folder: Path | None = None


@dataclass(frozen=True)
class Outer:
    inner: Inner = field(default_factory=Inner)
    name: str = "x"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load(Outer, tmp_path / "absent.toml") == Outer()


def test_file_values_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('name = "y"\n[inner]\nthreads = 8\nratio = 1\ntitles = ["Bank"]\n'
                    'folder = "~/x"\nmode = "never"\n')
    cfg = load(Outer, path)
    assert cfg.inner == Inner(8, 1.0, "never", ("Bank",), Path("~/x").expanduser())
    assert isinstance(cfg.inner.ratio, float)
    assert cfg.name == "y"


@pytest.mark.parametrize(("data", "message"), [
    ({"inner": {"thread": 3}}, "unknown key 'inner.thread'"),
    ({"nmae": "z"}, "unknown key 'nmae'"),
    ({"inner": {"threads": "8"}}, "inner.threads: expected int, got string '8'"),
    ({"inner": {"threads": True}}, "inner.threads: expected int, got boolean"),
    ({"inner": {"ratio": "high"}}, "inner.ratio: expected a number"),
    ({"inner": {"mode": "sometimes"}}, "inner.mode: must be one of 'each', 'risky', 'never'"),
    ({"inner": {"titles": [1]}}, "inner.titles[0]: expected str"),
    ({"inner": 3}, "inner: expected a table"),
])
def test_errors_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        from_dict(Outer, data)
    assert message in str(err.value)


def test_overrides_apply_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[inner]\nthreads = 8\n")
    cfg = load(Outer, path, ["inner.threads=2", "name=plain words", "inner.titles=['a', 'b']"])
    assert cfg.inner.threads == 2
    assert cfg.name == "plain words"
    assert cfg.inner.titles == ("a", "b")


def test_override_types_are_checked_like_the_file() -> None:
    with pytest.raises(ConfigError, match="inner.threads: expected int"):
        load(Outer, None, ["inner.threads=many"])
    with pytest.raises(ConfigError, match="not of the form key=value"):
        load(Outer, None, ["inner.threads"])


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[inner\n")
    with pytest.raises(ConfigError, match="c.toml: not valid TOML"):
        load(Outer, path)


def test_dataclass_validation_becomes_a_config_error() -> None:
    from agent.store.config import StoreConfig

    with pytest.raises(ConfigError, match="keep_backups must be >= 1"):
        from_dict(StoreConfig, {"keep_backups": 0})


def test_round_trip_through_plain_data() -> None:
    cfg = Outer(Inner(titles=("a",), folder=Path("/x")))
    assert from_dict(Outer, to_dict(cfg)) == cfg
