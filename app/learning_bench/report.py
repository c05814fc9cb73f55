"""The learning bench's report: a table in the terminal, a JSON file and a PNG plot.

The plot is drawn with Pillow (no plotting library is a dependency): held-out success and the
reward model's agreement with held-out judgments, night by night, on a 0–100 % axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from app.learning_bench.nights import NightRow


def table(rows: Sequence[NightRow]) -> Table:
    out = Table(title="deskhand bench learning — held-out tasks, before night 1 and after each")
    for name in ("night", "held-out success", "parse", "RM agreement", "actor gate",
                 "reward gate", "taught", "minutes"):
        out.add_column(name, overflow="fold")
    for r in rows:
        taught = (f"{r.taught.get('approved', 0)} ok, {r.taught.get('corrected', 0)} fixed, "
                  f"{r.taught.get('took_over', 0)} by hand, {r.taught.get('rejected', 0)} no"
                  if r.taught else "")
        agreement = "n/a" if r.rm_agreement is None else f"{r.rm_agreement:.2f} (n={r.rm_n})"
        out.add_row(str(r.night), f"{r.success:.0%} (n={r.episodes})", f"{r.parse_rate:.0%}",
                    agreement, r.actor_gate, r.reward_gate, taught,
                    f"{sum(r.seconds.values()) / 60:.1f}")
    return out


def plot(rows: Sequence[NightRow], path: Path, size: tuple[int, int] = (640, 400)) -> Path:
    """Success and agreement per night as two lines; returns ``path``."""
    from PIL import Image, ImageDraw

    from app.chart_font import chart_font

    font = chart_font(13)
    width, height = size
    left, right, top, bottom = 60, 20, 40, 50
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((left, 12), "Held-out success (blue) and reward-model agreement (orange)",
              fill="black", font=font)
    x0, x1, y0, y1 = left, width - right, height - bottom, top
    draw.rectangle((x0, y1, x1, y0), outline="black")
    for pct in range(0, 101, 25):
        y = y0 + (y1 - y0) * pct / 100
        draw.line((x0, y, x1, y), fill=(225, 225, 225))
        draw.text((12, y - 6), f"{pct}%", fill="black", font=font)
    nights = max(1, len(rows) - 1)

    def at(i: int, value: float) -> tuple[float, float]:
        return x0 + (x1 - x0) * i / nights, y0 + (y1 - y0) * value

    for i, r in enumerate(rows):
        draw.text((at(i, 0)[0] - 4, y0 + 8), str(r.night), fill="black", font=font)
    draw.text(((x0 + x1) / 2 - 20, height - 22), "night", fill="black", font=font)
    for colour, values in (((40, 90, 220), [r.success for r in rows]),
                           ((240, 140, 30), [r.rm_agreement for r in rows])):
        points = [at(i, v) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            draw.line(points, fill=colour, width=3)
        for x, y in points:
            draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=colour)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
