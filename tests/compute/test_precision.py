"""The filter loop's number format: auto resolves to what the hardware computes natively, and is never kept."""

import pytest

from generator.compute import precision
from generator.compute.recipes import recipe_for


def test_auto_is_resolved_before_it_reaches_a_recipe(monkeypatch):
    monkeypatch.setattr(precision, "native_bfloat16", lambda: True)
    assert precision.resolve_precision("auto") == "bfloat16"
    monkeypatch.setattr(precision, "native_bfloat16", lambda: False)
    assert precision.resolve_precision("auto") == "float32"
    assert precision.resolve_precision("bfloat16") == "bfloat16"  # asked for explicitly, it is obeyed
    with pytest.raises(ValueError, match="float16"):
        precision.resolve_precision("float16")


def test_arithmetic_bound_families_use_bfloat16_where_native_and_others_never(monkeypatch):
    import generator.compute.recipes as recipes

    monkeypatch.setattr(recipes, "resolve_precision", lambda value: {"auto": "bfloat16"}.get(value, value))
    assert recipe_for("plain", size=64, steps=4, min_canvas=32).precision == "bfloat16"
    assert recipe_for("resnet", size=64, steps=4, min_canvas=32).precision == "bfloat16"
    assert recipe_for("mobilenet", size=64, steps=4, min_canvas=32).precision == "float32"
    assert recipe_for("plain", size=64, steps=4, min_canvas=32, overrides={"precision": "float32"}).precision == "float32"


def test_the_cpu_flag_is_read_from_proc_cpuinfo():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU decides by its compute capability")
    precision.native_bfloat16.cache_clear()
    with open("/proc/cpuinfo") as flags:
        expected = " avx512_bf16" in (text := flags.read()) or " amx_bf16" in text
    assert precision.native_bfloat16() is expected
