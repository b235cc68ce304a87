"""Names: pages link to files by their paths relative to the generated folder."""

import pytest

from generator.plan import names


@pytest.mark.parametrize(("target", "page", "link"), [
    ("photos/cat.thumb.webp", "vgg16/index.md", "../photos/cat.thumb.webp"),
    ("vgg16/layers/block1-conv1/filters.png", "vgg16/layers/block1-conv1/index.md", "filters.png"),
    ("vgg16/layers/block1-conv1/index.md", "vgg16/index.md", "layers/block1-conv1/index.md"),
    ("vgg16/index.md", "images/cat/index.md", "../../vgg16/index.md"),
    ("compare.md", "_home.md", "compare.md"),
])
def test_a_link_is_relative_to_the_page_it_is_on(target, page, link):
    assert names.relative_link(target, page) == link


def test_figure_files_are_url_safe_and_say_what_they_are():
    assert names.heatmap_file("vgg16", "block5_conv3", "gradcam++", "cat") == "vgg16/layers/block5-conv3/gradcam-plus-plus-cat.png"
    assert names.mosaic_file("vgg16", "block5_conv3") == "vgg16/layers/block5-conv3/filters.webp"
    assert names.thumbnail_file(names.mosaic_file("vgg16", "block5_conv3")) == "vgg16/layers/block5-conv3/filters.thumb.webp"
    assert names.layer_page("vgg16", "block5_conv3") == "vgg16/layers/block5-conv3/index.md"
