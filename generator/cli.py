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
  keras-atlas build --only 'vgg16/block5*' --no-site  redo VGG16's block5 layers, reuse the rest
  keras-atlas build --shard 2/3 --cache-dir shard-2   compute a third of the work (then: merge, build)
  keras-atlas models                                  list every backbone
  keras-atlas fetch-pets data/oxford-iiit-pet         download the Oxford-IIIT Pet dataset
"""


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
                       help="backbone NAME or NAME:key=value,..., or a model file PATH.keras (or .h5) with the same "
                            "options (repeatable; replaces the config's list), e.g. mobilenet:alpha=0.25 or "
                            "models/my_net.keras:classes=classes.txt")
    _setting_flags(build)
    build.add_argument("--shards-for", type=float, metavar="MINUTES",
                       help="build nothing: print, as JSON for a CI matrix, the fewest shards that each take at most "
                            "MINUTES on runners computing --runner-gmacs (each planned at 80 %% of it)")
    build.add_argument("--quiet", action="store_true",
                       help="no progress bars or summaries (errors still print; the log next to the cache has it all)")
    build.add_argument("--force", action="store_true", help="recompute and redraw everything instead of reading the cache")
    build.add_argument("--only", action="append", metavar="PATTERN",
                       help="recompute and redraw only what matches (repeatable): BACKBONE, BACKBONE/LAYER, "
                            "BACKBONE/images/IMAGE; shell wildcards allowed, e.g. 'vgg16/block5*'")
    build.add_argument("--shard", metavar="I/N",
                       help="compute only shard I of N of the work (balanced by cost) into the cache and draw nothing; "
                            "combine the shards' caches with keras-atlas merge, then build")
    build.set_defaults(run=run_build)

    cache = commands.add_parser("cache", help="show what the cache holds; --prune removes what the latest build did not use",
                                description="Show the cache's size and entries per tier, and prune it.")
    cache.add_argument("--cache-dir", type=Path, default=Path(".atlas-cache"), metavar="DIR",
                       help="cache folder (default .atlas-cache)")
    cache.add_argument("--prune", action="store_true",
                       help="delete the array and figure entries the latest build of this cache did not use")
    cache.set_defaults(run=run_cache)

    merge = commands.add_parser("merge", help="combine the caches of shards into one",
                                description="Copy every intact entry of the shard caches into one cache; a build from "
                                            "it then draws the whole atlas without computing.")
    merge.add_argument("caches", nargs="+", type=Path, metavar="CACHE", help="shard cache folders")
    merge.add_argument("--into", type=Path, default=Path(".atlas-cache"), metavar="DIR",
                       help="the cache to merge into (default .atlas-cache)")
    merge.set_defaults(run=run_merge)

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


def _setting_flags(build: argparse.ArgumentParser) -> None:
    """A flag per setting that declares one (``generator.settings``): its name, metavar and help, with the default,
    from the declaration; a ``bool`` setting's flag is a switch, a list's repeats."""
    from generator.settings import SETTINGS

    for name, setting in SETTINGS.items():
        if setting.flag is None:
            continue
        text = setting.flag_help or " ".join(setting.help.split()).rstrip(".")
        if setting.type is bool:
            build.add_argument(setting.flag, dest=name, action="store_const", const=setting.switch, default=None,
                               help=text)
            continue
        if setting.default is not None:
            shown = ",".join(setting.default) if isinstance(setting.default, tuple) else setting.default
            text += f" (default {shown})"
        repeats = _is_list(setting.type)
        build.add_argument(setting.flag, dest=name, type=setting.parse or _scalar(setting.type), metavar=setting.metavar,
                           action="append" if repeats else "store", help=text + (" (repeatable)" if repeats else ""))


def _is_list(annotation) -> bool:
    return getattr(annotation, "__origin__", None) is list or any(
        getattr(member, "__origin__", None) is list for member in getattr(annotation, "__args__", ()))


def _scalar(annotation) -> type:
    """The type a flag's text is read as: the setting's (``int | None`` -> ``int``), else ``str``."""
    for candidate in (int, float, Path):
        if annotation is candidate or candidate in getattr(annotation, "__args__", ()):
            return candidate
    return str


def build_overrides(args: argparse.Namespace) -> dict:
    """Config keys set by flags (None means 'not given'): every setting's flag, and ``--model`` for the backbones."""
    from generator.config import parse_model_spec
    from generator.settings import SETTINGS

    overrides = {name: getattr(args, name) for name, setting in SETTINGS.items() if setting.flag is not None}
    overrides["backbones"] = [parse_model_spec(spec) for spec in args.models] if args.models else None
    return overrides


