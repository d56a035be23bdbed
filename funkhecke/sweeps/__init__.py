"""Sweeps: grids of runs (simulate / spectrum / sq) from a TOML or YAML spec, resumable, run
serially, on dask's process pool or on a dask.distributed cluster.

spec    the grid spec: schema, validation with the offending key and line, run hashes
runs    what one run computes (pure functions of its settings), its thread settings
records sealing records with a checksum and checking stored ones
tables  tidy table rows of a record; read_table reads results.csv / .parquet back
figures the summary figure
engine  the execution back ends
driver  the driver: folders, lock, resume, damaged records, results.csv/parquet, figure

Integrity guarantees (one writer per folder, sealed records, tables that always equal the
records, limits on specs) are listed in :mod:`funkhecke.sweeps.driver`.
"""

from .driver import (
    DamagedRecordWarning,
    SweepBusyError,
    SweepFolderError,
    SweepResult,
    gather,
    plan,
    sweep,
)
from .spec import MAX_RUNS, SpecError, SweepSpec, load_spec
from .tables import read_table

__all__ = [
    "MAX_RUNS",
    "DamagedRecordWarning",
    "SpecError",
    "SweepBusyError",
    "SweepFolderError",
    "SweepResult",
    "SweepSpec",
    "gather",
    "load_spec",
    "plan",
    "read_table",
    "sweep",
]
