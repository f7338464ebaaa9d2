# hadir — one entry point for setup, tests and the demo. Needs only Python 3.11, Node 20, npm, make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STUBS := .stubs
NODE_MP := node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs

.PHONY: setup test lint gates pytest device-tests demo lock clean

setup: $(VENV)/.done node_modules/.done $(STUBS)/.done

$(VENV)/.done: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.done: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The ESP32 stubs live apart so that pyright checks device code against MicroPython's stdlib,
# not CPython's (see docs/development.md).
$(STUBS)/.done: requirements-stubs.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps \
		--target $(STUBS) -r requirements-stubs.txt
	touch $@

# Everything CI runs: static gates, then the host suite, then the device suite on real MicroPython.
test: setup
	$(PY) -m tests.gates.run
	$(PY) -m pytest -q
	node tests/runner/mpy.mjs

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The README demo: a simulated week of the deployment through the real firmware and collector.
demo: setup
	$(PY) -m tools.sim.fleet demo

device-tests: setup
	node tests/runner/mpy.mjs

lock:
	$(PY) -m pip freeze --exclude-editable > requirements.txt

clean:
	rm -rf $(VENV) $(STUBS) node_modules
