"""The breed confusion chart, read back from its SVG: its size follows the number of breeds and classes, its rows
and columns are sorted by name regardless of case, its cells are coloured by count from white (0) to the darkest
blue (the largest count), and each count is written in a colour that stays readable on its cell."""

import base64
import io
import re

import numpy as np
from PIL import Image

from generator.render.confusion import confusion_svg

PAIRS = [("beagle", "pug")] * 3 + [("beagle", "boxer"), ("Persian", "beagle")]
"""Breeds beagle and Persian; classes beagle, boxer, pug (lower-case sort puts 'Persian' after 'beagle')."""


def _texts(svg: str) -> list[str]:
    """The chart's words in drawing order (matplotlib writes each text as an SVG comment of its content)."""
    return re.findall(r"<text [^>]*>([^<]+)</text>", svg)


def _cells(svg: str, rows: int, columns: int) -> np.ndarray:
    """The embedded image's colour at the centre of each cell, (rows, columns, 3)."""
    encoded = re.search(r'xlink:href="data:image/png;base64,([^"]+)"', svg).group(1)
    # matplotlib stores the image bottom row first and flips it back with a transform
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGB"))[::-1]
    height, width = image.shape[:2]
    return np.array([[image[int((row + 0.5) * height / rows), int((column + 0.5) * width / columns)]
                      for column in range(columns)] for row in range(rows)])


def test_the_chart_is_as_large_as_its_labels_need():
    svg = confusion_svg(PAIRS, "t").decode()
    assert 'width="345.6pt" height="165.6pt"' in svg  # at least 4.8 in wide; 1.6 + 0.35 in per breed, at 72 pt
    many = [("beagle", f"class{index}") for index in range(10)] + [(f"breed{index}", "pug") for index in range(4)]
    width, height = (1.8 + 0.45 * 11) * 72, (1.6 + 0.35 * 5) * 72
    assert f'width="{width:g}pt" height="{height:g}pt"' in confusion_svg(many, "t").decode()


def test_rows_and_columns_are_sorted_by_name_ignoring_case_and_written_at_9_px():
    svg = confusion_svg(PAIRS, "t").decode()
    words = [word for word in _texts(svg) if word in {"beagle", "boxer", "pug", "Persian"}]
    assert words == ["beagle", "boxer", "pug", "beagle", "Persian"]  # columns, then rows
    sizes = set(re.findall(r"font-size: (\d+)px", svg))
    assert sizes == {"9"}


def test_cells_go_from_white_at_zero_to_the_darkest_blue_at_the_largest_count_and_counts_stay_readable():
    svg = confusion_svg(PAIRS, "t").decode()
    cells = _cells(svg, rows=2, columns=3)  # rows beagle, Persian; columns beagle, boxer, pug
    white, darkest = np.array([247, 251, 255]), np.array([8, 48, 107])  # matplotlib's Blues at 0 and 1
    assert np.abs(cells[0, 0].astype(int) - white).max() <= 2  # beagle -> beagle: 0
    assert np.abs(cells[0, 2].astype(int) - darkest).max() <= 2  # beagle -> pug: 3, the largest
    assert cells[0, 1].sum() > cells[0, 2].sum() and cells[0, 1].sum() < cells[0, 0].sum()  # 1: in between
    # the count 3 (over half the largest) is white on its dark cell, each 1 black on its light one
    counts = [("white" if "fill: #ffffff" in attributes else "black", value)
              for attributes, value in re.findall(r"<text ([^>]*)>(\d+)<", svg)]
    assert sorted(counts) == [("black", "1"), ("black", "1"), ("white", "3")]

def test_a_single_count_is_the_darkest_cell():
    cells = _cells(confusion_svg([("beagle", "pug")], "t").decode(), rows=1, columns=1)
    assert np.abs(cells[0, 0].astype(int) - np.array([8, 48, 107])).max() <= 2


def test_the_chart_names_its_axes_and_title_and_its_cells_fill_the_plot():
    svg = confusion_svg([("beagle", "pug")] * 3 + [("beagle", "Boxer"), ("Persian", "beagle")], "My title").decode()
    texts = re.findall(r"<text ([^>]*)>([^<]+)</text>", svg)
    words = [word for _, word in texts]
    assert words[:3] == ["beagle", "Boxer", "pug"]  # columns sorted ignoring case, 'Boxer' between the others
    assert all("rotate(-60)" in attributes for attributes, _ in texts[:3])  # slanted, so long names do not overlap
    assert "predicted first" in words and "breed of the photo" in words
    title = dict((word, attributes) for attributes, word in texts)["My title"]
    image = re.search(r'<image [^>]*x="([\d.]+)" y="[-\d.]+" width="([\d.]+)" height="([\d.]+)"', svg.replace("\n", " "))
    left, width, height = map(float, image.groups())
    assert "text-anchor: start" in title and abs(float(re.search(r' x="([\d.]+)"', title).group(1)) - left) < 2
    assert width / height > 2.5  # 'auto' aspect: 3 columns by 2 rows stretched to the plot, not square cells (1.5)
