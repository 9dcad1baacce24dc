# Dotscience for JupyterLab: the two commands of the README, and helpers.
#   make lab    set up everything from nothing and start JupyterLab with the extension
#   make test   set up everything from nothing and run every test (the short versions)
#   make test-long  the long fuzz/soak/reliability runs make test leaves out
#   make bench  run the benchmarks and print a table
SHELL := /bin/bash
.DEFAULT_GOAL := lab

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMPS := $(VENV)/.stamps
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PORT ?= 8888
LAB_ROOT ?= $(CURDIR)/examples
export PATH := $(BIN):$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: lab test test-long setup lint jest pytest pytest-long ui-test screenshots bench bump \
	clean system-deps fuzz

# ---- set-up ----------------------------------------------------------------------------
$(STAMPS)/venv:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	mkdir -p $(STAMPS) && touch $@

node_modules/.stamp: package.json $(STAMPS)/venv
	npm install --no-audit --no-fund
	touch $@

# The project's Python dependencies (its own, dev and test: most of the set-up's time)
# install beside the npm installs; the project itself, whose build needs node_modules,
# after them.
$(STAMPS)/deps: pyproject.toml $(STAMPS)/venv
	$(PY) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	  print(*p["dependencies"], *p["optional-dependencies"]["dev"], \
	        *p["optional-dependencies"]["test"], sep="\n")' > $(STAMPS)/deps.txt
	$(PY) -m pip install -q -r $(STAMPS)/deps.txt
	touch $@

$(STAMPS)/python: pyproject.toml hatch_build.py node_modules/.stamp $(STAMPS)/deps
	$(PY) -m pip install -q -e ".[dev,test]"
	touch $@

# The frontend is rebuilt whenever a source file changes.
jupyterlab_dotscience/labextension/package.json: $(STAMPS)/python $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json
	npm run build
	$(BIN)/jupyter-builder develop --overwrite . >/dev/null
	$(BIN)/jupyter server extension enable --sys-prefix jupyterlab_dotscience >/dev/null
	touch $@

setup: jupyterlab_dotscience/labextension/package.json

# Debian packages the tests need: Chromium for the UI tests, PostgreSQL for the team store.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

ui-tests/node_modules/.stamp: ui-tests/package.json
	cd ui-tests && npm install --no-audit --no-fund
	touch $@

# JupyterHub's proxy (configurable-http-proxy) for the hub test (tests/hub).
tests/hub/node_modules/.stamp: tests/hub/package.json
	cd tests/hub && npm install --no-audit --no-fund
	touch $@

# ---- the main job ------------------------------------------------------------------------
lab: setup
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --no-browser $(ROOT_FLAG) \
	  --ServerApp.root_dir="$(LAB_ROOT)" "$(LAB_ROOT)/quickstart.ipynb"

# ---- tests -------------------------------------------------------------------------------
lint: setup ui-tests/node_modules/.stamp
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	npm run lint:check
	npm run --silent check:generated  # src/api/openapi.ts, src/kernel/protocol.ts up to date
	npx tsc --noEmit -p tsconfig.test.json  # the Jest tests type-check (Jest only transpiles)
	cd ui-tests && npx tsc --noEmit -p .  # the UI tests type-check

# One Jest worker per core (Jest's default leaves one core to its mostly idle main process).
# tsconfig.test.json's isolatedModules has ts-jest transpile each file alone; lint type-checks.
jest: setup
	npm test -- --maxWorkers=$$(nproc)

# Two pytest-xdist workers (this machine has 2 cores), each test file on one worker so a
# module's server is started once; every server a test starts picks its worker's free port.
# The fuzz file runs on its own with --dist load: schemathesis gives all its operations one
# test id, which --dist loadfile would collapse into one (only the first route fuzzed).
# Tests marked slow (the long fuzz, soak and reliability runs) are left to make test-long.
# Byte code is cached even where PYTHONDONTWRITEBYTECODE is set (as on this machine): else
# every worker, and every server and kernel a test starts, compiles the project's modules
# anew, and pytest rewrites every test module's asserts on every run (__pycache__ is ignored).
pytest pytest-long fuzz: export PYTHONDONTWRITEBYTECODE =
PYTEST_WORKERS ?= 2
PYTEST_ARGS := -n $(PYTEST_WORKERS) --dist loadfile --ignore=tests/server/test_fuzz.py
FUZZ_ARGS := -n $(PYTEST_WORKERS) --dist load tests/server/test_fuzz.py
pytest: setup system-deps tests/hub/node_modules/.stamp ui-tests/node_modules/.stamp
	@fail=0; \
	$(PY) -m pytest $(PYTEST_ARGS) -m "not slow" || fail=1; \
	$(PY) -m pytest $(FUZZ_ARGS) -m "not slow" || fail=1; \
	exit $$fail

