"""How small a heatmap map can be stored and still blend like a baked overlay once the browser lays it over its photo.

    python benchmarks/heatmap_maps.py CACHE_DIR [--every 5]

Reads the class-activation maps in a build's array tier (``CACHE_DIR/arrays``; the scale benchmark's ``--keep``
folder has thousands), and for each way of storing a map (enlarged in value space to a minimum side, then a
palette of so many jet colours) prints its mean PNG bytes and how far the browser's composition is from the
baked overlay that heatmaps were before: the map's colours enlarged bilinearly (as a browser does) to 448 px and
blended at 0.4 over a sample photo, against ``render.overlay.overlay`` (values enlarged, then coloured). The
error is the mean absolute difference in levels of 255, averaged over the maps (and its largest over them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from generator.cache import arrays_from_bytes  # noqa: E402
from generator.cache.store import unseal  # noqa: E402
from generator.render.colormaps import lookup_table  # noqa: E402
from generator.render.encode import jpeg_bytes, palette_png_bytes  # noqa: E402
from generator.render.overlay import overlay, resize_map  # noqa: E402

SIDE = 448


def maps_in(arrays: Path, limit: int = 600) -> list[np.ndarray]:
    found = []
    for path in sorted(arrays.rglob("*.entry")):
        payload = unseal(path.read_bytes())
        if payload is None:
            continue
        found += [values for name, values in arrays_from_bytes(payload).items() if name.startswith("cam/")]
        if len(found) >= limit:
            break
    return found


def stored(heatmap: np.ndarray, min_side: int, levels: int) -> np.ndarray:
    factor = max(1, -(-min_side // min(heatmap.shape))) if min_side else 1
    values = resize_map(heatmap, heatmap.shape[0] * factor, heatmap.shape[1] * factor) if factor > 1 else heatmap
    return np.round(np.clip(values, 0, 1) * (levels - 1)).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache", type=Path)
    parser.add_argument("--every", type=int, default=5, help="use every n-th map found")
    args = parser.parse_args()
    maps = maps_in(args.cache / "arrays")[:: args.every]
    photo_path = sorted((PROJECT / "data" / "pets-sample").glob("*.jpg"))[0]
    photo = np.asarray(Image.open(photo_path).convert("RGB").resize((SIDE, SIDE)))
    sides = sorted({max(heatmap.shape) for heatmap in maps})
    print(f"{len(maps)} maps of {', '.join(map(str, sides))} px, composed at {SIDE} px over {photo_path.name}")
    print(f"{'min side':>8} {'levels':>6} {'PNG bytes':>10} {'error':>6} {'worst':>6}")
    for min_side, levels in ((0, 256), (28, 256), (28, 64), (56, 256), (56, 128), (56, 64), (56, 32)):
        table = lookup_table("jet", levels)
        sizes, errors = [], []
        for heatmap in maps:
            indices = stored(heatmap, min_side, levels)
            sizes.append(len(palette_png_bytes(indices, table)))
            colours = np.asarray(Image.fromarray(table[indices]).resize((SIDE, SIDE), Image.Resampling.BILINEAR), np.float32)
            composed = 0.6 * photo + 0.4 * colours
            errors.append(float(np.abs(composed - overlay(photo, heatmap, 0.4)).mean()))
        print(f"{min_side or 'layer':>8} {levels:>6} {np.mean(sizes):>10.0f} {np.mean(errors):>6.2f} {np.max(errors):>6.2f}")
    baked = [len(jpeg_bytes(overlay(photo[::2, ::2], heatmap, 0.4))) for heatmap in maps]
    print(f"the baked overlay as before (224 px JPEG, quality 88): {np.mean(baked):.0f} bytes")


if __name__ == "__main__":
    main()
