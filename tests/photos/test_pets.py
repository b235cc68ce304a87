"""fetch-pets against a local HTTP server on 127.0.0.1 serving tiny archives."""

import hashlib
import http.server
import io
import tarfile
import threading
from functools import partial

import pytest

from generator.errors import AtlasError
from generator.photos.folders import is_oxford_pets_folder, load_images
from generator.photos.pets import ARCHIVES, Archive, fetch_pets

from tests.conftest import gradient_image


def tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def served(tmp_path):
    from PIL import Image

    image = io.BytesIO()
    Image.fromarray(gradient_image()).save(image, format="JPEG")
    root = tmp_path / "server"
    root.mkdir()
    (root / "images.tar.gz").write_bytes(tar_gz({"images/Bengal_1.jpg": image.getvalue()}))
    (root / "annotations.tar.gz").write_bytes(tar_gz({"annotations/list.txt": b"#header\nBengal_1 6 1 1\n"}))
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_downloads_verifies_and_unpacks_into_the_oxford_layout(served, tmp_path):
    root, url = served
    archives = tuple(Archive(name, md5(root / name)) for name in ("images.tar.gz", "annotations.tar.gz"))
    folder = fetch_pets(tmp_path / "pets", base_url=url, archives=archives, show_progress=False)
    assert is_oxford_pets_folder(folder)
    images = load_images([str(folder)]).images
    assert [(image.breed, image.species) for image in images] == [("Bengal", "cat")]


def test_a_corrupt_download_fails_its_checksum_and_is_deleted(served, tmp_path):
    _, url = served
    with pytest.raises(AtlasError, match=r"images.tar.gz .* failed its checksum .*expected 5c4f3ee8"):
        fetch_pets(tmp_path / "pets", base_url=url, archives=ARCHIVES, show_progress=False)
    assert not (tmp_path / "pets" / "images.tar.gz").exists()
    assert not list((tmp_path / "pets").glob("*.part"))


def test_an_unreachable_server_names_the_url(tmp_path):
    with pytest.raises(AtlasError, match="could not download http://127.0.0.1:9/images.tar.gz"):
        fetch_pets(tmp_path / "pets", base_url="http://127.0.0.1:9/", show_progress=False, timeout=5)
