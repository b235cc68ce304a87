"""Every backbone the atlas knows: each Keras Application, plus a few others, with what it needs to be built and fed.

This module imports nothing heavy: the command line lists, validates and suggests backbone names without
TensorFlow. ``tests/test_registry.py`` checks that every model in ``keras.applications`` is here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from generator.errors import AtlasError

MOBILENET_ALPHAS = (0.25, 0.5, 0.75, 1.0)
MOBILENET_V2_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
MOBILENET_V3_ALPHAS = (0.75, 1.0)


@dataclass(frozen=True)
class Application:
    """One backbone constructor and the facts the atlas needs about it."""

    name: str
    """Atlas name used in ``atlas.yml`` and URLs, e.g. ``mobilenet_v2``."""
    constructor: str
    """Attribute of ``keras.applications`` (e.g. ``MobileNetV2``), or the builder's name."""
    module: str
    """Sub-module of ``keras.applications`` holding its ``preprocess_input``."""
    input_size: int
    """Default square input size in pixels (the size its ImageNet weights were trained at)."""
    family: str
    """Architecture family; chooses filter-visualisation defaults."""
    alphas: tuple[float, ...] = ()
    """Allowed width multipliers (``alpha``); empty when the model takes none."""
    takes_depth_multiplier: bool = False
    """Whether the constructor accepts ``depth_multiplier`` (MobileNet v1 only)."""
    min_size: int = 32
    """Smallest input size the architecture accepts."""
    builder: str | None = None
    """``module:function`` building a model that ``keras.applications`` lacks; None for Keras' own."""
    preprocess: str | None = None
    """``module:function`` scaling 0..255 inputs, when not ``keras.applications.<module>.preprocess_input``."""
    keras_imagenet: bool = True
    """Whether Keras can download ImageNet weights for it."""
    classes: int = 1000
    """Outputs of its classifier."""



def _app(name: str, constructor: str, module: str, size: int, family: str, **extra) -> Application:
    return Application(name=name, constructor=constructor, module=module, input_size=size, family=family, **extra)


APPLICATIONS: dict[str, Application] = {
    app.name: app
    for app in [
        _app("convnext_tiny", "ConvNeXtTiny", "convnext", 224, "convnext"),
        _app("convnext_small", "ConvNeXtSmall", "convnext", 224, "convnext"),
        _app("convnext_base", "ConvNeXtBase", "convnext", 224, "convnext"),
        _app("convnext_large", "ConvNeXtLarge", "convnext", 224, "convnext"),
        _app("convnext_xlarge", "ConvNeXtXLarge", "convnext", 224, "convnext"),
        _app("densenet121", "DenseNet121", "densenet", 224, "densenet"),
        _app("densenet169", "DenseNet169", "densenet", 224, "densenet"),
        _app("densenet201", "DenseNet201", "densenet", 224, "densenet"),
        _app("efficientnet_b0", "EfficientNetB0", "efficientnet", 224, "efficientnet"),
        _app("efficientnet_b1", "EfficientNetB1", "efficientnet", 240, "efficientnet"),
        _app("efficientnet_b2", "EfficientNetB2", "efficientnet", 260, "efficientnet"),
        _app("efficientnet_b3", "EfficientNetB3", "efficientnet", 300, "efficientnet"),
        _app("efficientnet_b4", "EfficientNetB4", "efficientnet", 380, "efficientnet"),
        _app("efficientnet_b5", "EfficientNetB5", "efficientnet", 456, "efficientnet"),
        _app("efficientnet_b6", "EfficientNetB6", "efficientnet", 528, "efficientnet"),
        _app("efficientnet_b7", "EfficientNetB7", "efficientnet", 600, "efficientnet"),
        _app("efficientnet_v2_b0", "EfficientNetV2B0", "efficientnet_v2", 224, "efficientnet"),
        _app("efficientnet_v2_b1", "EfficientNetV2B1", "efficientnet_v2", 240, "efficientnet"),
        _app("efficientnet_v2_b2", "EfficientNetV2B2", "efficientnet_v2", 260, "efficientnet"),
        _app("efficientnet_v2_b3", "EfficientNetV2B3", "efficientnet_v2", 300, "efficientnet"),
        _app("efficientnet_v2_s", "EfficientNetV2S", "efficientnet_v2", 384, "efficientnet"),
        _app("efficientnet_v2_m", "EfficientNetV2M", "efficientnet_v2", 480, "efficientnet"),
        _app("efficientnet_v2_l", "EfficientNetV2L", "efficientnet_v2", 480, "efficientnet"),
        _app("inception_resnet_v2", "InceptionResNetV2", "inception_resnet_v2", 299, "inception", min_size=75),
        _app("inception_v3", "InceptionV3", "inception_v3", 299, "inception", min_size=75),
        _app("mobilenet", "MobileNet", "mobilenet", 224, "mobilenet",
             alphas=MOBILENET_ALPHAS, takes_depth_multiplier=True),
        _app("mobilenet_v2", "MobileNetV2", "mobilenet_v2", 224, "mobilenet", alphas=MOBILENET_V2_ALPHAS),
        _app("mobilenet_v3_large", "MobileNetV3Large", "mobilenet_v3", 224, "mobilenet", alphas=MOBILENET_V3_ALPHAS),
        _app("mobilenet_v3_small", "MobileNetV3Small", "mobilenet_v3", 224, "mobilenet", alphas=MOBILENET_V3_ALPHAS),
        _app("nasnet_large", "NASNetLarge", "nasnet", 331, "nasnet"),
        _app("nasnet_mobile", "NASNetMobile", "nasnet", 224, "nasnet"),
        _app("resnet50", "ResNet50", "resnet", 224, "resnet"),
        _app("resnet101", "ResNet101", "resnet", 224, "resnet"),
        _app("resnet152", "ResNet152", "resnet", 224, "resnet"),
        _app("resnet50_v2", "ResNet50V2", "resnet_v2", 224, "resnet"),
        _app("resnet101_v2", "ResNet101V2", "resnet_v2", 224, "resnet"),
        _app("resnet152_v2", "ResNet152V2", "resnet_v2", 224, "resnet"),
        _app("vgg16", "VGG16", "vgg16", 224, "plain"),
        _app("vgg19", "VGG19", "vgg19", 224, "plain"),
        _app("xception", "Xception", "xception", 299, "inception", min_size=71),
        _app("efficientnet_lite0", "EfficientNetLite0", "efficientnet_lite", 224, "efficientnet",
             builder="generator.backbones.efficientnet_lite:EfficientNetLite0",
             preprocess="generator.backbones.efficientnet_lite:preprocess_input", keras_imagenet=False),
        _app("dog_breeds_mobilenetv2", "DogBreedsMobileNetV2", "mobilenet_v2", 160, "mobilenet",
             builder="generator.backbones.dog_breeds:DogBreedsMobileNetV2", keras_imagenet=False, classes=19),
    ]
}


def get_application(name: str) -> Application:
    """Look up an application by atlas name, suggesting the nearest names when it is unknown."""
    try:
        return APPLICATIONS[name]
    except KeyError:
        raise AtlasError(unknown_backbone_message(name)) from None


def unknown_backbone_message(name: str) -> str:
    """One line naming the unknown backbone, the nearest known names and where the full list is."""
    close = difflib.get_close_matches(name.lower().replace("-", "_"), list(APPLICATIONS), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return f"unknown backbone {name!r}.{hint} Run 'keras-atlas models' for the full list."
