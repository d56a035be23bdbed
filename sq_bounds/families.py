"""Families of nearly orthogonal unit vectors: explicit/random constructions and analytic sizes.

A family U of unit vectors in R^n is *delta-coherent* if |<u, v>| <= delta for all u != v in U.
Through :func:`sq_bounds.correlation` such a family gives |<f_u, f_v>| <= max_{|s|<=delta}
|P_{k,n}(s)|, the input of the statistical-dimension bound.

Analytic sizes (certified lower bounds on the largest delta-coherent family, D(n, delta))
-----------------------------------------------------------------------------------------
Let p(delta) = P_{x~sigma}(|<x, e>| > delta) be the measure of the *double* cap around +-e of
angular radius arccos(delta).  Since <x, e> ~ nu_n and <x, e>^2 ~ Beta(1/2, (n-1)/2),

    p(delta) = I_{1-delta^2}((n-1)/2, 1/2) = 1 - I_{delta^2}(1/2, (n-1)/2)     (regularized beta)

(bound <= 2 exp(-n delta^2 / 2), concentration on the sphere).

* "gv" (Gilbert-Varshamov / maximal packing): a delta-coherent family that cannot be extended
  has every x in S^{n-1} within the double cap of some member (else x could be added), so the
  double caps cover the sphere and D >= 1/p(delta).  The covering sets are *double* caps because
  the constraint is on |<u, v>|: the single-cap form D >= 1/sigma(cap) often quoted for codes
  (constraint <u, v> <= delta) would overstate our D by a factor 2.
* "random" (random packing with alteration): m i.i.d. uniform points have on average
  C(m, 2) p(delta) bad pairs; deleting one point per bad pair leaves at least
  m - m(m-1) p / 2 points in expectation, so with m = floor(1/p) some draw keeps >= that many,
  ~ 1/(2 p(delta)).  This is the guarantee behind the seeded construction below.
* "basis": the n standard basis vectors are 0-coherent, so D(n, delta) >= n for every delta.
* "best": the maximum of the three (the default).

Everything is returned in log10 (natural logs internally), so sizes like 10^(10^5) stay finite.
p(delta) is evaluated with scipy's regularized incomplete beta (Boost) -- as
log1p(-I_{delta^2}(1/2, (n-1)/2)) while p > 1/2, as the log of the complement while it is above
1e-280 -- and below that as log I_x(a, b) from the continued fraction (DLMF 8.17.22) with its
prefactor in log scale, so it never underflows (tested against closed forms for n = 2, 3, 4,
against scipy where both work, and against mpmath quadrature at 40 digits far below the float64
range).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harmonics import sample_sphere
from harmonics._infra.checks import check_dimension, check_int, check_real, check_real_array
from harmonics._infra.results import ResultMixin
from harmonics._infra.rng import as_generator
from harmonics.truncated_power import betainc_continued_fraction

from ._log10 import LN10

_SCIPY_FLOOR = 1e-280
_BOUNDS = ("best", "gv", "random", "basis")

# Default ceiling for arrays this package allocates on a user's behalf (1 GiB).
DEFAULT_MAX_BYTES = 1 << 30


class FamilyTooLargeError(ValueError, MemoryError):
    """A requested family of directions would not fit in the allowed memory.

    Subclasses both ValueError (the arguments ask for too much) and MemoryError, so either
    ``except`` clause catches it.  Raised *before* anything is allocated.
    """


def check_delta(delta, name: str = "delta") -> float:
    """Coherence bound delta in [0, 1): a bound on |<u, v>| for u != v."""
    delta = check_real(delta, name)
    if not 0 <= delta < 1:
        raise ValueError(f"{name} must lie in [0, 1) (a bound on |<u, v>| for u != v), got {delta}")
    return delta


def _log_betainc_cf(a: float, b: float, log_x: float, log_1mx: float, x: float) -> float:
    """log I_x(a, b) by the continued fraction of DLMF 8.17.22 (modified Lentz), with the
    prefactor x^a (1-x)^b / (a B(a, b)) in log scale.  Converges quickly for
    x < (a + 1)/(a + b + 2); the continued fraction itself is O(1), so nothing underflows
    (harmonics.truncated_power.betainc_continued_fraction, the one implementation)."""
    h = betainc_continued_fraction(a, b, x, one=1.0, tiny=1e-300, eps=1e-16, strict=False)
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return a * log_x + b * log_1mx - math.log(a) - log_beta + math.log(h)


def _log_cap_scalar(n: int, delta: float) -> float:
    import scipy.special as sc

    if delta == 0.0:
        return 0.0
    a = (n - 1) / 2.0
    q = float(sc.betainc(0.5, a, delta * delta))  # P(|t| <= delta), accurate when small
    if q < 0.5:
        return math.log1p(-q)
    p = float(sc.betaincc(0.5, a, delta * delta))
    if p > _SCIPY_FLOOR:
        return math.log(p)
    # p = I_{1-delta^2}(a, 1/2) below the float64 range.  There n delta^2 > ~1200, far above
    # 3/(n+4), the continued fraction's fast-convergence threshold 1 - x < 3/(n+4).
    d2 = delta * delta
    return _log_betainc_cf(a, 0.5, math.log1p(-d2), 2.0 * math.log(delta), 1.0 - d2)


def log_cap_measure(n, delta):
    """Natural log of p(delta) = P_{x~sigma}(|<x, e>| > delta), the double-cap measure.

    p(delta) = I_{1-delta^2}((n-1)/2, 1/2) (the regularized incomplete beta function; see the
    module docstring).  ``delta`` may be a float or an array of values in [0, 1); the result has
    the same shape.  Finite for every n, delta < 1 (e.g. n = 10^6, delta = 0.5 gives
    log p ~ -1.4e5).
    """
    n = check_dimension(n)
    arr = check_real_array(delta, "delta")
    for d in arr.ravel():
        check_delta(float(d))
    out = _log_cap_array(n, arr)
    return float(out) if out.ndim == 0 else out


def _log_cap_array(n: int, delta: np.ndarray) -> np.ndarray:
    """Vectorised log p(delta) (no argument checks): scipy where it is representable, mpmath
    for the entries below 1e-280."""
    import scipy.special as sc

    delta = np.asarray(delta, dtype=float)
    flat = delta.ravel()
    a = (n - 1) / 2.0
    q = sc.betainc(0.5, a, flat * flat)  # P(|t| <= delta): accurate where it is small
    p = sc.betaincc(0.5, a, flat * flat)  # P(|t| > delta): accurate where it is small
    out = np.zeros(flat.shape)
    near_one = q < 0.5
    good = (p > _SCIPY_FLOOR) & ~near_one
    out[near_one] = np.log1p(-q[near_one])
    out[good] = np.log(p[good])
    out[flat == 0.0] = 0.0
    for i in np.flatnonzero(~good & ~near_one & (flat != 0.0)):
        out[i] = _log_cap_scalar(n, float(flat[i]))
    return out.reshape(delta.shape)


def _log_size_from_logp(n: int, logp: float, bound: str) -> float:
    """Natural log of the certified family size for double-cap measure exp(logp)."""
    candidates = []
    if bound in ("gv", "best"):
        # D >= floor(1/p) (and >= 1): exact integer floor while it is representable.
        inv = -logp
        if inv < 36 * math.log(2.0):
            candidates.append(math.log(max(1, math.floor(math.exp(inv) * (1 + 1e-15)))))
        else:
            candidates.append(inv)
    if bound in ("random", "best"):
        p = math.exp(logp)
        if -logp < 36 * math.log(2.0):
            m = max(1, math.floor(1.0 / p))
            kept = m - m * (m - 1) * p / 2.0
            candidates.append(math.log(max(1, math.ceil(kept - 1e-9))))
        else:
            # m = floor(1/p) ~ 1/p: kept ~ (1/p)(1 - (1/p - 1) p / 2) >= 1/(2p)
            candidates.append(-logp - math.log(2.0))
    if bound in ("basis", "best"):
        candidates.append(math.log(n))
    return max(candidates)


def family_size_bound(n, delta, *, bound: str = "best") -> float:
    """log10 of a certified lower bound on the largest delta-coherent family in R^n.

    Parameters
    ----------
    n : int >= 2;  delta : float in [0, 1).
    bound : "gv" (D >= floor(1/p(delta))), "random" (random packing with alteration,
        D >= ~1/(2 p(delta))), "basis" (D >= n), or "best" (their maximum, the default).
        The derivations are in the module docstring.

    Returns
    -------
    float, log10 D.  Stays finite for astronomically large D.

    >>> round(10 ** family_size_bound(3, 0.5, bound="gv"))  # p = 1/2 on S^2 (Archimedes)
    2
    """
    n = check_dimension(n)
    delta = check_delta(delta)
    if bound not in _BOUNDS:
        raise ValueError(f"bound must be one of {', '.join(_BOUNDS)}, got {bound!r}")
    return _log_size_from_logp(n, _log_cap_scalar(n, delta), bound) / LN10


# ------------------------------------------------------------------------------ constructions


@dataclass(frozen=True)
class DirectionFamily(ResultMixin):
    """A finite set of unit vectors with its *computed* coherence.

    Attributes
    ----------
    vectors : read-only array [D, n] of unit vectors.
    delta : the achieved max_{u != v} |<u, v>|, computed from the vectors (0.0 if D = 1).
    requested_delta, requested_size : what was asked for (None if not given).
    method : "random", "orthonormal" or "hadamard".
    ``to_dict()`` adds size and n; ``save(path)`` / ``DirectionFamily.load(path)``.
    """

    _layout = (
        "method",
        "size",
        "n",
        "delta",
        "requested_delta",
        "requested_size",
        "vectors",
    )

    vectors: np.ndarray = field(repr=False)
    delta: float
    method: str
    requested_delta: float | None = None
    requested_size: int | None = None

    @property
    def size(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def n(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        extra = ""
        if self.requested_size is not None and self.requested_size != self.size:
            extra = f", requested_size={self.requested_size}"
        if self.requested_delta is not None:
            extra += f", requested_delta={self.requested_delta:.4g}"
        return (
            f"DirectionFamily(method={self.method!r}, size={self.size}, n={self.n}, "
            f"delta={self.delta:.6g}{extra})"
        )


def max_coherence(vectors, *, block_bytes: int = 1 << 26) -> float:
    """max_{i != j} |<v_i, v_j>| for the rows of ``vectors`` [D, n], computed in row blocks
    (memory O(block_bytes), not O(D^2)).  Returns 0.0 for D <= 1."""
    V = check_real_array(vectors, "vectors")
    block_bytes = check_int(block_bytes, "block_bytes", 1)
    if V.ndim != 2 or V.shape[1] < 1:
        raise ValueError(f"vectors must be a 2-d array [D, n] with n >= 1, got shape {V.shape}")
    D = V.shape[0]
    if D <= 1:
        return 0.0
    rows = max(1, block_bytes // (8 * D))
    best = 0.0
    for start in range(0, D, rows):
        stop = min(D, start + rows)
        G = np.abs(V[start:stop] @ V.T)
        G[np.arange(stop - start), np.arange(start, stop)] = 0.0
        best = max(best, float(G.max()))
    return best


def _check_memory(size: int, n: int, max_bytes: int, what: str) -> None:
    need = 8 * size * n
    if need > max_bytes:
        raise FamilyTooLargeError(
            f"{what}: a family of {size:.4g} unit vectors in R^{n} needs {need:.4g} bytes "
            f"(size * n * 8), more than max_bytes={max_bytes:.4g}; ask for a smaller size, a "
            "smaller delta, or use sq_bounds.family_size_bound for the analytic size in log scale"
        )


def _greedy_random(n, size, delta, rng, max_candidates, batch=256):
    kept = np.empty((size, n))
    count = 0
    tried = 0
    while count < size and tried < max_candidates:
        b = min(batch, max_candidates - tried)
        cand = sample_sphere(b, n, rng)
        tried += b
        if count:
            ok = np.ones(b, dtype=bool)
            step = max(1, (1 << 24) // (8 * b))
            for start in range(0, count, step):
                block = kept[start : min(count, start + step)]
                ok &= np.max(np.abs(cand @ block.T), axis=1) <= delta
            cand = cand[ok]
        if cand.shape[0] == 0:
            continue
        G = np.abs(cand @ cand.T)
        accepted = []
        for i in range(cand.shape[0]):
            if count + len(accepted) >= size:
                break
            if all(G[i, j] <= delta for j in accepted):
                accepted.append(i)
        kept[count : count + len(accepted)] = cand[accepted]
        count += len(accepted)
    return kept[:count]


def _sylvester(n: int) -> np.ndarray:
    H = np.ones((1, 1))
    while H.shape[0] < n:
        H = np.block([[H, H], [H, -H]])
    return H


def direction_family(
    n,
    size=None,
    delta=None,
    *,
    method: str = "random",
    rng=None,
    max_candidates=None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> DirectionFamily:
    """Construct a family of unit vectors in R^n with max |<u, v>| <= delta; report the achieved
    delta (computed from the vectors, never assumed).

    Parameters
    ----------
    n : int >= 2.
    size : number of vectors wanted (int >= 1) or None.
    delta : coherence target in [0, 1) or None.
    method :
        * "random" (seeded with ``rng``): with ``delta=None``, ``size`` i.i.d. uniform points
          (their coherence is reported; it concentrates near sqrt(4 log(size) / n)).  With a
          ``delta``, greedy random packing: uniform candidates are kept when they are
          delta-coherent with those kept so far, until ``size`` vectors are kept or
          ``max_candidates`` (default 20 * size + 10^4) were tried -- the returned family may
          then be smaller than asked (``requested_size`` records the request).  If ``size`` is
          None it defaults to the analytic "best" bound of :func:`family_size_bound`.
        * "orthonormal": the first ``size`` (default n, at most n) standard basis vectors,
          delta = 0.
        * "hadamard" (n a power of 2): the standard basis together with the rows of the
          normalized Sylvester-Hadamard matrix, 2n vectors (default) with delta = 1/sqrt(n).
    rng : None, int seed or numpy Generator (method "random").
    max_bytes : refuse (raise :class:`FamilyTooLargeError`, a ValueError and MemoryError) before
        allocating a [size, n] float64 array larger than this (default 1 GiB).

    Returns
    -------
    DirectionFamily with ``vectors`` [D, n] and the achieved ``delta``.
    """
    n = check_dimension(n)
    max_bytes = check_int(max_bytes, "max_bytes", 1)
    gen = as_generator(rng)  # validated for every method (used by 'random' only)
    if max_candidates is not None:  # validated for every method (used by 'random' only)
        max_candidates = check_int(max_candidates, "max_candidates", 1)
    if method not in ("random", "orthonormal", "hadamard"):
        raise ValueError(f"method must be 'random', 'orthonormal' or 'hadamard', got {method!r}")
    if delta is not None:
        delta = check_delta(delta)
    if size is not None:
        size = check_int(size, "size", 1)
    if method == "orthonormal":
        size = n if size is None else size
        if size > n:
            raise ValueError(f"size must be <= n = {n} for method='orthonormal', got {size}")
        _check_memory(size, n, max_bytes, "direction_family")
        vectors = np.eye(n)[:size]
    elif method == "hadamard":
        if n & (n - 1):
            raise ValueError(f"method='hadamard' needs n a power of 2, got n={n}")
        size = 2 * n if size is None else size
        if size > 2 * n:
            raise ValueError(f"size must be <= 2n = {2 * n} for method='hadamard', got {size}")
        if delta is not None and size > n and delta < 1 / math.sqrt(n):
            raise ValueError(
                f"the Hadamard family has coherence 1/sqrt(n) = {1 / math.sqrt(n):.4g} > "
                f"delta = {delta}; use size <= n or a larger delta"
            )
        _check_memory(size, n, max_bytes, "direction_family")
        vectors = np.vstack([np.eye(n), _sylvester(n) / math.sqrt(n)])[:size]
    else:
        if size is None and delta is None:
            raise ValueError("direction_family(method='random') needs size, delta or both")
        if delta is None:
            _check_memory(size, n, max_bytes, "direction_family")
            vectors = sample_sphere(size, n, gen)
        else:
            if size is None:
                log10_d = family_size_bound(n, delta)
                if log10_d > 15:
                    raise FamilyTooLargeError(
                        f"direction_family: the analytic family size for n={n}, delta={delta} "
                        f"is 10^{log10_d:.4g} vectors, far more than memory allows "
                        f"(max_bytes={max_bytes:.4g}); pass an explicit size"
                    )
                size = max(1, int(round(10**log10_d)))
            _check_memory(size, n, max_bytes, "direction_family")
            default = max_candidates is None
            if default:
                max_candidates = 20 * size + 10_000
            # each candidate is compared with up to size kept vectors in R^n
            if max_candidates * size * n > 5 * 10**9:
                which = " (default 20 size + 10^4)" if default else ""
                raise ValueError(
                    f"direction_family: greedy packing of size = {size} in n = {n} with "
                    f"max_candidates = {max_candidates}{which} costs up to "
                    f"~{max_candidates * size * n:.2g} multiply-adds (limit 5e9, ~2 s); pass a "
                    "smaller size or max_candidates"
                )
            # Accept with a margin of 1e-12 below delta so that the coherence recomputed below
            # (different summation order) cannot exceed delta by rounding.
            vectors = _greedy_random(n, size, max(0.0, delta - 1e-12), gen, int(max_candidates))
    vectors = np.ascontiguousarray(vectors)
    achieved = max_coherence(vectors)
    vectors.setflags(write=False)
    return DirectionFamily(
        vectors=vectors,
        delta=achieved,
        method=method,
        requested_delta=delta,
        requested_size=size,
    )
