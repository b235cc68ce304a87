"""Atomic, change-aware writes: no partial files, no rewrite of identical bytes, the user's usual mode."""

import os
import stat

from generator.output.files import write_bytes_if_changed


def test_writes_only_when_bytes_change_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a" / "figure.png"
    assert write_bytes_if_changed(target, b"one") is True
    first = target.stat().st_mtime_ns
    assert write_bytes_if_changed(target, b"one") is False and target.stat().st_mtime_ns == first
    assert write_bytes_if_changed(target, b"two") is True and target.read_bytes() == b"two"
    assert [path.name for path in target.parent.iterdir()] == ["figure.png"]


def test_files_get_the_usual_mode_not_the_private_mode_of_temporary_files(tmp_path):
    previous = os.umask(0o022)
    try:
        target = tmp_path / "page.md"
        write_bytes_if_changed(target, b"# page")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
    finally:
        os.umask(previous)
