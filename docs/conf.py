"""Sphinx configuration of valuegrad's documentation site.

``make docs`` runs ``sphinx-build -W --keep-going -E -c docs . build/docs``: the configuration is
here, the source folder is the repository itself, and any warning fails the build. The site is
made of three parts, none of them copied: ``README.md`` as it is (its links to the notebooks and
its pictures resolve as they do on GitHub), every ``notebooks/NN_name.ipynb`` with the outputs
saved in it (nothing is executed), and the API reference read from the docstrings (``docs/api``).
The pages load nothing from the network, so the site works offline.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# Document the autograd and nn of this checkout, whatever is installed; _ext holds our extensions.
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

from autograd import __version__  # noqa: E402

project = "valuegrad"
author = "The valuegrad developers"
copyright = "the valuegrad developers"
release = version = __version__

extensions = [
    "myst_nb",  # Markdown (MyST) pages and notebooks; it brings myst_parser along
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # the few docstrings with an "Args:" section
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into the site instead of loaded from a CDN
    "optable",  # the op table of autograd.ops, read from autograd.ops.OPS
    "widget_snapshot",  # saved ipywidgets shown as they were saved, without widget JavaScript
    "player_embed",  # the backprop player itself, made from the library at build time
]

# The source folder is the repository, and only these files in it are pages. A notebook added as
# notebooks/NN_name.ipynb is picked up by the pattern here and by the glob of the home page's toctree.
root_doc = "docs/index"
include_patterns = ["docs/index.md", "docs/reading.md", "docs/api/*.rst", "README.md", "notebooks/[0-9][0-9]*_*.ipynb"]
# Folders Sphinx need not walk at all: tools' caches, the virtual environment, build outputs.
exclude_patterns = [".*", "**/.ipynb_checkpoints", "**/__pycache__", "build", "dist", "runs", "*.egg-info"]

# Notebooks are shown with the outputs saved in them: never run at build time.
nb_execution_mode = "off"
nb_merge_streams = True
# MyST-NB would load require.js and the widget manager from a CDN; the snapshot needs neither.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = f"valuegrad {release}"
html_static_path = ["_static"]
templates_path = ["_templates"]
# The home page is docs/index.html; index.html at the top of the site sends the browser there.
html_additional_pages = {"index": "redirect.html"}
html_show_sourcelink = False
html_copy_source = False
