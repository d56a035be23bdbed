"""Correlational statistical-query lower bounds for degree-k functions on the sphere.

The theorem (correlational SQ; Szörényi 2009, Thm. 5; the form quoted by Vempala & Wilmes,
COLT 2019, arXiv:1805.02677)
--------------------------------------------------------------------------------------------
Let f_1, ..., f_D in L^2(sigma) have ||f_i|| = 1 and |<f_i, f_j>| <= gamma for i != j, and let
gamma < tau^2.  A *correlational* SQ algorithm sees the unknown target f* in {f_i} only through
queries h : S^{n-1} -> [-1, 1], each answered by any number within tau of <h, f*> = E[h f*]
(queries that do not involve f*, such as E[h] or E[h g] for the algorithm's own g, it can compute
itself).  If a deterministic such algorithm outputs, for every target, a hypothesis g with
||g - f*||^2 < 1 - tau^2 (i.e. beats the best constant predictor 0, whose error is
||f*||^2 = 1 since k >= 1 makes every f_i mean-zero, by more than tau^2), then it makes at least

        q  >=  D (tau^2 - gamma) / 2      queries.

Derivation (why this constant).  (i) For any h with ||h||_2 <= 1, let A = {i : |<h, f_i>| > tau}
and s_i = sign <h, f_i>.  Cauchy-Schwarz gives |A| tau < <h, sum_A s_i f_i>
<= ||sum_A s_i f_i|| <= sqrt(|A| + |A|(|A| - 1) gamma), so |A| < (1 - gamma)/(tau^2 - gamma)
<= 1/(tau^2 - gamma).  (ii) The adversary answers 0 to every query; after q queries more than
D - q/(tau^2 - gamma) targets are consistent with all answers, and they all receive the same
output g.  (iii) ||g - f||^2 < 1 - tau^2 forces <g/||g||, f> > tau (expand the square and use
(tau^2 + ||g||^2)/2 >= tau ||g||), so by (i) fewer than 1/(tau^2 - gamma) of them are learned.
Hence q > D (tau^2 - gamma) - 1, which is >= D (tau^2 - gamma)/2 whenever the latter is >= 1,
i.e. whenever the bound says anything.  We report the published form D (tau^2 - gamma)/2; the
sharper D (tau^2 - gamma) - 1 is at most 2x larger.

Scope: the bound is for *correlational* queries (E[h(x) y]) -- the model of gradient descent on
the square loss, whose gradient coordinates are E[(f_a - y) phi_i] -- and deterministic
algorithms (randomized ones: Feldman 2012 / Feldman et al. 2013, statistical dimension, lose
constant factors).  It is not a bound for general SQ queries q(x, y) of real-valued targets.
The tolerance model is additive (STAT(tau)), not VSTAT.

Applied to the family f_u(x) = sqrt(N(n,k)) P_{k,n}(<u, x>) (see :mod:`sq_bounds.correlation`)
with u ranging over a delta-coherent family of directions, gamma = gamma(delta) =
max_{|s| <= delta} |P_{k,n}(s)| and D = D(n, delta) from :mod:`sq_bounds.families`.  Every
delta with gamma(delta) < tau^2 gives a valid bound; :func:`query_lower_bound` reports the best
one it finds (numerical search over delta only affects how tight the reported bound is, never
its validity).

Consequences one can read off (and the tests/CLI show):
* gamma(delta) >= |P_{k,n}(0)| ~ (k-1)!! n^{-k/2} for even k, so no bound exists unless
  tau > |P_{k,n}(0)|^{1/2} ~ n^{-k/4}: the tolerance must be above the correlation scale.
* Restricting to a class of n^{Theta(k)} functions (``max_family_size="dim"``, D <= N(n,k)) the
  bound grows like N(n,k) tau^2 / 2 ~ n^k tau^2 / (2 k!) once gamma << tau^2: the n^{Omega(k)}
  of Vempala & Wilmes, while log2 N(n,k) = Theta(k log n) bits identify the target
  (:func:`information_theoretic_bound`).
* Without a cap the optimal delta grows with n and D(n, delta) ~ exp(n delta^2 / 2), so for a
  fixed tau the bound is even exp(Omega(n tau^{4/k})).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harmonics import dim_harmonics, legendre_log, legendre_zeros
from harmonics._infra.checks import (
    check_bool,
    check_dimension,
    check_int,
    check_real,
    check_real_array,
)
from harmonics._infra.deprecation import renamed_attribute
from harmonics._infra.results import ResultMixin

from ._log10 import LN10, log10_int
from .families import _BOUNDS, _log_cap_array, _log_size_from_logp, check_delta
from .oracle import check_tau


def log1mexp(x):
    """log(1 - exp(x)) for x <= 0, accurate near 0 and for very negative x (Maechler 2012)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -math.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


