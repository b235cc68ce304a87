"""The redirected ReLU: ordinary forward pass; gradient reaches silent units only in the direction that wakes them."""

import numpy as np

from generator.compute.redirected_relu import redirected_relu


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
