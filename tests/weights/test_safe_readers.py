"""State dicts and label encoders are read without running code: a crafted os.system pickle is refused."""

import io
import os
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

from generator.weights.torch_pickle import LEGACY_MAGIC, UnsafePickleError, read_state_dict
from tests.weights.label_encoder_reader import read_label_encoder_classes


class RunsCommand:
    """Unpickling this runs os.system: what a malicious .pth or .pkl would contain."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def fake_torch(monkeypatch):
    """Just enough of a 'torch' module for pickle to write the globals a real state dict names."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # pragma: no cover - only its name is pickled
        raise AssertionError

    class FloatStorage:
        pass

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
    utils._rebuild_tensor_v2, torch.FloatStorage, torch._utils = _rebuild_tensor_v2, FloatStorage, utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch


class _Tensor:
    def __init__(self, key, offset, shape, stride):
        self.key, self.offset, self.shape, self.stride = key, offset, shape, stride

    def __reduce__(self):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return (rebuild, (_StorageRef(self.key), self.offset, self.shape, self.stride, False, OrderedDict()))


class _StorageRef:
    def __init__(self, key):
        self.key = key


class _StatePickler(pickle.Pickler):
    def __init__(self, file, sizes):
        super().__init__(file, protocol=2)
        self.sizes = sizes

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", sys.modules["torch"].FloatStorage, obj.key, "cpu", self.sizes[obj.key])
        return None


def state_and_storages():
    kernel = np.arange(24, dtype=np.float32)
    bias = np.array([0.5, -1.5], dtype=np.float32)
    state = OrderedDict(
        [
            ("conv.weight", _Tensor("0", 0, (2, 3, 2, 2), (12, 4, 2, 1))),
            ("conv.weight_t", _Tensor("0", 0, (3, 2), (1, 12))),  # a strided view of the same storage
            ("conv.bias", _Tensor("1", 0, (2,), (1,))),
        ]
    )
    return state, {"0": kernel, "1": bias}


def write_zip_format(path, state, storages):
    buffer = io.BytesIO()
    _StatePickler(buffer, {k: v.size for k, v in storages.items()}).dump(state)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        for key, values in storages.items():
            archive.writestr(f"archive/data/{key}", values.tobytes())


def write_legacy_format(path, state, storages):
    buffer = io.BytesIO()
    for header in (LEGACY_MAGIC, 1001, {"little_endian": True}):
        pickle.dump(header, buffer, protocol=2)
    _StatePickler(buffer, {k: v.size for k, v in storages.items()}).dump(state)
    pickle.dump(list(storages), buffer, protocol=2)
    for values in storages.values():
        buffer.write(struct.pack("<q", values.size) + values.tobytes())
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize("writer", [write_zip_format, write_legacy_format])
def test_state_dict_tensors_are_rebuilt_with_their_strides(fake_torch, tmp_path, writer):
    state, storages = state_and_storages()
    writer(tmp_path / "model.pth", state, storages)
    result = read_state_dict(tmp_path / "model.pth")
    np.testing.assert_array_equal(result["conv.weight"], np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2))
    np.testing.assert_array_equal(result["conv.weight_t"], np.arange(24, dtype=np.float32)[[0, 1, 2, 12, 13, 14]].reshape(2, 3).T)
    np.testing.assert_array_equal(result["conv.bias"], [0.5, -1.5])


@pytest.mark.parametrize("writer", [write_zip_format, write_legacy_format])
@pytest.mark.parametrize(("offset", "shape", "stride"), [
    (20, (2, 3), (3, 1)),        # ends at element 20 + 5 of a 24-element storage
    (0, (2, 3), (100, 1)),       # a stride that leaps past the end
    (0, (1000000,), (1,)),       # more elements than the storage has
    (30, (1,), (1,)),            # starts past the end
    (-4, (2,), (1,)),            # starts before the storage
    (0, (2, 2), (-1, 1)),        # walks backwards out of it
    (0, (2, 2), (1,)),           # sizes and strides disagree
])
def test_a_tensor_that_reaches_outside_its_storage_is_refused(fake_torch, tmp_path, writer, offset, shape, stride):
    """``as_strided`` trusts offset, sizes and strides: a crafted file must not read the memory next to a storage."""
    state, storages = state_and_storages()
    state["conv.weight"] = _Tensor("0", offset, shape, stride)
    writer(tmp_path / "crafted.pth", state, storages)
    with pytest.raises(ValueError, match="storage 0"):
        read_state_dict(tmp_path / "crafted.pth")


def test_a_state_dict_that_calls_os_system_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"weight": RunsCommand(marker)}, protocol=2))
    with pytest.raises(UnsafePickleError, match="refused to load (posix|os).system"):
        read_state_dict(path)
    legacy = tmp_path / "evil-legacy.pth"
    legacy.write_bytes(pickle.dumps(RunsCommand(marker), protocol=2))
    with pytest.raises(UnsafePickleError):
        read_state_dict(legacy)
    assert not marker.exists()


def test_a_label_encoder_that_calls_os_system_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "label_encoder.pkl"
    path.write_bytes(pickle.dumps(RunsCommand(marker), protocol=4))
    with pytest.raises(UnsafePickleError, match="refused to load (posix|os).system"):
        read_label_encoder_classes(path)
    assert not marker.exists()
