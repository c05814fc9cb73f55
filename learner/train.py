"""The GRPO recipe: ``setup`` → ``train`` → ``save_checkpoint`` → ``cleanup``.

A ``Job`` says what to train (built by :mod:`learner.grpo_actor` or :mod:`learner.grpo_reward`
from the store's datasets, or by the tests from :mod:`learner.synthetic`); ``Recipe`` runs it:
load the base with a LoRA (the active adapter's weights, or a fresh one), resume from the run's
checkpoint when there is one, then GRPO steps (:func:`learner.grpo.grpo_step`) until the step
budget, the time budget or a stop request; the actor pauses RL for a short supervised phase
whenever its entropy collapses (Entropulse, :mod:`learner.sft`).

We run our own GRPO loop rather than TRL's ``GRPOTrainer``: TRL needs a transformers
``ProcessorMixin`` for images (Qwen2.5-VL's needs torchvision, not installable here), its loop
cannot pause for Entropulse, and it drops no zero-variance groups; the loop is ~150 lines in
:mod:`learner.grpo`. ``deskhand bench learner`` measures it against TRL on the same model.

Several GPUs (or CPU processes): under ``accelerate launch --num_processes K`` every process
runs this recipe on the same run folder; each step's states (and SFT batches) are split
between the ranks and their gradients summed (:mod:`learner.distributed`), each state samples
from a stream seeded by (run seed, step, state), so K processes train the weights one process
would, and only rank 0 writes checkpoints. The ranks agree on stopping (SIGTERM, the time
budget) before each step, so under several processes a stop waits for the step to finish.
With accelerate's FSDP config the model is sharded over the ranks after the LoRA and the
checkpoint's weights are loaded, before the optimizer is made (:mod:`learner.sharding`).

The design choice a reader must know: the stop request is a plain callable (SIGTERM sets it)
checked between steps and after every sampled token; a step cut short applies nothing, and
every exit path — budget, stop, error — goes through ``save_checkpoint``, so a run can always
continue from its last finished step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learner import checkpoint, distributed, sharding
from learner.evaluate import kl_to_base
from learner.gate import Evaluation
from learner.grpo import GRPOSettings, Prompted, RewardFn, grpo_step
from learner.policy import Interrupted, Processor, load_lora_model, pick_device
from learner.sft import Example, entropy_collapsed, sft_phase
from learner.train_config import ActorTrainConfig, GRPOConfig
from learner.warmup_guard import WarmupGuard, sample_states

log = logging.getLogger(__name__)
StepCallback = Callable[[int, int, dict[str, float]], None]


@dataclass
class Job:
    """What one run trains (see module doc). ``evaluate`` gives the gate's metric values."""

    role: str
    base_dir: Path
    config: GRPOConfig
    train: list[Prompted]
    holdout: list[Prompted]
    reward_fns: list[RewardFn]
    reward_weights: tuple[float, ...]
    evaluate: Callable[[Any, Processor, Sequence[Prompted]], Evaluation]
    parent_peft: Path | None = None
    sft_examples: list[Example] = field(default_factory=list)
    dataset_hash: str = ""
    extra_config: dict[str, Any] = field(default_factory=dict)

    def config_json(self) -> dict[str, Any]:
        return {"role": self.role, "base": str(self.base_dir), **self.config.to_json(),
                "parent_peft": str(self.parent_peft) if self.parent_peft else None,
                "train_states": len(self.train), "holdout_states": len(self.holdout),
                "dataset_hash": self.dataset_hash, **self.extra_config}


