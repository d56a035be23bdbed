"""Thread policy of the numba kernels: one thread or all of them, by problem size.

On a loaded two-core machine small kernels ran 16x slower with two threads.  Every kernel is
compiled once, with ``parallel=True`` (prange over fixed blocks of work), and
:func:`run_kernel` runs it with one numba thread when parallelism does not pay: the same
machine code for every size and thread count, so the same bits (a task's arithmetic does not
depend on which thread runs it).  One thread of the parallel compilation measured as fast as a
separate serial compilation (GD step n = 10, N = 1000, m = 4096: 13.4 vs 14.4 ms; m = 64,
N = 200: 0.032 vs 0.050 ms), and a separate serial compilation differed from the parallel one
in the last bits of the fastmath reductions (numba vectorizes the two differently; they only
looked identical while sharing numba's cache entry, see tests/test_architecture.py).
"""

from __future__ import annotations

#: Inner-loop iterations (~1-2 ms) below which a kernel runs on one thread: a parallel region
#: costs tens of microseconds to start, and when other processes share the cores, threads
#: waiting for a descheduled peer made a 32-run sweep of small simulations 16x slower (68 s vs
#: 4.3 s, benchmarks/bench_sweep.py).
PARALLEL_MIN_WORK = 2_000_000


def parallel_pays(work: int) -> bool:
    """Whether a kernel of ``work`` inner-loop iterations should run on every numba thread."""
    from numba import get_num_threads

    return work >= PARALLEL_MIN_WORK and get_num_threads() > 1


def run_kernel(kernel, work: int, *args):
    """``kernel(*args)`` (a ``parallel=True`` dispatcher) on all numba threads if
    :func:`parallel_pays` (``work``), else on one (restored afterwards, also on error)."""
    from numba import get_num_threads, set_num_threads

    threads = get_num_threads()
    if threads == 1 or parallel_pays(work):
        return kernel(*args)
    set_num_threads(1)
    try:
        return kernel(*args)
    finally:
        set_num_threads(threads)
