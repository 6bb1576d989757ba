#!/usr/bin/env bash
# Quick start, step one: install what is needed, build the release preset and
# run Vigil's extraction on the bundled sample capture (made by
# tests/gen/make_captures.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
echo "== names Vigil sees in tests/data/sample.pcap"
build/release/admin/vigilctl/vigilctl extract tests/data/sample.pcap
