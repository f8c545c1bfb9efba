"""gc_paused: the cyclic collector is off inside, back as it was outside, and nothing is lost."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from autograd import Value, gc_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Every test starts with the collector on, and leaves it on whatever happens."""
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_back_on_after() -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_on_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError):
        with gc_paused():
            raise ZeroDivisionError
    assert gc.isenabled()


def test_a_collector_the_user_turned_off_stays_off() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_blocks_leave_it_to_the_outer_one() -> None:
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()  # the inner block did not switch it back on
    assert gc.isenabled()


def test_a_graph_built_inside_is_freed_by_reference_counting_inside() -> None:
    """No collection runs inside, so a node that dies there proves the graph has no cycle."""
    with gc_paused():
        x = Value(0.5)
        y = x
        for _ in range(10_000):
            y = (y * 1.0001 + 0.0).tanh()
        y.backward()
        refs = [weakref.ref(y), weakref.ref(y._a)]
        del y
        assert [r() for r in refs] == [None, None]
    assert x.grad != 0.0


def test_cyclic_garbage_made_inside_is_collected_afterwards() -> None:
    """Pausing defers the collector's work; it loses none."""

    class Cell:
        other: object = None

    with gc_paused():
        a, b = Cell(), Cell()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        assert ref() is not None  # a cycle: reference counting alone cannot free it
    gc.collect()
    assert ref() is None
