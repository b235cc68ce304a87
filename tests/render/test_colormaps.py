"""Colour maps: values in [0, 1] index a 256-entry table; anything outside is clipped, NaN counts as 0."""

import numpy as np

from generator.render.colormaps import apply_colormap, lookup_table


def test_values_index_the_table_by_rounding_and_out_of_range_values_are_clipped():
    table = lookup_table("viridis")
    values = np.array([0.0, 0.5, 1.0, -0.5, 1.5, np.nan, 2.0 / 255.0])
    colours = apply_colormap(values, "viridis")
    np.testing.assert_array_equal(colours, table[[0, 128, 255, 0, 255, 0, 2]])
    assert colours.dtype == np.uint8


def test_the_tables_are_matplotlibs_colour_maps_in_eight_bits():
    assert lookup_table("jet")[0].tolist() == [0, 0, 128] and lookup_table("jet")[255].tolist() == [128, 0, 0]
    assert lookup_table("viridis")[0].tolist() == [68, 1, 84] and lookup_table("viridis")[255].tolist() == [253, 231, 37]
