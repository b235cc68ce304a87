"""Which number format the filter loop's network computes in: float32, or bfloat16 where the hardware has it.

A network dominated by large convolutions (VGG, ResNet) is bound by arithmetic, and bfloat16 about doubles
the arithmetic rate where the chip computes it natively (AVX512-BF16, AMX). A MobileNet is bound by memory
traffic through depthwise convolutions, which have no fast bfloat16 kernel on the CPU, so it is slower in
bfloat16 and stays in float32. The timings behind both are in ``benchmarks/README.md``.

Only the network runs in bfloat16. The image's Fourier coefficients, Adam's moments and the loss stay in
float32, so what changes is the rounding of each step's gradient, not where the optimisation goes. The
format is part of the recipe, and so of the cache key: ``auto`` is resolved before the key is made, so a
cache filled on a machine without native bfloat16 is never mixed with one filled on a machine with it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PRECISIONS = ("auto", "float32", "bfloat16")


@lru_cache(maxsize=1)
def native_bfloat16() -> bool:
    """Whether the device TensorFlow computes on has bfloat16 arithmetic: Ampere or newer, or AVX512-BF16/AMX.

    Without an NVIDIA device node TensorFlow computes on the CPU, and the answer needs no TensorFlow import:
    planning a rebuild stays free of it.
    """
    if not nvidia_device_present():
        return _cpu_answer()
    from generator.tensorflow_import import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return gpu_has_native_bfloat16(tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0)))
    return _cpu_answer()


def nvidia_device_present(dev: Path = Path("/dev")) -> bool:
    """Whether the machine has an NVIDIA GPU device node (``/dev/nvidia0``...), which TensorFlow would need."""
    return any(path.name[len("nvidia"):].isdigit() for path in dev.glob("nvidia*"))


def _cpu_answer() -> bool:
    try:
        return cpu_has_native_bfloat16(Path("/proc/cpuinfo").read_text())
    except OSError:
        return False


def gpu_has_native_bfloat16(compute_capability: tuple[int, int]) -> bool:
    """Ampere (8.0) and newer have bfloat16 tensor cores; older cards emulate it, slower than float32."""
    return tuple(compute_capability) >= (8, 0)


def cpu_has_native_bfloat16(cpuinfo: str) -> bool:
    """Whether a ``/proc/cpuinfo`` text lists AVX512-BF16 or AMX-BF16 among a processor's flags."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags.update(value.split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def resolve_precision(precision: str) -> str:
    """``float32`` or ``bfloat16``: ``auto`` becomes bfloat16 only where the hardware computes it natively."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return precision


def keras_policy(precision: str) -> str:
    """The Keras dtype policy of a resolved precision: variables stay float32, computation follows it."""
    return {"float32": "float32", "bfloat16": "mixed_bfloat16"}[precision]
