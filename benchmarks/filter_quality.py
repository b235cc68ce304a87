"""How good the filter images are, and what they cost: today's recipe against the 2026 one, side by side.

    python benchmarks/filter_quality.py --profile quick|publish [--every efficientnet_lite0] [--filters 16]
                                        [--every-filters 8] [--anchor] [--json FILE] [--figure FILE]

For the first, middle and last convolution of each trained network (EfficientNet-Lite0, the MobileNetV2 base and
the dog-breed classifier from their registry packages, the VGG16 base), and every convolution of ``--every``: the
units page's measure, each unit's strongest response to its filter image over its strongest response to a crop of
the sample photos (``data/pets-sample``), as the share of units below 1 and the median; for a layer linear in the
input, the filter images' response over the closed-form optimum's; the steps taken and the seconds (first call
included, as a build pays it). Both recipes run in this one process on the same layers, filters and seed:

- ``new``: the recipe a build uses (``compute.recipes.recipe_for``, the layer's cost share included);
- ``2026``: the recipe as it was until December 2026 (``compute.filters.REFERENCE_2026``: the mean objective,
  a fixed number of steps, the old profile's 24 at quick and 256 at publish, tiles alone on grey, no closed forms,
  no redirected ReLU for the EfficientNet family);
- with ``--anchor``, tf-keras-vis' ``ActivationMaximization`` at its defaults on the same units (VGG16 and the
  MobileNetV2 networks, whose architectures tf.keras has; the weights are copied by layer name), in a subprocess
  (``reference_tf_keras_vis.py``); it needs ``make bench``'s packages.

The photos are the four samples: the Oxford-IIIT Pet download fails here, and these are the photos whose crops
the default atlas' units pages compare with.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

NETWORKS = ("efficientnet_lite0", "mobilenet_v2", "vgg16", "dog_breeds_mobilenetv2")
OLD_STEPS = {"quick": 24, "publish": 256}
"""The profiles' fixed steps before the stopping rule (the reference's)."""
ANCHORED = {"mobilenet_v2": "MobileNetV2", "dog_breeds_mobilenetv2": "MobileNetV2", "vgg16": "VGG16"}
"""Networks tf.keras can build, by their tf.keras.applications constructor."""


@dataclass
class Row:
    profile: str
    network: str
    layer: str
    recipe: str
    units: int
    below_one: int
    median_ratio: float
    min_ratio: float
    of_optimum: float | None
    """Median response over the closed-form optimum's, for a layer linear in the input."""
    steps: int
    stopped: str
    seconds: float
    cost_share: float


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def best_crops(backbone, layers: list[str], channels: int):
    """Per layer, each shown unit's strongest response to any sample photo (its best crop's, as the units page)."""
    import numpy as np

    from generator.compute.examples import top_examples
    from generator.photos.folders import load_images
    from generator.paths import SAMPLE_PETS_DIR

    photos = load_images([str(SAMPLE_PETS_DIR)]).images
    pixels = backbone.preprocess(np.stack([photo.resized(backbone.input_shape[:2]) for photo in photos]))
    found = top_examples(backbone.model, pixels, layers, 1, channels=channels, compiled=False)
    return {layer: found[layer].values[:, 0] for layer in layers}


def measure(profile: str, backbone, layer: str, filters: int, best, recipe, label: str, optimum=None) -> tuple[Row, object]:

    from generator.compute.filters import filter_peaks, optimise_filters

    indices = list(range(filters))
    started = time.perf_counter()
    made = optimise_filters(backbone.model, layer, indices, seed=0, preprocess=backbone.preprocess_fn, recipe=recipe)
    seconds = time.perf_counter() - started
    peaks = filter_peaks(backbone.model, layer, indices, made.images, preprocess=backbone.preprocess_fn, recipe=recipe)
    return row(profile, backbone.name, layer, label, peaks, best, optimum, made.steps, made.stopped, seconds, 0.0), made.images


