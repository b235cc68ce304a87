"""The filter loop's number format: auto resolves to what the hardware computes natively, and is never kept."""

import numpy as np
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


CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC
flags\t\t: fpu vme sse sse2 avx2 avx512f avx512bw {extra} avx512vl
bugs\t\t: sysret_ss_attrs spectre_v1
"""


@pytest.mark.parametrize(
    "extra,native",
    [("avx512_bf16", True), ("amx_bf16 amx_tile", True), ("avx512_vnni", False), ("", False)],
)
def test_the_cpu_is_native_only_when_its_flags_list_a_bfloat16_instruction_set(extra, native):
    assert precision.cpu_has_native_bfloat16(CPUINFO.format(extra=extra)) is native


def test_a_flag_named_elsewhere_than_the_flags_line_does_not_count():
    assert precision.cpu_has_native_bfloat16("model name : not avx512_bf16\nflags : fpu sse\n") is False
    assert precision.cpu_has_native_bfloat16("") is False


@pytest.mark.parametrize("capability,native", [((7, 5), False), ((8, 0), True), ((8, 6), True), ((9, 0), True), ((0, 0), False)])
def test_a_gpu_is_native_from_ampere_on(capability, native):
    assert precision.gpu_has_native_bfloat16(capability) is native


def small_vgg():
    """Two 3x3 convolutions with ReLUs, a max pool and a third: the shape of a VGG block, at 8 and 16 channels."""
    import keras

    keras.utils.set_random_seed(3)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="block1_conv1")(inputs)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="block1_conv2")(x)
    x = keras.layers.MaxPooling2D(name="block1_pool")(x)
    return keras.Model(inputs, keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="block2_conv1")(x))


@pytest.mark.parametrize("number_format", ["float32", "bfloat16"])
def test_the_filter_loop_runs_the_network_in_the_recipes_number_format(monkeypatch, number_format):
    import tensorflow as tf

    import generator.compute.filters as filters

    seen = []

    def recording(model, batch, **kwargs):
        output = filters_run_model(model, batch, **kwargs)
        seen.append(output.dtype)
        return output

    filters_run_model = filters.run_model
    monkeypatch.setattr(filters, "run_model", recording)
    model = small_vgg()
    recipe = filters.Recipe(size=32, steps=4, precision=number_format)
    images = filters.visualize_filters(model, "block2_conv1", [0, 1, 2], recipe=recipe, seed=0)
    assert seen and set(seen) == {tf.as_dtype(number_format)}
    assert images.dtype == np.uint8 and images.shape == (3, 32, 32, 3)
    assert {weight.dtype for weight in model.weights} == {"float32"}  # the user's model is left as it was
