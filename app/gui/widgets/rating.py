"""Grade one step or one whole episode: thumbs up / down, 1–5 stars, a comment.

Built for keyboard-only grading (a person grading a hundred steps will not reach for the mouse):

* ``+`` / ``=`` / ``u`` thumbs up → ``rated("approve", 1.0, None)``
* ``-`` / ``d`` thumbs down → ``rated("reject", 0.0, None)``
* ``1``–``5`` stars → ``rated("rate", float(n), None)`` (raw; the learner maps r to (r−1)/4)
* ``c`` puts the cursor in the comment box; Enter there → ``rated("comment", None, text)``;
  Esc leaves the box without saving.

The bar knows nothing of the store: the page that holds it writes each ``rated`` signal as one
judgment row. The design choice a reader must know: judgments are append-only and *the latest
wins* (that is how the learner reads them), so the bar shows the latest of each kind
(:meth:`RatingState.from_judgments`) and emits only on a real change — pressing ``+`` twice on an
approved step writes one row, not two. The keys work while the bar has focus, and in any widget
handed to :meth:`RatingBar.watch` (e.g. the list of steps, so arrows move and digits grade).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from app.gui.widgets.text import html

UP_KEYS = {Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_U}
DOWN_KEYS = {Qt.Key.Key_Minus, Qt.Key.Key_D}
STAR_KEYS = {Qt.Key.Key_1: 1, Qt.Key.Key_2: 2, Qt.Key.Key_3: 3, Qt.Key.Key_4: 4,
             Qt.Key.Key_5: 5}
COMMENT_KEY = Qt.Key.Key_C
COMMENT_MIN_WIDTH = 120
HELP = "Keys: + / U good · − / D bad · 1–5 stars · C comment (Enter saves, Esc leaves)"

_STYLE = """
RatingBar { border: 1px solid palette(mid); border-radius: 6px; background: palette(base); }
RatingBar[focused="true"] { border: 2px solid palette(highlight); }
RatingBar QToolButton { border: 1px solid transparent; border-radius: 4px; padding: 2px 6px; }
RatingBar QToolButton:hover { border-color: palette(mid); }
RatingBar QToolButton#thumbUp:checked { background: #d6f0d6; border-color: #2e7d32;
                                        color: #1b5e20; }
RatingBar QToolButton#thumbDown:checked { background: #f8d7d7; border-color: #c62828;
                                          color: #8e0000; }
