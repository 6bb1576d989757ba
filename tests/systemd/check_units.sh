#!/usr/bin/env bash
# Checks the units in systemd/ without a running systemd (works in a
# container where PID 1 is not systemd):
#   check_units.sh security UNIT_DIR  exposure of each service from
#       `systemd-analyze security --offline=true`, at most 2.5 (vigild's
#       limit in issue 5), plus the settings the design depends on
#   check_units.sh verify UNIT_DIR    `systemd-analyze verify` in a scratch
#       root holding the host's unit tree and stand-ins for the programs;
#       sysusers.d and tmpfiles.d applied to that root (tmpfiles only as
#       root: it chowns)
# Exit 77 (skipped) when the systemd tools are not installed.
set -euo pipefail

mode=${1:?usage: check_units.sh security|verify UNIT_DIR}
units=${2:?usage: check_units.sh security|verify UNIT_DIR}
limit=2.5
services=(vigild.service vigil-console.service vigil-report.service)

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
  exit 77
fi

fail=0
bad() {
  echo "FAIL: $*"
  fail=1
}

security() {
  # systemd 252's --threshold takes the exposure times ten, as an integer.
  local threshold_arg=()
  if systemd-analyze --help | grep -q -- '--threshold'; then
    threshold_arg=(--threshold="$(awk -v l="$limit" 'BEGIN { printf "%d", l * 10 }')")
  fi
  for s in "${services[@]}"; do
    local out rc=0
    out=$(systemd-analyze security --offline=true "${threshold_arg[@]}" --no-pager \
      "$units/$s" 2>&1) || rc=$?
    local level
    level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -z "$level" ]; then
      printf '%s\n' "$out"
      bad "$s: no overall exposure level in the output"
      continue
    fi
    echo "$s: exposure $level (limit $limit)"
    if [ "$rc" -ne 0 ] || awk -v x="$level" -v l="$limit" 'BEGIN { exit !(x > l) }'; then
      printf '%s\n' "$out" | grep '✗' || true
      bad "$s: exposure $level is above $limit"
    fi
  done

  # What the rest of Vigil relies on (a lower score must not come from
  # dropping these).
  local f="$units/vigild.service"
  for line in 'Type=notify' 'NotifyAccess=main' 'WatchdogSec=30s' \
    'ExecStartPre=/usr/sbin/vigild --config /etc/vigil/vigil.toml --check-config' \
    'ExecStart=/usr/sbin/vigild --config /etc/vigil/vigil.toml' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' 'User=vigil' 'Group=vigil' \
    'AmbientCapabilities=CAP_NET_RAW' 'CapabilityBoundingSet=CAP_NET_RAW' \
    'ProtectSystem=strict' 'StateDirectory=vigil' 'RuntimeDirectory=vigil' \
    'LogsDirectory=vigil' 'ConfigurationDirectory=vigil'; do
    grep -qxF -- "$line" "$f" || bad "vigild.service: missing \"$line\""
  done
  grep -qxF 'CapabilityBoundingSet=' "$units/vigil-console.service" ||
    bad "vigil-console.service: must have no capabilities"
  grep -qxF 'ExecStart=/usr/bin/vigilctl report monthly --config /etc/vigil/vigil.toml --month last --force --notify' \
    "$units/vigil-report.service" || bad "vigil-report.service: unexpected ExecStart"
  grep -qxF 'OnCalendar=*-*-01 06:00:00' "$units/vigil-report.timer" ||
    bad "vigil-report.timer: not on the 1st of the month"
}

verify() {
  local unit_tree=""
  for d in /usr/lib/systemd/system /lib/systemd/system; do
    if [ -f "$d/sysinit.target" ]; then
      unit_tree=$d
      break
    fi
  done
  if [ -z "$unit_tree" ]; then
    echo "SKIP: no systemd unit tree (sysinit.target) to verify against"
    exit 77
  fi
  root=$(mktemp -d "${TMPDIR:-/tmp}/vigil-units-XXXXXX")
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system" "$root/usr/sbin" "$root/usr/bin" \
    "$root/bin" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
  cp -r "$unit_tree" "$root/usr/lib/systemd/system"
  # Stand-ins: verify checks that every Exec*= program exists and is executable.
  for p in usr/sbin/vigild usr/sbin/vigil-console usr/bin/vigilctl bin/kill; do
    printf '#!/bin/sh\nexit 0\n' >"$root/$p"
    chmod 0755 "$root/$p"
  done
  local names=(vigild.service vigil-console.service vigil-report.service vigil-report.timer)
  local paths=()
  for u in "${names[@]}"; do
    cp "$units/$u" "$root/etc/systemd/system/$u"
    paths+=("$root/etc/systemd/system/$u")
  done
  # Unknown keys and bad values are only warnings (status 0): any output fails.
  local out rc=0
  out=$(systemd-analyze verify --man=false --generators=false --root="$root" "${paths[@]}" 2>&1) ||
    rc=$?
  if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
    printf '%s\n' "$out"
    bad "systemd-analyze verify (status $rc)"
  else
    echo "systemd-analyze verify: ${names[*]} clean"
  fi

  cp "$units/sysusers.d/vigil.conf" "$root/usr/lib/sysusers.d/vigil.conf"
  cp "$units/tmpfiles.d/vigil.conf" "$root/usr/lib/tmpfiles.d/vigil.conf"
  if ! out=$(systemd-sysusers --root="$root" 2>&1); then
    printf '%s\n' "$out"
    bad "systemd-sysusers"
  fi
  local pw
  pw=$(grep '^vigil:' "$root/etc/passwd" || true)
  local uid gid home shell
  IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
  if [ -z "$pw" ] || [ "$home" != /var/lib/vigil ] || [ "$shell" != /usr/sbin/nologin ] ||
    [ "$uid" -ge 1000 ]; then
    bad "sysusers: expected a system user vigil with home /var/lib/vigil, got \"$pw\""
  elif ! grep -q "^vigil:x:$gid:" "$root/etc/group"; then
    bad "sysusers: no group vigil with gid $gid"
  else
    echo "sysusers: $pw"
  fi

  if [ "$(id -u)" -ne 0 ]; then
    echo "tmpfiles: not checked (systemd-tmpfiles --create chowns: run as root)"
    return
  fi
  if ! out=$(systemd-tmpfiles --root="$root" --create 2>&1); then
    printf '%s\n' "$out"
    bad "systemd-tmpfiles --create"
  fi
  while read -r path want; do
    local got
    got=$(stat -c '%a %u %g' "$root$path" 2>/dev/null || echo missing)
    if [ "$got" != "$want" ]; then
      bad "tmpfiles: $path is \"$got\", expected \"$want\""
    else
      echo "tmpfiles: $path $got"
    fi
  done <<EOT
/etc/vigil 750 0 $gid
/var/lib/vigil 750 $uid $gid
/var/lib/vigil/reports 750 $uid $gid
/var/lib/vigil/console 700 $uid $gid
/var/log/vigil 750 $uid $gid
EOT
}

case "$mode" in
  security) security ;;
  verify) verify ;;
  *)
    echo "usage: check_units.sh security|verify UNIT_DIR" >&2
    exit 2
    ;;
esac
exit "$fail"
