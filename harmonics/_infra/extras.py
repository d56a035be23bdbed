"""Optional dependencies ("extras"): one import helper, one error line naming the pip command.

The core install (``pip install funkhecke``) has numpy, scipy, sympy, mpmath and numba only.
Everything else is an extra of setup.cfg, imported lazily where it is used:

=========  ==============================  =============================================
extra      packages                        needed for
=========  ==============================  =============================================
plot       matplotlib                      figures (``--plot``, the demo, summary.png)
progress   tqdm                            progress bars (cosmetic: no tqdm, no bar)
sweep      dask[distributed], pyyaml       distributed sweeps, YAML sweep specs
parquet    pyarrow                         results.parquet next to results.csv in sweeps
fast       gmpy2                           mpmath's faster big-number backend
all        plot, progress, sweep, fast     everything except test tools (and pyarrow)
=========  ==============================  =============================================

:func:`require` imports a module of an extra or raises ``ImportError`` with one line such as
``plotting needs matplotlib: pip install "funkhecke[plot]"``.  :func:`progress_bar` returns a
tqdm bar, or ``None`` when tqdm is not installed (progress bars only decorate the output).
"""

from __future__ import annotations

import importlib

#: extra of setup.cfg -> the packages it installs (kept in sync by tests/test_extras.py)
EXTRAS = {
    "plot": ("matplotlib",),
    "progress": ("tqdm",),
    "sweep": ("dask", "distributed", "yaml"),
    "parquet": ("pyarrow",),
    "fast": ("gmpy2",),
}


def install_hint(extra: str) -> str:
    """``pip install "funkhecke[EXTRA]"``."""
    return f'pip install "funkhecke[{extra}]"'


def require(module: str, extra: str, what: str, *, alternative: str | None = None):
    """Import and return ``module``; if it is missing, raise ImportError with one line:
    ``{what} needs {package}: pip install "funkhecke[{extra}]"`` (then ``; or {alternative}``)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        name = {"yaml": "pyyaml", "distributed": "dask[distributed]"}.get(top, top)
        tail = f"; or {alternative}" if alternative else ""
        raise ImportError(f"{what} needs {name}: {install_hint(extra)}{tail}") from exc


def available(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it when it is absent)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def progress_bar(**kwargs):
    """A ``tqdm.auto.tqdm(**kwargs)`` bar, or None without the ``progress`` extra (no bar).

    In Jupyter without ipywidgets, tqdm.auto would warn ("IProgress not found") before falling
    back to text: there the text bar ``tqdm.std.tqdm`` is used directly, without the warning.
    """
    if not available("tqdm"):
        return None
    if available("ipywidgets"):
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm

    return tqdm(**kwargs)