RatingBar QToolButton[star="true"] { font-size: 17px; padding: 0px 1px; color: #9e9e9e; }
RatingBar QToolButton[star="true"]:checked { color: #e0a000; background: transparent; }
"""


@dataclass(frozen=True)
class RatingState:
    """What has been given so far: the latest thumb, stars and comment (None: not given)."""

    thumb: bool | None = None  # True up (approve), False down (reject)
    stars: int | None = None  # 1..5
    comment: str | None = None

    @classmethod
    def from_judgments(cls, judgments: Iterable[Any]) -> RatingState:
        """The latest thumb / stars / comment among judgment rows (objects or dicts with
        ``kind``, ``value``, ``comment``), given oldest first as the store orders them.

        >>> rows = [{"kind": "approve", "value": 1.0}, {"kind": "rate", "value": 2.0},
        ...         {"kind": "reject", "value": 0.0}, {"kind": "comment", "comment": "hm"}]
        >>> RatingState.from_judgments(rows)
        RatingState(thumb=False, stars=2, comment='hm')
        """
        thumb: bool | None = None
        stars: int | None = None
        comment: str | None = None
        for row in judgments:
            kind, value, text = _field(row, "kind"), _field(row, "value"), _field(row, "comment")
            if kind == "approve":
                thumb = True
            elif kind == "reject":
                thumb = False
            elif kind == "rate" and value is not None:
                stars = max(1, min(5, round(float(value))))
            elif kind == "comment" and text:
                comment = str(text)
        return cls(thumb, stars, comment)

    @property
    def graded(self) -> bool:
        return self.thumb is not None or self.stars is not None or bool(self.comment)


def submit_rating(db: Any, kind: str, value: float | None, comment: str | None, *,
                  step_id: int | None = None, episode_id: int | None = None,
                  bar: RatingBar | None = None,
                  on_saved: Callable[[int], None] | None = None,
                  on_failed: Callable[[str], None] | None = None) -> None:
    """Write one ``rated`` signal as one judgment row through the app's ``DbWorker``; the
    bar (if given) says "Saved" once the row is committed, or shows the error."""
    def write(store: Any) -> int:
        judgment_id: int = store.add_judgment(kind=kind, value=value, comment=comment,
                                              step_id=step_id, episode_id=episode_id)
        return judgment_id

    def done(judgment_id: int) -> None:
        if bar is not None:
            bar.show_saved(True)
        if on_saved is not None:
            on_saved(judgment_id)

    def failed(message: str) -> None:
        if bar is not None:
            bar.show_saved(False, message)
        if on_failed is not None:
            on_failed(message)

    db.submit(write, on_done=done, on_error=failed)


def _field(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


class RatingBar(QFrame):
    """Thumbs, five stars and a comment box in one row; emits ``rated(kind, value, comment)``."""

    rated = Signal(str, object, object)  # kind, value (float | None), comment (str | None)

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ratingBar")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(HELP)
        self.setAccessibleName(f"{title} rating".strip())
        self.setStyleSheet(_STYLE)
        self.setProperty("focused", False)
        self._state = RatingState()
        self._watched: list[QWidget] = []
        self._outer = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._outer.setContentsMargins(8, 4, 8, 4)
        self._outer.setSpacing(8)
        self._outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # may wrap
        row = QHBoxLayout()  # the grades: never narrower than their words
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.title = QLabel(f"<b>{html(title)}</b>" if title else "", self)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.title)  # parented and laid out before hiding: a parentless
        self.title.setVisible(bool(title))  # label shown for a moment is its own window
        self.up = self._button("✓ Good", "thumbUp", "Thumbs up: a good step (+ or U)")
        self.down = self._button("✗ Bad", "thumbDown", "Thumbs down: a wrong step (− or D)")
        self.up.clicked.connect(lambda: self.give_thumb(True))
        self.down.clicked.connect(lambda: self.give_thumb(False))
        row.addWidget(self.up)
        row.addWidget(self.down)
        row.addSpacing(8)
        self.stars: list[QToolButton] = []
        for n in range(1, 6):
            star = self._button("☆", f"star{n}", f"{n} star{'s' if n > 1 else ''} (key {n})")
            star.setProperty("star", True)
            star.setFixedWidth(26)
            star.clicked.connect(lambda _=False, n=n: self.give_stars(n))
            self.stars.append(star)
            row.addWidget(star)
        self._outer.addLayout(row)
        words = QHBoxLayout()  # the comment and "Saved": beside the grades, or below them
        words.setContentsMargins(0, 0, 0, 0)
        words.setSpacing(4)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("Comment (C)")
        self.comment.setToolTip("C to type a comment; Enter saves it, Esc leaves the box")
        self.comment.setClearButtonEnabled(True)
        self.comment.setMinimumWidth(COMMENT_MIN_WIDTH)
        self.comment.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.comment.returnPressed.connect(self.save_comment)
        self.comment.installEventFilter(self)
        words.addWidget(self.comment, 1)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setMinimumWidth(self.status.fontMetrics().horizontalAdvance("Not saved") + 8)
        self.status.setStyleSheet("color: palette(dark);")
        words.addWidget(self.status)
        self._outer.addLayout(words, 1)
        self._grades = row
        self._render()

    # -- the public face ----------------------------------------------------------------
    def state(self) -> RatingState:
        return self._state

    def set_state(self, state: RatingState) -> None:
        """Show what was already given (no signal)."""
        self._state = state
        self.comment.setText(state.comment or "")
        self.status.setText("")
        self._render()

    def set_judgments(self, judgments: Iterable[Any]) -> None:
        self.set_state(RatingState.from_judgments(judgments))

    def clear(self) -> None:
        self.set_state(RatingState())

    def show_saved(self, ok: bool = True, message: str = "") -> None:
        """Tell the person their grade was committed (or why not)."""
        self.status.setText("Saved" if ok else "Not saved")
        self.status.setStyleSheet("color: #2e7d32;" if ok else "color: #c62828;")
        self.status.setToolTip(message)

    def give_thumb(self, up: bool) -> None:
        self._render()  # a click toggles a checkable button: put it back to the state
        if not self.isEnabled() or self._state.thumb is up:
            return
        self._state = RatingState(up, self._state.stars, self._state.comment)
        self._render()
        self.rated.emit("approve" if up else "reject", 1.0 if up else 0.0, None)

    def give_stars(self, n: int) -> None:
        self._render()
        if not self.isEnabled() or not 1 <= n <= 5 or self._state.stars == n:
            return
        self._state = RatingState(self._state.thumb, n, self._state.comment)
        self._render()
        self.rated.emit("rate", float(n), None)

    def save_comment(self) -> None:
        text = self.comment.text().strip()
        if not self.isEnabled() or not text or text == (self._state.comment or ""):
            return
        self._state = RatingState(self._state.thumb, self._state.stars, text)
        self.rated.emit("comment", None, text)

    def focus_comment(self) -> None:
        self.comment.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.comment.selectAll()

    def handle_key(self, event: QKeyEvent) -> bool:
        """Grade from a key press; True if the key was a rating key (and was used)."""
        if event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier
                                 | Qt.KeyboardModifier.KeypadModifier):
            return False  # Ctrl+1 etc. belong to the window (page switching)
        if not self.isEnabled():
            return False
        key = Qt.Key(event.key())
        if key in UP_KEYS:
            self.give_thumb(True)
        elif key in DOWN_KEYS:
            self.give_thumb(False)
        elif key in STAR_KEYS:
            self.give_stars(STAR_KEYS[key])
        elif key == COMMENT_KEY:
            self.focus_comment()
        else:
            return False
        return True

    def watch(self, widget: QWidget) -> None:
        """Rating keys pressed while ``widget`` has focus grade through this bar."""
        widget.installEventFilter(self)
        self._watched.append(widget)

    # -- Qt plumbing --------------------------------------------------------------------
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """As narrow as the grades alone: the comment then wraps below them."""
        margins = self._outer.contentsMargins()
        narrow = max(self._grades.minimumSize().width(),
                     COMMENT_MIN_WIDTH + self.status.minimumWidth() + 4)
        return QSize(narrow + margins.left() + margins.right(),
                     super().minimumSizeHint().height())

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        """Too narrow for one row: the comment goes below the grades, never over them."""
        margins = self._outer.contentsMargins()
        one_row = (self._grades.minimumSize().width() + self._outer.spacing()
                   + COMMENT_MIN_WIDTH + self.status.minimumWidth() + 4
                   + margins.left() + margins.right())
        wanted = (QBoxLayout.Direction.LeftToRight if self.width() >= one_row
                  else QBoxLayout.Direction.TopToBottom)
        if self._outer.direction() != wanted:
            self._outer.setDirection(wanted)
            self.updateGeometry()
        super().resizeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.handle_key(event):
            super().keyPressEvent(event)

    def focusInEvent(self, event: Any) -> None:  # noqa: N802
        self._set_focused(True)
        super().focusInEvent(event)

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802
        self._set_focused(False)
        super().focusOutEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.comment:
                if event.key() == Qt.Key.Key_Escape:
                    self.comment.setText(self._state.comment or "")
                    self.setFocus(Qt.FocusReason.ShortcutFocusReason)
                    return True
                return False
            if watched in self._watched and self.handle_key(event):
                return True
        elif event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut) and (
                watched is self.comment or watched in self._watched):
            # the bar the keys go to is lit, also while a watched list has the focus
            self._set_focused(event.type() == QEvent.Type.FocusIn)
        return super().eventFilter(watched, event)

    def _set_focused(self, on: bool) -> None:
        self.setProperty("focused", on)
        self.style().unpolish(self)
        self.style().polish(self)

    def _button(self, text: str, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setCheckable(True)
        button.setAutoRaise(True)
        button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)  # whole words
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # focus stays where the keys are typed
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    def _render(self) -> None:
        state = self._state
        self.up.setChecked(state.thumb is True)
        self.down.setChecked(state.thumb is False)
        for n, star in enumerate(self.stars, start=1):
            filled = state.stars is not None and n <= state.stars
            star.setChecked(filled)
            star.setText("★" if filled else "☆")
