"""The app's pages, in the order of the navigation, each built by a factory.

Each page is a ``QWidget`` subclass taking ``(ctx: AppContext)``; its module is imported when
the main window is built. A page whose module is missing shows a plain "not built yet" page
rather than breaking the app (pages are written by different hands at different times).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.gui.context import AppContext


@dataclass(frozen=True)
class PageSpec:
    key: str  # also the keyboard shortcut's digit order: Ctrl+1 is the first page
    title: str
    module: str
    cls: str


PAGES = (
    PageSpec("chat", "Chat", "app.gui.chat.page", "ChatPage"),
    PageSpec("history", "History", "app.gui.history.page", "HistoryPage"),
    PageSpec("models", "Models", "app.gui.models_page", "ModelsPage"),
    PageSpec("training", "Training", "app.gui.training.page", "TrainingPage"),
    PageSpec("settings", "Settings", "app.gui.settings_page", "SettingsPage"),
)


def build_page(spec: PageSpec, ctx: AppContext) -> QWidget:
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not spec.module.startswith(exc.name):
            raise  # a real import error inside the page: don't hide it
        return _placeholder(spec)
    page: QWidget = getattr(module, spec.cls)(ctx)
    return page


def _placeholder(spec: PageSpec) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    label = QLabel(f"<h2>{spec.title}</h2><p>This page is not built yet.</p>")
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    layout.addWidget(label)
    return page
