"""Every model in keras.applications is registered, and builds with its own preprocessing."""

import importlib

import pytest

from generator.registry import APPLICATIONS, get_application
from generator.errors import AtlasError


def keras_application_constructors() -> set[str]:
    import keras

    return {name for name in dir(keras.applications) if name[0].isupper() and callable(getattr(keras.applications, name))}


def test_every_keras_application_is_registered():
    registered = {app.constructor for app in APPLICATIONS.values()}
    assert keras_application_constructors() == registered


def test_every_registered_module_has_preprocessing():
    for app in APPLICATIONS.values():
        module = importlib.import_module(f"keras.applications.{app.module}")
        assert callable(module.preprocess_input), app.name


def test_unknown_name_suggests():
    with pytest.raises(AtlasError, match="Did you mean .*vgg16"):
        get_application("vgg61")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_every_application_builds_untrained_with_its_input_size(name):
    from generator.backbones import load

    backbone = load(name, weights="random")
    assert backbone.input_shape == (APPLICATIONS[name].input_size,) * 2 + (3,)
    assert tuple(backbone.model.outputs[0].shape) == (None, 1000)
    assert backbone.provenance.kind == "random" and not backbone.provenance.trained
    assert len(backbone.class_names) == 1000
    import keras

    keras.backend.clear_session()
