"""Every setting the Settings page edits, as one table: its config key, its label, the widget
that edits it, the hint under it, and the group it sits in.

Adding a setting is adding a row; the page builds its groups and fields from this table and
knows no setting by name. ``hint`` may be a function, for words that depend on the session
(how many screens there are).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from app.gui.settings.fields import Field, RegionsField

NUMBER_WIDTH = 140  # the widest a number box gets


@dataclass(frozen=True)
class Setting:
    key: str  # dotted config key: "safety.max_steps"
    label: str  # with its mnemonic (&)
    group: str
    widget: Callable[[], QWidget]
    hint: str | Callable[[], str] = ""
    field: type[Field] = Field

    def build(self) -> Field:
        hint = self.hint() if callable(self.hint) else self.hint
        return self.field(self.key, self.widget(), hint)


def text(placeholder: str, width: int = 360) -> Callable[[], QLineEdit]:
    def make() -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setMaximumWidth(width)
        return edit
    return make


def lines(placeholder: str) -> Callable[[], QPlainTextEdit]:
    def make() -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setPlaceholderText(placeholder)
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(72)
        return edit
    return make


def whole(low: int, high: int) -> Callable[[], QSpinBox]:
    def make() -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setMaximumWidth(NUMBER_WIDTH)
        return spin
    return make


def real(low: float, high: float, suffix: str, decimals: int = 1,
         step: float = 1.0) -> Callable[[], QDoubleSpinBox]:
    def make() -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(decimals)
        spin.setSingleStep(step)
        spin.setSuffix(suffix)
        spin.setMaximumWidth(NUMBER_WIDTH)
        return spin
    return make


def tick(words: str) -> Callable[[], QCheckBox]:
    return lambda: QCheckBox(words)


def _screens() -> str:
    count = len(QGuiApplication.screens())
    return (f"1 = the first monitor, 0 = all of them (this session has {count} "
            f"screen{'s' if count != 1 else ''}).")


CONTROLS, DENY, SCREEN, BUDGETS, EXPORT = ("Controls", "Deny rules", "Screen and capture masks",
                                           "Budgets per episode", "Export")
SETTINGS: tuple[Setting, ...] = (
    Setting("control.stop_hotkey", "&Stop hotkey", CONTROLS, text("<ctrl>+<alt>+<esc>"),
            "Stops the agent from any window. pynput syntax: modifiers in angle brackets, "
            "e.g. <ctrl>+<alt>+<esc> or <ctrl>+q."),
    Setting("control.target_marker_s", "Mar&k click targets for", CONTROLS,
            real(0, 10, " s", step=0.1), "Before a click, the target is marked on the screen "
            "this long so you can see it coming (0 = never)."),
    Setting("safety.deny_apps", "Never act in &apps", DENY,
            lines("one app name per line, e.g. keepassxc"),
            "The agent never acts in these apps (whole name; re: for a regex)."),
    Setting("safety.deny_titles", "Never act in &windows titled", DENY,
            lines("one per line, e.g. Online Banking"),
            "…nor in windows whose title contains this text (re: for a regex)."),
    Setting("safety.deny_text", "Ask before typing &text", DENY,
            lines(r"one regex per line, e.g. rm\s+-rf"),
            "Typing or running text that matches asks you first."),
    Setting("agent.monitor", "&Monitor", SCREEN, whole(0, 16), _screens),
    Setting("capture.window_titles", "&Hide windows titled", SCREEN,
            lines("one per line, e.g. Password Manager"),
            "Windows whose title contains this text are blacked out of every screenshot (and "
            "so never stored or shown to the model)."),
    Setting("capture.regions", "Hide screen re&gions", SCREEN,
            lines("one per line: x,y,width,height, e.g. 0,0,400,60"),
            "Screen rectangles blacked out of every screenshot, in pixels of the whole "
            "desktop: left, top, width, height.", RegionsField),
    Setting("safety.max_steps", "Ma&x steps", BUDGETS, whole(0, 100_000),
            "An episode stops after this many steps."),
    Setting("safety.max_minutes", "Max &time", BUDGETS, real(0, 24 * 60, " min"),
            "…or after this much time."),
    Setting("export.redact", "R&edaction", EXPORT,
            tick("Redact text that matches the patterns"),
            "Applies to every export from the History page (texts only: task, reasoning, "
            "typed text, comments)."),
    Setting("export.patterns", "Redact &patterns", EXPORT,
            lines(r"one regex per line, e.g. \b\d{6}\b"),
            "What is replaced by [redacted]; the defaults catch e-mail addresses, long "
            "numbers and “password: …”."),
)