def row(profile, network, layer, label, peaks, best, optimum, steps, stopped, seconds, share) -> Row:
    import numpy as np

    live = best > 0  # a unit no photo excites has no ratio (the units page shows none)
    ratio = peaks[live] / best[live]
    of_optimum = float(np.median(peaks / optimum)) if optimum is not None else None
    return Row(profile, network, layer, label, int(live.sum()), int((ratio < 1).sum()),
               float(np.median(ratio)) if ratio.size else float("nan"), float(ratio.min()) if ratio.size else float("nan"),
               of_optimum, steps, stopped, seconds, share)


def anchor(profile: str, backbone, layer: str, filters: int, size: int, best, optimum, application: str) -> Row | None:
    """tf-keras-vis' ActivationMaximization on the same units, or None when it cannot run here."""
    import numpy as np

    from generator.compute.filters import filter_peaks
    from generator.registry import APPLICATIONS

    spec = APPLICATIONS[backbone.name].module if backbone.name in APPLICATIONS else "mobilenet_v2"
    module = "mobilenet_v2" if backbone.name == "dog_breeds_mobilenetv2" else spec
    with tempfile.TemporaryDirectory() as folder:
        weights = Path(folder) / "weights.npz"
        np.savez(weights, **{f"{item.name}/{index}": value for item in backbone.model.layers
                             for index, value in enumerate(item.get_weights())})
        out = Path(folder) / "images.npy"
        command = [sys.executable, str(HERE / "reference_tf_keras_vis.py"), "maximize", application, module, str(weights),
                   layer, str(filters), str(size), str(out)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            say(f"tf-keras-vis could not run: {result.stderr.strip().splitlines()[-1:]}")
            return None
        seconds = json.loads(result.stdout.strip().splitlines()[-1])["seconds"]
        images = np.load(out)
    peaks = filter_peaks(backbone.model, layer, list(range(filters)), images, preprocess=backbone.preprocess_fn)
    return row(profile, backbone.name, layer, "tf-keras-vis", peaks, best, optimum, 200, "fixed", seconds, 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=("quick", "publish"), default="quick")
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--every", default="", help="a network whose every convolution is measured too")
    parser.add_argument("--filters", type=int, default=16, help="units per layer (first, middle and last layers)")
    parser.add_argument("--every-filters", type=int, default=8, help="units per layer of the --every network")
    parser.add_argument("--anchor", action="store_true", help="also tf-keras-vis' ActivationMaximization")
    parser.add_argument("--cache-dir", type=Path, default=PROJECT / ".atlas-cache")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--figure", type=Path, help="a PNG of each network's mosaics under both recipes")
    args = parser.parse_args()

    from generator.tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    import numpy as np

    from generator.backbones import load
    from generator.compute.closed_form import closed_form_images, linear_in_input
    from generator.compute.cost import macs_up_to
    from generator.compute.filters import REFERENCE_2026, filter_peaks
    from generator.compute.layers import convolutional_layers, select_layers
    from generator.compute.receptive_field import receptive_field
    from generator.compute.recipes import recipe_for
    from generator.compute.transforms import network_side
    from generator.config import PROFILES

    size, cap = PROFILES[args.profile]["size"], PROFILES[args.profile]["steps"]
    rows: list[Row] = []
    pictures: list[tuple[str, np.ndarray, np.ndarray]] = []
    for name in args.networks.split(","):
        backbone = load(name, weights="auto", cache_dir=args.cache_dir)
        if not backbone.provenance.trained:
            say(f"{name}: no trained weights here ({backbone.provenance.summary}); left out")
            continue
        chosen = select_layers(backbone.model, 3)
        layers = chosen + [layer.name for layer in convolutional_layers(backbone.model)
                           if name == args.every and layer.name not in chosen]
        total = macs_up_to(backbone.model)
        counts = {layer: min(args.filters if layer in chosen else args.every_filters,
                             int(backbone.model.get_layer(layer).output.shape[-1])) for layer in layers}
        best = best_crops(backbone, layers, max(counts.values()))
        for layer in layers:
            filters = counts[layer]
            share = macs_up_to(backbone.model, layer) / total
            new = recipe_for(backbone.family, size=size, steps=cap, min_canvas=backbone.min_size,
                             receptive_field=receptive_field(backbone.model, layer), cost_share=share)
            old = replace(new, steps=OLD_STEPS[args.profile], **REFERENCE_2026,
                          redirect_fraction=0.0 if backbone.family in ("efficientnet", "convnext") else new.redirect_fraction)
            optimum = None
            if linear_in_input(backbone.model, layer):
                canvas = network_side(size, new.robustness, new.min_canvas, new.canvas_multiple)
                exact = closed_form_images(backbone.model, layer, list(range(filters)), size, canvas,
                                           backbone.preprocess_fn)
                optimum = filter_peaks(backbone.model, layer, list(range(filters)), exact, preprocess=backbone.preprocess_fn)
            shown = []
            for label, recipe in (("2026", old), ("new", new)):
                measured, images = measure(args.profile, backbone, layer, filters, best[layer][:filters], recipe, label, optimum)
                measured.cost_share = share
                rows.append(measured)
                shown.append(images)
                say(format_row(measured))
            if args.anchor and name in ANCHORED:
                anchored = anchor(args.profile, backbone, layer, filters, size, best[layer][:filters], optimum, ANCHORED[name])
                if anchored:
                    anchored.cost_share = share
                    rows.append(anchored)
                    say(format_row(anchored))
            if layer in chosen:
                pictures.append((f"{backbone.title} {layer}", shown[0][:8], shown[1][:8]))
    print(table(rows))
    print(summary(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"profile": args.profile, "command": " ".join(sys.argv),
                                         "rows": [asdict(item) for item in rows]}, indent=1))
    if args.figure:
        figure(pictures, args.figure)
    return 0


