"""Filter visualisation: activation maximisation of many filters of one layer at once.

Every requested filter of a layer is one image of a single batch, optimised together in one compiled step
(``tf.function``) on a model cut at that layer: image ``i`` maximises filter ``filter_indices[i]``. Since Adam is
element-wise and the images never interact, this is the same optimisation as one filter at a time, done in one
pass instead of one per filter.

The recipe is the one that gives readable pictures (see ``fourier``, ``transforms`` and ``redirected_relu``):
a decorrelated Fourier parametrisation, a random affine transform per image at every step, Adam, and a ReLU
gradient that reaches units which are not firing yet. Three things make a filter image beat the photos, which
is the atlas' measure of it (a unit's strongest response to its image over its strongest response to a photo):

- **The objective is the map's mean and its peak**, halved. The mean alone (Lucid's channel objective) is met
  by a texture that is good everywhere and best nowhere: at the first layers an ordinary photo excited most units
  more than their filter image did. The peak makes one place as strong as a unit can be made, the mean keeps the
  rest of the image a picture of the feature.
- **The last steps settle the image** (``Recipe.settle_steps``): the random transforms fade out, so the image
  locks into the exact pixel grid it is shown on instead of staying a blur of its shifted copies.
- **Steps follow convergence** (``compute.convergence``): a batch stops when its objective has stopped rising,
  so cheap early layers run long and costly deep ones stop early; ``Recipe.steps`` is the cap.

A unit that is linear in the input (a first convolution) is not optimised at all: its best image is known in
closed form (``compute.closed_form``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from collections.abc import Callable

import numpy as np

from generator.compute.convergence import Convergence, StoppingRule
from generator.compute.feed import run_model
from generator.compute.flatten import reachable

from generator.compute.fourier import initial_spectrum, spectrum_scale, spectrum_to_rgb
from generator.compute.layers import channel_count
from generator.compute.precision import keras_policy
from generator.compute.redirected_relu import call_with_redirected_relu, silenceable_relus
from generator.compute.transforms import Robustness, network_side, random_affine
from generator.errors import AtlasError
from generator.results.filter_run import CAP, CLOSED_FORM, CONVERGED, FilterRun

OBJECTIVES = ("mean+peak", "mean")
"""What an image maximises of its unit's map: half its mean plus half its peak, or (Lucid's, and this atlas'
until the filter images were measured against photos) its mean alone."""


def scale_to_unit_range(images):
    """Default input scaling, 0..255 to [-1, 1] (MobileNet, Inception and most small models)."""
    return images / 127.5 - 1.0


LEARNING_RATE = 0.1
"""Adam's step in the Fourier parameters. At Lucid's 0.05 the images of the middle and last layers came out grey
when the stopping rule ended them after 44-92 steps (mean saturation 0.06-0.11 of the full range, where 256 fixed
steps reached 0.17); at 0.1 the same layers stop after as many steps or fewer with 0.10-0.17 and about 1.7 times
the contrast, each layer's median ratio to its best photo crop within -9 % and +7 % (``benchmarks/README.md``)."""


@dataclass(frozen=True)
class Recipe:
    """Every parameter of a filter visualisation (all of it goes into the cache key)."""

    size: int = 64
    steps: int = 40
    """The most steps a layer takes (``stopping`` may end it sooner), the settling steps included."""
    learning_rate: float = LEARNING_RATE
    redirect_fraction: float = 0.25
    """Share of the steps before settling (of at most ``REDIRECT_SPAN`` of them), at the start, during which the
    redirected ReLU gradient is on; it stays on after them while a unit is still silent (``Schedule``)."""
    robustness: Robustness = field(default_factory=Robustness)
    min_canvas: int = 32
    """Smallest input the architecture accepts (75 for Inception): the canvas is padded up to it."""
    canvas_multiple: int = 8
    """The canvas side is a multiple of this (32 for NASNet, whose branches disagree on other sizes)."""
    period: int | None = None
    """Optimise one ``period``-pixel tile and repeat it to ``size`` (for units that see less than the canvas)."""
    precision: str = "float32"
    """Number format of the network's arithmetic, ``float32`` or ``bfloat16`` (resolved, never ``auto``)."""
    objective: str = "mean+peak"
    """One of ``OBJECTIVES``."""
    tiled: bool = True
    """Show the network a ``period`` tile repeated, as the picture repeats it, not alone on grey: a unit near the
    tile's edge then sees what it will see in the picture."""
    settle_steps: int = 12
    """Steps at the end over which the random transforms fade to none; never more than the steps before them (a
    24-step run settles over its last 12: on VGG16's last layer that left 3 of 63 units below their best photo
    crop, against 6 with its last 5)."""
    stopping: StoppingRule | None = field(default_factory=StoppingRule)
    """When a batch has converged; None: every one of ``steps``."""
    closed_form: bool = True
    """Give a unit that is linear in the input its closed-form image instead of optimising it."""

    def redirect_steps_for(self, steps: int) -> int:
        if not steps or self.redirect_fraction <= 0:
            return 0
        return min(steps, max(1, round(min(steps, REDIRECT_SPAN) * self.redirect_fraction)))

    def settling_steps(self, robust_steps: int) -> int:
        """The settling steps after ``robust_steps`` steps with the full transforms."""
        return max(0, min(self.settle_steps, robust_steps))

    def robust_cap(self) -> int:
        """The most steps before settling: with their settling steps they fit in ``steps``."""
        cap = self.steps
        while cap > 0 and cap + self.settling_steps(cap) > self.steps:
            cap -= 1
        return cap


