"""Times the compute engine against reference implementations, in the same run, and prints ratios.

    python benchmarks/run.py [--repeats 3] [--cases mobilenet,vgg16,heatmaps] [--skip-reference] [--atlas] [--json FILE]

Each side runs ``--repeats`` times and the median is reported. tf-keras-vis runs in a subprocess with
TF_USE_LEGACY_KERAS=1 (see ``reference_tf_keras_vis.py``); it needs the ``bench`` extra and ``tf-keras``
(``make bench`` installs both). Absolute times mean little across machines; the ratios are the result.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(HERE))


@dataclass
class Row:
    case: str
    reference: str
    reference_s: float | None
    ours_s: float
    unit: str
    target: float | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.reference_s is None else self.reference_s / self.ours_s


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def median_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def reference(case: str, repeats: int) -> float | None:
    """The median of the reference's runs, or None when tf-keras-vis cannot run here."""
    times = reference_times(case, repeats)
    return None if times is None else statistics.median(times)


def reference_times(case: str, repeats: int) -> list[float] | None:
    """Every run of the reference, the first one (which pays its one-time costs) first."""
    environment = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, str(HERE / "reference_tf_keras_vis.py"), case, str(repeats)],
                            capture_output=True, text=True, env=environment, timeout=3600)
    if result.returncode != 0:
        say(f"tf-keras-vis reference {case!r} failed (install it with `make bench`):\n{result.stderr[-2000:]}")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds"]


def ours_filters(model, layer: str, family: str, filters: int = 64, size: int = 64, steps: int = 50):
    from generator.compute.filters import visualize_filters
    from generator.compute.receptive_field import receptive_field
    from generator.compute.recipes import recipe_for

    recipe = recipe_for(family, size=size, steps=steps, min_canvas=32, receptive_field=receptive_field(model, layer))
    return lambda: visualize_filters(model, layer, list(range(filters)), recipe=recipe, seed=0), recipe


def conv_peak_gflops(repeats: int, dtype: str = "float32") -> float:
    """GFLOP/s of a large 3x3 convolution (8 x 56 x 56 x 256 -> 256) in a compiled function, in ``dtype``: the
    machine's peak for that number format."""
    import tensorflow as tf

    images = tf.cast(tf.random.uniform((8, 56, 56, 256)), dtype)
    kernel = tf.cast(tf.random.uniform((3, 3, 256, 256)), dtype)
    convolve = tf.function(lambda: tf.nn.conv2d(images, kernel, 1, "SAME"))
    convolve()
    flops = 2 * 8 * 56 * 56 * 256 * 256 * 9
    return flops / min(median_time(convolve, 1) for _ in range(max(repeats, 5))) / 1e9


def filter_flops(build, layer: str, canvas: int, filters: int, steps: int) -> float:
    """Forward plus input-gradient FLOPs of the filter loop (2 FLOPs a MAC; the gradient pass costs one forward)."""
    from generator.compute.cost import macs_up_to

    return 2 * 2 * macs_up_to(build(canvas), layer) * filters * steps


