"""The decorrelated Fourier parametrisation: images in (0, 1), and an exact round trip through its inverse."""

import numpy as np
import pytest

from generator.compute.fourier import initial_spectrum, rgb_to_spectrum, spectrum_scale, spectrum_to_rgb


def to_rgb(spectrum, height, width):
    import tensorflow as tf

    return spectrum_to_rgb(tf.constant(spectrum), height, width, tf.constant(spectrum_scale(height, width))).numpy()


@pytest.mark.parametrize("height,width", [(32, 32), (24, 40), (31, 34)])
def test_spectrum_to_image_to_spectrum_round_trips(height, width):
    spectrum = initial_spectrum(2, height, width, seed=1, sd=0.5)
    images = to_rgb(spectrum, height, width)
    assert images.shape == (2, height, width, 3) and images.min() > 0 and images.max() < 1
    np.testing.assert_allclose(to_rgb(rgb_to_spectrum(images), height, width), images, atol=1e-5)


def test_odd_widths_have_no_exact_inverse_and_say_so():
    with pytest.raises(ValueError, match="even widths only, got 33"):
        rgb_to_spectrum(np.full((1, 8, 33, 3), 0.5))
