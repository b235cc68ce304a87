"""EfficientNet-Lite0, which ``keras.applications`` lacks: EfficientNet-B0 made for mobile accelerators.

Lite differs from B0 in three ways: ReLU6 instead of swish, no squeeze-and-excitation, and a stem and head of
fixed width (32 and 1280 channels). Layer names follow Keras' EfficientNet (``block2a_expand_conv``...), so the
atlas' pages read the same for both.
"""

from __future__ import annotations

STAGES = (
    # repeats, kernel, stride, expansion, output channels
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
BN_EPSILON = 1e-3


def block_prefixes() -> list[tuple[str, int, int, int, int, int]]:
    """(name prefix, kernel, stride, expansion, input channels, output channels) of each MBConv block in order."""
    blocks, channels = [], 32
    for stage, (repeats, kernel, stride, expansion, out) in enumerate(STAGES, 1):
        for repeat in range(repeats):
            blocks.append((f"block{stage}{chr(ord('a') + repeat)}_", kernel, stride if repeat == 0 else 1, expansion, channels, out))
            channels = out
    return blocks


def preprocess_input(images):
    """0..255 RGB to the network's input scale, ``(x - 127) / 128``."""
    return (images - 127.0) / 128.0


def EfficientNetLite0(input_shape=(224, 224, 3), classes: int = 1000, classifier_activation: str | None = "softmax"):
    """The Keras model, untrained; ``weights.converters`` fills it from the published ImageNet weights."""
    import keras
    from keras import layers

    def batch_norm(name: str):
        return layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.99, name=name)

    inputs = keras.Input(input_shape, name="input_layer")
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = batch_norm("stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_activation")(x)
    for prefix, kernel, stride, expansion, channels_in, channels_out in block_prefixes():
        y = x
        if expansion != 1:
            y = layers.Conv2D(channels_in * expansion, 1, padding="same", use_bias=False, name=prefix + "expand_conv")(y)
            y = batch_norm(prefix + "expand_bn")(y)
            y = layers.ReLU(6.0, name=prefix + "expand_activation")(y)
        y = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=prefix + "dwconv")(y)
        y = batch_norm(prefix + "bn")(y)
        y = layers.ReLU(6.0, name=prefix + "activation")(y)
        y = layers.Conv2D(channels_out, 1, padding="same", use_bias=False, name=prefix + "project_conv")(y)
        y = batch_norm(prefix + "project_bn")(y)
        if stride == 1 and channels_in == channels_out:
            y = layers.Add(name=prefix + "add")([y, x])
        x = y
    x = layers.Conv2D(1280, 1, padding="same", use_bias=False, name="top_conv")(x)
    x = batch_norm("top_bn")(x)
    x = layers.ReLU(6.0, name="top_activation")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(0.2, name="top_dropout")(x)
    outputs = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, outputs, name="efficientnet_lite0")
