"""Packaging: PyTorch is an optional extra, pinned to the CPU build the Makefile installs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_torch_extra_is_pinned_to_the_makefiles_version_and_installed_by_it() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    extra = re.search(r'^torch = \["(torch==[0-9.]+)"\]$', pyproject, re.M)
    pin = re.search(r"^TORCH\s*:=\s*(\S+)$", makefile, re.M)
    extras = re.search(r"^EXTRAS\s*:=\s*(\S+)$", makefile, re.M)
    assert extra and pin and extras, "the [torch] extra, TORCH or EXTRAS is missing"
    assert extra.group(1) == pin.group(1) == "torch==2.13.0"
    assert "torch" in extras.group(1).split(",")
    # the engine and nn have no runtime dependency: torch is never a plain dependency
    assert re.search(r"^dependencies = \[\]$", pyproject, re.M)
