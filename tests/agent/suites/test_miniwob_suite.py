"""The MiniWoB++ suite on a real X display: Chromium as a window, the page's reward as the
verdict, the DOM oracle's clicks sent through the real actuator wherever the window is."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest

from agent.actuator import Pacing, PyAutoGuiActuator
from agent.episode import EpisodeMeta
from agent.policy import PolicyRequest
from agent.safety import SafetyConfig
from agent.settings import AgentConfig
from agent.store.repo import Store
from agent.suites.base import judge_of
from agent.suites.miniwob import MiniWobSuite
from agent.suites.miniwob_browser import ChromiumWindow
from agent.suites.miniwob_setup import STANDARD_TASKS, Browser
from agent.suites.oracle_policy import OraclePolicy
from agent.suites.simulated_user import SimulatedUser
from models.actions import Click, Fail, Key, Type
from tests.fakes.policy import ScriptedPolicy
from tests.fixtures.display import XDisplay

pytestmark = pytest.mark.display


@pytest.fixture(scope="module")
def window(xdisplay: XDisplay, chromium: Browser) -> Iterator[ChromiumWindow]:
    shared = ChromiumWindow(chromium, display=xdisplay.name, scale=1.0, position=(60, 50))
    yield shared
    shared.quit()


@pytest.fixture(scope="module")
def hands(xdisplay: XDisplay) -> Iterator[PyAutoGuiActuator]:
    actuator = PyAutoGuiActuator(pacing=Pacing(move_duration=0.01))
    yield actuator
    actuator.close()


def _solve(suite: MiniWobSuite, hands: PyAutoGuiActuator, limit: int = 10) -> int:
    """Act out the oracle's steps (each one ``accepts`` must agree with); the steps taken."""
    for taken in range(1, limit + 1):
        plan = suite.oracle()
        assert plan, suite.oracle_note
        assert suite.accepts(plan[0]), f"the oracle's own step is refused: {plan[0]}"
        hands.execute(plan[0])
        if suite.verdict().done:
            return taken
    raise AssertionError(f"{suite.task} not over after {limit} steps")


def test_the_oracle_solves_every_standard_task_with_the_real_mouse_and_keys(
        window: ChromiumWindow, hands: PyAutoGuiActuator) -> None:
    suite = MiniWobSuite.sharing(window, STANDARD_TASKS)
    for seed in range(len(STANDARD_TASKS)):
        utterance = suite.reset(seed)
        assert suite.task == STANDARD_TASKS[seed] and utterance
        verdict = suite.verdict()
        assert not verdict.done and judge_of(suite) is None
        _solve(suite, hands)
        verdict = suite.verdict()
        assert verdict.done and verdict.success and verdict.reward > 0, verdict
        assert judge_of(suite) == ("done", f"miniwob: {verdict.details}")
        assert verdict.details.startswith(f"{suite.task}: reward 1")
        assert suite.oracle() == [] and "over" in suite.oracle_note
        suite.close()


def test_the_same_seed_gives_the_same_task(window: ChromiumWindow) -> None:
    suite = MiniWobSuite.sharing(window, ["click-button", "enter-text"])
    first = [suite.reset(seed) for seed in (4, 5)]
    again = [suite.reset(seed) for seed in (4, 5)]
    assert first == again and len({suite.reset(s) for s in range(0, 12, 2)}) > 1


