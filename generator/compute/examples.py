"""Natural examples of a unit: the photo positions where each channel of a layer responds most strongly.

People predict what a unit responds to better from natural photos that excite it than from its synthetic image
(Borowski et al., ICLR 2021); OpenAI Microscope shows both. Here every drawn layer of a backbone is read in one
multi-output forward pass per batch of photos, each channel's maximum (and where it is) is taken inside the
compiled pass, together with a small patch of the channel's response map over the unit's receptive field (the
overlay of its crop), and a running top-``k`` per channel is kept: memory does not grow with the number of
photos, and no activation map leaves the graph unless a photo may give several examples (``per_image > 1``, for
small sets).

Candidates are ordered by value, then image index, row and column (lower first): a total order, so merging the
top-``k`` lists of disjoint photo sets (shards, cached photo groups) gives exactly the top-``k`` of their union.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from generator.ahead import ahead
from generator.compute.feed import run_model
from generator.compute.flatten import reachable
from generator.formulas.field_box import field_box
from generator.results.top_examples import TopExamples, merge, pick_patches, with_statistics

EXAMPLES_BATCH = 32
"""Photos per forward pass (the last batch padded with blank photos, whose candidates are dropped)."""
PATCH_SIDE = 5
"""Samples per side of the response patch kept with each example: the crop's overlay, enlarged smoothly to the
crop. Odd, so that the middle sample is the unit's own cell: with an even side the samples straddle it, and a
sharp peak of a linear layer (MobileNetV2's projections) fell between them to nothing. 5, not 9: sampling the
patches was the pass' largest cost after the network (MobileNetV2's 52 layers, 64 channels, warm, 2 cores, with
bilinear sampling, before ``_sampled`` read the nearest cells: 66.7 photos/s without patches, 47.7 with 5 x 5,
36.3 with 9 x 9; ``predict_on_batch`` 53.1)."""


@dataclass(frozen=True)
class PhotoCandidates:
    """One batch's candidates of one layer, photo by photo: what a photo group (a cached unit) takes its share of."""

    candidates: TopExamples
    """(channels, photos x per_image): photo ``i``'s candidates in columns ``i * per_image`` onwards, image index ``i``."""
    maxima: np.ndarray
    """float32 (photos, channels): each photo's strongest response per channel (its statistics)."""
    per_image: int

    def take(self, rows: Sequence[int], numbers: Sequence[int]) -> TopExamples:
        """The candidates and statistics of the batch's photos ``rows``, numbered ``numbers``."""
        rows = np.asarray(rows, np.int64)
        columns = (rows[:, None] * self.per_image + np.arange(self.per_image)[None, :]).ravel()
        numbering = np.full(len(self.maxima), -1, np.int64)
        numbering[rows] = numbers
        found = self.candidates
        taken = TopExamples(found.values[:, columns], found.image_index[:, columns], found.y[:, columns], found.x[:, columns],
                            patches=None if found.patches is None else found.patches[:, columns])
        maxima = self.maxima[rows]
        return replace(taken.renumbered(numbering), photos=len(rows), response_sum=maxima.sum(axis=0, dtype=np.float64),
                       fired=(maxima > 0).sum(axis=0).astype(np.int64))


@dataclass(frozen=True)
class ExampleSearch:
    """What to look for, besides the photos: the layers, how many channels of each, and what to keep of an example."""

    layer_names: tuple[str, ...]
    per_image: int = 1
    """Candidates per photo and channel: 1 gives distinct photos; more lets a small set fill ``k`` with positions
    of one photo at least ``separation`` cells apart, so that their crops do not overlap much."""
    channels: int | None = None
    """The first channels of each layer (the units a mosaic shows); None: all of them."""
    fields: tuple[int | None, ...] | None = None
    """Each layer's receptive field in input pixels (None where unknown), for the patches."""
    patch: int = 0
    """Side of the response patch kept per example (0: none); needs ``fields``."""
    separation: tuple[int, ...] | None = None
    """Per layer, the least distance in cells between two examples of one photo (default: a quarter of the map's side)."""
    compiled: bool = True
    """Run the pass as a ``tf.function``; eagerly for a set that fits one batch, which would pay the tracing (2 to 4
    s on DenseNet121 and NASNetMobile) for one call. The two round differently in the last bits."""