# --------------------------------------------------------------------------- gamma(delta)


class _GammaFunction:
    """delta -> log gamma(delta) = log max_{|s| <= delta} |P_{k,n}(s)| (natural log).

    |P_{k,n}| is even in s, so the max over [-delta, delta] is the max over [0, delta], attained
    at delta itself or at an interior critical point.  The critical points of P_{k,n} are the
    zeros of P'_{k,n}, proportional to P_{k-1,n+2} (d/dt C_k^a = 2a C_{k-1}^{a+1}, DLMF 18.9.19),
    i.e. the nodes of the (k-1)-point Gauss rule of nu_{n+2} (harmonics.legendre_zeros).  So
    gamma(delta) = max(|P(delta)|, max_{critical c <= delta} |P(c)|), exact up to rounding (an
    error e in a node moves |P(c)| by O(e^2) since P'(c) = 0).
    """

    def __init__(self, n: int, k: int):
        self.n, self.k = n, k
        if k >= 2:
            nodes = legendre_zeros(n + 2, k - 1)
            crit = np.unique(np.abs(np.asarray(nodes, dtype=float)))
            _, logv = legendre_log(n, k, crit)
            self.crit = crit
            self.prefix = np.maximum.accumulate(np.asarray(logv, dtype=float))
        else:
            self.crit = np.zeros(0)
            self.prefix = np.zeros(0)

    def __call__(self, delta) -> np.ndarray:
        d = np.atleast_1d(np.asarray(delta, dtype=float))
        _, out = legendre_log(self.n, self.k, d)
        out = np.array(out, dtype=float)
        if self.crit.size:
            idx = np.searchsorted(self.crit, d, side="right")
            has = idx > 0
            out[has] = np.maximum(out[has], self.prefix[idx[has] - 1])
        return out


def max_correlation(n, k, delta, *, log: bool = False):
    """gamma(delta) = max_{|s| <= delta} |P_{k,n}(s)|: the largest |<f_u, f_v>| in a family whose
    directions satisfy |<u, v>| <= delta.

    Computed exactly from the critical points of P_{k,n} (zeros of P_{k-1,n+2}) and the endpoint,
    not from a grid.  n : dimension, k : degree (n before k; until 0.2.0 the order was k, n).
    ``delta`` float or array in [0, 1).  With ``log=True`` returns the natural-log pair
    ``(sign, log gamma)`` like every ``log=True`` of funkhecke: log finite where gamma underflows
    float64; sign 0 and log -inf where gamma = 0, e.g. odd k at delta = 0 (until 0.2.0 it
    returned the log alone).

    >>> float(max_correlation(3, 2, 0.1))  # |P_2| on [-0.1, 0.1] peaks at s = 0: 1/2
    0.5
    """
    n = check_dimension(n)
    k = check_int(k, "k", 1)
    log = check_bool(log, "log")
    arr = check_real_array(delta, "delta")
    for d in arr.ravel():
        check_delta(float(d))
    lg = _GammaFunction(n, k)(arr).reshape(arr.shape)
    if log:
        sign = np.where(np.isfinite(lg), 1.0, 0.0)  # gamma >= 0
        return (float(sign), float(lg)) if lg.ndim == 0 else (sign, lg)
    with np.errstate(under="ignore"):
        g = np.exp(lg)
    return float(g) if g.ndim == 0 else g


