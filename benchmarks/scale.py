"""Bytes per figure, measured on a publish-shaped atlas, and projected to the seed lineup at every layer.

    python benchmarks/scale.py [--photos 24] [--steps 16] [--size 128] [--faithfulness-steps 4] [--json FILE]
                               [--keep DIR [--measure-only]]

Builds, with ``keras-atlas build`` in a fresh process, every convolutional layer of two backbones (EfficientNet-
Lite0 with its trained package weights, and MobileNet at alpha 0.25, untrained here) over ``--photos`` photos. The
Oxford-IIIT Pet download fails on this machine, so the photos are a stand-in: the four sample photos, their
crops and their mirror images. Filter images are drawn at the publish size (128 px) with fewer steps than the
publish profile's 256: their bytes depend on the size, barely on the steps; compute time is reported per step.

Printed, all measured in this run: bytes per figure kind, per layer and per (layer, photo); HTML bytes per page;
the site build's seconds per page; the build's peak memory; each cache tier's bytes per unit. Then the
projection of the site and of each cache tier to the seed lineup (the default atlas' 11 backbones) at every
layer over 37 and 74 photos: its inputs are this run's bytes per figure by layer side (7 to 112 px) and each
drawable layer's side, read from its architecture (seeded random weights, no download). Then the lineup's
compute time at the publish profile, from this run's seconds per unit of the shard cost model, and the shard
count that keeps each job within GitHub-hosted runners' limit.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

CONFIG = """title: Scale atlas
weights: auto
allow_untrained: true
backbones:
  - efficientnet_lite0
  - {{name: mobilenet, alpha: 0.25}}
images: [{photos}]
layers: all
filters: 64
size: {size}
steps: {steps}
cam: [gradcam, gradcam++, layercam, hirescam]
photos_per_layer_page: {per_page}
faithfulness_steps: {faithfulness_steps}
"""
TARGET_SITE_BYTES = 10**9
"""GitHub Pages' limit on a published site: 1 GB (read as 10^9 bytes, the stricter reading)."""
KINDS = {  # figure kind -> file pattern, relative to the generated folder
    "photo": r"^photos/[^/]+\.jpg$",
    "photo thumbnail": r"^photos/[^/]+\.thumb\.webp$",
    "filter mosaic": r"/filters\.(png|webp)$",
    "mosaic thumbnail": r"/filters\.thumb\.webp$",
    "activation grid": r"/activations-[^/]+\.png$",
    "grid thumbnail": r"/activations-[^/]+\.thumb\.webp$",
    "heatmap map": r"/(gradcam|gradcam-plus-plus|layercam|hirescam)-[^/]+\.png$",
    "architecture": r"/architecture\.(svg|png)$",
    "page (Markdown)": r"\.md$",
}


