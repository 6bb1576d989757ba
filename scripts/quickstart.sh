#!/usr/bin/env bash
# Quick start, step one: install what is needed, build the release preset and
# run Vigil's main job on the bundled sample capture (made by
# tests/gen/make_captures.py): the names Vigil sees, then vigild's whole
# pipeline (extraction, rules, store, concerns) replayed into a fresh store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
echo "== names Vigil sees in tests/data/sample.pcap"
build/release/admin/vigilctl/vigilctl extract tests/data/sample.pcap
out="$(mktemp -d /tmp/vigil-quickstart.XXXXXX)"
cat > "$out/vigil.toml" <<TOML
# The test rules tree (example.org/example.com names, RFC 2606) stands in for
# a centre's licensed lists; rules/starter is the tree to start from.
[store]
path = "$out/vigil.db"
[rules]
dir = "$PWD/tests/integration/rules_tree"
TOML
echo "== vigild --replay tests/data/sample.pcap (store: $out/vigil.db)"
build/release/daemon/vigild/vigild --config "$out/vigil.toml" --replay tests/data/sample.pcap
build/release/admin/vigilctl/vigilctl store check --db "$out/vigil.db"