def batch_candidates(model, batch: np.ndarray, search: ExampleSearch,
                     batch_size: int = EXAMPLES_BATCH) -> dict[str, PhotoCandidates]:
    """Per layer of ``search``, the candidates of the preprocessed photos ``batch`` (at most ``batch_size``,
    padded to it with blank photos so that every pass has the same shape), photo by photo."""
    batch = np.asarray(batch, dtype=np.float32)
    rows = len(batch)
    if batch.ndim != 4 or rows > batch_size:
        raise ValueError(f"expected batches of at most {batch_size} preprocessed images (n, H, W, C), got shape {batch.shape}")
    if search.patch and search.fields is None:
        raise ValueError("patches need each layer's receptive field (ExampleSearch.fields)")
    padded = np.concatenate([batch, np.zeros((batch_size - rows, *batch.shape[1:]), np.float32)]) if rows < batch_size else batch
    outputs = _maxima_pass(model, search, tuple(batch.shape[1:3]))(padded)
    found = {}
    for depth, (name, output) in enumerate(zip(search.layer_names, outputs, strict=True)):
        if search.per_image == 1:
            maxima, ys, xs = (np.asarray(part)[:rows] for part in output[:3])
            patches = np.asarray(output[3])[:rows].transpose(1, 0, 2, 3) if search.patch else None
            candidates = TopExamples(maxima.T.astype(np.float32), np.broadcast_to(np.arange(rows), maxima.T.shape).astype(np.int64),
                                     ys.T.astype(np.int32), xs.T.astype(np.int32), patches=patches)
        else:
            maps = np.asarray(output, dtype=np.float32)[:rows]
            maxima = maps.max(axis=(1, 2))
            distance = (search.separation[depth] if search.separation else 0) or max(1, max(maps.shape[1:3]) // 4)
            field = search.fields[depth] if search.fields else None
            candidates = _spread_candidates(maps, search.per_image, distance, search.patch, field, tuple(batch.shape[1:3]))
        found[name] = PhotoCandidates(candidates, maxima.astype(np.float32), search.per_image)
    return found


def top_examples(model, images: np.ndarray | Iterable[np.ndarray], layer_names: list[str], k: int, *,
                 batch_size: int = EXAMPLES_BATCH, per_image: int = 1, first_index: int = 0,
                 separation: dict[str, int] | None = None, channels: int | None = None,
                 fields: dict[str, int | None] | None = None, patch: int = 0, compiled: bool = True) -> dict[str, TopExamples]:
    """Per layer, each channel's ``k`` strongest responses over preprocessed ``images`` (N, H, W, C), or over an
    iterable of such batches of at most ``batch_size`` photos (a build streams its photos: memory stays flat).

    ``per_image``, ``separation``, ``channels``, ``fields``, ``patch`` and ``compiled``: see ``ExampleSearch``
    (``separation`` and ``fields`` by layer name). Photos are numbered from ``first_index``.
    """
    if k < 1 or per_image < 1:
        raise ValueError(f"k and per_image must be at least 1, got {k} and {per_image}")
    if isinstance(images, np.ndarray):
        if images.ndim != 4:
            raise ValueError(f"expected preprocessed images (N, H, W, C), got shape {images.shape}")
        array = images
        images = (array[start : start + batch_size] for start in range(0, len(array), batch_size))
    search = ExampleSearch(
        tuple(layer_names), per_image, channels, tuple(fields.get(name) for name in layer_names) if fields else None,
        patch, tuple(separation.get(name, 0) for name in layer_names) if separation else None, compiled,
    )
    found: dict[str, TopExamples] = {}
    start = first_index
    # the next batch goes through the network while this one's candidates are merged (``ahead``)
    for rows, batch_found in ahead((len(batch), batch_candidates(model, batch, search, batch_size)) for batch in images):
        for name, candidates in batch_found.items():
            taken = candidates.take(range(rows), range(start, start + rows))
            kept = found.get(name) or TopExamples.empty(taken.values.shape[0], k, patch, counted=True)
            found[name] = _append(kept, taken) if per_image == 1 else merge(kept, taken, k)
        start += rows
    return found


def _append(kept: TopExamples, later: TopExamples) -> TopExamples:
    """``merge`` for a stream: ``later`` holds one candidate per photo, photos after all of ``kept``'s, in order.

    Then the total order is a stable sort by value alone (an equal value keeps the earlier photo), and a batch
    that beats no channel's k-th value changes only the statistics. Profiled on MobileNetV2's 52 layers: 5 % of
    the engine's time (0.085 s of 1.70 s for three batches of 32), the rest in the network's pass.
    """
    threshold = kept.values[:, -1:]
    if not (later.values > threshold).any():
        return with_statistics(kept, kept, later)
    values = np.concatenate([kept.values, later.values], axis=1)
    order = np.argsort(-values, axis=1, kind="stable")[:, : kept.k]
    pick = lambda first, second: np.take_along_axis(np.concatenate([first, second], axis=1), order, axis=1)  # noqa: E731
    merged = replace(kept, values=np.take_along_axis(values, order, axis=1), image_index=pick(kept.image_index, later.image_index),
                     y=pick(kept.y, later.y), x=pick(kept.x, later.x), patches=pick_patches(kept.patches, later.patches, order))
    return with_statistics(merged, kept, later)


def _spread_candidates(maps: np.ndarray, per_image: int, distance: int, patch: int, field: int | None,
                       input_shape: tuple[int, int]) -> TopExamples:
    """Up to ``per_image`` positions per photo and channel, greedily strongest first, each at least ``distance``
    cells from those already taken (a Chebyshev distance), from (N, h, w, C) maps; photo ``i``'s in columns
    ``i * per_image`` onwards."""
    count, height, width, channels = maps.shape
    values = np.full((channels, count * per_image), -np.inf, np.float32)
    images = np.full((channels, count * per_image), -1, np.int64)
    ys = np.zeros((channels, count * per_image), np.int32)
    xs = np.zeros((channels, count * per_image), np.int32)
    patches = np.zeros((channels, count * per_image, patch, patch), np.uint8) if patch else None
    rows, columns = np.mgrid[0:height, 0:width]
    remaining = maps.copy()  # (N, h, w, C)
    for pick in range(per_image):
        flat = remaining.reshape(count, -1, channels)
        best = flat.argmax(axis=1)  # (N, C): the first (row-major) among equal values
        value = np.take_along_axis(flat, best[:, None, :], axis=1)[:, 0]
        best_y, best_x = np.divmod(best, width)
        slots = np.arange(count) * per_image + pick
        taken = np.isfinite(value)  # (N, C)
        values[:, slots] = np.where(taken, value, -np.inf).T
        images[:, slots] = np.where(taken, np.arange(count)[:, None], -1).T
        ys[:, slots], xs[:, slots] = best_y.T, best_x.T
        if patch:
            sampled = _patches(maps, best_y, best_x, np.where(taken, value, 0.0), field, input_shape, patch)
            patches[:, slots] = np.asarray(sampled).transpose(1, 0, 2, 3)
        near = ((np.abs(rows[None, :, :, None] - best_y[:, None, None, :]) < distance)
                & (np.abs(columns[None, :, :, None] - best_x[:, None, None, :]) < distance))
        remaining[near] = -np.inf
    return TopExamples(values, images, ys, xs, patches=patches)


_PASSES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _maxima_pass(model, search: ExampleSearch, input_shape: tuple[int, int]):
    """One compiled multi-output pass: per layer, (max, row, column[, patches]) per photo and channel, or the
    whole maps of the first channels (``per_image > 1``)."""
    per_model = _PASSES.setdefault(model, {})
    if (search, input_shape) not in per_model:
        import keras
        import tensorflow as tf

        flat, names = reachable(model, list(search.layer_names))
        probe = keras.Model(flat.inputs, [flat.get_layer(name).output for name in names])

        # traced once per map shape, not per layer: the tables that tell layers of one shape apart are arguments
        readout = tf.function(_readout) if search.compiled else _readout

        def maxima(batch):
            outputs = run_model(probe, batch, training=False)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            found = []
            for depth, output in enumerate(outputs):
                whole = tf.cast(output, tf.float32)
                if search.per_image > 1:
                    found.append(whole[..., : search.channels] if search.channels is not None else whole)
                    continue
                tables = _sample_tables(whole.shape, search.fields[depth], input_shape, search.patch) if search.patch else ()
                found.append(readout(whole, search.channels, *tables))
            return found

        per_model[search, input_shape] = tf.function(maxima, reduce_retracing=True) if search.compiled else maxima
    return per_model[search, input_shape]


def _readout(whole, channels: int | None, *tables):
    """(max, row, column) per photo and channel of the first ``channels`` of one layer's maps, and with
    ``tables`` (``_sample_tables``) each one's patch.

    Tracing cost about half a millisecond per operation, for every drawn layer: MobileNetV2's 52-layer pass once
    held 17,590 operations and took 15.6 s to its first result against ``predict``'s 1.2 s. Hence the geometry
    in NumPy tables, constants computed once, and one trace per map shape (its 52 layers have 19).
    """
    value, y, x = _first_maximum(whole, channels)
    return (value, y, x, _sampled(whole, y, x, value, tables)) if tables else (value, y, x)


def _first_maximum(whole, channels: int | None):
    """(max, row, column) per photo and channel of the first ``channels`` (None: all) of (N, h, w, C) maps: the
    first maximum in row-major order, as a flat argmax finds it, but from one read of the whole map instead of
    two.

    The row comes from each row's maximum (the first row holding the map's maximum), the column from that row
    alone, gathered from the flat maps. The rows' maxima are pooled over every channel and then sliced: slicing
    the maps first would copy them. Measured on MobileNetV2's 52 layers (2 cores, warm, one run, the first
    version): a flat ``argmax`` plus ``reduce_max`` ran at 48 photos/s, this at 56, the maxima alone at 73, a
    plain forward pass at 85.
    """
    import tensorflow as tf

    _, _, columns, stride = _static_shape(whole)
    # (N, h, C); a pooling reads the maps faster than a reduction over their middle axis (154 MB: 7 ms against 10)
    rows = tf.squeeze(tf.nn.max_pool2d(whole, (1, columns), (1, columns), "VALID"), axis=2)
    if channels is not None and channels < stride:
        rows = rows[..., :channels]
    y = tf.argmax(rows, axis=1, output_type=tf.int32)
    value = tf.reduce_max(rows, axis=1)
    kept = int(rows.shape[2])
    index_type, offsets = _flat_offsets(whole, kept, 1)  # (N, C, 1): photo n, channel c, row 0, column 0
    along_row = offsets + (np.arange(columns) * stride).astype(offsets.dtype.as_numpy_dtype) \
        + tf.expand_dims(tf.cast(y, index_type) * (columns * stride), -1)
    x = tf.argmax(tf.gather(tf.reshape(whole, [-1]), along_row), axis=2, output_type=tf.int32)
    return value, y, x


def _static_shape(maps) -> tuple:
    """(photos, rows, columns, channels) of (N, h, w, C) maps as ints (photos: None when the batch is not fixed);
    a layer's map has a fixed size once its input's is."""
    return _static_shape_of(maps.shape)


def _static_shape_of(shape) -> tuple:
    count, rows, columns, stride = shape
    if None in (rows, columns, stride):
        raise ValueError(f"natural examples need maps of a known size, got {tuple(shape)}")
    return count, int(rows), int(columns), int(stride)


def _flat_offsets(maps, channels: int, trailing: int):
    """The index type (int64 only for maps of 2**31 values or more) and the flat index of (photo n, row 0, column
    0, channel c) in the flattened (N, h, w, C or more) maps, shaped (N, channels) and ``trailing`` axes of 1.

    A constant when the batch's size is known (the compiled pass' fixed batch): every operation in the pass costs
    tracing time (see ``_readout``).
    """
    import tensorflow as tf

    count, rows, columns, stride = _static_shape(maps)
    size = rows * columns * stride
    index_type = tf.int64 if (count or 1) * size >= 2**31 else tf.int32
    ones = (1,) * trailing
    per_channel = np.arange(channels).reshape(1, channels, *ones)
    if count is not None:
        return index_type, tf.constant(np.arange(count).reshape(count, 1, *ones) * size + per_channel,
                                       dtype=index_type)
    per_photo = tf.reshape(tf.range(tf.shape(maps, out_type=index_type)[0]) * size, (-1, 1, *ones))
    return index_type, per_photo + tf.constant(per_channel, dtype=index_type)


def _axis_samples(cells: int, size: int, starts: np.ndarray, box: float, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Along one axis of a map of ``cells`` cells over ``size`` input pixels: for each cell, the map cell nearest
    to each of the ``side`` samples of its field box (starting at input pixel ``starts[cell]``, ``box`` long)
    (int (cells, side)), and whether the sample counts (float32 1 or 0, the same shape).

    Up to one cell beyond the outermost cell centres a sample takes the edge cell's value (as in a map padded by
    one mirrored cell); farther out, outside the input, it is 0 (the crop is grey there).
    """
    steps = (np.arange(side) + 0.5) / side  # the samples sit at the centres of ``side`` equal cells of the box
    position = (starts[:, None] + steps[None, :] * box) * (cells / size) - 0.5  # input pixel u is cell u * cells / size - 0.5
    nearest = np.clip(np.floor(position + 0.5), 0, cells - 1).astype(np.int64)
    inside = ((position >= -1.0) & (position <= cells)).astype(np.float32)
    return nearest, inside


def _sample_tables(shape, field: int | None, input_shape: tuple[int, int], side: int) -> tuple[np.ndarray, ...]:
    """For maps of ``shape`` (N, h, w, C), the patches' geometry by row and by column of the unit: each sample's
    offset in the flattened maps (rows: (h, side, 1); columns: (w, 1, side)) and whether it counts (the same
    shapes)."""
    _, rows, columns, stride = _static_shape_of(shape)
    flat_type = np.int64 if (shape[0] or 1) * rows * columns * stride >= 2**31 else np.int32
    tops, lefts, box_height, box_width = field_box(np.arange(rows, dtype=np.float64), np.arange(columns, dtype=np.float64),
                                                   (rows, columns), input_shape, field)
    row_cells, row_inside = _axis_samples(rows, input_shape[0], np.broadcast_to(tops, (rows,)), box_height, side)
    column_cells, column_inside = _axis_samples(columns, input_shape[1], np.broadcast_to(lefts, (columns,)), box_width, side)
    return ((row_cells * (columns * stride)).astype(flat_type).reshape(rows, side, 1), row_inside.reshape(rows, side, 1),
            (column_cells * stride).astype(flat_type).reshape(columns, 1, side), column_inside.reshape(columns, 1, side))


def _patches(maps, ys, xs, values, field: int | None, input_shape: tuple[int, int], side: int):
    """uint8 (N, C, side, side): each channel's map at the cells nearest to the centres of ``side`` x ``side``
    equal cells of the field box (``field_box``) of unit (``ys``, ``xs``), as a fraction of ``values`` (0 where
    the value is not above 0); ``maps`` (N, h, w, C or more) holds those C channels first. Eagerly on NumPy maps
    (the spread candidates); the compiled pass calls ``_sampled`` with its tables."""
    import tensorflow as tf

    maps = tf.convert_to_tensor(maps, tf.float32)
    return _sampled(maps, ys, xs, values, _sample_tables(maps.shape, field, input_shape, side))


def _sampled(maps, ys, xs, values, tables):
    """The patches of ``_patches`` from ``_sample_tables``' tables.

    The box's samples along the rows depend on the unit's row alone and those along the columns on its column,
    so the pass only looks the unit up in two small tables and makes one gather. Nearest cells, not bilinear
    sampling: in channels-last maps the four neighbours of a sample lie a row of channels apart, and reading
    four times as many scattered values made the patches most of the pass' cost after the network (MobileNetV2's
    52 layers, warm, 2 cores: see ``benchmarks/README.md``); the drawn overlay is enlarged smoothly from the
    patch anyway, and every sample is a response the unit's channel really gave.
    """
    import tensorflow as tf

    row_offsets, row_inside, column_offsets, column_inside = tables
    ys, xs, values = (tf.convert_to_tensor(array) for array in (ys, xs, values))
    channels = ys.shape[1]
    _, offsets = _flat_offsets(maps, channels, 2)
    # (N, C, side, side): sample (i, j) of each photo's unit of each channel
    index = offsets + tf.gather(row_offsets, ys) + tf.gather(column_offsets, xs)
    inside = tf.gather(row_inside, ys) * tf.gather(column_inside, xs)
    sampled = tf.gather(tf.reshape(maps, [-1]), index) * inside
    values = tf.cast(values, tf.float32)
    positive = values > 0
    scale = tf.reshape(tf.where(positive, 255.0 / tf.where(positive, values, 1.0), 0.0), (-1, channels, 1, 1))
    return tf.cast(tf.round(tf.clip_by_value(sampled * scale, 0.0, 255.0)), tf.uint8)
