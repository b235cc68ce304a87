"""Filter visualisation: all filters of a layer in one batch, driving each filter far above its start."""

import numpy as np
import pytest

from generator.compute.filters import Recipe, filter_response, visualize_filters
from generator.compute.transforms import Robustness
from generator.errors import AtlasError


NOISE = Recipe(size=32, steps=0, closed_form=False)
"""The starting noise of the Fourier image: what a layer's images are before any step (a linear layer's closed form
would take its place otherwise)."""


@pytest.mark.parametrize("layer", ["conv_a", "conv_b"])
def test_each_image_drives_its_filter_far_above_the_starting_noise(tiny_classifier, layer):
    filters = list(range(6))
    start = visualize_filters(tiny_classifier, layer, filters, recipe=NOISE, seed=3)
    final = visualize_filters(tiny_classifier, layer, filters, size=32, steps=60, seed=3)
    before = filter_response(tiny_classifier, layer, filters, start)
    after = filter_response(tiny_classifier, layer, filters, final)
    assert final.shape == (6, 32, 32, 3) and final.dtype == np.uint8
    assert np.all(after > before), (before, after)
    assert np.median(after - before) > 5 * max(np.median(np.abs(before)), 1e-3)


def test_each_image_is_specific_to_its_own_filter(tiny_classifier):
    filters = list(range(8))
    images = visualize_filters(tiny_classifier, "conv_a", filters, size=32, steps=60, seed=1)
    # Image i excites filter i more than the images made for the other filters do, on average.
    responses = np.stack([filter_response(tiny_classifier, "conv_a", [f] * len(filters), images) for f in filters])
    own = np.diag(responses)
    others = (responses.sum(axis=1) - own) / (len(filters) - 1)
    assert np.mean(own > others) >= 0.75


def test_same_seed_same_bytes_and_other_seed_other_image(tiny_classifier):
    first = visualize_filters(tiny_classifier, "conv_b", [0, 1], size=32, steps=5, seed=7)
    again = visualize_filters(tiny_classifier, "conv_b", [0, 1], size=32, steps=5, seed=7)
    other = visualize_filters(tiny_classifier, "conv_b", [0, 1], size=32, steps=5, seed=8)
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()


def test_a_filter_that_does_not_exist_is_named(tiny_classifier):
    with pytest.raises(AtlasError, match="has 6 filters .* filter index 6 does not exist"):
        visualize_filters(tiny_classifier, "conv_b", [0, 6], size=32, steps=1)


def test_a_network_with_vanishing_gradients_still_gets_pictures():
    """Untrained deep networks have gradients far below Adam's epsilon (1e-17 in MobileNet): images must still move."""
    from tests.conftest import make_tiny_classifier

    model = make_tiny_classifier(seed=5)
    kernel, bias = model.get_layer("conv_a").get_weights()
    model.get_layer("conv_a").set_weights([kernel * 1e-9, bias * 1e-9])
    filters = list(range(4))
    start = visualize_filters(model, "conv_b", filters, size=32, steps=0, seed=2)
    final = visualize_filters(model, "conv_b", filters, size=32, steps=30, seed=2)
    spread = [int(image.max()) - int(image.min()) for image in final]
    assert min(spread) > 60, spread
    assert np.all(filter_response(model, "conv_b", filters, final) > filter_response(model, "conv_b", filters, start))


