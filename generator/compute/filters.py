"""Filter visualisation: activation maximisation of many filters of one layer at once.

Every requested filter of a layer is one image of a single batch, optimised together in one compiled step
(``tf.function``) on a model cut at that layer: image ``i`` maximises the mean activation of filter
``filter_indices[i]``. Since Adam is element-wise and the images never interact, this is the same optimisation
as one filter at a time, done in one pass instead of one per filter.

The recipe is the one that gives readable pictures (see ``fourier``, ``transforms`` and ``redirected_relu``):
a decorrelated Fourier parametrisation, a random affine transform per image at every step, Adam, and a ReLU
gradient that reaches units which are not firing yet during the first steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from collections.abc import Callable

import numpy as np

from generator.compute.feed import run_model
from generator.compute.flatten import reachable

from generator.compute.fourier import initial_spectrum, spectrum_scale, spectrum_to_rgb
from generator.compute.layers import channel_count
from generator.compute.precision import keras_policy
from generator.compute.redirected_relu import call_with_redirected_relu, silenceable_relus
from generator.compute.transforms import Robustness, network_side, random_affine
from generator.errors import AtlasError


def scale_to_unit_range(images):
    """Default input scaling, 0..255 to [-1, 1] (MobileNet, Inception and most small models)."""
    return images / 127.5 - 1.0


@dataclass(frozen=True)
class Recipe:
    """Every parameter of a filter visualisation (all of it goes into the cache key)."""

    size: int = 64
    steps: int = 40
    learning_rate: float = 0.05
    redirect_fraction: float = 0.25
    """Share of the steps, at the start, during which the redirected ReLU gradient is on."""
    robustness: Robustness = field(default_factory=Robustness)
    min_canvas: int = 32
    """Smallest input the architecture accepts (75 for Inception): the canvas is padded up to it."""
    canvas_multiple: int = 8
    """The canvas side is a multiple of this (32 for NASNet, whose branches disagree on other sizes)."""
    period: int | None = None
    """Optimise one ``period``-pixel tile and repeat it to ``size`` (for units that see less than the canvas)."""
    precision: str = "float32"
    """Number format of the network's arithmetic, ``float32`` or ``bfloat16`` (resolved, never ``auto``)."""

    def redirect_steps_for(self, steps: int) -> int:
        if not steps or self.redirect_fraction <= 0:
            return 0
        return min(steps, max(1, round(steps * self.redirect_fraction)))


def truncated_model(model, layer_name: str):
    """``model`` cut at ``layer_name``, taking any image size, sharing the original weights."""
    return _cut_and_clone(model, layer_name, clone_function=lambda original: original, call_function=None)


def filter_loop_network(model, layer_name: str, *, precision: str = "float32", redirect=False):
    """``model`` cut at ``layer_name`` as the filter loop runs it: same output, less work per step.

    Batch norms after convolutions are folded into them (``folding``); the network computes in ``precision``,
    float32 or bfloat16 (see ``precision``), its weights copied. With ``redirect`` the ReLUs that can fall
    silent (``silenceable_relus``) pass the redirected gradient: ``True`` always, a boolean ``tf.Variable``
    while it is true, so that one compiled step can serve a whole run.
    """
    from generator.compute.folding import folded_convolution, foldable_pairs, graph_nodes

    cut = _cut(model, layer_name)
    pairs = foldable_pairs(cut)
    folded_norms = set(pairs.values())
    policy = keras_policy(precision)
    if policy != "float32":  # layers are copied to the new policy, and copies are built from their input shapes
        input_shapes = {node.operation: [tensor.shape for tensor in node.input_tensors] for node in graph_nodes(cut)}

    def clone_function(layer):
        if layer in pairs:
            return folded_convolution(layer, pairs[layer], policy)
        if policy == "float32" or layer in folded_norms:
            return layer
        try:
            copy = type(layer).from_config(dict(layer.get_config(), dtype=policy))
            if layer.weights:
                shapes = input_shapes[layer]
                copy.build(shapes[0] if len(shapes) == 1 else shapes)
                copy.set_weights(layer.get_weights())
        except Exception as error:  # a custom layer that cannot be rebuilt from its config
            reason = " ".join(str(error).split())
            reason = reason if len(reason) <= 160 else reason[:157] + "..."
            raise AtlasError(
                f"layer {layer.name!r} ({type(layer).__name__}) cannot be copied to compute in {precision} ({reason}). "
                f"Set `recipe: {{precision: float32}}` for this backbone in atlas.yml."
            ) from error
        return copy

    relu_call = None
    if redirect is not False:
        relu_call = call_with_redirected_relu(silenceable_relus(model, layer_name), None if redirect is True else redirect)

    def call_function(layer, *args, **kwargs):
        if layer in folded_norms:
            return args[0]
        return relu_call(layer, *args, **kwargs) if relu_call else layer(*args, **kwargs)

    return _cut_and_clone(model, layer_name, clone_function=clone_function, call_function=call_function, cut=cut)


