"""Inline nested models, so that every convolution of a transfer-learning model is a layer of the model itself.

A fine-tuned model usually nests a whole backbone as one layer (``mobilenetv2_1.00_224`` inside a Functional).
Its convolutions are then unreachable: a probe built from the outer inputs cannot take an inner layer's output,
which belongs to the inner graph. Rebuilding the outer graph with each nested model's layers called in its
place gives one flat graph computing the same function. The flat graph gets its own copies of the layers
(weights copied by name): a layer shared with the original would keep reporting the original graph's tensors
as its ``output``.
"""

from __future__ import annotations

import weakref
from typing import Any

from generator.errors import AtlasError


def _all_layers(model):
    import keras

    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def has_nested_models(model) -> bool:
    import keras

    return any(isinstance(layer, keras.Model) for layer in model.layers)


def _copy_of(layer):
    """A fresh layer from ``layer``'s config (nested models are inlined instead, so they are kept)."""
    import keras

    if isinstance(layer, keras.Model):
        return layer
    try:
        return layer.__class__.from_config(layer.get_config())
    except Exception as error:
        raise AtlasError(f"layer {layer.name!r} ({type(layer).__name__}) cannot be copied from its config: {error}") from None


def flatten(model):
    """``model`` with every nested model (at any depth) inlined; ``model`` itself when nothing is nested."""
    import keras

    if not has_nested_models(model):
        return model
    originals = list(_all_layers(model))
    names = [layer.name for layer in originals if not isinstance(layer, keras.Model | keras.layers.InputLayer)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise AtlasError(
            f"model {model.name!r} nests models whose layers share names ({', '.join(duplicates[:3])}); "
            "rename them so each layer can be addressed"
        )

    def call(layer, *args, **kwargs):
        if isinstance(layer, keras.Sequential):  # Keras clones these without call_function: apply in order
            tensor = args[0]
            for inner_layer in layer.layers:
                tensor = call(inner_layer, tensor) if isinstance(inner_layer, keras.Model) else _copy_of(inner_layer)(tensor)
            return tensor
        if isinstance(layer, keras.Model):
            given = list(args[0]) if isinstance(args[0], (list, tuple)) else [args[0]]
            # The inputs must come in the structure the nested model was built with: a tensor or a list.
            inputs = given if isinstance(layer.input, (list, tuple)) else given[0]
            inner = keras.models.clone_model(layer, input_tensors=inputs, clone_function=_copy_of, call_function=call)
            return inner.outputs[0] if len(inner.outputs) == 1 else inner.outputs
        return layer(*args, **kwargs)

    # A new input whose name no layer of any nesting level uses (Keras' automatic names would collide).
    taken = {layer.name for layer in originals}
    name, number = "flat_input", 1
    while name in taken:
        name, number = f"flat_input_{number}", number + 1
    inputs = keras.Input(tuple(model.inputs[0].shape[1:]), name=name)
    if isinstance(model, keras.Sequential):
        flat = keras.Model(inputs, call(model, inputs), name=model.name)
    else:
        structured = [inputs] if isinstance(model.input, (list, tuple)) else inputs
        flat = keras.models.clone_model(model, input_tensors=structured, clone_function=_copy_of, call_function=call)
    by_name = {layer.name: layer for layer in originals}
    for layer in flat.layers:
        source = by_name.get(layer.name)
        if source is not None and source is not layer and source.weights:
            layer.set_weights(source.get_weights())
    return flat


_FLAT: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
"""Per nested model, its flat copy: made once, so the compiled passes cached per model are reused."""


def reachable(model, layer_names: list[str]) -> tuple[Any, list[str]]:
    """``model`` with every inner layer reachable, and ``layer_names`` as that model names them.

    The compute functions take any model a user has: a transfer-learning model that nests a backbone is
    flattened (once per model) so that ``block_6_expand`` inside it can be probed, named as the build names it
    (bare) or with its nested model's name first (``mobilenetv2_0.35_96/block_6_expand``).
    """
    if has_nested_models(model):
        if model not in _FLAT:
            _FLAT[model] = flatten(model)
        model = _FLAT[model]
    own = {layer.name for layer in model.layers}
    resolved = []
    for name in layer_names:
        bare = name if name in own else name.rsplit("/", 1)[-1]
        resolved.append(bare if bare in own else name)  # an unknown name stays, for the caller's error message
    return model, resolved
