#!/usr/bin/env bash
# test-all: everything `make test` runs once set up. The board suite (the emulated ESP32: QEMU,
# one core for minutes) runs beside the host and device suites, which use the other core, so a
# 2-core CI machine waits for the longer of the two, not their sum.
set -uo pipefail
PY="${PY:-.venv/bin/python}"
board_log=build/board-suite.log
mkdir -p build

board=""
if "$PY" -c 'import sys; from tests.kit.esp32 import qemu_dir; sys.exit(qemu_dir() is None)'; then
  HADIR_BOARD=1 HADIR_BOARD_SIZE=ci "$PY" -m pytest -q tests/board >"$board_log" 2>&1 &
  board=$!
  echo "board suite (CI size): started beside the other suites, output in $board_log"
else
  echo "board suite: skipped: no shared/esp32-qemu here (the emulated ESP32)"
fi

status=0
"$PY" -m tests.gates.run &&
  "$PY" -m pytest -q &&
  node tests/runner/mpy.mjs &&
  "$PY" -m tests.runner.unix &&
  "$PY" -m tests.runner.unix --frozen || status=1

if [ -n "$board" ]; then
  wait "$board" || status=1
  echo "--- board suite (CI size, emulated ESP32):"
  cat "$board_log"
fi
exit $status
