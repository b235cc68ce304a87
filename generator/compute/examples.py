"""Natural examples of a unit: the photo positions where each channel of a layer responds most strongly.

People predict what a unit responds to better from natural photos that excite it than from its synthetic image
(Borowski et al., ICLR 2021); OpenAI Microscope shows both. Here every drawn layer of a backbone is read in one
multi-output forward pass per batch of photos, each channel's maximum (and where it is) is taken inside the
compiled pass, and a running top-``k`` per channel is kept: memory does not grow with the number of photos, and
no activation map leaves the graph unless a photo may give several examples (``per_image > 1``, for small sets).

Candidates are ordered by value, then image index, row and column (lower first): a total order, so merging the
top-``k`` lists of disjoint photo sets (shards, cached batches) gives exactly the top-``k`` of their union.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from generator.compute.feed import run_model
from generator.compute.flatten import reachable

EXAMPLES_BATCH = 32
"""Photos per forward pass (the last batch padded with blank photos, whose candidates are dropped)."""


@dataclass(frozen=True)
class TopExamples:
    """Per channel of one layer, its ``k`` strongest responses, strongest first; unused slots hold value -inf and
    image index -1 (fewer candidates than ``k``)."""

    values: np.ndarray
    """float32 (channels, k), decreasing."""
    image_index: np.ndarray
    """int64 (channels, k): which photo, as indexed by the caller (``first_index`` onwards)."""
    y: np.ndarray
    """int32 (channels, k): the row in the layer's own output grid."""
    x: np.ndarray
    """int32 (channels, k)."""
    photos: int = 0
    """Photos the statistics below are over (0 for a bare list of candidates)."""
    response_sum: np.ndarray | None = None
    """float64 (channels,): the sum over the photos of each channel's strongest response in the photo."""
    fired: np.ndarray | None = None
    """int64 (channels,): on how many photos each channel's strongest response is above 0."""

    @property
    def k(self) -> int:
        return self.values.shape[1]

    @property
    def mean_response(self) -> np.ndarray:
        """Per channel, the mean over the photos of its strongest response in each."""
        return self.response_sum / max(self.photos, 1)

    @property
    def fire_fraction(self) -> np.ndarray:
        """Per channel, the fraction of the photos on which it fires (responds above 0 somewhere)."""
        return self.fired / max(self.photos, 1)

    @property
    def dead(self) -> np.ndarray:
        """Per channel, whether it never fired on the set."""
        return self.fired == 0

    @classmethod
    def empty(cls, channels: int, k: int) -> "TopExamples":
        return cls(np.full((channels, k), -np.inf, np.float32), np.full((channels, k), -1, np.int64),
                   np.zeros((channels, k), np.int32), np.zeros((channels, k), np.int32))


def merge(first: TopExamples, second: TopExamples, k: int | None = None) -> TopExamples:
    """The top ``k`` (default: ``first``'s) of both lists, by value, then image index, row, column; with the
    statistics of both photo sets added (lists of disjoint photos, such as two shards')."""
    k = k or first.k
    values = np.concatenate([first.values, second.values], axis=1)
    images = np.concatenate([first.image_index, second.image_index], axis=1)
    ys = np.concatenate([first.y, second.y], axis=1)
    xs = np.concatenate([first.x, second.x], axis=1)
    # empty slots (index -1) sort after every real candidate whatever their value
    missing = images < 0
    order = np.lexsort((np.where(missing, 1 << 30, xs), np.where(missing, 1 << 30, ys),
                        np.where(missing, np.iinfo(np.int64).max, images), -np.where(missing, -np.inf, values)), axis=1)
    order = order[:, :k]
    pick = lambda array: np.take_along_axis(array, order, axis=1)  # noqa: E731
    merged = TopExamples(pick(values).astype(np.float32), pick(images), pick(ys).astype(np.int32), pick(xs).astype(np.int32))
    if first.response_sum is None or second.response_sum is None:  # candidates of photos already counted
        return replace(merged, photos=first.photos, response_sum=first.response_sum, fired=first.fired)
    return replace(merged, photos=first.photos + second.photos, response_sum=first.response_sum + second.response_sum,
                   fired=first.fired + second.fired)


