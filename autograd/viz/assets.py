"""The player's front-end files as the page gets them: package data read whole, and the player's
ES modules put together into one script.

The player's script is four ES modules (``player_quiz.js``, ``player_runs.js``,
``player_data.js`` and ``player.js``, the one that starts players), so that each file has one job
and Node's tests import the pure functions from where they live. A page's inline
``<script type="module">`` and anywidget's ``_esm`` can import no file of their own, so
:func:`player_script` writes the modules one after the other, each whole but for the lines that
import the others: the names those lines bring in are then defined earlier in the same script.
The playground serves the files themselves, and the browser follows their imports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

__all__ = ["PLAYER_MODULES", "asset", "join_modules", "player_script", "without_imports"]

_PACKAGE = __name__.rpartition(".")[0]  # autograd.viz, where the files live
#: The player's modules in the order :func:`player_script` writes them: each after those it imports.
PLAYER_MODULES = ("player_quiz.js", "player_runs.js", "player_data.js", "player.js")
#: A line (or lines) importing names from a sibling module: ``import { a, b } from "./x.js";``.
_SIBLING_IMPORT = re.compile(r'^import \{[^}]*\} from "\./([\w.-]+)";\n', re.M)


def asset(name: str, element: str) -> str:
    """The text of the package data file ``name``, to put inside an HTML ``<element>``.

    Inside ``<script>`` or ``<style>`` the browser ends the element at the first ``</script``
    or ``</style``, so a file that contains it would break the page: refused here.
    """
    text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    if f"</{element}" in text.lower():
        raise ValueError(f"{name} must not contain '</{element}' (it ends the page's <{element}>), but it does")
    return text


def without_imports(text: str) -> str:
    """A player module's text without its imports of sibling modules, as :func:`player_script`
    writes it."""
    return _SIBLING_IMPORT.sub("", text)


def join_modules(modules: Sequence[tuple[str, str]]) -> str:
    """ES modules, given as (file name, text) in order, as one module's text: each whole but for
    its imports of the others.

    Refused (``ValueError``) if a module imports anything but a module written before it, or if
    any but the last has a default export: put together, either would be a different program.
    """
    names = [name for name, _ in modules]
    parts = []
    for k, (name, text) in enumerate(modules):
        for imported in _SIBLING_IMPORT.findall(text):
            if imported not in names[:k]:
                raise ValueError(f"{name} imports {imported!r}, which is not one of {names[:k]} written before it")
        body = without_imports(text)
        if re.search(r"^\s*import\b", body, re.M):
            raise ValueError(f"{name} has an import that is not of a module written before it: the page could not load it")
        if k < len(modules) - 1 and re.search(r"^export default\b", body, re.M):
            raise ValueError(f"{name} has a default export; only the module written last ({names[-1]}) may")
        parts.append(f"// --- {name} ---\n{body}")
    return "\n".join(parts)


@cache
def player_script() -> str:
    """The player's modules (:data:`PLAYER_MODULES`) as one ES module's text, for a page's inline
    script and the widget's module."""
    return join_modules([(name, asset(name, "script")) for name in PLAYER_MODULES])