# --------------------------------------------------------------------------- result objects


def _fmt_pow10(x: float | None) -> str:
    if x is None:
        return "n/a"
    if abs(x) < 6:
        return f"{10**x:.4g}"
    return f"10^{x:.4g}"


def _fmt_gamma(gamma, log10_gamma) -> str:
    if gamma:
        return f"{gamma:.3g}"
    if log10_gamma is None or not math.isfinite(log10_gamma):
        return "0"
    return f"10^{log10_gamma:.4g}"  # underflowed float, finite log


@dataclass(frozen=True)
class SQBound(ResultMixin):
    """A query-count bound, in log10 so that astronomically large values stay finite.

    Attributes
    ----------
    kind : "csq" (correlational SQ lower bound D (tau^2 - gamma)/2) or "information"
        (information-theoretic count, see :func:`information_theoretic_bound`).
    n, k, tau : the problem (tau None for an information bound without tolerance).
    log10_queries : log10 of the bound; None when no bound exists (tau^2 <= gamma for every
        admissible delta).  May be negative (bound < 1 query): then ``vacuous`` is True.
    delta, gamma, log10_gamma : the coherence of the directions and the resulting maximal
        correlation of the family (csq only; gamma may underflow to 0.0, log10_gamma does not).
    log10_family_size : log10 of the class size D (the certified family size for csq, the class
        size M for the information bound).
    family_bound : which size bound was used ("best", "gv", "random", "basis").
    log10_max_family_size : the cap on the class size, if any.
    vacuous : True if the bound says nothing (absent, or < 1 query).
    note : one-line explanation when vacuous or capped.
    """

    kind: str
    n: int
    k: int
    tau: float | None
    log10_queries: float | None
    delta: float | None = None
    gamma: float | None = None
    log10_gamma: float | None = None
    log10_family_size: float | None = None
    family_bound: str | None = None
    log10_max_family_size: float | None = None
    vacuous: bool = False
    note: str = ""

    @property
    def queries(self) -> float:
        """The bound as a float (inf if beyond float64 -- use ``log10_queries``; 0 if absent)."""
        if self.log10_queries is None:
            return 0.0
        return 10.0**self.log10_queries if self.log10_queries < 308 else math.inf

    def __repr__(self) -> str:
        head = f"SQBound({self.kind}: n={self.n}, k={self.k}"
        if self.tau is not None:
            head += f", tau={self.tau:g}"
        if self.log10_queries is None:
            return f"{head} -> no bound: {self.note})"
        body = f"{head} -> queries >= {_fmt_pow10(self.log10_queries)}"
        if self.kind == "csq":
            gam = _fmt_gamma(self.gamma, self.log10_gamma)
            body += (
                f"; delta={self.delta:.4g}, gamma={gam}, "
                f"family={_fmt_pow10(self.log10_family_size)} [{self.family_bound}]"
            )
        else:
            body += f"; class size {_fmt_pow10(self.log10_family_size)}"
        if self.vacuous:
            body += "; vacuous"
        if self.note:
            body += f"; {self.note}"
        return body + ")"

    __str__ = __repr__


@dataclass(frozen=True)
class StatisticalDimension(ResultMixin):
    """A certified pair (D, gamma): D functions of the degree-k family with pairwise
    |correlation| <= gamma, i.e. the correlational statistical dimension SD(C_k, gamma) >= D.

    Fields: n, k, tau (the tolerance the pair was optimized for), delta (coherence of the
    directions), gamma, log10_gamma, log10_dimension (log10 D), family_bound, admissible
    (gamma < tau^2).
    """

    n: int
    k: int
    tau: float | None
    delta: float | None
    gamma: float | None
    log10_gamma: float | None
    log10_dimension: float | None
    family_bound: str
    admissible: bool

    def __repr__(self) -> str:
        if self.log10_dimension is None:
            return (
                f"StatisticalDimension(n={self.n}, k={self.k}, tau={self.tau:g}: no admissible "
                "delta (tau^2 <= gamma(0)))"
            )
        gam = _fmt_gamma(self.gamma, self.log10_gamma)
        return (
            f"StatisticalDimension(n={self.n}, k={self.k}: D >= "
            f"{_fmt_pow10(self.log10_dimension)} functions with |corr| <= {gam} "
            f"(delta={self.delta:.4g}, {self.family_bound})"
            + ("" if self.admissible else ", gamma >= tau^2")
            + ")"
        )


