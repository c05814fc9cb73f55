"""``deskhand learn`` says which budget each role trains with, and why, before anything loads
(this machine's torch has no CUDA device: the CPU budget, but for what the person set)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.paths import Paths
from agent.store.repo import Store
from app.cli import cli


def test_learn_says_it_uses_the_cpu_budget(home: Paths, store: Store,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    home.config_file.parent.mkdir(parents=True, exist_ok=True)
    home.config_file.write_text("[learner.actor]\ngroup_size = 8\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--set", "learner.actor.max_steps=7", "learn",
                                      "--role", "actor"])
    assert result.exit_code == 2  # no model installed: the budget was said before that
    err = result.stderr
    assert ("actor: training on the CPU (no CUDA GPU for torch), so with the CPU budget that "
            "finishes in a night: group 8, 1 states per step, 7 steps, 96 new tokens, "
            "60 minutes") in err
    resolved = json.loads(err.split("resolved config: ", 1)[1].splitlines()[0])
    assert resolved["actor"]["group_size"] == 8 and resolved["actor"]["states_per_step"] == 1


def test_learn_on_a_gpu_keeps_the_full_budget(home: Paths, store: Store,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_: "NVIDIA H200")
    result = CliRunner().invoke(cli, ["learn", "--role", "reward"])
    assert "reward: training on cuda (NVIDIA H200) with the full budget: group 8, 4 states per " \
           "step, 200 steps, 128 new tokens, 120 minutes" in result.stderr


def test_asking_for_cuda_without_one_is_said_not_crashed_on(
        home: Paths, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = CliRunner().invoke(cli, ["--set", "learner.reward_model.device=cuda", "learn",
                                      "--role", "reward"])
    assert "reward: training on cuda (not found) with the full budget" in result.stderr
    assert result.exit_code == 2  # no model installed: the usual message, no traceback
