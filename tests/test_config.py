"""atlas.yml and flags: every error is one line naming the key's path and what is allowed."""

from pathlib import Path

import pytest

from generator.config import load_config, parse_model_spec
from generator.errors import AtlasError


def error_of(data: dict) -> str:
    with pytest.raises(AtlasError) as caught:
        load_config(None, data)
    return str(caught.value)


def test_bad_alpha_names_the_backbone_entry_and_the_allowed_values():
    message = error_of({"backbones": ["mobilenet", "vgg16", {"name": "mobilenet", "alpha": 0.3}]})
    assert "backbones[2].alpha" in message
    assert "0.25, 0.5, 0.75, 1.0" in message
    assert message.count("\n") == 0


def test_unknown_top_level_key_suggests_the_nearest_key():
    message = error_of({"backbones": ["vgg16"], "filtres": 8})
    assert message.startswith("command line: filtres: unknown key")
    assert "'filters'" in message


def test_unknown_backbone_key_is_located_in_its_entry():
    message = error_of({"backbones": ["vgg16", {"name": "vgg16", "alfa": 1}]})
    assert "backbones[1].alfa" in message
    assert "'alpha'" in message


def test_unknown_backbone_suggests_close_names():
    message = error_of({"backbones": ["mobilnet"]})
    assert "backbones[0].name" in message and "mobilenet" in message and "keras-atlas models" in message


def test_wrong_type_names_the_key_and_the_value():
    message = error_of({"backbones": ["vgg16"], "top_k": "many"})
    assert "top_k" in message and "'many'" in message


@pytest.mark.parametrize("layers", ["some", 0, [], [3]])
def test_layers_must_be_a_count_all_or_names(layers):
    message = error_of({"backbones": ["vgg16"], "layers": layers})
    assert message.startswith("command line: layers: must be a positive number, 'all', or a list of layer names")


def test_weights_must_be_a_known_choice_or_an_existing_file(tmp_path):
    assert "auto, imagenet, package, random" in error_of({"backbones": ["vgg16"], "weights": "best"})
    assert "does not exist" in error_of({"backbones": ["vgg16"], "weights": str(tmp_path / "x.weights.h5")})


def test_alpha_on_a_model_without_width_multiplier_is_refused():
    assert "backbones[0].alpha" in error_of({"backbones": [{"name": "vgg16", "alpha": 0.5}]})


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "atlas.yml"
    bad.write_text("backbones: [vgg16]\nsize: tiny\n")
    with pytest.raises(AtlasError) as caught:
        load_config(bad)
    assert str(caught.value).startswith(f"{bad}: size:")
    with pytest.raises(AtlasError, match="does not exist"):
        load_config(tmp_path / "missing.yml")


def test_flags_override_the_file_and_relative_paths_follow_the_file(tmp_path):
    config_file = tmp_path / "atlas.yml"
    config_file.write_text("backbones: [vgg16]\nfilters: 16\nimages: [photos]\ncache_dir: cache\n")
    config = load_config(config_file, {"filters": 4, "backbones": [parse_model_spec("mobilenet:alpha=0.5")]})
    assert config.filters == 4
    assert config.backbones[0].name == "mobilenet" and config.backbones[0].alpha == 0.5
    assert config.images == [str(tmp_path / "photos")]
    assert Path(config.cache_dir) == tmp_path / "cache"


def test_model_spec_values_are_typed():
    assert parse_model_spec("mobilenet:alpha=0.25,depth_multiplier=2") == {"name": "mobilenet", "alpha": 0.25, "depth_multiplier": 2}
    with pytest.raises(AtlasError, match="has no '='"):
        parse_model_spec("mobilenet:alpha")


def test_the_default_atlas_is_valid():
    config = load_config(Path(__file__).resolve().parent.parent / "atlas.yml")
    assert config.backbones and config.filters == 64


def test_duplicate_backbones_are_refused():
    assert "appears twice" in error_of({"backbones": ["vgg16", "vgg16"]})


def test_top_k_above_a_backbones_classes_is_refused_up_front():
    message = error_of({"backbones": ["efficientnet_lite0", "dog_breeds_mobilenetv2"], "top_k": 20})
    assert message == "command line: top_k: 20 is more than the 19 classes of dog_breeds_mobilenetv2"


def test_a_profile_fills_only_the_keys_left_unset_and_publish_draws_no_units_pages_unless_asked():
    """The publish profile must fit a static host: the units pages would take the whole atlas over 1 GB."""
    publish = load_config(None, {"backbones": ["vgg16"], "profile": "publish"})
    assert (publish.layers, publish.size, publish.steps, publish.examples_per_unit) == ("all", 128, 256, 0)
    asked = load_config(None, {"backbones": ["vgg16"], "profile": "publish", "examples_per_unit": 8, "size": 96})
    assert (asked.examples_per_unit, asked.size, asked.steps) == (8, 96, 256)
    quick = load_config(None, {"backbones": ["vgg16"], "profile": "quick"})
    assert (quick.layers, quick.faithfulness_steps, quick.examples_per_unit) == (3, 4, 8)
