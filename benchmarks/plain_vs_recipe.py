"""The same filters under plain gradient ascent and under the atlas' recipe, side by side, on trained weights.

    python benchmarks/plain_vs_recipe.py [--out benchmarks/results/plain-vs-recipe.png]

EfficientNet-Lite0 with its ImageNet weights from the pinned registry package (fetched on first use, then
cached). Three rows per layer: the seed code's plain ascent (pixel space, normalised gradient, no transforms);
the recipe (decorrelated Fourier basis, transformation robustness, Adam) as the atlas runs it for this family;
and the recipe with the network in bfloat16, to show what that number format does to the pictures. Same layer,
filters, size, seed and number of steps.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def plain_ascent(backbone, layer: str, filters: list[int], size: int, steps: int):
    """The seed loop (``seed_loop``) on the backbone's own input scale, as uint8 images."""
    import numpy as np

    from generator.compute.filters import truncated_model
    from seed_loop import visualize_one_filter

    extractor = truncated_model(backbone.model, layer)
    images = []
    for index in filters:
        image = visualize_one_filter(extractor, index, size, steps)
        image = (image - image.mean()) / (image.std() + 1e-5) * 0.15 + 0.5  # keras-io's deprocess
        images.append(np.clip(image * 255, 0, 255).astype(np.uint8))
    return np.stack(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "plain-vs-recipe.png")
    parser.add_argument("--layers", default="block4a_expand_conv,block6a_expand_conv,top_conv")
    parser.add_argument("--filters", type=int, default=6)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--cache-dir", type=Path, default=HERE.parent / ".atlas-cache")
    args = parser.parse_args()

    from generator.tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    from labelled_rows import write_labelled_rows

    from generator.backbones import load
    from generator.compute.filters import visualize_filters
    from generator.compute.receptive_field import receptive_field
    from generator.compute.recipes import recipe_for
    from generator.render.contrast import stretch
    from generator.render.mosaic import tile

    backbone = load("efficientnet_lite0", weights="package", cache_dir=args.cache_dir)
    print(f"{backbone.title}: {backbone.provenance.summary}")
    filters = list(range(args.filters))
    rows, labels = [], []
    for layer in args.layers.split(","):
        started = time.perf_counter()
        plain = plain_ascent(backbone, layer, filters, args.size, args.steps)
        middle = time.perf_counter()
        recipe = recipe_for(backbone.family, size=args.size, steps=args.steps, min_canvas=backbone.min_size,
                            receptive_field=receptive_field(backbone.model, layer))
        ours = visualize_filters(backbone.model, layer, filters, recipe=recipe, preprocess=backbone.preprocess_fn, seed=0)
        after = time.perf_counter()
        rounded = visualize_filters(backbone.model, layer, filters, recipe=replace(recipe, precision="bfloat16"),
                                    preprocess=backbone.preprocess_fn, seed=0)
        print(f"{layer}: plain ascent {middle - started:.1f} s, recipe {after - middle:.1f} s, "
              f"in bfloat16 {time.perf_counter() - after:.1f} s")
        rows += [tile(stretch(image), columns=len(filters)) for image in (plain, ours, rounded)]
        labels += [f"{layer}: plain gradient ascent", f"{layer}: recipe ({recipe.precision})",
                   f"{layer}: recipe, network in bfloat16"]
    write_labelled_rows(rows, labels, args.out, band=22, text_top=5)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
