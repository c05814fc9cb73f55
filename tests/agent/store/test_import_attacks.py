"""Imports stay inside what the person named, and every bad line is a clear error naming the
line: images outside the file's folder (absolute, ``../``, symlinks, ``file://``), numbers the
database cannot hold, deep nesting, decompression bombs, bytes that are not UTF-8. Nothing is
half-imported; ``skip_bad`` skips exactly the bad line."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from agent.store import import_input
from agent.store.importers import ImportInputError, import_file
from agent.store.repo import Store
from tests.fixtures.store import r1_record

GOOD_LINES = 4  # around the bad one, which is line 3


def _png(path: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)).save(path)
    return path


def _r1_file(folder: Path, bad: str, name: str = "r1.jsonl") -> Path:
    """Five r1 lines of one task; the third is ``bad`` (a line of text)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    lines = []
    for i in range(GOOD_LINES):
        image = _png(folder / "images" / f"s{i}.png", i)
        lines.append(json.dumps(r1_record("fill the form", i, f"images/{image.name}", "")))
    lines.insert(2, bad)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _r1_line(**fields: Any) -> str:
    record = r1_record("fill the form", 1, "", "")
    record.update(fields)
    return json.dumps(record)


def _action(name: str, **params: Any) -> str:
    return json.dumps({"name": name, "parameters": params})


def _refused_then_skipped(store: Store, source: Path, message: str, **kwargs: Any) -> None:
    """The import refuses the file naming line 3, leaves nothing, then skips only line 3."""
    with pytest.raises(ImportInputError) as caught:
        import_file(store, source, "r1", **kwargs)
    text = str(caught.value)
    assert text.startswith(f"{source.name}: line 3: ") and message in text, text
    assert "\n" not in text and len(text) < 600
    assert store.list_episodes() == [] and list(store.screens.files()) == []
    summary = import_file(store, source, "r1", skip_bad=True, **kwargs)
    assert summary.steps == GOOD_LINES and [n for n, _ in summary.skipped] == [3]
    assert message in summary.skipped[0][1]
    assert len(list(store.screens.files())) == GOOD_LINES


# -- images outside the folder --------------------------------------------------------------

def _outside(tmp_path: Path) -> Path:
    """A picture the person never named: a sibling folder of the data set."""
    (tmp_path / "private").mkdir()
    return _png(tmp_path / "private" / "secret.png", 99)


OUTSIDE_REFS: dict[str, Callable[[Path, Path], str]] = {
    "absolute path": lambda data, secret: str(secret),
    "file url": lambda data, secret: secret.as_uri(),
    "dot dot": lambda data, secret: f"../private/{secret.name}",
    "dot dot inside a path": lambda data, secret: f"images/../../private/{secret.name}",
    "symlink to a file": lambda data, secret: _link(data / "images" / "link.png", secret),
    "symlink to a folder": lambda data, secret: _link(data / "images" / "dir",
                                                      secret.parent) + f"/{secret.name}",
}


def _link(link: Path, target: Path) -> str:
    link.symlink_to(target)
    return str(link.relative_to(link.parent.parent))


