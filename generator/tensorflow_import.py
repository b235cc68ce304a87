"""Import TensorFlow without its start-up chatter on the terminal.

TensorFlow 2.21 writes oneDNN and absl notices to file descriptor 2 before its logging is set up, so
``TF_CPP_MIN_LOG_LEVEL`` cannot silence them. The import runs with fd 2 pointed at a temporary file; if the
import fails, what it wrote is shown with the error, so nothing useful is hidden.
"""

from __future__ import annotations

import os
import sys
import tempfile


def import_tensorflow_quietly():
    """``import tensorflow`` with its start-up notices captured; returns the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    # Each filter-visualisation step is a tf.function made for one layer and traced once, on purpose; TF's
    # retracing heuristic would warn about "calls that triggered retracing" on every layer.
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return tensorflow


def configure_determinism() -> None:
    """Deterministic ops, so that two builds give the same bytes."""
    tf = import_tensorflow_quietly()
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # older TensorFlow: determinism is then best effort
        pass
