"""Gauss rules (one Golub-Welsch engine) and the law nu_n of <x, e> (x uniform on S^{n-1}).

Convention: sigma is the uniform *probability* measure on S^{n-1}; nu_n, the law of one
coordinate t = <x, e>, has density c_n (1 - t^2)^{(n-3)/2} on [-1, 1],
c_n = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)) (:func:`log_nu_normalizer`); its orthogonal
polynomials are the P_{k,n} with P_{k,n}(1) = 1 and E_{nu_n}[P_{k,n}^2] = 1 / N(n,k).

* :func:`gauss_rule` / :func:`gauss_nodes` -- the one Gauss-rule engine of the project (Golub &
  Welsch 1969, in the manner of scipy.special._orthogonal._gen_roots_and_weights): a family
  supplies only the Jacobi matrix of its recurrence and the log of its total mass; nodes are the
  eigenvalues, weights come from the Christoffel function w_i = mu0 / sum_{j<num} p_j(x_i)^2
  (p_j orthonormal), a sum of positive terms, formed with a carried binary exponent and returned
  in log scale if asked.  So even the tiny weights near the ends of the support keep their
  relative accuracy (squared eigenvector components carry an absolute error ~ eps instead), and
  no weight is non-finite for any parameter: scipy's roots_gegenbauer / roots_jacobi return
  non-finite weights once alpha is in the hundreds (e.g. 1000 nodes, n >= 320).
  Families in the project: nu_n (here), Beta(1, alpha + 1) (harmonics._quadrature_sphere),
  chi_n via Gamma(n/2) (gd_operator._radial), the standard normal (gd_operator._hermite).
* :func:`nu_quadrature` -- Gauss rule for nu_n itself: the engine on the orthonormal Gegenbauer
  recurrence (p_k = sqrt(N(n,k)) P_{k,n}); :func:`legendre_zeros` -- its nodes alone, the zeros
  of P_{k,n}.
* :func:`theta_rule` -- composite Gauss-Legendre rule in the angle theta = arccos t, where the
  density becomes c_n sin^{n-2}(theta) (smooth, no endpoint singularity for any n), panels split at
  given kinks, and the window narrowed to where the density is not negligible (width ~ 1/sqrt(n)).
  Weights are formed in log scale, so nothing overflows for n up to 10^6.  Used for activations
  given as black-box callables (possibly with kinks).
* :func:`gauss_legendre` -- numpy's Gauss-Legendre rule on [-1, 1] (cached), the panel rule of
  every composite rule in the project.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.linalg import eigh_tridiagonal


def log_nu_normalizer(n, ctx=None):
    """log c_n, c_n = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)): the normalizer of nu_n.

    nu_n (the law of <x, e> for x uniform on S^{n-1}, probability measure) has density
    c_n (1 - t^2)^{(n-3)/2} on [-1, 1]; c_2 = 1/pi, c_3 = 1/2.  ``n`` may be any real > 1 (the
    bias routes use n + 1).  In float64 (``ctx=None``) from math.lgamma; with an mpmath context
    ``ctx``, in that context's precision.  The float64 value is a 30-digit mpmath evaluation
    rounded once (cached per n; ~1e-16 relative for every n): the float64 difference of two
    lgamma values of size ~ (n/2) log(n/2) carried an absolute error ~ eps n log n (measured
    relative errors 8e-15 at n = 10, 2e-12 at 10^4, 1e-10 at 10^6 + 1, 1e-8 at 10^8).  The one
    implementation of this constant in the project.
    """
    from ._infra.checks import check_real

    n = check_real(n, "n")
    if n <= 1:
        raise ValueError(f"n must be a real number > 1 (the dimension of nu_n), got {n}")
    if ctx is not None:
        return ctx.loggamma(ctx.mpf(n) / 2) - ctx.loggamma(ctx.mpf(n - 1) / 2) - ctx.log(ctx.pi) / 2
    return _log_nu_normalizer_mp(float(n))


@lru_cache(maxsize=4096)
def _log_nu_normalizer_mp(n: float) -> float:
    import mpmath

    ctx = mpmath.mp.clone()
    ctx.dps = 30
    return float(log_nu_normalizer(n, ctx))


# ----------------------------------------------------------------- the Golub-Welsch engine

_BIG = 2.0**300  # rescale the Christoffel recurrence by 2^-300 once a value exceeds 2^300
_LN2 = math.log(2.0)


def _jacobi_matrix(diag, off):
    diag = np.ascontiguousarray(diag, dtype=float)
    off = np.ascontiguousarray(off, dtype=float)
    if diag.ndim != 1 or diag.size < 1 or off.shape != (diag.size - 1,):
        raise ValueError(
            f"a Jacobi matrix of size num needs num >= 1 diagonal and num - 1 off-diagonal "
            f"entries, got {diag.shape} and {off.shape}"
        )
    if not (np.all(np.isfinite(diag)) and np.all(np.isfinite(off)) and np.all(off > 0)):
        raise ValueError("Jacobi matrix entries must be finite, off-diagonal ones > 0")
    return diag, off


def gauss_nodes(diag, off, *, symmetric: bool = False, interval=None) -> np.ndarray:
    """Nodes of the num-point Gauss rule of a measure: the eigenvalues, ascending, of its Jacobi
    matrix J (diagonal ``diag`` [num], off-diagonal ``off`` [num - 1]), i.e. the zeros of the
    degree-num orthogonal polynomial (Golub & Welsch 1969).  See :func:`gauss_rule`.

    ``symmetric=True`` (a measure symmetric about 0: ``diag`` must be 0) sets x_i = -x_{num-1-i}
    exactly (and the middle node of an odd rule to 0); ``interval=(lo, hi)`` clips the nodes to
    the support (eigenvalues can leave it by rounding only).
    """
    from ._infra.checks import check_bool

    symmetric = check_bool(symmetric, "symmetric")
    diag, off = _jacobi_matrix(diag, off)
    if symmetric and np.any(diag != 0):
        raise ValueError("symmetric=True needs a zero diagonal (a measure symmetric about 0)")
    x = diag.copy() if diag.size == 1 else eigh_tridiagonal(diag, off, eigvals_only=True)
    if symmetric:
        x = (x - x[::-1]) / 2
    if interval is not None:
        x = np.clip(x, interval[0], interval[1])
    return x


def gauss_rule(
    diag,
    off,
    *,
    log_mu0: float = 0.0,
    symmetric: bool = False,
    interval=None,
    newton: int = 0,
    log: bool = False,
):
    """num-point Gauss rule of a measure mu from its recurrence (Golub & Welsch 1969).

    The family supplies its Jacobi matrix: the polynomials p_j orthonormal for mu / mu0
    (mu0 = mu(R) = exp(``log_mu0``)) satisfy, with p_0 = 1 and p_{-1} = 0,

        off[j] p_{j+1}(x) = (x - diag[j]) p_j(x) - off[j-1] p_{j-1}(x),     j = 0..num-2,

    i.e. diag[j] = a_j and off[j] = sqrt(b_{j+1}) for the monic recurrence
    pi_{j+1} = (x - a_j) pi_j - b_j pi_{j-1}.  Nodes x_i: the eigenvalues of J
    (``gauss_nodes``, same ``symmetric`` / ``interval`` options), accurate to
    ~ eps ||J|| absolutely; ``newton`` Newton steps on the degree-num polynomial (same
    recurrence, differentiated) polish them to ~ eps |x_i| where that matters (Hermite: |x| up
    to sqrt(4 num), and the weights' relative error is ~ |x| times the node error there).
    Weights: the Christoffel function

        w_i = mu0 / sum_{j<num} p_j(x_i)^2

    (the squared first eigenvector components of Golub & Welsch in exact arithmetic, but a sum
    of positive terms, so tiny weights keep their relative accuracy).  The p_j are carried as a
    mantissa times 2^e (rescaled by exact powers of two), so the sum never overflows; the
    weights are finally rescaled to sum to mu0 exactly up to rounding (they do in exact
    arithmetic).  sum_i w_i f(x_i) = int f dmu for every polynomial f of degree <= 2 num - 1.

    Returns (x, w), or (x, log w) with ``log=True`` -- finite for every node, where w itself may
    underflow to 0.  Fresh writable float64 arrays of shape [num].
    """
    from ._infra.checks import check_bool, check_int, check_real

    log = check_bool(log, "log")
    symmetric = check_bool(symmetric, "symmetric")
    newton = check_int(newton, "newton", 0, 100)
    log_mu0 = check_real(log_mu0, "log_mu0")
    diag, off = _check_jacobi(diag, off)
    x = gauss_nodes(diag, off, symmetric=symmetric, interval=interval)
    diag, off = _jacobi_matrix(diag, off)
    for _ in range(newton if x.size > 1 else 0):
        _, _, step = _christoffel(x, diag, off, newton=True)
        x = x - step
        if symmetric:
            x = (x - x[::-1]) / 2
        if interval is not None:
            x = np.clip(x, interval[0], interval[1])
    total, expo, _ = _christoffel(x, diag, off, newton=False)
    log_w = -(np.log(total) + 2 * _LN2 * expo)
    top = float(np.max(log_w))
    log_w -= top + math.log(float(np.sum(np.exp(log_w - top))))
    log_w += log_mu0
    if log:
        return x, log_w
    with np.errstate(under="ignore"):
        return x, np.exp(log_w)


def _christoffel(x, diag, off, newton: bool):
    """One pass of the orthonormal recurrence at the points x: (T, e, s) with
    sum_{j<num} p_j(x)^2 = T 2^{2e}, and (if ``newton``) the Newton step s = q(x) / q'(x) for the
    degree-num polynomial q = (x - diag[num-1]) p_{num-1} - off[num-2] p_{num-2} (a multiple of
    p_num, whose zeros are the nodes), with q' from the differentiated recurrence."""
    num = x.size
    zero_diag = not np.any(diag)
    total = np.ones(num)  # sum_j p_j(x)^2 * 2^(-2e), the j = 0 term p_0^2 = 1
    expo = np.zeros(num)
    p_prev, p_cur = np.zeros(num), np.ones(num)
    d_prev, d_cur = np.zeros(num), np.zeros(num)  # p'_{j-1}, p'_j, on the scale of p
    sq = np.empty(num)
    for j in range(num if newton else num - 1):
        shifted = x if zero_diag else x - diag[j]
        p_next = shifted * p_cur
        if j:
            p_next -= off[j - 1] * p_prev
        if newton:
            d_next = shifted * d_cur
            d_next += p_cur
            if j:
                d_next -= off[j - 1] * d_prev
            if j == num - 1:  # q and q' (never divided by the unknown off[num-1])
                return total, expo, p_next / d_next
            d_next /= off[j]
            d_prev, d_cur = d_cur, d_next
        p_next /= off[j]
        p_prev, p_cur = p_cur, p_next
        np.multiply(p_cur, p_cur, out=sq)
        total += sq
        # total >= p_cur^2 and p_prev^2, so one max bounds both; p' only matters for Newton.
        if total.max() > _BIG * _BIG or (newton and np.abs(d_cur).max() > _BIG):
            # Orthonormal p_j grow at nodes in the tails of mu (there 1/w_i is huge) and never
            # become tiny at two consecutive j, so only the overflow side needs rescaling (by an
            # exact power of two; p' on the same scale, so q / q' is unchanged).
            big = total > _BIG * _BIG
            if newton:
                big |= np.abs(d_cur) > _BIG
            p_cur = np.where(big, np.ldexp(p_cur, -300), p_cur)
            p_prev = np.where(big, np.ldexp(p_prev, -300), p_prev)
            if newton:
                d_cur = np.where(big, np.ldexp(d_cur, -300), d_cur)
                d_prev = np.where(big, np.ldexp(d_prev, -300), d_prev)
            total = np.where(big, np.ldexp(total, -600), total)
            expo = expo + 300 * big
    return total, expo, None


# ------------------------------------------------------------------------------- nu_n


def _nu_jacobi(n: int, num: int):
    """Jacobi matrix of nu_n: zero diagonal, off-diagonal sqrt(beta_k), k = 1..num-1, with the
    monic Gegenbauer coefficients beta_k = k (k + 2a - 1) / (4 (k + a)(k + a - 1)), a = (n-2)/2,
    i.e. k (k + n - 3) / ((2k + n - 2)(2k + n - 4)); beta_1 = 1/n (= E[t^2]) written separately
    to avoid 0/0 at n = 2."""
    alpha = (n - 2) / 2
    k = np.arange(1, num, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = k * (k + 2 * alpha - 1) / (4 * (k + alpha) * (k + alpha - 1))
    if num > 1:
        beta[0] = 1.0 / n
    return np.zeros(num), np.sqrt(beta)


@lru_cache(maxsize=64)
def _nu_rule_cached(n: int, num: int, log: bool):
    nodes, weights = gauss_rule(*_nu_jacobi(n, num), symmetric=True, interval=(-1.0, 1.0), log=log)
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def nu_quadrature(n: int, num: int, *, log: bool = False):
    """Gauss quadrature for t ~ nu_n: nodes t_i in (-1, 1) and weights w_i > 0 summing to 1.

    E_{nu_n}[g] ~= sum_i w_i g(t_i), exact for polynomials g of degree <= 2 num - 1.  Golub &
    Welsch (1969) on the orthonormal Gegenbauer recurrence of p_k = sqrt(N(n,k)) P_{k,n}
    (:func:`gauss_rule`): w_i = 1 / sum_{k<num} N(n,k) P_{k,n}(t_i)^2.  Stable for any n >= 2
    (tested to n = 10^6) and num up to a few thousand; nodes exactly symmetric.  The tiny weights
    near +-1 underflow to 0 in float64 (negligible mass); ``log=True`` returns log w_i instead,
    finite for every node.

    Returns two read-only float64 arrays of shape [num].
    """
    from ._infra.checks import check_bool, check_dimension, check_int

    n = check_dimension(n)
    num = check_int(num, "num", 1, 20000)
    return _nu_rule_cached(n, num, check_bool(log, "log"))


#: Largest Jacobi matrix of the Gauss engine (legendre_zeros, gauss_rule): its tridiagonal
#: eigenvalues cost O(size^2), ~1.5 s at the limit (the Hermite rules of gd_operator reach 12200).
MAX_RULE_SIZE = 12_500


def _check_jacobi(diag, off):
    """diag [num] and off [num-1] as float arrays (TypeError / ValueError naming them)."""
    out = []
    for name, v in (("diag", diag), ("off", off)):
        if v is None or isinstance(v, (str, bytes, dict)):
            raise TypeError(f"{name} must be a 1-D array of real numbers, got {v!r}")
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a 1-D array of real numbers, got {v!r}") from exc
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
        out.append(arr)
    diag, off = out  # sizes and signs: _jacobi_matrix
    if diag.size > MAX_RULE_SIZE:
        raise ValueError(
            f"diag has {diag.size} entries, above the limit {MAX_RULE_SIZE} (O(num^2) "
            "eigenvalues, ~1.5 s at the limit); raise harmonics._quadrature.MAX_RULE_SIZE"
        )
    return diag, off


def legendre_zeros(n: int, k: int) -> np.ndarray:
    """The k zeros of P_{k,n} (= Gegenbauer C_k^{((n-2)/2)}), ascending, exactly symmetric.

    They are the nodes of the k-point Gauss rule of nu_n (:func:`nu_quadrature`), here without
    the O(k^2) weights: eigenvalues of the Jacobi matrix of nu_n (Golub & Welsch 1969).
    Returns a writable float64 array of shape [k] (k >= 1).
    """
    from ._infra.checks import check_dimension, check_int

    n = check_dimension(n)
    k = check_int(k, "k", 1, MAX_RULE_SIZE)
    return gauss_nodes(*_nu_jacobi(n, k), symmetric=True, interval=(-1.0, 1.0))


def gauss_legendre(order: int):
    """Gauss-Legendre rule of the given order on [-1, 1] (weights sum to 2), read-only arrays.

    numpy's leggauss (Golub-Welsch eigenvalues polished by a Newton step, weights from the
    derivative formula), cached: the panel rule of every composite rule in the project.
    ``order`` <= 2000 (leggauss forms a dense order x order matrix: ~1 s at 2000, 17 s at
    4000); larger rules: :func:`nu_quadrature` (``n = 3`` is the Legendre weight, halved).
    """
    from ._infra.checks import check_int

    return _gauss_legendre(check_int(order, "order", 1, 2000))


@lru_cache(maxsize=32)
def _gauss_legendre(order: int):
    x, w = np.polynomial.legendre.leggauss(order)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


def theta_rule(n: int, kinks=(), panels: int = 16, order: int = 48):
    """Composite Gauss-Legendre rule for nu_n in theta = arccos t, split at ``kinks`` (t values).

    Returns (t, w): nodes in [-1, 1] and weights summing to ~1 (their sum is the rule's estimate
    of the total mass, 1 up to rounding), with E_{nu_n}[g] ~= sum w_i g(t_i).
    """
    lo, hi = 0.0, math.pi
    if n > 60:
        # sin^{n-2}(theta) <= exp(-(n-2) d^2 / 2) at distance d from pi/2: beyond
        # d = sqrt(2 * 750 / (n-2)) it is below e^{-750}, i.e. outside float64 entirely.
        half = math.sqrt(1500.0 / (n - 2))
        lo, hi = max(0.0, math.pi / 2 - half), min(math.pi, math.pi / 2 + half)
    edges = list(np.linspace(lo, hi, panels + 1))
    for t0 in kinks:
        th = math.acos(min(1.0, max(-1.0, float(t0))))
        if lo < th < hi:
            edges.append(th)
    edges = np.unique(np.array(edges))
    x, wx = gauss_legendre(order)
    a, b = edges[:-1, None], edges[1:, None]
    theta = ((b - a) / 2 * x + (a + b) / 2).ravel()
    wt = ((b - a) / 2 * wx).ravel()
    with np.errstate(divide="ignore"):
        log_w = log_nu_normalizer(n) + (n - 2) * np.log(np.sin(theta)) + np.log(wt)
    w = np.exp(log_w)
    t = np.cos(theta)
    return t, w
