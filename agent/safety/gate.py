"""The deterministic safety gate: for one proposed action, allow it, ask the person, or block it.

A rule in code, not in the model (DESIGN.md §5). ``SafetyGate(config).check(action, context)``
looks at the action and what is known of the screen (``GateContext``) and returns a
``Decision``: every rule that fires adds a reason, and the strictest verdict wins
(block > ask > allow). The rules, exactly:

- ``done``, ``fail``, ``ask_user``, ``wait`` touch nothing: always allow, in every mode.
- Pointer actions (click, move, drag — both ends —, scroll), per point:
  outside every monitor → **block** (with no monitors known, every point is outside);
  on one of Deskhand's own windows → **block**; on a window whose title or app a deny rule
  names → **block**. The window is the one under the point (``window_at``, else the
  top-most of ``windows`` that contains it); if that is not known, the focused window is
  used (that is where the click most likely lands); if asking ``window_at`` fails → **ask**.
- A window is Deskhand's own when it is in ``own_windows`` (rectangles), belongs to this
  process (``own_pids``, from ``_NET_WM_PID``), has a ``WM_CLASS`` class named in
  ``own_window_classes``, or a title of ``own_window_titles``. A window's app is every name
  it is known by (``WM_CLASS`` class and instance, process name); ``deny_apps`` names any.
- Keyboard actions (type, key) go to the focused window: Deskhand's own → **block**; named by
  a deny rule (title or app) → **block**.
- ``key``: the keys are normalised first (``models.keys.send_chord``, the very names the
  actuator presses); a key with no canonical name, or one the actuator cannot press →
  **block**. Then a chord containing one that closes, deletes, quits, locks, logs out or
  leaves the desktop (``agent.safety.chords``, plus ``dangerous_keys``) → **ask**; in a
  terminal also ctrl+c, ctrl+\\, ctrl+z → **ask**; in a terminal (``agent.safety.terminals``)
  a chord that runs the command line (enter, ctrl+m, ctrl+j, ctrl+o) right after a ``type``
  is a shell command (below); after anything else it → **ask** (the line is unknown). A
  run-a-command dialog (alt+f2, win+r) opened by the recent actions and not yet closed counts
  as a terminal: the desktop shell draws it, so the focused window does not say.
- ``type``: text a ``deny_text`` regex finds → **ask**. A control character is the chord it
  is (``"\\x04"`` is ctrl+d, ``"\\x1b"`` esc, ``"\\x7f"`` delete): every one except tab and
  newline → **ask**, naming the chord, plus what the chord table says of it. A newline typed
  into a terminal is a shell command (below). Signs of a secret field → **ask**: the
  accessibility layer's role of the focused widget is a password field; the focused window's
  title, the focused widget's name, or the title of the window under the previous click
  matches ``password_title_patterns`` (many languages, ``agent.safety.secrets``); the
  reasoning (this step's and the previous one's) names a password, PIN or one-time code; in
  a terminal, its last line is a secret prompt (``[sudo] password for``), or the previous
  action ran a line there (the program may now be reading a password: unsure, so ask).
- ``shell``, and a command line run in a terminal: **block** unless ``allow_shell``; then
  always **ask**; a ``deny_text`` match on the command adds a reason (ask).
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

import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from agent.safety.chords import ChordTable, opens_run_dialog, submits
from agent.safety.config import SafetyConfig, TextMatcher
from agent.safety.secrets import SECRET_WORDS, terminal_prompt
from agent.safety.terminals import looks_like_terminal_title
from agent.screen import FocusInfo, Observation, Rect, WindowInfo
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
from models.keys import control_chord, send_chord

Verdict = Literal["allow", "ask", "block"]
ApprovalMode = Literal["each", "risky", "never"]
Finding = tuple[Verdict, str]
_RANK: dict[str, int] = {"allow": 0, "ask": 1, "block": 2}

# A mention of a secret in the model's reasoning: the secret words of every language.
PASSWORD_REASONING = re.compile("|".join(f"(?:{w})" for w in SECRET_WORDS), re.IGNORECASE)
PASSWORD_ROLES = frozenset({"password text", "password_text", "passwordtext", "password"})
_HARMLESS_CONTROLS = frozenset("\t\n\r")
_NEWLINES = ("\r\n", "\n", "\r")

__all__ = ["ApprovalMode", "Decision", "GateContext", "SafetyGate", "Verdict", "WindowAt",
           "WindowInfo", "rect_contains", "window_under"]


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


WindowAt = Callable[[int, int], WindowInfo | None]


def rect_contains(rect: Rect, x: int, y: int) -> bool:
    """Whether pixel (x, y) lies on ``rect`` (the far edges are one past the last pixel).

    >>> r = Rect(-100, 0, 100, 50)
    >>> rect_contains(r, -1, 49), rect_contains(r, 0, 0), rect_contains(r, -100, 50)
    (True, False, False)
    """
    return rect.left <= x < rect.left + rect.width and rect.top <= y < rect.top + rect.height


def _this_process() -> tuple[int, ...]:
    return (os.getpid(),)


@dataclass(frozen=True)
class GateContext:
    """What the gate knows of the screen when it checks one action.

    ``monitors``: every monitor of the virtual screen (``Screen.monitors()``). The focused
    window: ``active_title`` and ``active_app``, and ``active_window`` with all it is known
    by (app names, pid). ``windows``: top-level windows, top-most first — the window under a
    point is the first that contains it; or ``window_at`` (asked instead, when given).
    ``own_windows``: the rectangles of Deskhand's own windows; ``own_pids``: Deskhand's
    processes (this one by default). ``focus``: the focused widget (AT-SPI), if known.
    ``reasoning``: this step's and the previous step's reasoning. ``previous_action``: the
    action executed just before (its click target is where typing goes; a ``type`` before
    Enter is the command line); ``recent_actions``: the last few executed, oldest first (a
    run-a-command dialog opened a few steps ago is still where typing goes).
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
    active_window: WindowInfo | None = None
    focus: FocusInfo | None = None
    own_pids: tuple[int, ...] = field(default_factory=_this_process)
    recent_actions: tuple[Action, ...] = ()

    @classmethod
    def from_observation(cls, observation: Observation,
                         monitors: tuple[Monitor, ...] | None = None,
                         **fields: Any) -> GateContext:
        """A context from a screenshot: its monitor (or all ``monitors``), the focused window
        and its app, the window stack and the focused widget."""
        active = observation.active_window
        fields.setdefault("windows", observation.windows)
        fields.setdefault("focus", observation.focus)
        return cls(monitors=monitors or (observation.monitor,),
                   active_title=observation.window_title if observation.window_title
                   is not None else (active.title if active is not None else None),
                   active_app=active.app if active is not None else None,
                   active_window=active, **fields)

    def focused(self) -> WindowInfo | None:
        """The focused window as one ``WindowInfo``: ``active_window`` with ``active_title``
        and ``active_app`` (when given) in place of its title and app."""
        active = self.active_window
        if active is None:
            if self.active_title is None and self.active_app is None:
                return None
            return WindowInfo(self.active_title or "", Rect(0, 0, 0, 0), self.active_app)
        return replace(active,
                       title=active.title if self.active_title is None else self.active_title,
                       app=active.app if self.active_app is None else self.active_app)


