"""``deskhand learn`` as a user runs it: skips with reasons, says what to install, says how
much more judging is needed before anything heavy loads, and trains from judged steps in the
store — the reward model, then the actor with the reward model scoring the states no person
answered — each candidate judged as it will run (GGUF adapter through llama.cpp)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from agent.paths import Paths
from agent.store.repo import Monitor, Store
from agent.store.schema import Adapter, TrainingRun
from app.cli import cli
from learner import synthetic as syn
from models.gguf.qwen_mmproj import convert_mmproj
from models.gguf.qwen_text import convert_text
from models.hub.catalogue import Catalogue
from models.hub.install import add_local, download_recommended
from models.hub.registry import Recommended
from models.hub.weights import download_weights, plan_for
from models.tiny import TinyModel
from tests.learner.test_learning import warm_bases
from tests.models.test_hub_fake import FakeHub

SMALL = ["--set", "learner.gate.min_holdout=5", "--set", "learner.data.holdout_fraction=0.5"]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _rows(store: Store) -> tuple[list[TrainingRun], list[Adapter]]:
    with store.session() as s:
        return (list(s.scalars(select(TrainingRun)).all()),
                list(s.scalars(select(Adapter)).all()))


def gguf_pair(hf_dir: Path, cache: Path) -> tuple[Path, Path]:
    """The f32 GGUF text model and projector of an HF folder (converted once, cached)."""
    folder = cache / f"gguf-{hf_dir.parent.name}-{hf_dir.name}"
    gguf, mmproj = folder / "model-f32.gguf", folder / "mmproj-f32.gguf"
    if not mmproj.exists():
        folder.mkdir(parents=True, exist_ok=True)
        convert_text(hf_dir, gguf, dtype="f32")
        convert_mmproj(hf_dir, mmproj, dtype="f32")
    return gguf, mmproj


def install(home: Paths, hf_dir: Path, cache: Path, name: str = "synthetic") -> None:
    """An HF folder as an installed model (its f32 GGUF pair), for the actor and the critic."""
    gguf, mmproj = gguf_pair(hf_dir, cache)
    catalogue = Catalogue.load(home.models_dir)
    add_local(catalogue, gguf, mmproj, hf=str(hf_dir), family="deskhand", name=name)
    catalogue.use(name, "actor")
    catalogue.use(name, "critic")


def install_from_hub(home: Paths, hf_dir: Path, cache: Path, name: str = "synthetic") -> None:
    """The same model as a person gets it: its GGUF pair and then its training weights
    downloaded from the (fake) hub, as ``deskhand models download NAME --training`` does."""
    gguf, mmproj = gguf_pair(hf_dir, cache)
    rec = Recommended(name=name, family="deskhand", repo=f"test/{name}-GGUF",
                      gguf_file=gguf.name, mmproj_file=mmproj.name, approx_bytes=1,
                      hf_repo=f"test/{name}")
    files = {(rec.repo, p.name): p.read_bytes() for p in (gguf, mmproj)}
    files.update({(rec.hf_repo, p.name): p.read_bytes() for p in hf_dir.iterdir()
                  if p.is_file()})
    catalogue = Catalogue.load(home.models_dir)
    with FakeHub(files) as hub:
        download_recommended(catalogue, rec, endpoint=hub.endpoint)
        model = download_weights(catalogue, plan_for(catalogue, name, endpoint=hub.endpoint),
                                 endpoint=hub.endpoint)
    assert model is not None and model.hf == home.models_dir / name / "hf"
    catalogue.use(name, "actor")
    catalogue.use(name, "critic")


def judged_steps(store: Store, episodes: int, seed: int = 7) -> None:
    """Episodes of one click each on a synthetic screen: the wrong square, then corrected or
    rejected (every other one), and some right clicks approved."""
    for i, screen in enumerate(syn.screens(episodes, seed=seed)):
        episode = store.create_episode(syn.TASK)
        right, wrong = screen.centres[screen.lit], screen.centres[1 - screen.lit]
        clicked = right if i % 3 == 2 else wrong
        step = store.add_step(episode, screenshot=screen.image,
                              monitor=Monitor(0, 0, *screen.image.shape[1::-1]),
                              action={"type": "click", "x": clicked[0], "y": clicked[1]},
                              reasoning="", outcome="executed")
        if clicked == right:
            store.add_judgment(kind="approve", step_id=step, value=1.0)
        elif i % 2:
            store.add_judgment(kind="reject", step_id=step, value=0.0)
        else:
            store.add_judgment(kind="correct", step_id=step,
                               corrected_action={"type": "click", "x": right[0], "y": right[1]})
        store.finish_episode(episode, "done")


def test_nightly_skips_and_says_why(home: Paths, store: Store) -> None:
    code, out, err = _run("learn", "--nightly", "--role", "actor")
    assert code == 0, err
    assert "actor: skipped" in err and "new judgments" in err
    assert _rows(store) == ([], [])


def test_no_model_says_what_to_install(home: Paths, store: Store) -> None:
    code, _, err = _run("learn", "--role", "reward")
    assert code == 2
    assert "no critic model is installed" in err and "deskhand models" in err


def test_too_little_data_says_how_much_more_before_loading_anything(
        home: Paths, store: Store, tiny_model: TinyModel, tiny_cache_dir: Path) -> None:
    install(home, tiny_model.hf_dir, tiny_cache_dir)
    judged_steps(store, 4)
    code, _, err = _run("learn", "--role", "both")
    assert code == 0, err
    for role in ("reward", "actor"):
        assert f"{role}: not trained — too little held-out data" in err
    assert "more judged steps on held-out episodes are needed" in err
    assert _rows(store) == ([], [])  # no run row, nothing loaded or trained


def test_learn_trains_both_roles_and_the_gate_judges_them_as_served(
        home: Paths, store: Store, tiny_model: TinyModel, tiny_cache_dir: Path) -> None:
    import torch

    torch.set_num_threads(1)
    actor_base, _ = warm_bases(tiny_model, tiny_cache_dir)
    install_from_hub(home, actor_base, tiny_cache_dir)  # download → learn → adapter
    judged_steps(store, 36)
    code, out, err = _run("--set", "learner.actor.max_new_tokens=48",
                          "--set", "learner.reward_model.max_new_tokens=8",
                          "--set", "agent.critic_reasoning=false", *SMALL,
                          "learn", "--role", "both", "--max-steps", "1")
    assert code == 0, err
    assert "resolved config" in err
    runs, adapters = _rows(store)
    assert [r.role for r in runs] == ["reward", "actor"]  # the reward model first
    for run in runs:
        assert run.status == "done" and run.metrics is not None, run.reason
        assert len(run.metrics["steps"]) == 1
        gate = run.metrics["gate"]
        assert gate["reasons"] and gate["figures"]["n"] >= 5  # n and p, as the CLI says
    assert {a.role for a in adapters} == {"reward", "actor"}
    assert "n=" in err and ("promoted" in err)
    reward_run = runs[0]
    assert reward_run.config is not None and reward_run.config["reasoning"] is False
    # before RL, each role learnt what the person said: every judged candidate as a verdict
    assert reward_run.config["sft_examples"] == reward_run.config["train_states"] > 0
    assert runs[1].config is not None and runs[1].config["sft_examples"] > 0
    assert "SFT steps on" in err and "judged actions" in err and "vouched-for actions" in err
    with store.session() as s:
        actor_adapter = s.scalar(select(Adapter).where(Adapter.role == "actor"))
        assert actor_adapter is not None and actor_adapter.metrics is not None
        assert actor_adapter.metrics["evaluated"].startswith("GGUF adapter")
        assert "kl" in actor_adapter.metrics["candidate"]  # the drift guard was measured
    assert json.dumps(runs[1].metrics["gate"])  # stored as plain JSON

    # with a reward model the person's judgments promoted (here: by hand, `adapters promote`),
    # the actor also trains on the states nobody answered right: the rejected steps
    code, _, err = _run("adapters", "promote", "v1", "--role", "reward")
    assert code == 0, err
    code, _, err = _run("--set", "learner.actor.max_new_tokens=48",
                        "--set", "agent.critic_reasoning=false", *SMALL,
                        "learn", "--role", "actor", "--max-steps", "1")
    assert code == 0, err
    runs, _ = _rows(store)
    with_critic, without = runs[-1].config, runs[1].config
    assert with_critic is not None and without is not None
    assert with_critic["critic"] is True and without["critic"] is False
    assert with_critic["train_states"] > without["train_states"]  # the rejected ones too