def test_only_a_click_on_the_target_is_accepted_and_a_wrong_one_fails_the_task(
        window: ChromiumWindow, hands: PyAutoGuiActuator) -> None:
    suite = MiniWobSuite.sharing(window, ["click-test-2"])
    for seed in range(3, 20):  # a seed where the other button is not under the right one
        utterance = suite.reset(seed)
        wanted = "ONE" if "ONE" in utterance else "TWO"
        other = window.js(
            "var want = arguments[0], b = [].slice.call(document.querySelectorAll('#area "
            "button')).filter(function (e) { return e.textContent !== want; })[0];"
            "var r = b.getBoundingClientRect(), x = r.left + r.width / 2,"
            " y = r.top + r.height / 2;"
            "return document.elementFromPoint(x, y) === b ? [x, y] : null;", wanted)
        if other is not None:
            break
    [right] = suite.oracle()
    assert isinstance(right, Click)
    wrong = Click(*window.viewport().to_screen(*other))
    assert suite.accepts(right)
    assert not suite.accepts(wrong)
    assert not suite.accepts(Click(right.x, right.y, count=2))
    assert not suite.accepts(Click(right.x, right.y, button="right"))
    assert not suite.accepts(Type(wanted))
    hands.execute(wrong)
    verdict = suite.verdict()
    assert verdict.done and not verdict.success and verdict.reward == -1.0


def test_typing_steps_are_judged_by_their_text(window: ChromiumWindow,
                                               hands: PyAutoGuiActuator) -> None:
    suite = MiniWobSuite.sharing(window, ["enter-text"])
    utterance = suite.reset(0)
    name = utterance.split('"')[1]
    click, typing, submit = suite.oracle()
    assert (isinstance(click, Click), typing, isinstance(submit, Click)) == (True, Type(name),
                                                                            True)
    hands.execute(click)
    suite.verdict()
    hands.execute(Type("wrong"))
    suite.verdict()
    plan = suite.oracle()  # a wrong value: select it all, then type over it
    assert plan[:2] == [Key(("ctrl", "a")), Type(name)]
    assert suite.accepts(Key(("control", "A"))) and not suite.accepts(Type(name))
    _solve(suite, hands)
    assert suite.verdict().success


def test_a_window_moved_mid_task_is_followed(window: ChromiumWindow,
                                             hands: PyAutoGuiActuator,
                                             xdisplay: XDisplay) -> None:
    suite = MiniWobSuite.sharing(window, ["click-test", "click-checkboxes"])
    for seed in range(4):
        suite.reset(seed)
        before = suite.oracle()[0]
        rng = random.Random(seed)
        width, height = window.window_size()
        x, y = rng.randint(0, xdisplay.width - width), rng.randint(0, xdisplay.height - height)
        start = window.viewport()
        window.move(x, y)
        moved = window.viewport()
        after = suite.oracle()[0]
        assert isinstance(before, Click) and isinstance(after, Click)
        shift = (moved.left - start.left, moved.top - start.top)
        assert shift != (0, 0)
        assert abs(after.x - before.x - shift[0]) <= 1 and abs(after.y - before.y - shift[1]) <= 1
        _solve(suite, hands)
        assert suite.verdict().success


def test_a_task_without_an_oracle_still_runs_and_the_oracle_policy_gives_up_saying_why(
        window: ChromiumWindow) -> None:
    suite = MiniWobSuite.sharing(window, ["use-slider"])
    assert suite.reset(1)
    assert suite.oracle() == [] and "does not know the task use-slider" in suite.oracle_note
    assert not suite.accepts(Click(100, 100)) and not suite.verdict().done
    proposal = OraclePolicy(suite).propose(None)  # type: ignore[arg-type]
    assert isinstance(proposal.action, Fail) and "use-slider" in proposal.action.reason


def test_the_page_timer_when_asked_for_ends_the_task(window: ChromiumWindow) -> None:
    suite = MiniWobSuite.sharing(window, ["click-test"], time_limit_s=0.3)
    suite.reset(2)
    time.sleep(0.6)
    verdict = suite.verdict()
    assert verdict.done and not verdict.success and verdict.reward == -1.0
    assert "timed out" in verdict.details


def test_a_closed_browser_fails_the_task_and_the_next_reset_opens_a_new_one(
        xdisplay: XDisplay, chromium: Browser, hands: PyAutoGuiActuator) -> None:
    with MiniWobSuite(["focus-text"], display=xdisplay.name, scale=1.0,
                      position=(500, 300)) as suite:
        suite.reset(0)
        suite.window.driver.close()  # the person (or the agent) closed the window
        verdict = suite.verdict()
        assert verdict.done and not verdict.success and "browser is gone" in verdict.details
        suite.window.quit()
        suite.reset(1)
        _solve(suite, hands)
        assert suite.verdict().success
    assert suite.window.driver is None