@pytest.mark.parametrize("kind", sorted(OUTSIDE_REFS))
def test_an_image_outside_the_files_folder_is_never_read(
        store: Store, tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = _outside(tmp_path)
    data = tmp_path / "dataset"
    (data / "images").mkdir(parents=True)
    ref = OUTSIDE_REFS[kind](data, secret)
    source = _r1_file(data, _r1_line(image_before=ref))
    opened: list[Path] = []
    real_open = open

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(Path(file).resolve())
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(import_input, "open", spy, raising=False)
    _refused_then_skipped(store, source, "is outside")
    assert secret.resolve() not in opened and opened, "the secret was read"
    secret_sha = hashlib.sha256(secret.read_bytes()).hexdigest()
    assert secret_sha not in {sha for sha, _, _ in store.screens.files()}


def test_allow_outside_names_a_folder_that_may_be_read(store: Store, tmp_path: Path) -> None:
    secret = _outside(tmp_path)
    source = _r1_file(tmp_path / "dataset", _r1_line(image_before=str(secret)))
    summary = import_file(store, source, "r1", allow_outside=[secret.parent])
    assert summary.steps == GOOD_LINES + 1 and summary.missing_images == 0
    with pytest.raises(ImportInputError, match="line 3: .*outside"):  # only that folder
        import_file(store, source, "r1", allow_outside=[tmp_path / "elsewhere"],
                    allow_duplicates=True)


def test_a_native_record_cannot_point_outside_either(store: Store, tmp_path: Path) -> None:
    from agent.store.export import export
    from models.actions import Click

    secret = _outside(tmp_path)
    episode = store.create_episode("t")
    store.add_step(episode, action=Click(1, 2))
    path = export(store, tmp_path / "exp", "jsonl").path
    store.delete_episode(episode)
    record = json.loads(path.read_text())
    record["step"]["image"] = f"../private/{secret.name}"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(ImportInputError, match="line 1: image .* is outside"):
        import_file(store, path, "jsonl")
    assert store.list_episodes() == []


# -- values the database cannot hold, nesting, encodings -----------------------------------

def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


BAD_VALUES = {
    "coordinate beyond 64 bits": (_r1_line(action=_action("click", x=2**70, y=1)),
                                  "does not fit in 64 bits"),
    "coordinate of 400 digits": (_r1_line(action=_action("click", x=10**400, y=1)),
                                 "does not fit in 64 bits"),
    "integer of 5000 digits": ('{"task": "t", "n": ' + "9" * 5000 + "}", "not valid JSON"),
    "float overflow": (_r1_line().replace('"thought"', '"n": 1e999, "thought"'), "too large"),
    "NaN": (_r1_line().replace('"thought"', '"n": NaN, "thought"'), "NaN"),
    "Infinity in the action": (_r1_line(action='{"name": "click", "parameters": '
                                        '{"x": Infinity, "y": 1}}'), "Infinity"),
    "JSON nested 100k deep": ('{"task": ' + _deep(100_000) + "}", "nested too deeply"),
    "JSON nested 40 deep": (_r1_line().replace('"thought"', f'"n": {_deep(40)}, "thought"'),
                            "nested too deeply"),
    "lone surrogate": (_r1_line(thought="\ud800 oops"), "invalid Unicode"),
    "action nested in text": (_r1_line(action=json.dumps({"name": "click", "parameters": {
        "x": 1, "y": 1, "button": json.loads(_deep(50))}})), "nested too deeply"),
}


@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
def test_a_value_the_database_cannot_hold_names_its_line(store: Store, tmp_path: Path,
                                                         kind: str) -> None:
    bad, message = BAD_VALUES[kind]
    _refused_then_skipped(store, _r1_file(tmp_path, bad), message)


def test_bytes_that_are_not_utf8_name_the_line_and_column(store: Store, tmp_path: Path) -> None:
    source = _r1_file(tmp_path, "PLACEHOLDER")
    raw = source.read_bytes().replace(b"PLACEHOLDER", _r1_line(thought="caf\xe9").encode(
        "utf-8").replace(b"caf\\u00e9", b"caf\xe9"))
    source.write_bytes(raw)
    _refused_then_skipped(store, source, "not UTF-8: byte 0xe9 at column")


def test_a_latin1_file_is_refused_at_its_first_bad_line(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "latin1.jsonl"
    source.write_bytes(_r1_line().encode() + b"\n" + _r1_line(thought="d\xe9j\xe0").encode(
        "latin-1").replace(b"d\\u00e9j\\u00e0", b"d\xe9j\xe0") + b"\n")
    with pytest.raises(ImportInputError, match="latin1.jsonl: line 2: not UTF-8"):
        import_file(store, source, "r1")


NATIVE_BAD = {
    "index beyond 64 bits": (lambda r: r["step"].update(index=2**64), "does not fit in 64"),
    "cursor beyond 64 bits": (lambda r: r["step"].update(cursor_x=-(2**63) - 1),
                              "does not fit in 64"),
    "critic score overflow": (lambda r: r["step"].update(critic_score="1e999"), "wrong type"),
    "episode key a list": (lambda r: r["episode"].update(key=[1]), "episode.key must be"),
    "image with a NUL": (lambda r: r["step"].update(image="a\x00b.png"), "embedded null"),
    "extra nested 40 deep": (lambda r: r["step"].update(extra=json.loads(
        "{" + '"a": {' * 39 + "}" * 40)), "nested too deeply"),
}


@pytest.mark.parametrize("kind", sorted(NATIVE_BAD))
def test_a_bad_native_value_names_its_line(store: Store, tmp_path: Path, kind: str) -> None:
    from agent.store.export import export
    from models.actions import Click

    episode = store.create_episode("t")
    for i in range(3):
        store.add_step(episode, action=Click(i, 2))
    path = export(store, tmp_path / "exp", "jsonl").path
    store.delete_episode(episode)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    change, message = NATIVE_BAD[kind]
    change(records[1])
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(ImportInputError, match=f"line 2: .*{message}"):
        import_file(store, path, "jsonl")
    assert store.list_episodes() == []
    summary = import_file(store, path, "jsonl", skip_bad=True)
    assert summary.steps == 2 and [n for n, _ in summary.skipped] == [2]


# -- images that are bombs or broken -------------------------------------------------------

def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny PNG file that claims ``width`` x ``height`` pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
                     + chunk(b"IEND", b""))
    return path


BOMBS = {
    "beyond Pillow's own limit": ((100_000, 100_000), "decompression bomb"),
    "beyond ours": ((9_000, 9_000), "more than"),
}


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_a_decompression_bomb_is_refused_before_decoding(store: Store, tmp_path: Path,
                                                         kind: str) -> None:
    (width, height), message = BOMBS[kind]
    tmp_path.joinpath("images").mkdir()
    _png_header_only(tmp_path / "images" / "bomb.png", width, height)
    _refused_then_skipped(store, _r1_file(tmp_path, _r1_line(image_before="images/bomb.png")),
                          message)


def test_a_truncated_image_and_a_huge_file_are_bad_lines(store: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path.joinpath("images").mkdir()
    whole = _png(tmp_path / "images" / "whole.png").read_bytes()
    (tmp_path / "images" / "cut.png").write_bytes(whole[: len(whole) // 2])
    _refused_then_skipped(store, _r1_file(tmp_path, _r1_line(image_before="images/cut.png")),
                          "not a readable image")
    store.delete_episode(store.list_episodes()[0].id)
    monkeypatch.setattr(import_input, "MAX_IMAGE_BYTES", 100)
    big = tmp_path / "big"
    (big / "images").mkdir(parents=True)
    (big / "images" / "huge.png").write_bytes(whole)
    with pytest.raises(ImportInputError, match="line 1: .*bytes is more than 100"):
        import_file(store, _write(big / "f.jsonl", [_r1_line(image_before="images/huge.png")]),
                    "r1")


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
