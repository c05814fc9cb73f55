"""``deskhand run`` at a real terminal (a pseudo-terminal, on an X display): ``--approve
never`` asks nothing, "let me do it" records what the person does, steps and the whole episode
are rated, and closing the terminal (SIGHUP) or a SIGTERM stops the episode as a Stop does —
recorded ``stopped``, never left ``running``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent.paths import Paths
from agent.store.repo import open_store
from tests.fixtures.display import XDisplay
from tests.fixtures.probe import Probe

ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    """``deskhand run ...`` with a pseudo-terminal as its stdin, stdout and stderr."""

    def __init__(self, home: Path, display: str, *args: str) -> None:
        master, slave = os.openpty()
        env = {**os.environ, "DISPLAY": display, "DESKHAND_HOME": str(home),
               "NO_COLOR": "1", "TERM": "dumb", "PYTHONPATH": str(ROOT)}
        env.pop("DESKHAND_DRY_RUN", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "run", *args], cwd=ROOT,
                                     env=env, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True)
        os.close(slave)
        self.master: int | None = master
        self.out = ""
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while self.master is not None:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.out += chunk.decode("utf-8", "replace")

    def text(self) -> str:
        with self._lock:
            return self.out

    def wait_for(self, text: str, after: int = 0, timeout: float = 90) -> int:
        """Wait until ``text`` shows after position ``after``; returns where it ends."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.text().find(text, after)
            if found >= 0:
                return found + len(text)
            if self.proc.poll() is not None:
                time.sleep(0.3)
                found = self.text().find(text, after)
                if found >= 0:
                    return found + len(text)
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never showed; the terminal said:\n{self.text()[-3000:]}")

    def type(self, line: str) -> None:
        assert self.master is not None
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout=timeout)
        self.close()
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        master, self.master = self.master, None
        if master is not None:
            os.close(master)


def _replay(path: Path, actions: list[dict[str, object]]) -> str:
    path.write_text("".join(json.dumps(a) + "\n" for a in actions), encoding="utf-8")
    return f"replay:{path}"


@pytest.mark.display
def test_approve_never_asks_nothing_even_at_a_terminal(xdisplay: XDisplay, home: Paths,
                                                       tmp_path: Path) -> None:
    replay = _replay(tmp_path / "r.jsonl", [
        {"type": "move", "x": 40, "y": 40}, {"type": "move", "x": 60, "y": 50},
        {"type": "key", "keys": ["ctrl", "q"]},  # flagged (it quits apps): skipped, not asked
        {"type": "done", "summary": "moved"}])
    terminal = Terminal(home.data_dir.parent, xdisplay.name, "--approve", "never",
                        "--policy", replay, "move around")
    try:
        code = terminal.finish(timeout=120)  # nobody types anything
    finally:
        terminal.close()
    said = terminal.text()
    assert code == 0, said
    assert "Rate" not in said and "[a]pprove" not in said and "[y/N]" not in said, said
    assert "nothing is asked" in said and "skipped" in said
    store = open_store(home)
    try:
        (episode,) = store.list_episodes()
        assert episode.status == "done" and episode.judgments == []
        assert [s.outcome for s in store.steps(episode.id)] == [
            "executed", "executed", "skipped", "executed"]
    finally:
        store.close()


@pytest.mark.display
@pytest.mark.parametrize("name", ["SIGHUP", "SIGTERM"])
def test_closing_the_terminal_stops_the_episode_and_records_it(
        xdisplay: XDisplay, home: Paths, tmp_path: Path, name: str) -> None:
    replay = _replay(tmp_path / "r.jsonl", [{"type": "move", "x": 40, "y": 40},
                                            {"type": "done", "summary": "ok"}])
    terminal = Terminal(home.data_dir.parent, xdisplay.name, "--approve", "each",
                        "--policy", replay, "wait for me")
    try:
        terminal.wait_for("[a]pprove")  # the episode runs and waits for the person
        number = getattr(signal, name)
        os.kill(terminal.proc.pid, number)
        if name == "SIGHUP":
            master, terminal.master = terminal.master, None
            assert master is not None
            os.close(master)  # the terminal is gone too
        code = terminal.proc.wait(timeout=30)
    finally:
        terminal.close()
    assert code == 128 + number
    store = open_store(home)
    try:
        (episode,) = store.list_episodes()
        assert episode.status == "stopped", "never left running until the next start"
        assert "SIGHUP" in (episode.summary or "") if name == "SIGHUP" else True
    finally:
        store.close()


@pytest.mark.display
def test_let_me_do_it_and_ratings_at_the_terminal(xdisplay: XDisplay, home: Paths,
                                                  tmp_path: Path) -> None:
    probe = Probe()  # a window for the person (and the agent) to act on
    replay = _replay(tmp_path / "r.jsonl", [
        {"type": "click", "x": 300, "y": 640}, {"type": "type", "text": "wrong"},
        {"type": "done", "summary": "typed"}])
    terminal = Terminal(home.data_dir.parent, xdisplay.name, "--approve", "each",
                        "--policy", replay, "type a greeting")
    try:
        at = terminal.wait_for("[l]et me do it")
        terminal.type("a")
        at = terminal.wait_for("Rate this step", at)
        terminal.type("+")
        at = terminal.wait_for("[l]et me do it", at)
        terminal.type("l")
        at = terminal.wait_for("then press Enter here", at)
        subprocess.run(["xdotool", "mousemove", "400", "640", "click", "1"], check=True)
        subprocess.run(["xdotool", "type", "--delay", "40", "hi"], check=True)
        probe.wait_for(lambda e: e["ev"] == "text" and e["value"].endswith("hi"))
        time.sleep(0.3)
        terminal.type("")  # Enter, in the terminal: done (never recorded as a key)
        at = terminal.wait_for("Rate this step", at)
        terminal.type("")
        at = terminal.wait_for("[l]et me do it", at)
        terminal.type("a")
        at = terminal.wait_for("Rate this step", at)
        terminal.type("")
        terminal.wait_for("Rate the whole episode", at)
        terminal.type("4")
        code = terminal.finish()
    finally:
        terminal.close()
        probe.close()
    assert code == 0, terminal.text()
    store = open_store(home)
    try:
        (episode,) = store.list_episodes()
        steps = store.steps(episode.id)
        assert [s.outcome for s in steps] == ["executed", "corrected", "corrected", "executed"]
        rows = [(j.kind, next((s.index for s in steps if s.id == j.step_id), None), j.value,
                 j.corrected_action) for j in episode.judgments]
        assert rows == [
            ("approve", 0, 1.0, None),  # approved
            ("approve", 0, 1.0, None),  # + (thumbs up)
            ("correct", 1, 1.0, {"type": "click", "x": 400, "y": 640, "button": "left",
                                 "count": 1}),
            ("correct", 2, 1.0, {"type": "type", "text": "hi"}),
            ("approve", 3, 1.0, None),
            ("rate", None, 4.0, None)]
    finally:
        store.close()
