#!/usr/bin/env bash
# Installs Keras Atlas with TensorFlow's CUDA build, for GPU runners (Linux x86_64).
#
# The package depends on tensorflow-cpu (a third of the download) so that CPU machines and CI stay lean. The
# `gpu` extra adds tensorflow[and-cuda]; both wheels ship the same `tensorflow` module, so tensorflow-cpu is
# removed first and the CUDA build reinstalled over it.
set -euo pipefail
python="${PYTHON:-python3}"
bash "$(dirname "$0")/install-system-packages.sh"
"$python" -m pip install --quiet -c constraints.txt -e ".[gpu]"
"$python" -m pip uninstall --quiet -y tensorflow-cpu
"$python" -m pip install --quiet --force-reinstall --no-deps "tensorflow==2.21.0"
"$python" - <<'PY'
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
print(f"install-gpu: TensorFlow {tf.__version__} sees {len(gpus)} GPU(s): {[gpu.name for gpu in gpus]}")
PY
