"""The scripted actor of the tests: raw strings (parsed by a family), actions or whole
proposals in turn, then ``done``; it keeps every request it got, so a test can check the
history and the task text the loop showed it."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from agent.policy import OnToken, PolicyRequest, Proposal, parse_proposal
from models.actions import Action, Done, dumps
from models.families.base import Family, get_family

Script = str | Action | Proposal


class ScriptedPolicy:
    """For tests: serves raw strings (parsed by ``family``), actions or whole proposals in turn,
    then ``done``. Keeps every request it got, so tests can check the history it was shown.

    ``hold`` (optional) is waited on before each proposal, so a test can stop mid-propose.
    """

    def __init__(self, script: Sequence[Script], family: str | Family = "deskhand",
                 hold: threading.Event | None = None) -> None:
        self.script = list(script)
        self.family = get_family(family) if isinstance(family, str) else family
        self.requests: list[PolicyRequest] = []
        self.hold = hold
        self.cancelled = threading.Event()

    def propose(self, request: PolicyRequest, on_token: OnToken | None = None) -> Proposal:
        self.requests.append(request)
        if self.hold is not None:
            while not self.hold.wait(0.01):
                if self.cancelled.is_set():
                    return Proposal("", "", None, "cancelled", cancelled=True)
        index = len(self.requests) - 1
        item: Script = self.script[index] if index < len(self.script) else Done("script ended")
        if isinstance(item, Proposal):
            return item
        if isinstance(item, str):
            if on_token is not None:
                for piece in item.split(" "):
                    on_token(piece + " ")
            obs = request.observation
            height, width = obs.image.shape[:2]
            frame = self.family.frame(obs.monitor, self.family.image_size(width, height))
            return parse_proposal(self.family, item, frame, obs.cursor)
        return Proposal(dumps(item), "", item)

    def cancel(self) -> None:
        self.cancelled.set()
