"""Natural examples per unit: each channel's strongest responses over a photo set, on a network trained here on
stripes and blobs, checked against the activations recomputed directly."""

import numpy as np
import pytest

from generator.compute.activations import layer_activations
from generator.compute.examples import TopExamples, merge, top_examples
from generator.formulas.field_box import field_box
from tests.compute.test_filters import _stripes_dataset


@pytest.fixture(scope="module")
def trained():
    """The tiny classifier trained on horizontal stripes (0), vertical stripes (1) and red blobs (2); a fresh set
    of 96 pictures of the three kinds, preprocessed, and their labels."""
    import keras

    from tests.conftest import make_tiny_classifier

    model = make_tiny_classifier(classes=3, seed=4)
    pictures, labels = _stripes_dataset(600)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(pictures / 127.5 - 1.0, labels, epochs=6, batch_size=32, verbose=0)
    pictures, labels = _stripes_dataset(96, seed=11)
    return model, pictures / 127.5 - 1.0, labels


def test_the_top_value_is_the_units_largest_activation_over_the_set_at_the_reported_position(trained):
    model, images, _ = trained
    found = top_examples(model, images, ["conv_a", "conv_b"], 8, batch_size=20)
    for layer in ("conv_a", "conv_b"):
        activations = layer_activations(model, images, [layer])[layer]  # (N, h, w, C)
        examples = found[layer]
        assert examples.values.shape == (activations.shape[-1], 8)
        for channel in range(activations.shape[-1]):
            per_photo = activations[..., channel].reshape(len(images), -1).max(axis=1)
            np.testing.assert_allclose(examples.values[channel], np.sort(per_photo)[::-1][:8], rtol=1e-5, atol=1e-6)
            for slot in range(8):
                image, y, x = examples.image_index[channel, slot], examples.y[channel, slot], examples.x[channel, slot]
                assert activations[image, y, x, channel] == pytest.approx(examples.values[channel, slot], rel=1e-5, abs=1e-6)
            assert len(set(examples.image_index[channel].tolist())) == 8  # one example per photo


def test_a_stripe_unit_is_explained_by_stripe_photos_and_a_blob_unit_by_blobs(trained):
    """The known answer: the unit most selective for a kind of picture (its mean response on that kind over the
    others, measured directly) has that kind among its top examples."""
    model, images, labels = trained
    activations = layer_activations(model, images, ["conv_b"])["conv_b"].max(axis=(1, 2))  # (N, C)
    examples = top_examples(model, images, ["conv_b"], 8)["conv_b"]
    for kind in (0, 1, 2):
        selectivity = activations[labels == kind].mean(axis=0) / (activations[labels != kind].mean(axis=0) + 1e-6)
        unit = int(selectivity.argmax())
        if selectivity[unit] < 1.5:  # no unit of this tiny network specialised in this kind
            continue
        shown = labels[examples.image_index[unit]]
        assert (shown == kind).sum() >= 7, (kind, unit, shown.tolist())


def test_merging_the_top_lists_of_two_halves_gives_exactly_the_top_list_of_the_whole(trained):
    model, images, _ = trained
    whole = top_examples(model, images, ["conv_b"], 5)["conv_b"]
    first = top_examples(model, images[:37], ["conv_b"], 5)["conv_b"]
    second = top_examples(model, images[37:], ["conv_b"], 5, first_index=37)["conv_b"]
    for merged in (merge(first, second), merge(second, first)):
        for name in ("values", "image_index", "y", "x"):
            np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name), err_msg=name)


def test_ties_are_ordered_by_photo_then_position_and_empty_slots_come_last():
    first = TopExamples(np.array([[2.0, 1.0]], np.float32), np.array([[5, 6]]), np.array([[0, 0]], np.int32),
                        np.array([[3, 0]], np.int32))
    second = TopExamples(np.array([[2.0, -np.inf]], np.float32), np.array([[4, -1]]), np.array([[1, 0]], np.int32),
                         np.array([[0, 0]], np.int32))
    merged = merge(first, second, 4)
    assert merged.values.tolist() == [[2.0, 2.0, 1.0, -np.inf]] and merged.image_index.tolist() == [[4, 5, 6, -1]]


