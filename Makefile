# valuegrad: `make demo` and `make test` set up everything on a fresh machine, and are idempotent.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.valuegrad-installed
# `make demo` installs only what the demo uses (the [demo] extra: graphviz, matplotlib, tqdm);
# `make test` and the others install everything (STAMP), which includes the demo's.
DEMO_STAMP := $(VENV)/.valuegrad-demo-installed
# --no-compile: Python compiles what the demo imports on first use; compiling all of matplotlib and
# numpy up front took a third of the install (a fresh `make demo`: 37 s with it, 27 s without).
# PyTorch is the tests' oracle and the [torch] extra (nn.to_torch, python -m nn export). Pin it:
# this version installs the CPU build; an unpinned `torch` would pull in gigabytes of CUDA
# packages. The extra in pyproject.toml pins the same version (a test checks that they agree).
TORCH  := torch==2.13.0
EXTRAS := dev,viz,notebooks,datasets,bench,torch,docs

.PHONY: help setup setup-demo system-deps test lint typecheck pytest demo bench notebooks notebooks-build docs clean js js-deps

help:
	@echo "make demo       set up, then train an MLP on the moons and draw a neuron's backprop"
	@echo "make test       set up, then run ruff, mypy, pytest and the notebooks"
	@echo "make bench      set up, then run the benchmarks beside micrograd and PyTorch"
	@echo "make notebooks  set up, then open Jupyter Lab on notebooks/"
	@echo "make notebooks-build [NB=\"02 07\"]  rerun the notebooks (all by default) and save their outputs"
	@echo "make docs       set up, then build the documentation site into build/docs"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]' '$(TORCH)'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP) $(DEMO_STAMP)

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -e '.[demo]'
	touch $(DEMO_STAMP)

# System programs: installed with apt-get when we are root, otherwise we say how. The demo
# draws with Graphviz's `dot`; the tests also open the backprop player in headless Chromium.
system-deps:
	@bash .ci/system-deps.sh graphviz chromium

setup: $(STAMP) system-deps

setup-demo: $(DEMO_STAMP)
	@bash .ci/system-deps.sh graphviz

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(PY) -m pytest -q

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	@$(MAKE) --no-print-directory js
	$(PY) -m pytest -q

# The main job: train an MLP on the two moons (progress bar, accuracy, model.json, loss.png,
# boundary.png in runs/moons), then draw one neuron's graph and its backprop player (runs/neuron).
demo: setup-demo
	$(PY) -m nn train --dataset moons --out runs/moons
	$(PY) -m autograd demo --out runs/neuron

bench: setup
	$(PY) benchmarks/run.py

notebooks: setup
	$(VENV)/bin/jupyter lab notebooks/

# Each notebook is a jupytext pair, NN_name.py (the source) and NN_name.ipynb (with outputs): run the
# .py files (all of them, or those named in NB) in a fresh kernel and save the .ipynb files.
NB ?=
notebooks-build: setup
	$(PY) notebooks/build.py $(NB)

# The documentation site: the README, every notebook with its saved outputs (none is run) and the
# API reference from the docstrings. The source folder is the repository and docs/ the configuration;
# -W makes any warning fail the build, and -E reads every page afresh, so no warning is ever skipped.
# The playground (playground/ in the site: valuegrad in Pyodide) is assembled after the pages by
# docs/_ext/playground.py, which needs npm: it fetches the pinned Pyodide and Graphviz in WebAssembly.
DOCS_OUT ?= build/docs
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -E -q -c docs . $(DOCS_OUT)
	@echo "The site is in $(DOCS_OUT): open $(DOCS_OUT)/index.html"
	@echo "The playground needs a web server: python -m http.server -d $(DOCS_OUT), then open http://127.0.0.1:8000/playground/"

# The front end's JavaScript (the player, the explorer, the playground): ESLint, then the unit tests of
# its pure functions with Node's test runner. The tools are pinned in tests/js/package-lock.json and
# installed there (npm ci, again only when the lock changes). Without node and npm this is skipped
# with a note, except under CI=true, where it fails.
JS        := tests/js
JS_STAMP  := $(JS)/node_modules/.valuegrad-installed
JS_FILES   = autograd/viz/*.js nn/explore/static/*.js $(wildcard docs/playground/*.js) $(JS)/*.mjs
js:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	    echo "node and npm are missing: the JavaScript is neither linted nor tested (apt-get install nodejs npm)" >&2; \
	    if [ "$${CI:-}" = true ]; then exit 1; fi; \
	else \
	    $(MAKE) --no-print-directory js-deps && \
	    $(JS)/node_modules/.bin/eslint --max-warnings 0 -c $(JS)/eslint.config.mjs $(JS_FILES) && \
	    node --test $(JS)/; \
	fi

js-deps: $(JS_STAMP)
$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json
	npm ci --prefix $(JS) --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis runs build *.egg-info $(JS)/node_modules docs/playground/node_modules
