"""Shared test helpers: optional components, and the tolerances the tests compare with."""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest

#: Under CI a missing optional component is a failure, never a silent skip.
IN_CI = os.environ.get("CI") == "true"


def require(module: str) -> ModuleType:
    """Import ``module``; skip the test when it is missing, but fail under CI=true."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if IN_CI:
            pytest.fail(f"{module} is required under CI but cannot be imported: {e}")
        pytest.skip(f"{module} is not installed")
        raise  # unreachable: skip raises


def require_program(name: str) -> str:
    """The path of the executable ``name``; skip when missing, but fail under CI=true."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"the program {name!r} is required under CI but is not on PATH")
        pytest.skip(f"the program {name!r} is not installed")
    return path  # type: ignore[return-value]


def hide_module(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Make ``import module`` (and its submodules) fail with ImportError, as if it were not installed."""
    import builtins

    real_import = builtins.__import__

    def without(name: str, *args: object, **kwargs: object) -> object:
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named '{module}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without)


def close(a: float, b: float, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """Equal within tolerance, where nan equals nan and inf equals inf of the same sign."""
    if a != a or b != b:
        return a != a and b != b
    if a in (float("inf"), float("-inf")) or b in (float("inf"), float("-inf")):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)
