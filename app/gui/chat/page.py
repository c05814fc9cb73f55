"""The chat page: give a task, watch the agent think, stay in control, correct and grade.

``ChatPage`` lays out the mode bar, the conversation (``conversation.py``), the review view
(``review.py``), the question bar and the task box, starts episodes on the worker's thread
(``worker.py``) and shows what they report. Two helpers carry the rest: ``asking.py`` puts the
gate's questions on the page and hands the answers back, and ``aside.py`` moves the window out
of the way while the agent looks and acts. Inference, acting and database work never run
here: every grade is saved through the app's ``DbWorker``.

The one design choice a reader must know: while the agent looks at or acts on the screen the
main window gets out of the way and the always-on-top panel carries Stop; the panel's
rectangle is passed to the episode as Deskhand's own window, so it is masked from
screenshots and never clicked.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from agent.actuator import StopToken
from agent.settings import AgentConfig
from agent.user_gate import STOP, GateEvent
from app.gui.chat.aside import Aside
from app.gui.chat.asking import Asking
from app.gui.chat.conversation import Conversation, EpisodeBlock
from app.gui.chat.gate import GuiGate
from app.gui.chat.question import QuestionBar
from app.gui.chat.review import ReviewPanel
from app.gui.chat.worker import EpisodeRequest, EpisodeWorker, PartsFactory, StepEvent, UiHooks
from app.gui.context import AppContext
from app.gui.widgets.rating import RatingBar, submit_rating
from models.actions import describe

APPROVAL_CHOICES = (("each", "Each step"), ("risky", "Risky steps only"),
                    ("never", "Autonomous"))
CRITIC_CHOICES = (("off", "Off"), ("before", "Before I approve"), ("after", "After each step"))


@dataclass(frozen=True)
class ChatOptions:
    move_aside: bool = True  # hide the main window while the agent looks and acts
    show_panel: bool = True  # the always-on-top panel while the window is aside
    target_marker_s: float | None = None  # marking before a pointer action; None: the config's
    flush_ms: int = 30  # how often streamed tokens are laid out


class ChatPage(QWidget):
    running_changed = Signal(bool)
    show_in_history = Signal(int)  # an episode's "Show in History" link
    _warning = Signal(str)  # from the episode thread
    taken_over = Signal(str)  # the person's own input paused the agent (a listener thread)

    def __init__(self, ctx: AppContext, factory: PartsFactory | None = None,
                 options: ChatOptions | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self._options = options or ChatOptions()
        self.factory = factory if factory is not None else self.desktop_parts()
        self.block: EpisodeBlock | None = None
        self.running = False
        self.past_loads = 0  # earlier-episode reads in flight (tests wait for 0)
        self._past_loaded_once = False
        self.gate = GuiGate(StopToken(), self)
        self.aside = Aside(self, self._options, lambda: self.ctx.config.control.target_marker_s,
                           lambda seconds: self.worker.stop.wait(seconds))
        self.worker = EpisodeWorker(ctx.db, self.factory, self.gate,
                                    UiHooks(self.aside.before_capture, self.aside.mark))
        self._build()
        self.asking = Asking(self.gate, self.review, self.question, self.splitter, self.aside,
                             self._flush_tokens)
        self._connect()

    @property
    def options(self) -> ChatOptions:
        return self._options

    @options.setter
    def options(self, value: ChatOptions) -> None:
        self._options = value
        self.aside.options = value

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        agent = self.ctx.config.agent
        self.approval = _combo(APPROVAL_CHOICES, agent.approval,
                               "Each step: you approve every action. Risky steps only: you "
                               "approve what the safety rules flag. Autonomous: it acts alone "
                               "(flagged actions are still asked).")
        self.critic = _combo(CRITIC_CHOICES, agent.critic,
                             "The critic model scores each action and says why")
        self.status = QLabel("Ready")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setStyleSheet("color: palette(dark);")
        top = QHBoxLayout()
        for text, combo in (("&Approval:", self.approval), ("Criti&c:", self.critic)):
            caption = QLabel(text)
            caption.setBuddy(combo)
            top.addWidget(caption)
            top.addWidget(combo)
            top.addSpacing(12)
        top.addStretch(1)
        top.addWidget(self.status)
        self.conversation = Conversation()
        self.review = ReviewPanel()
        self.review.hide()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.conversation)
        self.splitter.addWidget(self.review)
        self.splitter.setChildrenCollapsible(False)
        self.question = QuestionBar()
        self.task = QLineEdit()
        self.task.setPlaceholderText("Describe a task, e.g. “open the Notes app and write "
                                     "hello” — Enter starts (Ctrl+L comes back here)")
        self.task.setAccessibleName("Task")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Start the task (Enter)")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop the agent (Esc)")
        self.stop_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.task, 1)
        bottom.addWidget(self.run_button)
        bottom.addWidget(self.stop_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 8, 8, 8)
        column.addLayout(top)
        column.addWidget(self.splitter, 1)
        column.addWidget(self.question)
        column.addLayout(bottom)
        self.stop_shortcut = self._shortcut(QKeySequence(Qt.Key.Key_Escape), self.stop)
        self._shortcut(QKeySequence("Ctrl+L"),
                       lambda: self.task.setFocus(Qt.FocusReason.ShortcutFocusReason))
        self._shortcut(QKeySequence("Ctrl+R"), self.resume)
        self._flush = QTimer(self)
        self._flush.setInterval(self._options.flush_ms)
        self._flush.timeout.connect(self._flush_tokens)
        self.setFocusProxy(self.task)

    def _shortcut(self, keys: QKeySequence, slot: Any) -> QShortcut:
        shortcut = QShortcut(keys, self)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(slot)
        return shortcut

    def _connect(self) -> None:
        self.task.returnPressed.connect(self.start_task)
        self.run_button.clicked.connect(self.start_task)
        self.stop_button.clicked.connect(self.stop)
        w = self.worker
        w.token.connect(self._token)
        w.status.connect(self._status)
        w.step.connect(self._step)
        w.episode_started.connect(self._started)
        w.finished.connect(self._finished)
        w.failed.connect(self._failed)
        self.gate.notified.connect(self._notified)
        self.question.resume_clicked.connect(self.resume)
        self.question.stop_clicked.connect(self.stop)
        self.aside.stop_clicked.connect(self.stop)
        self.aside.resume_clicked.connect(self.resume)
        self.conversation.show_in_history.connect(self.show_in_history)
        self._warning.connect(lambda text: self.block.add_note(text) if self.block else None)
        self.taken_over.connect(lambda _what: self.asking.show_paused(self.running,
                                                                      self.running))

    # -- the public face ------------------------------------------------------------------
    def agent_config(self) -> AgentConfig:
        return dataclasses.replace(self.ctx.config.agent, approval=self.approval.currentData(),
                                   critic=self.critic.currentData(), rate_steps=False)

    def start_task(self, task: str | None = None) -> bool:
        """Start an episode for the task in the box (or ``task``); False if not started."""
        text = (task if task is not None else self.task.text()).strip()
        if not text or self.running:
            return False
        own = self.aside.own_rects()
        self.block = self.conversation.add_task(text)
        self.block.episode_rated.connect(
            lambda episode_id, kind, value, comment, bar=self.block.rating: self._save_grade(
                bar, kind, value, comment, episode_id=episode_id))
        self.task.clear()
        self._set_running(True)
        self.worker.start(EpisodeRequest(text, self.agent_config(), own))
        return True

    def load_past(self) -> None:
        """Read the last episodes from the store (on the database worker) into the
        conversation; called when the page is first shown and after each run."""
        from app.gui.chat.past import PAST_LIMIT
        from app.gui.history.data import query_recent

        def done(rows: Any) -> None:
            self.past_loads -= 1
            self.conversation.set_past(rows)

        def failed(message: str) -> None:
            self.past_loads -= 1
            self.status.setText(f"Could not read earlier tasks: {message}")

        self.past_loads += 1
        self.ctx.db.submit(lambda store: query_recent(store, PAST_LIMIT), on_done=done,
                           on_error=failed)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._past_loaded_once:  # lazily: an app opened on another page reads nothing
            self._past_loaded_once = True
            self.load_past()

    def stop(self) -> None:
        """Stop the episode now, from whatever it is doing."""
        if not self.running:
            return
        self.worker.stop.stop("user")
        if self.gate.pending == "review":
            self.gate.reply(STOP)
        self.status.setText("Stopping…")

    def resume(self) -> bool:
        """The person is done using the computer: the paused episode goes on (Resume, Ctrl+R).
        False if it was not paused."""
        resumed = self.worker.resume()
        self.asking.show_paused(False, self.running)
        if resumed:
            self.status.setText("Resuming…")
        return resumed

    def desktop_parts(self, policy_factory: Any = None) -> Any:
        """The real parts (``DesktopParts``) wired to this page: its notes and its pause;
        ``policy_factory`` replaces the actor from the catalogue (a replay file, a test)."""
        from app.gui.chat.parts import DesktopParts

        return DesktopParts(self.ctx.paths, lambda: self.ctx.config,  # Settings may change it
                            policy_factory, warn=self._warning.emit,
                            on_pause=self.taken_over.emit)

    def set_parts_factory(self, factory: PartsFactory) -> None:
        """Use other parts for the next episodes (tests, a replay file)."""
        self.factory = factory
        self.worker.factory = factory

    def panel(self) -> Any:
        """The panel shown while the window is aside (None when the options have none)."""
        return self.aside.panel()

    def overlay(self) -> Any:
        """The target marker."""
        return self.aside.overlay()

    def shutdown(self) -> None:
        """The app is closing: stop the episode, end the thread, unload the models."""
        self.stop()
        self.worker.shutdown()
        close = getattr(self.factory, "close", None)
        if callable(close):
            close()
        self.aside.close()

    # -- what the episode reports ---------------------------------------------------------
    def _set_running(self, on: bool) -> None:
        self.running = self.aside.running = on
        for widget in (self.task, self.run_button, self.approval, self.critic):
            widget.setEnabled(not on)
        self.stop_button.setEnabled(on)
        if on:
            self._flush.start()
        else:
            self._flush.stop()
            self._flush_tokens()
        self.running_changed.emit(on)

    def _token(self, piece: str) -> None:
        if self.block is not None:
            self.block.token(piece)

    def _flush_tokens(self) -> None:
        if self.block is not None:
            self.block.flush()
            panel = self.aside.shown_panel()
            if panel is not None and panel.isVisible():
                panel.set_reasoning(self.block.live.toPlainText())

    def _status(self, text: str) -> None:
        self.status.setText(text[:1].upper() + text[1:])
        panel = self.aside.shown_panel()
        if panel is not None:
            panel.set_status(text)
        self.asking.show_paused(text.startswith("paused"), self.running)
        if text == "thinking" and self.block is not None:
            self.block.new_thought()

    def _started(self, episode_id: int) -> None:
        if self.block is not None:
            self.block.started(episode_id)

    def _step(self, event: StepEvent) -> None:
        if self.block is None:
            return
        self._flush_tokens()
        card = self.block.add_step(event)
        card.rated.connect(lambda step_id, kind, value, comment, bar=card.rating:
                           self._save_grade(bar, kind, value, comment, step_id=step_id))
        panel = self.aside.shown_panel()
        if panel is not None:
            action = event.report.action
            panel.set_step(f"Step {event.report.index + 1}: "
                           f"{describe(action) if action else 'no action'}")

    def _finished(self, result: Any) -> None:
        if self.block is not None:
            self.block.finish(result.status, result.summary)
        self._end(f"Episode {result.status}")

    def _failed(self, message: str) -> None:
        if self.block is not None:
            self.block.add_note(message, "#c62828")
            self.block.finish("failed", "the episode could not run")
        self._end("Could not run the task")

    def _end(self, status: str) -> None:
        self.asking.close_all()
        self._set_running(False)
        self.status.setText(status)
        self.load_past()  # runs elsewhere (deskhand run) show up too; this one stays a block
        self.aside.episode_ended()
        if self.block is not None:
            self.block.rating.setFocus()

    def _notified(self, event: GateEvent) -> None:
        if self.block is not None:
            self.block.add_note(f"{event.kind.replace('_', ' ')}: {event.message}")

    def _save_grade(self, bar: RatingBar, kind: str, value: Any, comment: Any,
                    step_id: int | None = None, episode_id: int | None = None) -> None:
        """One ``rated`` signal → exactly one judgment row, committed before "Saved"."""
        bar.status.setText("Saving…")
        submit_rating(self.ctx.db, kind, value, comment, step_id=step_id,
                      episode_id=episode_id, bar=bar)


def _combo(choices: tuple[tuple[str, str], ...], current: str, tip: str) -> QComboBox:
    combo = QComboBox()
    for value, label in choices:
        combo.addItem(label, value)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.setToolTip(tip)
    return combo
