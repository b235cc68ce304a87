"""Each CAM method on activations and gradients small enough to work out by hand, with negative values.

A (1, 2, 2, 2), channel by channel, rows top to bottom::

    A0 = [[1, 2],      A1 = [[4, 0],      G0 = [[ 1, 1],      G1 = [[-2, -2],
          [3, 4]]            [0, 1]]            [-1, 3]]            [-2,  2]]

The channel sums are S0 = 10 and S1 = 5; the spatial means of the gradients are 1 and -1. The expected maps
below were worked out by hand from each paper's formula (see each test); every method gives a different map,
so a method swapped for another, an absolute value where a sign belongs or a missing ReLU changes the answer.
"""

import numpy as np
import pytest

from generator.compute.cams import METHODS, normalise

A = np.stack([[[1, 2], [3, 4]], [[4, 0], [0, 1]]], axis=-1)[None].astype(np.float32)
G = np.stack([[[1, 1], [-1, 3]], [[-2, -2], [-2, 2]]], axis=-1)[None].astype(np.float32)


def test_gradcam_weights_channels_by_their_signed_mean_gradient():
    # w = (1, -1): relu(A0 - A1) = relu([[-3, 2], [3, 3]]); with |w| it would be [[5, 2], [3, 5]].
    np.testing.assert_allclose(METHODS["gradcam"](A, G)[0], [[0, 2 / 3], [1, 1]], rtol=1e-6)


def test_hirescam_multiplies_gradient_and_activation_element_wise():
    # G0*A0 + G1*A1 = [[1 - 8, 2 + 0], [-3 + 0, 12 + 2]] = [[-7, 2], [-3, 14]], then the ReLU.
    np.testing.assert_allclose(METHODS["hirescam"](A, G)[0], [[0, 2 / 14], [0, 1]], rtol=1e-6)


def test_layercam_keeps_only_positive_gradients_before_multiplying():
    # relu(G0)*A0 + relu(G1)*A1 = [[1, 2], [0, 12 + 2]]: unlike HiResCAM, the top-left keeps its evidence.
    np.testing.assert_allclose(METHODS["layercam"](A, G)[0], [[1 / 14, 2 / 14], [0, 1]], rtol=1e-6)


def test_gradcam_plus_plus_weights_positive_gradients_by_the_closed_form_alpha():
    # alpha = G^2 / (2 G^2 + S G^3). Channel 0: 1/12, 1/12, -1/8, 9/288, so w0 = 1/12 + 1/12 + 3 * 9/288 = 25/96.
    # Channel 1: -1/8 three times (their gradients are negative and drop out), then 4/48, so w1 = 2/12 = 16/96.
    # 25 A0 + 16 A1 = [[89, 50], [75, 116]].
    np.testing.assert_allclose(METHODS["gradcam++"](A, G)[0], np.array([[89, 50], [75, 116]]) / 116, rtol=1e-6)


def test_every_method_gives_its_own_map_here():
    maps = {name: method(A, G)[0] for name, method in METHODS.items()}
    names = sorted(maps)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            assert not np.allclose(maps[first], maps[second], atol=1e-3), (first, second)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_a_map_whose_evidence_is_all_against_the_class_is_zero_not_inverted(name):
    against = METHODS[name](A, -np.abs(G))
    assert against.dtype == np.float32 and np.all(against == 0.0)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_each_image_of_a_batch_is_its_own_map_scaled_by_its_own_peak(name):
    method = METHODS[name]
    maps = method(np.concatenate([A, 10.0 * A]), np.concatenate([G, G[:, ::-1]]))
    assert maps.max(axis=(1, 2)).tolist() == [1.0, 1.0]
    np.testing.assert_allclose(maps[0], method(A, G)[0], rtol=1e-6)
    np.testing.assert_allclose(maps[1], method(10.0 * A, G[:, ::-1])[0], rtol=1e-6)


def test_normalise_divides_by_each_maps_own_maximum_and_keeps_zero_maps_zero():
    maps = np.array([[[0.0, 2.0], [1.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], [[3.0, 0.0], [0.0, 0.0]]])
    np.testing.assert_array_equal(normalise(maps), [[[0, 0.5], [0.25, 1]], [[0, 0], [0, 0]], [[1, 0], [0, 0]]])
    assert normalise(maps).dtype == np.float32


def test_gradcam_plus_plus_uses_alpha_where_its_denominator_is_exactly_one():
    # One channel, gradient 0.5 everywhere, activations summing to 4: 2 g^2 + S g^3 = 0.5 + 0.5 = 1, so alpha = g^2 = 1/4.
    activations = np.array([[[[1.0], [1.0]], [[1.0], [1.0]]]], np.float32)
    gradients = np.full_like(activations, 0.5)
    raw = METHODS["gradcam++"].combine(activations, gradients)
    np.testing.assert_allclose(raw, np.full((1, 2, 2), 4 * 0.25 * 0.5), rtol=1e-6)
