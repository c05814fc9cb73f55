"""A seeded generator of hostile model outputs, per family, for the parser fuzz tests.

Every case is a raw output, a frame, a pointer position and a flag saying whether the text is
*garbage*. Garbage holds no valid action by construction, for one of two reasons:

* the family's own grammar with one field the action needs replaced by a bad value (an action
  type that is a list, a coordinate that is a template placeholder such as ``(x1,y1)``, a
  number in scientific notation, NaN, a bool, 400 digits, a point off the frame, nested junk,
  typed text with a control character, a key the actuator cannot press, ...), the rest of the
  output intact (``fuzz_garbage``);
* text without the family's action introducer at all (no ``Action:`` for UI-TARS, no
  ``"arguments"`` object for the Qwen tool call, no ``<answer>`` for Deskhand, no
  ``<action>`` for UI-Venus, no digit for the critic): random tokens, unicode, control
  characters, JSON-ish junk.

The other cases are *mutants*: the real published outputs of the family tests cut, spliced,
duplicated and sprinkled with junk. A mutant may still hold an action; then it must be a valid
one on the monitor. ``WRITERS`` holds, per family, its garbage writer, its introducer and its
published outputs; a family of ``models.families`` without one has no cases (``cases`` says
so), and ``test_fuzz`` runs every registered family. The one design choice a reader must know:
the bad values are chosen so that each one is wrong in the family's documented grammar (see
the family modules' docstrings), not so that today's parser happens to refuse them.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from models.frames import Frame, Monitor
from tests.models.families import (
    test_critic,
    test_deskhand,
    test_guiowl,
    test_qwen3vl,
    test_qwen25vl,
    test_uitars,
    test_uivenus,
)
from tests.models.families.fuzz_garbage import (
    HUGE,
    HUGER,
    _prose,
    critic_garbage,
    deskhand_garbage,
    guiowl_garbage,
    qwen_garbage,
    uitars_garbage,
    uivenus_garbage,
)

SEED = 20250611
CASES_PER_FAMILY = 12_000


@dataclass(frozen=True)
class Case:
    text: str
    frame: Frame
    cursor: tuple[int, int] | None
    garbage: bool
    how: str  # the generator that made it, to reproduce a failure


# -- frames and pointers -------------------------------------------------------------------

MONITORS = [
    Monitor(0, 0, 1920, 1080), Monitor(0, 0, 1280, 800), Monitor(-2560, 0, 2560, 1440, 2.0),
    Monitor(1920, -200, 2560, 1440, 1.25), Monitor(0, 0, 1, 1), Monitor(0, 0, 320, 240),
    Monitor(-32000, -32000, 7680, 4320), Monitor(100, 100, 1092, 2408), Monitor(0, 0, 1000, 1000),
]


def frame_for(family: str, rng: random.Random) -> Frame:
    """A frame as the family makes it, or (one case in five) an arbitrary image size."""
    from models.families.base import get_family

    monitor = rng.choice(MONITORS)
    if family == "critic" or rng.random() < 0.2:
        return Frame(monitor, rng.choice([1, 7, 224, 1000, 1316, 1932, 4000]),
                     rng.choice([1, 5, 224, 728, 1000, 1092, 3000]))
    return get_family(family).frame(monitor)


def cursor_for(frame: Frame, rng: random.Random) -> tuple[int, int] | None:
    m = frame.monitor
    return rng.choice([
        None,
        (rng.randrange(m.left, m.right), rng.randrange(m.top, m.bottom)),
        (m.right, m.bottom),  # one past the last pixel: off the monitor
        (rng.randint(-10**6, 10**6), rng.randint(-10**6, 10**6)),
        (10**400, -(10**400)),
    ])


# -- garbage without an introducer ------------------------------------------------------------

SOUP = [
    "{", "}", "[", "]", "(", ")", '"', "'", ":", ",", "=", "<", ">", "/", "\\", " ", "\n", "\t",
    "\x00", "\x1b[31m", "\u202e", "\ufeff", "\ud7ff", "💥", "é", "ß", "ǅ", "١٢", "五", "½", "NaN",
    "Infinity", "-", "1e3", "1e400", HUGE, "0", "5", "658", "-3", "true", "null", "<think>",
    "</think>", "<tool_call>", "</tool_call>", "<score>", "</score>", "<answer", "answer>",
    "Thought:", "Action", "action", "ACTION:", "Acti on:", "click", "left_click", "type",
    "coordinate", '"action"', '"argument"', '"name"', '"computer_use"', '"type"', '"x"',
    "<|box_start|>", "<|box_end|>", "<point>", "</point>", "<bbox>", "(x1,y1)", "start_box=",
    "score", "reward", "%", "/", ".", "*", "…", "\r", "\u2028", "\\u0061",
]

def soup(rng: random.Random) -> str:
    size = rng.choice([0, 1, 3, 10, 40, 200, 2000])
    if rng.random() < 0.3:
        return "".join(rng.choice(string.printable) for _ in range(size))
    if rng.random() < 0.2:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(size))
    return "".join(rng.choice(SOUP) for _ in range(size))


# -- mutants of the real outputs --------------------------------------------------------------

def _marks(test: Callable[..., None]) -> list[tuple[Any, ...]]:
    """The cases of a test's (first) parametrize mark: the family tests' published outputs."""
    return list(test.pytestmark[0].args[1])  # type: ignore[attr-defined]


JUNK = ["", "\x00", "{", "}", "[", "]", "\"", "'", ")", "(", ",", ":", "NaN", "Infinity", "-",
        "1e3", HUGE, HUGER, "[[[[[[[[", "{{{{", '{"a":' * 50, "true", "null", "x1", "\\", "\\u",
        "<|box_end|>", "</tool_call>", "<tool_call>", "Action: ", "</answer>", "<answer>",
        "💥", "\u202e", "\r\n", "٣", "\ud800", "   ", "0" * 30, "-0", ".5", "e", "E+9"]


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        n = len(text)
        i, j = sorted((rng.randint(0, n), rng.randint(0, n)))
        op = rng.randrange(8)
        if op == 0:
            text = text[:i] + text[j:]  # cut a span
        elif op == 1:
            text = text[:j] + text[i:j] + text[j:]  # duplicate a span
        elif op == 2:
            text = text[:i] + rng.choice(JUNK) + text[i:]  # insert junk
        elif op == 3:
            text = re.sub(r"[0-9]+", lambda m: rng.choice([m.group(0), *JUNK[10:17]]), text,
                          count=rng.randint(1, 3))  # corrupt numbers
        elif op == 4:
            text = text[:i]  # generation cut short
        elif op == 5 and n:
            text = text[:i] + chr(rng.randrange(0x110000)) + text[i + 1:]  # replace a char
        elif op == 6:
            text = text.swapcase() if rng.random() < 0.2 else text + text  # two outputs
        else:
            depth = rng.choice([10, 1000, 5000])
            text = text[:i] + "[" * depth + text[i:] + "]" * rng.choice([0, depth])
    return text


def huge(rng: random.Random, real: str) -> str:
    """Very long outputs: long reasoning, deep nesting, a long JSON array, many tags."""
    return rng.choice([
        _prose(rng) * 2000 + real,
        "[" * 50_000 + real,
        '{"a": ' * 20_000 + "1" + "}" * 20_000,
        '{"name": "computer_use", "arguments": {"action": "type", "text": "' + "x" * 90_000
        + '"}}',
        "<think>" * 10_000 + real,
        "Action: click(start_box='" + " " * 50_000 + "x",
        "Action: click(" + " " * 40_000 + "!",
        "Action: type(" + "a='1'," * 10_000 + ")",
        "1" * 60_000 + "x",
        "score " * 10_000 + "1" * 1000 + "x",
        real + "{" * 80_000,
        '{"a": [' + "0," * 40_000 + "{",
        "Action: click(start_box='(5,5)" + " " * 60_000 + "x')",
        "<answer>" + '{"a":' * 15_000,
    ])


# -- the writers and the cases ----------------------------------------------------------------

@dataclass(frozen=True)
class Writer:
    """How to fuzz one family: its structured garbage, whether a text holds its action
    introducer (soup must not), and its published outputs (what the mutants start from)."""

    garbage: Callable[[Frame, random.Random], str]
    introduced: Callable[[str], bool]
    published: Callable[[], list[str]]


def _tool_call(text: str) -> bool:
    return '"arguments"' in text or "\\u" in text


WRITERS: dict[str, Writer] = {
    "qwen25vl": Writer(
        lambda frame, rng: qwen_garbage(frame, rng, relative=False), _tool_call,
        lambda: [v[0] for v in test_qwen25vl.VECTORS + test_qwen25vl.REAL_OUTPUTS]),
    "qwen3vl": Writer(
        lambda frame, rng: qwen_garbage(frame, rng, relative=True), _tool_call,
        lambda: [test_qwen3vl.call(a) for a, _ in _marks(test_qwen3vl.test_outputs)]
        + [test_qwen3vl.REAL_OUTPUT]),
    "uitars": Writer(
        uitars_garbage,
        lambda t: "Action" in t or re.match(r"\s*[A-Za-z_]+\s*\(", t) is not None,
        lambda: [v[0] for v in test_uitars.VECTORS]),
    "deskhand": Writer(
        deskhand_garbage, lambda t: "<answer>" in t,
        lambda: [t for t, _ in test_deskhand.R1_VECTORS] + [
            f"<think>Looking.</think><answer>{a}</answer>"
            for a, _ in _marks(test_deskhand.test_own_json_in_image_pixels)]),
    "guiowl": Writer(
        guiowl_garbage, _tool_call,
        lambda: [f"Action: Do it.\n{test_guiowl.call(a)}" for a, _ in
                 _marks(test_guiowl.test_published_actions_on_a_1920x1080_screen)
                 + _marks(test_guiowl.test_the_desktop_runners_other_names)]),
    "uivenus": Writer(
        uivenus_garbage, lambda t: "<action>" in t,
        lambda: [test_uivenus.answer(a) for a, _ in
                 _marks(test_uivenus.test_published_actions_on_a_1920x1080_screen)]),
    "critic": Writer(
        lambda frame, rng: critic_garbage(rng), lambda t: any(c.isdigit() for c in t),
        lambda: [v[0] for v in _marks(test_critic.test_verdicts)]),
}
FAMILIES = tuple(WRITERS)


def cases(family: str, n: int = CASES_PER_FAMILY, seed: int = SEED) -> Iterator[Case]:
    """``n`` cases for ``family`` (``critic``: the reward model's verdicts), reproducibly."""
    if family not in WRITERS:
        raise KeyError(f"no fuzz writer for family {family!r}: add one to fuzzing.WRITERS")
    writer = WRITERS[family]
    rng = random.Random(f"{seed}:{family}")
    reals = writer.published()
    for i in range(n):
        frame = frame_for(family, rng)
        cursor = cursor_for(frame, rng)
        roll = rng.random()
        if roll < 0.45:
            yield Case(writer.garbage(frame, rng), frame, cursor, True,
                       f"{family} structured #{i}")
        elif roll < 0.65:
            text = soup(rng)
            while writer.introduced(text):
                text = soup(rng)
            yield Case(text, frame, cursor, True, f"{family} soup #{i}")
        elif roll < 0.99:
            yield Case(mutate(rng.choice(reals), rng), frame, cursor, False,
                       f"{family} mutant #{i}")
        else:
            yield Case(huge(rng, rng.choice(reals)), frame, cursor, False, f"{family} huge #{i}")
