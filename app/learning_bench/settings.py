"""The settings of a learning bench run, and the config it writes into its own home.

The design choice a reader must know: the bench runs the product as a person would, in its own
Deskhand home: the config written here is an ordinary ``config.toml`` (small budgets sized for
two CPU cores and the demo model), and everything else — episodes, judgments, training runs,
adapters — lives in that home's ordinary store and registry, inspectable afterwards with the
app or the CLI (``deskhand --home DIR ...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

HELDOUT_SEED_BASE = 10_000_000  # held-out tasks: never among the teaching seeds
SUITES = ("practice", "miniwob")
MINIWOB_DEFAULT_TASKS = ("click-test", "click-test-2")


@dataclass(frozen=True)
class BenchSettings:
    nights: int = 3
    episodes: int = 60  # teaching episodes per night (the simulated user judges every step)
    heldout: int = 40  # held-out evaluation episodes, before night 1 and after each night
    seed: int = 0
    kinds: tuple[str, ...] = ("lamp",)  # practice exercise kinds (suite "practice")
    suite: str = "practice"  # or "miniwob": MiniWoB++ pages in a Chromium window
    tasks: tuple[str, ...] = MINIWOB_DEFAULT_TASKS  # MiniWoB++ task names (suite "miniwob")
    error_rate: float = 0.05  # the simulated user's share of wrong judgments
    correct_share: float = 0.7  # of the wrong steps: corrected with the right action
    takeover_share: float = 0.1  # of the wrong steps: done by the simulated user's own hands
    max_steps: int = 3  # per episode
    screen: tuple[int, int] = (448, 336)
    actor_steps: int = 4  # GRPO steps per night (after the supervised warm-up)
    actor_sft_steps: int = 40  # the warm-up on the night's vouched-for actions
    reward_steps: int = 10
    reward_sft_steps: int = 40  # the warm-up on the night's judged actions, as verdicts
    # ... or more steps, for at least this many passes over the examples (which grow nightly)
    sft_epochs: float = 5.0
    min_holdout: int = 12  # the gate's minimum held-out size in the bench home

    def __post_init__(self) -> None:
        if self.nights < 1 or self.episodes < 1 or self.heldout < 1:
            raise ValueError("nights, episodes and heldout must be >= 1")
        if self.suite not in SUITES:
            raise ValueError(f"unknown suite {self.suite!r}; known: {', '.join(SUITES)}")
        if not (self.kinds if self.suite == "practice" else self.tasks):
            raise ValueError(f"the {self.suite} suite needs at least one "
                             f"{'kind' if self.suite == 'practice' else 'task'}")

    def teaching_seeds(self, night: int) -> list[int]:
        start = (self.seed * 1000 + night) * self.episodes
        return list(range(start, start + self.episodes))

    def heldout_seeds(self) -> list[int]:
        start = HELDOUT_SEED_BASE + self.seed * self.heldout
        return list(range(start, start + self.heldout))

    def home_config(self) -> dict[str, Any]:
        """The bench home's config.toml (a dict for tomli_w)."""
        trainer = {"max_new_tokens": 48, "group_size": 8, "states_per_step": 4,
                   "checkpoint_every": 1000, "max_minutes": 6.0, "device": "cpu"}
        return {
            "agent": {"approval": "each", "critic": "off", "critic_reasoning": False,
                      "step_pause_s": 0.2, "rate_steps": False, "max_new_tokens": 48},
            "safety": {"max_steps": self.max_steps},
            "learner": {
                "data": {"holdout_fraction": 0.3},
                "gate": {"min_holdout": self.min_holdout},
                "actor": {**trainer, "max_steps": self.actor_steps, "lr": 1e-3,
                          "lora_rank": 16, "lora_alpha": 32, "temperature": 1.0,
                          "beta": 0.0, "entropy_floor": 0.0, "sft_steps": self.actor_sft_steps,
                          "sft_lr": 3e-3, "sft_batch": 4, "sft_epochs": self.sft_epochs},
                # GRPO at the actor's rate: at 3e-3 one update of the reward model could
                # wreck its verdict format after the warm-up (4 of 6 seeded runs, see the README)
                "reward_model": {**trainer, "max_steps": self.reward_steps, "lr": 1e-3,
                                 "lora_rank": 16, "lora_alpha": 32, "max_new_tokens": 8,
                                 "group_size": 6, "temperature": 1.0, "beta": 0.0,
                                 "sft_steps": self.reward_sft_steps, "sft_lr": 3e-3,
                                 "sft_batch": 4, "sft_epochs": self.sft_epochs},
            },
        }

    def write_home_config(self, home: Path) -> Path:
        import tomli_w

        from agent.paths import Paths

        paths = Paths.resolve(home)
        paths.config_file.parent.mkdir(parents=True, exist_ok=True)
        paths.config_file.write_text(tomli_w.dumps(self.home_config()), encoding="utf-8")
        return paths.config_file