class Recipe:
    """One GRPO run of one job in ``run_dir`` (see module doc)."""

    def __init__(self, job: Job, run_dir: Path, on_step: StepCallback | None = None,
                 ranks: distributed.Ranks | None = None) -> None:
        self.job, self.run_dir, self.on_step = job, Path(run_dir), on_step
        self.ranks = ranks if ranks is not None else distributed.current(job.config.device)
        self.model: Any = None
        self.processor: Any = None  # a Processor once set up
        self.optimizer: Any = None
        self.state = checkpoint.TrainState()
        self.resumed_from: int | None = None
        self.guard: WarmupGuard | None = None  # the reward model's, once its warm-up ran

    # -- setup ---------------------------------------------------------------------------
    def setup(self) -> None:
        import torch

        cfg = self.job.config
        torch.manual_seed(cfg.seed)
        device = pick_device(cfg.device, self.ranks.local_rank)
        self.processor = Processor(self.job.base_dir)
        wanted = self._sharding()
        self.model = load_lora_model(
            self.job.base_dir, rank=cfg.lora_rank, alpha=cfg.lora_alpha,
            adapter_dir=self.job.parent_peft, device=device,
            load_in_4bit=cfg.load_in_4bit and device.startswith("cuda"),
            gradient_checkpointing=cfg.gradient_checkpointing and device.startswith("cuda"),
            stay_on_cpu=wanted is not None)  # sharding moves only this rank's part there
        found = checkpoint.latest(self.run_dir)
        if found is not None:  # into the whole model: sharding splits what it holds
            checkpoint.load_weights(found, self.model)
        if wanted is not None:
            self.model, self.ranks = sharding.shard(self.model, wanted, self.ranks, device)
            if self.ranks.main:
                log.info("FSDP: the %s model is sharded over %d processes", self.job.role,
                         self.ranks.world)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
        if found is not None:
            self.state = checkpoint.load_state(found, self.model, self.optimizer)
            self.resumed_from = self.state.step
            log.info("resumed %s run from step %d (%s)", self.job.role, self.state.step, found)
            kept = checkpoint.load_guard(found)
            if kept is not None and self.state.guard_agreement is not None:
                # the warm-up ended before the stop: its guard still checks GRPO's steps
                self.guard = WarmupGuard(sample_states(self.job.train),
                                         self.state.guard_agreement, kept)

    def _sharding(self) -> sharding.Sharding | None:
        """accelerate's FSDP settings, when its config asks for them and there are ranks to
        shard over."""
        wanted = sharding.requested()
        if wanted is not None and self.ranks.world == 1:
            log.warning("FSDP over one process shards nothing: training the whole model")
            return None
        return wanted

    def settings(self) -> GRPOSettings:
        cfg = self.job.config
        return GRPOSettings(group_size=cfg.group_size, max_new_tokens=cfg.max_new_tokens,
                            temperature=cfg.temperature, beta=cfg.beta, clip_low=cfg.clip_low,
                            clip_high=cfg.clip_high, iterations=cfg.iterations,
                            reward_weights=self.job.reward_weights)

    def step_seed(self) -> int:
        """The sampling seed of the next step (per state below it: :func:`learner.grpo.stream`)."""
        return self.job.config.seed * 100_003 + self.state.step

    # -- train ---------------------------------------------------------------------------
    def batch(self, step: int) -> list[Prompted]:
        """The states of ``step``: a deterministic walk over the training states."""
        n, train = self.job.config.states_per_step, self.job.train
        return [train[(step * n + i) % len(train)] for i in range(n)]

    def train(self, max_steps: int | None = None, deadline: float | None = None,
              stop: Callable[[], bool] = lambda: False) -> str:
        """Run steps until done; returns why it stopped: ``done``, ``time`` or ``stopped``.
        A finished reward-model run then goes through its warm-up guard
        (:mod:`learner.warmup_guard`)."""
        why = self._steps(max_steps, deadline, stop)
        if why != "stopped" and self.guard is not None and self.state.guard is None:
            self.state.guard = self.guard.check(self.model, self.processor, self.job.evaluate)
        return why

    def _steps(self, max_steps: int | None, deadline: float | None,
               stop: Callable[[], bool]) -> str:
        if not self.job.train:
            raise ValueError(f"no training states for the {self.job.role} run")
        cfg, settings = self.job.config, self.settings()
        total = min(max_steps or cfg.max_steps, cfg.max_steps)
        since_save = 0
        if self.state.step == 0 and not self.state.warmed:
            halted = self.warm_up(stop, deadline)
            if halted is not None:
                return halted
        # several ranks decide to stop together, between steps (see module doc)
        in_step = stop if self.ranks.world == 1 else None
        while self.state.step < total:
            stopped, late = self.ranks.any(
                [stop(), deadline is not None and time.monotonic() >= deadline])
            if stopped:
                return "stopped"
            if late:
                return "time"
            try:
                result = grpo_step(self.model, self.processor, self.optimizer,
                                   self.batch(self.state.step), self.job.reward_fns, settings,
                                   cfg.max_grad_norm, in_step, seed=self.step_seed(),
                                   ranks=self.ranks)
            except Interrupted:  # mid-step: nothing was applied, the step runs again later
                return "stopped"
            metrics = {"step": float(self.state.step + 1), **result.metrics()}
            metrics["pulse_sft_loss"] = self.maybe_pulse(result.entropy)
            self.state.step += 1
            self.state.metrics.append(metrics)
            since_save += 1
            if since_save >= cfg.checkpoint_every:
                self.save_checkpoint()
                since_save = 0
            if self.on_step is not None:
                self.on_step(self.state.step, total, metrics)
        return "done"

    def warm_up(self, stop: Callable[[], bool] | None = None,
                deadline: float | None = None) -> str | None:
        """The supervised phase on what the person said, before RL (``sft_steps``): the
        actor's vouched-for actions, the reward model's judged actions as verdicts.

        A ``stop`` request or the ``deadline`` ends it between two steps (every rank agrees
        on it) and returns ``stopped`` or ``time``; the steps done are kept in the state, so a
        resumed run finishes the phase where it stopped. None when the phase is done."""
        cfg = self.job.config
        if steps := cfg.warmup_steps(len(self.job.sft_examples)):
            halted: list[str] = []

            def should_stop() -> bool:
                stopped, late = self.ranks.any([stop is not None and stop(), deadline is not None
                                                and time.monotonic() >= deadline])
                if stopped or late:
                    halted.append("stopped" if stopped else "time")
                return stopped or late

            done = self.state.warmup_step
            losses = self._supervised(steps, cfg.seed, decay=True, start=done,
                                      should_stop=should_stop if stop or deadline else None)
            self.state.warmup_step = done + len(losses)
            if losses:
                self.state.warmup_loss = losses[-1]
            what = "vouched-for actions" if self.job.role == "actor" else "judged actions"
            if halted:
                log.info("warm-up %s after %d of %d SFT steps on %d %s", halted[0],
                         self.state.warmup_step, steps, len(self.job.sft_examples), what)
                return halted[0]
            if losses:
                log.info("warm-up: %d SFT steps on %d %s, loss %.4f -> %.4f%s", len(losses),
                         len(self.job.sft_examples), what, losses[0], losses[-1],
                         f" (resumed after step {done})" if done else "")
            if self.job.role == "reward":
                self.guard = WarmupGuard.take(self.model, self.processor, self.job.train,
                                              self.job.evaluate)
        self.state.warmed = True
        return None

    def _supervised(self, steps: int, seed: int, decay: bool = False, start: int = 0,
                    should_stop: Callable[[], bool] | None = None) -> list[float]:
        cfg = self.job.config
        rl_lrs = [g["lr"] for g in self.optimizer.param_groups]
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.sft_lr
        try:
            return sft_phase(self.model, self.processor, self.optimizer, self.job.sft_examples,
                             steps, cfg.sft_batch, seed, decay, self.ranks, start, should_stop)
        finally:
            for group, lr in zip(self.optimizer.param_groups, rl_lrs, strict=True):
                group["lr"] = lr

    def maybe_pulse(self, entropy: float) -> float:
        """Entropulse: SFT on vouched-for actions when the actor's entropy collapsed.

        Returns the pulse's last SFT loss, or NaN when no pulse ran.
        """
        cfg = self.job.config
        self.state.entropies.append(entropy)
        if not isinstance(cfg, ActorTrainConfig) or not self.job.sft_examples:
            return float("nan")
        if not entropy_collapsed(self.state.entropies, cfg.entropy_floor):
            return float("nan")
        losses = self._supervised(cfg.entropulse_steps, cfg.seed + self.state.step)
        self.state.pulses += 1
        self.state.entropies.clear()  # judge the next collapse on RL steps after the pulse
        log.info("entropy %.4f < %.4f: Entropulse SFT phase #%d (%d steps)", entropy,
                 cfg.entropy_floor, self.state.pulses, len(losses))
        return losses[-1] if losses else float("nan")

    # -- save / evaluate / cleanup -------------------------------------------------------
    def save_checkpoint(self) -> Path | None:
        """Rank 0 writes the checkpoint (the others hold the same weights, or, sharded, gather
        theirs to it); all wait for it."""
        weights = optim = None
        if self.ranks.sharded:  # every rank takes part in gathering the whole tensors
            weights = sharding.full_weights(self.model)
            optim = sharding.optimizer_state(self.model, self.optimizer)
        pending = self.guard if self.state.guard is None else None  # not yet checked
        self.state.guard_agreement = pending.agreement if pending is not None else None
        guard = pending.whole_weights() if pending is not None else None
        folder = (checkpoint.save(self.run_dir, self.model, self.optimizer, self.state,
                                  weights, optim, guard) if self.ranks.main else None)
        self.ranks.barrier()
        return folder

    def save_adapter(self, folder: Path, weights: dict[str, Any] | None = None) -> Path:
        """The trained LoRA as a peft folder (what the registry copies in); a sharded model's
        ``weights`` come gathered (:func:`learner.sharding.full_weights`)."""
        self.model.save_pretrained(str(folder), state_dict=weights)
        return folder

    def evaluation(self, adapter: str = "candidate") -> Evaluation:
        """Holdout results with the trained LoRA (``candidate``) or with it disabled (``base``)."""
        assert self.processor is not None
        if adapter == "base":
            with self.model.disable_adapter():
                return self.job.evaluate(self.model, self.processor, self.job.holdout)
        return self.job.evaluate(self.model, self.processor, self.job.holdout)

    def evaluate(self, adapter: str = "candidate") -> dict[str, float]:
        """The summary metrics of :meth:`evaluation`."""
        return self.evaluation(adapter).metrics()

    def evaluation_peft(self, peft_dir: Path) -> Evaluation:
        """Holdout results of another adapter (e.g. the active one) on the same base."""
        assert self.processor is not None
        name = "baseline"
        self.model.load_adapter(str(peft_dir), adapter_name=name, is_trainable=False)
        self.model.set_adapter(name)
        try:
            return self.job.evaluate(self.model, self.processor, self.job.holdout)
        finally:
            self.model.set_adapter("default")
            self.model.delete_adapter(name)

    def drift(self) -> float:
        """Mean per-token KL of the trained policy to the base on the held-out prompts."""
        assert self.processor is not None
        return kl_to_base(self.model, self.processor, self.job.holdout,
                          self.job.config.max_new_tokens)

    def cleanup(self) -> None:
        self.model = self.optimizer = None
        import gc

        gc.collect()