def run_atlas(config: Path) -> list[Row]:
    """The default atlas, cold (empty cache) and warm (same cache), in subprocesses: wall time and peak memory."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for label in ("cold", "warm"):
            command = [sys.executable, "-m", "generator", "build", "--config", str(config), "--quiet",
                       "--cache-dir", f"{folder}/cache", "--docs-dir", f"{folder}/docs", "--site-dir", f"{folder}/site"]
            started = time.perf_counter()
            subprocess.run(command, check=True, cwd=PROJECT)
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
            rows.append(Row(f"default atlas, {label}", "-", None, seconds, "s", None, f"peak memory {peak:.2f} GiB"))
    return rows


def network_floor(model, layer: str, precision: str, repeats: int, steps: int = 50, filters: int = 64, side: int = 64) -> float:
    """Seconds for ``steps`` compiled forward-and-backward passes of the filter loop's network alone (batch norms
    folded, no Fourier image, no transform, no optimiser): what no removal of overhead can go below."""
    import tensorflow as tf

    from generator.compute.feed import run_model
    from generator.compute.filters import filter_loop_network, filter_means

    network = filter_loop_network(model, layer, precision=precision)
    images = tf.Variable(tf.random.uniform((filters, side, side, 3)))
    targets = tf.constant(list(range(filters)))

    @tf.function(autograph=False)
    def forward_backward():
        with tf.GradientTape() as tape:
            loss = -tf.reduce_sum(filter_means(run_model(network, images, training=False), targets))
        return tape.gradient(loss, images)

    forward_backward()
    return steps * median_time(forward_backward, max(repeats, 10))


def mobilenet_rows(args) -> list[Row]:
    """MobileNetV2 block_6_expand: the seed loop, tf-keras-vis, and the network's own floor."""
    import keras

    from generator.compute.filters import Recipe, truncated_model, visualize_filters
    from generator.compute.transforms import Robustness
    from seed_loop import visualize_one_filter

    rows, repeats = [], args.repeats
    keras.utils.set_random_seed(0)
    mobilenet = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(64, 64, 3))
    ours, recipe = ours_filters(mobilenet, "block_6_expand", "mobilenet")
    say("MobileNetV2: ours")
    ours()  # first run: Keras builds its layers; each timed run still clones, traces and compiles its own step
    ours_s = median_time(ours, repeats)
    say(f"MobileNetV2: ours {ours_s:.1f} s; seed loop")
    extractor = truncated_model(mobilenet, "block_6_expand")
    seed_filters = 3
    seed_s = median_time(lambda: [visualize_one_filter(extractor, f, 64, 50) for f in range(seed_filters)], repeats) / seed_filters
    rows.append(Row("filters, MobileNetV2 block_6_expand, 64 filters, 64 px, 50 steps", "seed loop (one filter, eager)",
                    seed_s, ours_s / 64, "s per filter", 50.0, f"seed loop timed on {seed_filters} filters"))
    say(f"MobileNetV2: seed loop {seed_s:.1f} s per filter; ours with the seed loop's work")
    bare = Recipe(size=64, steps=50, redirect_fraction=0.0, robustness=Robustness(pad=0, jitter=0, scale=(1.0, 1.0), degrees=0.0))
    bare_run = lambda: visualize_filters(mobilenet, "block_6_expand", list(range(64)), recipe=bare, seed=0)  # noqa: E731
    bare_s = median_time(bare_run, repeats)
    rows.append(Row("same case, our engine without the recipe's transforms and redirected ReLU (still the Fourier image and Adam)",
                    "seed loop (one filter, eager)", seed_s, bare_s / 64, "s per filter", None,
                    "64 px canvas; batch norms folded: the seed loop optimises pixels with plain gradient ascent"))
    floor_s = network_floor(mobilenet, "block_6_expand", recipe.precision, repeats)
    if not args.skip_reference:
        mobilenet_reference = reference("mobilenet_v2", repeats)
        per_step = None if mobilenet_reference is None else mobilenet_reference / (64 * 50)
        rows.append(Row("same case", "tf-keras-vis ActivationMaximization", per_step, ours_s / (64 * 50),
                        "s per filter-step", 5.0))
        rows.append(Row("same case, the network's forward and backward passes alone (the floor)",
                        "tf-keras-vis ActivationMaximization", per_step, floor_s / (64 * 50), "s per filter-step", None,
                        f"{floor_s:.2f} s for 50 passes: no removal of overhead can beat this ratio"))
    return rows


def vgg_rows(args) -> list[Row]:
    """VGG16 block4_conv1: tf-keras-vis, and the share of the machine's peak in the number format used."""
    from dataclasses import replace

    import keras

    from generator.compute.filters import visualize_filters
    from generator.compute.transforms import network_side

    rows, repeats = [], args.repeats
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    _, recipe = ours_filters(vgg, "block4_conv1", "plain")
    canvas = network_side(64, recipe.robustness, recipe.min_canvas, recipe.canvas_multiple)
    vgg_at = lambda side: keras.applications.VGG16(weights=None, include_top=False, input_shape=(side, side, 3))  # noqa: E731
    flops = filter_flops(vgg_at, "block4_conv1", canvas, 64, 50)
    references = {precision: None if args.skip_reference else reference("vgg16" if precision == "float32" else "vgg16_bfloat16", repeats)
                  for precision in ("float32", "bfloat16")}
    for precision in ("bfloat16", "float32"):
        chosen_recipe = replace(recipe, precision=precision)
        run = lambda: visualize_filters(vgg, "block4_conv1", list(range(64)), recipe=chosen_recipe, seed=0)  # noqa: E731, B023
        say(f"VGG16: ours in {precision}")
        run()
        ours_s = median_time(run, repeats)
        say(f"VGG16: ours in {precision} {ours_s:.1f} s")
        achieved = flops / ours_s / 1e9
        peak = conv_peak_gflops(repeats, precision)
        chosen = "the recipe's choice on this machine" if precision == recipe.precision else "not the recipe's choice here"
        peak_note = (f"{achieved:.1f} GFLOP/s = {100 * achieved / peak:.0f} % of the {peak:.1f} GFLOP/s {precision} "
                     f"peak (3x3 convolution); canvas {canvas} px")
        rows.append(Row(f"filters, VGG16 block4_conv1, 64 filters, 64 px, 50 steps, both in {precision} ({chosen})",
                        f"tf-keras-vis ActivationMaximization ({'Keras mixed_bfloat16' if precision == 'bfloat16' else 'float32'})",
                        references[precision], ours_s, "s", 2.5, peak_note))
        if precision == "bfloat16":
            rows.append(Row("same case, ours in bfloat16 against tf-keras-vis in float32 (what a user switching tools gets)",
                            "tf-keras-vis ActivationMaximization (float32)", references["float32"], ours_s, "s", None))
    return rows


