"""Read a PyTorch state dict without PyTorch and without running code from the file.

A ``.pth`` file is a pickle, and unpickling runs whatever callables the file names. This reader allows only
the globals a plain state dict needs (an ``OrderedDict``, the tensor rebuild function and the typed storage
classes) and refuses everything else with ``UnsafePickleError``. Tensors come back as numpy arrays.

Both of PyTorch's formats are read: the zip format (``archive/data.pkl`` with ``archive/data/<key>`` storage
files, PyTorch >= 1.6) and the legacy format (pickles in sequence followed by the raw storages).
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class UnsafePickleError(pickle.UnpicklingError):
    """The file asked for a global that a state dict never needs (``os.system``, say); nothing was run."""


class _StorageType:
    def __init__(self, name: str) -> None:
        self.dtype = STORAGE_DTYPES[name]


class _TensorRef:
    """A tensor's view of a storage, resolved into an array once the storages are read."""

    def __init__(self, storage_key: str, storage_type: _StorageType, offset: int, size: tuple, stride: tuple) -> None:
        self.storage_key, self.storage_type = storage_key, storage_type
        self.offset, self.size, self.stride = offset, tuple(size), tuple(stride)

    def resolve(self, storages: dict[str, np.ndarray]) -> np.ndarray:
        """A copy of the view; its offset, sizes and strides come from the file, so they are checked first:
        ``as_strided`` trusts them, and a crafted file would read memory outside the storage."""
        flat = storages[self.storage_key]
        self._check_within(len(flat))
        itemsize = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :], shape=self.size, strides=tuple(s * itemsize for s in self.stride)
        )
        return np.array(view, copy=True)

    def _check_within(self, elements: int) -> None:
        numbers = (self.offset, *self.size, *self.stride)
        if not all(isinstance(number, int) and not isinstance(number, bool) for number in numbers):
            raise ValueError(f"tensor of storage {self.storage_key}: offset, sizes and strides must be integers")
        if len(self.size) != len(self.stride) or self.offset < 0 or min(self.size + self.stride, default=0) < 0:
            raise ValueError(f"tensor of storage {self.storage_key}: negative or mismatched offset, sizes or strides")
        if 0 in self.size:
            return
        last = self.offset + sum((size - 1) * stride for size, stride in zip(self.size, self.stride, strict=True))
        if self.offset >= elements or last >= elements:
            raise ValueError(f"tensor of storage {self.storage_key} reaches element {last}, past the storage's "
                             f"{elements}: the file is damaged or crafted")


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *unused):
    key, storage_type = storage
    return _TensorRef(key, storage_type, storage_offset, size, stride)


class _StateDictUnpickler(pickle.Unpickler):
    ALLOWED = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            return self.ALLOWED[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise UnsafePickleError(f"refused to load {module}.{name}: a state dict needs only tensors and dicts")

    def persistent_load(self, saved_id):
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not isinstance(saved_id, tuple) or saved_id[0] != "storage" or not isinstance(saved_id[1], _StorageType):
            raise UnsafePickleError(f"unexpected persistent id {saved_id!r:.80}")
        return (str(saved_id[2]), saved_id[1])


def _walk(value, storages):
    if isinstance(value, _TensorRef):
        return value.resolve(storages)
    if isinstance(value, dict):
        return collections.OrderedDict((key, _walk(item, storages)) for key, item in value.items())
    return value


def _collect_refs(value, found: dict[str, _StorageType]) -> None:
    if isinstance(value, _TensorRef):
        found[value.storage_key] = value.storage_type
    elif isinstance(value, dict):
        for item in value.values():
            _collect_refs(item, found)


def read_state_dict(path: Path) -> dict[str, np.ndarray]:
    """``{parameter name: array}`` of a PyTorch state dict file, never executing code from it."""
    data = Path(path).read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        return _read_zip(data)
    return _read_legacy(data)


def _read_zip(data: bytes) -> dict[str, np.ndarray]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    pickle_name = next(name for name in archive.namelist() if name.endswith("/data.pkl") or name == "data.pkl")
    prefix = pickle_name[: -len("data.pkl")]
    tree = _StateDictUnpickler(io.BytesIO(archive.read(pickle_name))).load()
    types: dict[str, _StorageType] = {}
    _collect_refs(tree, types)
    storages = {key: np.frombuffer(archive.read(f"{prefix}data/{key}"), dtype=kind.dtype) for key, kind in types.items()}
    return _walk(tree, storages)


def _read_legacy(data: bytes) -> dict[str, np.ndarray]:
    stream = io.BytesIO(data)
    magic = _StateDictUnpickler(stream).load()
    if magic != LEGACY_MAGIC:
        raise ValueError("not a PyTorch file: the magic number is missing")
    _StateDictUnpickler(stream).load()  # protocol version
    _StateDictUnpickler(stream).load()  # system info (byte order, type sizes)
    tree = _StateDictUnpickler(stream).load()
    keys = _StateDictUnpickler(stream).load()
    types: dict[str, _StorageType] = {}
    _collect_refs(tree, types)
    storages, position = {}, stream.tell()
    for key in keys:
        kind = types[str(key)]
        (count,) = struct.unpack("<q", data[position : position + 8])
        position += 8
        nbytes = count * np.dtype(kind.dtype).itemsize
        if position + nbytes > len(data):
            raise ValueError("the file is truncated: a storage ends past the end of the file")
        storages[str(key)] = np.frombuffer(data, dtype=kind.dtype, count=count, offset=position)
        position += nbytes
    return _walk(tree, storages)
