"""Class-activation maps for every selected layer from one forward and one backward pass.

The methods (Grad-CAM, Grad-CAM++, LayerCAM, HiResCAM; see ``cams/``) all combine the same activations A and
gradients G = dS/dA of the explained class' pre-softmax score S, so choosing more of them costs no extra pass.

A single multi-output model yields every layer's activations and the pre-softmax scores; one gradient call
returns d(score of the explained class)/d(activations) for all layers at once. The explained class is each
image's top-1 prediction unless ``class_index`` names one.

The pass runs compiled (``tf.function``) or eagerly. Tracing and optimising the compiled pass costs about as
much as forty compiled passes of MobileNetV2, so a caller with a single batch to explain should run eagerly, and
one with many batches compiled. The two modes round differently in the last bits, so a caller that caches
results must choose the mode from the whole job (not from the part of it a shard or a rebuild sees) and key the
results by it: ``computed.analysis_mode`` does.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from generator.compute.cams import METHODS
from generator.compute.feed import run_model
from generator.compute.flatten import reachable
from generator.compute.logits import logits_output


@dataclass(frozen=True)
class Explanation:
    """Heatmaps of a batch and what they explain."""

    heatmaps: dict[str, np.ndarray]
    """``{layer_name: float32 (N, h, w) in [0, 1]}``."""
    class_indices: np.ndarray
    """int32 (N,): the class each image's heatmaps explain."""
    probabilities: np.ndarray
    """float32 (N,): softmax probability of that class."""
    probabilities_all: np.ndarray
    """float32 (N, classes): softmax of the pre-softmax scores (the predictions, from the same pass)."""
    activations: dict[str, np.ndarray]
    """``{layer_name: float32 (N, h, w, C)}``: the layers' outputs, from the same forward pass."""
    cams: dict[str, dict[str, np.ndarray]]
    """``{method: {layer_name: float32 (N, h, w) in [0, 1]}}`` for every requested method."""


def explain(
    model,
    images: np.ndarray,
    layer_names: list[str],
    class_index: int | None = None,
    methods: tuple[str, ...] = ("gradcam",),
    *,
    compiled: bool = True,
    class_indices: np.ndarray | None = None,
) -> Explanation:
    """Class-activation maps of every layer in ``layer_names`` for a preprocessed batch, with the classes explained.

    ``heatmaps`` is keyed by layer for Grad-CAM (the first method) and ``cams[method][layer]`` holds every method.
    ``compiled=False`` runs the pass eagerly: faster for a single batch, which then pays no tracing. Layers inside
    a nested model are reached too (see ``flatten.reachable``); results keep the names given. ``class_indices``
    names a class per image (the sanity check explains a re-drawn network's maps for the trained one's classes).
    """
    unknown = [method for method in methods if method not in CAM_METHODS]
    if unknown:
        raise ValueError(f"unknown CAM method {unknown[0]!r}; choose from {', '.join(CAM_METHODS)}")
    import tensorflow as tf

    flat, names = reachable(model, list(layer_names))
    images = np.asarray(images, dtype=np.float32)
    forward_backward, classes = _forward_backward(flat, tuple(names), compiled)
    if class_index is not None and not 0 <= class_index < classes:
        raise ValueError(f"class_index {class_index} is outside the model's {classes} classes")
    chosen = np.full(len(images), -1 if class_index is None else class_index, np.int32)
    if class_indices is not None:
        chosen = np.asarray(class_indices, dtype=np.int32).reshape(len(images))
        outside = np.flatnonzero((chosen < 0) | (chosen >= classes))
        if outside.size:
            raise ValueError(f"class_indices[{outside[0]}] = {chosen[outside[0]]} is outside the model's {classes} classes")
    activations, gradients, scores, explained = forward_backward(tf.convert_to_tensor(images), tf.convert_to_tensor(chosen))
    softmax = tf.nn.softmax(scores, axis=-1)
    probabilities = tf.gather(softmax, explained, axis=1, batch_dims=1)
    # A mixed-precision model hands back bfloat16 tensors: the methods combine them in float32 (Grad-CAM++ cubes
    # its gradients), and callers always get float32.
    activations = {name: np.asarray(activations[index], dtype=np.float32) for index, name in enumerate(layer_names)}
    gradients = {name: np.asarray(gradients[index], dtype=np.float32) for index, name in enumerate(layer_names)}
    cams = {method: {name: CAM_METHODS[method](activations[name], gradients[name]) for name in layer_names} for method in methods}
    return Explanation(
        heatmaps=cams[methods[0]],
        cams=cams,
        class_indices=np.asarray(explained),
        probabilities=np.asarray(probabilities, dtype=np.float32),
        probabilities_all=np.asarray(softmax, dtype=np.float32),
        activations=activations,
    )


