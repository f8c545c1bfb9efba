"""The house rules of the code, checked: modules talk through public faces, and nothing imports in a circle.

A private name (``_x``) belongs to its module. A module that imports another's private name, or
reaches into an object for a private attribute that another module owns, is one module in two
files: its halves cannot change apart. So every module of ``autograd`` and ``nn`` may use only:

* the public names of other modules (``from .layout import Layout``);
* the private attributes that it owns itself: the ones it assigns (``v._a = a``), lists in a
  class's ``__slots__`` or defines in a class body.

The few exceptions are listed in :data:`ALLOWED`, each with its reason. A new one needs a reason
as good.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("autograd", "nn")

#: (module, private name) -> why that module may use that name although it does not own it.
ALLOWED: dict[tuple[str, str], str] = {
    # The node storage: NodeView (node.py) declares the slots, the engine fills them, and the fused
    # n-ary ops make and read nodes the same way in their hot loops, where a call per access would
    # cost more than the op itself.
    ("autograd.nary", "_entry"): "the fused ops' hot loops tell constants from parents by the node's op",
    # The standard library's own private names that are its documented API.
    ("autograd.mode", "_getframe"): "sys._getframe: the cheap way to name the user's line in anomaly mode",
    ("autograd.guard", "_getframe"): "sys._getframe: the cheap way to name the line that took a recorded decision",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module that ``from <level dots><name> import ...`` in ``module`` names."""
    if level == 0:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def owned(tree: ast.AST) -> set[str]:
    """The private attribute names a module owns: assigned on any object, in __slots__, or
    defined in a class body."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for t in ast.walk(target):
                    if isinstance(t, ast.Attribute) and private(t.attr):
                        names.add(t.attr)
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(item.name)
                elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                    targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            names.add(target.id)
                            if target.id == "__slots__" and item.value is not None:
                                names.update(
                                    c.value for c in ast.walk(item.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)
                                )
    return names


def crossings() -> list[str]:
    """Every use of another module's private name, as ``module:line: what``."""
    found = []
    for path in sources():
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mine = owned(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = resolve(module, path.name == "__init__.py", node.level, node.module)
                for alias in node.names:
                    if private(alias.name) and source != module and (module, alias.name) not in ALLOWED:
                        found.append(f"{module}:{node.lineno}: from {source} import {alias.name}")
            elif isinstance(node, ast.Attribute) and private(node.attr):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    continue
                if node.attr in mine or (module, node.attr) in ALLOWED:
                    continue
                found.append(f"{module}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_modules_talk_through_public_faces():
    found = crossings()
    assert not found, "private names used across modules:\n" + "\n".join(found)


def test_every_allowed_exception_is_still_needed():
    """An exception that no code needs any more is taken off the list."""
    used = set()
    for path in sources():
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mine = owned(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                used.update((module, a.name) for a in node.names)
            elif isinstance(node, ast.Attribute) and node.attr not in mine:
                used.add((module, node.attr))
    assert not set(ALLOWED) - used, f"no longer needed: {sorted(set(ALLOWED) - used)}"


def test_the_check_sees_a_crossing():
    """The scanner finds both kinds: a private import and a private attribute of another module."""
    tree = ast.parse("from .layout import _fmt\nx = node._velocity\n")
    kinds = [type(n).__name__ for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) or (isinstance(n, ast.Attribute) and private(n.attr))]
    assert kinds == ["ImportFrom", "Attribute"] and "_velocity" not in owned(tree)
    assert "_velocity" in owned(ast.parse("self._velocity = None"))


def imports_of(path: Path) -> set[str]:
    module = module_name(path)
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            source = resolve(module, path.name == "__init__.py", node.level, node.module)
            out.add(source)
            out.update(f"{source}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_no_module_imports_in_a_circle():
    """At module level or inside functions alike: an import cycle, even a lazy one, ties modules
    together as if they were one."""
    paths = sources()
    modules = {module_name(p) for p in paths}
    graph: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        module = module_name(path)
        for target in imports_of(path):
            # a package's __init__ re-exports its modules: importing it is not importing them all
            if target in modules and target != module and not module.startswith(target + "."):
                graph[module].add(target)
    state: dict[str, int] = {}
    cycles = []
    for start in sorted(graph):
        stack = [(start, iter(sorted(graph[start])))]
        path_ = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path_.pop()
                state[node] = 2
            elif state.get(child) == 1:
                cycles.append(" -> ".join(path_[path_.index(child) :] + [child]))
            elif child not in state:
                state[child] = 1
                path_.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


#: autograd's public faces: nn may import from these, and only the names in their __all__.
PUBLIC_FACES = ("autograd", "autograd.tape", "autograd.tape.cbackend", "autograd.viz", "autograd.groups", "autograd.fileio", "autograd.ops")


def test_nn_is_built_only_on_autograds_public_api():
    """The README says so: every import of autograd in nn is of a name that one of autograd's
    public faces exports (its ``__all__``)."""
    import importlib

    exported = {face: set(importlib.import_module(face).__all__) for face in PUBLIC_FACES}
    found = []
    for path in sorted((ROOT / "nn").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "autograd":
                if node.module not in exported:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports from {node.module}, not a public face")
                    continue
                found += [
                    f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{a.name} is not in its __all__"
                    for a in node.names
                    if a.name not in exported[node.module]
                ]
            elif isinstance(node, ast.Import) and any(a.name.startswith("autograd.") and a.name not in exported for a in node.names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports a module of autograd that is not a public face")
    assert not found, "\n".join(found)