def stand_in_photos(folder: Path, count: int) -> list[Path]:
    """The sample photos, then their crops (four corners and the centre, 70 %), then mirror images of all."""
    from PIL import Image, ImageOps

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for source in sorted((PROJECT / "data" / "pets-sample").glob("*.jpg")):
        with Image.open(source) as opened:
            photo = ImageOps.exif_transpose(opened).convert("RGB")
        width, height = photo.size
        crop_w, crop_h = int(width * 0.7), int(height * 0.7)
        boxes = [(0, 0), (width - crop_w, 0), (0, height - crop_h), (width - crop_w, height - crop_h),
                 ((width - crop_w) // 2, (height - crop_h) // 2)]
        variants = [("", photo)] + [(f"_crop{index}", photo.crop((x, y, x + crop_w, y + crop_h)))
                                    for index, (x, y) in enumerate(boxes)]
        for suffix, picture in variants:
            for mirrored in (False, True):
                image = ImageOps.mirror(picture) if mirrored else picture
                made.append((source.stem + suffix + ("_mirror" if mirrored else ""), image))
    made.sort(key=lambda item: ("crop" in item[0], "mirror" in item[0], item[0]))  # originals first
    paths = []
    for name, image in made[:count]:
        path = folder / f"{name}.jpg"
        image.save(path, quality=92)
        paths.append(path)
    return paths


def lineup() -> dict[str, dict]:
    """Per backbone of the default atlas, read from its architecture (seeded random weights, no download): the
    output side of each layer it draws at ``layers: all``, and the cost model's MACs (``compute/cost.py``) of
    each layer's filters (per filter and step, at 128 px) and of one photo's analysis."""
    from generator.backbones import load_spec
    from generator.compute.cost import macs_up_to
    from generator.units.analysis import analysis_cost
    from generator.units.filters import filters_cost
    from generator.compute.layers import convolutional_layers
    from generator.config import load_config
    from generator.tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    config = load_config(PROJECT / "atlas.yml")
    backbones = {}
    for spec in config.backbones:
        model = load_spec(spec, "random").model
        side = model.inputs[0].shape[1]
        layers = convolutional_layers(model)
        backbones[spec.slug] = {
            "sides": [int(max(layer.output.shape[1:3])) for layer in layers],
            "filter_step_macs": [filters_cost(macs_up_to(model, layer.name), side, 1, 1, 128) for layer in layers],
            "analysis_macs": analysis_cost(macs_up_to(model)),
        }
    return backbones


def photos_per_layer_page() -> int:
    """The default, measured as users get it: photos on each layer page with their activation grids."""
    from generator.config import AtlasConfig

    return AtlasConfig.model_fields["photos_per_layer_page"].default


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--faithfulness-steps", type=int, default=4,
                        help="steps of the heatmap scores (0: none; every layer of EfficientNet-Lite0 with four methods "
                             "costs about 5 minutes a photo on 2 cores at 4)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="build here and keep it, instead of a temporary folder")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure the build already in --keep again (its time and memory from --json)")
    args = parser.parse_args()
    if args.measure_only:
        previous = json.loads(args.json.read_text())
        report = measure(args.keep.resolve(), previous["photos"], args, previous["build_seconds"], previous["peak_memory_mib"])
        report["projection"] = project(report, lineup())
        print_report(report)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        return
    backbones = lineup()  # first: seconds, and a mistake here should not cost a build
    with tempfile.TemporaryDirectory(prefix="keras-atlas-scale-") as temporary:
        root = (args.keep or Path(temporary)).resolve()
        root.mkdir(parents=True, exist_ok=True)
        photos = stand_in_photos(root / "photos", args.photos)
        config = root / "scale.yml"
        config.write_text(CONFIG.format(photos=", ".join(str(path) for path in photos), size=args.size, steps=args.steps,
                                        per_page=photos_per_layer_page(),
                                        faithfulness_steps=args.faithfulness_steps))
        started = time.perf_counter()
        build = subprocess.run(
            [sys.executable, "-m", "generator", "build", "--config", str(config), "--docs-dir", str(root / "docs"),
             "--site-dir", str(root / "site"), "--cache-dir", str(root / "cache"), "--quiet"],
            cwd=PROJECT, capture_output=True, text=True,
        )
        seconds = time.perf_counter() - started
        if build.returncode != 0:
            raise SystemExit(f"build failed:\n{build.stderr[-3000:]}")
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report = measure(root, len(photos), args, seconds, peak_mib)
    report["projection"] = project(report, backbones)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


def measure(root: Path, photos: int, args, seconds: float, peak_mib: float) -> dict:
    generated = root / "docs" / "atlas"
    files = [path for path in generated.rglob("*") if path.is_file()]
    kinds: dict[str, list[int]] = defaultdict(list)
    for path in files:
        relative = path.relative_to(generated).as_posix()
        for kind, pattern in KINDS.items():
            if re.search(pattern, relative):
                kinds[kind].append(path.stat().st_size)
                break
    layer_pages = sorted(generated.glob("*/layers/*/index.md"))
    pages = [path for path in (root / "site").rglob("*.html")]
    html = [path.stat().st_size for path in pages]
    log = (root / "cache" / "keras-atlas.log").read_text()
    stages = [line for line in log.splitlines() if " stages: " in line][-1]
    site_seconds = float(re.search(r"site ([\d.]+) s", stages).group(1))
    backbone_seconds = {name: float(value) for name, value in re.findall(r"([\w-]+) ([\d.]+) s", stages.split("stages: ")[1])
                        if name not in ("images", "pages", "site")}
    tiers = {tier: folder_bytes(root / "cache" / tier) for tier in ("arrays", "figures")}
    return {
        "photos": photos, "layers": len(layer_pages), "photos_per_layer_page": photos_per_layer_page(), "size": args.size,
        "steps": args.steps, "build_seconds": round(seconds, 1), "peak_memory_mib": round(peak_mib),
        "site_bytes": folder_bytes(root / "site"),
        "kinds": {kind: {"files": len(sizes), "mean_bytes": round(sum(sizes) / len(sizes)), "total_bytes": sum(sizes)}
                  for kind, sizes in kinds.items()},
        "by_side": by_side(layer_pages),
        "html": {"pages": len(html), "mean_bytes": round(sum(html) / len(html)), "max_bytes": max(html),
                 "layer_page_mean_bytes": mean_bytes(root / "site" / "atlas", "*/layers/*/index.html"),
                 "layer_page_by_backbone": {folder.name: [len(list(folder.glob("layers/*/index.html"))),
                                                          mean_bytes(folder, "layers/*/index.html")]
                                            for folder in sorted((root / "site" / "atlas").iterdir())
                                            if (folder / "layers").is_dir()},
                 "photo_backbone_row_bytes": photo_backbone_row_bytes(root / "site" / "atlas", layer_pages)},
        "site_seconds_per_page": round(site_seconds / len(pages), 4),
        "compute_seconds_per_layer": {name: round(value / len(list(generated.glob(f"{name}/layers/*/index.md"))), 2)
                                      for name, value in backbone_seconds.items()},
        "cache": {**tiers, **array_entries(root / "cache" / "arrays")},
    }


def mean_bytes(folder: Path, pattern: str) -> int:
    sizes = [path.stat().st_size for path in folder.glob(pattern)]
    return round(sum(sizes) / len(sizes))


def by_side(layer_pages: list[Path]) -> dict[int, dict[str, float]]:
    """Mean bytes of an activation grid and of a heatmap map by the layer's output side (7, 14, ... 112 px)."""
    sizes: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for page in layer_pages:
        side = max(int(value) for value in re.search(r"output \\?\(\?, (\d+), (\d+),", page.read_text()).groups())
        for path in page.parent.iterdir():
            kind = next((kind for kind in ("activation grid", "grid thumbnail", "heatmap map")
                         if re.search(KINDS[kind], "/" + path.name)), None)
            if kind:
                sizes[side][kind].append(path.stat().st_size)
    return {side: {kind: round(sum(values) / len(values)) for kind, values in kinds.items()}
            for side, kinds in sorted(sizes.items())}


def photo_backbone_row_bytes(site: Path, layer_pages: list[Path]) -> int:
    """HTML bytes per layer of a photo's page through a backbone (its page size over its backbone's layer count)."""
    rows = []
    for page in site.glob("images/*/*.html"):
        if page.name != "index.html":
            layers = sum(1 for layer in layer_pages if layer.parent.parent.parent.name == page.stem)
            rows.append(page.stat().st_size / layers)
    return round(sum(rows) / len(rows))


def array_entries(folder: Path) -> dict[str, int]:
    """Bytes of the array tier per unit: filter images per layer; an analysis per (layer, photo), with and without
    the activations its grids show (only photos on the layer pages keep them)."""
    import numpy as np

    from generator.cache import arrays_from_bytes
    from generator.cache.store import unseal

    filters, kept, plain = [], [], []
    for path in folder.rglob("*.entry"):
        size = path.stat().st_size
        names = list(arrays_from_bytes(unseal(path.read_bytes())))
        layers = len({name.split("/", 2)[2] for name in names if name.startswith("cam/")}) or \
            len([name for name in names if name.startswith("activations/")])
        if not any(name.startswith(("cam/", "activations/", "probabilities")) for name in names):
            filters.append(size)
        elif any(name.startswith("activations/") for name in names):
            kept.append(size / max(layers, 1))
        else:
            plain.append(size / max(layers, 1))
    mean = lambda values: round(float(np.mean(values))) if values else 0  # noqa: E731
    return {"filters_per_layer": mean(filters), "analysis_per_layer_photo_with_activations": mean(kept),
            "analysis_per_layer_photo_heatmaps_only": mean(plain)}


def project(report: dict, backbones: dict[str, dict]) -> dict:
    """The seed lineup at every layer over 37 and 74 photos, from this run's measured bytes per figure by layer
    side, and its compute time at the publish profile from this run's seconds per unit of the cost model."""
    sides = {name: backbone["sides"] for name, backbone in backbones.items()}
    kinds, measured = report["kinds"], {int(side): row for side, row in report["by_side"].items()}

    def at(side: int, kind: str) -> float:
        """Bytes of a figure of ``kind`` for a layer of output ``side``: the nearest measured side (log scale); a
        heatmap map grows with its area beyond the largest side measured (activation tiles are capped)."""
        nearest = min((known for known in measured if kind in measured[known]), key=lambda known: abs(math.log(side / known)))
        scale = (side / nearest) ** 2 if kind == "heatmap map" and side > nearest else 1.0
        return measured[nearest][kind] * scale

    per_photo = kinds["photo"]["mean_bytes"] + kinds["photo thumbnail"]["mean_bytes"]
    layers = [side for backbone in sides.values() for side in backbone]
    cache = report["cache"]
    out = {"backbones": len(sides), "layers": len(layers), "layers_per_backbone": {name: len(s) for name, s in sides.items()}}
    from generator.plan.units import ACTIVATION_THUMBNAIL_FROM as thumbnail_from

    row_bytes = report["html"]["photo_backbone_row_bytes"]
    out["largest_photo_backbone_page_bytes"] = max(len(backbone) for backbone in sides.values()) * row_bytes
    out["largest_layer_page_bytes"] = round(layer_page_bytes(report, max(len(backbone) for backbone in sides.values())))
    for photos in (37, 74):
        shown = min(photos, report["photos_per_layer_page"])
        parts = {
            "filter mosaics and thumbnails": len(layers) * (kinds["filter mosaic"]["mean_bytes"] + kinds["mosaic thumbnail"]["mean_bytes"]),
            "activation grids": sum(shown * at(side, "activation grid") for side in layers),
            "grid thumbnails": sum(shown * at(side, "grid thumbnail") for side in layers if side >= thumbnail_from),
            "heatmap maps": sum(photos * 4 * at(side, "heatmap map") for side in layers),
            "layer pages (HTML)": sum(len(backbone) * layer_page_bytes(report, len(backbone)) for backbone in sides.values()),
            "photo-through-backbone pages (HTML)": len(layers) * photos * row_bytes,
            "photos and thumbnails": photos * per_photo,
        }
        site = round(sum(parts.values()))
        arrays = len(layers) * (cache["filters_per_layer"] + shown * cache["analysis_per_layer_photo_with_activations"]
                                + (photos - shown) * cache["analysis_per_layer_photo_heatmaps_only"])
        figures_tier = round(site * report["cache"]["figures"] / max(report["site_bytes"], 1))
        out[f"{photos}_photos"] = {
            "site_bytes": site, "site_vs_1_gb": round(site / TARGET_SITE_BYTES, 2),
            "arrays_bytes": round(arrays), "figures_bytes": figures_tier,
            "cache_per_shard_of_3_bytes": round((arrays + figures_tier) / 3),
            "site_parts_bytes": {name: round(value) for name, value in parts.items()},
        }
    out["compute"] = compute_projection(report, backbones)
    return out


def layer_page_bytes(report: dict, layers: int) -> float:
    """A layer page's HTML in a backbone of ``layers`` layers: the navigation lists every sibling layer, so the
    page grows with its backbone; a line through the two measured backbones (bytes and layer counts)."""
    (few, few_bytes), (many, many_bytes) = sorted(report["html"]["layer_page_by_backbone"].values())
    per_layer = (many_bytes - few_bytes) / (many - few)
    return few_bytes + per_layer * (layers - few)


def compute_projection(report: dict, backbones: dict[str, dict], publish_steps: int = 256, filters: int = 64) -> dict:
    """CPU hours of the seed lineup at the publish profile (64 filters, 128 px, 256 steps) over 37 photos.

    Each measured backbone's build seconds over its cost in the cost model's MACs gives a rate, and each rate is
    applied to the whole lineup: a range, not a figure. A small network pays more per MAC (MobileNet 0.25 is
    overhead-bound), and both measured networks are depthwise, the slowest per MAC on a CPU, so the upper end errs
    high for VGG16 and DenseNet121. Filter cost grows with the steps; the drawing time inside the measured seconds
    does not, which errs high too."""
    rates = {}
    for name, seconds in report["compute_seconds_per_layer"].items():
        backbone = backbones[name]
        measured = (sum(backbone["filter_step_macs"]) * filters * report["steps"]
                    + report["photos"] * backbone["analysis_macs"])
        rates[name] = seconds * len(backbone["sides"]) / measured
    publish = sum(sum(backbone["filter_step_macs"]) * filters * publish_steps + 37 * backbone["analysis_macs"]
                  for backbone in backbones.values())
    hours = sorted(rate * publish / 3600 for rate in rates.values())
    return {"seconds_per_gigamac": {name: round(value * 1e9, 4) for name, value in rates.items()},
            "publish_teramacs_37_photos": round(publish / 1e12),
            "publish_cpu_hours_37_photos": [round(hours[0], 1), round(hours[-1], 1)],
            "shards_within_5_hours": [math.ceil(hours[0] / 5), math.ceil(hours[-1] / 5)]}


def print_report(report: dict) -> None:
    mib = 1 << 20
    print(f"Scale atlas: {report['layers']} layer pages x {report['photos']} photos (stand-in: crops and flips of the "
          f"sample photos), filters at {report['size']} px and {report['steps']} steps: built in "
          f"{report['build_seconds']:.0f} s, peak memory {report['peak_memory_mib']} MiB, site {report['site_bytes'] / mib:.0f} MiB")
    print(f"{'figure kind':<20} {'files':>7} {'mean':>10} {'total':>10}")
    for kind, row in report["kinds"].items():
        print(f"{kind:<20} {row['files']:>7} {row['mean_bytes'] / 1024:>8.1f} KB {row['total_bytes'] / mib:>7.1f} MiB")
    html = report["html"]
    print(f"HTML: {html['pages']} pages, mean {html['mean_bytes'] / 1024:.0f} KB, largest {html['max_bytes'] / 1024:.0f} KB "
          f"(target: none over 1024 KB); mkdocs build {report['site_seconds_per_page'] * 1000:.0f} ms a page")
    cache = report["cache"]
    print(f"cache: arrays {cache['arrays'] / mib:.0f} MiB (per layer: filters {cache['filters_per_layer'] / 1024:.0f} KB; "
          f"per layer and photo: {cache['analysis_per_layer_photo_with_activations'] / 1024:.1f} KB with activations, "
          f"{cache['analysis_per_layer_photo_heatmaps_only'] / 1024:.1f} KB heatmaps only), figures {cache['figures'] / mib:.0f} MiB")
    print("bytes by layer side: " + ", ".join(
        f"{side} px: grid {row.get('activation grid', 0) / 1024:.0f} KB"
        + (f" (thumbnail {row['grid thumbnail'] / 1024:.1f} KB)" if "grid thumbnail" in row else "")
        + f", map {row.get('heatmap map', 0) / 1024:.1f} KB"
        for side, row in report["by_side"].items()))
    print("compute seconds per layer at {} steps: ".format(report["steps"]) + ", ".join(
        f"{name} {value:.1f} s" for name, value in report["compute_seconds_per_layer"].items()))
    projection = report["projection"]
    print(f"projection to the seed lineup at every layer ({projection['layers']} layers of {projection['backbones']} backbones), "
          f"{report['photos_per_layer_page']} photos a layer page:")
    for photos in (37, 74):
        row = projection[f"{photos}_photos"]
        print(f"  {photos} photos: site {row['site_bytes'] / 1e9:.2f} GB ({row['site_vs_1_gb']:.2f} x the 1 GB limit), "
              f"cache arrays {row['arrays_bytes'] / (1 << 30):.1f} GiB, figures {row['figures_bytes'] / (1 << 30):.1f} GiB, "
              f"one shard of 3: {row['cache_per_shard_of_3_bytes'] / (1 << 30):.1f} GiB (GitHub Actions cache: 10 GB)")
        print("    " + ", ".join(f"{name} {value / 1e6:.0f} MB" for name, value in row["site_parts_bytes"].items()))
    compute = projection["compute"]
    low, high = compute["publish_cpu_hours_37_photos"]
    print(f"  compute at the publish profile (64 filters, 128 px, 256 steps) over 37 photos on this machine: "
          f"{low:.0f} to {high:.0f} hours (the two measured rates), so {compute['shards_within_5_hours'][0]} to "
          f"{compute['shards_within_5_hours'][1]} shards of at most 5 hours (GitHub-hosted jobs stop at 6)")
    print(f"  the longest photo-through-backbone page ({max(projection['layers_per_backbone'].values())} layers): "
          f"{projection['largest_photo_backbone_page_bytes'] / 1024:.0f} KB of HTML, its longest layer page "
          f"{projection['largest_layer_page_bytes'] / 1024:.0f} KB (target: none over 1024 KB)")


if __name__ == "__main__":
    main()
