"""The pre-softmax score of a classifier.

Class-activation maps take gradients of the class score before the softmax: after it, the gradient of one class
is entangled with every other class and vanishes as the prediction saturates. Keras Applications end either in
``Dense(activation="softmax")`` or in a separate ``Activation("softmax")`` layer; both are undone here.
"""

from __future__ import annotations


def _is_softmax(activation) -> bool:
    return getattr(activation, "__name__", "") == "softmax"


def logits_output(model):
    """The symbolic tensor of ``model``'s pre-softmax scores (the output itself if it has no softmax)."""
    import keras

    last = model.layers[-1]
    if isinstance(last, keras.layers.Activation) and _is_softmax(last.activation):
        return last.input
    if isinstance(last, keras.layers.Dense) and _is_softmax(last.activation):
        linear = keras.layers.Dense(last.units, activation=None, use_bias=last.use_bias, name=f"{last.name}_logits")
        scores = linear(last.input)
        linear.set_weights(last.get_weights())
        return scores
    return model.outputs[0]


def is_probability_output(model) -> bool:
    """Whether ``model`` ends in a softmax, so that its outputs are probabilities already."""
    import keras

    last = model.layers[-1]
    return isinstance(last, (keras.layers.Activation, keras.layers.Dense)) and _is_softmax(last.activation)
