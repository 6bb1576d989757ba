#!/usr/bin/env bash
# Quick start, step two: the whole test suite. Installs dependencies, builds
# the asan-ubsan preset (every test runs under AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs CTest. The shared corpus is found at
# ../shared/corpus (override: VIGIL_CORPUS_DIR=...); without it the corpus
# tests report "skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
extra=()
if [ -n "${VIGIL_CORPUS_DIR:-}" ]; then
  extra+=("-DVIGIL_CORPUS_DIR=${VIGIL_CORPUS_DIR}")
fi
cmake --preset asan-ubsan "${extra[@]}"
cmake --build --preset asan-ubsan
ctest --preset asan-ubsan -j"$(nproc)"
