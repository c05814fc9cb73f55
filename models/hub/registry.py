"""The recommended models: where their GGUF files live on the hub and what they cost to download.

A short, hand-checked table rather than a hub search: each row names one quantized text model
and the vision projector (mmproj) that goes with it, so a download always yields a working pair.
Sizes are approximate (the hub's own figures, from the sources named in each row's comment);
the exact size and sha256 are read from the hub at download time.
"""

from __future__ import annotations

from dataclasses import dataclass

# Family names understood by ``models/families`` (one parser module each): one list.
from models.families.base import FAMILY_NAMES as FAMILIES  # re-exported

__all__ = ["FAMILIES", "GB", "RECOMMENDED", "Recommended", "find_recommended"]

GB = 1_000_000_000


@dataclass(frozen=True)
class Recommended:
    """One downloadable model: a text GGUF + its mmproj, and the HF repo used for training."""

    name: str
    family: str
    repo: str
    gguf_file: str
    mmproj_file: str
    approx_bytes: int
    hf_repo: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"{self.name}: unknown family {self.family!r}")


RECOMMENDED: tuple[Recommended, ...] = (
    # mradermacher/UI-TARS-1.5-7B-GGUF: Q4_K_M (~4.8 GB) + mmproj Q8_0 (~1.0 GB), sizes as given by
    # scripts that fetch these two files; UI-TARS-1.5 is a Qwen2.5-VL-7B fine-tune.
    Recommended(
        name="ui-tars-1.5-7b", family="uitars", repo="mradermacher/UI-TARS-1.5-7B-GGUF",
        gguf_file="UI-TARS-1.5-7B.Q4_K_M.gguf", mmproj_file="UI-TARS-1.5-7B.mmproj-Q8_0.gguf",
        approx_bytes=int(5.8 * GB), hf_repo="ByteDance-Seed/UI-TARS-1.5-7B",
        note="trained for computer use; best actor if it fits (8 GB VRAM)"),
    # GUI-Owl-1.5 (mPLUG, Qwen3-VL fine-tunes; OSWorld-Verified 43.5 / 48.2 / 52.3 for
    # 2B / 4B / 8B-Instruct in X-PLUG/MobileAgent Mobile-Agent-v3.5/README.md). No official GGUF;
    # these are mradermacher's community quantizations. Sizes are the byte counts other
    # projects pin with sha256: 2B at revision a0592aa6 (Q4_K_M 1,107,410,432 B, mmproj Q8_0
    # 445,053,216 B), 4B at 9a79d301 (Q4_K_M 2,497,282,208 B, mmproj Q8_0 453,974,336 B), 8B at
    # 6737f9a6 (Q5_K_M 5,851,114,144 B, mmproj f16 1,159,029,952 B; no 8B Q4_K_M figure found).
    Recommended(
        name="gui-owl-1.5-2b", family="guiowl", repo="mradermacher/GUI-Owl-1.5-2B-Instruct-GGUF",
        gguf_file="GUI-Owl-1.5-2B-Instruct.Q4_K_M.gguf",
        mmproj_file="GUI-Owl-1.5-2B-Instruct.mmproj-Q8_0.gguf",
        approx_bytes=1_107_410_432 + 445_053_216, hf_repo="mPLUG/GUI-Owl-1.5-2B-Instruct",
        note="desktop agent, OSWorld-Verified 43.5; fits 3 GB"),
    Recommended(
        name="gui-owl-1.5-4b", family="guiowl", repo="mradermacher/GUI-Owl-1.5-4B-Instruct-GGUF",
        gguf_file="GUI-Owl-1.5-4B-Instruct.Q4_K_M.gguf",
        mmproj_file="GUI-Owl-1.5-4B-Instruct.mmproj-Q8_0.gguf",
        approx_bytes=2_497_282_208 + 453_974_336, hf_repo="mPLUG/GUI-Owl-1.5-4B-Instruct",
        note="desktop agent, OSWorld-Verified 48.2; fits 6 GB"),
    Recommended(
        name="gui-owl-1.5-8b", family="guiowl", repo="mradermacher/GUI-Owl-1.5-8B-Instruct-GGUF",
        gguf_file="GUI-Owl-1.5-8B-Instruct.Q5_K_M.gguf",
        mmproj_file="GUI-Owl-1.5-8B-Instruct.mmproj-f16.gguf",
        approx_bytes=5_851_114_144 + 1_159_029_952, hf_repo="mPLUG/GUI-Owl-1.5-8B-Instruct",
        note="desktop agent, OSWorld-Verified 52.3; Q5_K_M, needs about 10 GB"),
    # ggml-org/Qwen2.5-VL-3B-Instruct-GGUF: Q4_K_M 1,929,901,056 B + mmproj Q8_0 844,757,728 B.
    Recommended(
        name="qwen2.5-vl-3b", family="qwen25vl", repo="ggml-org/Qwen2.5-VL-3B-Instruct-GGUF",
        gguf_file="Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf",
        mmproj_file="mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf",
        approx_bytes=1_929_901_056 + 844_757_728, hf_repo="Qwen/Qwen2.5-VL-3B-Instruct",
        note="small and fast; fits 4 GB"),
    # ggml-org/Qwen2.5-VL-7B-Instruct-GGUF: Q4_K_M 4,683,072,032 B + mmproj Q8_0 853,119,712 B.
    Recommended(
        name="qwen2.5-vl-7b", family="qwen25vl", repo="ggml-org/Qwen2.5-VL-7B-Instruct-GGUF",
        gguf_file="Qwen2.5-VL-7B-Instruct-Q4_K_M.gguf",
        mmproj_file="mmproj-Qwen2.5-VL-7B-Instruct-Q8_0.gguf",
        approx_bytes=4_683_072_032 + 853_119_712, hf_repo="Qwen/Qwen2.5-VL-7B-Instruct",
        note="stronger; fits 8 GB"),
    # Qwen/Qwen3-VL-2B-Instruct-GGUF: Q4_K_M 1,107,409,952 B + mmproj Q8_0 445,053,216 B.
    Recommended(
        name="qwen3-vl-2b", family="qwen3vl", repo="Qwen/Qwen3-VL-2B-Instruct-GGUF",
        gguf_file="Qwen3VL-2B-Instruct-Q4_K_M.gguf",
        mmproj_file="mmproj-Qwen3VL-2B-Instruct-Q8_0.gguf",
        approx_bytes=1_107_409_952 + 445_053_216, hf_repo="Qwen/Qwen3-VL-2B-Instruct",
        note="smallest real model; fits 3 GB"),
    # Qwen/Qwen3-VL-4B-Instruct-GGUF: Q4_K_M ~2.4 GB + mmproj F16 ~798 MB (listed in a setup note).
    Recommended(
        name="qwen3-vl-4b", family="qwen3vl", repo="Qwen/Qwen3-VL-4B-Instruct-GGUF",
        gguf_file="Qwen3VL-4B-Instruct-Q4_K_M.gguf",
        mmproj_file="mmproj-Qwen3VL-4B-Instruct-F16.gguf",
        approx_bytes=int(3.2 * GB), hf_repo="Qwen/Qwen3-VL-4B-Instruct",
        note="balanced; fits 6 GB"),
    # Qwen/Qwen3-VL-8B-Instruct-GGUF: Q4_K_M 5.03 GB + mmproj Q8_0 752 MB (download page links).
    Recommended(
        name="qwen3-vl-8b", family="qwen3vl", repo="Qwen/Qwen3-VL-8B-Instruct-GGUF",
        gguf_file="Qwen3VL-8B-Instruct-Q4_K_M.gguf",
        mmproj_file="mmproj-Qwen3VL-8B-Instruct-Q8_0.gguf",
        approx_bytes=int(5.8 * GB), hf_repo="Qwen/Qwen3-VL-8B-Instruct",
        note="strongest Qwen3-VL here; fits 8 GB"),
)


def find_recommended(name: str) -> Recommended | None:
    """The recommended model called ``name`` (case-insensitive), or None.

    >>> find_recommended("Qwen2.5-VL-3B").repo
    'ggml-org/Qwen2.5-VL-3B-Instruct-GGUF'
    >>> find_recommended("nope") is None
    True
    """
    wanted = name.strip().lower()
    return next((r for r in RECOMMENDED if r.name == wanted), None)


def human_size(n: int) -> str:
    """Bytes as a short decimal figure.

    >>> human_size(2_774_658_784), human_size(445_053_216), human_size(900)
    ('2.8 GB', '445 MB', '900 B')
    """
    for unit, scale in (("GB", GB), ("MB", 1_000_000), ("kB", 1_000)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 and unit == "GB" else f"{value:.0f} {unit}"
    return f"{n} B"
