"""The draw stage: figures from arrays and the plan's facts, written where the plan names them, read from the
figure tier when there, and never a network run on the way."""

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from generator.cache import Cache
from generator.photos.image import SourceImage
from tests.conftest import arrays_of
from generator.pipeline.arrays import ImageAnalysis
from generator.pipeline.draw_figures import Draw, draw_backbone
from generator.output.writer import Writer
from tests.pipeline.test_compute_units import _backbone, _plan


def test_importing_the_draw_stage_imports_no_network_code():
    code = ("import sys, generator.pipeline.draw_figures; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras') "
            "or m.startswith(('generator.compute', 'generator.backbones'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


@pytest.fixture
def planned(tiny_classifier, tmp_path):
    photo = SourceImage(id="grey", path=tmp_path / "grey.png", sha256="9" * 64, pixels=np.full((32, 32, 3), 128, np.uint8))
    backbone = _backbone(tiny_classifier)
    plan = _plan(backbone, ["conv_b"], [photo], cam=["gradcam", "layercam"])
    top_left, bottom_right = np.zeros((8, 8), np.float32), np.zeros((8, 8), np.float32)
    top_left[:4, :4], bottom_right[4:, 4:] = 1.0, 1.0
    analysis = ImageAnalysis(
        activations={"conv_b": np.random.default_rng(0).integers(0, 255, (6, 32, 32), dtype=np.uint8)},
        probabilities=np.eye(10, dtype=np.float32)[7], class_index=7, class_probability=1.0,
        cams={("gradcam", "conv_b"): top_left, ("layercam", "conv_b"): bottom_right},
    )
    filters = np.zeros((2, 16, 16, 3), np.uint8)
    filters[0, ..., 0], filters[1, ..., 2] = np.arange(16, dtype=np.uint8)[:, None] * 16, 200
    return plan, arrays_of({"grey": analysis}, {"conv_b": filters})


def _red_minus_blue(path, rows: slice, columns: slice) -> float:
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)[rows, columns]
    return float(pixels[..., 0].mean() - pixels[..., 2].mean())


def test_each_heatmap_file_shows_its_own_method_and_the_class_it_explains(planned, tmp_path):
    plan, arrays = planned
    writer = Writer(tmp_path / "atlas")
    result = draw_backbone(Draw(writer, Cache(tmp_path / "cache")), plan, arrays)
    figure = result.layers[0].figures[0]
    assert (figure.explained_class, figure.explained_probability) == ("class7", 1.0)
    files = {heatmap.title: heatmap.file for heatmap in figure.heatmaps}
    assert list(files) == ["Grad-CAM", "LayerCAM"]
    assert files["Grad-CAM"] == plan.layers[0].images[0].heatmaps[0].figure.file
    gradcam, layercam = (writer.root / files[title] for title in ("Grad-CAM", "LayerCAM"))
    assert Image.open(gradcam).size == (56, 56)  # the 8 x 8 map enlarged 7 times, for the page to lay over its photo
    top, bottom = slice(0, 20), slice(36, 56)
    assert _red_minus_blue(gradcam, top, top) > 50 > _red_minus_blue(gradcam, bottom, bottom)
    assert _red_minus_blue(layercam, bottom, bottom) > 50 > _red_minus_blue(layercam, top, top)


def test_every_file_goes_where_the_plan_names_it(planned, tmp_path):
    plan, arrays = planned
    writer = Writer(tmp_path / "atlas")
    result = draw_backbone(Draw(writer, Cache(tmp_path / "cache")), plan, arrays)
    layer, planned_layer = result.layers[0], plan.layers[0]
    assert (layer.mosaic, layer.mosaic_thumbnail, layer.page) == (
        planned_layer.mosaic.file, planned_layer.mosaic_thumbnail.file, planned_layer.page)
    assert layer.figures[0].activations == planned_layer.images[0].activations.file
    assert (result.architecture_svg, result.architecture_png) == tuple(figure.file for figure in plan.architecture)
    written = {path.relative_to(writer.root).as_posix() for path in writer.root.rglob("*") if path.is_file()}
    assert written == {path.resolve().relative_to(writer.root.resolve()).as_posix() for path in writer.produced}
    mosaic = np.asarray(Image.open(writer.root / layer.mosaic).convert("RGB"))
    assert mosaic[..., 2].max() > 150 and mosaic[..., 1].max() < 60  # red ramp and flat blue tiles, nothing green


