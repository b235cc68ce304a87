"""The best image of a unit that is linear in the input, in closed form.

A unit of a first convolution (and of any stack of affine layers: input scaling, padding, convolutions, batch
norms in inference mode, sums of such branches) computes ``w . x + b`` over the pixels of its field, perhaps
followed by a non-decreasing activation (ReLU, ReLU6). Over the box of valid images, ``0 <= x <= 255``, that is
largest where every pixel whose weight is positive is at 255 and every pixel whose weight is negative at 0:
the optimum is known exactly, and no gradient ascent can beat it. Optimising such a unit costs steps and, with
the transforms that deep units need, gives a blurred, washed-out version of this pattern (0.15 to 0.9 of the
optimum, measured in ``benchmarks/README.md``).

So the filter image of a linear unit is computed, not optimised: the sign pattern of its weights over its
field, tiled with the field's period, aligned so that the unit at the canvas' centre sees exactly one period. It
is the exact optimum, not a softer picture of the weights: a photo with a saturated patch comes within 1 % of it
(measured on the MobileNetV2 first layers: a picture at 98 % of the optimum left 3 of 32 units below their best
photo crop).
The weights are read as the gradient of the unit at the centre with respect to the input pixels, through a
copy of the cut network whose activations are linear, so any affine preprocessing (``[-1, 1]``, ImageNet
mean and deviation, BGR order) is taken into account as it is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from generator.compute.feed import run_model
from generator.compute.flatten import reachable

AFFINE_LAYERS = ("InputLayer", "Rescaling", "Normalization", "ZeroPadding2D", "BatchNormalization", "Conv2D",
                 "DepthwiseConv2D", "SeparableConv2D", "Add", "Identity")
"""Layers that are affine in inference mode when their own activation (if any) is linear."""
NON_DECREASING = ("linear", "relu", "relu6")
"""Activations that keep the maximum where the affine part has it."""


def linear_in_input(model, layer_name: str) -> bool:
    """Whether every unit of ``layer_name`` is an affine function of the input pixels, possibly followed by a
    non-decreasing activation as its last step: then ``closed_form_images`` is its exact optimum."""
    import keras

    flat, (layer_name,) = reachable(model, [layer_name])
    cut = keras.Model(flat.inputs, flat.get_layer(layer_name).output)
    state: dict[int, str] = {}  # tensor id -> "affine" | "monotone"
    for tensor in cut.inputs:
        state[id(tensor)] = "affine"
    from generator.compute.folding import graph_nodes

    for node in sorted(graph_nodes(cut), key=lambda node: -_depth(cut, node)):
        layer = node.operation
        inputs = [state.get(id(tensor)) for tensor in node.input_tensors]
        if not inputs or any(value != "affine" for value in inputs):
            if _activation_only(layer) and len(inputs) == 1 and inputs[0] == "monotone":
                result = "monotone"
            else:
                return False
        elif _activation_only(layer):
            result = "monotone"
        elif type(layer).__name__ in AFFINE_LAYERS:
            activation = _activation_name(layer)
            if activation == "linear":
                result = "affine"
            elif activation in NON_DECREASING:
                result = "monotone"
            else:
                return False
        else:
            return False
        for tensor in node.outputs:
            state[id(tensor)] = result
    return all(state.get(id(tensor)) in ("affine", "monotone") for tensor in cut.outputs)


def _depth(model, node) -> int:
    for depth, nodes in model._nodes_by_depth.items():
        if node in nodes:
            return depth
    return 0


def _activation_name(layer) -> str:
    activation = getattr(layer, "activation", None)
    return "linear" if activation is None else getattr(activation, "__name__", str(activation))


def _activation_only(layer) -> bool:
    """An activation layer whose function is non-decreasing (``Activation('relu')``, ``ReLU``, ``ReLU(6)``)."""
    kind = type(layer).__name__
    if kind == "ReLU":
        return float(getattr(layer, "negative_slope", 0.0) or 0.0) == 0.0 and float(getattr(layer, "threshold", 0.0) or 0.0) == 0.0
    return kind == "Activation" and _activation_name(layer) in NON_DECREASING


def closed_form_images(model, layer_name: str, filter_indices: list[int], size: int, canvas: int,
                       preprocess: Callable) -> np.ndarray:
    """uint8 (len(filter_indices), size, size, 3): for each unit, its weights' sign pattern tiled over the image.

    Each pixel of the unit's field is 255 where its weight is positive, 0 where negative and 128 where it has
    none. ``canvas`` is the side the network sees the image on (centred, grey around; ``transforms.network_side``):
    the tiling is aligned so that the unit at the centre of that canvas sees one whole period. Only meaningful
    where ``linear_in_input`` holds.
    """
    import keras
    import tensorflow as tf

    flat, (layer_name,) = reachable(model, [layer_name])
    affine = _affine_copy(keras, flat, layer_name)
    grey = tf.constant(np.full((len(filter_indices), canvas, canvas, 3), 127.5, np.float32))
    with tf.GradientTape() as tape:
        tape.watch(grey)
        outputs = tf.cast(run_model(affine, preprocess(grey), training=False), tf.float32)
        rows, columns = int(outputs.shape[1]), int(outputs.shape[2])
        centre = tf.gather(outputs[:, rows // 2, columns // 2, :], filter_indices, axis=1)
        total = tf.reduce_sum(tf.linalg.diag_part(centre))  # unit filter_indices[i] on image i
    weights = tape.gradient(total, grey).numpy()  # each unit's weights, in 0..255 pixel units
    return np.stack([_tiled_sign_pattern(weight, size, canvas) for weight in weights])


def _affine_copy(keras, model, layer_name: str):
    """The network cut at ``layer_name`` with every activation made linear: the affine part of a linear unit."""
    cut = keras.Model(model.inputs, model.get_layer(layer_name).output)

    def call_function(layer, *args, **kwargs):
        if _activation_only(layer):
            return args[0]
        return layer(*args, **kwargs)

    def clone_function(layer):
        if _activation_name(layer) != "linear" and not _activation_only(layer) and hasattr(layer, "activation"):
            copy = type(layer).from_config(dict(layer.get_config(), activation="linear"))
            copy.build(layer.input.shape)
            copy.set_weights(layer.get_weights())
            return copy
        return layer

    return keras.models.clone_model(cut, input_tensors=[keras.Input((None, None, model.inputs[0].shape[-1]))],
                                    clone_function=clone_function, call_function=call_function)


def _tiled_sign_pattern(weights: np.ndarray, size: int, canvas: int) -> np.ndarray:
    """One unit's optimum from its weights (canvas, canvas, 3) over the canvas: the field's window, tiled with its
    own period over the ``size`` image centred in the canvas."""
    support = np.abs(weights).sum(axis=-1) > 0
    ys, xs = np.nonzero(support)
    if not len(ys):  # a unit with no weight on the input: every image is optimal
        return np.full((size, size, 3), 128, np.uint8)
    top, left = ys.min(), xs.min()
    window = weights[top : ys.max() + 1, left : xs.max() + 1]
    patch = np.where(window > 0, 255, np.where(window < 0, 0, 128)).astype(np.uint8)
    offset = (canvas - size) // 2  # where the image starts in the canvas
    rows = (np.arange(size) + offset - top) % patch.shape[0]
    columns = (np.arange(size) + offset - left) % patch.shape[1]
    return patch[rows[:, None], columns[None, :]]
