"""--weights auto: Keras' ImageNet weights first, then a package source, untrained only when allowed."""

import pytest

from generator import weights as weight_module
from generator.backbones import _choices, load
from generator.errors import AtlasError
from generator.registry import APPLICATIONS


def test_auto_tries_imagenet_then_package_then_untrained_only_when_allowed():
    assert _choices(APPLICATIONS["vgg16"], "auto", False) == ["imagenet", "package"]
    assert _choices(APPLICATIONS["efficientnet_lite0"], "auto", False) == ["package"]
    assert _choices(APPLICATIONS["mobilenet"], "auto", False) == ["imagenet"]
    assert _choices(APPLICATIONS["mobilenet"], "auto", True) == ["imagenet", "random"]
    assert _choices(APPLICATIONS["mobilenet"], "random", False) == ["random"]


@pytest.fixture
def offline(monkeypatch):
    def unreachable(build, label):
        raise AtlasError(f"{label}: ImageNet weights file x.h5 is not in the Keras cache and could not be downloaded")

    monkeypatch.setattr(weight_module, "_build_imagenet", unreachable)


def test_without_any_source_auto_fails_and_says_how_to_allow_untrained(offline):
    with pytest.raises(AtlasError, match="no weights could be had .*x.h5.*allow_untrained"):
        load("mobilenet", weights="auto", alpha=0.25)


def test_an_allowed_untrained_fallback_is_marked_and_says_what_failed(offline):
    backbone = load("mobilenet", weights="auto", alpha=0.25, allow_untrained=True)
    assert not backbone.provenance.trained and backbone.provenance.label == "untrained"
    assert "imagenet: ImageNet weights file x.h5" in backbone.provenance.note


def test_explicit_imagenet_for_a_model_keras_has_no_weights_for_is_named():
    with pytest.raises(AtlasError, match="Keras has no ImageNet weights for efficientnet_lite0"):
        load("efficientnet_lite0", weights="imagenet")
