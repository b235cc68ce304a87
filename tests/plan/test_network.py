"""Stored network facts: they round-trip, they plan exactly what the loaded network plans, and their key
changes with everything that decides them."""

import os

from generator.config import AtlasConfig, BackboneSpec
from generator.plan.backbone import plan_backbone
from generator.plan.network import NetworkStore, facts_of, network_key
from tests.pipeline.test_compute_units import _backbone


def test_stored_facts_round_trip_and_plan_what_the_network_plans(tiny_classifier, tmp_path, sample_photos):
    from generator.photos.folders import load_images

    config = AtlasConfig(backbones=[{"name": "vgg16"}], images=["x"], layers=["conv_a", "conv_b"], cam=["gradcam"])
    facts = facts_of(_backbone(tiny_classifier), config)
    store = NetworkStore(tmp_path)
    store.put("k" * 64, facts)
    again = store.get("k" * 64)
    assert again == facts
    spec = BackboneSpec.model_construct(name="tiny", alpha=None, recipe=None)
    images = load_images([str(sample_photos[0])], None).images
    assert plan_backbone(spec, again, images, config, "eager") == plan_backbone(spec, facts, images, config, "eager")
    assert [layer.receptive_field for layer in facts.layers] == [3, 5] and facts.layers[1].channels == 6
    store.forget("k" * 64)
    assert store.get("k" * 64) is None


def test_facts_written_by_another_version_are_made_again(tmp_path):
    store = NetworkStore(tmp_path)
    store.folder.mkdir(parents=True)
    (store.folder / ("a" * 64 + ".json")).write_text('{"name": "old"}')
    assert store.get("a" * 64) is None


def test_the_key_follows_the_spec_the_layers_and_the_files_the_weights_come_from(tmp_path):
    model, classes = tmp_path / "net.keras", tmp_path / "classes.txt"
    model.write_bytes(b"model")
    classes.write_text("a\n")
    config = AtlasConfig(backbones=[{"name": "net", "path": str(model), "classes": str(classes)}], images=["x"],
                         cache_dir=tmp_path / "cache")
    spec = config.backbones[0]
    base = network_key(spec, config)
    assert network_key(spec, config) == base
    assert network_key(spec, config.model_copy(update={"layers": 2})) != base
    assert network_key(spec, config.model_copy(update={"filters": 8, "steps": 3, "top_k": 1})) == base  # plan, not facts
    assert network_key(spec.model_copy(update={"preprocess": "torch"}), config) != base
    os.utime(model, ns=(1, 1))
    assert network_key(spec, config) != base
    touched = network_key(spec, config)
    classes.write_text("a\nb\n")
    assert network_key(spec, config) != touched


def test_an_application_key_follows_its_converted_weights_and_the_keras_cache(tmp_path, monkeypatch):
    from generator.plan import network
    from generator.weights.sources import package_sources

    monkeypatch.setattr(network, "KERAS_CACHE", tmp_path / "keras")
    config = AtlasConfig(backbones=[{"name": "mobilenet_v2"}], images=["x"], cache_dir=tmp_path / "cache")
    spec = config.backbones[0]
    base = network_key(spec, config)
    converted = package_sources("mobilenet_v2")[0].weights_path(tmp_path / "cache")
    converted.parent.mkdir(parents=True)
    converted.write_bytes(b"weights")
    with_converted = network_key(spec, config)
    assert with_converted != base
    (tmp_path / "cache" / "weights" / "other-backbone.weights.h5").write_bytes(b"not ours")
    assert network_key(spec, config) == with_converted  # another backbone's conversion changes nothing here
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "mobilenet_v2_weights.h5").write_bytes(b"imagenet")
    assert network_key(spec, config) != with_converted
