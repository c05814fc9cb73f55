"""The chat page: give a task, watch the agent think, stay in control, correct and grade.

``ChatPage`` ties together the conversation (``conversation.py``), the review view
(``review.py``), the question bar, the episode worker (its own thread) and the GUI gate.
Inference, acting and database work never run here: the episode runs on the worker's
thread, and every grade is saved through the app's ``DbWorker``.

The one design choice a reader must know: while the agent looks at or acts on the screen the
main window gets out of the way (hidden, unless ``ChatOptions.move_aside`` is off) and the
always-on-top panel (``app.gui.panel``) carries Stop; the window comes back whenever the
person is asked something. The panel's rectangle is passed to the episode as Deskhand's own
window, so it is masked from screenshots and never clicked.
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

from agent.screen import Rect
from agent.settings import AgentConfig
from agent.user_gate import STOP, GateEvent, StepView, UserDecision
from app.gui.chat.conversation import Conversation, EpisodeBlock
from app.gui.chat.gate import GuiGate
from app.gui.chat.question import QuestionBar
from app.gui.chat.review import ReviewPanel
from app.gui.chat.worker import (
    EpisodeRequest,
    EpisodeWorker,
    PartsFactory,
    StepEvent,
    UiHooks,
    UiInvoker,
)
from app.gui.context import AppContext
from app.gui.widgets.rating import RatingBar
from models.actions import Action, describe, points

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
        self.options = options or ChatOptions()
        self.factory = factory if factory is not None else self.desktop_parts()
        self.block: EpisodeBlock | None = None
        self.running = False
        self.past_loads = 0  # earlier-episode reads in flight (tests wait for 0)
        self._past_loaded_once = False
        self._panel: Any = None
        self._overlay: Any = None
        self._ui = UiInvoker(self)
        from agent.actuator import StopToken

        self.gate = GuiGate(StopToken(), self)
        self.worker = EpisodeWorker(ctx.db, factory, self.gate,
                                    UiHooks(self._before_capture, self._mark))
        self._build()
        self._connect()

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.approval = QComboBox()
        for value, label in APPROVAL_CHOICES:
            self.approval.addItem(label, value)
        self.approval.setCurrentIndex(max(0, self.approval.findData(
            self.ctx.config.agent.approval)))
        self.approval.setToolTip("Each step: you approve every action. Risky steps only: you "
                                 "approve what the safety rules flag. Autonomous: it acts "
                                 "alone (flagged actions are still asked).")
        self.critic = QComboBox()
        for value, label in CRITIC_CHOICES:
            self.critic.addItem(label, value)
        self.critic.setCurrentIndex(max(0, self.critic.findData(self.ctx.config.agent.critic)))
        self.critic.setToolTip("The critic model scores each action and says why")
        self.status = QLabel("Ready")
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
        self.stop_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.stop_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        focus = QShortcut(QKeySequence("Ctrl+L"), self)
        focus.setContext(Qt.ShortcutContext.WindowShortcut)
        focus.activated.connect(lambda: self.task.setFocus(Qt.FocusReason.ShortcutFocusReason))
        resume = QShortcut(QKeySequence("Ctrl+R"), self)
        resume.setContext(Qt.ShortcutContext.WindowShortcut)
        resume.activated.connect(self.resume)
        self._flush = QTimer(self)
        self._flush.setInterval(self.options.flush_ms)
        self._flush.timeout.connect(self._flush_tokens)
        self.setFocusProxy(self.task)

    def _connect(self) -> None:
        self.task.returnPressed.connect(self.start_task)
        self.run_button.clicked.connect(self.start_task)
        self.stop_button.clicked.connect(self.stop)
        self.stop_shortcut.activated.connect(self.stop)
        w, g = self.worker, self.gate
        w.token.connect(self._token)
        w.status.connect(self._status)
        w.step.connect(self._step)
        w.episode_started.connect(self._started)
        w.finished.connect(self._finished)
        w.failed.connect(self._failed)
        g.review_requested.connect(self._review)
        g.question_asked.connect(lambda q: self._ask("question", q))
        g.answer_requested.connect(lambda q: self._ask("answer", f"The agent asks: {q}"))
        g.takeover_started.connect(self._takeover)
        g.notified.connect(self._notified)
        g.closed.connect(self._closed)
        self.review.decided.connect(self._decided)
        self.question.answered.connect(self._answered)
        self.question.resume_clicked.connect(self.resume)
        self.question.stop_clicked.connect(self.stop)
        self.conversation.show_in_history.connect(self.show_in_history)
        self._warning.connect(lambda text: self.block.add_note(text) if self.block else None)
        self.taken_over.connect(lambda _what: self._show_paused(self.running))

    # -- the public face ------------------------------------------------------------------
    def agent_config(self) -> AgentConfig:
        return dataclasses.replace(self.ctx.config.agent, approval=self.approval.currentData(),
                                   critic=self.critic.currentData(), rate_steps=False)

    def start_task(self, task: str | None = None) -> bool:
        """Start an episode for the task in the box (or ``task``); False if not started."""
        text = (task if task is not None else self.task.text()).strip()
        if not text or self.running:
            return False
        own: tuple[Rect, ...] = ()
        panel = self.panel()
        if panel is not None:
            panel.place()
            own = (panel.screen_rect(),)
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
        self._show_paused(False)
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
        if not (self.options.show_panel and self.options.move_aside):
            return None
        if self._panel is None:
            from app.gui.panel import AgentPanel

            self._panel = AgentPanel()
            self._panel.stop_clicked.connect(self.stop)
            self._panel.show_clicked.connect(self._come_back)
            self._panel.done_clicked.connect(lambda: self._answered(None))
            self._panel.resume_clicked.connect(self.resume)
        return self._panel

    def shutdown(self) -> None:
        """The app is closing: stop the episode, end the thread, unload the models."""
        self.stop()
        self.worker.shutdown()
        close = getattr(self.factory, "close", None)
        if callable(close):
            close()
        for widget in (self._panel, self._overlay):
            if widget is not None:
                widget.close()

    # -- what the episode reports ---------------------------------------------------------
    def _set_running(self, on: bool) -> None:
        self.running = on
        self.task.setEnabled(not on)
        self.run_button.setEnabled(not on)
        self.stop_button.setEnabled(on)
        self.approval.setEnabled(not on)
        self.critic.setEnabled(not on)
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
            if self._panel is not None and self._panel.isVisible():
                self._panel.set_reasoning(self.block.live.toPlainText())

    def _status(self, text: str) -> None:
        self.status.setText(text[:1].upper() + text[1:])
        if self._panel is not None:
            self._panel.set_status(text)
        self._show_paused(text.startswith("paused"))
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
        if self._panel is not None:
            action = event.report.action
            self._panel.set_step(f"Step {event.report.index + 1}: "
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
        self.review.hide()
        self.question.close_question()
        self._set_running(False)
        self.status.setText(status)
        self.load_past()  # runs elsewhere (deskhand run) show up too; this one stays a block
        if self._panel is not None:
            self._panel.hide()
        self._come_back()
        if self.block is not None:
            self.block.rating.setFocus()

    def _notified(self, event: GateEvent) -> None:
        if self.block is not None:
            self.block.add_note(f"{event.kind.replace('_', ' ')}: {event.message}")

    # -- asking the person ----------------------------------------------------------------
    def _review(self, view: StepView) -> None:
        self._flush_tokens()
        self._come_back()
        self.review.show_step(view)
        self.review.show()
        self.splitter.setSizes([max(120, self.height() // 4), self.height()])
        self.review.primary.setFocus(Qt.FocusReason.OtherFocusReason)

    def _decided(self, decision: UserDecision) -> None:
        self.review.hide()
        self.gate.reply(decision)

    def _ask(self, kind: str, message: str) -> None:
        self._come_back()
        self.question.ask(kind, message)

    def _takeover(self, view: StepView) -> None:
        self.question.ask("takeover", f"Your turn: do step {view.index + 1} yourself on the "
                          "screen, then press “I'm done”. What you do is saved as the "
                          "correction.")
        self._move_aside()
        if self._panel is not None:
            self._panel.set_takeover(True)

    def _show_paused(self, on: bool) -> None:
        """The person's own input paused the episode: say so here and on the panel, with
        Resume and Stop; it goes on only when the person presses Resume."""
        if on and self.question.kind != "paused":
            self.question.ask("paused", "Paused: you are using the computer. The agent waits "
                              "until you press Resume (Ctrl+R) — or Stop (Esc).")
        elif not on and self.question.kind == "paused":
            self.question.close_question()
        panel = self.panel() if on and self.running else self._panel
        if panel is not None:
            panel.set_paused(on)
            if on and not panel.isVisible():  # the person may be anywhere on the screen
                panel.show()

    def _answered(self, value: Any) -> None:
        if self._panel is not None:
            self._panel.set_takeover(False)
        self.question.close_question()
        self.gate.reply(value)

    def _closed(self, kind: str) -> None:
        if kind == "review":
            self.review.hide()
        elif self.question.kind == kind:
            self.question.close_question()
            if self._panel is not None:
                self._panel.set_takeover(False)

    # -- grades ---------------------------------------------------------------------------
    def _save_grade(self, bar: RatingBar, kind: str, value: Any, comment: Any,
                    step_id: int | None = None, episode_id: int | None = None) -> None:
        """One ``rated`` signal → exactly one judgment row, committed before "Saved"."""
        def write(store: Any) -> int:
            return int(store.add_judgment(kind=kind, step_id=step_id, episode_id=episode_id,
                                          value=value, comment=comment))

        bar.status.setText("Saving…")
        self.ctx.db.submit(write, on_done=lambda _id: bar.show_saved(True),
                           on_error=lambda message: bar.show_saved(False, message))

    # -- getting out of the way -----------------------------------------------------------
    def _before_capture(self) -> None:  # the episode thread
        self._ui.call(self._move_aside)

    def _mark(self, action: Action) -> None:  # the episode thread, just before acting
        self._ui.call(self._move_aside)  # the window may be back from asking the person
        seconds = self.options.target_marker_s
        if seconds is None:
            seconds = self.ctx.config.control.target_marker_s
        if seconds <= 0 or not points(action):
            return
        shown: list[bool] = []
        self._ui.call(lambda: shown.append(self.overlay().show_target(action)))
        if shown and shown[0]:
            self.worker.stop.wait(seconds)
            self._ui.call(self.overlay().hide_target)

    def overlay(self) -> Any:
        if self._overlay is None:
            from app.gui.overlay import TargetOverlay

            self._overlay = TargetOverlay()
        return self._overlay

    def _move_aside(self) -> None:
        if not self.options.move_aside or not self.running:
            return
        window = self.window()
        if window is not self and window.isVisible():
            window.hide()
        panel = self.panel()
        if panel is not None and not panel.isVisible():
            panel.show()
            panel.raise_()
        QTimer.singleShot(0, lambda: None)

    def _come_back(self) -> None:
        if not self.options.move_aside:
            return
        window = self.window()
        if window is not self and not window.isVisible():
            window.showNormal()
            window.raise_()
            window.activateWindow()
        if self._panel is not None and self.question.kind != "takeover":
            self._panel.hide()
