"""The PNG bar chart of an evaluation: success rate per task, drawn with Pillow.

One row per task (names can be long, so the bars are horizontal), the rate written at the end
of each bar; with an earlier result to compare with, a thin grey bar under each shows the
earlier rate. Pillow is already a dependency; nothing else is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from app.chart_font import chart_font
from app.commands.eval_results import Change, TaskSummary

ROW = 30
LABEL_W = 190
BAR_W = 420
MARGIN = 16
BLUE, GREY, INK, GRID = (52, 101, 164), (170, 170, 170), (30, 30, 30), (225, 225, 225)


def draw_chart(path: Path, title: str, rows: Sequence[TaskSummary],
               changes: Sequence[Change] = ()) -> Path:
    """Write the chart to ``path`` (PNG) and return it."""
    before = {c.task: c.before for c in changes}
    font, small = chart_font(14), chart_font(12)
    head = 3 * ROW if changes else 2 * ROW
    width = MARGIN * 3 + LABEL_W + BAR_W + 100
    height = head + ROW * max(1, len(rows)) + MARGIN * 2
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN), title, fill=INK, font=font)
    left = MARGIN * 2 + LABEL_W
    if changes:
        draw.rectangle((left, MARGIN + ROW, left + 14, MARGIN + ROW + 8), fill=BLUE)
        draw.text((left + 20, MARGIN + ROW - 3), "this run", fill=INK, font=small)
        draw.rectangle((left + 110, MARGIN + ROW + 2, left + 124, MARGIN + ROW + 6), fill=GREY)
        draw.text((left + 130, MARGIN + ROW - 3), "earlier run", fill=INK, font=small)
    top = MARGIN + head - ROW // 2
    for tick in range(0, 101, 25):
        x = left + BAR_W * tick // 100
        draw.line((x, top, x, height - MARGIN), fill=GRID)
        draw.text((x - 10, top - 16), f"{tick}%", fill=INK, font=small)
    for i, row in enumerate(rows):
        y = top + 6 + i * ROW
        draw.text((MARGIN, y + 2), row.task[:28], fill=INK, font=font)
        draw.rectangle((left, y, left + round(BAR_W * row.success_rate), y + 14), fill=BLUE)
        draw.text((left + round(BAR_W * row.success_rate) + 6, y + 1),
                  f"{100 * row.success_rate:.0f}% ({row.successes}/{row.episodes})", fill=INK,
                  font=small)
        earlier = before.get(row.task)
        if earlier is not None:
            draw.rectangle((left, y + 17, left + round(BAR_W * earlier), y + 21), fill=GREY)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path
