"""Exercises made of plain widgets: buttons, a form, check boxes, a combo box, a slider.

The one design choice a reader must know: the combo box's popup is a drop-down below the box
(``combobox-popup: 0``) and is measured once, by really opening and closing it at start, so
the solver can plan the click on a row before the popup exists.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QVBoxLayout,
    QWidget,
)

from app.practice.common import GeometryBuilder, Kind, box_of, name


class ButtonKind(Kind):
    def build(self) -> QWidget:
        self.clicked: list[str] = []
        self.buttons: dict[str, QPushButton] = {}
        body = QWidget()
        grid = QGridLayout(body)
        grid.setSpacing(self.params["spacing"])
        columns = self.params["columns"]
        for i, label in enumerate(self.params["labels"]):
            button = QPushButton(label)
            button.setMinimumHeight(self.params["min_height"])
            button.setMinimumWidth(110)
            button.clicked.connect(lambda _=False, b=label: self._click(b))
            self.buttons[label] = name(button, f"button:{label}")
            grid.addWidget(button, i // columns, i % columns)
        return body

    def _click(self, label: str) -> None:
        self.clicked.append(label)
        self.changed.emit()

    def state(self) -> dict[str, Any]:
        return {"clicked": list(self.clicked)}

    def describe(self, geometry: GeometryBuilder) -> None:
        for button in self.buttons.values():
            geometry.widget(button)


class FormKind(Kind):
    def build(self) -> QWidget:
        self.submitted: dict[str, str] | None = None
        self.edits: dict[str, QLineEdit] = {}
        body = QGroupBox("Details")
        outer = QVBoxLayout(body)
        form = QFormLayout()
        if self.params["labels_above"]:
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        for label in self.params["fields"]:
            edit = QLineEdit()
            edit.setPlaceholderText(label)
            edit.textChanged.connect(self.changed)
            self.edits[label] = name(edit, f"field:{label}")
            form.addRow(f"{label}:", edit)
        outer.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        self.submit = QPushButton(self.params["submit"])
        self.submit.setMinimumWidth(110)
        self.submit.clicked.connect(self._submit)
        row.addWidget(name(self.submit, "submit"))
        outer.addLayout(row)
        return body

    def _submit(self) -> None:
        self.submitted = {label: edit.text() for label, edit in self.edits.items()}
        self.changed.emit()

    def state(self) -> dict[str, Any]:
        return {"values": {label: e.text() for label, e in self.edits.items()},
                "submitted": self.submitted}

    def describe(self, geometry: GeometryBuilder) -> None:
        for edit in self.edits.values():
            geometry.widget(edit)
        geometry.widget(self.submit)


class CheckboxesKind(Kind):
    def build(self) -> QWidget:
        self.boxes: dict[str, QCheckBox] = {}
        body = QGroupBox("Options")
        layout = QVBoxLayout(body)
        for label in self.params["labels"]:
            box = QCheckBox(label)
            box.setChecked(label in self.params["initial"])
            box.toggled.connect(self.changed)
            self.boxes[label] = name(box, f"check:{label}")
            layout.addWidget(box, 0, Qt.AlignmentFlag.AlignLeft)  # box = its clickable area
        return body

    def state(self) -> dict[str, Any]:
        return {"checked": [label for label, b in self.boxes.items() if b.isChecked()]}

    def describe(self, geometry: GeometryBuilder) -> None:
        for box in self.boxes.values():
            geometry.widget(box)


class ComboKind(Kind):
    def build(self) -> QWidget:
        self.rows: dict[str, Any] = {}
        body = QWidget()
        layout = QFormLayout(body)
        self.combo = QComboBox()
        self.combo.setStyleSheet("QComboBox { combobox-popup: 0; }")
        self.combo.addItems(self.params["options"])
        self.combo.setPlaceholderText("Choose…")
        self.combo.setCurrentIndex(-1)
        self.combo.setMinimumWidth(220)
        self.combo.currentIndexChanged.connect(self.changed)
        layout.addRow(f"{self.params['label']}:", name(self.combo, "combo"))
        return body

    def settle(self) -> None:
        """Open the popup once, note where each row is, close it again."""
        self.combo.showPopup()
        view = self.combo.view()
        self.rows = {self.combo.itemText(i): box_of(view.viewport(),
                                                     view.visualRect(view.model().index(i, 0)))
                     for i in range(self.combo.count())}
        self.combo.hidePopup()
        self.changed.emit()

    def state(self) -> dict[str, Any]:
        index = self.combo.currentIndex()
        return {"current": self.combo.itemText(index) if index >= 0 else None}

    def describe(self, geometry: GeometryBuilder) -> None:
        geometry.widget(self.combo)
        for text, box in self.rows.items():
            geometry.box(f"combo_item:{text}", box)


class SliderKind(Kind):
    def build(self) -> QWidget:
        p = self.params
        body = QGroupBox(p["label"])
        layout = QHBoxLayout(body)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(p["minimum"], p["maximum"])
        self.slider.setValue(p["initial"])
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(max(1, p["maximum"] // 10))
        self.slider.setMinimumWidth(420)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(40)
        self.slider.valueChanged.connect(self._moved)
        self._moved(self.slider.value())
        layout.addWidget(name(self.slider, "slider"), 1)
        layout.addWidget(self.value_label)
        return body

    def _moved(self, value: int) -> None:
        self.value_label.setText(str(value))
        self.changed.emit()

    def _handle(self, value: int) -> Any:
        option = QStyleOptionSlider()
        self.slider.initStyleOption(option)
        option.sliderPosition = value
        option.sliderValue = value
        return self.slider.style().subControlRect(
            QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle,
            self.slider)

    def state(self) -> dict[str, Any]:
        return {"value": self.slider.value()}

    def describe(self, geometry: GeometryBuilder) -> None:
        geometry.widget(self.slider)
        geometry.box("slider_handle", box_of(self.slider, self._handle(self.slider.value())))
        for value in range(self.slider.minimum(), self.slider.maximum() + 1):
            geometry.number(f"slider_x:{value}", box_of(self.slider, self._handle(value)).center[0])