REDIRECT_SPAN = 64
"""The redirection wakes silent units in a run's first steps, whatever its length: a share of a 256-step run
(64 steps, during which no batch may stop) kept the deep layers of ReLU networks running long after they had
converged. A unit still silent after them keeps the redirection on (``Schedule``)."""

REFERENCE_2026 = dict(objective="mean", tiled=False, settle_steps=0, stopping=None, closed_form=False,
                      learning_rate=0.05)
"""The recipe fields that give the filter images as the atlas made them until December 2026 (a fixed number of
steps of the mean objective at Lucid's learning rate, each tile alone on grey): kept so that the benchmark can
draw both side by side."""


@dataclass(frozen=True)
class FilterImages:
    """A layer's filter images and how they were made."""

    images: np.ndarray
    """uint8 (filters, size, size, 3)."""
    run: FilterRun

    @property
    def steps(self) -> int:
        return self.run.steps

    @property
    def stopped(self) -> str:
        return self.run.stopped


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
    learning_rate: float = LEARNING_RATE,
    preprocess: Callable | None = None,
    recipe: Recipe | None = None,
) -> np.ndarray:
    """uint8 images (len(filter_indices), size, size, 3), image i maximising filter ``filter_indices[i]``.

    ``preprocess`` maps float 0..255 RGB tensors to the model's input scale (a backbone's ``preprocess_fn``);
    it defaults to [-1, 1]. The same arguments and seed give the same bytes. A layer inside a nested model is
    reached too (see ``flatten.reachable``). ``optimise_filters`` also says how many steps it took and why.
    """
    return optimise_filters(model, layer_name, filter_indices, size=size, steps=steps, seed=seed,
                            learning_rate=learning_rate, preprocess=preprocess, recipe=recipe).images


