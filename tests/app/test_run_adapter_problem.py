"""``deskhand run``: an active adapter that cannot be used is printed, never only logged,
and the base model acts."""

from __future__ import annotations

import io
from contextlib import ExitStack
from pathlib import Path

import pytest
from rich.console import Console

from agent.paths import Paths
from agent.settings import AgentConfig
from app.commands.run import RunOptions, _models
from tests.app.adapter_problem import PROBLEM, break_active_adapter, stand_in_models


def test_run_prints_an_adapter_that_cannot_be_used(home: Paths, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    break_active_adapter(home, tmp_path)
    stand_in_models(monkeypatch)
    out = io.StringIO()
    with ExitStack() as stack:
        policy, critic, meta = _models(home, RunOptions("a task"), AgentConfig(critic="off"),
                                       None, stack, Console(file=out, width=300))
    assert PROBLEM in out.getvalue() and "the base model acts" in out.getvalue()
    assert meta.actor_adapter is None  # the episode row says: no adapter
    assert critic is None and policy is not None