# --------------------------------------------------------------------------- the optimizer


def _log_max_family(max_family_size, n: int, k: int) -> float | None:
    """Natural log of the class-size cap (None = no cap)."""
    if max_family_size is None:
        return None
    if isinstance(max_family_size, str):
        if max_family_size != "dim":
            raise ValueError(
                f"max_family_size must be None, 'dim' (N(n,k)) or an integer >= 1, "
                f"got {max_family_size!r}"
            )
        return log10_int(dim_harmonics(n, k)) * LN10

    return log10_int(check_int(max_family_size, "max_family_size", 1)) * LN10


class _Objective:
    """J(delta) = log D(delta) + log(tau^2 - gamma(delta)) - log 2 (natural logs)."""

    def __init__(self, n, k, tau, bound, log_cap):
        self.n, self.k, self.bound, self.log_cap = n, k, bound, log_cap
        self.log_tau2 = 2.0 * math.log(tau)
        self.gamma = _GammaFunction(n, k)

    def log_size(self, delta: np.ndarray) -> np.ndarray:
        logp = _log_cap_array(self.n, delta)
        out = np.array([_log_size_from_logp(self.n, float(lp), self.bound) for lp in logp])
        if self.log_cap is not None:
            out = np.minimum(out, self.log_cap)
        return out

    def __call__(self, delta) -> np.ndarray:
        d = np.atleast_1d(np.asarray(delta, dtype=float))
        lg = self.gamma(d)
        margin = log1mexp(np.minimum(lg - self.log_tau2, 0.0))
        val = self.log_size(d) + self.log_tau2 + margin - math.log(2.0)
        return np.where(lg < self.log_tau2, val, -np.inf)


def _delta_max(obj: _Objective) -> float:
    """sup {delta : gamma(delta) < tau^2} by bisection (gamma is nondecreasing)."""
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if obj.gamma(mid)[0] < obj.log_tau2:
            lo = mid
        else:
            hi = mid
    return lo


def _optimize(n, k, tau, bound, log_cap):
    """Return (delta, J(delta)) maximizing J, or None if no delta is admissible."""
    from scipy.optimize import minimize_scalar

    obj = _Objective(n, k, tau, bound, log_cap)
    if obj.gamma(0.0)[0] >= obj.log_tau2:
        return obj, None
    dmax = _delta_max(obj)
    grid = [0.0]
    if dmax > 0:
        grid += list(dmax * np.logspace(-12, 0, 241)[:-1])
        grid += list(dmax * (1 - np.logspace(-1, -12, 12)))
    grid = np.unique(np.array(grid))
    vals = obj(grid)
    i = int(np.argmax(vals))
    best_d, best_v = float(grid[i]), float(vals[i])
    if 0 < i < grid.size - 1:
        lo, hi = float(grid[i - 1]), float(grid[i + 1])
        res = minimize_scalar(
            lambda x: -float(obj(x)[0]),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-12 * max(hi, 1e-300)},
        )
        if res.success and -res.fun > best_v:
            best_d, best_v = float(res.x), float(-res.fun)
    return obj, (best_d, best_v)


def _check_bound(bound: str) -> str:
    if bound not in _BOUNDS:
        raise ValueError(f"family_bound must be one of {', '.join(_BOUNDS)}, got {bound!r}")
    return bound


def _evaluate(n, k, tau, delta, family_bound, max_family_size):
    n = check_dimension(n)
    k = check_int(k, "k", 1)
    tau = check_tau(tau)
    bound = _check_bound(family_bound)
    log_cap = _log_max_family(max_family_size, n, k)
    if delta is None:
        obj, opt = _optimize(n, k, tau, bound, log_cap)
        if opt is None:
            return n, k, tau, bound, log_cap, obj, None, None
        d, val = opt
    else:
        d = check_delta(delta)
        obj = _Objective(n, k, tau, bound, log_cap)
        val = float(obj(d)[0])
        if not math.isfinite(val):
            val = None
    return n, k, tau, bound, log_cap, obj, d, val


