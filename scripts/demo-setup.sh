#!/usr/bin/env bash
# Prepares the console's "first look": replays demo/demo.pcap through vigild
# (demo rules, people CSV and DHCP leases) into a fresh store in OUT_DIR, and
# adds a demo DSL and a demo IT admin with random passwords. Used by the
# quick start (scripts/quickstart.sh) and by the browser tests, so what a
# newcomer sees is what the tests check.
#
#   scripts/demo-setup.sh BUILD_DIR OUT_DIR
#
# Writes OUT_DIR/vigil.toml, OUT_DIR/vigil.db and OUT_DIR/demo-logins.txt
# (mode 0600: "role name password" per line). OUT_DIR must be empty or absent.
set -euo pipefail
if [ "$#" -ne 2 ]; then
  echo "usage: demo-setup.sh BUILD_DIR OUT_DIR" >&2
  exit 2
fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "$1" && pwd)"
out="$2"
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "demo-setup.sh: $out is not empty" >&2
  exit 2
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
chmod 0700 "$out"

sed -e "s|@DIR@|$out|g" -e "s|@REPO@|$repo|g" "$repo/demo/vigil.toml.in" > "$out/vigil.toml"
"$build/daemon/vigild/vigild" --config "$out/vigil.toml" --check-config
"$build/daemon/vigild/vigild" --config "$out/vigil.toml" --replay "$repo/demo/demo.pcap"

umask 077
: > "$out/demo-logins.txt"
for user in "dsl demo-dsl" "admin demo-admin"; do
  set -- $user
  password="$(openssl rand -base64 15 | tr -d '/+=' | cut -c1-16)"
  printf '%s\n' "$password" |
    "$build/admin/vigilctl/vigilctl" users add --config "$out/vigil.toml" --name "$2" --role "$1"
  printf '%s %s %s\n' "$1" "$2" "$password" >> "$out/demo-logins.txt"
done
