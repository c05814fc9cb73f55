"""A person at the desk, for ``test_person_in_the_loop``: the real app, driven by hand.

Run as ``python -m tests.app.gui.person_driver HOME OUT STATE_FILE EPISODES`` on an X display
with a window manager, beside the practice desktop's form exercise (its state in STATE_FILE).
The app is the real one — ``MssScreen``, ``PyAutoGuiActuator``, the stop hotkey, takeover
detection and the "let me do it" recorder — with a scripted actor in place of the model. The
person's hands are xdotool: real X input through XTEST, which the X server (and so Deskhand's
listeners) reports exactly like a person's keyboard and mouse. Nothing is clicked through Qt.

Each episode, on the form: the agent clicks the first field (the person presses Enter), then
clicks beside the form (the person clicks the right field on the screenshot and presses Enter
to save the correction), then wants to type a wrong text (the person presses "Let me do it",
clicks the first field and types a text of their own, then "I'm done" on the panel), then
types a text of its own (Enter), then presses the form's button (Enter), then says done
(Enter); the person rates the episode with a digit. Every other episode the person also
touches the mouse while the agent thinks — a real takeover — and hands control back, by the
panel's Resume or by Ctrl+R in the main window. What the test checks comes back in OUT: every
pause and its cause, each step as reviewed, and what the practice form recorded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QWidget

from agent.episode import EpisodeMeta
from agent.paths import Paths
from agent.policy import PolicyRequest, Proposal
from agent.practice.channel import read_state
from app.gui.chat.page import ChatOptions
from app.gui.main import build_window
from app.state import CliState
from models.actions import Action, Click, Done, Type
from tests.fakes.policy import ScriptedPolicy

TIMEOUT_S = 60.0


class HeldPolicy:
    """The scripted actor, held before proposal number ``hold_at`` until ``release`` is set
    (the person uses the computer meanwhile)."""

    def __init__(self, script: list[Action], hold_at: int | None) -> None:
        self.inner = ScriptedPolicy(script)
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()

    def propose(self, request: PolicyRequest, on_token: Any = None) -> Proposal:
        if len(self.inner.requests) == self.hold_at:
            self.holding.set()
            while not self.release.wait(0.02):
                if self.inner.cancelled.is_set():
                    return Proposal("", "", None, "cancelled", cancelled=True)
        return self.inner.propose(request, on_token)

    def cancel(self) -> None:
        self.inner.cancel()


class Person:
    """The hands (xdotool) and the eyes (the widgets' places on the screen)."""

    def __init__(self, app: QApplication, log: dict[str, Any]) -> None:
        self.app, self.log = app, log

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        end = time.monotonic() + TIMEOUT_S
        while not condition():
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting for {what}")
            self.app.processEvents()
            time.sleep(0.01)

    def xdo(self, *args: object) -> None:
        subprocess.run(["xdotool", *map(str, args)], check=True, timeout=30)
        self.pump(0.05)

    def click(self, x: int, y: int) -> None:
        self.xdo("mousemove", x, y)
        self.pump(0.05)
        self.xdo("click", 1)

    def click_widget(self, widget: QWidget, point: QPoint | None = None) -> None:
        self.pump(0.1)  # the window manager may still be placing it
        here = widget.mapToGlobal(point if point is not None else widget.rect().center())
        self.click(here.x(), here.y())

    def key(self, *keys: str) -> None:
        self.xdo("key", *keys)

    def type(self, text: str) -> None:
        self.xdo("type", "--delay", "40", text)


def centre(box: list[int]) -> tuple[int, int]:
    x, y, w, h = box
    return x + w // 2, y + h // 2


def main() -> None:
    home, out, state_file, episodes = (Path(sys.argv[1]), Path(sys.argv[2]),
                                       Path(sys.argv[3]), int(sys.argv[4]))
    app = QApplication([sys.argv[0]])
    state = CliState(Paths.resolve(home))
    window, db = build_window(state)
    window.show_page("chat")
    window.show()
    log: dict[str, Any] = {"episodes": [], "pauses": [], "statuses": []}
    person = Person(app, log)
    chat = window.chat
    chat.options = ChatOptions(move_aside=True, show_panel=True, target_marker_s=0.2)
    chat.taken_over.connect(lambda what: log["pauses"].append(what))
    chat.worker.status.connect(lambda text: log["statuses"].append(text))
    boxes = read_state(state_file)["geometry"]["boxes"]  # type: ignore[index]
    fields = sorted(name for name in boxes if name.startswith("field:"))
    first, second, submit = centre(boxes[fields[0]]), centre(boxes[fields[1]]), \
        centre(boxes["submit"])
    person.wait(lambda: window.isVisible(), "the window")
    person.pump(0.5)
    try:
        for number in range(episodes):
            log["episodes"].append(episode(person, window, chat, number, state_file,
                                           first, second, submit))
    except SystemExit as exc:
        log["error"] = str(exc)
        window.grab().save(str(out.with_name("failed.png")))
    out.write_text(json.dumps(log, indent=1))
    window.grab().save(str(out.with_name("last.png")))
    chat.stop()
    window.close()
    db.close()


def episode(person: Person, window: Any, chat: Any, number: int, state_file: Path,
            first: tuple[int, int], second: tuple[int, int],
            submit: tuple[int, int]) -> dict[str, Any]:
    mine, theirs = f"agent{number}", f"me{number}"
    script: list[Action] = [Click(*first), Click(5, 1000), Type("wrong"), Type(mine),
                            Click(*submit), Done(f"filled in #{number}")]
    pause = number % 2 == 1  # every other episode the person uses the computer meanwhile
    policy = HeldPolicy(script, hold_at=4 if pause else None)
    chat.set_parts_factory(chat.desktop_parts(lambda agent: (
        policy, EpisodeMeta(actor_model="scripted (person test)"))))
    record: dict[str, Any] = {"number": number, "typed_by_person": theirs,
                              "typed_by_agent": mine, "reviews": [], "presses": []}
    seen: set[int] = set()

    def review(what: str) -> None:
        person.wait(lambda: chat.review.isVisible() and chat.review.view is not None
                    and chat.review.view.step_id not in seen and window.isVisible(),
                    f"the review of '{what}' in episode {number}")
        view = chat.review.view
        seen.add(view.step_id)
        document = read_state(state_file) or {}
        record["reviews"].append({"what": what, "index": view.index,
                                  "action": view.action.kind})
        record["presses"].append((document.get("last_press") or {}).get("widget"))
        person.pump(0.2)

    person.click_widget(chat.task)
    person.type(f"Fill in the form, round {number}")
    person.key("Return")
    review("click the first field")
    person.key("Return")  # approve
    review("click beside the form")
    image = chat.review.image
    person.click_widget(image, image.widget_point(*second))  # the right place, on the picture
    person.wait(lambda: chat.review.primary.text().startswith("Save correction"),
                "the correction to show")
    person.key("Return")  # save the correction
    review("type a wrong text")
    person.click_widget(chat.review.takeover)  # let me do it
    panel = chat.panel()
    person.wait(lambda: chat.gate.pending == "takeover" and panel.done.isVisible()
                and not window.isVisible(), "the takeover")
    person.pump(0.3)
    person.click(*first)
    person.type(theirs)
    person.pump(0.2)
    person.click_widget(panel.done)  # I'm done
    review("type the agent's text")
    person.key("Return")
    if pause:
        person.wait(policy.holding.is_set, "the agent thinking")
        # a while after the last answer: what the hand does right after one is still for
        # Deskhand (control.own_input_grace_s)
        person.pump(chat.ctx.config.control.own_input_grace_s + 0.5)
        person.xdo("mousemove", first[0] + 40, first[1] + 60)  # the person's own hand
        person.xdo("mousemove", first[0] + 80, first[1] + 90)
        person.wait(lambda: panel.isVisible() and panel.resume.isVisible(), "Resume")
        if number % 4 == 1:
            person.click_widget(panel.resume)
        else:
            person.click_widget(panel.show_app)
            person.wait(lambda: window.isVisible() and chat.question.resume.isVisible(),
                        "Resume in the window")
            person.pump(0.3)
            person.key("ctrl+r")
        person.wait(lambda: chat.worker.paused is not None
                    and not chat.worker.paused.is_set(), "the resume")
        person.pump(0.3)
        policy.release.set()
    review("press the form's button")
    person.key("Return")
    review("say done")
    person.key("Return")
    person.wait(lambda: not chat.running, f"the end of episode {number}")
    block = chat.block
    stars = 1 + number % 5
    person.wait(lambda: window.isActiveWindow() and block.rating.hasFocus(),
                "the episode rating to have the focus")
    person.key(str(stars))
    person.wait(lambda: block.rating.status.text() == "Saved", "the saved rating")
    document = read_state(state_file) or {}
    record.update(stars=stars, outcome=block.outcome.text(), episode_id=block.episode_id,
                  state=document.get("state"), statuses=list(chat.status.text()))
    return record


if __name__ == "__main__":
    main()