def _stripes_dataset(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """32x32 RGB pictures of three classes: horizontal stripes, vertical stripes, and a red blob, with noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:32, 0:32]
    labels = rng.integers(0, 3, count)
    images = rng.uniform(0, 60, (count, 32, 32, 3))
    for image, label in zip(images, labels, strict=True):
        period, phase = rng.integers(4, 9), rng.integers(0, 8)
        if label == 0:
            image += 180 * (((y + phase) // (period // 2)) % 2)[..., None]
        elif label == 1:
            image += 180 * (((x + phase) // (period // 2)) % 2)[..., None]
        else:
            cy, cx = rng.integers(8, 24, 2)
            image[..., 0] += 190 * (((y - cy) ** 2 + (x - cx) ** 2) < 36)
    return np.clip(images, 0, 255).astype(np.float32), labels


@pytest.fixture(scope="module")
def stripes_model():
    """The tiny classifier trained here on stripes and blobs, with its training pictures (0..255)."""
    import keras

    from tests.conftest import make_tiny_classifier

    model = make_tiny_classifier(classes=3, seed=4)
    images, labels = _stripes_dataset(600)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(images / 127.5 - 1.0, labels, epochs=6, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9  # it really learned stripes and blobs
    return model, images


def best_training_response(model, layer: str, channels: int, images: np.ndarray) -> np.ndarray:
    """Per unit, its largest mean activation over the training pictures: what the data says it can reach."""
    return np.stack([filter_response(model, layer, [unit] * len(images), images) for unit in range(channels)]).max(axis=1)


def best_training_peak(model, layer: str, channels: int, images: np.ndarray) -> np.ndarray:
    """Per unit, its strongest activation anywhere on any training picture: the units page's best crop."""
    from generator.compute.filters import filter_peaks

    return np.stack([filter_peaks(model, layer, [unit] * len(images), images) for unit in range(channels)]).max(axis=1)


def fires(best: np.ndarray) -> np.ndarray:
    """Units whose best training picture drives them to at least 1 % of the layer's strongest unit."""
    return best >= 0.01 * best.max()


STILL = Robustness(pad=0, jitter=0, scale=(1.0, 1.0), degrees=0.0)
"""No transforms: the optimiser alone (its target, its sign, Adam and the Fourier image), judged by the data."""


@pytest.mark.parametrize("layer,channels", [("conv_a", 8), ("conv_b", 6)])
def test_every_unit_that_fires_on_the_training_data_is_driven_at_least_as_high_as_its_best_training_picture(
    stripes_model, layer, channels
):
    """As the units page measures it: each unit's strongest activation on its image against its strongest on any
    training picture. conv_a is linear in the input, so its images are closed forms; conv_b's are optimised."""
    from generator.compute.filters import filter_peaks

    model, images = stripes_model
    best = best_training_peak(model, layer, channels, images)
    assert fires(best).sum() >= channels - 1, best  # the verdict on which units count comes from the data
    recipe = Recipe(size=32, steps=256, learning_rate=0.4, robustness=STILL)
    final = visualize_filters(model, layer, list(range(channels)), recipe=recipe, seed=11)
    reached = filter_peaks(model, layer, list(range(channels)), final, recipe=recipe)
    assert np.all(reached[fires(best)] >= best[fires(best)]), (best, reached)


@pytest.mark.parametrize("layer,channels", [("conv_a", 8), ("conv_b", 6)])
def test_the_default_recipe_drives_every_unit_that_fires_on_the_training_data_far_above_its_start(stripes_model, layer, channels):
    """As the units page measures it (each unit's strongest activation on its image), against the grey noise the
    optimisation starts from: every unit that fires on the data at least doubles it, and beats the data's best.

    Units the data barely excite (under a tenth of the layer's strongest: conv_b's unit 0 reaches 1.4 where the
    others reach 13 to 22) are left out: its pre-activation starts at -0.24 on grey and the redirected ReLU raises it
    to -0.09 in these 60 steps, not yet past 0."""
    from generator.compute.filters import filter_peaks

    model, images = stripes_model
    best = best_training_peak(model, layer, channels, images)
    live = best >= 0.1 * best.max()
    filters = list(range(channels))
    start = visualize_filters(model, layer, filters, recipe=NOISE, seed=11)
    final = visualize_filters(model, layer, filters, size=32, steps=60, seed=11)
    before = filter_peaks(model, layer, filters, start)
    after = filter_peaks(model, layer, filters, final)
    assert np.all((after - before)[live] > np.maximum(np.abs(before[live]), 0.05)), (layer, before, after)
    assert np.all(after[live] >= best[live]), (layer, best, after)


def edge_model():
    """One 3x3 convolution, ReLU: unit 0 a Sobel kernel for horizontal edges, unit 1 the same turned for vertical ones."""
    import keras

    sobel = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], np.float32)
    kernel = np.zeros((3, 3, 3, 2), np.float32)
    kernel[..., 0], kernel[..., 1] = sobel[..., None], sobel.T[..., None]
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="edges")(inputs))
    model.get_layer("edges").set_weights([kernel, np.zeros(2, np.float32)])
    return model


def vertical_over_horizontal_frequency_power(image: np.ndarray) -> float:
    """Spectral power where the picture changes down its rows (|fy| > |fx|: horizontal stripes) over across them."""
    grey = image.astype(np.float64).mean(axis=-1)
    power = np.abs(np.fft.fft2(grey - grey.mean())) ** 2
    fy = np.abs(np.fft.fftfreq(grey.shape[0]))[:, None]
    fx = np.abs(np.fft.fftfreq(grey.shape[1]))[None, :]
    return float(power[fy > fx].sum() / max(power[fx > fy].sum(), 1e-12))  # pure stripes have none across them


