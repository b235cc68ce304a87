"""Images: files, folders, globs, EXIF orientation, the Oxford-IIIT Pet layout, unusable files skipped."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.errors import AtlasError
from generator.photos.image import _decode_again, decode_image
from generator.photos.folders import is_oxford_pets_folder, load_images

from tests.conftest import gradient_image


def save(path, pixels, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, **kwargs)
    return path


def make_oxford_folder(root, breeds=("Abyssinian", "beagle"), per=3):
    lines = ["#Image CLASS-ID SPECIES BREED ID", "#ID: 1:37 Class ids", "#SPECIES: 1:Cat 2:Dog"]
    for class_id, breed in enumerate(breeds, 1):
        species = 1 if breed[0].isupper() else 2
        for number in range(1, per + 1):
            name = f"{breed}_{number}"
            save(root / "images" / f"{name}.jpg", gradient_image())
            lines.append(f"{name} {class_id} {species} {number}")
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    (root / "annotations" / "list.txt").write_text("\n".join(lines) + "\n")
    return root


def test_oxford_layout_reads_breed_and_species_and_picks_per_breed(tmp_path):
    folder = make_oxford_folder(tmp_path / "pets")
    assert is_oxford_pets_folder(folder)
    result = load_images([str(folder)], per_breed=2)
    assert [image.path.name for image in result.images] == ["Abyssinian_1.jpg", "Abyssinian_2.jpg", "beagle_1.jpg", "beagle_2.jpg"]
    assert [(image.breed, image.species) for image in result.images][::2] == [("Abyssinian", "cat"), ("beagle", "dog")]


def test_exif_orientation_is_applied(tmp_path):
    pixels = gradient_image(20, 40)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    path = tmp_path / "rotated.jpg"
    Image.fromarray(pixels).save(path, exif=exif.tobytes())
    assert decode_image(path.read_bytes()).shape == (40, 20, 3)


def test_png_with_alpha_greyscale_and_16_bit_become_rgb(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    assert decode_image(_png(Image.fromarray(rgba, "RGBA")))[0, 0].tolist() == [255, 255, 255]
    assert decode_image(_png(Image.fromarray(np.full((4, 4), 90, np.uint8), "L"))).shape == (4, 4, 3)
    sixteen = Image.fromarray(np.full((4, 4), 60000, np.uint16))
    assert decode_image(_png(sixteen)).max() == 255


def _png(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_files_folders_and_globs_in_stable_order_with_unique_ids(tmp_path):
    save(tmp_path / "a" / "cat.jpg", gradient_image())
    save(tmp_path / "b" / "cat.jpg", gradient_image())
    save(tmp_path / "b" / "dog.png", gradient_image())
    (tmp_path / "b" / "notes.txt").write_text("not an image")
    result = load_images([str(tmp_path / "a"), str(tmp_path / "b" / "*.png"), str(tmp_path / "b" / "cat.jpg")])
    assert [image.id for image in result.images] == ["cat", "dog", "cat-2"]


def test_unusable_files_are_skipped_with_a_reason(tmp_path):
    save(tmp_path / "good.jpg", gradient_image())
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    result = load_images([str(tmp_path)])
    assert [image.path.name for image in result.images] == ["good.jpg"]
    reasons = {skipped.path.name: skipped.reason for skipped in result.skipped}
    assert reasons == {"empty.jpg": "the file is empty", "text.png": "not an image Pillow can read"}


def test_missing_source_names_it(tmp_path):
    with pytest.raises(AtlasError, match="does not exist"):
        load_images([str(tmp_path / "nowhere")])
    with pytest.raises(AtlasError, match="matches no file"):
        load_images([str(tmp_path / "*.jpg")])


def test_the_sample_photos_load(sample_photos):
    result = load_images([str(path) for path in sample_photos])
    assert len(result.images) == 4 and not result.skipped
    assert all(image.pixels.dtype == np.uint8 and image.pixels.shape[2] == 3 for image in result.images)


def test_a_photo_of_exactly_40_megapixels_is_used_and_one_a_column_larger_is_skipped(tmp_path):
    """The decompression-bomb guard's boundary: 8000 x 5000 is 40,000,000 pixels, 8001 x 5000 is over it."""
    from generator.photos.image import MAX_PIXELS

    assert MAX_PIXELS == 40_000_000
    Image.new("1", (8000, 5000), 1).save(tmp_path / "at-the-limit.png")
    Image.new("1", (8001, 5000), 1).save(tmp_path / "over-the-limit.png")
    result = load_images([str(tmp_path)])
    assert [image.path.name for image in result.images] == ["at-the-limit.png"]
    assert result.images[0].pixels.shape == (640, 1024, 3)  # kept at most 1024 px on its long side
    assert [(item.path.name, item.reason) for item in result.skipped] == [
        ("over-the-limit.png", "8001x5000 pixels is over the limit of 40,000,000 (decompression-bomb guard)")
    ]


def test_a_set_not_held_is_read_again_from_its_files_and_refuses_a_changed_file(tmp_path):
    """A large examples set is decoded to be checked and then dropped (memory does not grow with the photos);
    where used, each photo is read again, the same pixels, and a file changed since the build read it is refused
    by name instead of giving results for other bytes than its hash says."""
    pixels = gradient_image()
    paths = [save(tmp_path / f"{name}.png", np.roll(pixels, shift, axis=1)) for shift, name in enumerate("ab")]
    held = load_images([str(path) for path in paths])
    lean = load_images([str(path) for path in paths], hold=False)
    assert [image.pixels for image in lean.images] == [None, None]
    for kept, read in zip(held.images, lean.images, strict=True):
        assert (kept.id, kept.sha256) == (read.id, read.sha256)
        np.testing.assert_array_equal(read.decoded(), kept.pixels)
        np.testing.assert_array_equal(read.resized((8, 8)), kept.resized((8, 8)))
    save(paths[1], np.flipud(pixels))
    lean.images[1].decoded()  # the last decoded photos are kept: those are the pixels of the bytes hashed
    _decode_again.cache_clear()
    with pytest.raises(AtlasError, match=r"b\.png changed during the build"):
        lean.images[1].decoded()
    paths[0].unlink()
    with pytest.raises(AtlasError, match=r"a\.png can no longer be read"):
        lean.images[0].decoded()


def test_progress_counts_every_file_skipped_ones_included(tmp_path):
    save(tmp_path / "a.png", gradient_image())
    (tmp_path / "b.jpg").write_bytes(b"not an image")
    save(tmp_path / "c.png", gradient_image())
    calls = []
    found = load_images([str(tmp_path)], progress=lambda total: calls.append(total) or (lambda: calls.append("file")))
    assert calls == [3, "file", "file", "file"]
    assert [image.id for image in found.images] == ["a", "c"] and len(found.skipped) == 1


def test_a_photo_is_resized_to_height_by_width_stretched_where_the_aspects_differ():
    from generator.photos.image import SourceImage

    pixels = np.zeros((120, 200, 3), np.uint8)
    pixels[:60, 100:] = 255  # the top right quarter
    resized = SourceImage(id="q", path=Path("q.png"), sha256="0" * 64, pixels=pixels).resized((40, 64))
    assert resized.shape == (40, 64, 3)
    assert resized[:18, 34:].min() >= 250 and resized[22:].max() <= 5 and resized[:, :30].max() <= 5
