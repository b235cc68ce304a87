"""Times a cold build against a rebuild with nothing to do, in the same run, and prints the ratio.

    python benchmarks/rebuild.py [--config atlas.yml] [--small] [--json FILE]

Both builds run ``keras-atlas build`` as a user does (a fresh process: Python start, imports and ``mkdocs
build`` included) into the same new docs, site and cache folders; the cold one starts from an empty cache.
``--small`` times a two-MobileNet atlas of 3 layers instead of a config. The no-op rebuild must also leave
TensorFlow unimported, which the script checks. Targets (issue 15): a no-op rebuild of the default atlas in
at most 1/20 of its cold build, of the small atlas in at most 1/5.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SMALL = """title: Small atlas
weights: random
backbones:
  - {name: mobilenet, alpha: 0.25}
  - {name: mobilenet, alpha: 0.5}
images: [%s]
layers: 3
profile: quick
"""
PROBE = """import sys
from generator.cli import main
sys.argv = ["keras-atlas", "build", *sys.argv[1:]]
code = main()
print("TENSORFLOW", any(name.split(".")[0] in ("tensorflow", "keras") for name in sys.modules))
raise SystemExit(code)
"""


def timed_build(config: Path, root: Path) -> tuple[float, bool, str]:
    """Seconds of one ``keras-atlas build``, whether it imported TensorFlow, and its summary line."""
    arguments = ["--config", str(config), "--docs-dir", str(root / "docs"), "--site-dir", str(root / "site"),
                 "--cache-dir", str(root / "cache"), "--quiet"]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PROBE, *arguments], cwd=PROJECT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stderr[-3000:]}")
    log = (root / "cache" / "keras-atlas.log").read_text().splitlines()
    summary = next(line for line in reversed(log) if " Built " in line).split(" Built ", 1)[1]
    return seconds, "TENSORFLOW True" in result.stdout, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=PROJECT / "atlas.yml")
    parser.add_argument("--small", action="store_true", help="time the two-MobileNet atlas instead of --config")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keras-atlas-rebuild-") as folder:
        root = Path(folder)
        config = args.config.resolve()
        if args.small:
            config = root / "small.yml"
            config.write_text(SMALL % (PROJECT / "data" / "pets-sample"))
        cold, _, cold_summary = timed_build(config, root)
        noop, imported, noop_summary = timed_build(config, root)
    target = 5 if args.small else 20
    name = "small atlas (2 MobileNets x 3 layers x 4 photos)" if args.small else config.name
    print(f"{name}: cold build {cold:.1f} s ({cold_summary})")
    print(f"{name}: no-op rebuild {noop:.1f} s ({noop_summary}); TensorFlow imported: {imported}")
    print(f"{name}: the no-op rebuild takes 1/{cold / noop:.0f} of the cold build (target: at most 1/{target})")
    if args.json:
        args.json.write_text(json.dumps({"atlas": name, "cold_s": round(cold, 2), "noop_s": round(noop, 2),
                                         "ratio": round(cold / noop, 1), "target": target,
                                         "tensorflow_imported_on_noop": imported}, indent=1) + "\n")


if __name__ == "__main__":
    main()
