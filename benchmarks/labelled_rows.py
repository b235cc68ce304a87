"""A benchmark figure: image rows stacked on white, each under its label (the before-and-after pictures)."""

from __future__ import annotations

from pathlib import Path


def write_labelled_rows(rows: list, labels: list[str], path: Path, *, band: int, text_top: int) -> None:
    """PNG at ``path`` of uint8 RGB ``rows`` (any widths) stacked, each below a ``band``-pixel strip holding its
    label ``text_top`` pixels down."""
    import numpy as np
    from PIL import Image, ImageDraw

    from generator.render.encode import png_bytes

    width = max(row.shape[1] for row in rows)
    canvas = Image.new("RGB", (width, sum(row.shape[0] + band for row in rows)), (255, 255, 255))
    draw, y = ImageDraw.Draw(canvas), 0
    for row, label in zip(rows, labels, strict=True):
        draw.text((4, y + text_top), label, fill=(20, 20, 20))
        canvas.paste(Image.fromarray(row), (0, y + band))
        y += row.shape[0] + band
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(np.asarray(canvas)))
