"""When a batch in C runs on two threads: only when it pays (see :meth:`CTape.threads_for`).

The numbers are the same on any number of threads (:mod:`.lanes`); this is only about time. A
second thread pays when each thread gets enough work (starting or waking one costs microseconds)
and a processor is idle: on a busy machine the two threads wait for each other's turn, and a batch
ran 2-10x slower than on one thread (benchmarks/README.md).
"""

from __future__ import annotations

import os

#: A batch runs on two threads when it holds at least this many numbers (values and partials, all
#: samples): below it, starting the second thread costs more than it saves (benchmarks/README.md).
WORK_PER_THREAD = 200_000
#: The same for a tape whose layers make every push into a parameter (``layout.all_deferred``): its
#: two threads share the blocks, the second one started once and kept, so smaller batches pay. A
#: digits epoch (MLP(64, [32, 10]), batches of 32: 83,000 numbers) took 2.6-4.0 ms on two threads
#: against 3.5-5.0 ms on one (load 0.3-0.6).
WORK_PER_WORKER = 20_000
#: Use two threads whenever the batch is big enough, busy machine or not (for tests).
FORCE_THREADS = False


def _idle_processors() -> float:
    """Processors left idle by the load of the last minute (0 when it cannot be known)."""
    try:
        return default_threads() - os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def default_threads() -> int:
    """The processors this process may run on (what ``threads`` is by default)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def threads_that_pay(numbers: int, all_deferred: bool) -> int:
    """1 or 2: the threads for a batch of ``numbers`` values and partials (all its samples), whose
    tape's layers make every push into a parameter (``all_deferred``) or not."""
    if numbers < (WORK_PER_WORKER if all_deferred else WORK_PER_THREAD):
        return 1
    return 2 if FORCE_THREADS or _idle_processors() >= 1.0 else 1
