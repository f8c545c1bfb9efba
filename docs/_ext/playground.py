"""The playground: valuegrad in the browser, at ``playground/index.html`` of the site.

When an HTML build has finished, ``docs/playground/build.py`` assembles the playground into the
site's ``playground/`` folder: the page, Pyodide and Graphviz in WebAssembly (pinned npm packages),
valuegrad's wheel built from this checkout and the graphviz package's wheel (hash-pinned). It is a
folder of static files that any static host serves, and it loads nothing from anywhere else.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

BUILD = Path(__file__).resolve().parents[1] / "playground" / "build.py"
logger = logging.getLogger(__name__)


def _assemble(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    spec = importlib.util.spec_from_file_location("valuegrad_playground_build", BUILD)
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    size = build.build(Path(app.outdir) / "playground")
    logger.info(f"the playground: {size / 1e6:.1f} MB in playground/")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", _assemble)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
