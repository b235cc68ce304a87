"""The ``keras-atlas`` command line.

Only ``argparse`` is imported at start-up: ``keras-atlas --help`` answers at once, and TensorFlow is imported
inside the commands that run a model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """examples:
  keras-atlas build                                   build atlas.yml into site/
  keras-atlas build --model mobilenet:alpha=0.25 --weights random --layers 3 --no-site
  keras-atlas build --images ~/pets --per-breed 2 --model vgg16
  keras-atlas models                                  list every backbone
  keras-atlas fetch-pets data/oxford-iiit-pet         download the Oxford-IIIT Pet dataset
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _layers(text: str) -> int | str | list[str]:
    if text == "all":
        return text
    if text.isdigit():
        return _positive_int(text)
    return [name.strip() for name in text.split(",") if name.strip()]


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keras-atlas",
        description="Publish a visual atlas of convolutional networks: filters, activations and heatmaps as a MkDocs site.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser("build", help="generate the atlas pages and images, then build the site",
                                description="Generate the atlas described by atlas.yml (or flags) and build the site.")
    build.add_argument("--config", type=Path, default=None, help="atlas config file (default: atlas.yml if it exists)")
    build.add_argument("--model", dest="models", action="append", metavar="SPEC",
                       help="backbone NAME or NAME:key=value,... (repeatable; replaces the config's list), "
                            "e.g. mobilenet:alpha=0.25")
    build.add_argument("--images", action="append", metavar="PATH", help="image file, folder or glob (repeatable)")
    build.add_argument("--per-breed", type=_positive_int, metavar="N", help="with an Oxford-IIIT Pet folder: N images per breed")
    build.add_argument("--weights", metavar="auto|imagenet|package|random|PATH",
                       help="weights of every backbone (default auto: Keras' ImageNet weights, else a registry package)")
    build.add_argument("--allow-untrained", action="store_true", default=None,
                       help="with auto: draw an untrained network (marked as such) when no trained weights can be had")
    build.add_argument("--profile", choices=("quick", "publish"),
                       help="preset for layers, filters, size and steps: quick (CPU, minutes) or publish (GPU runners)")
    build.add_argument("--layers", type=_layers, metavar="N|all|NAMES",
                       help="N conv layers spread evenly (first and last included), 'all', or comma-separated names")
    build.add_argument("--filters", type=_positive_int, metavar="N", help="filters per mosaic (default 64)")
    build.add_argument("--size", type=_positive_int, metavar="PX", help="filter image size in pixels (default 64)")
    build.add_argument("--steps", type=int, metavar="N", help="optimisation steps per filter image (default 40)")
    build.add_argument("--top-k", type=_positive_int, metavar="K", help="predictions listed per image (default 3)")
    build.add_argument("--class-index", type=int, metavar="I", help="explain class I instead of each image's top-1")
    build.add_argument("--seed", type=int, metavar="N", help="seed of random weights and filter noise (default 0)")
    build.add_argument("--title", help="site title")
    build.add_argument("--docs-dir", type=Path, metavar="DIR", help="MkDocs docs folder (default site_src)")
    build.add_argument("--site-dir", type=Path, metavar="DIR", help="built site folder (default site)")
    build.add_argument("--cache-dir", type=Path, metavar="DIR", help="cache of computed arrays (default .atlas-cache)")
    build.add_argument("--no-site", action="store_true", help="generate Markdown and images, skip mkdocs build")
    build.add_argument("--quiet", action="store_true", help="no progress bars or summaries (errors still print)")
    build.set_defaults(run=run_build)

    models = commands.add_parser("models", help="list every backbone with input size and parameter count",
                                 description="List every backbone the atlas can draw.")
    models.add_argument("--cache-dir", type=Path, default=Path(".atlas-cache"), metavar="DIR",
                        help="where parameter counts are remembered (default .atlas-cache)")
    models.set_defaults(run=run_models)

    fetch = commands.add_parser("fetch-pets", help="download and unpack the Oxford-IIIT Pet dataset",
                                description="Download the two official Oxford-IIIT Pet archives, verify and unpack them.")
    fetch.add_argument("destination", type=Path, help="folder to unpack into (it gets images/ and annotations/)")
    fetch.add_argument("--mirror", metavar="URL", help="base URL of a mirror holding images.tar.gz and annotations.tar.gz")
    fetch.set_defaults(run=run_fetch_pets)
    return parser


def _version() -> str:
    from generator import __version__

    return __version__


def build_overrides(args: argparse.Namespace) -> dict:
    """Config keys set by flags (None means 'not given')."""
    from generator.config import parse_model_spec

    return {
        "backbones": [parse_model_spec(spec) for spec in args.models] if args.models else None,
        "images": args.images,
        "per_breed": args.per_breed,
        "weights": args.weights,
        "allow_untrained": args.allow_untrained,
        "profile": args.profile,
        "layers": args.layers,
        "filters": args.filters,
        "size": args.size,
        "steps": args.steps,
        "top_k": args.top_k,
        "class_index": args.class_index,
        "seed": args.seed,
        "title": args.title,
        "docs_dir": args.docs_dir,
        "site_dir": args.site_dir,
        "cache_dir": args.cache_dir,
        "build_site": False if args.no_site else None,
    }


def run_build(args: argparse.Namespace) -> int:
    from generator.config import load_config

    config_path = args.config
    if config_path is None and Path("atlas.yml").is_file():
        config_path = Path("atlas.yml")
    config = load_config(config_path, build_overrides(args))

    from generator.tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    from generator.pipeline import build
    from generator.progress import Reporter

    reporter = Reporter(quiet=args.quiet)
    atlas, stats = build(config, reporter=reporter)
    where = f"site in {config.site_dir}" if config.build_site else f"pages in {Path(config.docs_dir) / 'atlas'}"
    reporter.line(
        f"Built {len(atlas.backbones)} backbone(s) x {len(atlas.photos)} photo(s) in {stats.seconds:.1f} s: {where}; "
        f"{stats.files_written} file(s) written, {stats.files_removed} removed, "
        f"{stats.cache_hits} cached result(s) reused, {stats.cache_misses} computed."
    )
    return 0


def run_models(args: argparse.Namespace) -> int:
    from generator.tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    from generator.catalog import print_catalog

    print_catalog(args.cache_dir)
    return 0


def run_fetch_pets(args: argparse.Namespace) -> int:
    from generator.pets import OFFICIAL_BASE_URL, fetch_pets

    folder = fetch_pets(args.destination, base_url=args.mirror or OFFICIAL_BASE_URL)
    print(f"Oxford-IIIT Pet is in {folder}; build with: keras-atlas build --images {folder} --per-breed 2")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    from generator.errors import AtlasError

    try:
        return args.run(args)
    except AtlasError as error:
        print(f"keras-atlas: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("keras-atlas: interrupted; what was finished is cached and will be reused", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
