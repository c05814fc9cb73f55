"""The safety parts of one episode, as the loop uses them (``agent.safety`` does the deciding).

``LoopSafety`` turns what the loop has — an action, the observation it was proposed on, the
model's reasoning — into the ``GateContext`` the gate needs, remembering the last executed
actions and the previous reasoning (where typing goes, what is on a terminal's command line,
whether a password was mentioned). ``make_guards`` builds the fresh per-episode set: gate,
budgets, stall detector, approval book.

The one design choice a reader must know: the monitors are read once, when the episode
starts; a point outside them is blocked by the gate for the whole episode.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from agent.clock import Clock
from agent.episode_parts import Guards
from agent.safety import ApprovalBook, Budgets, Decision, GateContext, SafetyGate, StallDetector
from agent.safety.config import SafetyConfig
from agent.safety.gate import WindowAt
from agent.screen import Observation, Rect
from agent.settings import ApprovalMode
from models.actions import Action
from models.frames import Monitor

RECENT_ACTIONS = 6  # executed actions the gate sees (a run dialog opened a few steps ago)


class LoopSafety:
    """``SafetyGate`` with the episode's context filled in."""

    def __init__(self, gate: SafetyGate, monitors: Sequence[Monitor],
                 approval_mode: ApprovalMode, own_windows: Sequence[Rect] = (),
                 window_at: WindowAt | None = None) -> None:
        self.gate = gate
        self.monitors = tuple(monitors)
        self.approval_mode = approval_mode
        self.own_windows = tuple(own_windows)
        self.window_at = window_at
        self.previous_action: Action | None = None
        self.recent_actions: deque[Action] = deque(maxlen=RECENT_ACTIONS)
        self.previous_reasoning = ""

    def check(self, action: Action, observation: Observation, reasoning: str = "") -> Decision:
        context = GateContext.from_observation(
            observation, self.monitors or None, own_windows=self.own_windows,
            window_at=self.window_at, approval_mode=self.approval_mode,
            reasoning=tuple(r for r in (reasoning, self.previous_reasoning) if r),
            previous_action=self.previous_action, recent_actions=tuple(self.recent_actions))
        return self.gate.check(action, context)

    def executed(self, action: Action, reasoning: str = "") -> None:
        self.previous_action, self.previous_reasoning = action, reasoning
        self.recent_actions.append(action)


def make_guards(config: SafetyConfig, approval_mode: ApprovalMode, clock: Clock,
                monitors: Sequence[Monitor], own_windows: Sequence[Rect] = (),
                window_at: WindowAt | None = None) -> Guards:
    """A fresh set for one episode (budgets count from now)."""
    return Guards(
        safety=LoopSafety(SafetyGate(config), monitors, approval_mode, own_windows, window_at),
        budgets=Budgets.from_config(config, clock),
        stall=StallDetector(config.stall_repeats, config.stall_tolerance_px),
        approvals=ApprovalBook())
