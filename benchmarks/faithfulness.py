"""Heatmap scores: perturbed images per second against a plain ``model.predict`` of the same images.

    python benchmarks/faithfulness.py [--backbones efficientnet_lite0 mobilenet densenet121] [--steps 16]
                                      [--maps 13] [--json FILE]

For each backbone (random weights: the speed does not depend on them), one sample photo with ``--maps`` random
maps at 7 px (the default atlas' 3 layers x 4 methods and a chance map) is scored with
``compute.faithfulness.photo_curves``: every perturbed copy is made, batched and sent through the network, the
probabilities read back. The reference is ``model.predict`` at the same batch size (``SCORE_BATCH``) on the same
number of images, made beforehand (so the reference does none of the masking). Both are timed cold (the first
photo, tracing included: what a build pays per backbone) and warm (the median of the next ``--repeats``).
The target (issue 18): the warm throughput at least 80 % of ``model.predict``'s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbones", nargs="+", default=["efficientnet_lite0", "mobilenet", "densenet121"])
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--maps", type=int, default=13)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from generator.tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    from generator.backbones import load_spec
    from generator.compute.faithfulness import SCORE_BATCH, blurred, photo_curves, random_map
    from generator.config import BackboneSpec
    from generator.photos.folders import load_images

    photo = load_images([str(PROJECT / "data" / "pets-sample")]).images[0]
    rows = []
    for name in args.backbones:
        backbone = load_spec(BackboneSpec(name=name), "random")
        image = backbone.preprocess(photo.resized(backbone.input_shape[:2])[None])[0]
        maps = [random_map(7, seed) for seed in range(args.maps)]
        images = 2 + 2 * args.maps * (args.steps - 1)

        same = np.repeat(np.stack([image, blurred(image[None])[0]]), -(-images // 2), axis=0)[:images]
        score = partial(photo_curves, backbone.model, image, maps, 0, steps=args.steps)
        predict = partial(backbone.model.predict, same, batch_size=SCORE_BATCH, verbose=0)

        row = {"backbone": name, "images": images, "batch": SCORE_BATCH}
        for label, work in (("scores", score), ("predict", predict)):
            started = time.perf_counter()
            work()
            cold = time.perf_counter() - started
            warm = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                work()
                warm.append(time.perf_counter() - started)
            row[f"{label}_cold_s"], row[f"{label}_warm_s"] = cold, statistics.median(warm)
        row["scores_images_per_s"] = images / row["scores_warm_s"]
        row["predict_images_per_s"] = images / row["predict_warm_s"]
        row["ratio_warm"] = row["predict_warm_s"] / row["scores_warm_s"]
        row["ratio_cold"] = row["predict_cold_s"] / row["scores_cold_s"]
        rows.append(row)
        print(f"{name:20s} {images} images: scores {row['scores_images_per_s']:6.1f}/s, predict "
              f"{row['predict_images_per_s']:6.1f}/s, ratio {row['ratio_warm']:.2f} warm, {row['ratio_cold']:.2f} "
              f"cold (first photo {row['scores_cold_s']:.1f} s, predict's first call {row['predict_cold_s']:.1f} s)",
              flush=True)
    print(f"target: scores at least 80 % of model.predict's throughput (warm): "
          f"{'met' if all(row['ratio_warm'] >= 0.8 for row in rows) else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({"steps": args.steps, "maps": args.maps, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
