"""The oracle as a ``Policy``: proposes a suite's next right action, for the harness's own test.

``deskhand eval SUITE --policy oracle`` runs it through the whole real episode loop — screen
capture, store, safety gate, the real actuator — so a success rate below 100 % is the
harness's fault (coordinates, timing, focus), not a model's. It never looks at the screenshot.

The design choice a reader must know: with no next step (the oracle does not know the task,
or cannot find its target) it proposes ``fail`` with the suite's reason, so the episode ends
at once and says why, instead of idling until the step budget runs out.
"""

from __future__ import annotations

import time

from agent.policy import OnToken, PolicyRequest, Proposal
from agent.suites.base import TaskSuite
from models.actions import Action, Fail, describe, dumps


class OraclePolicy:
    """Proposes ``suite.oracle()[0]`` each step."""

    def __init__(self, suite: TaskSuite) -> None:
        self.suite = suite

    def propose(self, request: PolicyRequest, on_token: OnToken | None = None) -> Proposal:
        started = time.perf_counter()
        plan = self.suite.oracle()
        action: Action
        if plan:
            action = plan[0]
            reasoning = f"oracle: {describe(action)} ({len(plan)} step(s) left)"
        else:
            why = getattr(self.suite, "oracle_note", "") or "the oracle has no next step"
            action, reasoning = Fail(why), f"oracle: {why}"
        raw = dumps(action)
        if on_token is not None:
            on_token(raw)
        return Proposal(raw, reasoning, action, None,
                        {"oracle_s": time.perf_counter() - started})

    def cancel(self) -> None:
        pass  # nothing runs long enough to cut short