def run_build(args: argparse.Namespace) -> int:
    from generator.config import load_config
    from generator.errors import AtlasError, ConfigError

    config_path = args.config
    if config_path is None and Path("atlas.yml").is_file():
        config_path = Path("atlas.yml")
    config = load_config(config_path, build_overrides(args))

    from generator.cache.layout import CacheLayout
    from generator.pipeline.run import BuildOptions, build
    from generator.plan import Shard
    from generator.progress import Reporter

    options = BuildOptions(force=args.force, only=tuple(args.only or ()), shard=Shard.parse(args.shard) if args.shard else None)
    reporter = Reporter(quiet=args.quiet, log_file=CacheLayout(config.cache_dir).log)
    if args.shards_for is not None:
        import contextlib
        import json

        from generator.pipeline.run import shard_matrix

        if args.shards_for <= 0:
            raise ConfigError(f"--shards-for: {args.shards_for:g} minutes is not a time limit; give a positive number")
        # stdout carries the matrix alone (a workflow reads it as JSON): what loading a network prints (Keras'
        # "Downloading data from ...") goes to stderr
        with contextlib.redirect_stdout(sys.stderr):
            matrix = shard_matrix(config, args.shards_for, reporter=Reporter(quiet=True))
        print(json.dumps(matrix))
        return 0
    reporter.log(f"build {config_path or '(flags)'}: {' '.join(sys.argv[1:])}")
    try:
        atlas, stats = build(config, reporter=reporter, options=options)
    except AtlasError as error:
        reporter.log(f"error: {error}")
        raise
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stats.stages.items())
    reporter.log(f"stages: {stages}")
    if atlas is None:
        reporter.line(
            f"Shard {options.shard} computed {stats.computed} and reused {stats.cache_hits} cached result(s) of "
            f"{stats.units} work unit(s) in {stats.seconds:.1f} s into {config.cache_dir}."
        )
        return 0
    where = f"site in {config.site_dir}" if config.build_site else f"pages in {Path(config.docs_dir) / 'atlas'}"
    reporter.line(
        f"Built {len(atlas.backbones)} backbone(s) x {len(atlas.photos)} photo(s) in {stats.seconds:.1f} s: {where}; "
        f"{stats.files_written} file(s) written, {stats.files_removed} removed, "
        f"{stats.cache_hits} cached result(s) reused, {stats.computed} computed, {stats.figures_drawn} figure(s) drawn."
    )
    return 0


def run_cache(args: argparse.Namespace) -> int:
    from generator.cache.maintenance import prune, usage

    if args.prune:
        removed, freed = prune(args.cache_dir)
        print(f"Pruned {removed} entr{'y' if removed == 1 else 'ies'} ({_size(freed)}) from {args.cache_dir}.")
    rows = usage(args.cache_dir)
    print(f"{'tier':<10} {'entries':>8} {'size':>10}  unused by the latest build")
    for row in rows:
        unused = "-" if row.unused_entries is None else str(row.unused_entries)
        print(f"{row.name:<10} {row.entries:>8} {_size(row.bytes):>10}  {unused}")
    print(f"{'total':<10} {sum(row.entries for row in rows):>8} {_size(sum(row.bytes for row in rows)):>10}")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from generator.cache.maintenance import merge

    copied, damaged = merge(args.caches, args.into)
    print(f"Merged {len(args.caches)} cache(s) into {args.into}: {copied} entries copied"
          + (f", {damaged} damaged entries skipped (they will be recomputed)" if damaged else "") + ".")
    return 0


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"


def run_models(args: argparse.Namespace) -> int:
    from generator.tensorflow_import import import_tensorflow_quietly

    import_tensorflow_quietly()
    from generator.backbones.catalog import print_catalog

    print_catalog(args.cache_dir)
    return 0


def run_fetch_pets(args: argparse.Namespace) -> int:
    from generator.photos.pets import OFFICIAL_BASE_URL, fetch_pets

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
        return error.exit_code
    except KeyboardInterrupt:
        print("keras-atlas: interrupted; what was finished is cached and will be reused", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
