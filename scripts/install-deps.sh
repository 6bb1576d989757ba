#!/usr/bin/env bash
# Installs every Debian 12 package Vigil's build and tests need. Idempotent:
# packages already present are left alone. Run as root.
#   scripts/install-deps.sh          build + tests
#   scripts/install-deps.sh --bench  also the benchmark peers (tshark, ndpiReader, perf)
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (apt-get install)" >&2
  exit 1
fi

# Hyperscan on x86-64; Vectorscan (same hs.h API) elsewhere. They conflict.
case "$(dpkg --print-architecture)" in
  amd64) regex_pkg=libhyperscan-dev ;;
  *) regex_pkg=libvectorscan-dev ;;
esac

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libpcap-dev libndpi-dev "$regex_pkg" libssl-dev libidn2-dev libicu-dev libtomlplusplus-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev sqlite3 zlib1g-dev libbrotli-dev libboost1.81-dev
  libsystemd-dev libsodium-dev libpsl-dev liboath-dev systemd
  clang-14 libclang-rt-14-dev
  python3 python3-cryptography python3-aiosmtpd openssl iproute2 libcurl4-openssl-dev
  dnsmasq-base bind9-dnsutils isc-dhcp-client curl
  chromium nodejs fonts-dejavu-core
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(libndpi-bin tshark wireshark-common linux-perf valgrind hyperfine time tcpreplay tcpdump wrk nginx-light)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps.sh: all ${#packages[@]} packages present"
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  echo "install-deps.sh: installed ${missing[*]}"
fi

# The browser tests drive Debian's chromium with playwright-core from the npm
# registry, pinned by tests/browser/package-lock.json (no browser download).
browser_dir="$(dirname "$0")/../tests/browser"
if [ -f "$browser_dir/package-lock.json" ] &&
   ! cmp -s "$browser_dir/package-lock.json" "$browser_dir/node_modules/.vigil-installed-lock"; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$browser_dir" --no-audit --no-fund --loglevel=error
  cp "$browser_dir/package-lock.json" "$browser_dir/node_modules/.vigil-installed-lock"
  echo "install-deps.sh: playwright-core installed in tests/browser/node_modules"
fi