pytest-long: setup system-deps
	@fail=0; \
	$(PY) -m pytest $(PYTEST_ARGS) -m slow || fail=1; \
	$(PY) -m pytest $(FUZZ_ARGS) -m slow || fail=1; \
	exit $$fail

ui-test: setup system-deps ui-tests/node_modules/.stamp
	cd ui-tests && npx playwright test

# Fuzz every REST route for longer than make test does (its fuzz test uses a fixed seed),
# with a random seed that is printed first: make fuzz SEED=<n> replays a run. The property
# tests run with random (not derandomized) examples here too.
FUZZ_EXAMPLES ?= 300
fuzz: setup
	@seed=$(if $(SEED),$(SEED),$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')); \
	echo "make fuzz: seed $$seed, $(FUZZ_EXAMPLES) examples per operation (replay: make fuzz SEED=$$seed)"; \
	DOTSCIENCE_FUZZ_SEED=$$seed DOTSCIENCE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	  DOTSCIENCE_HYPOTHESIS_PROFILE=random \
	  $(PY) -m pytest tests/server/test_fuzz.py tests/store/test_validate.py \
	    tests/kernel/test_files.py tests/kernel/test_classes.py -q -m "not slow"

# Refresh the images in docs/screenshots (the UI tests take them).
screenshots: setup system-deps ui-tests/node_modules/.stamp
	cd ui-tests && DOCS_SCREENSHOTS=1 npx playwright test

# Sets up first, three jobs at a time (the UI tests' and the hub's npm installs and the
# Debian packages beside the extension's chain: venv, npm install, pip install, build);
# then runs every suite even when one fails, reports, and exits non-zero on any failure.
test:
	@$(MAKE) --no-print-directory -j3 --output-sync=target setup system-deps \
	  ui-tests/node_modules/.stamp tests/hub/node_modules/.stamp
	@fail=0; \
	$(MAKE) --no-print-directory lint || fail=1; \
	$(MAKE) --no-print-directory jest || fail=1; \
	$(MAKE) --no-print-directory pytest || fail=1; \
	$(MAKE) --no-print-directory ui-test || fail=1; \
	if [ $$fail = 0 ]; then echo "make test: every suite passed"; else echo "make test: FAILED (see above)"; fi; \
	exit $$fail

# The long runs (CI runs them after make test): many fuzz examples per route, the 8 x 200
# publishes soak, the SIGKILL loop, the wheel built and installed into a fresh virtualenv.
test-long: setup system-deps
	@$(MAKE) --no-print-directory pytest-long && echo "make test-long: passed" \
	  || (echo "make test-long: FAILED (see above)"; exit 1)

# ---- benchmarks --------------------------------------------------------------------------
$(STAMPS)/bench: bench/requirements.txt $(STAMPS)/python
	$(PY) -m pip install -q -r bench/requirements.txt
	touch $@

bench: setup system-deps $(STAMPS)/bench
	$(PY) bench/run.py

# ---- maintenance -------------------------------------------------------------------------
# make bump VERSION=0.2.0: one version for the frontend, server extension and kernel library.
bump:
	@test -n "$(VERSION)" || (echo "usage: make bump VERSION=x.y.z" && exit 2)
	npm version --no-git-tag-version --allow-same-version $(VERSION)
	rm -f $(STAMPS)/python
	$(MAKE) setup
	@$(PY) -c "import dotscience, jupyterlab_dotscience as j; print('kernel library', dotscience.__version__, '| server', j.__version__)"

clean:
	rm -rf $(VENV) node_modules ui-tests/node_modules lib jupyterlab_dotscience/labextension tsconfig.tsbuildinfo