class SafetyGate:
    """The rules above, with the config's patterns compiled once (the config is fixed)."""

    def __init__(self, config: SafetyConfig | None = None) -> None:
        self._config = c = config or SafetyConfig()
        self._deny_titles = TextMatcher(c.deny_titles, name="deny_titles")
        self._deny_apps = TextMatcher(c.deny_apps, name="deny_apps", whole=True)
        self._deny_text = TextMatcher(c.deny_text, regex=True, name="deny_text")
        self._password = TextMatcher(c.password_title_patterns, regex=True,
                                     name="password_title_patterns")
        self._own_classes = TextMatcher(c.own_window_classes, name="own_window_classes",
                                        whole=True)
        self._terminals = TextMatcher(c.terminal_apps, name="terminal_apps", whole=True)
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
            yield from self._key(action.keys, ctx)
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
        where = f"point ({x}, {y}) is on"
        if window is None:
            window, where = ctx.focused(), f"point ({x}, {y}) is likely on the focused"
        if window is None:
            return
        own = self.own_reason(window, ctx)
        if own is not None:
            yield "block", f"{where} Deskhand's window {window.title!r} ({own})"
            return
        yield from self._denied(window, where)

    def _keyboard_target(self, ctx: GateContext) -> Iterator[Finding]:
        focused = ctx.focused()
        if focused is None:
            return
        own = self.own_reason(focused, ctx)
        if own is not None:
            yield "block", f"the focused window {focused.title!r} is Deskhand's own ({own})"
            return
        yield from self._denied(focused, "typing goes to the focused")

    def _denied(self, window: WindowInfo, where: str) -> Iterator[Finding]:
        entry = self._deny_titles.search(window.title)
        if entry is not None:
            yield "block", f"{where} window {window.title!r}, denied by deny_titles {entry!r}"
        found = self._deny_apps.search_any(window.app_names)
        if found is not None:
            yield "block", f"{where} app {found[0]!r}, denied by deny_apps {found[1]!r}"

    def own_reason(self, window: WindowInfo, ctx: GateContext) -> str | None:
        """Why ``window`` is one of Deskhand's own windows, or None: this process's, its
        ``WM_CLASS`` class (not the instance: ``deskhand practice`` shares that) is ours, or
        its title is."""
        if window.pid is not None and window.pid in ctx.own_pids:
            return f"it belongs to Deskhand's process {window.pid}"
        if self._own_classes.search(window.app) is not None:
            return f"its app is {window.app!r}"
        if self.is_own_title(window.title):
            return "by its title"
        return None

    # -- keyboard ------------------------------------------------------------------------
    def is_terminal(self, ctx: GateContext) -> bool:
        """Whether the focused window runs what is typed (``agent.safety.terminals``)."""
        if ctx.focus is not None and (ctx.focus.role or "").strip().lower() == "terminal":
            return True
        focused = ctx.focused()
        if focused is None:
            return _run_dialog_open(ctx)
        if focused.app_names:
            if self._terminals.search_any(focused.app_names) is not None:
                return True
        elif looks_like_terminal_title(focused.title):
            return True
        return _run_dialog_open(ctx)

    def _key(self, keys: tuple[str, ...], ctx: GateContext) -> Iterator[Finding]:
        try:
            chord = send_chord(keys)
        except ActionError as exc:
            yield "block", f"a key of {_show(keys)} is not one we know, so it is never " \
                           f"sent: {exc}"
            return
        terminal = self.is_terminal(ctx)
        found = self._chords.match(chord, terminal=terminal)
        if found is not None:
            yield "ask", f"{found[0]} {found[1]}"
        if terminal and submits(chord):
            command = _command_line(ctx)
            if command is not None:
                yield from self._shell(command,
                                       "typing a command and pressing Enter in a terminal")
            else:
                yield "ask", f"{'+'.join(chord)} in a terminal runs whatever is on its " \
                             "command line"

    def _typed_text(self, text: str, ctx: GateContext) -> Iterator[Finding]:
        entry = self._deny_text.search(text)
        if entry is not None:
            yield "ask", f"the text matches deny_text {entry!r}"
        yield from self._control_characters(text, ctx)
        terminal = self.is_terminal(ctx)
        if terminal and any(n in text for n in _NEWLINES):
            yield from self._shell(text, "typing a line that ends in Enter into a terminal",
                                   check_text=False)
        yield from self._secret_field(ctx, terminal)

    def _control_characters(self, text: str, ctx: GateContext) -> Iterator[Finding]:
        terminal = None
        seen: set[str] = set()
        for char in text:
            if char in seen or char in _HARMLESS_CONTROLS or unicodedata.category(char) != "Cc":
                continue
            seen.add(char)
            chord = control_chord(char)
            name = f"U+{ord(char):04X}"
            if not chord:
                yield "ask", f"the text holds the control character {name}, which no key types"
                continue
            yield "ask", f"the text holds the control character {name}, which is " \
                         f"{'+'.join(chord)}"
            if terminal is None:
                terminal = self.is_terminal(ctx)
            found = self._chords.match(chord, terminal=terminal)
            if found is not None:
                yield "ask", f"{name} is {found[0]}, which {found[1]}"

    def _secret_field(self, ctx: GateContext, terminal: bool) -> Iterator[Finding]:
        focus = ctx.focus
        if focus is not None and (focus.role or "").strip().lower() in PASSWORD_ROLES:
            yield "ask", "the focused field is a password field (accessibility role " \
                         f"{focus.role!r})"
        focused = ctx.focused()
        title = focused.title if focused is not None else None
        if self._password.search(title) is not None:
            yield "ask", f"the focused window {title!r} looks like a password prompt"
        if focus is not None and self._password.search(focus.name) is not None:
            yield "ask", f"the focused field {focus.name!r} looks like a password prompt"
        target = self._previous_click_window(ctx)
        if target is not None and self._password.search(target.title) is not None:
            yield "ask", f"the last click was on {target.title!r}, which looks like a password " \
                         "prompt"
        if any(PASSWORD_REASONING.search(said or "") for said in ctx.reasoning):
            yield "ask", "the reasoning mentions a password or PIN: this may be a secret field"
        if not terminal:
            return
        tail = focus.text_tail if focus is not None else None
        if terminal_prompt(tail) or (tail and self._password.search(tail.splitlines()[-1])):
            yield "ask", "the terminal is asking for a password"
        elif _ran_a_line(ctx.previous_action):
            yield "ask", "the previous step ran a command in this terminal; it may now be " \
                         "reading a password"

    def _previous_click_window(self, ctx: GateContext) -> WindowInfo | None:
        previous = ctx.previous_action
        if not isinstance(previous, Click):
            return None
        try:
            return window_under(ctx, previous.x, previous.y)
        except Exception:  # unknown window: the other password signs still apply
            return None

    def _shell(self, command: str, what: str = "", check_text: bool = True
               ) -> Iterator[Finding]:
        off = "shell commands are off (set safety.allow_shell = true to be asked)"
        allowed = self.config.allow_shell
        if what:
            subject = f"{what} runs a shell command ({command!r})"
            yield ("ask", f"{subject}: always confirmed") if allowed else \
                ("block", f"{subject}; {off}")
        else:
            yield ("ask", "a shell command is always confirmed") if allowed else ("block", off)
        entry = self._deny_text.search(command) if check_text else None
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


