"""Call a functional model with its input in the structure it was built with (a tensor, or a list of one).

Keras 3 warns, and may one day refuse, when a model built as ``Model(inputs=[x], ...)`` is called with a bare
tensor, or the other way round; models from users and from ``keras.applications`` come in both forms.
"""

from __future__ import annotations


def run_model(model, batch, **kwargs):
    """``model(batch)`` with ``batch`` wrapped in a list when the model was built from a list of inputs."""
    structured = [batch] if isinstance(model.input, (list, tuple)) else batch
    return model(structured, **kwargs)