def format_row(item: Row) -> str:
    optimum = f" | {item.of_optimum:.2f}" if item.of_optimum is not None else " | -"
    return (f"| {item.profile} | {item.network} | `{item.layer}` | {item.recipe} | {item.below_one} of {item.units} | "
            f"{item.median_ratio:.2f}{optimum} | {item.steps} ({item.stopped}) | {item.seconds:.1f} |")


def table(rows: list[Row]) -> str:
    head = ("| profile | network | layer | recipe | units below 1 | median ratio | of optimum | steps | seconds |\n"
            "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    return "\n".join([head, *map(format_row, rows)])


def summary(rows: list[Row]) -> str:
    """Per recipe: the share of units below 1 over every measured unit, the layers over 5 %, the seconds in all."""
    lines = []
    for label in dict.fromkeys(item.recipe for item in rows):
        mine = [item for item in rows if item.recipe == label]
        units, below = sum(item.units for item in mine), sum(item.below_one for item in mine)
        over = [item for item in mine if item.units and item.below_one > 0.05 * item.units]
        optimum = [item.of_optimum for item in mine if item.of_optimum is not None]
        lines.append(f"{label}: {below} of {units} units below 1 ({100 * below / max(units, 1):.1f} %), "
                     f"{len(over)} of {len(mine)} layers over 5 %, "
                     f"linear layers at {statistics.median(optimum) if optimum else float('nan'):.2f} of the optimum, "
                     f"{sum(item.seconds for item in mine):.0f} s")
    paired = {(item.network, item.layer): item for item in rows if item.recipe == "2026"}
    new = [item for item in rows if item.recipe == "new" and (item.network, item.layer) in paired]
    if new:
        old_seconds = sum(paired[item.network, item.layer].seconds for item in new)
        lines.append(f"compute: the 2026 recipe {old_seconds:.0f} s, the new one {sum(item.seconds for item in new):.0f} s "
                     f"on the same layers ({old_seconds / max(sum(item.seconds for item in new), 1e-9):.1f}x)")
    return "\n".join(lines)


def figure(pictures, path: Path) -> None:
    """Rows of mosaics: each layer under the 2026 recipe, then under the new one."""
    from labelled_rows import write_labelled_rows

    from generator.render.contrast import stretch
    from generator.render.mosaic import tile

    rows, labels = [], []
    for label, old, new in pictures:
        rows += [tile(stretch(old), columns=8), tile(stretch(new), columns=8)]
        labels += [f"{label}: 2026 recipe", f"{label}: new recipe"]
    write_labelled_rows(rows, labels, path, band=18, text_top=4)
    say(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
