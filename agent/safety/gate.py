"""The deterministic safety gate: for one proposed action, allow it, ask the person, or block it.

A rule in code, not in the model (DESIGN.md §5). ``SafetyGate(config).check(action, context)``
looks at the action and what is known of the screen (``GateContext``) and returns a
``Decision``: every rule that fires adds a reason, and the strictest verdict wins
(block > ask > allow). The rules, exactly:

- ``done``, ``fail``, ``ask_user``, ``wait`` touch nothing: always allow, in every mode.
- Pointer actions (click, move, drag — both ends —, scroll), per point:
  outside every monitor → **block** (with no monitors known, every point is outside);
  on one of Deskhand's own windows (a rect in ``own_windows``, or the window under the point
  titled as one of ``own_window_titles``) → **block**; on a window whose title or app a deny
  rule names → **block** (if the window under the point is not known, the focused window's
  title and app are used: that is where the click most likely lands); if asking
  ``window_at`` fails → **ask**.
- Keyboard actions (type, key) go to the focused window: Deskhand's own → **block**; named by
  a deny rule (title or app) → **block**.
- ``key``: a chord containing one that closes, deletes, quits, locks or logs out
  (``agent.safety.chords``, plus ``dangerous_keys``) → **ask**; a key name we do not know → ask.
- ``type``: text a ``deny_text`` regex finds → **ask**; what looks like a password field →
  **ask**: the focused window's title, or the title of the window under the previous action's
  click, matches ``password_title_patterns``, or the reasoning given in the context (this
  step's and the previous step's) mentions a password, passphrase, passcode or PIN.
- ``shell``: **block** unless ``allow_shell``; then always **ask**; a ``deny_text`` match on the
  command adds a reason (ask).
- Approval mode ``each``: every action that touches the computer is at least **ask**. ``risky``
  and ``never`` leave verdicts as they are: what the gate flags is asked in every mode.

Why deny rules on titles/apps block while deny-text asks: a title or app names a *place* the
person never wants the agent to go (their bank, their password manager), so no single approval
should open it; a text pattern (``rm -rf``, a card number) names *content* that is sometimes
exactly what the person asked for, and seeing it before it is typed is the protection.

The one design choice a reader must know: the gate fails closed. It never raises; an error
inside a rule becomes a **block** whose reason names the error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from agent.safety.chords import ChordTable
from agent.safety.config import SafetyConfig, TextMatcher
from agent.screen import Observation, Rect
from models.actions import (
    Action,
    ActionError,
    AskUser,
    Click,
    Done,
    Drag,
    Fail,
    Key,
    Move,
    Scroll,
    Shell,
    Type,
    Wait,
    points,
)
from models.frames import Monitor

Verdict = Literal["allow", "ask", "block"]
ApprovalMode = Literal["each", "risky", "never"]
Finding = tuple[Verdict, str]
_RANK: dict[str, int] = {"allow": 0, "ask": 1, "block": 2}

# A mention of a secret in the model's reasoning (case ignored, except the acronym PIN).
PASSWORD_REASONING = re.compile(
    r"\bpass(word|wd|phrase|code)s?\b|(?-i:\bPINs?\b)|\bpin[ -]?(code|field|box|number|entry)\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Decision:
    """The gate's answer: a verdict and every reason that led to it (empty for a plain allow).

    >>> Decision.of([("ask", "a"), ("block", "b"), ("allow", "c")])
    Decision(verdict='block', reasons=('a', 'b', 'c'))
    >>> Decision.of([]).verdict
    'allow'
    """

    verdict: Verdict
    reasons: tuple[str, ...] = ()

    @classmethod
    def of(cls, findings: list[Finding]) -> Decision:
        verdict: Verdict = "allow"
        for found, _ in findings:
            if _RANK[found] > _RANK[verdict]:
                verdict = found
        return cls(verdict, tuple(reason for _, reason in findings))


@dataclass(frozen=True)
class WindowInfo:
    """A top-level window: its title, its rectangle (virtual pixels) and app name if known."""

    title: str
    rect: Rect
    app: str | None = None

    def contains(self, x: int, y: int) -> bool:
        return rect_contains(self.rect, x, y)


WindowAt = Callable[[int, int], WindowInfo | None]


def rect_contains(rect: Rect, x: int, y: int) -> bool:
    """Whether pixel (x, y) lies on ``rect`` (the far edges are one past the last pixel).

    >>> r = Rect(-100, 0, 100, 50)
    >>> rect_contains(r, -1, 49), rect_contains(r, 0, 0), rect_contains(r, -100, 50)
    (True, False, False)
    """
    return rect.left <= x < rect.left + rect.width and rect.top <= y < rect.top + rect.height


@dataclass(frozen=True)
class GateContext:
    """What the gate knows of the screen when it checks one action.

    ``monitors``: every monitor of the virtual screen (``Screen.monitors()``). ``windows``:
    top-level windows, top-most first — the window under a point is the first that contains
    it; or ``window_at`` (asked instead, when given). ``own_windows``: the rectangles of
    Deskhand's own windows. ``reasoning``: this step's and the previous step's reasoning.
    ``previous_action``: the action executed just before (its click target is where typing
    goes).
    """

    monitors: tuple[Monitor, ...]
    active_title: str | None = None
    active_app: str | None = None
    windows: tuple[WindowInfo, ...] = ()
    window_at: WindowAt | None = None
    own_windows: tuple[Rect, ...] = ()
    approval_mode: ApprovalMode = "risky"
    reasoning: tuple[str, ...] = ()
    previous_action: Action | None = None

    @classmethod
    def from_observation(cls, observation: Observation,
                         monitors: tuple[Monitor, ...] | None = None,
                         **fields: Any) -> GateContext:
        """A context from a screenshot: its monitor (or all ``monitors``) and focused title."""
        return cls(monitors=monitors or (observation.monitor,),
                   active_title=observation.window_title, **fields)


class SafetyGate:
    """The rules above, with the config's patterns compiled once (the config is fixed)."""

    def __init__(self, config: SafetyConfig | None = None) -> None:
        self._config = c = config or SafetyConfig()
        self._deny_titles = TextMatcher(c.deny_titles, name="deny_titles")
        self._deny_apps = TextMatcher(c.deny_apps, name="deny_apps", whole=True)
        self._deny_text = TextMatcher(c.deny_text, regex=True, name="deny_text")
        self._password = TextMatcher(c.password_title_patterns, regex=True,
                                     name="password_title_patterns")
        self._chords = ChordTable(c.dangerous_keys)

    @property
    def config(self) -> SafetyConfig:
        return self._config

    def check(self, action: Action, context: GateContext) -> Decision:
        """Allow, ask or block ``action``; never raises (an internal error blocks)."""
        try:
            findings = list(self._findings(action, context))
        except Exception as exc:  # fail closed: a bug must never let an action through
            findings = [("block", f"the safety gate could not check this action: {exc!r}")]
        return Decision.of(findings)

    # -- the rules -----------------------------------------------------------------------
    def _findings(self, action: Action, ctx: GateContext) -> Iterator[Finding]:
        if isinstance(action, (Done, Fail, AskUser, Wait)):
            return
        if isinstance(action, (Click, Move, Drag, Scroll)):
            for x, y in points(action):
                yield from self._point(x, y, ctx)
        elif isinstance(action, Type):
            yield from self._keyboard_target(ctx)
            yield from self._typed_text(action.text, ctx)
        elif isinstance(action, Key):
            yield from self._keyboard_target(ctx)
            yield from self._chord(action.keys)
        elif isinstance(action, Shell):
            yield from self._shell(action.command)
        else:
            yield "block", f"unknown action {action!r}"
            return
        if ctx.approval_mode == "each":
            yield "ask", "approval mode 'each': every step is confirmed"

    def _point(self, x: int, y: int, ctx: GateContext) -> Iterator[Finding]:
        if not any(m.contains(x, y) for m in ctx.monitors):
            yield "block", f"point ({x}, {y}) is outside every monitor"
            return
        if any(rect_contains(r, x, y) for r in ctx.own_windows):
            yield "block", f"point ({x}, {y}) is on a Deskhand window"
            return
        try:
            window = window_under(ctx, x, y)
        except Exception as exc:  # the window system would not say: ask the person
            yield "ask", f"could not tell which window is at ({x}, {y}): {exc}"
            window = None
        if window is not None:
            if self.is_own_title(window.title):
                yield "block", f"point ({x}, {y}) is on Deskhand's window {window.title!r}"
                return
            yield from self._denied(window.title, window.app, f"point ({x}, {y}) is on")
        else:
            yield from self._denied(ctx.active_title, ctx.active_app,
                                    f"point ({x}, {y}) is likely on the focused")

    def _keyboard_target(self, ctx: GateContext) -> Iterator[Finding]:
        if ctx.active_title is not None and self.is_own_title(ctx.active_title):
            yield "block", f"the focused window {ctx.active_title!r} is Deskhand's own"
            return
        yield from self._denied(ctx.active_title, ctx.active_app, "typing goes to the focused")

    def _denied(self, title: str | None, app: str | None, where: str) -> Iterator[Finding]:
        entry = self._deny_titles.search(title)
        if entry is not None:
            yield "block", f"{where} window {title!r}, denied by deny_titles {entry!r}"
        entry = self._deny_apps.search(app)
        if entry is not None:
            yield "block", f"{where} app {app!r}, denied by deny_apps {entry!r}"

    def _typed_text(self, text: str, ctx: GateContext) -> Iterator[Finding]:
        entry = self._deny_text.search(text)
        if entry is not None:
            yield "ask", f"the text matches deny_text {entry!r}"
        if self._password.search(ctx.active_title) is not None:
            yield "ask", f"the focused window {ctx.active_title!r} looks like a password prompt"
        target = self._previous_click_window(ctx)
        if target is not None and self._password.search(target.title) is not None:
            yield "ask", f"the last click was on {target.title!r}, which looks like a password " \
                         "prompt"
        if any(PASSWORD_REASONING.search(said or "") for said in ctx.reasoning):
            yield "ask", "the reasoning mentions a password or PIN: this may be a secret field"

    def _previous_click_window(self, ctx: GateContext) -> WindowInfo | None:
        previous = ctx.previous_action
        if not isinstance(previous, Click):
            return None
        try:
            return window_under(ctx, previous.x, previous.y)
        except Exception:  # unknown window: the other password signs still apply
            return None

    def _chord(self, keys: tuple[str, ...]) -> Iterator[Finding]:
        try:
            found = self._chords.match(keys)
        except ActionError as exc:
            yield "ask", f"a key of {'+'.join(map(str, keys))!r} is not one we know: {exc}"
            return
        if found is not None:
            chord, what = found
            yield "ask", f"{chord} {what}"

    def _shell(self, command: str) -> Iterator[Finding]:
        if not self.config.allow_shell:
            yield "block", "shell commands are off (set safety.allow_shell = true to be asked)"
        else:
            yield "ask", "a shell command is always confirmed"
        entry = self._deny_text.search(command)
        if entry is not None:
            yield "ask", f"the command matches deny_text {entry!r}"

    def is_own_title(self, title: str) -> bool:
        """Deskhand's own window: a title equal to an own title, or one followed by " — ".

        >>> SafetyGate().is_own_title("Deskhand — settings"), SafetyGate().is_own_title(
        ...     "Deskhand docs - Firefox")
        (True, False)
        """
        return any(title == own or title.startswith(own + " — ")
                   for own in self.config.own_window_titles)


def window_under(ctx: GateContext, x: int, y: int) -> WindowInfo | None:
    """The window under a point: ``window_at`` if given, else the first of ``windows``."""
    if ctx.window_at is not None:
        return ctx.window_at(x, y)
    for window in ctx.windows:
        if window.contains(x, y):
            return window
    return None
