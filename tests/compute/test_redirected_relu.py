"""The redirected ReLU: ordinary forward pass; gradient reaches silent units only in the direction that wakes them."""

import numpy as np

from generator.compute.redirected_relu import redirected_relu, silenceable_relus


def gradient(x, upstream, max_value=None):
    import tensorflow as tf

    x = tf.constant(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = redirected_relu(x, max_value)
        loss = tf.reduce_sum(y * tf.constant(upstream, tf.float32))
    return y.numpy(), tape.gradient(loss, x).numpy()


def test_forward_is_the_ordinary_relu_and_relu6():
    y, _ = gradient([[-1.0, 0.5, 7.0]], [[1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(y, [[0.0, 0.5, 7.0]])
    y6, _ = gradient([[-1.0, 0.5, 7.0]], [[1.0, 1.0, 1.0]], max_value=6.0)
    np.testing.assert_array_equal(y6, [[0.0, 0.5, 6.0]])


def test_a_silent_image_gets_the_gradient_that_wakes_units_and_only_that():
    # Minimising: upstream < 0 pushes a unit up (towards firing), upstream > 0 pushes it further down.
    _, grad = gradient([[-1.0, -2.0]], [[-3.0, 5.0]])
    np.testing.assert_array_equal(grad, [[-3.0, 0.0]])


def test_an_image_where_gradient_flows_keeps_the_ordinary_gradient():
    _, grad = gradient([[-1.0, 2.0], [-1.0, -2.0]], [[-3.0, 4.0], [-3.0, 4.0]])
    np.testing.assert_array_equal(grad[0], [0.0, 4.0])   # image 0: a unit fires, ordinary ReLU gradient
    np.testing.assert_array_equal(grad[1], [-3.0, 0.0])  # image 1: all silent, redirected


def test_relu6_lets_saturated_units_come_back_down():
    _, grad = gradient([[7.0, 8.0]], [[2.0, -2.0]], max_value=6.0)
    np.testing.assert_array_equal(grad, [[2.0, 0.0]])


def test_a_relu_capped_elsewhere_than_6_is_redirected_at_its_own_cap():
    y, grad = gradient([[-1.0, 2.0, 5.0]], [[-1.0, 1.0, 1.0]], max_value=4.0)
    np.testing.assert_array_equal(y, [[0.0, 2.0, 4.0]])
    np.testing.assert_array_equal(grad, [[0.0, 1.0, 0.0]])  # a unit flows: the ordinary capped gradient


def test_the_switch_turns_redirection_off_inside_one_compiled_function():
    import tensorflow as tf

    switch = tf.Variable(True)
    x = tf.constant([[-1.0, -2.0]])

    @tf.function
    def grad():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(redirected_relu(x, None, switch) * tf.constant([[-3.0, 5.0]]))
        return tape.gradient(loss, x)

    np.testing.assert_array_equal(grad().numpy(), [[-3.0, 0.0]])
    switch.assign(False)
    np.testing.assert_array_equal(grad().numpy(), [[0.0, 0.0]])  # the plain ReLU: silent units pass nothing


def test_only_relus_reached_before_channels_mix_are_redirected():
    import keras

    layers = keras.layers
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 3, activation="relu", name="first")(inputs)
    x = layers.Conv2D(8, 1, name="mixing")(x)
    x = layers.BatchNormalization(name="norm")(x)
    skip = layers.ReLU(6.0, name="relu6")(x)
    x = layers.DepthwiseConv2D(3, padding="same", name="depthwise")(skip)
    x = layers.MaxPooling2D(1, name="pool")(x)
    x = layers.Add(name="add")([x, skip])
    x = layers.Activation("relu", name="act")(x)
    x = layers.Conv2D(4, 1, activation="relu", name="head")(x)
    model = keras.Model(inputs, x)
    # The gradient of one channel of "act" stays one channel back through the add, pooling, depthwise
    # convolution and norm, down to the 1x1 convolution that mixes channels: "first" is never silent alone.
    assert silenceable_relus(model, "act") == {"act", "relu6"}
    assert silenceable_relus(model, "head") == {"head"}  # its own ReLU, then its kernel mixes
    assert silenceable_relus(model, "depthwise") == {"relu6"}
    assert silenceable_relus(model, "mixing") == frozenset()