def _show(keys: tuple[str, ...]) -> str:
    return repr("+".join(str(k) for k in keys)) if all(isinstance(k, str) for k in keys) \
        else repr(keys)


def _command_line(ctx: GateContext) -> str | None:
    """What the recent ``type`` actions left on a command line (None if the previous action
    typed nothing, or ended its text with Enter): the texts typed in a row, after the last
    newline."""
    texts: list[str] = []
    for action in reversed(_recent(ctx)):
        if not isinstance(action, Type):
            break
        texts.append(action.text)
    line = "".join(reversed(texts))
    if not texts or line.endswith(_NEWLINES):
        return None
    return re.split(r"\r\n|\r|\n", line)[-1]


def _ran_a_line(action: Action | None) -> bool:
    """Whether the action pressed Enter: a ``type`` holding a newline, or an Enter chord."""
    if isinstance(action, Type):
        return any(n in action.text for n in _NEWLINES)
    if isinstance(action, Key):
        try:
            return submits(send_chord(action.keys))
        except ActionError:
            return False
    return False


def _recent(ctx: GateContext) -> tuple[Action, ...]:
    if ctx.recent_actions:
        return ctx.recent_actions
    return (ctx.previous_action,) if ctx.previous_action is not None else ()


def _run_dialog_open(ctx: GateContext) -> bool:
    """Whether a run-a-command dialog (alt+f2, win+r: drawn by the desktop shell, so the
    focused window does not change) was opened by the recent actions and is still open:
    no click since (the focus moved), no Enter or Esc (it ran or closed)."""
    for action in reversed(_recent(ctx)):
        if isinstance(action, (Click, Drag)):
            return False
        if isinstance(action, Type) and any(n in action.text for n in _NEWLINES):
            return False
        if isinstance(action, Key):
            try:
                chord = send_chord(action.keys)
            except ActionError:
                continue
            if opens_run_dialog(chord):
                return True
            if submits(chord) or "esc" in chord:
                return False
    return False


def window_under(ctx: GateContext, x: int, y: int) -> WindowInfo | None:
    """The window under a point: ``window_at`` if given, else the first of ``windows``."""
    if ctx.window_at is not None:
        return ctx.window_at(x, y)
    for window in ctx.windows:
        if window.contains(x, y):
            return window
    return None
