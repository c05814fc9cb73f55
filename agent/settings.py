"""Settings of the agent loop: the ``[agent]`` table of config.toml (``AgentConfig``).

The one design choice a reader must know: these are the *defaults* of an episode; the command
line (``deskhand run --approve ... --critic ...``) and the app override them per episode with
``dataclasses.replace``, and the resolved values are stored with the episode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.families.base import FAMILY_NAMES

ApprovalMode = Literal["each", "risky", "never"]
CriticMode = Literal["off", "before", "after"]
APPROVAL_MODES: tuple[str, ...] = ("each", "risky", "never")
CRITIC_MODES: tuple[str, ...] = ("off", "before", "after")


@dataclass(frozen=True)
class AgentConfig:
    """How an episode runs.

    ``approval``: ``each`` asks the person before every step, ``risky`` only before what the
    safety gate flags, ``never`` asks nothing — except what the safety gate flags, which is
    asked in every mode (the gate exists to catch it), and what it blocks is never executed.

    >>> AgentConfig().approval, AgentConfig(approval="never").critic
    ('each', 'off')
    >>> AgentConfig(history_length=-1)
    Traceback (most recent call last):
    ...
    ValueError: history_length must be >= 0
    """

    approval: ApprovalMode = "each"
    critic: CriticMode = "off"  # off / before (shown at the gate) / after the step
    critic_reasoning: bool = True  # the critic writes an analysis before its score
    monitor: int = 1  # mss monitor index: 1.. one monitor, 0 all of them
    family: str = ""  # model family override; "" = the family the catalogue says
    history_length: int = 8  # earlier steps shown to the actor, as text
    step_pause_s: float = 0.5  # after an action, before the next screenshot (the screen settles)
    greedy: bool = True  # the actor decodes greedily (sampling is for training candidates)
    max_new_tokens: int = 0  # per proposal; 0 = the runtime's setting
    rate_steps: bool = True  # ask the person for an optional rating after each step

    def __post_init__(self) -> None:
        if self.approval not in APPROVAL_MODES:
            raise ValueError(f"approval must be one of {', '.join(APPROVAL_MODES)}")
        if self.critic not in CRITIC_MODES:
            raise ValueError(f"critic must be one of {', '.join(CRITIC_MODES)}")
        if self.family and self.family not in FAMILY_NAMES:
            raise ValueError(f"family must be one of {', '.join(FAMILY_NAMES)} (or empty)")
        if self.monitor < 0:
            raise ValueError("monitor must be >= 0")
        if self.history_length < 0:
            raise ValueError("history_length must be >= 0")
        if not 0 <= self.step_pause_s <= 60:
            raise ValueError("step_pause_s must be in [0, 60]")
        if self.max_new_tokens < 0:
            raise ValueError("max_new_tokens must be >= 0")
