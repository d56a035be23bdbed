"""Thread policy of the numba kernels: serial or parallel compilation by problem size.

On a loaded two-core machine small kernels ran 16x slower with two threads, so every kernel is
compiled twice (serial and parallel, same fixed blocking, identical bits) and dispatched here.
"""

from __future__ import annotations

PARALLEL_MIN_WORK = 2_000_000


def parallel_pays(work: int) -> bool:
    """Whether a kernel of ``work`` inner-loop iterations should take its parallel compilation
    (both compilations use the same fixed blocking, so they return identical bits)."""
    from numba import get_num_threads

    return work >= PARALLEL_MIN_WORK and get_num_threads() > 1