def test_a_small_set_gives_several_spread_examples_per_photo(trained):
    model, images, _ = trained
    spread = top_examples(model, images[:3], ["conv_b"], 8, per_image=3, separation={"conv_b": 8})["conv_b"]
    activations = layer_activations(model, images[:3], ["conv_b"])["conv_b"]
    for channel in range(activations.shape[-1]):
        values = spread.values[channel]
        assert np.all(np.diff(values[np.isfinite(values)]) <= 0)
        assert values[0] == pytest.approx(activations[..., channel].max(), rel=1e-5)
        for photo in set(spread.image_index[channel].tolist()) - {-1}:
            cells = [(y, x) for index, y, x in zip(spread.image_index[channel], spread.y[channel], spread.x[channel],
                                                   strict=True) if index == photo]
            assert len(cells) <= 3
            for a in range(len(cells)):
                for b in range(a + 1, len(cells)):
                    assert max(abs(cells[a][0] - cells[b][0]), abs(cells[a][1] - cells[b][1])) >= 8, cells


def test_a_units_field_box_is_its_receptive_field_centred_on_its_cell():
    # a 7 x 7 map over a 224 px input: cell (3, 3) is centred at 112 px
    assert field_box(3, 3, (7, 7), (224, 224), 64) == (80.0, 80.0, 64.0, 64.0)
    assert field_box(0, 0, (7, 7), (224, 224), 64) == (-16.0, -16.0, 64.0, 64.0)  # the corner: partly outside
    assert field_box(6, 0, (7, 7), (224, 224), 64) == (176.0, -16.0, 64.0, 64.0)
    assert field_box(2, 5, (7, 7), (224, 300), 1000)[2:] == (300.0, 300.0)  # wider than the input: its longer side
    assert field_box(2, 5, (7, 7), (224, 224), None) == (0.0, 0.0, 224.0, 224.0)  # unknown field: the whole input
    top, left, height, width = field_box(10, 20, (56, 56), (224, 224), 11)
    assert (top + height / 2, left + width / 2) == (42.0, 82.0)
    assert height == width == 28.0  # a field under an eighth of the input is widened to it, still centred


def test_bad_input_is_refused_with_what_was_expected(trained):
    model, images, _ = trained
    with pytest.raises(ValueError, match=r"expected preprocessed images \(N, H, W, C\), got shape \(32, 32, 3\)"):
        top_examples(model, images[0], ["conv_b"], 4)
    with pytest.raises(ValueError, match="k and per_image must be at least 1"):
        top_examples(model, images, ["conv_b"], 0)


def test_streamed_batches_give_the_same_examples_as_one_array(trained):
    model, images, _ = trained
    whole = top_examples(model, images, ["conv_a"], 4, batch_size=16)["conv_a"]
    streamed = top_examples(model, (images[start : start + 10] for start in range(0, len(images), 10)), ["conv_a"], 4,
                            batch_size=16)["conv_a"]
    for name in ("values", "image_index", "y", "x"):
        np.testing.assert_array_equal(getattr(streamed, name), getattr(whole, name), err_msg=name)
    with pytest.raises(ValueError, match="expected batches of at most 16"):
        top_examples(model, [images[:20]], ["conv_a"], 4, batch_size=16)


