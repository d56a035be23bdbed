"""Quadrature rules for the law nu_n of <x, e> (x uniform on S^{n-1}).

nu_n has density c_n (1 - t^2)^{(n-3)/2} on [-1, 1], c_n = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)).

* :func:`nu_quadrature` -- Gauss rule for nu_n itself (Golub & Welsch 1969) built from the
  normalized Jacobi matrix of the orthonormal polynomials sqrt(N(n,k)) P_{k,n}; weights from the
  Christoffel function w_i = 1 / sum_k N(n,k) P_{k,n}(t_i)^2, a sum of positive terms, so even
  the tiny weights near +-1 at large n keep their relative accuracy.  scipy's roots_gegenbauer /
  roots_jacobi return non-finite weights once alpha is in the hundreds (e.g. 1000 nodes, n >= 320);
  this rule does not.
* :func:`theta_rule` -- composite Gauss-Legendre rule in the angle theta = arccos t, where the
  density becomes c_n sin^{n-2}(theta) (smooth, no endpoint singularity for any n), panels split at
  given kinks, and the window narrowed to where the density is not negligible (width ~ 1/sqrt(n)).
  Weights are formed in log scale, so nothing overflows for n up to 10^6.  Used for activations
  given as black-box callables (possibly with kinks).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.linalg import eigh_tridiagonal


def log_c(n: float) -> float:
    """log c_n, c_n = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)), the normalizer of nu_n."""
    return math.lgamma(n / 2) - 0.5 * math.log(math.pi) - math.lgamma((n - 1) / 2)


@lru_cache(maxsize=64)
def _nu_rule_cached(n: int, num: int):
    alpha = (n - 2) / 2
    k = np.arange(1, num, dtype=float)
    # Monic recurrence coefficients of the Gegenbauer family: beta_k = k (k + 2a - 1) /
    # (4 (k + a)(k + a - 1)); beta_1 = 1/n (= E[t^2]) written separately to avoid 0/0 at n = 2.
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = k * (k + 2 * alpha - 1) / (4 * (k + alpha) * (k + alpha - 1))
    if num > 1:
        beta[0] = 1.0 / n
    nodes = eigh_tridiagonal(np.zeros(num), np.sqrt(beta), eigvals_only=True)
    nodes = np.clip((nodes - nodes[::-1]) / 2, -1.0, 1.0)  # enforce the exact symmetry
    # Christoffel weights: 1 / sum_{k<num} N(n,k) P_{k,n}(t_i)^2, accumulated in log scale
    # (N(n,k) overflows float64 for large n and k) with a running per-node maximum.
    # P_{k,n} at the nodes underflows for large n (~n^{-k/2}) while N(n,k) P^2 stays O(1):
    # carry a binary exponent e (P = p * 2^e), rescaling by exact powers of two.
    p_prev = np.ones(num)
    p_cur = nodes.copy()
    e = np.zeros(num)
    small = 2.0**-600
    log_total = np.zeros(num)  # log of the k = 0 term, N(n,0) P_0^2 = 1
    log_dim = 0.0
    for j in range(1, num):
        # N(n,j) / N(n,j-1) = (2j+n-2)(j+n-3) / (j (2j+n-4)), exact for n >= 2, j >= 1
        if j == 1:
            log_dim = math.log(n)
        else:
            log_dim += math.log((2 * j + n - 2) * (j + n - 3) / (j * (2 * j + n - 4)))
        with np.errstate(divide="ignore"):
            term = log_dim + 2 * (np.log(np.abs(p_cur)) + e * math.log(2.0))
        log_total = np.logaddexp(log_total, term)
        p_next = ((2 * j + n - 2) * nodes * p_cur - j * p_prev) / (j + n - 2)
        p_prev, p_cur = p_cur, p_next
        tiny = (np.abs(p_cur) < small) & (np.abs(p_prev) < small)
        if np.any(tiny):
            p_cur = np.where(tiny, np.ldexp(p_cur, 600), p_cur)
            p_prev = np.where(tiny, np.ldexp(p_prev, 600), p_prev)
            e = e - 600 * tiny
    with np.errstate(under="ignore"):
        weights = np.exp(-log_total)  # tiny weights near +-1 underflow to 0 (negligible mass)
    weights /= weights.sum()
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def nu_quadrature(n: int, num: int):
    """Gauss quadrature for t ~ nu_n: nodes t_i in (-1, 1) and weights w_i > 0 summing to 1.

    E_{nu_n}[g] ~= sum_i w_i g(t_i), exact for polynomials g of degree <= 2 num - 1.
    Stable for any n >= 2 (tested to n = 10^6) and num up to a few thousand.

    Returns two read-only float64 arrays of shape [num].
    """
    from ._infra.checks import check_dimension, check_int

    n = check_dimension(n)
    num = check_int(num, "num", 1, 20000)
    return _nu_rule_cached(n, num)


@lru_cache(maxsize=32)
def _gauss_legendre(order: int):
    return np.polynomial.legendre.leggauss(order)


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
    x, wx = _gauss_legendre(order)
    a, b = edges[:-1, None], edges[1:, None]
    theta = ((b - a) / 2 * x + (a + b) / 2).ravel()
    wt = ((b - a) / 2 * wx).ravel()
    with np.errstate(divide="ignore"):
        log_w = log_c(n) + (n - 2) * np.log(np.sin(theta)) + np.log(wt)
    w = np.exp(log_w)
    t = np.cos(theta)
    return t, w
