"""Sweeps: grids of runs (simulate / spectrum / sq) from a TOML or YAML spec, resumable, run
serially, on dask's process pool or on a dask.distributed cluster.

spec    the grid spec: schema, validation with the offending key and line, run hashes
runs    what one run computes (pure functions of its settings) and its table rows/figure
engine  the execution back ends
driver  the driver: folders, resume, results.csv/parquet, summary figure
"""

from .driver import SweepFolderError, SweepResult, gather, plan, sweep
from .spec import SpecError, SweepSpec, load_spec

__all__ = [
    "SpecError",
    "SweepFolderError",
    "SweepResult",
    "SweepSpec",
    "gather",
    "load_spec",
    "plan",
    "sweep",
]