def test_among_equal_maxima_the_first_in_row_major_order_is_reported():
    """ReLU6 networks saturate at 6 in many places: the position must hold the maximum (the first one, row by row)."""
    import keras

    inputs = keras.Input((4, 6, 2))
    model = keras.Model(inputs, keras.layers.Activation("linear", name="maps")(inputs))
    maps = np.zeros((1, 4, 6, 2), np.float32)
    maps[0, 0, 5, 0] = maps[0, 3, 1, 0] = 6.0  # first row holding it: 0; first column: 1 (not a maximum at (0, 1))
    maps[0, 2, 4, 1] = maps[0, 2, 2, 1] = maps[0, 3, 0, 1] = 6.0
    found = top_examples(model, maps, ["maps"], 1)["maps"]
    assert found.values[:, 0].tolist() == [6.0, 6.0]
    assert (found.y[:, 0].tolist(), found.x[:, 0].tolist()) == ([0, 2], [5, 2])


def test_each_unit_gets_its_mean_strongest_response_how_often_it_fires_and_a_dead_flag(trained):
    """A unit whose kernel is zero and bias negative never fires: it is flagged dead; the others' numbers are the
    per-photo maxima recomputed directly, and two halves merge to the whole set's numbers."""
    import keras

    model, images, _ = trained
    inputs = keras.Input((32, 32, 3))
    probe = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="probe")
    outputs = keras.layers.GlobalAveragePooling2D()(probe(inputs))
    network = keras.Model(inputs, outputs)
    kernel = np.random.default_rng(0).normal(size=(3, 3, 3, 3)).astype(np.float32)
    kernel[..., 2] = 0.0
    probe.set_weights([kernel, np.array([0.0, -0.5, -1.0], np.float32)])
    found = top_examples(network, images, ["probe"], 4, batch_size=16)["probe"]
    maxima = layer_activations(network, images, ["probe"])["probe"].max(axis=(1, 2))
    assert found.photos == len(images)
    np.testing.assert_allclose(found.mean_response, maxima.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(found.fire_fraction, (maxima > 0).mean(axis=0))
    assert found.dead.tolist() == [False, False, True]
    halves = merge(top_examples(network, images[:50], ["probe"], 4)["probe"],
                   top_examples(network, images[50:], ["probe"], 4, first_index=50)["probe"])
    assert halves.photos == len(images) and halves.fired.tolist() == found.fired.tolist()
    np.testing.assert_allclose(halves.response_sum, found.response_sum, rtol=1e-6)


def _identity_network(height: int, width: int, channels: int):
    import keras

    inputs = keras.Input((height, width, channels))
    return keras.Model(inputs, keras.layers.Activation("linear", name="maps")(inputs))


def test_each_example_keeps_its_response_map_over_the_units_field_as_a_fraction_of_its_value():
    """Maps as the input itself (stride 1): a 5 px field sampled 5 x 5 lands on the cells around the maximum; past
    the border, one mirrored cell, then 0 (the crop is grey outside the input, so neither is seen)."""
    maps = np.zeros((1, 16, 16, 2), np.float32)
    pattern = np.arange(25, dtype=np.float32).reshape(5, 5) / 10.0
    maps[0, 4:9, 6:11, 0] = pattern
    maps[0, 6, 8, 0] = 8.0  # the maximum, the pattern's centre
    maps[0, 0, 0, 1], maps[0, 0, 1, 1], maps[0, 1, 0, 1] = 4.0, 2.0, 1.0
    found = top_examples(_identity_network(16, 16, 2), maps, ["maps"], 1, fields={"maps": 5}, patch=5)["maps"]
    assert (found.y[:, 0].tolist(), found.x[:, 0].tolist()) == ([6, 0], [8, 0])
    expected = maps[0, 4:9, 6:11, 0] / 8.0
    np.testing.assert_allclose(found.patches[0, 0] / 255.0, expected, atol=0.5 / 255)
    corner = found.patches[1, 0] / 255.0
    assert corner[0].max() == 0 and corner[:, 0].max() == 0  # beyond the mirrored cell: 0
    np.testing.assert_array_equal(corner[1, 1:], corner[2, 1:])  # the cell just outside mirrors the edge cell
    np.testing.assert_allclose(corner[2:4, 2:4], [[1.0, 0.5], [0.25, 0.0]], atol=0.5 / 255)


def test_spread_examples_keep_the_same_patches_as_single_ones():
    rng = np.random.default_rng(3)
    maps = rng.random((3, 12, 12, 4)).astype(np.float32)
    network = _identity_network(12, 12, 4)
    single = top_examples(network, maps, ["maps"], 3, fields={"maps": 7}, patch=4)["maps"]
    spread = top_examples(network, maps, ["maps"], 3, per_image=2, fields={"maps": 7}, patch=4)["maps"]
    for channel in range(4):  # the strongest example of each channel is found by both
        assert (spread.image_index[channel, 0], spread.y[channel, 0], spread.x[channel, 0]) == (
            single.image_index[channel, 0], single.y[channel, 0], single.x[channel, 0])
        np.testing.assert_array_equal(spread.patches[channel, 0], single.patches[channel, 0])


def test_only_the_first_channels_are_searched_when_asked():
    maps = np.random.default_rng(1).random((5, 6, 6, 8)).astype(np.float32)
    found = top_examples(_identity_network(6, 6, 8), maps, ["maps"], 2, channels=3)["maps"]
    assert found.values.shape == (3, 2)
    np.testing.assert_allclose(found.values[:, 0], maps[..., :3].max(axis=(0, 1, 2)))


def test_photo_groups_taken_from_mixed_batches_merge_to_the_whole_sets_examples(trained):
    """A build caches examples per group of photos, computed in batches that mix groups: each group's share of a
    batch, numbered within the group, then renumbered and merged, gives exactly the whole set's list."""
    from generator.compute.examples import ExampleSearch, batch_candidates

    model, images, _ = trained
    images = images[:40]
    whole = top_examples(model, images, ["conv_b"], 6, per_image=2, fields={"conv_b": 9}, patch=4)["conv_b"]
    groups = [np.arange(40)[np.arange(40) % 3 == remainder] for remainder in range(3)]  # photos interleaved
    search = ExampleSearch(("conv_b",), per_image=2, fields=(9,), patch=4)
    found = [TopExamples.empty(whole.values.shape[0], 6, 4) for _ in groups]
    for start in range(0, 40, 16):
        candidates = batch_candidates(model, images[start : start + 16], search, 16)["conv_b"]
        for number, group in enumerate(groups):
            rows = [photo - start for photo in group if start <= photo < start + 16]
            local = [int(np.searchsorted(group, start + row)) for row in rows]
            share = candidates.take(rows, local)
            found[number] = merge(found[number], share, 6) if found[number].response_sum is not None else share
    merged = found[0].renumbered(groups[0])
    for number in (1, 2):
        merged = merge(merged, found[number].renumbered(groups[number]))
    assert merged.photos == 40
    for name in ("values", "image_index", "y", "x", "patches", "fired"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name), err_msg=name)
    np.testing.assert_allclose(merged.response_sum, whole.response_sum, rtol=1e-6)


