"""End to end under Xvfb: the real app and the practice desktop, a task given in the chat,
two steps approved, one corrected by clicking on the screenshot, the episode rated — and the
store holds exactly that, and the practice exercise is really solved.

The app runs in its own process on the ``xcb`` platform (this test process already has an
offscreen ``QApplication``) and is driven through its widgets by a small driver script. The
tiny model is installed and configured as the actor (so the app starts on the chat page), but
the episode's actions come from a scripted actor: the tiny model's output is random text that
almost never parses, so "approve two steps" would be impossible with it. Everything else is
real: ``MssScreen`` on the X display, ``PyAutoGuiActuator`` moving the X pointer, the stop
hotkey listener, the main window moving aside while the agent looks and acts, the panel, and
the target marker before the click.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.paths import Paths
from agent.practice.channel import wait_for_state
from models.tiny import TinyModel
from tests.fixtures.display import XDisplay

ROOT = Path(__file__).resolve().parents[3]

DRIVER = r'''
import json, sys, time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from agent.paths import Paths
from agent.episode import EpisodeMeta
from tests.fakes.policy import ScriptedPolicy
from app.gui.chat.page import ChatOptions
from app.gui.chat.parts import DesktopParts
from app.gui.main import build_window
from app.state import CliState
from models.actions import Click, Done, Move

home, out, target = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
app = QApplication([sys.argv[0]])
state = CliState(Paths.resolve(home))
window, db = build_window(state)
window.show()
log = {"events": []}

def wait(cond, what, timeout=60.0):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)

chat = window.chat
log["start_page"] = window.current_key()
script = [Move(40, 40), Click(5, 1070), Done("pressed the button")]  # step 2 is wrong
chat.options = ChatOptions(move_aside=True, show_panel=True, target_marker_s=0.3)
chat.set_parts_factory(DesktopParts(state.paths, state.config, policy_factory=lambda agent: (
    ScriptedPolicy(script), EpisodeMeta(actor_model="scripted (e2e)"))))
hidden_while_acting = []
marked = chat.worker.hooks.mark

def mark(action):  # runs on the episode thread right before the actuator acts
    marked(action)
    hidden_while_acting.append((action.kind, window.isVisible(), chat.panel().isVisible()))

chat.worker.hooks.mark = mark
wait(lambda: window.isVisible(), "the window")
QTest.keyClicks(chat.task, "Click the button labelled Cyan")
QTest.keyClick(chat.task, Qt.Key.Key_Return)
for number in range(3):
    wait(lambda: chat.review.isVisible() and chat.review.view is not None
         and chat.review.view.index == number and window.isVisible(), f"review {number}")
    log["events"].append(f"review {number}: {chat.review.title.text()}")
    if number == 1:
        image = chat.review.image
        QTest.mouseClick(image, Qt.MouseButton.LeftButton, pos=image.widget_point(*target))
        log["corrected_to"] = list(chat.review.edited_action().__dict__.values())[:2]
    if number == 2:
        window.grab().save(str(out.with_name("review.png")))
    QTest.mouseClick(chat.review.primary, Qt.MouseButton.LeftButton)
wait(lambda: not chat.running, "the end of the episode")
block = chat.block
block.rating.setFocus()
QTest.keyClick(block.rating, Qt.Key.Key_4)
wait(lambda: block.rating.status.text() == "Saved", "the saved rating")
window.grab().save(str(out.with_name("after.png")))
log["hidden_while_acting"] = hidden_while_acting
log["panel_rect"] = list(chat.panel().screen_rect().__dict__.values())
log["outcome"] = block.outcome.text()
out.write_text(json.dumps(log))
window.close()
db.close()
'''


@pytest.mark.display
def test_a_task_approved_corrected_and_rated_on_the_practice_desktop(
        xdisplay: XDisplay, home: Paths, tmp_path: Path, tiny_model: TinyModel) -> None:
    from models.hub import Catalogue
    from models.hub.install import add_local

    catalogue = Catalogue.load(home.models_dir)
    installed = add_local(catalogue, tiny_model.gguf_path, tiny_model.mmproj_path, name="tiny")
    catalogue.use(installed.name, "actor")
    catalogue.save()
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=xdisplay.name,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("DESKHAND_DRY_RUN", None)
    state_file, solution = tmp_path / "practice.json", tmp_path / "solution.jsonl"
    practice_log = (tmp_path / "practice.log").open("wb")
    practice = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--home", str(home.data_dir.parent), "practice",
         "-e", "button", "--seed", "1", "--state-file", str(state_file), "--solution",
         str(solution)], cwd=ROOT, env=env, stdout=practice_log, stderr=subprocess.STDOUT)
    try:
        document = wait_for_state(state_file, lambda d: bool(d["settled"]), timeout=60)
        assert not document["solved"]
        first = json.loads(solution.read_text(encoding="utf-8").splitlines()[0])
        target = [first["x"], first["y"]]  # the centre of the right button
        (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
        out = tmp_path / "driver.json"
        driver = subprocess.run(
            [sys.executable, str(tmp_path / "driver.py"), str(home.data_dir.parent), str(out),
             json.dumps(target)], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=240)
        assert driver.returncode == 0, driver.stdout[-3000:] + driver.stderr[-3000:]
        log = json.loads(out.read_text())
        assert log["start_page"] == "chat", "with a model installed the chat comes first"
        assert [tuple(x) for x in log["hidden_while_acting"]] == [
            ("move", False, True), ("click", False, True)], \
            "whenever the agent acts the window is out of the way and the panel is up"
        solved = wait_for_state(state_file, lambda d: bool(d["solved"]), timeout=20)
        assert solved["solved"], "the corrected click pressed the right button"
    finally:
        practice.terminate()
        practice.wait(timeout=20)
        practice_log.close()
    from agent.store.repo import open_store

    store = open_store(home)
    try:
        (episode,) = store.list_episodes()
        steps = store.steps(episode.id)
        assert (episode.task, episode.status) == ("Click the button labelled Cyan", "done")
        assert [s.outcome for s in steps] == ["executed", "corrected", "executed"]
        rows = [(j.kind, j.step_id, j.value) for j in episode.judgments]
        assert rows == [("approve", steps[0].id, 1.0), ("correct", steps[1].id, 1.0),
                        ("approve", steps[2].id, 1.0), ("rate", None, 4.0)]
        corrected = episode.judgments[1].corrected_action
        assert corrected["type"] == "click"
        assert abs(corrected["x"] - target[0]) <= 2 and abs(corrected["y"] - target[1]) <= 2
        assert steps[1].action == {"type": "click", "x": 5, "y": 1070, "button": "left",
                                   "count": 1}, "the proposal is kept beside the correction"
    finally:
        store.close()
