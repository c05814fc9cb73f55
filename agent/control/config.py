"""Settings of the person's controls (the ``[control]`` table): the stop hotkey, how
takeover tells the agent's input from the person's, and how "let me do it" reads input."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.control.keys import parse_combo
from agent.control.record import RecorderSettings
from agent.control.takeover import Tolerance


@dataclass(frozen=True)
class ControlConfig:
    stop_hotkey: str = "<ctrl>+<alt>+<esc>"  # pynput syntax; works from any window
    takeover: Tolerance = field(default_factory=Tolerance)
    recorder: RecorderSettings = field(default_factory=RecorderSettings)
    resume_after_idle_s: float = 3.0  # without a terminal, resume after the person lets go
    own_input_grace_s: float = 1.0  # after an answer or Resume, input is still Deskhand's
    target_marker_s: float = 0.6  # the app marks a click's target on screen this long first

    def __post_init__(self) -> None:
        parse_combo(self.stop_hotkey)  # raises ValueError naming what is wrong
        if not 0.5 <= self.resume_after_idle_s <= 600:
            raise ValueError("resume_after_idle_s must be in [0.5, 600]")
        if not 0 <= self.own_input_grace_s <= 10:
            raise ValueError("own_input_grace_s must be in [0, 10]")
        if not 0 <= self.target_marker_s <= 10:
            raise ValueError("target_marker_s must be in [0, 10]")
