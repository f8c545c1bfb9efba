# valuegrad: `make demo` and `make test` set up everything on a fresh machine, and are idempotent.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.valuegrad-installed
# `make demo` installs only what the demo uses (the [demo] extra: graphviz, matplotlib, tqdm);
# `make test` and the others install everything (STAMP), which includes the demo's.
DEMO_STAMP := $(VENV)/.valuegrad-demo-installed
# PyTorch is the tests' oracle and the [torch] extra (nn.to_torch, python -m nn export). Pin it:
# this version installs the CPU build; an unpinned `torch` would pull in gigabytes of CUDA
# packages. The extra in pyproject.toml pins the same version (a test checks that they agree).
TORCH  := torch==2.13.0
EXTRAS := dev,viz,notebooks,datasets,bench,torch,docs

.PHONY: help setup setup-demo system-deps test lint typecheck pytest demo bench notebooks notebooks-build docs clean

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
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[demo]'
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
DOCS_OUT ?= build/docs
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -E -q -c docs . $(DOCS_OUT)
	@echo "The site is in $(DOCS_OUT): open $(DOCS_OUT)/index.html"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis runs build *.egg-info
