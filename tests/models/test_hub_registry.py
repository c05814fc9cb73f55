"""The recommended table: each row a GGUF pair of a known family; the GUI-Owl rows as found."""

from __future__ import annotations

import pytest

from models.families.base import FAMILY_NAMES
from models.hub.registry import RECOMMENDED, find_recommended


def test_every_row_is_a_text_model_and_its_projector_of_a_known_family() -> None:
    assert len({r.name for r in RECOMMENDED}) == len(RECOMMENDED)
    for r in RECOMMENDED:
        assert r.family in FAMILY_NAMES
        assert r.gguf_file.endswith(".gguf") and "mmproj" not in r.gguf_file.lower()
        assert r.mmproj_file.endswith(".gguf") and "mmproj" in r.mmproj_file.lower()
        assert r.approx_bytes > 10**8 and "/" in r.repo and "/" in r.hf_repo


@pytest.mark.parametrize(("name", "size", "total"), [
    ("gui-owl-1.5-2b", "2B", 1_552_463_648), ("gui-owl-1.5-4b", "4B", 2_951_256_544),
    ("gui-owl-1.5-8b", "8B", 7_010_144_096)])
def test_gui_owl_rows_name_one_quantization_of_the_official_model(
        name: str, size: str, total: int) -> None:
    rec = find_recommended(name)
    assert rec is not None and rec.family == "guiowl"
    model = f"GUI-Owl-1.5-{size}-Instruct"
    assert rec.hf_repo == f"mPLUG/{model}" and rec.repo == f"mradermacher/{model}-GGUF"
    assert rec.gguf_file.startswith(f"{model}.Q") and rec.mmproj_file.startswith(f"{model}.mmproj-")
    assert rec.approx_bytes == total  # the pinned byte counts in the row's comment, summed
