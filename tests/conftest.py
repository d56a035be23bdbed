"""Test-session settings.

Multi-threaded OpenBLAS slows linear algebra ~20x when other processes share the two cores
(measured: an 800x800 eigvalsh took 2.7 s vs 0.13 s single-threaded), so the test run uses one
BLAS thread.  This must be set before numpy is imported, hence here.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
