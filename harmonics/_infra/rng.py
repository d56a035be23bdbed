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


def rng_or_seed(rng, seed, *, where: str, default=None):
    """The ``rng=`` value of a function that used to take ``seed=`` (deprecated alias).

    ``seed`` is the deprecated keyword's value (:data:`NOT_GIVEN` when not passed).  Passing it
    warns once (DeprecationWarning) and returns it unchanged, so the stream is the one ``rng=``
    with the same value gives.  Passing both (``rng`` other than its ``default``) is a
    ValueError.  The result still goes through :func:`as_generator` (or is recorded as data).
    """
    from .deprecation import NOT_GIVEN, warn_renamed

    if seed is NOT_GIVEN:
        return rng
    warn_renamed("seed=", "rng=", where=where)
    if not (rng is default or (type(rng) is type(default) and rng == default)):
        raise ValueError(f"{where}: pass either seed or rng, not both (seed is rng's old name)")
    return seed
