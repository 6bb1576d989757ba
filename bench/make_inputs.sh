#!/usr/bin/env bash
# Generate the standard benchmark inputs (see /work/shared/bench/README.md).
#
# usage: bench/make_inputs.sh [OUT_DIR]          (default /work/benchdata)
#
# Idempotent: a file already present in OUT_DIR is kept (delete it to
# regenerate). Files are written under a temporary name and renamed when
# complete, so an interrupted run never leaves a partial input behind.
#
#   synth-1g.pcap  synth_web_pcap.py --size-mb 1000 --seed 42 --names benign.txt
#                  --blocked gambling.list --blocked-rate 0.02 --keywords keywords1k.txt
#                  (deterministic: ~1.16 M packets, 1,000,000,166 bytes,
#                  sha256 7e2c8097...8fe7e71 with the shared script of 2026-11)
#   webmix.pcap    mergecap -a -F pcap of the corpus captures selected by:
#                  MANIFEST.tsv category in {web_apps, tls, quic, http, dns,
#                  doh_dot_doq} AND link_type == "ether" (190 files; mergecap
#                  cannot write mixed link types to one pcap), in MANIFEST order.
#   http-text.pcap bench/http_text_pcap.py --size-mb 400 --seed 7: plain-HTTP
#                  keep-alive connections with plain, gzip+chunked and brotli
#                  HTML, gzip JSON, images, HEAD and 304 (page-text benchmark;
#                  needs libbrotli1)
#
# Never write these into the repository.
#
# Environment: VIGIL_SHARED (default /work/shared) locates bench/ and corpus/;
# PYTHON (default /usr/bin/python3, Debian's, which has python3-cryptography).
set -euo pipefail

OUT=${1:-/work/benchdata}
SHARED=${VIGIL_SHARED:-/work/shared}
PYTHON=${PYTHON:-/usr/bin/python3}
BENCH_SRC=$SHARED/bench
CORPUS=$SHARED/corpus
WEB_CATEGORIES='^(web_apps|tls|quic|http|dns|doh_dot_doq)$'

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case "$OUT/" in
  "$(cd "$(dirname "$0")/.." && pwd)"/*)
    echo "make_inputs.sh: refusing to write inside the repository ($OUT)" >&2; exit 2 ;;
esac

# --- synth-1g.pcap ---------------------------------------------------------
synth=$OUT/synth-1g.pcap
if [[ -s $synth ]]; then
  echo "keep   $synth"
else
  echo "make   $synth"
  "$PYTHON" -c 'import cryptography' 2>/dev/null || {
    echo "make_inputs.sh: $PYTHON lacks the cryptography module (apt-get install python3-cryptography)" >&2
    exit 1; }
  tmp=$synth.part.$$
  trap 'rm -f "$tmp"' EXIT
  # the script takes relative list names: run it from its own folder
  (cd "$BENCH_SRC" && "$PYTHON" ./synth_web_pcap.py --out "$tmp" --size-mb 1000 --seed 42 \
      --names benign.txt --blocked gambling.list --blocked-rate 0.02 --keywords keywords1k.txt)
  mv -f "$tmp" "$synth"
  trap - EXIT
fi

# --- webmix.pcap -----------------------------------------------------------
webmix=$OUT/webmix.pcap
if [[ -s $webmix ]]; then
  echo "keep   $webmix"
else
  echo "make   $webmix"
  command -v mergecap >/dev/null || { echo "make_inputs.sh: mergecap missing (apt-get install wireshark-common)" >&2; exit 1; }
  mapfile -t sel < <(awk -F '\t' -v re="$WEB_CATEGORIES" -v dir="$CORPUS/pcap" \
      'NR > 1 && $2 ~ re && $4 == "ether" { print dir "/" $1 }' "$CORPUS/MANIFEST.tsv")
  if (( ${#sel[@]} == 0 )); then echo "make_inputs.sh: no captures selected from $CORPUS" >&2; exit 1; fi
  printf '%s\n' "${sel[@]##*/}" > "$OUT/webmix.files"
  tmp=$webmix.part.$$
  trap 'rm -f "$tmp"' EXIT
  mergecap -a -F pcap -w "$tmp" "${sel[@]}"
  mv -f "$tmp" "$webmix"
  trap - EXIT
  echo "       ${#sel[@]} captures merged (list: $OUT/webmix.files)"
fi

# --- http-text.pcap --------------------------------------------------------
httptext=$OUT/http-text.pcap
if [[ -s $httptext ]]; then
  echo "keep   $httptext"
else
  echo "make   $httptext"
  tmp=$httptext.part.$$
  trap 'rm -f "$tmp"' EXIT
  "$PYTHON" "$(dirname "$0")/http_text_pcap.py" --out "$tmp" --size-mb 400 --seed 7
  mv -f "$tmp" "$httptext"
  trap - EXIT
fi
