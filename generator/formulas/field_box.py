"""Where a unit of a layer looks on the network's input: the square of its receptive field, centred on the unit.

The one formula both sides use: the compute stage samples a unit's response map over this box (inside the
compiled pass, so it is written with arithmetic operators only and works on NumPy arrays and TensorFlow tensors
alike), and the draw stage crops the photo over the same box, taken back to the photo's own pixels
(``photo_box``). A unit's centre is where its cell falls when the
map is laid over the input: the "same" padding of the Keras Applications keeps output cell i centred at
(i + 0.5) x stride input pixels.
"""

from __future__ import annotations

from typing import Any

LEAST_FRACTION = 1 / 8
"""The smallest box, as a fraction of the input's longer side: 28 px of a 224 px input. A 3 px field (a first
convolution's) cropped alone shows a blur of two colours."""


def field_box(y: Any, x: Any, map_shape: tuple[int, int], input_shape: tuple[int, int],
              field: int | None) -> tuple[Any, Any, float, float]:
    """(top, left, height, width) in input pixels of the field of unit (``y``, ``x``) (floats, or float tensors).

    The box is not clipped: near a border part of it lies outside the input (the crop shows that part grey). A
    field larger than the input is taken as the input's longer side, so the crop still shows the whole input's
    scale; one smaller than ``LEAST_FRACTION`` of it is widened to that, so that an early layer's few pixels are
    seen in their surroundings (the response map laid over the crop then shows the unit's neighbours of the same
    channel too); an unknown field (None) is the whole input.
    """
    height, width = input_shape
    rows, columns = map_shape
    if field is None:
        return y * 0.0, x * 0.0, float(height), float(width)
    longest = max(height, width)
    side = float(min(max(field, longest * LEAST_FRACTION), longest))
    return (y + 0.5) * (height / rows) - side / 2, (x + 0.5) * (width / columns) - side / 2, side, side


def photo_box(y: int, x: int, map_shape: tuple[int, int], input_shape: tuple[int, int], field: int | None,
              photo_shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """The unit's ``field_box`` in the photo's own pixels (top, left, height, width): the network saw the whole
    photo resized to its input, each axis by its own factor where the aspects differ."""
    top, left, height, width = field_box(int(y), int(x), map_shape, input_shape, field)
    scale_y, scale_x = photo_shape[0] / input_shape[0], photo_shape[1] / input_shape[1]
    return top * scale_y, left * scale_x, height * scale_y, width * scale_x
