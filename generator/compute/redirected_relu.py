"""A ReLU whose gradient reaches units that are not firing yet (Lucid's "redirected ReLU").

At the start of filter visualisation most units of a deep layer are below zero, so a plain ReLU passes no
gradient and the image never leaves its grey start: MobileNet-style layers come out flat. Where no gradient
gets through normally, this ReLU lets through the gradient components that push a unit towards firing (and,
for ReLU6, back below 6). The forward pass is the ordinary ReLU. Filter visualisation uses it only during its
first steps: switched off by a variable inside the same compiled step in short runs, or in a graph of its
own in long ones (see ``filters``).
"""

from __future__ import annotations


def redirected_relu(x, max_value: float | None = None, switch=None):
    """ReLU (ReLU6 when ``max_value`` is 6) of ``x`` with the redirected gradient, while ``switch`` is true.

    ``switch`` is a boolean ``tf.Variable`` (``None``: always on). Read inside the backward pass, it lets one
    compiled step run redirected for the first steps and plain after, instead of tracing the network twice.
    """
    import tensorflow as tf

    @tf.custom_gradient
    def forward(inputs):
        # The native ReLU and ReLU6 kernels and their gradients: one pass each, where a clip costs two.
        if max_value is None:
            outputs = tf.nn.relu(inputs)
        elif max_value == 6.0:
            outputs = tf.nn.relu6(inputs)
        else:
            outputs = tf.clip_by_value(inputs, 0.0, max_value)

        def ordinary(upstream):
            if max_value is None:
                return tf.raw_ops.ReluGrad(gradients=upstream, features=inputs)
            if max_value == 6.0:
                return tf.raw_ops.Relu6Grad(gradients=upstream, features=inputs)
            return tf.where(tf.logical_and(inputs > 0.0, inputs < max_value), upstream, tf.zeros_like(upstream))

        def backward(upstream):
            plain = ordinary(upstream)
            batch = tf.shape(upstream)[0]
            per_image = tf.concat([[batch], tf.ones([tf.rank(upstream) - 1], tf.int32)], 0)
            keep_plain = tf.reduce_any(tf.not_equal(tf.reshape(plain, [batch, -1]), 0.0), axis=1)
            if switch is not None:
                keep_plain = tf.logical_or(keep_plain, tf.logical_not(switch))
            # How far each unit lies outside the ReLU's range: below 0 negative, above the cap positive. The
            # loss is minimised, so a gradient of the same sign as a nonzero excess (excess * upstream > 0)
            # pushes the unit back into range and passes; the opposite sign would push it further out.
            excess = inputs - outputs
            pushed = tf.where(excess * upstream < 0.0, tf.zeros((), upstream.dtype), upstream)
            # No tf.cond: a conditional per ReLU made NASNet's step take 18 s to trace and compile, against 8 s
            # with these few element-wise operations, which cost less than that over a short run.
            return tf.where(tf.reshape(keep_plain, per_image), plain, pushed)

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


def call_with_redirected_relu(switch=None):
    """A ``clone_model`` call function that swaps every layer's final ReLU for ``redirected_relu`` (on ``switch``).

    A functional graph re-runs each layer's ``call`` when executed, so a fused activation (``Conv2D(activation=
    "relu")``) is removed inside a wrapper layer's own ``call``, not just while the clone is being built.
    """
    import keras

    class RedirectedReLU(keras.layers.Layer):
        def __init__(self, max_value: float | None, **kwargs):
            super().__init__(**kwargs)
            self.max_value = max_value

        def call(self, inputs):
            return redirected_relu(inputs, self.max_value, switch)

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
            pre_activation = WithoutActivation(layer, name=f"{layer.name}_linear", dtype=layer.dtype_policy)(*args, **kwargs)
        # The wrapped layer's dtype policy: a float32 wrapper in a bfloat16 network would cast back and forth.
        return RedirectedReLU(kind, name=f"{layer.name}_redirected", dtype=layer.dtype_policy)(pre_activation)

    return call
