"""Assemble the playground: a static folder that runs valuegrad in the browser, with nothing fetched at run time.

    python docs/playground/build.py OUT      # make docs does this, into build/docs/playground

What goes in (and where it comes from; none of it is committed to git):

* the page: ``index.html``, its modules and styles, ``runtime.py`` and ``examples/`` (this folder);
* the backprop player's ``player.js``/``player.css`` (autograd/viz) and the explorer's modules
  (nn/explore/static, in ``explorer/``), as they ship in the package;
* ``vendor/pyodide``: the Pyodide core, and ``vendor/viz``: Graphviz in WebAssembly (``@viz-js/viz``),
  both from the npm registry at the exact versions of ``package.json``, checked against the hashes of
  ``package-lock.json`` by ``npm ci``;
* ``vendor/wheels``: valuegrad's wheel, built from this checkout, and the ``graphviz`` package's wheel
  from PyPI (pure Python), checked against the hash in ``requirements.txt``; ``vendor/manifest.json``
  names them for the worker.

Downloads and the wheel are cached (``node_modules`` here, ``build/playground-cache``), so a second
build costs only the copies. Nothing here is needed to use valuegrad; only the docs site uses it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / "build" / "playground-cache"
#: The page's own files, copied as they are.
PAGE = ["index.html", "playground.css", "playground.js", "editor.js", "output.js", "worker.js", "snapshot.js", "wasm.js", "runtime.py"]
#: What the worker loads of the Pyodide core (the npm package also has a console page, types and maps).
PYODIDE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
VIZ = "viz.js"  # one ES module, its WebAssembly inside


def _run(cmd: list[str], quiet: bool = False, **kwargs: object) -> None:
    """Run ``cmd``; with ``quiet`` its output is shown only if it fails (pip warns on stderr about
    index locations in the machine's configuration, which would fail the strict docs build)."""
    try:
        if quiet:
            done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{done.stdout}{done.stderr}")
        else:
            subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]
    except FileNotFoundError as e:
        raise SystemExit(f"the playground needs {cmd[0]!r} to build (node and npm: apt-get install nodejs npm)") from e


def npm_packages() -> Path:
    """``node_modules`` with the exact packages of package-lock.json (``npm ci``, again only when the lock changes)."""
    modules = HERE / "node_modules"
    stamp = modules / ".valuegrad-installed"
    lock = HERE / "package-lock.json"
    if not stamp.exists() or stamp.read_text() != hashlib.sha256(lock.read_bytes()).hexdigest():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("the playground needs npm to fetch Pyodide and Graphviz (apt-get install nodejs npm)")
        _run([npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund", "--loglevel=error"])
        stamp.write_text(hashlib.sha256(lock.read_bytes()).hexdigest())
    return modules


def _sources() -> list[Path]:
    files = [ROOT / "pyproject.toml", ROOT / "README.md"]
    for package in ("autograd", "nn"):
        files += sorted(p for p in (ROOT / package).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def valuegrad_wheel() -> Path:
    """valuegrad's wheel, built from this checkout's files (cached by their content)."""
    digest = hashlib.sha256()
    for path in _sources():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    folder = CACHE / f"valuegrad-{digest.hexdigest()[:16]}"
    found = sorted(folder.glob("valuegrad-*.whl"))
    if found:
        return found[0]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        for path in _sources():  # a clean copy: the build leaves nothing in the checkout
            target = src / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        out = Path(tmp) / "dist"
        _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(src)],
             stderr=subprocess.DEVNULL)
        wheel = next(out.glob("valuegrad-*.whl"))
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(wheel, folder / wheel.name))


def pypi_wheels() -> list[Path]:
    """The wheels of requirements.txt (graphviz), downloaded once and checked against their hashes."""
    folder = CACHE / "pypi"
    requirements = HERE / "requirements.txt"
    stamp = folder / ".requirements"
    if not stamp.exists() or stamp.read_text() != requirements.read_text():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--require-hashes",
              "-r", str(requirements), "-d", str(folder)], quiet=True)
        stamp.write_text(requirements.read_text())
    return sorted(folder.glob("*.whl"))


def inline_hashes() -> str:
    """CSP sources for the inline script and style of the backprop player's own page, by their hashes.

    The explorer shows a point's backward pass in the player's page (``backprop_html``), in a sandboxed
    frame that keeps this page's content security policy: these hashes let that page's script and style,
    and nothing else inline, run there. They are read from a page made now, so they follow the library.
    """
    sys.path.insert(0, str(ROOT))
    try:
        from autograd import Value
        from autograd.viz import backprop_html
    finally:
        sys.path.pop(0)
    page = backprop_html(Value(2.0, label="x") * Value(3.0, label="y"))
    sources = []
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        for body in re.findall(rf"<{tag}(?:\s+type=\"module\")?>(.*?)</{tag}>", page, flags=re.S):
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
            sources.append((directive, f"'sha256-{digest}'"))
    if not any(d == "script-src" for d, _ in sources):
        raise SystemExit("the backprop player's page has no inline script to allow: has backprop_html changed?")
    return " ".join(f"{d}:{h}" for d, h in sources)


def _page_with_hashes(html: str, hashes: str) -> str:
    """index.html with the player's hashes added to its script-src and style-src."""
    for item in hashes.split():
        directive, source = item.split(":", 1)
        html = html.replace(f"{directive} 'self'", f"{directive} 'self' {source}", 1)
    return html


def build(out: Path) -> int:
    """Write the playground into ``out`` (emptied first); returns its size in bytes."""
    modules = npm_packages()
    wheels = [valuegrad_wheel(), *pypi_wheels()]
    if out.exists():
        shutil.rmtree(out)
    (out / "examples").mkdir(parents=True)
    for name in PAGE:
        shutil.copy2(HERE / name, out / name)
    (out / "index.html").write_text(_page_with_hashes((HERE / "index.html").read_text(encoding="utf-8"), inline_hashes()))
    for example in sorted((HERE / "examples").glob("*.py")):
        shutil.copy2(example, out / "examples" / example.name)
    for path in (ROOT / "autograd" / "viz").glob("player*.[cj]s"):  # player.js imports its sibling modules
        shutil.copy2(path, out / path.name)
    shutil.copytree(ROOT / "nn" / "explore" / "static", out / "explorer", ignore=shutil.ignore_patterns("*.html"))
    vendor = out / "vendor"
    (vendor / "pyodide").mkdir(parents=True)
    for name in PYODIDE:
        shutil.copy2(modules / "pyodide" / name, vendor / "pyodide" / name)
    (vendor / "viz").mkdir()
    shutil.copy2(modules / "@viz-js" / "viz" / "dist" / VIZ, vendor / "viz" / VIZ)
    (vendor / "wheels").mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, vendor / "wheels" / wheel.name)
    versions = {p: json.loads((modules / p / "package.json").read_text())["version"] for p in ("pyodide", "@viz-js/viz")}
    manifest = {"wheels": [w.name for w in wheels], "npm": versions}
    (vendor / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python docs/playground/build.py OUT")
    size = build(Path(sys.argv[1]).resolve())
    print(f"the playground is in {sys.argv[1]}: {size / 1e6:.1f} MB")
