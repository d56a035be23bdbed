"""Deprecated aliases for names that moved from gd_operator to the application layer in 0.2.

The paper reproductions and the sweeps are experiments built *on* gd_operator, so they now
live in :mod:`funkhecke` (``funkhecke.reproductions``, ``funkhecke.sweeps``).  For one release
``gd_operator.vempala_wilmes`` etc. still resolve, with a DeprecationWarning once per name.
This table is the only place a library module names the application layer; it is resolved
lazily (nothing is imported until an old name is used) and is removed in 0.3.  The architecture
test (tests/test_architecture.py) allows exactly this module to do so.
"""

from __future__ import annotations

import importlib
import warnings

MOVED = {
    "vempala_wilmes": "funkhecke.reproductions",
    "cao_et_al": "funkhecke.reproductions",
    "basri_et_al": "funkhecke.reproductions",
    "Reproduction": "funkhecke.reproductions",
    "sweep": "funkhecke.sweeps",
    "SweepResult": "funkhecke.sweeps",
    "load_spec": "funkhecke.sweeps",
    "SpecError": "funkhecke.sweeps",
}

_warned: set = set()


def resolve(name: str):
    """The moved object ``name``, warning once per process per name."""
    home = MOVED[name]
    if name not in _warned:
        _warned.add(name)
        warnings.warn(
            f"gd_operator.{name} moved to {home}.{name} in funkhecke 0.2; "
            "the old name will be removed in 0.3",
            DeprecationWarning,
            stacklevel=3,
        )
    return getattr(importlib.import_module(home), name)
