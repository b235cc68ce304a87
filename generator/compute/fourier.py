"""An image batch parametrised in a decorrelated Fourier basis (Olah et al., "Feature Visualization", 2017).

Optimising pixels directly gives high-frequency noise, because the gradient of a CNN is dominated by high
frequencies. Optimising Fourier coefficients scaled by 1/frequency gives every frequency the same effective
learning rate, and mixing the three colour channels through the square root of ImageNet's colour correlation
decorrelates them. The numbers follow the Lucid library (``lucid/optvis/param``).
"""

from __future__ import annotations

import numpy as np

COLOR_CORRELATION_SVD_SQRT = np.array(
    [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=np.float32
)
"""Square root of ImageNet's RGB colour covariance, via its SVD (from Lucid)."""
COLOR_CORRELATION = COLOR_CORRELATION_SVD_SQRT / np.max(np.linalg.norm(COLOR_CORRELATION_SVD_SQRT, axis=0))


def rfft2d_frequencies(height: int, width: int) -> np.ndarray:
    """Frequency magnitude of each coefficient of a real 2-D FFT of an image (height, width // 2 + 1)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[: width // 2 + 1 + (width % 2)]
    return np.sqrt(fx * fx + fy * fy)


def spectrum_scale(height: int, width: int, decay_power: float = 1.0) -> np.ndarray:
    """Per-coefficient scale 1/f (floored at the lowest frequency), so all frequencies learn at the same pace."""
    frequencies = rfft2d_frequencies(height, width)
    scale = 1.0 / np.maximum(frequencies, 1.0 / max(height, width)) ** decay_power
    return (scale * np.sqrt(width * height)).astype(np.float32)


def initial_spectrum(count: int, height: int, width: int, seed: int, sd: float = 0.01) -> np.ndarray:
    """Random starting coefficients (count, 2, 3, fh, fw): real and imaginary parts, seeded."""
    fh, fw = rfft2d_frequencies(height, width).shape
    return (sd * np.random.default_rng(seed).standard_normal((count, 2, 3, fh, fw))).astype(np.float32)


def spectrum_to_rgb(spectrum, height: int, width: int, scale):
    """Coefficients to RGB images in (0, 1), shaped (count, height, width, 3); a TensorFlow op, differentiable."""
    import tensorflow as tf

    real, imaginary = tf.unstack(spectrum, axis=1)  # slicing instead would cost two slow StridedSliceGrads
    complex_spectrum = tf.complex(real, imaginary) * tf.cast(scale, tf.complex64)
    if width % 2 == 0:  # the inverse transform is exactly height x width: nothing to crop
        images = tf.signal.irfft2d(complex_spectrum, fft_length=[height, width])
    else:  # Lucid's grid has one column more: transform at width + 1, then crop
        images = tf.signal.irfft2d(complex_spectrum)[:, :, :height, :width]
    images = tf.transpose(images, [0, 2, 3, 1]) / 4.0
    images = tf.einsum("nhwc,dc->nhwd", images, tf.constant(COLOR_CORRELATION))
    return tf.sigmoid(images)


def rgb_to_spectrum(images: np.ndarray) -> np.ndarray:
    """Inverse of ``spectrum_to_rgb`` for images strictly inside (0, 1) of even width: used to test the round trip.

    For an odd width the forward pass crops a column of Lucid's frequency grid, so no exact inverse exists.
    """
    images = np.clip(np.asarray(images, dtype=np.float64), 1e-6, 1 - 1e-6)
    height, width = images.shape[1:3]
    if width % 2:
        raise ValueError(f"the Fourier parametrisation is invertible for even widths only, got {width}")
    logits = np.log(images / (1 - images))
    # Forward: rgb = sigmoid(img @ C.T); so img = logit(rgb) @ inv(C.T).
    decorrelated = np.einsum("nhwd,dc->nhwc", logits, np.linalg.inv(COLOR_CORRELATION.T.astype(np.float64))) * 4.0
    coefficients = np.fft.rfft2(np.transpose(decorrelated, (0, 3, 1, 2)), s=(height, width))
    coefficients = coefficients / spectrum_scale(height, width)
    return np.stack([coefficients.real, coefficients.imag], axis=1).astype(np.float32)
