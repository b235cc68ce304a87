"""A ReLU whose gradient reaches units that are not firing yet (Lucid's "redirected ReLU").

At the start of filter visualisation most units of a deep layer are below zero, so a plain ReLU passes no
gradient and the image never leaves its grey start: MobileNet-style layers come out flat. Where no gradient
gets through normally, this ReLU lets through the gradient components that push a unit towards firing (and,
for ReLU6, back below 6). The forward pass is the ordinary ReLU. Filter visualisation uses it only during its
first steps, in a compiled step of its own (see ``filters``).
"""

from __future__ import annotations


def redirected_relu(x, max_value: float | None = None):
    """ReLU (ReLU6 when ``max_value`` is 6) of ``x`` with the redirected gradient."""
    import tensorflow as tf

    @tf.custom_gradient
    def forward(inputs):
        outputs = tf.nn.relu(inputs) if max_value is None else tf.clip_by_value(inputs, 0.0, max_value)

        def backward(upstream):
            blocked = inputs < 0.0 if max_value is None else tf.logical_or(inputs < 0.0, inputs > max_value)
            ordinary = tf.where(blocked, tf.zeros_like(upstream), upstream)
            # Gradients of a loss being minimised: upstream > 0 pushes a unit down, upstream < 0 pushes it up.
            wrong_way = tf.logical_and(inputs < 0.0, upstream > 0.0)
            if max_value is not None:
                wrong_way = tf.logical_or(wrong_way, tf.logical_and(inputs > max_value, upstream < 0.0))
            redirected = tf.where(wrong_way, tf.zeros_like(upstream), upstream)
            batch = tf.shape(upstream)[0]
            flowing = tf.norm(tf.reshape(ordinary, [batch, -1]), axis=1) > 0.0
            flowing = tf.reshape(flowing, tf.concat([[batch], tf.ones([tf.rank(upstream) - 1], tf.int32)], 0))
            return tf.where(flowing, ordinary, redirected)

        return outputs, backward

    return forward(x)


def relu_kind(layer) -> float | None | bool:
    """What ReLU a layer applies last: ``None`` for plain ReLU, 6.0 for ReLU6, False when it applies none."""
    import keras

    if isinstance(layer, keras.layers.ReLU):
        if float(layer.negative_slope) != 0.0 or float(layer.threshold) != 0.0:
            return False
        return None if layer.max_value is None else float(layer.max_value)
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", "")
    if name == "relu":
        return None
    if name == "relu6":
        return 6.0
    return False


def call_with_redirected_relu():
    """A ``clone_model`` call function that swaps every layer's final ReLU for ``redirected_relu``.

    A functional graph re-runs each layer's ``call`` when executed, so a fused activation (``Conv2D(activation=
    "relu")``) is removed inside a wrapper layer's own ``call``, not just while the clone is being built.
    """
    import keras

    class RedirectedReLU(keras.layers.Layer):
        def __init__(self, max_value: float | None, **kwargs):
            super().__init__(**kwargs)
            self.max_value = max_value

        def call(self, inputs):
            return redirected_relu(inputs, self.max_value)

    class WithoutActivation(keras.layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, *args, **kwargs):
            activation = self.inner.activation
            self.inner.activation = keras.activations.linear
            try:
                return self.inner(*args, **kwargs)
            finally:
                self.inner.activation = activation

    def call(layer, *args, **kwargs):
        kind = relu_kind(layer)
        if kind is False:
            return layer(*args, **kwargs)
        if isinstance(layer, (keras.layers.ReLU, keras.layers.Activation)):
            pre_activation = args[0]
        else:
            pre_activation = WithoutActivation(layer, name=f"{layer.name}_linear")(*args, **kwargs)
        return RedirectedReLU(kind, name=f"{layer.name}_redirected")(pre_activation)

    return call