def test_an_oriented_edge_unit_gets_a_picture_with_that_orientation():
    """The layer is linear in the input up to its ReLU, so the default recipe gives each unit its closed form:
    pure stripes, all their power along one axis (measured 2.5 and 1/2.7 when it was optimised). A loop that made
    the wrong unit's picture, or one picture for every unit, would give both the same orientation or swap them."""
    horizontal, vertical = visualize_filters(edge_model(), "edges", [0, 1], size=64, steps=60, seed=0)
    assert vertical_over_horizontal_frequency_power(horizontal) > 1.8
    assert vertical_over_horizontal_frequency_power(vertical) < 1 / 1.8
    swapped = visualize_filters(edge_model(), "edges", [1, 0], size=64, steps=60, seed=0)
    assert vertical_over_horizontal_frequency_power(swapped[0]) < 1 / 1.8


@pytest.mark.parametrize("steps,graphs", [(8, 1), (64, 2)])
def test_a_long_run_gives_the_plain_steps_a_graph_of_their_own(tiny_classifier, steps, graphs):
    from generator.compute.filters import PLAIN_GRAPH_FROM_STEPS, Recipe, Schedule, _compiled_steps

    recipe = Recipe(size=32, steps=steps, stopping=None)
    schedule = Schedule(recipe, silenceable=True)
    assert (schedule.plain_steps_at_most >= PLAIN_GRAPH_FROM_STEPS) == (graphs == 2)
    made = []
    compiled = _compiled_steps(tiny_classifier, "conv_b", recipe, schedule, lambda network: made.append(network) or network)
    assert len(made) == graphs and (compiled["redirected"] is compiled["plain"]) == (graphs == 1 and False)
    planned = []
    while (step := schedule.next()) is not None:
        planned.append(step)
    assert len(planned) == steps and planned[0].graph == "redirected" and planned[-1].graph == "plain"


def test_a_filter_dead_at_the_grey_start_is_pushed_towards_firing_by_the_redirected_relu():
    """The cut layer's own ReLU is redirected (its kernel mixes channels, so nothing below it is): a filter whose
    bias holds it below zero on the grey start gets a gradient that raises it; without redirected steps its
    image never moves."""
    import keras

    from generator.compute.filters import Recipe, scale_to_unit_range

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="first")(inputs)
    x = keras.layers.Conv2D(2, 3, padding="same", name="dead", bias_initializer=keras.initializers.Constant(-1.0))(x)
    pre_activation = keras.Model(inputs, x)
    model = keras.Model(inputs, keras.layers.ReLU(name="dead_relu")(x))

    def highest(images):  # the filter's largest pre-activation on its own image
        values = pre_activation(scale_to_unit_range(images.astype(np.float32))).numpy()
        return np.array([values[i, ..., i].max() for i in range(2)])

    start = visualize_filters(model, "dead_relu", [0, 1], size=32, steps=0, seed=0)
    assert np.all(highest(start) < -0.9)
    plain = visualize_filters(model, "dead_relu", [0, 1], recipe=Recipe(size=32, steps=24, redirect_fraction=0.0), seed=0)
    redirected = visualize_filters(model, "dead_relu", [0, 1], recipe=Recipe(size=32, steps=24, redirect_fraction=0.5), seed=0)
    assert plain.tobytes() == start.tobytes()
    assert np.all(highest(redirected) - highest(start) > 0.03), (highest(start), highest(redirected))


def test_a_filter_images_peak_is_its_filters_strongest_activation_on_it_on_the_canvas_the_loop_used():
    """Recomputed directly: the channel's largest activation over the image, and over the image centred on the
    grey canvas the optimisation showed the network (a recipe whose least canvas is larger than the image)."""
    import keras

    from generator.compute.filters import Recipe, filter_peaks

    keras.utils.set_random_seed(1)
    inputs = keras.Input((None, None, 3))
    maps = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_b")(inputs)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(maps))
    probe = keras.Model(inputs, maps)
    images = np.random.default_rng(2).integers(0, 256, (3, 32, 32, 3)).astype(np.uint8)
    images[0] = 0  # black: on the grey canvas the strongest response is at the border
    direct = probe(images / 127.5 - 1.0).numpy()
    np.testing.assert_allclose(filter_peaks(model, "conv_b", [4, 0, 5], images),
                               [direct[0, ..., 4].max(), direct[1, ..., 0].max(), direct[2, ..., 5].max()], rtol=1e-5)
    on_canvas = np.full((3, 48, 48, 3), 127.5, np.float32)
    on_canvas[:, 8:40, 8:40] = images
    padded = probe(on_canvas / 127.5 - 1.0).numpy()
    assert not np.allclose(padded[0].max(axis=(0, 1)), direct[0].max(axis=(0, 1)))  # the grey border shows
    np.testing.assert_allclose(filter_peaks(model, "conv_b", [4, 0, 5], images, recipe=Recipe(size=32, steps=1, min_canvas=48)),
                               [padded[0, ..., 4].max(), padded[1, ..., 0].max(), padded[2, ..., 5].max()], rtol=1e-5)
