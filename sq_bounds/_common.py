"""Private helpers shared by the sq_bounds modules: argument checks, sphere sampling, logs."""

from __future__ import annotations

import math

import numpy as np

from harmonics._infra.checks import check_dimension, check_int, check_real

LN10 = math.log(10.0)

# Default ceiling for arrays this package allocates on a user's behalf (1 GiB).
DEFAULT_MAX_BYTES = 1 << 30


class FamilyTooLargeError(ValueError, MemoryError):
    """A requested family of directions would not fit in the allowed memory.

    Subclasses both ValueError (the arguments ask for too much) and MemoryError, so either
    ``except`` clause catches it.  Raised *before* anything is allocated.
    """


def check_k(k) -> int:
    """Degree k >= 1 of the hard family (k = 0 would make every member the constant 1)."""
    return check_int(k, "k", 1)


def check_n(n) -> int:
    return check_dimension(n, "n")


def check_tau(tau, *, allow_zero: bool = False) -> float:
    """Tolerance of a statistical query with values in [-1, 1]: 0 < tau < 1 (0 allowed if asked)."""
    tau = check_real(tau, "tau")
    lo_ok = tau >= 0 if allow_zero else tau > 0
    if not lo_ok or tau >= 1:
        interval = "[0, 1)" if allow_zero else "(0, 1)"
        raise ValueError(
            f"tau must lie in {interval} (a tolerance for queries with values in [-1, 1]; "
            f"tau >= 1 makes every answer trivial), got {tau}"
        )
    return tau


def check_delta(delta, name: str = "delta") -> float:
    delta = check_real(delta, name)
    if not 0 <= delta < 1:
        raise ValueError(f"{name} must lie in [0, 1) (a bound on |<u, v>| for u != v), got {delta}")
    return delta


def as_rng(rng) -> np.random.Generator:
    """numpy Generator from None / int seed / Generator (harmonics.sampling.as_generator)."""
    from harmonics._infra.rng import as_generator

    return as_generator(rng)


def sample_sphere(rng, num: int, n: int) -> np.ndarray:
    """[num, n] points uniform on S^{n-1}: harmonics.sample_sphere with the Generator first."""
    from harmonics.sampling import sample_sphere as _sample_sphere

    return _sample_sphere(num, n, rng)


def log10_dim(n: int, k: int) -> float:
    """log10 N(n, k) from the exact integer (no overflow for any size)."""
    from harmonics import dim_harmonics

    d = dim_harmonics(n, k)
    return log10_int(d)


def log10_int(d: int) -> float:
    """log10 of a positive Python int of any size, to double precision."""
    if d <= 0:
        raise ValueError("log10_int needs a positive integer")
    bits = d.bit_length()
    if bits < 1000:
        return math.log10(d)
    shift = bits - 60
    return math.log10(d >> shift) + shift * math.log10(2.0)


def log1mexp(x):
    """log(1 - exp(x)) for x <= 0, accurate near 0 and for very negative x (Maechler 2012)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -math.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))
