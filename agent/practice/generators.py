"""``make_exercise(kind, seed)``: deterministic, parametric exercises.

Each kind draws its labels, targets, initial values and layout knobs from one
``random.Random`` seeded by the kind and the seed (a string seed hashes the same on every
machine and Python run), so the same (kind, seed) is the same exercise everywhere, and
different seeds vary the words, the number of widgets, their sizes, the theme, the font size
and the window's place and size (always inside a 1366×768 screen).

Two kinds are different on purpose: ``swatch`` ("click the red square": four squares in a
random order of colours) and ``lamp`` ("click the square of the lamp's colour": the
squares always in one order, a lamp lit in one of their colours) are answered by colour alone
and open in a fixed small window at the screen's top-left (``SWATCH_LOOK``), with the squares
at the same places, so a small model trained in minutes on a CPU can learn them from pixels;
they are the demo model's suite. The lamp needs only the lamp's colour (a lookup a small
model learns); the swatch needs finding where a colour is (which it does not learn in minutes).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from agent.practice.spec import KINDS, THEMES, ExerciseError, ExerciseSpec, Look

SCREEN_FIT = (1366, 768)  # the smallest screen every window must fit on

COLORS = ["Orange", "Teal", "Crimson", "Indigo", "Olive", "Amber", "Coral", "Navy", "Lime",
          "Plum", "Silver", "Maroon", "Violet", "Cyan", "Beige", "Khaki", "Salmon", "Ivory"]
FRUITS = ["Apple", "Banana", "Cherry", "Mango", "Papaya", "Kiwi", "Lemon", "Peach", "Plum",
          "Grape", "Melon", "Guava", "Apricot", "Fig", "Lychee", "Quince"]
ANIMALS = ["Falcon", "Otter", "Badger", "Heron", "Lynx", "Marten", "Bison", "Gecko", "Ibis",
           "Walrus", "Koala", "Puffin", "Tapir", "Okapi", "Ferret", "Raven"]
CITIES = ["Lyon", "Porto", "Ghent", "Bergen", "Krakow", "Seville", "Utrecht", "Tallinn",
          "Bologna", "Graz", "Aarhus", "Lucerne", "Cork", "Turku", "Brno", "Nantes"]
NAMES = ["Alice Moreau", "Bruno Keller", "Chiara Rossi", "Dmitri Orlov", "Elena Vidal",
         "Farid Haddad", "Grete Olsen", "Hugo Lambert", "Ines Duarte", "Jonas Berg"]
WORDS = ["quarterly", "report", "draft", "meeting", "notes", "budget", "review", "summary",
         "deadline", "invoice", "garden", "weekend", "plan", "ticket", "release", "coffee"]
MENUS = {
    "File": ["New", "Open…", "Save as…", "Export", "Print", "Close"],
    "Edit": ["Undo", "Redo", "Cut", "Copy", "Paste", "Find…"],
    "View": ["Zoom in", "Zoom out", "Full screen", "Show ruler", "Word wrap"],
    "Insert": ["Image", "Table", "Link", "Date", "Page break"],
    "Format": ["Bold", "Italic", "Underline", "Align left", "Align right"],
    "Tools": ["Word count", "Spelling", "Macros", "Options…"],
    "Help": ["Manual", "Shortcuts", "About"],
}
QUESTIONS = [
    ("Save changes to report.txt before closing?", ["Save", "Don't save", "Cancel"]),
    ("A file named budget.ods already exists. What do you want to do?",
     ["Replace", "Keep both", "Skip"]),
    ("Install the update now?", ["Install now", "Remind me later", "Never"]),
    ("Delete 3 selected photos?", ["Delete", "Move to archive", "Cancel"]),
    ("Allow notifications from Calendar?", ["Allow", "Block", "Ask every time"]),
]
FORM_FIELDS: list[tuple[str, Callable[[random.Random], str]]] = [
    ("Name", lambda r: r.choice(NAMES)),
    ("City", lambda r: r.choice(CITIES)),
    ("Email", lambda r: f"{r.choice(WORDS)}.{r.randint(1, 99)}@example.org"),
    ("Phone", lambda r: f"+33 {r.randint(100, 999)} {r.randint(1000, 9999)}"),
    ("Order number", lambda r: f"A-{r.randint(10000, 99999)}"),
    ("Pet", lambda r: r.choice(ANIMALS)),
]


def _look(r: random.Random) -> Look:
    width, height = r.randint(560, 760), r.randint(430, 540)
    x = r.randint(20, SCREEN_FIT[0] - width - 20)
    y = r.randint(20, SCREEN_FIT[1] - height - 60)
    return Look(r.choice(THEMES), r.choice([10, 11, 12, 13]), x, y, width, height)


def _pool(r: random.Random) -> list[str]:
    return list(r.choice([COLORS, FRUITS, ANIMALS, CITIES]))


def _button(r: random.Random) -> tuple[str, dict[str, Any]]:
    labels = r.sample(_pool(r), r.randint(4, 9))
    target = r.choice(labels)
    params = {"labels": labels, "target": target, "columns": r.randint(2, 4),
              "spacing": r.randint(6, 24), "min_height": r.randint(28, 44)}
    return f"Click the button labelled '{target}'.", params


def _form(r: random.Random) -> tuple[str, dict[str, Any]]:
    fields = r.sample(FORM_FIELDS, r.randint(2, 4))
    values = {label: make(r) for label, make in fields}
    submit = r.choice(["Submit", "Send", "Save", "OK"])
    said = ", ".join(f"{label} '{value}'" for label, value in values.items())
    params = {"fields": values, "submit": submit, "labels_above": r.random() < 0.5}
    return f"Fill in the form with {said}, then press '{submit}'.", params


def _checkboxes(r: random.Random) -> tuple[str, dict[str, Any]]:
    labels = r.sample(_pool(r), r.randint(4, 8))
    targets = sorted(r.sample(labels, r.randint(1, 3)), key=labels.index)
    initial = [label for label in labels if r.random() < 0.3]
    if set(initial) == set(targets):  # never start solved: one box must change
        flip = r.choice(labels)
        initial = [b for b in labels if (b in initial) != (b == flip)]
    said = ", ".join(f"'{t}'" for t in targets)
    params = {"labels": labels, "targets": targets, "initial": initial}
    return f"Tick exactly these boxes and leave all others unticked: {said}.", params


def _menu(r: random.Random) -> tuple[str, dict[str, Any]]:
    titles = [t for t in MENUS if t == "File" or r.random() < 0.6]
    menus = {t: r.sample(MENUS[t], r.randint(3, len(MENUS[t]))) for t in titles}
    menu = r.choice(titles)
    item = r.choice(menus[menu])
    stop = "" if item.endswith("…") else "."
    return (f"From the menu bar, choose {menu} → {item}{stop}",
            {"menus": menus, "target": [menu, item]})


def _combo(r: random.Random) -> tuple[str, dict[str, Any]]:
    what, pool = r.choice([("City", CITIES), ("Fruit", FRUITS), ("Colour", COLORS)])
    options = r.sample(pool, r.randint(5, 10))
    target = r.choice(options)
    params = {"label": what, "options": options, "target": target}
    return f"In the '{what}' drop-down, select '{target}'.", params


def _slider(r: random.Random) -> tuple[str, dict[str, Any]]:
    label = r.choice(["Volume", "Brightness", "Zoom", "Opacity", "Speed"])
    maximum = r.choice([10, 20, 40, 50])
    initial = r.randint(0, maximum)
    target = r.choice([v for v in range(maximum + 1) if v != initial])
    params = {"label": label, "minimum": 0, "maximum": maximum, "initial": initial,
              "target": target}
    return f"Set the '{label}' slider to {target}.", params


def _dialog(r: random.Random) -> tuple[str, dict[str, Any]]:
    question, answers = r.choice(QUESTIONS)
    answers = r.sample(answers, len(answers))
    target = r.choice(answers)
    return (f"A dialog asks: \"{question}\" Answer '{target}'.",
            {"question": question, "answers": answers, "target": target})


def _editor(r: random.Random) -> tuple[str, dict[str, Any]]:
    text = " ".join(r.choice(WORDS) for _ in range(r.randint(3, 7))).capitalize() + "."
    initial = r.choice(["", "", "Draft: " + " ".join(r.sample(WORDS, 4))])
    save_via = r.choice(["keys", "button"])
    how = "Ctrl+S" if save_via == "keys" else "the Save button"
    params = {"text": text, "initial": initial, "save_via": save_via, "file": "notes.txt"}
    return (f"Replace the editor's text with '{text}' and save it with {how}.", params)


SWATCH_COLOURS = {"red": "#dc2828", "green": "#28aa3c", "blue": "#2846dc",
                  "yellow": "#ebd228", "purple": "#8c32b4", "orange": "#f58c1e"}
SWATCH_SLOTS = 4
SWATCH_LOOK = Look("light", 11, 0, 0, 448, 336)  # fills a 448×336 screen exactly


def _swatch(r: random.Random) -> tuple[str, dict[str, Any]]:
    colours = r.sample(list(SWATCH_COLOURS), SWATCH_SLOTS)
    target = r.choice(colours)
    return f"Click the {target} square.", {"colours": colours, "target": target}


LAMP_COLOURS = ("red", "yellow", "green", "blue")  # the squares' one order in a lamp exercise
LAMP_TASK = "Click the square of the lamp's colour."


def _lamp(r: random.Random) -> tuple[str, dict[str, Any]]:
    return LAMP_TASK, {"colours": list(LAMP_COLOURS), "target": r.choice(LAMP_COLOURS)}


def _scroll_list(r: random.Random) -> tuple[str, dict[str, Any]]:
    first, second = r.sample([COLORS, ANIMALS, FRUITS, CITIES], 2)
    names = [f"{a} {b}" for a in first for b in second]
    items = r.sample(names, r.randint(40, 80))
    target_index = r.randint(20, len(items) - 1)
    return (f"Scroll the list to find '{items[target_index]}' and click it.",
            {"items": items, "target": items[target_index]})


_GENERATORS: dict[str, Callable[[random.Random], tuple[str, dict[str, Any]]]] = {
    "button": _button, "form": _form, "checkboxes": _checkboxes, "menu": _menu,
    "combo": _combo, "slider": _slider, "dialog": _dialog, "editor": _editor,
    "scroll_list": _scroll_list, "swatch": _swatch, "lamp": _lamp,
}
assert tuple(_GENERATORS) == KINDS


def make_exercise(kind: str, seed: int) -> ExerciseSpec:
    """The exercise of this kind and seed: the same on every call and every machine.

    >>> spec = make_exercise("button", 7)
    >>> spec == make_exercise("button", 7), spec.params["target"] in spec.params["labels"]
    (True, True)
    >>> make_exercise("juggle", 1)
    Traceback (most recent call last):
    ...
    agent.practice.spec.ExerciseError: unknown exercise kind 'juggle'; known: button, \
form, checkboxes, menu, combo, slider, dialog, editor, scroll_list, swatch, lamp
    """
    if kind not in _GENERATORS:
        raise ExerciseError(f"unknown exercise kind {kind!r}; known: {', '.join(KINDS)}")
    r = random.Random(f"deskhand-practice:{kind}:{seed}")
    look = _look(r)
    task, params = _GENERATORS[kind](r)
    if kind in ("swatch", "lamp"):
        look = SWATCH_LOOK
    return ExerciseSpec(kind, seed, task, look, params)