def test_the_middle_of_each_examples_patch_is_the_unit_itself_at_its_full_value(trained):
    model, images, _ = trained
    for per_image in (1, 2):
        found = top_examples(model, images[:12], ["conv_a", "conv_b"], 4, per_image=per_image,
                             fields={"conv_a": 5, "conv_b": 9}, patch=9)
        for examples in found.values():
            fired = examples.values > 0
            assert fired.any()
            assert (examples.patches[..., 4, 4][fired] == 255).all()


def test_each_patch_sample_is_the_response_of_the_cell_nearest_to_it():
    """Known answer: a 9 px field on a stride-1 map puts the 5 samples of each axis at -3.6, -1.8, 0, 1.8 and 3.6
    cells from the unit, so they read the cells 4 and 2 away and the unit's own: real responses, never a blend
    of neighbours (every cell of this map has its own value)."""
    rows, columns = np.mgrid[0:20, 0:20]
    maps = (1.0 + rows * 20 + columns).astype(np.float32)[None, :, :, None] / 400.0
    maps[0, 10, 9, 0] = 2.0  # the maximum: the unit at row 10, column 9
    found = top_examples(_identity_network(20, 20, 1), maps, ["maps"], 1, fields={"maps": 9}, patch=5)["maps"]
    assert (found.y[0, 0], found.x[0, 0]) == (10, 9)
    offsets = [-4, -2, 0, 2, 4]
    expected = np.array([[maps[0, 10 + dy, 9 + dx, 0] for dx in offsets] for dy in offsets]) / 2.0
    np.testing.assert_array_equal(found.patches[0, 0], np.round(expected * 255).astype(np.uint8))