def test_a_figure_in_the_cache_is_read_not_drawn_and_redo_draws_it(planned, tmp_path):
    plan, arrays = planned
    cache = Cache(tmp_path / "cache")
    mosaic = plan.layers[0].mosaic
    placeholder = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 255, 0)).save(placeholder, format="PNG")
    cache.figures.put(mosaic.key, placeholder.getvalue())
    draw = Draw(Writer(tmp_path / "atlas"), cache)
    draw_backbone(draw, plan, arrays_of(arrays["analysis"]))  # no filter images: the mosaic must come from the cache
    assert (draw.writer.root / mosaic.file).read_bytes() == placeholder.getvalue()
    redo = Draw(Writer(tmp_path / "again"), Cache(tmp_path / "cache"), redo=lambda unit: unit == mosaic.unit)
    draw_backbone(redo, plan, arrays)
    assert (redo.writer.root / mosaic.file).read_bytes() != placeholder.getvalue()
    assert redo.drawn == 2  # the mosaic and its thumbnail; every other figure was read


def test_a_units_crop_of_a_non_square_photo_is_centred_on_the_pattern_that_excites_it(tmp_path):
    """A 120 x 200 photo, black but for a white patch; the network sees it stretched to 64 x 64 and averages it
    over 8 x 8 cells. The patch lies in cell (2, 6), so the unit's crop is that cell's box taken back to the
    photo's own pixels, each axis by its own scale (15 rows by 25 columns), with the patch at its centre."""
    import keras

    from generator.compute.examples import top_examples
    from generator.formulas.field_box import photo_box
    from generator.render.unit_crops import Crop, crop_image

    pixels = np.zeros((120, 200, 3), np.uint8)
    pixels[34:42, 156:170] = 255  # rows 18.1-22.4 and columns 49.9-54.4 of the network's 64 x 64 input
    photo = SourceImage(id="patch", path=tmp_path / "patch.png", sha256="7" * 64, pixels=pixels)
    inputs = keras.Input((64, 64, 3))
    network = keras.Model(inputs, keras.layers.AveragePooling2D(8, name="cells")(inputs))
    found = top_examples(network, photo.resized((64, 64))[None].astype(np.float32), ["cells"], 1, channels=1)["cells"]
    assert (found.y[0, 0], found.x[0, 0]) == (2, 6)
    box = photo_box(found.y[0, 0], found.x[0, 0], (8, 8), (64, 64), 8, pixels.shape[:2])
    assert box == pytest.approx((2 * 15.0, 6 * 25.0, 15.0, 25.0))  # a cell is 15 photo rows by 25 photo columns
    crop = crop_image(Crop(pixels, box, np.zeros((5, 5), np.uint8)), 30)
    # the patch covers rows 4-12 of the cell's 15 and columns 6-20 of its 25: the crop's middle is white...
    assert crop[11:21, 11:21].min() >= 240
    # ...and its corners, beyond the patch, black
    assert crop[:6, :6].max() <= 5 and crop[-4:, -5:].max() <= 5


def test_a_thumbnail_and_a_photos_size_come_from_the_bytes_just_written_not_from_the_disk(tmp_path, monkeypatch):
    """The draw stage keeps what it wrote: a file changed on disk after its write does not reach its thumbnail."""
    from generator.pipeline.draw_figures import draw_photo
    from generator.plan.backbone import plan_photos

    photo = SourceImage(id="red", path=tmp_path / "red.png", sha256="8" * 64, pixels=np.full((40, 60, 3), (200, 0, 0), np.uint8))
    draw = Draw(Writer(tmp_path / "out"), Cache(tmp_path / "cache"))
    written = draw.writer.write

    def write_then_spoil(path: str, data: bytes) -> str:
        done = written(path, data)
        (draw.writer.root / done).write_bytes(b"not an image")
        return done

    monkeypatch.setattr(draw.writer, "write", write_then_spoil)
    result = draw_photo(draw, plan_photos([photo])[0])
    assert (result.width, result.height) == (60, 40)
    thumbnail = Image.open(io.BytesIO(draw.cache.figures.load(plan_photos([photo])[0].thumbnail.key)))
    assert np.asarray(thumbnail.convert("RGB"))[5, 5].tolist() == [200, 0, 0]
