#!/usr/bin/env bash
# Quick start, step one: install what is needed, build the release preset,
# show the names Vigil sees in the bundled sample capture, then the first
# look: vigild replays the demo morning (demo/: a training centre's devices,
# people CSV, DHCP leases and demo lists with reserved names) into a fresh
# store, and the console serves it with a demo DSL login, until Ctrl-C.
#   VIGIL_QUICKSTART_NO_SERVE=1  prepare everything but do not start the console
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
echo "== names Vigil sees in tests/data/sample.pcap"
build/release/admin/vigilctl/vigilctl extract tests/data/sample.pcap

out="$(mktemp -d /tmp/vigil-demo.XXXXXX)"
echo "== vigild --replay demo/demo.pcap into $out/vigil.db"
bash scripts/demo-setup.sh build/release "$out"
build/release/admin/vigilctl/vigilctl store check --config "$out/vigil.toml"

read -r _ dsl_name dsl_password < <(grep '^dsl ' "$out/demo-logins.txt")
read -r _ admin_name admin_password < <(grep '^admin ' "$out/demo-logins.txt")
port="$(sed -n 's/^listen = "127.0.0.1:\([0-9]*\)"/\1/p' "$out/vigil.toml")"
cat <<TEXT

== The console (self-signed certificate: your browser will ask you to accept it)
   address:   https://127.0.0.1:$port/   (from another machine: ssh -L $port:127.0.0.1:$port this-host)
   DSL:       $dsl_name / $dsl_password
   IT admin:  $admin_name / $admin_password
   (also in $out/demo-logins.txt; the demo store is $out/vigil.db)
TEXT
if [ "${VIGIL_QUICKSTART_NO_SERVE:-0}" = 1 ]; then
  exit 0
fi
echo "== vigil-console, until Ctrl-C"
exec build/release/admin/console/main/vigil-console --config "$out/vigil.toml"
