"""A user's own model file (``.keras`` or ``.h5``) as a backbone.

Keras' safe mode stays on: a file that would run arbitrary code on load (a ``Lambda`` layer) is refused with a
message that says so and names the setting that accepts the risk. The model must take one image input and give
one output. Nested models (a backbone used as one layer) are flattened so every convolution can be drawn.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path


from generator.compute.flatten import flatten
from generator.classes import imagenet_class_names, read_class_names
from generator.config import BackboneSpec
from generator.errors import AtlasError, ConfigError
from generator.weights import Provenance, fresh_names, hash_weight_values


def scaling_for(mode: str | None):
    """Preprocessing for a user's model by Keras' ``imagenet_utils`` mode name (``none``: 0..255 as is)."""
    from keras.applications import imagenet_utils

    if mode in (None, "none"):
        return lambda images: images
    return lambda images: imagenet_utils.preprocess_input(images, mode=mode)


def load_model_file(spec: BackboneSpec, *, seed: int = 0):
    """Load ``spec.path`` and wrap it as a ``Backbone``."""
    import keras

    from generator.backbones import Backbone

    path = Path(spec.path)
    label = f"backbone {spec.slug}"
    if not path.is_file():
        raise ConfigError(f"{label}: model file {path} does not exist")
    fresh_names()
    keras.utils.set_random_seed(seed)
    try:
        model = keras.models.load_model(str(path), compile=False, safe_mode=not spec.trust_code)
    except ValueError as error:
        text = " ".join(str(error).split())
        if "safe_mode" in text or "Lambda" in text:
            raise AtlasError(
                f"{label}: model file {path} contains a Lambda layer, whose code would run on load, so Keras' safe "
                "mode refuses it. Rebuild the model without Lambda layers, or, only if you trust the file, set "
                "'trust_code: true' on this backbone."
            ) from None
        raise AtlasError(f"{label}: model file {path} cannot be loaded: {text[:400]}") from None
    except Exception as error:
        raise AtlasError(f"{label}: model file {path} cannot be loaded: {' '.join(str(error).split())[:400]}") from None
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise AtlasError(
            f"{label}: model file {path} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            "the atlas needs one image input and one output"
        )
    model = flatten(model)
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) != 3 or shape[-1] != 3 or shape[0] is None or shape[1] is None:
        raise AtlasError(f"{label}: model file {path} takes input shaped {shape}; the atlas needs (height, width, 3)")
    outputs = int(model.outputs[0].shape[-1])
    if spec.classes is not None:
        class_names = read_class_names(Path(spec.classes))
        if len(class_names) != outputs:
            raise AtlasError(
                f"{label}: class names file {spec.classes} has {len(class_names)} names but the model has {outputs} outputs"
            )
    elif outputs == 1000:
        class_names = imagenet_class_names()
    else:
        class_names = tuple(f"class {i}" for i in range(outputs))
    provenance = Provenance(
        kind="model-file",
        summary=f"A user's own model, loaded from {path.name} with Keras' safe mode on.",
        trained=True,
        source=str(path),
        label="own model",
    )
    provenance = replace(provenance, sha256=hash_weight_values(model))
    return Backbone(
        name=spec.slug,
        title=spec.title or spec.name,
        model=model,
        input_shape=(int(shape[0]), int(shape[1]), 3),
        provenance=provenance,
        class_names=class_names,
        preprocess_fn=scaling_for(spec.preprocess),
        family="custom",
    )
