"""A ReLU whose gradient reaches units that are not firing yet (Lucid's "redirected ReLU").

At the start of filter visualisation most units of a deep layer are below zero, so a plain ReLU passes no
gradient and the image never leaves its grey start: MobileNet-style layers come out flat. Where no gradient
gets through normally, this ReLU lets through the gradient components that push a unit towards firing (and,
for ReLU6, back below 6). The forward pass is the ordinary ReLU. Filter visualisation uses it only during its
first steps: switched off by a variable inside the same compiled step in short runs, or in a graph of its
own in long ones (see ``filters``).

Only the ReLUs that can fall silent get it (``silenceable_relus``). The gradient of a filter's mean starts in
that one channel; a ReLU it reaches before any layer mixes channels sees it in that channel alone, and falls
silent for an image whenever that channel is dead there. Once a convolution has spread it over every channel
below, a ReLU is silent only if every one of its units is, which does not happen in practice: redirecting
only the ReLUs above the first mixing layer gives the pictures that redirecting all of them gives, for a small
part of the cost (a network cut at a linear convolution needs no redirected step at all). The measurements
behind this are in ``benchmarks/README.md``.
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

        # Only the outputs are read: with the pre-activation kept for the backward pass, a convolution, its bias
        # and its ReLU could not fuse into one kernel in the forward pass (a separate ReLU pass, on VGG16 a tenth
        # of a step). Inside the range the outputs tell the same as the inputs; at the bounds they tell which
        # bound a unit is held at.
        def ordinary(upstream):
            if max_value is None:
                return tf.raw_ops.ReluGrad(gradients=upstream, features=outputs)
            if max_value == 6.0:
                return tf.raw_ops.Relu6Grad(gradients=upstream, features=outputs)
            return tf.where(tf.logical_and(outputs > 0.0, outputs < max_value), upstream, tf.zeros_like(upstream))

        def backward(upstream):
            plain = ordinary(upstream)
            batch = tf.shape(upstream)[0]
            per_image = tf.concat([[batch], tf.ones([tf.rank(upstream) - 1], tf.int32)], 0)
            flat = tf.reshape(plain, [batch, -1])
            zero = tf.zeros((), upstream.dtype)
            keep_plain = tf.logical_or(tf.reduce_max(flat, axis=1) > zero, tf.reduce_min(flat, axis=1) < zero)
            if switch is not None:
                keep_plain = tf.logical_or(keep_plain, tf.logical_not(switch))
            # An image is redirected only where no gradient flows, so its upstream gradient is zero at every unit
            # inside the range, and only units held at a bound carry any. The loss is minimised: a negative
            # gradient raises a unit, so at 0 only negative components pass (they wake the unit), and at the
            # cap only positive ones (they bring it back down).
            pushed = tf.minimum(upstream, zero)
            if max_value is not None:
                pushed = tf.where(outputs > max_value / 2, tf.maximum(upstream, zero), pushed)
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


def call_with_redirected_relu(names: frozenset[str], switch=None):
    """A ``clone_model`` call function that swaps the final ReLU of the layers named in ``names`` for
    ``redirected_relu`` (on ``switch``).

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
        if kind is False or layer.name not in names:
            return layer(*args, **kwargs)
        if isinstance(layer, (keras.layers.ReLU, keras.layers.Activation)):
            pre_activation = args[0]
        else:
            pre_activation = WithoutActivation(layer, name=f"{layer.name}_linear", dtype=layer.dtype_policy)(*args, **kwargs)
        # The wrapped layer's dtype policy: a float32 wrapper in a bfloat16 network would cast back and forth.
        return RedirectedReLU(kind, name=f"{layer.name}_redirected", dtype=layer.dtype_policy)(pre_activation)

    return call


def silenceable_relus(model, layer_name: str) -> frozenset[str]:
    """Names of the layers whose final ReLU ``model``'s layer ``layer_name`` reads without any layer mixing
    channels in between (the layer itself included, if it ends in a ReLU): the ReLUs that can fall silent.

    The walk goes from the layer towards the input and stops at layers that mix channels (convolutions other
    than depthwise, dense layers). A layer of any other kind, a user's own included, is walked through: a
    ReLU redirected needlessly costs time, one left out could leave an image grey.
    """
    import keras

    from generator.compute.folding import graph_nodes

    layers = keras.layers
    mixing = (
        layers.Conv1D, layers.Conv2D, layers.Conv3D, layers.Conv1DTranspose, layers.Conv2DTranspose,
        layers.Conv3DTranspose, layers.SeparableConv1D, layers.SeparableConv2D, layers.Dense, layers.EinsumDense,
    )
    try:
        target = model.get_layer(layer_name)
    except ValueError:
        return frozenset()
    # The walk only goes towards the input, so the whole model's graph serves: no cut model is needed.
    producer = {id(tensor): node for node in graph_nodes(model) for tensor in node.outputs}
    names: set[str] = set()
    pending, seen = [producer[id(target.output)]], set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        layer = node.operation
        if relu_kind(layer) is not False:
            names.add(layer.name)
        if not isinstance(layer, mixing):
            pending.extend(producer[id(tensor)] for tensor in node.input_tensors if id(tensor) in producer)
    return frozenset(names)
