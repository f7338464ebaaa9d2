#!/usr/bin/env bash
# setup-system: what `make test` needs from the system, installed or asked for (make setup).
# SPDX-License-Identifier: MIT
#
# Needed: Python 3.11+ with venv, Node.js 20+ with npm, make, Chromium (the dashboard's browser
# tests), PostgreSQL's server programs initdb and pg_ctl (the collector's tests run on a
# throwaway server), HAProxy (several collector processes behind one balancer, tests and the city
# bench), PgBouncer (the collector behind a transaction pooler, tests) and gcc -m32 (MicroPython's
# 32-bit unix port, rebuilt for the device suite). Found on PATH; PostgreSQL also in
# $PG_LIB/*/bin and PgBouncer and HAProxy also in /usr/sbin, where Debian puts them.
# Missing Debian packages are installed when this runs as root with apt-get (as CI does);
# otherwise it prints the exact command to run and exits 1. `--check` only reports.
set -euo pipefail

PYTHON=${PYTHON:-python3}
PG_LIB=${PG_LIB:-/usr/lib/postgresql}
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

# Debian's and Ubuntu's names, as tests/kit/prereq.py looks for it.
have_chromium() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

have_pg() {
  local bin
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then return 0; fi
  for bin in "$PG_LIB"/*/bin; do
    if [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ]; then return 0; fi
  done
  return 1
}

have_haproxy() {
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]
}

have_pgbouncer() {
  command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]
}

have_python() {
  command -v "$PYTHON" >/dev/null 2>&1 &&
    "$PYTHON" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

have_gcc_m32() {
  # a here-string, not a pipe: with pipefail, a compiler that exits before reading makes
  # echo die of SIGPIPE and the check fail at random
  gcc -m32 -x c -o /dev/null - <<<'int main(void) { return 0; }' >/dev/null 2>&1
}

node_major() { node -v 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'; }

# What is missing: Debian packages (installable here) and notes for what apt cannot fix here.
missing() {
  packages=()
  notes=()
  have_chromium || packages+=(chromium)
  have_pg || packages+=(postgresql)
  have_haproxy || packages+=(haproxy)
  have_pgbouncer || packages+=(pgbouncer)
  have_gcc_m32 || packages+=(gcc-multilib)
  if ! have_python; then
    if command -v "$PYTHON" >/dev/null 2>&1 &&
      "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      packages+=(python3-venv)
    else
      notes+=("Python 3.11 or newer as $PYTHON (Debian 12 and later: python3 python3-venv)")
    fi
  fi
  local major
  major=$(node_major)
  if [ -z "$major" ] || [ "$major" -lt 20 ]; then
    local found
    found=$(node -v 2>/dev/null || echo none)
    notes+=("Node.js 20 or newer and npm (found: $found; Debian 13 and later: nodejs npm)")
  elif ! command -v npm >/dev/null 2>&1; then
    packages+=(npm)
  fi
  command -v make >/dev/null 2>&1 || packages+=(make)
}

report() {
  local note
  for note in "${notes[@]+"${notes[@]}"}"; do echo "hadir setup: missing: $note" >&2; done
  if [ ${#packages[@]} -gt 0 ]; then
    echo "hadir setup: missing system packages: ${packages[*]}. Install them, then make again:" >&2
    echo "    sudo apt-get install -y --no-install-recommends ${packages[*]}" >&2
  fi
}

missing
if [ ${#packages[@]} -eq 0 ] && [ ${#notes[@]} -eq 0 ]; then
  echo "hadir setup: system prerequisites present"
  exit 0
fi
if [ $check_only = 1 ] || [ ${#notes[@]} -gt 0 ] || [ "$(id -u)" != 0 ] ||
  ! command -v apt-get >/dev/null 2>&1; then
  report
  exit 1
fi
echo "hadir setup: installing ${packages[*]} (apt-get, as root)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
missing
if [ ${#packages[@]} -gt 0 ]; then
  echo "hadir setup: still missing after apt-get install:" >&2
  report
  exit 1
fi
echo "hadir setup: system prerequisites present"
