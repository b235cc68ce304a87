"""Natural examples per unit: each channel's strongest responses over a photo set, on a network trained here on
stripes and blobs, checked against the activations recomputed directly."""

import numpy as np
import pytest

from generator.compute.activations import layer_activations
from generator.compute.examples import TopExamples, crop_box, merge, top_examples
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


def test_a_crop_is_the_receptive_field_centred_on_the_unit_and_clipped_at_the_border():
    # a 7 x 7 map over a 224 px photo: cell (3, 3) is centred at 112 px
    assert crop_box(3, 3, (7, 7), (224, 224), 64) == (80, 80, 144, 144)
    assert crop_box(0, 0, (7, 7), (224, 224), 64) == (0, 0, 48, 48)  # the top-left corner, clipped
    assert crop_box(6, 0, (7, 7), (224, 224), 64) == (176, 0, 224, 48)  # bottom-left
    assert crop_box(2, 5, (7, 7), (224, 300), 1000) == (0, 0, 224, 300)  # a field wider than the photo
    assert crop_box(2, 5, (7, 7), (224, 224), None) == (0, 0, 224, 224)  # unknown field: the whole photo
    top, left, bottom, right = crop_box(10, 20, (56, 56), (224, 224), 11)
    assert (bottom - top, right - left) == (12, 12) and top <= 42 <= bottom and left <= 82 <= right


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