def top_examples(model, images: np.ndarray | Iterable[np.ndarray], layer_names: list[str], k: int, *,
                 batch_size: int = EXAMPLES_BATCH, per_image: int = 1, first_index: int = 0,
                 separation: dict[str, int] | None = None) -> dict[str, TopExamples]:
    """Per layer, each channel's ``k`` strongest responses over preprocessed ``images`` (N, H, W, C), or over an
    iterable of such batches of at most ``batch_size`` photos (a build streams its photos: memory stays flat).

    ``per_image`` candidates per photo and channel: 1 gives ``k`` distinct photos; more lets a small set fill
    ``k`` with positions of one photo at least ``separation[layer]`` cells apart (default: a quarter of the map's
    side) in both directions, so that their crops do not overlap much. Photos are numbered from ``first_index``.
    """
    if k < 1 or per_image < 1:
        raise ValueError(f"k and per_image must be at least 1, got {k} and {per_image}")
    if isinstance(images, np.ndarray):
        if images.ndim != 4:
            raise ValueError(f"expected preprocessed images (N, H, W, C), got shape {images.shape}")
        array = images
        images = (array[start : start + batch_size] for start in range(0, len(array), batch_size))
    forward = _maxima_pass(model, tuple(layer_names), per_image > 1)
    found: dict[str, TopExamples] = {}
    sums: dict[str, np.ndarray] = {}
    fired: dict[str, np.ndarray] = {}
    start = 0
    for batch in images:
        batch = np.asarray(batch, dtype=np.float32)
        rows = len(batch)
        if batch.ndim != 4 or rows > batch_size:
            raise ValueError(f"expected batches of at most {batch_size} preprocessed images (n, H, W, C), "
                             f"got shape {batch.shape}")
        padded = np.concatenate([batch, np.zeros((batch_size - rows, *batch.shape[1:]), np.float32)]) if rows < batch_size else batch
        outputs = forward(padded)
        for name, output in zip(layer_names, outputs, strict=True):
            if per_image == 1:
                maxima = np.asarray(output[0])[:rows]
                candidates = _single_candidates(maxima, *(np.asarray(part)[:rows] for part in output[1:]), first_index + start)
                kept = found.get(name) or TopExamples.empty(candidates.values.shape[0], k)
                found[name] = _append(kept, candidates)
            else:
                maps = np.asarray(output, dtype=np.float32)[:rows]
                maxima = maps.max(axis=(1, 2))
                distance = (separation or {}).get(name) or max(1, max(maps.shape[1:3]) // 4)
                candidates = _spread_candidates(maps, per_image, distance, first_index + start)
                found[name] = merge(found.get(name) or TopExamples.empty(candidates.values.shape[0], k), candidates, k)
            sums[name] = sums.get(name, 0.0) + maxima.sum(axis=0, dtype=np.float64)
            fired[name] = fired.get(name, 0) + (maxima > 0).sum(axis=0)
        start += rows
    return {name: replace(examples, photos=start, response_sum=sums[name], fired=fired[name].astype(np.int64))
            for name, examples in found.items()}


def _append(kept: TopExamples, later: TopExamples) -> TopExamples:
    """``merge`` for a stream: ``later`` holds one candidate per photo, photos after all of ``kept``'s, in order.

    Then the total order is a stable sort by value alone (an equal value keeps the earlier photo), and a batch
    that beats no channel's k-th value changes nothing. Profiled on MobileNetV2's 52 layers: 5 % of the engine's
    time (0.085 s of 1.70 s for three batches of 32), the rest in the network's pass.
    """
    threshold = kept.values[:, -1:]
    if not (later.values > threshold).any():
        return kept
    values = np.concatenate([kept.values, later.values], axis=1)
    order = np.argsort(-values, axis=1, kind="stable")[:, : kept.k]
    pick = lambda first, second: np.take_along_axis(np.concatenate([first, second], axis=1), order, axis=1)  # noqa: E731
    return replace(kept, values=np.take_along_axis(values, order, axis=1),
                   image_index=pick(kept.image_index, later.image_index), y=pick(kept.y, later.y), x=pick(kept.x, later.x))


def _single_candidates(maxima: np.ndarray, ys: np.ndarray, xs: np.ndarray, first: int) -> TopExamples:
    """(N, C) maxima and their rows and columns -> one candidate per photo and channel, as (C, N) lists."""
    count = maxima.shape[0]
    images = np.broadcast_to(np.arange(first, first + count)[None, :], (maxima.shape[1], count))
    return TopExamples(maxima.T.astype(np.float32), images.astype(np.int64), ys.T.astype(np.int32), xs.T.astype(np.int32))


def _spread_candidates(maps: np.ndarray, per_image: int, distance: int, first: int) -> TopExamples:
    """Up to ``per_image`` positions per photo and channel, greedily strongest first, each at least ``distance``
    cells from those already taken (a Chebyshev distance), from (N, h, w, C) maps."""
    count, height, width, channels = maps.shape
    values = np.full((channels, count * per_image), -np.inf, np.float32)
    images = np.full((channels, count * per_image), -1, np.int64)
    ys = np.zeros((channels, count * per_image), np.int32)
    xs = np.zeros((channels, count * per_image), np.int32)
    rows, columns = np.mgrid[0:height, 0:width]
    for photo in range(count):
        remaining = maps[photo].copy()  # (h, w, C)
        for pick in range(per_image):
            flat = remaining.reshape(-1, channels)
            best = flat.argmax(axis=0)  # the first (row-major) among equal values
            value = flat[best, np.arange(channels)]
            slot = photo * per_image + pick
            taken = np.isfinite(value)
            values[taken, slot], images[taken, slot] = value[taken], first + photo
            ys[:, slot], xs[:, slot] = best // width, best % width
            near = (np.abs(rows[..., None] - (best // width)) < distance) & (np.abs(columns[..., None] - (best % width)) < distance)
            remaining[near] = -np.inf
    return TopExamples(values, images, ys, xs)


_PASSES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _maxima_pass(model, layer_names: tuple[str, ...], whole_maps: bool):
    """One compiled multi-output pass: per layer, (max, row, column) per photo and channel, or the whole maps."""
    per_model = _PASSES.setdefault(model, {})
    if (layer_names, whole_maps) not in per_model:
        import keras
        import tensorflow as tf

        flat, names = reachable(model, list(layer_names))
        probe = keras.Model(flat.inputs, [flat.get_layer(name).output for name in names])

        def maxima(batch):
            outputs = run_model(probe, batch, training=False)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            if whole_maps:
                return [tf.cast(output, tf.float32) for output in outputs]
            found = []
            for output in outputs:
                found.append(_first_maximum(tf.cast(output, tf.float32)))
            return found

        per_model[layer_names, whole_maps] = tf.function(maxima, reduce_retracing=True)
    return per_model[layer_names, whole_maps]


def _first_maximum(maps):
    """(max, row, column) per photo and channel of (N, h, w, C) maps: the first maximum in row-major order, as a
    flat argmax finds it, but from one reduction of the whole map instead of two.

    Measured on MobileNetV2's 52 layers (2 cores, warm, one run): a flat ``argmax`` plus ``reduce_max`` ran at 48
    photos/s, this at 56, the maxima alone at 73, a plain forward pass at 85 (``predict_on_batch``: 67). Reading
    every convolution's output costs the rest, probably because the CPU kernels then cannot fuse a convolution
    with the normalisation and activation after it (not verified; see ``benchmarks/README.md``). The row comes from each row's maximum (the first
    row holding the map's maximum), the column from that row alone, gathered for each photo and channel.
    """
    import tensorflow as tf

    shape = tf.shape(maps)
    rows = tf.reduce_max(maps, axis=2)  # (N, h, C)
    y = tf.argmax(rows, axis=1, output_type=tf.int32)
    value = tf.reduce_max(rows, axis=1)
    grid = [shape[0], shape[3], shape[2]]  # (N, C, w)
    index = tf.stack([
        tf.broadcast_to(tf.range(shape[0])[:, None, None], grid), tf.broadcast_to(y[:, :, None], grid),
        tf.broadcast_to(tf.range(shape[2])[None, None, :], grid), tf.broadcast_to(tf.range(shape[3])[None, :, None], grid),
    ], axis=-1)
    x = tf.argmax(tf.gather_nd(maps, index), axis=2, output_type=tf.int32)
    return value, y, x


def crop_box(y: int, x: int, map_shape: tuple[int, int], image_shape: tuple[int, int],
             field: int | None) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) in the photo's pixels of unit (``y``, ``x``)'s receptive field: a square of
    ``field`` pixels (the whole photo when None) centred on the unit, clipped at the photo's border.

    A unit's centre is where its cell falls when the map is laid over the photo (the "same" padding of the Keras
    Applications keeps output cell i centred at (i + 0.5) x stride input pixels).
    """
    height, width = image_shape
    if field is None:
        return 0, 0, height, width
    centre_y = (y + 0.5) * height / map_shape[0]
    centre_x = (x + 0.5) * width / map_shape[1]
    half = field / 2
    top, left = max(0, math.floor(centre_y - half)), max(0, math.floor(centre_x - half))
    bottom, right = min(height, math.ceil(centre_y + half)), min(width, math.ceil(centre_x + half))
    return top, left, bottom, right
