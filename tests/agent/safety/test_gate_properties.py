"""Property tests of the gate: nothing makes it raise, and its promises hold for any input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.safety.chords import DANGEROUS_CHORDS
from agent.safety.config import SafetyConfig
from agent.safety.gate import GateContext, SafetyGate, WindowInfo
from agent.screen import Rect
from models.actions import (
    Action,
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
    parse_keys,
    points,
)
from models.frames import Monitor

GATES = [
    SafetyGate(),
    SafetyGate(SafetyConfig(allow_shell=True, deny_text=(r"rm\s+-rf", "ü"),
                            deny_titles=("Bank", "re:^Priv"), deny_apps=("keepassxc",),
                            dangerous_keys=("ctrl+shift+k",))),
]
coord = st.integers(-100_000, 100_000) | st.integers(-(2**63), 2**63)
small = st.integers(-3000, 3000)
size = st.integers(-10, 4000)
key_name = st.sampled_from(["ctrl", "Control", "alt", "shift", "win", "cmd", "delete", "Del",
                            "w", "q", "f4", "l", "s", "enter", "Return", "esc"]) | st.text(
    max_size=8)
actions: st.SearchStrategy[Action] = st.one_of(
    st.builds(Click, coord, coord, st.sampled_from(["left", "right", "middle", "bogus"]),
              st.integers(-1, 5)),
    st.builds(Move, coord, coord),
    st.builds(Drag, coord, coord, coord, coord),
    st.builds(Scroll, coord, coord, small, small),
    st.builds(Type, st.text()),
    st.builds(Key, st.lists(key_name, max_size=6).map(tuple)),
    st.builds(Wait, st.floats(allow_nan=True, allow_infinity=True)),
    st.builds(Done, st.text()), st.builds(Fail, st.text()), st.builds(AskUser, st.text()),
    st.builds(Shell, st.text()),
)
rects = st.builds(Rect, small, small, size, size)
monitors = st.builds(Monitor, small, small, st.integers(1, 4000), st.integers(1, 4000))
title = st.none() | st.text(max_size=40) | st.sampled_from(
    ["Deskhand", "Deskhand — chat", "Sign in", "Online Bank", "Private x", "[sudo] password"])
contexts = st.builds(
    GateContext,
    monitors=st.lists(monitors, max_size=3).map(tuple),
    active_title=title,
    active_app=st.none() | st.sampled_from(["keepassxc", "gedit"]) | st.text(max_size=10),
    windows=st.lists(st.builds(WindowInfo, st.text(max_size=20) | title.filter(bool), rects,
                               st.none() | st.text(max_size=10)), max_size=4).map(tuple),
    own_windows=st.lists(rects, max_size=2).map(tuple),
    approval_mode=st.sampled_from(["each", "risky", "never"]),
    reasoning=st.lists(st.text(max_size=40), max_size=2).map(tuple),
    previous_action=st.none() | actions,
)


@settings(max_examples=400, deadline=None)
@given(action=actions, ctx=contexts, which=st.integers(0, len(GATES) - 1))
def test_the_gate_never_raises_and_keeps_its_promises(action: Action, ctx: GateContext,
                                                      which: int) -> None:
    gate = GATES[which]
    decision = gate.check(action, ctx)
    assert decision.verdict in ("allow", "ask", "block")
    assert all(isinstance(r, str) and r for r in decision.reasons)
    assert not any("could not check" in r for r in decision.reasons), decision.reasons
    assert (decision.verdict == "allow") == (decision.reasons == ())
    assert gate.check(action, ctx) == decision  # deterministic
    if any(not any(m.contains(x, y) for m in ctx.monitors) for x, y in points(action)):
        assert decision.verdict == "block"
    if any(any(r.left <= x < r.left + r.width and r.top <= y < r.top + r.height
               for r in ctx.own_windows) for x, y in points(action)):
        assert decision.verdict == "block"
    if isinstance(action, (Done, Fail, AskUser, Wait)):
        assert decision.verdict == "allow"
    if isinstance(action, Shell):
        assert decision.verdict == ("ask" if gate.config.allow_shell else "block")


@settings(max_examples=300, deadline=None)
@given(chord=st.sampled_from(sorted(DANGEROUS_CHORDS)), extra=st.lists(
    st.sampled_from(["ctrl", "alt", "shift", "win", "a"]), max_size=2), data=st.data())
def test_a_dangerous_chord_in_any_order_or_case_is_never_allowed(
        chord: str, extra: list[str], data: st.DataObject) -> None:
    keys = list(parse_keys(chord)) + extra
    keys = data.draw(st.permutations(keys))
    keys = [k.upper() if data.draw(st.booleans()) else k for k in keys]
    decision = GATES[0].check(Key(tuple(keys)), GateContext((Monitor(0, 0, 1920, 1080),)))
    assert decision.verdict == "ask", (keys, decision)