def statistical_dimension(
    n, k, tau, *, delta=None, family_bound: str = "best", max_family_size=None
) -> StatisticalDimension:
    """A certified lower bound on the correlational statistical dimension of the degree-k family.

    Returns the pair (D, gamma) -- D = D(n, delta) directions that are delta-coherent
    (:func:`sq_bounds.family_size_bound`), hence D unit-norm functions
    f_u = sqrt(N(n,k)) P_{k,n}(<u, .>) with pairwise |correlation| <= gamma = max_{|s|<=delta}
    |P_{k,n}(s)| -- at the delta that maximizes the query bound D (tau^2 - gamma)/2 for the
    given tolerance (or at the given ``delta``).

    Parameters
    ----------
    n : int >= 2;  k : int >= 1 (n before k; until 0.2.0 the order was k, n);  tau : tolerance
        in (0, 1).
    delta : fix the coherence instead of optimizing (float in [0, 1)).
    family_bound : "best" (default), "gv", "random" or "basis" (see sq_bounds.families).
    max_family_size : None (no cap), "dim" (cap at N(n,k): the Vempala-Wilmes class of
        n^{Theta(k)} functions) or an integer cap.
    """
    n, k, tau, bound, log_cap, obj, d, val = _evaluate(
        n, k, tau, delta, family_bound, max_family_size
    )
    if d is None:
        lg0 = float(obj.gamma(0.0)[0])
        return StatisticalDimension(
            n, k, tau, None, math.exp(lg0), lg0 / LN10, None, bound, admissible=False
        )
    lg = float(obj.gamma(d)[0])
    log_d = float(obj.log_size(np.array([d]))[0])
    return StatisticalDimension(
        n,
        k,
        tau,
        d,
        math.exp(lg),
        lg / LN10,
        log_d / LN10,
        bound,
        admissible=lg < obj.log_tau2,
    )


def query_lower_bound(
    n, k, tau, *, delta=None, family_bound: str = "best", max_family_size=None
) -> SQBound:
    """Lower bound on the number of correlational statistical queries of tolerance tau needed to
    learn the degree-k family on S^{n-1} (beat the zero predictor by more than tau^2).

        queries >= max_delta D(n, delta) (tau^2 - gamma(delta)) / 2,
        gamma(delta) = max_{|s| <= delta} |P_{k,n}(s)|,

    by the theorem in the module docstring (Szörényi 2009; Vempala & Wilmes 2019) applied to
    f_u = sqrt(N(n,k)) P_{k,n}(<u, .>) over a delta-coherent family of D(n, delta) directions.
    delta is chosen by a search in log scale (a 240-point geometric grid below the largest
    admissible delta, points clustered just below it, and a bounded Brent refinement); the
    reported value is attained at the reported delta, so it is a valid bound even if the search
    misses the global maximum.

    Parameters
    ----------
    n : int >= 2;  k : int >= 1 (n before k; until 0.2.0 the order was k, n);  tau : float in
        (0, 1).
    delta : evaluate at this coherence instead of optimizing.
    family_bound : "best" (max of GV, random-packing and basis sizes; default), "gv", "random",
        "basis".
    max_family_size : None, "dim" (class of N(n,k) = n^{Theta(k)} functions, as in Vempala &
        Wilmes) or an integer.

    Returns
    -------
    SQBound with log10_queries, delta, gamma, log10_gamma, log10_family_size, tau, vacuous.
    log10_queries is None when tau^2 <= gamma(delta) for every delta (for even k this happens
    when tau^2 <= |P_{k,n}(0)| ~ n^{-k/2}).
    """
    n, k, tau, bound, log_cap, obj, d, val = _evaluate(
        n, k, tau, delta, family_bound, max_family_size
    )
    cap10 = None if log_cap is None else log_cap / LN10
    if val is None:
        dd = 0.0 if d is None else d
        lg = float(obj.gamma(dd)[0])
        note = (
            f"tau^2 = {tau * tau:.3g} <= gamma({dd:g}) = max|P_{{{k},{n}}}(s)| on |s| <= {dd:g}"
            f" = {_fmt_pow10(lg / LN10) if lg / LN10 < -5 else f'{math.exp(lg):.3g}'}"
        )
        return SQBound(
            "csq",
            n,
            k,
            tau,
            None,
            delta=d,
            gamma=math.exp(lg),
            log10_gamma=lg / LN10,
            family_bound=bound,
            log10_max_family_size=cap10,
            vacuous=True,
            note=note,
        )
    lg = float(obj.gamma(d)[0])
    log_size = float(obj.log_size(np.array([d]))[0])
    note = ""
    if log_cap is not None and log_size >= log_cap - 1e-12:
        note = "class size capped"
    return SQBound(
        "csq",
        n,
        k,
        tau,
        val / LN10,
        delta=d,
        gamma=math.exp(lg),
        log10_gamma=lg / LN10 if math.isfinite(lg) else -math.inf,
        log10_family_size=log_size / LN10,
        family_bound=bound,
        log10_max_family_size=cap10,
        vacuous=val < 0,
        note=note,
    )


