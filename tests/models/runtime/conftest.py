"""The runtime fixture: one ``LlamaRuntime`` on the tiny model per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.runtime import LlamaRuntime
from models.tiny import TinyModel
from tests.models.runtime.helpers import CONFIG


@pytest.fixture(scope="module")
def runtime(tiny_model: TinyModel) -> Iterator[LlamaRuntime]:
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, CONFIG) as rt:
        yield rt
