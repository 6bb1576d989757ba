#!/usr/bin/env bash
# Throughput of Vigil's extractor against peers on one capture, single core.
#
# usage: bench/run_peers.sh [-n N] [-o DIR] [-t TOOLS] [-c CPU] [--no-warm] FILE
#   -n N       runs per tool (default 1); wall, CPU (user+sys) and the rates
#              are medians over the runs (rates from the median wall), wall_min
#              the fastest run, peak RSS the maximum over the runs
#   -o DIR     raw output folder (default $RESULTS_DIR or
#              /work/benchdata/results, plus /<file>-<timestamp>)
#   -t TOOLS   comma list out of ndpi,tshark,vigilctl,vigilctl-nc (default
#              ndpi,tshark,vigilctl; vigilctl* is skipped when its binary is
#              missing)
#   -c CPU     CPU to pin to with taskset (default 0)
#   --no-warm  do not read FILE once into the page cache before timing
#
# Tools (each pinned with taskset -c CPU, measured with /usr/bin/time -v):
#   ndpi      ndpiReader -i FILE                 (stdout kept: nDPI's own
#             "nDPI throughput" / "Unique flows" / processing-time lines)
#   tshark    tshark -n -r FILE -Y <filter> -T fields <make-truth.sh fields> > /dev/null
#   vigilctl  $VIGILCTL extract FILE > /dev/null (default
#             <repo>/build/release/admin/vigilctl/vigilctl)
#   vigilctl-nc  the same with --no-classify (nDPI off: its share of the time)
#
# Output: a table, ratios of vigilctl against each peer (speed from the
# median wall, from the fastest wall and from the median CPU time), and one
# machine-readable line per tool starting with "tsv<TAB>" (columns in the
# "tsv<TAB>input..." header line). The same TSV goes to DIR/summary.tsv.
# Packets and bytes are the file's (capinfos: packet count and sum of
# captured lengths); Mbit/s = bytes*8/wall. On a busy machine wall_s can
# exceed cpu_s by tens of percent (other processes share the pinned CPU):
# then prefer wall_min_s / cpu_s, and check loadavg in DIR/info.txt (also
# holds the vigilctl binary's sha256 and the repository commit and dirty
# files at run time; copy the binary away if others rebuild meanwhile).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
N=1 OUTROOT=${RESULTS_DIR:-/work/benchdata/results} OUTDIR= TOOLS=ndpi,tshark,vigilctl CPU=0 WARM=1
VIGILCTL=${VIGILCTL:-$repo/build/release/admin/vigilctl/vigilctl}

die() { echo "run_peers.sh: $*" >&2; exit 2; }
while (( $# )); do
  case $1 in
    -n) N=$2; shift 2 ;;
    -o) OUTDIR=$2; shift 2 ;;
    -t) TOOLS=$2; shift 2 ;;
    -c) CPU=$2; shift 2 ;;
    --no-warm) WARM=0; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
(( $# == 1 )) || die "need exactly one input FILE (see --help)"
FILE=$(readlink -f "$1")
[[ -r $FILE ]] || die "cannot read $1"
[[ $N =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer"
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (apt-get install time)"
base=$(basename "$FILE")
OUTDIR=${OUTDIR:-$OUTROOT/${base%.*}-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUTDIR"

# ---- input facts ------------------------------------------------------------
read -r PKTS BYTES < <(capinfos -T -M -r -c -d "$FILE" | awk -F '\t' '{print $2, $3}')
FILE_BYTES=$(stat -c %s "$FILE")
(( WARM )) && cat "$FILE" > /dev/null

TSHARK_ARGS=(-n -r "$FILE"
  -Y 'dns || tls.handshake.type == 1 || gquic.tag.sni || http.request'
  -T fields -E separator=/t -E quote=n -E occurrence=a -E aggregator=$'\x1f'
  -e frame.number -e frame.protocols -e _ws.col.Source -e _ws.col.Destination
  -e tcp.stream -e udp.stream
  -e dns.flags.response -e dns.qry.name -e dns.a -e dns.aaaa
  -e tls.handshake.extensions_server_name -e gquic.tag.sni
  -e http.request.method -e http.host -e http.request.uri)

tool_cmd() {   # fills CMD (array) and STDOUT_TO for tool $1
  case $1 in
    ndpi)     CMD=(ndpiReader -i "$FILE"); STDOUT_TO=keep ;;
    tshark)   CMD=(tshark "${TSHARK_ARGS[@]}"); STDOUT_TO=null ;;
    vigilctl) CMD=("$VIGILCTL" extract "$FILE"); STDOUT_TO=null ;;
    vigilctl-nc) CMD=("$VIGILCTL" extract --no-classify "$FILE"); STDOUT_TO=null ;;
    *) die "unknown tool $1" ;;
  esac
}

