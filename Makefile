# hadir — one entry point for setup, tests and the demo (prerequisites: README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STUBS := .stubs
REQ := requirements
LOCK := ../$(PY) -m uv pip compile --quiet --python-version 3.11 \
	--custom-compile-command "make lock"

.PHONY: setup system python unix-port test lint gates pytest device-tests board-test demo \
	screenshots lock clean

# The development set: system packages (Chromium, PostgreSQL's server), the Python venv with
# requirements/dev.txt (the collector's and the tools' locks and the test tools), Node packages
# and the ESP32 stubs.
setup: system python node_modules/.done $(STUBS)/.done unix-port

# MicroPython's 32-bit unix port rebuilt dynamically linked (a settable clock for TLS tests);
# up to date: nothing to do (tests/runner/unix.py).
unix-port: python
	$(PY) -m tests.runner.unix --build

system:
	PYTHON=$(PYTHON) bash tools/dev/setup-system.sh

python: $(VENV)/.done

$(VENV)/.done: $(REQ)/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(REQ)/dev.txt
	touch $@

node_modules/.done: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The ESP32 stubs live apart so that pyright checks device code against MicroPython's stdlib,
# not CPython's (see docs/development.md).
$(STUBS)/.done: $(REQ)/esp32-stubs.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps \
		--target $(STUBS) -r $(REQ)/esp32-stubs.txt
	touch $@

# Everything CI runs: static gates, then the host suite, then the device suite on real MicroPython:
# the WebAssembly port, and the 32-bit unix port with a heap limit per module (then the tap
# path's allocation tests once more with the terminal's code frozen into the interpreter); the
# board suite at CI size runs beside them on the other core (tools/dev/test-all.sh).
test: setup
	PY=$(PY) bash tools/dev/test-all.sh

# The board suite: the official MicroPython firmware on the emulated ESP32 (QEMU, from the
# machine's shared folder esp32-qemu; see docs/hardware.md). Without it, one line says so.
# `test` runs it at CI size (HADIR_BOARD_SIZE=ci: 6 live taps, 20 cuts on two boards);
# `board-test` at full size (12 live taps, 20 cuts on four boards).
board_suite = @if $(PY) -c 'import sys; from tests.kit.esp32 import qemu_dir; \
	sys.exit(qemu_dir() is None)'; \
	then HADIR_BOARD=1 HADIR_BOARD_SIZE=$(1) $(PY) -m pytest -q tests/board; \
	else echo "board suite: skipped: no shared/esp32-qemu here (the emulated ESP32)"; fi

board-test: python
	$(call board_suite,full)

lint: python
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The README demo: a simulated week of the deployment through the real firmware and collector.
# Python only: no browser, no PostgreSQL, no Node.
demo: python
	$(PY) -m tools.sim.fleet demo

device-tests: setup
	node tests/runner/mpy.mjs
	$(PY) -m tests.runner.unix
	$(PY) -m tests.runner.unix --frozen

# The dashboard screenshots in docs/screenshots/ (a plain test run writes them to a temp folder).
screenshots: setup
	HADIR_SCREENSHOTS=1 $(PY) -m pytest -q tests/sync/web/test_dashboard_browser.py \
		tests/sync/web/test_casework_browser.py

# Re-pin after editing requirements/*.in: dev.txt first, then each role at dev.txt's versions.
lock: python
	cd $(REQ) && $(LOCK) dev.in -o dev.txt
	cd $(REQ) && $(LOCK) -c dev.txt collector.in -o collector.txt
	cd $(REQ) && $(LOCK) -c dev.txt tools.in -o tools.txt

clean:
	rm -rf $(VENV) $(STUBS) node_modules build/micropython-unix