def test_the_simulated_user_corrects_wrong_clicks_with_the_oracle_target(
        window: ChromiumWindow, store: Store) -> None:
    from app.suite_runs import run_suite_episode

    suite = MiniWobSuite.sharing(window, ["click-button"])
    user = SimulatedUser(suite, random.Random(1), error_rate=0.0, correct_share=1.0,
                         takeover_share=0.0)
    policy = ScriptedPolicy([Click(5, 5), Click(6, 6), Click(7, 7)])
    ep = run_suite_episode(suite, 7, store=store, policy=policy, meta=EpisodeMeta(),
                           gate=user, agent=AgentConfig(approval="each", rate_steps=False,
                                                        step_pause_s=0.0),
                           safety=SafetyConfig(max_steps=3), source="eval")
    assert ep.success and ep.steps == 1 and user.tally.corrected == 1
    [step] = store.steps(ep.result.episode_id)
    [judgment] = step.judgments
    assert judgment.kind == "correct" and judgment.corrected_action["type"] == "click"
    assert step.outcome == "corrected"
    assert store.get_episode(ep.result.episode_id).source == "eval"


def test_the_oracle_policy_proposes_the_next_step(window: ChromiumWindow) -> None:
    suite = MiniWobSuite.sharing(window, ["click-dialog"])
    suite.reset(5)
    tokens: list[str] = []
    request: PolicyRequest = None  # type: ignore[assignment]
    proposal = OraclePolicy(suite).propose(request, tokens.append)
    assert proposal.action == suite.oracle()[0] and proposal.parse_error is None
    assert tokens == [proposal.raw] and "oracle_s" in proposal.timings


def test_the_pointer_probe_corrects_a_window_that_misreports_where_it_is(
        xdisplay: XDisplay, chromium: Browser, hands: PyAutoGuiActuator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.suites import miniwob_browser

    honest = miniwob_browser.viewport_of

    def misreported(geometry: list[float], scale: float,
                    offset: tuple[float, float] = (0.0, 0.0)) -> miniwob_browser.Viewport:
        # what a window manager that reports its frame, not the window, would give
        return honest(geometry, scale, (offset[0] - 4, offset[1] - 26))

    monkeypatch.setattr(miniwob_browser, "viewport_of", misreported)
    with MiniWobSuite(["click-shape"], display=xdisplay.name, scale=1.5,
                      position=(700, 200)) as suite:
        suite.reset(0)
        assert suite.window.offset == pytest.approx((4, 26), abs=2.5)
        for seed in range(3):
            suite.reset(seed)
            _solve(suite, hands)
            assert suite.verdict().success


def test_the_display_says_how_long_ago_input_came(window: ChromiumWindow,
                                                   hands: PyAutoGuiActuator) -> None:
    before = time.monotonic()
    hands.execute(Click(5, 5))
    just_now = window.input_idle_s()
    assert just_now is not None and just_now <= time.monotonic() - before + 0.01
    time.sleep(0.3)
    later = window.input_idle_s()
    assert later is not None and later >= 0.29


def test_a_page_the_agent_navigated_away_from_is_loaded_again(window: ChromiumWindow,
                                                              hands: PyAutoGuiActuator) -> None:
    suite = MiniWobSuite.sharing(window, ["click-link"])
    suite.reset(0)
    window.js("window.location.href = 'about:blank';")
    while window.js("return location.href;") != "about:blank":
        time.sleep(0.01)
    verdict = suite.verdict()
    assert verdict.done and not verdict.success and "page was left" in verdict.details
    suite.close()
    suite.reset(1)
    _solve(suite, hands)
    assert suite.verdict().success
