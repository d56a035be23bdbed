"""The one RNG policy of funkhecke: every random function takes ``rng=`` (a seed or a Generator).

numba kernels never see a seed: front ends draw with the Generator and pass the draws in.
"""

from __future__ import annotations

import numbers

import numpy as np

from .checks import check_int


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """A numpy Generator from a Generator, an int seed >= 0, or None (fresh OS entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(check_int(rng, name, 0))
    raise TypeError(
        f"{name} must be a numpy.random.Generator, an int seed >= 0 or None, "
        f"got {type(rng).__name__}"
    )
