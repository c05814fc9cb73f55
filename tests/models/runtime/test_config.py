"""``RuntimeConfig``: defaults that fit a screenshot, and bad values refused by name."""

from __future__ import annotations

import pytest

from agent.config import ConfigError, load
from models.runtime import RuntimeConfig


def test_defaults_leave_room_for_a_full_screenshot() -> None:
    config = RuntimeConfig()
    assert config.n_ctx >= 1280 + config.max_new_tokens + 512
    assert config.resolved_threads >= 1


@pytest.mark.parametrize("field,value,message", [
    ("n_batch", 0, "n_batch"), ("n_ctx", 16, "n_ctx"), ("top_p", 0.0, "top_p"),
    ("temperature", -1.0, "temperature"), ("max_new_tokens", 0, "max_new_tokens"),
    ("gpu_layers", -2, "gpu_layers"), ("gpu_layers", "all", "gpu_layers"),
    ("threads", -1, "threads"),
    ("flash_attn", "yes", "flash_attn"),
])
def test_bad_values_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuntimeConfig(**{field: value})  # type: ignore[arg-type]


def test_image_token_bounds_must_be_ordered() -> None:
    assert RuntimeConfig(image_min_tokens=1024, image_max_tokens=1280).image_min_tokens == 1024
    with pytest.raises(ValueError, match="image_min_tokens"):
        RuntimeConfig(image_min_tokens=2048, image_max_tokens=1024)


def test_loads_from_toml_through_the_strict_loader(tmp_path) -> None:
    path = tmp_path / "runtime.toml"
    path.write_text("threads = 4\nflash_attn = \"on\"\n", encoding="utf-8")
    config = load(RuntimeConfig, path, ["n_ctx=4096"])
    assert (config.threads, config.flash_attn, config.n_ctx) == (4, "on", 4096)
    with pytest.raises(ConfigError):
        load(RuntimeConfig, path, ["n_threads=4"])