def information_theoretic_bound(n, k, *, tau=None, max_family_size="dim") -> SQBound:
    """Information-theoretic query count for identifying a target in a class of M functions.

    The class is M members of the degree-k family (default M = N(n,k) = dim H_k ~ n^k / k!, the
    Vempala-Wilmes class of n^{Theta(k)} degree-k polynomials; or ``max_family_size=M``).
    Distinct members are far apart (||f_u - f_v||^2 = 2(1 - P_{k,n}(<u,v>)) >= 2(1 - gamma)),
    so learning to small error identifies the target.  What we compute:

    * ``tau=None``: log2 M -- the number of bits, i.e. of queries with 1-bit answers, that any
      algorithm needs to identify the target (counting: 2^q transcripts must separate M
      targets); O(log M) samples also suffice (ERM over the finite class).  For M = N(n,k) this
      is Theta(k log n): the "information-theoretic bound" that contrasts with the SQ bound.
    * ``tau`` given: log2 M / log2(floor(1/tau) + 1) -- a lower bound on the number of SQ
      queries of tolerance tau for any (deterministic) algorithm: an adversary can answer every
      query with a point of the grid {-1, -1 + 2 tau, ...} (at most floor(1/tau) + 1 values)
      within tau of the truth, so q queries produce at most (floor(1/tau) + 1)^q transcripts.

    Returns an :class:`SQBound` of kind "information" with ``log10_queries`` = log10 of that
    count and ``log10_family_size`` = log10 M.  Arguments: dimension n, then degree k (until
    0.2.0 the order was k, n).
    """
    n = check_dimension(n)
    k = check_int(k, "k", 1)
    if tau is not None:
        tau = check_tau(tau)
    if max_family_size is None:
        raise ValueError("max_family_size must be 'dim' or an integer >= 1 (the class size M)")
    log_m = _log_max_family(max_family_size, n, k)
    bits = log_m / math.log(2.0)
    if tau is not None:
        bits /= math.log2(math.floor(1.0 / tau) + 1)
    if bits <= 0:
        return SQBound(
            "information",
            n,
            k,
            tau,
            None,
            log10_family_size=log_m / LN10,
            vacuous=True,
            note="a class of one function needs no query",
        )
    return SQBound(
        "information",
        n,
        k,
        tau,
        math.log10(bits),
        log10_family_size=log_m / LN10,
        vacuous=bits < 1,
    )


# --------------------------------------------------------------------------- scaling in n


