"""nn.explore.frontend: the explorer's ES modules joined into the one module anywidget and the server load."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import require_program

from nn.explore import frontend

STATIC = Path(__file__).resolve().parents[2] / "nn" / "explore" / "static"


def test_every_module_is_joined_once_after_what_it_imports() -> None:
    order = frontend.modules()
    assert order[-1] == "explorer.js"
    assert sorted(order) == sorted(p.name for p in STATIC.glob("*.js"))  # no module is left out, or shipped unused
    for i, name in enumerate(order):
        for line in frontend.read(name).splitlines():
            if line.startswith("import "):
                assert line.split('"./')[1].split('"')[0] in order[:i]


def test_the_bundle_exports_what_the_entry_module_exports(tmp_path: Path) -> None:
    """Node loads both; the joined module has the entry's exports and each works the same (fmt, say)."""
    node = require_program("node")
    (tmp_path / "bundle.mjs").write_text(frontend.bundle())
    script = (
        f"const a = await import({json.dumps((tmp_path / 'bundle.mjs').as_uri())});"
        f"const b = await import({json.dumps((STATIC / 'explorer.js').as_uri())});"
        "console.log(JSON.stringify([Object.keys(a).sort(), Object.keys(b).sort(), typeof a.default.render]));"
    )
    out = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    joined, entry, render = json.loads(out.stdout)
    assert joined == entry == ["default", "mount", "render"] and render == "function"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ('import * as x from "./format.js";\n', "one-line named imports of ./name.js"),
        ('import { a } from "https://cdn.example/x.js";\n', "one-line named imports of ./name.js"),
        ("export { fmt };\n", "only the entry module may export this way"),
        ("export default 1;\n", "only the entry module may export this way"),
    ],
)
def test_a_module_written_otherwise_is_refused(monkeypatch: Any, source: str, error: str) -> None:
    real = frontend.read
    monkeypatch.setattr(frontend, "read", lambda name: source if name == "format.js" else real(name))
    with pytest.raises(ValueError, match=error):
        frontend.bundle()