def gradcam(model, images: np.ndarray, layer_names: list[str], class_index: int | None = None) -> dict[str, np.ndarray]:
    """``{layer_name: float32 (N, h, w) in [0, 1]}``: Grad-CAM of each layer for a preprocessed batch."""
    return explain(model, images, layer_names, class_index).heatmaps


def layer_gradients(model, images: np.ndarray, layer_name: str,
                    class_indices: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(activations, gradients of the explained class' pre-softmax score, both float32 (N, h, w, C); the explained
    classes, int32 (N,)) of one layer for a preprocessed batch, from one eager forward and backward pass: what the
    building blocks (``parts``) attribute the score with. ``class_indices``: a class per image (default: top-1)."""
    import tensorflow as tf

    flat, names = reachable(model, [layer_name])
    forward_backward, classes = _forward_backward(flat, tuple(names), False)
    images = np.asarray(images, dtype=np.float32)
    chosen = np.full(len(images), -1, np.int32) if class_indices is None else np.asarray(class_indices, np.int32).reshape(len(images))
    if ((chosen < -1) | (chosen >= classes)).any():
        raise ValueError(f"class_indices {chosen.tolist()} are outside the model's {classes} classes")
    activations, gradients, _, explained = forward_backward(tf.convert_to_tensor(images), tf.convert_to_tensor(chosen))
    return (np.asarray(activations[0], dtype=np.float32), np.asarray(gradients[0], dtype=np.float32),
            np.asarray(explained, dtype=np.int32))


_PASSES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
"""Per model, per (layers, compiled): the forward-and-backward pass, built once, reused per batch."""


def _forward_backward(model, layer_names: tuple[str, ...], compiled: bool):
    """(activations, gradients, scores, explained class) of a batch and the classes to explain (-1: the top-1),
    from one forward and one backward pass; and the number of classes."""
    import keras
    import tensorflow as tf

    per_model = _PASSES.setdefault(model, {})
    if (layer_names, compiled) in per_model:
        return per_model[layer_names, compiled]
    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in layer_names] + [logits_output(model)])
    classes = probe.outputs[-1].shape[-1]

    def forward_backward(batch, chosen):
        with tf.GradientTape() as tape:
            *activations, scores = run_model(probe, batch, training=False)
            explained = tf.where(chosen >= 0, chosen, _top1(tf.nn.softmax(scores, axis=-1)))
            target = tf.reduce_sum(tf.gather(scores, explained, axis=1, batch_dims=1))
        return activations, tape.gradient(target, activations), scores, explained

    per_model[layer_names, compiled] = (
        tf.function(forward_backward, reduce_retracing=True) if compiled else forward_backward, classes)
    return per_model[layer_names, compiled]


def _top1(probabilities):
    """Index of the most probable class, the lowest index among ties: the class ``classes.decode`` ranks first.

    An untrained network's probabilities tie in float32 even where its logits differ, so an argmax of the logits
    would explain a class the predictions list does not show first.
    """
    import tensorflow as tf

    classes = tf.shape(probabilities)[-1]
    is_top = probabilities >= tf.reduce_max(probabilities, axis=-1, keepdims=True)
    return tf.argmax(tf.cast(is_top, tf.int32) * (classes - tf.range(classes)), axis=-1, output_type=tf.int32)


CAM_METHODS = METHODS
"""Method name (as in ``atlas.yml``'s ``cam`` list) to method."""
CAM_TITLES = {name: method.title for name, method in METHODS.items()}