{
  echo "# input $FILE"
  echo "# file_bytes $FILE_BYTES packets $PKTS captured_bytes $BYTES"
  echo "# host $(hostname) $(uname -r) nproc $(nproc) cpu=$CPU reps=$N warm=$WARM"
  echo "# loadavg_before $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# versions: $(ndpiReader -h 2>&1 | grep -m1 -o 'nDPI [0-9.]*' || true) | $(tshark -v 2>/dev/null | head -1)"
  echo "# vigilctl $VIGILCTL mtime $(stat -c %y "$VIGILCTL" 2>/dev/null || echo missing)" \
       "sha256 $(sha256sum < "$VIGILCTL" 2>/dev/null | cut -c1-16)"
  echo "# repo at run time (not necessarily the binary's source): $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')" \
       "dirty: $(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | awk '{printf "%s ", $2}')"
} > "$OUTDIR/info.txt"

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "NA"; exit} if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

declare -A R   # results: R[tool,key]
ran=()
IFS=, read -ra tools <<< "$TOOLS"
for t in "${tools[@]}"; do
  if [[ $t == vigilctl* && ! -x $VIGILCTL ]]; then
    echo "skip $t: $VIGILCTL not found" | tee -a "$OUTDIR/info.txt" >&2; continue
  fi
  tool_cmd "$t"
  printf '%q ' taskset -c "$CPU" "${CMD[@]}" > "$OUTDIR/$t.cmd"; echo >> "$OUTDIR/$t.cmd"
  walls=() users=() syss=() rss_max=0 rc_all=0
  for ((i = 1; i <= N; i++)); do
    out=$OUTDIR/$t.$i.out tv=$OUTDIR/$t.$i.time err=$OUTDIR/$t.$i.err
    [[ $STDOUT_TO == null ]] && out=/dev/null
    t0=$(date +%s%N)
    set +e
    taskset -c "$CPU" /usr/bin/time -v -o "$tv" "${CMD[@]}" > "$out" 2> "$err"
    rc=$?
    set -e
    t1=$(date +%s%N)
    (( rc != 0 )) && rc_all=$rc
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')")
    users+=("$(awk -F': ' '/User time/{print $2}' "$tv")")
    syss+=("$(awk -F': ' '/System time/{print $2}' "$tv")")
    rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tv")
    (( rss > rss_max )) && rss_max=$rss
    echo "$t run $i: wall ${walls[-1]} s rc $rc rss ${rss} kB" >&2
  done
  [[ -s $OUTDIR/$t.1.err ]] || rm -f "$OUTDIR/$t".*.err
  w=$(printf '%s\n' "${walls[@]}" | median)
  R[$t,wall]=$w
  R[$t,wmin]=$(printf '%s\n' "${walls[@]}" | sort -g | head -1)
  R[$t,cpu]=$(paste <(printf "%s\n" "${users[@]}") <(printf "%s\n" "${syss[@]}") | awk "{print \$1+\$2}" | median)
  R[$t,rss]=$rss_max
  R[$t,rc]=$rc_all
  R[$t,pps]=$(awk -v p="$PKTS" -v w="$w" 'BEGIN{printf "%.0f", (w>0 ? p/w : 0)}')
  R[$t,mbps]=$(awk -v b="$BYTES" -v w="$w" 'BEGIN{printf "%.1f", (w>0 ? b*8/w/1e6 : 0)}')
  note=
  if [[ $t == ndpi ]]; then
    # nDPI's own view (of the median run, else run 1): flows, its
    # packet-processing time and throughput
    mi=1
    for ((i = 0; i < N; i++)); do [[ ${walls[i]} == "$w" ]] && { mi=$((i + 1)); break; }; done
    o=$OUTDIR/ndpi.$mi.out
    note="flows=$(awk -F: '/Unique flows/{gsub(/ /,"",$2); print $2; exit}' "$o")"
    note+=";proc_time=$(awk -F: '/Packet Processing Time/{gsub(/^ +| +$/,"",$2); print $2; exit}' "$o")"
    note+=";ndpi_throughput=$(awk -F: '/nDPI throughput/{gsub(/^ +| +$/,"",$2); print $2; exit}' "$o")"
    note+=";peak_mem=$(awk -F: '/Peak Memory/{gsub(/^ +| +$/,"",$2); print $2; exit}' "$o")"
    note=${note// /_}
  fi
  R[$t,note]=${note:--}
  ran+=("$t")
done
echo "# loadavg_after $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUTDIR/info.txt"

# ---- report -------------------------------------------------------------------
{
  printf 'tsv\tinput\ttool\treps\twall_s\twall_min_s\tcpu_s\tpackets\tpkts_per_s\tbytes\tmbit_per_s\tpeak_rss_kb\texit\tnote\n'
  for t in "${ran[@]}"; do
    printf 'tsv\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$base" "$t" "$N" \
      "${R[$t,wall]}" "${R[$t,wmin]}" "${R[$t,cpu]}" "$PKTS" "${R[$t,pps]}" "$BYTES" "${R[$t,mbps]}" \
      "${R[$t,rss]}" "${R[$t,rc]}" "${R[$t,note]}"
  done
} > "$OUTDIR/summary.tsv"

echo "input $FILE: $FILE_BYTES bytes, $PKTS packets, $BYTES captured bytes; cpu $CPU, $N run(s)"
printf '%-11s %9s %9s %9s %12s %9s %11s %4s  %s\n' tool wall_s wall_min cpu_s pkts/s Mbit/s peakRSS_MB rc note
for t in "${ran[@]}"; do
  printf '%-11s %9s %9s %9s %12s %9s %11s %4s  %s\n' "$t" "${R[$t,wall]}" "${R[$t,wmin]}" "${R[$t,cpu]}" "${R[$t,pps]}" \
    "${R[$t,mbps]}" "$(awk -v k="${R[$t,rss]}" 'BEGIN{printf "%.1f", k/1024}')" "${R[$t,rc]}" "${R[$t,note]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b>0?a/b:0)}'; }
if [[ -n ${R[vigilctl,wall]:-} ]]; then
  echo "vigilctl vs peers (speed = peer time / vigilctl time, from the median wall," \
       "the fastest wall and the median CPU; memory = vigilctl peak RSS / peer peak RSS):"
  for t in "${ran[@]}"; do
    [[ $t == vigilctl ]] && continue
    s_w=$(ratio "${R[$t,wall]}" "${R[vigilctl,wall]}")
    s_m=$(ratio "${R[$t,wmin]}" "${R[vigilctl,wmin]}")
    s_c=$(ratio "${R[$t,cpu]}" "${R[vigilctl,cpu]}")
    m=$(ratio "${R[vigilctl,rss]}" "${R[$t,rss]}")
    printf '  vs %-11s speed x%s (wall_min x%s, cpu x%s)  memory x%s\n' "$t" "$s_w" "$s_m" "$s_c" "$m"
    printf 'tsv_ratio\t%s\tvigilctl/%s\tspeedup\t%s\trss_ratio\t%s\tspeedup_wall_min\t%s\tspeedup_cpu\t%s\n' \
      "$base" "$t" "$s_w" "$m" "$s_m" "$s_c" >> "$OUTDIR/summary.tsv"
  done
fi
cat "$OUTDIR/summary.tsv"
echo "raw output: $OUTDIR"