@dataclass(frozen=True)
class ExponentFit(ResultMixin):
    """Least-squares fit log10 Q(n) ~ log10_intercept + slope * log10 n over the non-vacuous
    points.

    ``slope`` is the exponent of n; ``local_slopes`` are the finite differences between
    consecutive points (constant if the scaling is a clean power law).  ``log10_intercept`` was
    called ``intercept`` before 0.2 (deprecated alias, removed in 0.3).
    """

    n: tuple
    k: int
    log10_queries: tuple
    slope: float | None
    log10_intercept: float | None
    local_slopes: tuple
    tau: float | None
    tau_exponent: float | None
    max_family_size: object

    intercept = renamed_attribute("intercept", "log10_intercept")

    def __repr__(self) -> str:
        if self.slope is None:
            return f"ExponentFit(k={self.k}: fewer than 2 non-vacuous points)"
        tol = f"tau={self.tau:g}" if self.tau is not None else f"tau=n^-{self.tau_exponent:g}"
        return (
            f"ExponentFit(k={self.k}, {tol}: queries ~ 10^{self.log10_intercept:.3g} "
            f"n^{self.slope:.3f} over n in [{min(self.n)}, {max(self.n)}])"
        )


def fit_exponent(
    n_values, k, tau=None, *, tau_exponent=None, max_family_size="dim", family_bound="best"
) -> ExponentFit:
    """Fit the exponent of n in the SQ lower bound: slope of log10 Q against log10 n.

    Either a fixed ``tau`` or an inverse-polynomial tolerance tau = n^{-tau_exponent}.  With the
    Vempala-Wilmes class (``max_family_size="dim"``, D <= N(n,k)) and gamma << tau^2 the bound is
    ~ N(n,k) tau^2 / 2, so the slope tends to k - 2 * tau_exponent (k for fixed tau): n^{Omega(k)}.
    With ``max_family_size=None`` the bound is superpolynomial and the local slopes keep growing.
    The dimensions ``n_values`` come before the degree k (until 0.2.0 the order was k, n_values).
    """
    if np.ndim(k) != 0 or isinstance(n_values, (int, np.integer)):
        raise TypeError(
            "fit_exponent(n_values, k, ...) takes the dimensions first since funkhecke 0.2.0 "
            f"(it was (k, n_values) before; see CHANGELOG.md); got n_values={n_values!r}, k={k!r}"
        )
    k = check_int(k, "k", 1)
    if isinstance(n_values, (str, bytes)) or not hasattr(n_values, "__iter__"):
        raise TypeError(f"n_values must be a sequence of dimensions n >= 2, got {n_values!r}")
    try:
        ns = [check_dimension(v) for v in n_values]
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"n_values: {exc}") from exc
    # each bound costs O(k^2) (the zeros of P_{k-1,n+2}: ~1 s at k = 10^4)
    if len(ns) * k * k > 2 * 10**8:
        raise ValueError(
            f"fit_exponent: {len(ns)} dimensions at k = {k} cost ~{len(ns) * k * k:.2g} "
            "(len(n_values) * k^2, limit 2e8 ~ 2 s); use fewer n_values or a lower k"
        )
    if (tau is None) == (tau_exponent is None):
        raise ValueError("give exactly one of tau or tau_exponent")
    if tau_exponent is not None:
        tau_exponent = check_real(tau_exponent, "tau_exponent", positive=True)
    logs = []
    for n in ns:
        t = tau if tau is not None else float(n) ** (-tau_exponent)
        res = query_lower_bound(n, k, t, family_bound=family_bound, max_family_size=max_family_size)
        logs.append(res.log10_queries)
    pts = [(math.log10(n), q) for n, q in zip(ns, logs, strict=True) if q is not None and q > 0]
    if len(pts) >= 2:
        x = np.array([p[0] for p in pts])
        y = np.array([p[1] for p in pts])
        slope, intercept = np.polyfit(x, y, 1)
        local = tuple(float(v) for v in np.diff(y) / np.diff(x))
        slope, intercept = float(slope), float(intercept)
    else:
        slope = intercept = None
        local = ()
    return ExponentFit(
        tuple(ns),
        k,
        tuple(logs),
        slope,
        intercept,
        local,
        None if tau is None else float(tau),
        tau_exponent,
        max_family_size,
    )