def heatmap_rows(args) -> list[Row]:
    """Heatmaps: every Conv2D layer of MobileNetV2 at 224 px for one image, first call and steady state.

    A backbone whose photos fit one batch (the default atlas: 4 photos) runs its pass once, eagerly; a larger
    atlas traces the compiled pass once and reuses it. Each side's first call includes its one-time costs
    (our trace, tf-keras-vis' model clone); both models have predicted once before, so TensorFlow's own start-up
    is paid by neither.
    """
    import keras
    import numpy as np

    from generator.compute.heatmaps import explain

    def fresh():
        keras.utils.set_random_seed(0)
        model = keras.applications.MobileNetV2(weights=None)
        model(image)
        return model

    image = np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    layers = [layer.name for layer in fresh().layers if type(layer).__name__ == "Conv2D"]
    say("heatmaps: first calls, eager and compiled, each on a fresh model")
    def first_call(compiled: bool) -> float:
        model = fresh()
        started = time.perf_counter()
        explain(model, image, layers, compiled=compiled)
        return time.perf_counter() - started

    eager_first = [first_call(compiled=False) for _ in range(args.repeats)]
    compiled_first = [first_call(compiled=True) for _ in range(args.repeats)]
    say("heatmaps: steady state")
    full = fresh()
    explain(full, image, layers)  # traces
    steady = median_time(lambda: explain(full, image, layers), max(args.repeats, 5))
    eager_steady = median_time(lambda: explain(full, image, layers, compiled=False), max(args.repeats, 5))
    times = None if args.skip_reference else reference_times("gradcam", max(args.repeats, 2) + 1)
    first_reference = None if times is None else times[0]
    steady_reference = None if times is None else statistics.median(times[1:])
    case = f"heatmaps, MobileNetV2 224 px, 1 image, all {len(layers)} Conv2D layers"
    return [
        Row(f"{case}: a backbone's first batch, eager (the atlas' mode when its photos fit one batch)",
            "tf-keras-vis Gradcam once per layer, first call", first_reference, statistics.median(eager_first), "s", 20.0,
            f"the same pass compiled costs {statistics.median(compiled_first):.2f} s on its first call (tracing)"),
        Row(f"{case}: first batch, compiled (an atlas of more than one batch pays this once per backbone)",
            "tf-keras-vis Gradcam once per layer, first call", first_reference, statistics.median(compiled_first), "s", None),
        Row(f"{case}: steady state, compiled (every later batch)", "tf-keras-vis Gradcam once per layer, later calls",
            steady_reference, steady, "s", 100.0, f"eager steady state: {eager_steady:.3f} s"),
    ]


CASES = {"mobilenet": mobilenet_rows, "vgg16": vgg_rows, "heatmaps": heatmap_rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from {', '.join(CASES)} (default: all)")
    parser.add_argument("--skip-reference", action="store_true", help="time only our side (no tf-keras-vis)")
    parser.add_argument("--atlas", action="store_true", help="also build the default atlas cold and warm (minutes)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        parser.error(f"unknown case {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")

    from generator.tensorflow_import import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU ({os.cpu_count()} cores)"
    rows: list[Row] = []
    for case in args.cases.split(","):
        rows += CASES[case](args)
    if args.atlas:
        rows += run_atlas(PROJECT / "atlas.yml")

    print(f"\nKeras Atlas benchmarks on {device}, TensorFlow {tf.__version__}, medians of {args.repeats} runs\n")
    print("| case | reference | reference | ours | unit | ratio | target | met | note |")
    print("| --- | --- | ---: | ---: | --- | ---: | ---: | --- | --- |")
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.1f}x"
        target = "-" if row.target is None else f">= {row.target:g}x"
        met = "-" if row.ratio is None or row.target is None else ("yes" if row.ratio >= row.target else "NO")
        reference_s = "-" if row.reference_s is None else f"{row.reference_s:.4g}"
        print(f"| {row.case} | {row.reference} | {reference_s} | {row.ours_s:.4g} | {row.unit} | {ratio} | {target} | {met} | {row.note} |")
    if args.json:
        args.json.write_text(json.dumps([dict(row.__dict__, ratio=row.ratio) for row in rows], indent=1))


if __name__ == "__main__":
    main()
