"""Every model in keras.applications is registered, and builds with its own preprocessing."""

import importlib

import pytest

from generator.registry import APPLICATIONS, get_application
from generator.errors import AtlasError


def keras_application_constructors() -> set[str]:
    import keras

    return {name for name in dir(keras.applications) if name[0].isupper() and callable(getattr(keras.applications, name))}


def test_every_keras_application_is_registered():
    registered = {app.constructor for app in APPLICATIONS.values() if app.builder is None}
    assert keras_application_constructors() == registered


def test_backbones_beyond_keras_have_a_builder_and_no_keras_imagenet_weights():
    extra = {app.name for app in APPLICATIONS.values() if app.builder is not None}
    assert extra == {"efficientnet_lite0", "dog_breeds_mobilenetv2"}
    assert not any(APPLICATIONS[name].keras_imagenet for name in extra)


def test_every_backbone_has_preprocessing():
    from generator.backbones import _import

    for app in APPLICATIONS.values():
        if app.preprocess:
            assert callable(_import(app.preprocess)), app.name
        else:
            assert callable(importlib.import_module(f"keras.applications.{app.module}").preprocess_input), app.name


def test_unknown_name_suggests():
    with pytest.raises(AtlasError, match="Did you mean .*vgg16"):
        get_application("vgg61")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_every_application_builds_untrained_with_its_input_size(name):
    from generator.backbones import load

    backbone = load(name, weights="random")
    app = APPLICATIONS[name]
    assert backbone.input_shape == (app.input_size,) * 2 + (3,)
    assert tuple(backbone.model.outputs[0].shape) == (None, app.classes)
    assert backbone.provenance.kind == "random" and not backbone.provenance.trained
    assert len(backbone.class_names) == app.classes
    import keras

    keras.backend.clear_session()
