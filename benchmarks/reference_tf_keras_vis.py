"""The tf-keras-vis side of the benchmarks, run in its own process with TF_USE_LEGACY_KERAS=1.

tf-keras-vis needs the legacy tf.keras (the ``tf-keras`` package); this process never touches the project's
Keras 3. Usage: ``python reference_tf_keras_vis.py CASE REPEATS`` prints one JSON line: the seconds of each run.
Models are built with ``weights=None``: speed does not depend on the weight values.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def activation_maximization(model, layer_name: str, filters: int, size: int, steps: int, repeats: int) -> list[float]:
    """tf-keras-vis' ActivationMaximization with its default input modifiers and regularisers, all filters in one batch."""
    import tensorflow as tf
    from tf_keras_vis.activation_maximization import ActivationMaximization
    from tf_keras_vis.utils.model_modifiers import ExtractIntermediateLayer, ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    visualizer = ActivationMaximization(model, model_modifier=[ExtractIntermediateLayer(layer_name), ReplaceToLinear()], clone=True)
    score = CategoricalScore(list(range(filters)))
    times = []
    for repeat in range(repeats):
        seed_input = tf.random.stateless_uniform((filters, size, size, 3), seed=(0, repeat), minval=0, maxval=255)
        started = time.perf_counter()
        visualizer(score, seed_input=seed_input, steps=steps)
        times.append(time.perf_counter() - started)
    return times


def maximize_trained(constructor: str, module: str, weights_path: str, layer_name: str, filters: int, size: int,
                     out: str) -> float:
    """tf-keras-vis' ActivationMaximization at its defaults (200 steps, its jitter and rotation, total-variation and
    norm regularisers) on trained weights copied by layer name, the network fed 0..255 through its own
    ``preprocess_input``; the images (filters, size, size, 3) go to ``out``. Returns the seconds it took."""
    import numpy as np
    import tensorflow as tf
    from tf_keras_vis.activation_maximization import ActivationMaximization
    from tf_keras_vis.utils.model_modifiers import ExtractIntermediateLayer, ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    preprocess = getattr(tf.keras.applications, module).preprocess_input
    inputs = tf.keras.Input((size, size, 3))
    scaled = tf.keras.layers.Lambda(lambda x: preprocess(x * 1.0), name="preprocess")(inputs)
    model = getattr(tf.keras.applications, constructor)(weights=None, include_top=False, input_tensor=scaled)
    stored = np.load(weights_path)
    for layer in model.layers:
        values = [stored[f"{layer.name}/{index}"] for index in range(len(layer.get_weights()))
                  if f"{layer.name}/{index}" in stored]
        if values and len(values) == len(layer.get_weights()):
            layer.set_weights(values)
    visualizer = ActivationMaximization(model, model_modifier=[ExtractIntermediateLayer(layer_name), ReplaceToLinear()],
                                        clone=True)
    seed_input = tf.random.stateless_uniform((filters, size, size, 3), seed=(0, 0), minval=0, maxval=255)
    started = time.perf_counter()
    images = visualizer(CategoricalScore(list(range(filters))), seed_input=seed_input)
    seconds = time.perf_counter() - started
    np.save(out, np.clip(np.asarray(images), 0, 255).astype(np.uint8))
    return seconds


def gradcam_per_layer(repeats: int) -> list[float]:
    """tf-keras-vis' Gradcam called once per layer, for all 35 Conv2D layers of MobileNetV2 at 224 px, one image.

    The first time includes making the Gradcam object (it clones the model), as a user's first call pays it;
    the model has already predicted once, as ours has, so neither side pays TensorFlow's own start-up.
    """
    import numpy as np
    import tensorflow as tf
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    model = tf.keras.applications.MobileNetV2(weights=None)
    layers = [layer.name for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert len(layers) == 35, len(layers)
    image = np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    score = CategoricalScore([int(np.argmax(model(image)[0]))])
    times, gradcam = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        gradcam = gradcam or Gradcam(model, model_modifier=ReplaceToLinear(), clone=True)
        for layer in layers:
            gradcam(score, image, penultimate_layer=layer, seek_penultimate_conv_layer=False)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    import tensorflow as tf

    case = sys.argv[1]
    if case == "maximize":
        constructor, module, weights, layer, filters, size, out = sys.argv[2:9]
        seconds = maximize_trained(constructor, module, weights, layer, int(filters), int(size), out)
        print(json.dumps({"case": case, "seconds": seconds, "tensorflow": tf.__version__}))
        return
    repeats = int(sys.argv[2])
    if case == "mobilenet_v2":
        model = tf.keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(64, 64, 3))
        times = activation_maximization(model, "block_6_expand", 64, 64, 50, repeats)
    elif case in ("vgg16", "vgg16_bfloat16"):
        if case == "vgg16_bfloat16":  # Keras' mixed precision: the network computes in bfloat16, variables stay float32
            tf.keras.mixed_precision.set_global_policy("mixed_bfloat16")
        model = tf.keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
        times = activation_maximization(model, "block4_conv1", 64, 64, 50, repeats)
    elif case == "gradcam":
        times = gradcam_per_layer(repeats)
    else:
        raise SystemExit(f"unknown case {case!r}")
    print(json.dumps({"case": case, "seconds": times, "tensorflow": tf.__version__}))


if __name__ == "__main__":
    main()
