"""Build, execute and save walkthrough 01 (its cells live in ``_cells_a.py``).

Usage, from the repository root::

    .venv/bin/python notebooks/_build_a.py            # build and run it
    .venv/bin/python notebooks/_build_a.py --no-exec  # write it without outputs

See ``_nbtools.py`` for what building means: run in a fresh kernel, checked, saved with outputs.
"""

from __future__ import annotations

import sys

from _cells_a import NOTEBOOKS
from _nbtools import build_notebook

if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        build_notebook(name, cells, "cell", sys.argv[1:])