# ----------------------------------------------------------------------------------------------------------
# The hard cases: ties, boundaries, skewed distributions, non-square maps


def _tied_maps(count: int, height: int = 6, width: int = 6) -> np.ndarray:
    """(count, h, w, 1) maps whose maxima tie in threes: photo i's maximum is 9 - i // 3 at row (i % 3), column 5."""
    maps = np.zeros((count, height, width, 1), np.float32)
    for photo in range(count):
        maps[photo, photo % 3, 5, 0] = 9.0 - photo // 3
    return maps


def _expected_order(values: np.ndarray, k: int) -> list[int]:
    """Photos by falling value, then rising index: the total order every path must give."""
    return sorted(range(len(values)), key=lambda photo: (-values[photo], photo))[:k]


@pytest.mark.parametrize("batch_size", [4, 32])
def test_tied_values_are_ordered_by_photo_whether_streamed_or_merged(batch_size):
    """40 photos whose maxima tie in threes: a sort that is not stable on ties (numpy's default for more than 16
    values) or a merge that orders ties by anything but the photo puts the later photo first."""
    maps = _tied_maps(40)
    network = _identity_network(6, 6, 1)
    per_photo = maps.max(axis=(1, 2, 3))
    for k in (8, 20):
        whole = top_examples(network, maps, ["maps"], k, batch_size=batch_size)["maps"]
        assert whole.image_index[0].tolist() == _expected_order(per_photo, k)
        first = top_examples(network, maps[:17], ["maps"], k, batch_size=batch_size)["maps"]
        second = top_examples(network, maps[17:], ["maps"], k, batch_size=batch_size, first_index=17)["maps"]
        for merged in (merge(first, second), merge(second, first)):
            assert merged.image_index[0].tolist() == _expected_order(per_photo, k)
            assert merged.y[0].tolist() == [photo % 3 for photo in _expected_order(per_photo, k)]


def test_spread_examples_of_one_photo_with_equal_values_are_ordered_by_row_then_column():
    """Several positions of one photo with the same value (a saturated ReLU6): row first, then column."""
    maps = np.zeros((2, 12, 12, 1), np.float32)
    for y, x in ((8, 1), (0, 9), (8, 9), (0, 1)):  # written out of order; all 6.0, all far apart
        maps[0, y, x, 0] = 6.0
    maps[1, 4, 4, 0] = 6.0
    found = top_examples(_identity_network(12, 12, 1), maps, ["maps"], 5, per_image=4, separation={"maps": 3})["maps"]
    assert found.values[0].tolist() == [6.0] * 5
    assert list(zip(found.image_index[0].tolist(), found.y[0].tolist(), found.x[0].tolist(), strict=True)) == [
        (0, 0, 1), (0, 0, 9), (0, 8, 1), (0, 8, 9), (1, 4, 4)]


def test_spread_examples_may_sit_exactly_the_separation_apart_and_never_closer():
    maps = np.zeros((1, 12, 12, 1), np.float32)
    maps[0, 2, 2, 0], maps[0, 2, 6, 0], maps[0, 2, 5, 0] = 5.0, 4.0, 4.5  # 4 and 3 columns from the first
    found = top_examples(_identity_network(12, 12, 1), maps, ["maps"], 3, per_image=3, separation={"maps": 4})["maps"]
    taken = set(zip(found.y[0].tolist(), found.x[0].tolist(), strict=True))
    assert (2, 2) in taken and (2, 6) in taken and (2, 5) not in taken


