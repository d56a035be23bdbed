"""funkhecke: the application layer above the three libraries.

    harmonics      analysis on S^{n-1}: N(n,k), Legendre/Gegenbauer, Funk-Hecke, bases
    gd_operator    gradient descent as a linear operator: kernels, spectra, simulation
    sq_bounds      statistical-query lower bounds
    funkhecke      paper reproductions, the demo, sweeps and the command lines (this package)

funkhecke imports the libraries; none of them imports funkhecke (tests/test_architecture.py).
"""

from typing import TYPE_CHECKING

__version__ = "0.2.0"

_LAZY = {
    "Reproduction": "reproductions",
    "vempala_wilmes": "reproductions",
    "cao_et_al": "reproductions",
    "basri_et_al": "reproductions",
    "sweep": "sweeps",
    "SweepResult": "sweeps",
    "SpecError": "sweeps",
    "load_spec": "sweeps",
}


if TYPE_CHECKING:  # the names __getattr__ resolves, for type checkers (not run)
    from .reproductions import Reproduction, basri_et_al, cao_et_al, vempala_wilmes  # noqa: F401
    from .sweeps import SpecError, SweepResult, load_spec, sweep  # noqa: F401


def __getattr__(name):
    # Reproductions and sweeps pull in numba and dask: load them on first use only.
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'funkhecke' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY]
