"""Fixtures shared by the tape tests."""

from __future__ import annotations

import os
import shlex
import sysconfig

import pytest
from helpers import require_program


@pytest.fixture(params=["python", "c"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs on both back ends of a tape; "c" needs the C compiler (a
    failure under CI=true, a skip elsewhere)."""
    if request.param == "c":
        cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
        require_program(shlex.split(cc)[0])
    return str(request.param)