def test_the_kth_example_is_kept_and_the_next_one_left_out_on_both_sides_of_the_boundary():
    maps = np.zeros((6, 4, 4, 1), np.float32)
    for photo, value in enumerate([3.0, 2.0, 2.0078125, 1.0, 2.00390625, 0.5]):  # 2 + 1/128 and 2 + 1/256: exact
        maps[photo, 1, 1, 0] = value
    for batch_size in (2, 6):
        found = top_examples(_identity_network(4, 4, 1), maps, ["maps"], 3, batch_size=batch_size)["maps"]
        assert found.image_index[0].tolist() == [0, 2, 4]  # 2.0 (photo 1) is the fourth: out
        found = top_examples(_identity_network(4, 4, 1), maps, ["maps"], 4, batch_size=batch_size)["maps"]
        assert found.image_index[0].tolist() == [0, 2, 4, 1]


def test_statistics_of_a_skewed_unit_are_its_mean_not_its_median_and_a_zero_maximum_is_not_firing():
    """One photo excites the unit strongly, three leave it at exactly 0 (a ReLU's floor), one below: the mean of the
    photos' maxima is 2 (the median 0), it fires on 1 of 5, and a unit that only reaches 0 is dead."""
    maps = np.zeros((5, 4, 4, 2), np.float32)
    maps[0, 1, 2, 0] = 10.0
    maps[4, :, :, 0] = -1.0
    maps[:, :, :, 1] = 0.0  # reaches 0 everywhere: never above it
    found = top_examples(_identity_network(4, 4, 2), maps, ["maps"], 2, batch_size=2)["maps"]
    np.testing.assert_allclose(found.mean_response, [(10.0 + 0 + 0 + 0 - 1.0) / 5, 0.0])
    np.testing.assert_allclose(found.fire_fraction, [0.2, 0.0])
    assert found.dead.tolist() == [False, True]


def test_on_a_map_taller_than_wide_each_axis_uses_its_own_cells_and_pixels():
    """A 6 x 10 map over a 96 x 320 input (cells 16 px tall and 32 px wide, by an average pooling): the patch of a
    20 px field, widened to 40 px (an eighth of the longer side), samples rows half a cell apart and columns a
    quarter apart; an axis that took the other's size would sample other cells."""
    import keras

    top, left, height, width = field_box(3, 7, (6, 10), (96, 320), 20)
    assert (top + height / 2, left + width / 2) == (3.5 * 16, 7.5 * 32)
    assert height == width == 40.0
    inputs = keras.Input((96, 320, 1))
    network = keras.Model(inputs, keras.layers.AveragePooling2D((16, 32), name="maps")(inputs))
    rows, columns = np.mgrid[0:6, 0:10]
    cells = (1.0 + rows * 10 + columns).astype(np.float32) / 100.0
    cells[3, 7] = 2.0
    pixels = np.kron(cells, np.ones((16, 32), np.float32))[None, :, :, None]
    found = top_examples(network, pixels, ["maps"], 1, fields={"maps": 20}, patch=5)["maps"]
    assert (found.y[0, 0], found.x[0, 0]) == (3, 7)
    # sample centres at -16, -8, 0, 8 and 16 px from the unit's centre (56, 240): rows 2.0, 2.5, 3.0, 3.5 and 4.0
    # cells, columns 6.5, 6.75, 7.0, 7.25 and 7.5 (a cell's centre is at its index; halves round up)
    expected_rows, expected_columns = [2, 3, 3, 4, 4], [7, 7, 7, 7, 8]
    expected = np.array([[cells[y, x] for x in expected_columns] for y in expected_rows]) / 2.0
    np.testing.assert_allclose(found.patches[0, 0] / 255.0, expected, atol=0.5 / 255)
