"""Property tests of the gate: nothing makes it raise, and its promises hold for any input."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.safety.chords import DANGEROUS_CHORDS, TERMINAL_CHORDS, submits
from agent.safety.config import SafetyConfig
from agent.safety.gate import GateContext, SafetyGate, WindowInfo
from agent.safety.terminals import TERMINAL_APPS
from agent.screen import FocusInfo, Rect
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
from models.keys import ALIASES, CHAR_KEYS, KEYSYMS, KeyNameError, send_chord, sendable
from tests.fixtures.key_spellings import SPELLINGS

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
window_infos = st.builds(WindowInfo, st.text(max_size=20) | title.filter(bool), rects,
                         st.none() | st.sampled_from(["Deskhand", "XTerm", "KeePassXC"])
                         | st.text(max_size=10), st.none() | st.text(max_size=10),
                         st.none() | st.sampled_from(["keepassxc", "xterm"]),
                         st.none() | st.integers(1, 1 << 22) | st.just(os.getpid()))
focus_infos = st.builds(FocusInfo, st.none() | st.sampled_from(["password text", "terminal",
                                                                "entry"]) | st.text(max_size=8),
                        st.none() | st.text(max_size=12), st.none() | st.text(max_size=40))
contexts = st.builds(
    GateContext,
    active_window=st.none() | window_infos,
    focus=st.none() | focus_infos,
    monitors=st.lists(monitors, max_size=3).map(tuple),
    active_title=title,
    active_app=st.none() | st.sampled_from(["keepassxc", "gedit"]) | st.text(max_size=10),
    windows=st.lists(window_infos, max_size=4).map(tuple),
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
    if isinstance(action, Key):
        try:
            send_chord(action.keys)
        except KeyNameError:
            assert decision.verdict == "block"
    if isinstance(action, Type) and any(
            unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in action.text):
        assert decision.verdict != "allow"


PASSWORD_WORDS = [
    "password", "Passwort", "Kennwort", "mot de passe", "contraseña", "senha", "palavra-passe",
    "пароль", "密码", "密碼", "パスワード", "비밀번호", "wachtwoord", "hasło", "heslo", "şifre",
    "lösenord", "passord", "salasana", "jelszó", "parolă", "κωδικός", "كلمة المرور", "סיסמה",
    "पासवर्ड", "รหัสผ่าน", "mật khẩu", "kata sandi", "lozinka", "geslo", "PIN", "PIN code",
    "verification code", "one-time code", "OTP", "passcode", "passphrase", "验证码", "認証コード",
    "인증번호", "Bestätigungscode", "código de verificación", "security code", "2FA", "CVV",
    "Sign in", "Log in", "Anmelden", "Connexion", "Iniciar sesión", "Войти", "登录", "ログイン",
    "로그인",
]
SCREEN = (Monitor(0, 0, 1920, 1080),)
EDITOR = GateContext(SCREEN, active_window=WindowInfo("notes.txt - gedit", Rect(0, 0, 1920, 1080),
                                                       "Gedit", "gedit", "gedit", 4000))
XTERM = GateContext(SCREEN, active_window=WindowInfo("bob@box: ~", Rect(0, 0, 1920, 1080),
                                                      "XTerm", "xterm", "xterm", 4001))
ALL_CHORDS = sorted(set(DANGEROUS_CHORDS) | {"ctrl+shift+k"})


@st.composite
def spelled(draw: st.DrawFn, key: str) -> str:
    """Any spelling of a canonical key the table of spellings knows, in any case."""
    options = SPELLINGS.get(key, [key])
    spelling = draw(st.sampled_from(options))
    if len(spelling) > 1 and spelling.isascii() and spelling.strip() == spelling:
        spelling = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in spelling)
    return spelling


@settings(max_examples=600, deadline=None)
@given(chord=st.sampled_from(ALL_CHORDS), extra=st.lists(
    st.sampled_from(["ctrl", "alt", "shift", "win", "a"]), max_size=2), data=st.data())
def test_any_spelling_of_a_dangerous_chord_is_never_allowed(
        chord: str, extra: list[str], data: st.DataObject) -> None:
    keys = list(parse_keys(chord)) + extra
    keys = data.draw(st.permutations(keys))
    keys = [data.draw(spelled(k)) for k in keys]
    decision = GATES[1].check(Key(tuple(keys)), EDITOR)
    assert decision.verdict != "allow", (keys, decision)
    if len(set(parse_keys(chord)) | set(extra)) <= 5:
        assert decision.verdict == "ask", (keys, decision)


@settings(max_examples=1200, deadline=None)
@given(keys=st.lists(st.text(max_size=6) | st.sampled_from(
    sorted(ALIASES) + sorted(KEYSYMS.values()) + list(CHAR_KEYS) + list("wqld\x04\x03")),
    min_size=1, max_size=7), terminal=st.booleans())
def test_what_the_gate_allows_is_exactly_what_the_actuator_presses_and_it_is_harmless(
        keys: list[str], terminal: bool) -> None:
    """The link between gate and actuator: an allowed chord normalises, the actuator can
    press every key of it, and no dangerous chord hides in it under any spelling."""
    decision = GATES[0].check(Key(tuple(keys)), XTERM if terminal else EDITOR)
    try:
        chord = send_chord(keys)
    except KeyNameError:
        assert decision.verdict == "block", (keys, decision)
        return
    pressed = set(chord)
    assert all(sendable(k) for k in pressed)
    dangerous = any(set(parse_keys(c)) <= pressed for c in DANGEROUS_CHORDS)
    if terminal:
        dangerous |= any(set(parse_keys(c)) <= pressed for c in TERMINAL_CHORDS)
        dangerous |= submits(chord)
    assert (decision.verdict == "ask") == dangerous, (keys, chord, decision)


controls = st.characters(codec=None, categories=["Cc"]).filter(lambda c: c not in "\t\n\r")


@settings(max_examples=1000, deadline=None)
@given(before=st.text(max_size=20), char=controls, after=st.text(max_size=20),
       mode=st.sampled_from(["each", "risky", "never"]))
def test_control_characters_in_typed_text_never_pass_silently(
        before: str, char: str, after: str, mode: str) -> None:
    ctx = GateContext(SCREEN, active_title="notes", approval_mode=mode)  # type: ignore[arg-type]
    decision = GATES[0].check(Type(before + char + after), ctx)
    assert decision.verdict != "allow"
    assert any(f"U+{ord(char):04X}" in reason for reason in decision.reasons), decision


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]),
                    max_size=30))
def test_plain_text_in_an_editor_is_allowed(text: str) -> None:
    decision = SafetyGate().check(Type(text or "x"), EDITOR)
    assert decision.verdict == "allow", decision


@settings(max_examples=400, deadline=None)
@given(command=st.text(min_size=1, max_size=30).filter(lambda t: not any(
    c in t for c in "\r\n")), newline=st.sampled_from(["\n", "\r", "\r\n"]),
    app=st.sampled_from(TERMINAL_APPS), case=st.sampled_from([str.lower, str.upper, str.title]),
    where=st.sampled_from(["app", "instance", "process"]), shell=st.booleans(),
    enter=st.sampled_from(["enter", "Return", "KP_Enter", "\n", "\r", "⏎", "ctrl+m"]))
def test_a_line_and_enter_in_any_terminal_is_a_shell_command(
        command: str, newline: str, app: str, case: Any, where: str, shell: bool,
        enter: str) -> None:
    names = {"app": None, "instance": None, "process": None, where: case(app)}
    terminal = GateContext(SCREEN, active_window=WindowInfo(
        "session", Rect(0, 0, 1920, 1080), names["app"], names["instance"], names["process"],
        4100))
    gate = SafetyGate(SafetyConfig(allow_shell=shell))
    expected = "ask" if shell else "block"
    typed = gate.check(Type(command + newline), terminal)
    assert typed.verdict == expected, typed
    assert any("shell" in r for r in typed.reasons), typed
    then = replace(terminal, previous_action=Type(command))
    pressed = gate.check(Key(parse_keys(enter)), then)
    assert pressed.verdict == expected, pressed
    assert pressed.verdict != "allow" and typed.verdict != "allow"


@settings(max_examples=400, deadline=None)
@given(title=st.text(max_size=30), app=st.none() | st.text(max_size=12),
       x=st.integers(0, 1919), y=st.integers(0, 1079), how=st.sampled_from(["pid", "class"]))
def test_any_window_of_this_process_or_class_is_refused(title: str, app: str | None, x: int,
                                                       y: int, how: str) -> None:
    own = WindowInfo(title, Rect(0, 0, 1920, 1080), "Deskhand" if how == "class" else app,
                     None, None, os.getpid() if how == "pid" else 77777)
    gate = SafetyGate()
    assert gate.check(Click(x, y), GateContext(SCREEN, windows=(own,))).verdict == "block"
    assert gate.check(Click(x, y), GateContext(SCREEN, active_window=own)).verdict == "block"
    assert gate.check(Type("hi"), GateContext(SCREEN, active_window=own)).verdict == "block"
    assert gate.check(Key(("enter",)), GateContext(SCREEN, active_window=own)).verdict == "block"


@settings(max_examples=400, deadline=None)
@given(word=st.sampled_from(PASSWORD_WORDS), left=st.text(
    alphabet=st.characters(codec="utf-8", categories=["Zs", "Pd"]), max_size=2),
    prefix=st.sampled_from(["", "Bitte ", "Please enter your ", "Vault: "]),
    suffix=st.sampled_from(["", ":", " - Firefox", " — Chromium", " ?"]))
def test_a_secret_word_of_any_language_in_a_title_asks_before_typing(
        word: str, left: str, prefix: str, suffix: str) -> None:
    title = prefix + left + word + suffix
    decision = SafetyGate().check(Type("hunter2"), GateContext(SCREEN, active_title=title))
    assert decision.verdict == "ask", (title, decision)
