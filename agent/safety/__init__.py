"""Safety that lives in code, not in the model: the gate, approvals, budgets, stall detector.

``gate`` decides allow / ask / block for one action; ``approval`` binds a person's yes to one
action on one screenshot; ``budgets`` ends an episode that ran too long; ``stall`` notices the
same action on an unchanged screen; ``config`` is the ``[safety]`` table. Stop and takeover
live with the actuator and the loop. Importing this package does no work.
"""

from agent.safety.approval import ApprovalBook, resolve
from agent.safety.budgets import Budgets
from agent.safety.config import SafetyConfig
from agent.safety.gate import Decision, GateContext, SafetyGate, WindowInfo
from agent.safety.stall import StallDetector

__all__ = ["ApprovalBook", "Budgets", "Decision", "GateContext", "SafetyConfig", "SafetyGate",
           "StallDetector", "WindowInfo", "resolve"]
