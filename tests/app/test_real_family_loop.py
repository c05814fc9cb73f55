"""A Qwen2.5-VL and a Qwen3-VL model each go the whole way a person's model goes, on tiny
stand-ins served by the fake hub: download (the GGUF pair, then the training weights) → act
(the agent's policy proposes a step through the family's prompt) → ``deskhand learn --role
both`` → GGUF adapters of the model's own llama.cpp architecture → promoted → the next
episode's actor runs with that adapter, loaded without a word of warning."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from agent.paths import Paths
from agent.policy import PolicyRequest
from agent.screen import Observation
from agent.settings import AgentConfig
from agent.store.repo import Store
from agent.store.schema import Adapter, TrainingRun
from app.cli import cli
from app.episode_models import ModelStack
from learner.adapters import AdapterRegistry
from models.frames import Monitor
from models.hub.catalogue import Catalogue
from models.hub.install import download_recommended
from models.hub.registry import Recommended
from models.hub.weights import download_weights, plan_for
from models.runtime import RuntimeConfig
from models.tiny import TinyModel
from tests.app.test_learn_command import SMALL, judged_steps
from tests.models.test_hub_fake import FakeHub

SCREEN = Observation(np.random.default_rng(1).integers(0, 256, (128, 256, 3), dtype=np.uint8),
                     Monitor(0, 0, 256, 128), None, None, 0.0)
RUNTIME = RuntimeConfig(threads=2, n_ctx=4096, max_new_tokens=12, seed=0)


def serve(tiny: TinyModel, family: str) -> tuple[Recommended, dict[tuple[str, str], bytes]]:
    """A recommended-model entry for ``tiny`` and the hub files behind it."""
    rec = Recommended(name=f"tiny-{family}", family=family, repo=f"test/tiny-{family}-GGUF",
                      gguf_file=tiny.gguf_path.name, mmproj_file=tiny.mmproj_path.name,
                      approx_bytes=1, hf_repo=f"test/tiny-{family}")
    files = {(rec.repo, p.name): p.read_bytes() for p in (tiny.gguf_path, tiny.mmproj_path)}
    files.update({(rec.hf_repo, p.name): p.read_bytes() for p in tiny.hf_dir.iterdir()
                  if p.is_file()})
    return rec, files


def act(home: Paths, family: str) -> tuple[str | None, list[str], str]:
    """One proposal of the next episode's actor: (its adapter version, warnings, raw text)."""
    stack = ModelStack(home, RUNTIME)
    try:
        policy, meta = stack.actor(AgentConfig(max_new_tokens=12))
        proposal = policy.propose(PolicyRequest("click the lit square", (), SCREEN))
    finally:
        stack.close()
    assert proposal.refused is None, proposal.refused  # the image fitted the family's rule
    assert proposal.action is not None or proposal.parse_error is not None
    return meta.actor_adapter, list(stack.warnings), proposal.raw


@pytest.mark.parametrize(("family", "fixture", "arch"), [
    ("qwen25vl", "tiny_model", "qwen2vl"), ("qwen3vl", "tiny_qwen3", "qwen3vl")])
def test_download_act_learn_adapter_hot_load(home: Paths, store: Store,
                                             request: pytest.FixtureRequest, family: str,
                                             fixture: str, arch: str) -> None:
    import gguf
    import torch

    torch.set_num_threads(1)
    tiny: TinyModel = request.getfixturevalue(fixture)
    rec, files = serve(tiny, family)
    catalogue = Catalogue.load(home.models_dir)
    with FakeHub(files) as hub:
        download_recommended(catalogue, rec, endpoint=hub.endpoint)
        assert not Catalogue.load(home.models_dir).get(rec.name).trainable
        download_weights(catalogue, plan_for(catalogue, rec.name, endpoint=hub.endpoint),
                         endpoint=hub.endpoint)
    assert Catalogue.load(home.models_dir).get(rec.name).trainable

    version, warnings, raw = act(home, family)
    assert (version, warnings) == (None, []) and raw  # the base model acts

    judged_steps(store, 36)
    result = CliRunner().invoke(cli, [
        "--set", "learner.actor.max_new_tokens=16", "--set",
        "learner.reward_model.max_new_tokens=8", "--set", "agent.critic_reasoning=false",
        *SMALL, "learn", "--role", "both", "--max-steps", "1"])
    assert result.exit_code == 0, result.stderr
    with store.session() as s:
        runs = list(s.scalars(select(TrainingRun)).all())
        adapters = list(s.scalars(select(Adapter)).all())
    assert [(r.role, r.status) for r in runs] == [("reward", "done"), ("actor", "done")], \
        [r.reason for r in runs]
    actor = next(a for a in adapters if a.role == "actor")
    promoted = CliRunner().invoke(cli, ["adapters", "promote", f"v{actor.version}",
                                        "--role", "actor"])
    assert promoted.exit_code == 0, promoted.output
    active = AdapterRegistry(home.adapters_dir).active("actor")
    assert active is not None and active.version == actor.version
    adapter_arch = gguf.GGUFReader(active.gguf_path).fields["general.architecture"].contents()
    assert adapter_arch == arch  # an adapter for this model's own llama.cpp architecture

    version, warnings, raw = act(home, family)
    assert (version, warnings) == (f"v{actor.version}", [])  # hot-loaded, nothing dropped
    assert raw