def _cut(model, layer_name: str):
    import keras

    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        raise AtlasError(f"layer {layer_name!r} is not in model {model.name!r}") from None
    return keras.Model(model.inputs, layer.output)


def _cut_and_clone(model, layer_name: str, *, clone_function, call_function, cut=None):
    import keras

    cut = cut if cut is not None else _cut(model, layer_name)
    return keras.models.clone_model(
        cut,
        input_tensors=[keras.Input((None, None, model.inputs[0].shape[-1]))],
        clone_function=clone_function,
        call_function=call_function,
    )


def _check_filters(model, layer_name: str, filter_indices: list[int]) -> None:
    channels = channel_count(model.get_layer(layer_name))
    bad = [index for index in filter_indices if not 0 <= index < channels]
    if bad:
        raise AtlasError(
            f"layer {layer_name!r} has {channels} filters (0..{channels - 1}); filter index {bad[0]} does not exist"
        )


def visualize_filters(
    model,
    layer_name: str,
    filter_indices: list[int],
    *,
    size: int = 64,
    steps: int = 40,
    seed: int = 0,
    learning_rate: float = 0.05,
    preprocess: Callable | None = None,
    recipe: Recipe | None = None,
) -> np.ndarray:
    """uint8 images (len(filter_indices), size, size, 3), image i maximising filter ``filter_indices[i]``.

    ``preprocess`` maps float 0..255 RGB tensors to the model's input scale (a backbone's ``preprocess_fn``);
    it defaults to [-1, 1]. The same arguments and seed give the same bytes. A layer inside a nested model is
    reached too (see ``flatten.reachable``).
    """
    import tensorflow as tf

    model, (layer_name,) = reachable(model, [layer_name])
    filter_indices = [int(index) for index in filter_indices]
    _check_filters(model, layer_name, filter_indices)
    recipe = recipe or Recipe(size=size, steps=steps, learning_rate=learning_rate)
    preprocess = preprocess or scale_to_unit_range
    count, size = len(filter_indices), recipe.period or recipe.size
    spectrum = tf.Variable(initial_spectrum(count, size, size, seed))
    first_moment = tf.Variable(tf.zeros_like(spectrum))
    second_moment = tf.Variable(tf.zeros_like(spectrum))
    scale = tf.constant(spectrum_scale(size, size))
    targets = tf.constant(filter_indices, tf.int32)
    beta1, beta2, epsilon = 0.9, 0.999, 1e-8

    def make_step(features):
        @tf.function(autograph=False)
        def step(t):
            with tf.GradientTape() as tape:
                images = spectrum_to_rgb(spectrum, size, size, scale)
                moved = random_affine(images, t, seed, recipe.robustness, recipe.min_canvas, recipe.canvas_multiple)
                activations = run_model(features, preprocess(moved * 255.0), training=False)
                loss = -tf.reduce_sum(filter_means(activations, targets))
            gradient = tape.gradient(loss, spectrum)
            # Per image, to unit RMS: an untrained network's gradients (1e-17 in MobileNet) are far below Adam's
            # epsilon and would leave the image grey; Adam itself is indifferent to a constant scale.
            rms = tf.sqrt(tf.reduce_mean(tf.square(gradient), axis=[1, 2, 3, 4], keepdims=True))
            gradient = gradient / (rms + 1e-30)
            count_t = tf.cast(t, tf.float32) + 1.0
            first_moment.assign(beta1 * first_moment + (1 - beta1) * gradient)
            second_moment.assign(beta2 * second_moment + (1 - beta2) * tf.square(gradient))
            corrected = first_moment / (1 - beta1**count_t)
            spread = tf.sqrt(second_moment / (1 - beta2**count_t)) + epsilon
            spectrum.assign_sub(recipe.learning_rate * corrected / spread)

        return step

    for t, step in enumerate(_steps(model, layer_name, recipe, make_step)):
        step(tf.constant(t, tf.int64))
    images = np.clip(np.round(spectrum_to_rgb(spectrum, size, size, scale).numpy() * 255.0), 0, 255).astype(np.uint8)
    if size < recipe.size:  # the Fourier image is periodic: tiling it continues it seamlessly
        repeats = -(-recipe.size // size)
        images = np.tile(images, (1, repeats, repeats, 1))[:, : recipe.size, : recipe.size]
    return images


PLAIN_GRAPH_FROM_STEPS = 32
"""From this many plain steps on, the plain steps get a graph of their own with the native ReLU gradient."""


def _steps(model, layer_name: str, recipe: Recipe, make_step):
    """The compiled step to run at each step: redirected ReLUs first, plain ones after.

    Tracing and compiling dominate short runs (NASNet: 6 s a graph; one ``tf.cond`` per ReLU tripled it), and
    the redirected ReLU's element-wise work, done even while switched off, adds up over long ones (it grows
    with the cut layer's output: 2 % of a step on VGG16 at ``block4_conv1``, more near the input). So a short
    run traces one graph whose redirection a variable switches off; a run with at least
    ``PLAIN_GRAPH_FROM_STEPS`` plain steps traces a second, plain graph for them. Both give the same gradients.
    A layer that no ReLU can silence (``silenceable_relus``) gets plain steps only, in one graph.
    """
    import tensorflow as tf

    redirect_steps = recipe.redirect_steps_for(recipe.steps) if silenceable_relus(model, layer_name) else 0
    plain_steps = recipe.steps - redirect_steps
    network = partial(filter_loop_network, model, layer_name, precision=recipe.precision)
    if not redirect_steps:
        yield from [make_step(network())] * plain_steps
        return
    if plain_steps >= PLAIN_GRAPH_FROM_STEPS:
        yield from [make_step(network(redirect=True))] * redirect_steps
        yield from [make_step(network())] * plain_steps
        return
    switch = tf.Variable(True, trainable=False)
    step = make_step(network(redirect=switch))
    yield from [step] * redirect_steps
    switch.assign(False)
    yield from [step] * plain_steps


def filter_response(
    model, layer_name: str, filter_indices: list[int], images: np.ndarray, *, preprocess: Callable | None = None
) -> np.ndarray:
    """Mean activation of filter ``filter_indices[i]`` on uint8 image ``i``: how strongly each image drives it."""
    import tensorflow as tf

    return tf.reduce_mean(_filter_maps(model, layer_name, filter_indices, images, preprocess), axis=[1, 2]).numpy()


def filter_peaks(
    model, layer_name: str, filter_indices: list[int], images: np.ndarray, *, preprocess: Callable | None = None,
    recipe: Recipe | None = None,
) -> np.ndarray:
    """Strongest activation of filter ``filter_indices[i]`` anywhere on uint8 image ``i``: comparable with a unit's
    natural examples, whose value is a photo's strongest response (``compute.examples``).

    The image is centred on a grey canvas of the side the optimisation showed the network (``recipe``'s, see
    ``transforms.network_side``): a network with a least input size (InceptionV3: 75 px) refuses a 64 px image.
    """
    import tensorflow as tf

    images = np.asarray(images, np.float32)
    if recipe is not None:
        side = network_side(images.shape[1], recipe.robustness, recipe.min_canvas, recipe.canvas_multiple)
        before = (side - images.shape[1]) // 2
        after = side - images.shape[1] - before
        images = np.pad(images, ((0, 0), (before, after), (before, after), (0, 0)), constant_values=127.5)
    return tf.reduce_max(_filter_maps(model, layer_name, filter_indices, images, preprocess), axis=[1, 2]).numpy()


def _filter_maps(model, layer_name: str, filter_indices: list[int], images: np.ndarray, preprocess: Callable | None):
    """(N, h, w) float32: filter ``filter_indices[i]``'s map on image ``i``, through the model cut at the layer."""
    import tensorflow as tf

    flat, (layer_name,) = reachable(model, [layer_name])
    features = truncated_model(flat, layer_name)
    activations = run_model(features, (preprocess or scale_to_unit_range)(tf.constant(np.asarray(images, np.float32))),
                            training=False)
    return _chosen_maps(activations, tf.constant(filter_indices, tf.int32))


def filter_means(activations, targets):
    """Mean activation of channel ``targets[i]`` over the space of image ``i``, in float32: what image i drives.

    The filter loop maximises it (one filter per image of a batch) and ``filter_response`` reports it.
    """
    import tensorflow as tf

    return tf.reduce_mean(_chosen_maps(activations, targets), axis=[1, 2])


def _chosen_maps(activations, targets):
    """Channel ``targets[i]`` of image ``i``'s activations (N, h, w, C), in float32."""
    import tensorflow as tf

    return tf.gather(tf.cast(activations, tf.float32), targets, axis=3, batch_dims=1)
