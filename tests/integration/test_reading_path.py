"""The reading path (docs/reading.md) points at code that exists.

Each stop names a file and the functions to read in it; a rename that the page does not follow
would send a newcomer looking for something that is not there.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "reading.md").read_text(encoding="utf-8")


def defined_names(path: Path) -> set[str]:
    """Top-level functions, classes and assignments of a module, and ``Class.method`` names."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
            if isinstance(node, ast.ClassDef):
                names.update(f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef))
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def stops() -> list[tuple[str, list[str]]]:
    """(file, [names]) for each row of the path's table whose 'where' is ``file``: ``name``, …"""
    found = []
    for line in PAGE.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1].isdigit():
            where = cells[2]
            paths = re.findall(r"`([\w/]+\.py)`", where)
            names = re.findall(r"`([A-Za-z_][\w.]*)`", where.split(":", 1)[1]) if ":" in where else []
            found.append((paths[0], names) if len(paths) == 1 else (where, []))
    return found


def test_the_path_has_its_six_stops():
    assert len(stops()) == 6


def test_every_file_and_name_on_the_path_exists():
    for path, names in stops():
        for file in re.findall(r"[\w/]+\.py", path):
            assert (ROOT / file).is_file(), f"docs/reading.md names {file}, which does not exist"
        if names:
            defined = defined_names(ROOT / path)
            missing = [n for n in names if n not in defined and n != "module"]
            assert not missing, f"docs/reading.md sends readers to {missing} in {path}, which it does not define"


def test_every_file_the_page_mentions_exists():
    for file in set(re.findall(r"`((?:autograd|nn|tests)/[\w/]+(?:\.py|/))`", PAGE)):
        assert (ROOT / file).exists(), f"docs/reading.md mentions {file}, which does not exist"
