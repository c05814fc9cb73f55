"""Every parser against 12,000 hostile outputs per family (fixed seed, see ``fuzzing``);
the families are the registry's (``FAMILY_NAMES``), so a new one without a writer fails.

What must hold for every case: the parser raises nothing but ``ParseError``; whatever it
returns is a valid action (``models.actions.validate``) on the frame's monitor, or for the
critic a reward in [0, 1]; and garbage never becomes an action or a verdict.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import pytest

from models.actions import ActionError, points, validate
from models.families.base import FAMILY_NAMES, ParseError, get_family
from models.families.critic import parse_verdict
from tests.models.families.fuzzing import CASES_PER_FAMILY, FAMILIES, Case, cases

FUZZED = (*FAMILY_NAMES, "critic")  # every registered family, and the reward model's verdicts


@dataclass
class Tally:
    cases: int = 0
    garbage: int = 0
    parsed: int = 0
    exceptions: Counter[str] = field(default_factory=Counter)
    from_garbage: int = 0
    invalid: int = 0
    examples: list[str] = field(default_factory=list)

    def fail(self, case: Case, what: str) -> None:
        if len(self.examples) < 8:
            self.examples.append(f"{case.how}: {what}: {case.text[:160]!r}")


def run(family: str, n: int = CASES_PER_FAMILY) -> Tally:
    """Parse every case of ``family``; count what went wrong (the figures of the report)."""
    tally = Tally()
    parse = None if family == "critic" else get_family(family).parse
    for case in cases(family, n):
        tally.cases += 1
        tally.garbage += case.garbage
        try:
            if parse is None:
                verdict = parse_verdict(case.text)
                ok = math.isfinite(verdict.reward) and 0.0 <= verdict.reward <= 1.0
                result: object = verdict
            else:
                parsed = parse(case.text, case.frame, case.cursor)
                validate(parsed.action)
                ok = isinstance(parsed.reasoning, str) and all(
                    case.frame.monitor.contains(x, y) for x, y in points(parsed.action))
                result = parsed.action
        except ParseError:
            continue
        except ActionError as exc:  # raised by validate(): the parser returned a bad action
            tally.invalid += 1
            tally.fail(case, f"invalid action: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            tally.exceptions[type(exc).__name__] += 1
            tally.fail(case, f"{type(exc).__name__}: {str(exc)[:100]}")
            continue
        tally.parsed += 1
        if not ok:
            tally.invalid += 1
            tally.fail(case, f"off the monitor or out of range: {result!r:.120}")
        if case.garbage:
            tally.from_garbage += 1
            tally.fail(case, f"garbage became {result!r:.120}")
    return tally


def test_every_registered_family_has_a_writer() -> None:
    assert sorted(FUZZED) == sorted(FAMILIES), "add the family's writer to fuzzing.WRITERS"


@pytest.mark.parametrize("family", FUZZED)
def test_no_exception_and_no_action_from_garbage(family: str) -> None:
    tally = run(family)
    assert tally.cases >= 10_000
    assert tally.garbage >= 0.5 * tally.cases  # the generator still makes garbage
    assert tally.parsed >= 0.05 * (tally.cases - tally.garbage)  # and mutants that still parse
    problems = sum(tally.exceptions.values()) + tally.from_garbage + tally.invalid
    assert problems == 0, (f"{family}: exceptions {dict(tally.exceptions)}, actions from "
                           f"garbage {tally.from_garbage}, invalid {tally.invalid}\n"
                           + "\n".join(tally.examples))


def test_the_generator_is_reproducible() -> None:
    first = [(c.text, c.frame, c.cursor, c.garbage) for c in cases("uitars", 200)]
    again = [(c.text, c.frame, c.cursor, c.garbage) for c in cases("uitars", 200)]
    assert first == again
