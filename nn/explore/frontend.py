"""The explorer's front end: the ES modules of ``static/``, and the same joined into one module.

The front end is written as small ES modules, one job each (``explorer.js`` is the entry; it imports
``transport.js``, ``network.js`` and the others with ``import { ... } from "./name.js"``). A browser
that loads them from a static site follows those imports itself: the docs site's playground does.
Two hosts cannot: anywidget hands Jupyter exactly one module's text, and the local server asks for
its token on every request, which a module's relative import would not carry. For them,
:func:`bundle` joins the modules into one, with no build tool: each imported module becomes a
function's scope that returns what the module exports, and each import becomes a destructuring of
that. It accepts only the plain forms the modules use (one-line named imports of ``./name.js``;
``export`` before a ``function``, ``class``, ``const`` or ``let``; ``export default`` in the entry)
and refuses anything else, so a module written otherwise fails loudly rather than joining wrongly.
"""

from __future__ import annotations

import re
from importlib import resources

__all__ = ["ENTRY", "bundle", "modules", "read"]

ENTRY = "explorer.js"
_STATIC = resources.files("nn.explore") / "static"
_IMPORT = re.compile(r'^import \{([^}]*)\} from "\./([a-z_]+\.js)";$')
_EXPORT = re.compile(r"^export (?:async )?(?:function\*?|class|const|let) ([A-Za-z_$][\w$]*)")


def read(name: str) -> str:
    """The text of one of the front end's files (``explorer.css``, ``network.js``, ...)."""
    return (_STATIC / name).read_text(encoding="utf-8")


def _imports(source: str) -> list[tuple[str, list[tuple[str, str]]]]:
    found = []
    for line in source.splitlines():
        if line.startswith("import "):
            m = _IMPORT.match(line)
            if m is None:
                raise ValueError(f"the explorer's modules import by one-line named imports of ./name.js, got {line!r}")
            pairs = []
            for n in (n.strip() for n in m.group(1).split(",")):
                if n:
                    a, _, b = n.partition(" as ")
                    pairs.append((a, b or a))
            found.append((m.group(2), pairs))
    return found


def modules() -> list[str]:
    """The front end's modules, each after the modules it imports, ending with the entry ``explorer.js``."""
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise ValueError(f"the explorer's modules import each other in a cycle: {' -> '.join([*visiting, name])}")
        visiting.append(name)
        for imported, _ in _imports(read(name)):
            visit(imported)
        visiting.pop()
        order.append(name)

    visit(ENTRY)
    return order


def _scope(name: str) -> str:
    return "__vg_" + name.removesuffix(".js")


def _rewrite(name: str, source: str, entry: bool) -> tuple[str, list[str]]:
    """The module's text with its imports turned into destructurings, and the names it exports."""
    lines, exported = [], []
    imports = dict(_imports(source))
    for line in source.splitlines():
        m = _IMPORT.match(line)
        if m is not None:
            pairs = ", ".join(a if a == b else f"{a}: {b}" for a, b in imports[m.group(2)])
            lines.append(f"const {{ {pairs} }} = {_scope(m.group(2))};")
            continue
        if line.startswith("export ") and not entry:
            e = _EXPORT.match(line)
            if e is None:
                raise ValueError(f"{name}: only the entry module may export this way, got {line!r}")
            exported.append(e.group(1))
            line = line[len("export ") :]
        lines.append(line)
    return "\n".join(lines), exported


def bundle() -> str:
    """One ES module with all of the front end, which exports what ``explorer.js`` exports.

    >>> text = bundle()
    >>> text.count('from "./'), "export default { render };" in text
    (0, True)
    """
    parts = ["// valuegrad's explorer: the modules of nn/explore/static joined into one (nn/explore/frontend.py).\n"]
    for name in modules():
        source, exported = _rewrite(name, read(name), entry=name == ENTRY)
        if name == ENTRY:
            parts.append(f"// --- {name} ---\n{source}\n")
        else:
            parts.append(
                f"// --- {name} ---\nconst {_scope(name)} = (() => {{\n{source}\nreturn {{ {', '.join(exported)} }};\n}})();\n"
            )
    return "\n".join(parts)