def optimise_filters(
    model,
    layer_name: str,
    filter_indices: list[int],
    *,
    size: int = 64,
    steps: int = 40,
    seed: int = 0,
    learning_rate: float = LEARNING_RATE,
    preprocess: Callable | None = None,
    recipe: Recipe | None = None,
) -> FilterImages:
    """``visualize_filters``' images, with the steps they took and why they stopped (``FilterImages``)."""
    import tensorflow as tf

    model, (layer_name,) = reachable(model, [layer_name])
    filter_indices = [int(index) for index in filter_indices]
    _check_filters(model, layer_name, filter_indices)
    recipe = recipe or Recipe(size=size, steps=steps, learning_rate=learning_rate)
    if recipe.objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {recipe.objective!r}")
    preprocess = preprocess or scale_to_unit_range
    if recipe.closed_form:
        from generator.compute.closed_form import closed_form_images, linear_in_input

        if linear_in_input(model, layer_name):
            canvas = network_side(recipe.size, recipe.robustness, recipe.min_canvas, recipe.canvas_multiple)
            return FilterImages(closed_form_images(model, layer_name, filter_indices, recipe.size, canvas, preprocess),
                                FilterRun(0, CLOSED_FORM))
    count, size = len(filter_indices), recipe.period or recipe.size
    # a tile is shown to the network repeated (as the picture repeats it), on at least the smallest canvas
    repeats = max(2, -(-recipe.min_canvas // size)) if recipe.period and recipe.tiled else 1
    spectrum = tf.Variable(initial_spectrum(count, size, size, seed))
    first_moment = tf.Variable(tf.zeros_like(spectrum))
    second_moment = tf.Variable(tf.zeros_like(spectrum))
    scale = tf.constant(spectrum_scale(size, size))
    targets = tf.constant(filter_indices, tf.int32)
    beta1, beta2, epsilon = 0.9, 0.999, 1e-8

    def make_step(features):
        @tf.function(autograph=False)
        def step(t, amount):
            with tf.GradientTape() as tape:
                images = spectrum_to_rgb(spectrum, size, size, scale)
                if repeats > 1:
                    images = tf.tile(images, [1, repeats, repeats, 1])
                moved = random_affine(images, t, seed, recipe.robustness, recipe.min_canvas, recipe.canvas_multiple,
                                      amount)
                activations = run_model(features, preprocess(moved * 255.0), training=False)
                objectives = filter_objectives(activations, targets, recipe.objective)
                loss = -tf.reduce_sum(objectives)
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
            return objectives

        return step

    schedule = Schedule(recipe, silenceable=bool(silenceable_relus(model, layer_name)))
    steps_of = _compiled_steps(model, layer_name, recipe, schedule, make_step)
    while (planned := schedule.next()) is not None:
        objectives = steps_of[planned.graph](tf.constant(schedule.taken - 1, tf.int64), tf.constant(planned.amount, tf.float32))
        schedule.record(objectives.numpy())
    images = np.clip(np.round(spectrum_to_rgb(spectrum, size, size, scale).numpy() * 255.0), 0, 255).astype(np.uint8)
    if size < recipe.size:  # the Fourier image is periodic: tiling it continues it seamlessly
        tiles = -(-recipe.size // size)
        images = np.tile(images, (1, tiles, tiles, 1))[:, : recipe.size, : recipe.size]
    return FilterImages(images, FilterRun(schedule.taken, schedule.stopped))


def filter_objectives(activations, targets, objective: str = "mean+peak"):
    """Per image ``i``, what it maximises of channel ``targets[i]``'s map (see ``OBJECTIVES``), in float32."""
    import tensorflow as tf

    maps = _chosen_maps(activations, targets)
    mean = tf.reduce_mean(maps, axis=[1, 2])
    if objective == "mean":
        return mean
    return 0.5 * (mean + tf.reduce_max(maps, axis=[1, 2]))


PLAIN_GRAPH_FROM_STEPS = 32
"""From this many plain steps on, the plain steps get a graph of their own with the native ReLU gradient."""


@dataclass(frozen=True)
class PlannedStep:
    graph: str
    """``redirected`` (the silenceable ReLUs pass the redirected gradient) or ``plain``."""
    amount: float
    """How much the random transforms move the images: 1 before settling, fading to 0 over the settling steps."""


class Schedule:
    """Which step comes next: robust steps (redirected ReLUs first) until the batch converges (``convergence``) or
    reaches the cap, then the settling steps, whose transforms fade out. Fed each step's objectives."""

    def __init__(self, recipe: Recipe, silenceable: bool) -> None:
        self.recipe = recipe
        self.cap = recipe.robust_cap()
        self.redirect_steps = recipe.redirect_steps_for(self.cap) if silenceable else 0
        self.convergence = Convergence(recipe.stopping or StoppingRule())
        self.silenceable = silenceable
        self.waking = False
        """Whether an image's unit was still silent (objective at or below 0) at the last step."""
        self.robust = 0
        self.settling: int | None = None
        self.settled = 0
        self.taken = 0
        self.stopped = CAP

    @property
    def plain_steps_at_most(self) -> int:
        return self.cap + self.recipe.settling_steps(self.cap) - self.redirect_steps

    def next(self) -> PlannedStep | None:
        if self.settling is None:
            if self.robust < self.cap:
                self.robust += 1
                self.taken += 1
                redirected = self.redirect_steps and (self.robust <= self.redirect_steps or self.waking)
                return PlannedStep("redirected" if redirected else "plain", 1.0)
            self.settling = self.recipe.settling_steps(self.robust)
        if self.settled < self.settling:
            self.settled += 1
            self.taken += 1
            return PlannedStep("plain", 1.0 - self.settled / self.settling)
        return None

    def record(self, objectives: np.ndarray) -> None:
        """The objectives of the step just taken; a robust step's count towards convergence.

        Not while the redirected ReLU is on: an image whose unit has not woken yet is flat, and stopping then
        would leave it grey (``redirected_relu``). The redirected steps go on past their share while an image's unit
        is still silent: the redirection changes only such images' gradients, so it costs nothing else."""
        self.waking = self.silenceable and bool((np.asarray(objectives) <= 0).any())
        if self.settling is not None or self.recipe.stopping is None:
            return
        self.convergence.update(objectives)
        if self.robust > self.redirect_steps and not self.waking and self.convergence.converged():
            self.stopped = CONVERGED
            self.settling = self.recipe.settling_steps(self.robust)


def _compiled_steps(model, layer_name: str, recipe: Recipe, schedule: Schedule, make_step) -> dict[str, Callable]:
    """The compiled step of each kind of step the schedule plans (``PlannedStep.graph``).

    Tracing and compiling dominate short runs (NASNet: 6 s a graph; one ``tf.cond`` per ReLU tripled it), and
    the redirected ReLU's element-wise work, done even while switched off, adds up over long ones (it grows
    with the cut layer's output: 2 % of a step on VGG16 at ``block4_conv1``, more near the input). So a short
    run traces one graph whose redirection a variable switches off after the redirected steps; a run that may
    take at least ``PLAIN_GRAPH_FROM_STEPS`` plain steps traces a second, plain graph for them. Both give the
    same gradients. A layer that no ReLU can silence (``silenceable_relus``) gets plain steps only, in one graph.
    """
    import tensorflow as tf

    network = partial(filter_loop_network, model, layer_name, precision=recipe.precision)
    if not schedule.redirect_steps:
        plain = make_step(network())
        return {"redirected": plain, "plain": plain}
    if schedule.plain_steps_at_most >= PLAIN_GRAPH_FROM_STEPS:
        return {"redirected": make_step(network(redirect=True)), "plain": make_step(network())}
    switch = tf.Variable(True, trainable=False)
    step = make_step(network(redirect=switch))

    def switched(plain: bool):
        def run(t, amount):
            if bool(switch.numpy()) == plain:
                switch.assign(not plain)
            return step(t, amount)
        return run

    return {"redirected": switched(False), "plain": switched(True)}


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
