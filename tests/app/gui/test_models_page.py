"""The Models page: first run, the three ways to add a model, choosing roles, adapters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.context import AppContext
from app.gui.models_page import ModelsPage
from learner.adapters import AdapterRegistry
from models.hub import Catalogue, add_local, find_recommended
from tests.models.test_hub_fake import FakeHub, gguf_pair_bytes, write_gguf


def local_pair(folder: Path, seed: int) -> tuple[Path, Path]:
    return (write_gguf(folder / f"model{seed}.gguf", n_floats=512, seed=seed),
            write_gguf(folder / f"mmproj{seed}.gguf", kind="mmproj", n_floats=64, seed=seed))


def test_first_run_says_no_model_and_offers_the_three_ways(qtbot: QtBot, ctx: AppContext
                                                           ) -> None:
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    assert page.has_model() is False
    assert page.first_run.isVisibleTo(page) and "No model" in page.first_run.text()
    assert not page.installed.isVisibleTo(page)
    for button in (page.add.download_button, page.add.add_button, page.add.tiny_button):
        assert button.isVisibleTo(page) and button.isEnabled()
    shown = [page.add.table.item(r, 2).text() for r in range(page.add.table.rowCount())]
    assert all(s.startswith("~") and s.endswith("GB") for s in shown), "sizes are shown"


@pytest.mark.slow
def test_building_the_demo_model_updates_the_catalogue(qtbot: QtBot, ctx: AppContext,
                                                       demo_cache: Path) -> None:
    """The first-run offer: the demo model, built (here: reused from the suite's one build)
    by ``deskhand models add-demo`` in its own process."""
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.model_changed, timeout=1_200_000):
        page.add.tiny_button.click()
    catalogue = Catalogue.load(ctx.paths.models_dir)
    assert catalogue.in_use["actor"] == catalogue.in_use["critic"] == "demo"
    assert catalogue.models["demo"].source == "demo"
    assert page.has_model() and not page.first_run.isVisibleTo(page)
    assert "practice desktop only" in page.table.item(0, 2).text()


def test_download_from_a_hub_shows_progress_to_100(qtbot: QtBot, ctx: AppContext,
                                                   tmp_path: Path) -> None:
    rec = find_recommended("qwen3-vl-2b")
    assert rec is not None
    model, proj = gguf_pair_bytes(tmp_path / "src")
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    row = page.add.recommended.index(rec)
    page.add.table.selectRow(row)
    seen: list[int] = []
    page.add.progress.valueChanged.connect(seen.append)
    with FakeHub({(rec.repo, rec.gguf_file): model, (rec.repo, rec.mmproj_file): proj}) as hub:
        page.add.endpoint = hub.endpoint
        with qtbot.waitSignal(page.model_changed, timeout=60_000):
            page.add.download_button.click()
    assert page.add.progress.value() == 100 and seen == sorted(seen)
    assert "installed" in page.add.download_status.text()
    catalogue = Catalogue.load(ctx.paths.models_dir)
    assert catalogue.models[rec.name].source == "downloaded"
    assert (ctx.paths.models_dir / rec.name / rec.gguf_file).read_bytes() == model
    assert page.has_model()


def test_a_failed_download_shows_why_and_resumes(qtbot: QtBot, ctx: AppContext,
                                                 tmp_path: Path) -> None:
    rec = find_recommended("qwen3-vl-2b")
    assert rec is not None
    model, proj = gguf_pair_bytes(tmp_path / "src")
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    page.add.table.selectRow(page.add.recommended.index(rec))
    with FakeHub({(rec.repo, rec.gguf_file): model}) as hub:  # the projector is missing
        page.add.endpoint = hub.endpoint
        page.add.download_button.click()
        # the job's queued slots (status text, then button state) arrive as separate events
        qtbot.waitUntil(lambda: "failed" in page.add.download_status.text()
                        and "Resume" in page.add.download_button.text(), timeout=60_000)
    assert "does not exist" in page.add.download_status.text()
    assert not page.has_model() and page.add.download_button.isEnabled()
    files = {(rec.repo, rec.gguf_file): model, (rec.repo, rec.mmproj_file): proj}
    with FakeHub(files) as hub:
        page.add.endpoint = hub.endpoint
        with qtbot.waitSignal(page.model_changed, timeout=60_000):
            page.add.download_button.click()
        assert len(hub.blob_gets()) == 1, "the model file already fetched was not fetched again"
    assert page.has_model()


def test_local_files_errors_are_shown_by_the_field(qtbot: QtBot, ctx: AppContext,
                                                   tmp_path: Path) -> None:
    gguf, mmproj = local_pair(tmp_path, 1)
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    page.add.gguf_edit.setText(str(gguf))
    page.add.add_button.click()
    assert page.add.mmproj_error.isVisibleTo(page) and "Choose" in page.add.mmproj_error.text()
    page.add.mmproj_edit.setText(str(gguf))  # a text model where the projector belongs
    page.add.add_button.click()
    qtbot.waitUntil(lambda: page.add.mmproj_error.isVisibleTo(page), timeout=10_000)
    assert "not a vision projector" in page.add.mmproj_error.text()
    assert not Catalogue.load(ctx.paths.models_dir).models
    page.add.mmproj_edit.setText(str(mmproj))
    with qtbot.waitSignal(page.model_changed, timeout=30_000):
        page.add.add_button.click()
    assert Catalogue.load(ctx.paths.models_dir).in_use == {"actor": "model1"}


def test_choosing_actor_and_critic_persists(qtbot: QtBot, ctx: AppContext,
                                            tmp_path: Path) -> None:
    catalogue = Catalogue.load(ctx.paths.models_dir)
    for seed in (1, 2):
        add_local(catalogue, *local_pair(tmp_path, seed))
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    assert page.table.rowCount() == 2
    training = page.table.item(0, 5)
    assert training is not None  # no weights known: the page says the command that fixes it
    assert training.text() == "none known: deskhand models download model1 --hf FOLDER_OR_REPO"
    changed: list[bool] = []
    page.model_changed.connect(lambda: changed.append(True))
    for combo, name in ((page.actor_combo, "model2"), (page.critic_combo, "model1")):
        combo.setCurrentIndex(combo.findData(name))
        combo.activated.emit(combo.currentIndex())
    assert Catalogue.load(ctx.paths.models_dir).in_use == {"actor": "model2", "critic": "model1"}
    page.critic_combo.setCurrentIndex(0)  # the same as the actor
    page.critic_combo.activated.emit(0)
    assert Catalogue.load(ctx.paths.models_dir).in_use == {"actor": "model2"}
    assert len(changed) == 3
    page.table.selectRow(1)  # model2, the actor
    page.remove_selected(confirm=False)
    assert sorted(Catalogue.load(ctx.paths.models_dir).models) == ["model1"]
    assert gguf_exists(tmp_path, 2), "a local model's files are never deleted"


def gguf_exists(folder: Path, seed: int) -> bool:
    return (folder / f"model{seed}.gguf").is_file()


def register(registry: AdapterRegistry, tmp_path: Path, n: int, promote: bool) -> int:
    peft = tmp_path / f"peft{n}"
    peft.mkdir()
    (peft / "adapter_config.json").write_text(json.dumps({"n": n}))
    (peft / "adapter_model.safetensors").write_bytes(bytes([n]) * 64)
    gguf = tmp_path / f"a{n}.gguf"
    gguf.write_bytes(bytes([n]) * 32)
    version = registry.register("actor", peft, gguf, {
        "metrics": {"candidate": {"verifiable_reward": 0.5 + n / 10, "n": 12}}})
    registry.record_decision("actor", version, {
        "promote": promote, "reasons": [f"reason for v{version}"]})
    return version


def test_promote_and_rollback_change_the_active_version(qtbot: QtBot, ctx: AppContext,
                                                        tmp_path: Path) -> None:
    Catalogue.load(ctx.paths.models_dir)
    ctx.db.call(lambda store: [register(AdapterRegistry(ctx.paths.adapters_dir, store),
                                        tmp_path, n, n == 1) for n in (1, 2)])
    page = ModelsPage(ctx)
    qtbot.addWidget(page)
    table = page.adapters.tables["actor"]
    qtbot.waitUntil(lambda: len(table.versions) == 2, timeout=10_000)
    assert table.versions[0].version == 2 and "0.700" in table.versions[0].figures
    table.table.selectRow(1)
    assert "reason for v1" in table.reasons.text(), "the gate's reasons are shown"
    table.promote_button.click()
    registry = AdapterRegistry(ctx.paths.adapters_dir)
    qtbot.waitUntil(lambda: (a := registry.active("actor")) is not None and a.version == 1,
                    timeout=10_000)
    qtbot.waitUntil(lambda: "now active" in page.adapters.message.text(), timeout=10_000)
    table.table.selectRow(0)
    table.promote_button.click()
    qtbot.waitUntil(lambda: (a := registry.active("actor")) is not None and a.version == 2,
                    timeout=10_000)
    table.rollback_button.click()
    qtbot.waitUntil(lambda: (a := registry.active("actor")) is not None and a.version == 1,
                    timeout=10_000)
    qtbot.waitUntil(lambda: [v.status for v in table.versions] == ["retired", "active"],
                    timeout=10_000)
