"""Quadrature on the sphere S^{n-1} (uniform probability measure) and on Beta(1, b) laws.

* :func:`product_rule` -- product Gauss rule in hyperspherical coordinates.  Writing
  x = (sqrt(1 - t^2) xi, t) with t = x_n ~ nu_n independent of xi uniform on S^{n-2}, and
  recursing down to the circle, a polynomial p of degree <= D restricted to the sphere becomes,
  after integrating out xi (odd powers of sqrt(1 - t^2) pair with odd-degree harmonics of xi and
  integrate to 0), a polynomial of degree <= D in t.  Hence a q-point Gauss rule for nu_d at each
  level d = n, ..., 3 with 2q - 1 >= D, and M = D + 1 equispaced angles on the circle (exact for
  trigonometric polynomials of degree <= M - 1), integrate every polynomial of degree <= D
  exactly (Stroud 1971, "Approximate Calculation of Multiple Integrals", Sec. 2.7; Atkinson &
  Han 2012, Sec. 5.2).  Nodes: M q^{n-2}.  The Gauss rules for nu_d are harmonics.nu_quadrature
  (Golub-Welsch on the orthonormal Gegenbauer recurrence).
* :func:`beta1_rule` -- Gauss rule for u ~ Beta(1, alpha + 1) on [0, 1] (density proportional
  to (1 - u)^alpha): the Jacobi(alpha, 0) recurrence fed to the project's Golub-Welsch engine
  (harmonics._quadrature.gauss_rule).  If x is uniform on S^{n-1}, the squared length
  u = |P x|^2 of its projection on a fixed 2-plane has this law with alpha = (n - 4)/2
  (n >= 3), and the direction of P x is uniform and independent of u.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ._quadrature import gauss_rule, nu_quadrature


def product_rule_size(n: int, degree: int) -> int:
    """Number of nodes of :func:`product_rule` (exact Python int)."""
    q = degree // 2 + 1
    return (degree + 1) * q ** (n - 2)


def product_rule(n: int, degree: int):
    """Nodes X [P, n] (unit rows) and weights w [P] (> 0, sum 1) exact to polynomial degree D.

    sum_p w_p p(x_p) = E_{x~sigma}[p(x)] for every polynomial p of degree <= ``degree`` on R^n.
    P = (D + 1) * (D // 2 + 1)^{n - 2}; the caller bounds P.
    """
    q = degree // 2 + 1
    M = degree + 1
    ang = 2 * math.pi * np.arange(M) / M
    X = np.stack([np.cos(ang), np.sin(ang)], axis=1)  # circle, n = 2
    w = np.full(M, 1.0 / M)
    for d in range(3, n + 1):
        if q == 1:  # one-point Gauss rule for the symmetric law nu_d: node 0, weight 1
            t, wt = np.zeros(1), np.ones(1)
        else:
            t, wt = nu_quadrature(d, q)
        s = np.sqrt((1.0 - t) * (1.0 + t))
        # new points: (s_i * X_prev, t_i) for every node i of the level and every previous point
        X = np.concatenate(
            [
                np.broadcast_to(s[:, None, None] * X[None, :, :], (q,) + X.shape).reshape(
                    q * X.shape[0], d - 1
                ),
                np.repeat(t, X.shape[0])[:, None],
            ],
            axis=1,
        )
        w = (wt[:, None] * w[None, :]).ravel()
    return X, w


@lru_cache(maxsize=64)
def beta1_rule(alpha: float, num: int):
    """Gauss rule (u, w) for u with density (alpha + 1) (1 - u)^alpha on [0, 1], alpha > -1.

    Exact for polynomials of degree <= 2 num - 1; weights sum to 1.  The family input is the
    Jacobi matrix of the Jacobi(alpha, 0) recurrence (DLMF 18.9.2; weight (1 - x)^alpha on
    [-1, 1]) written in u = (1 + x)/2 itself: diagonal (1 + a_k)/2 =
    (2k^2 + 2k alpha + 2k + alpha) / ((2k + alpha)(2k + alpha + 2)) (1/(alpha + 2) = E[u] at
    k = 0), off-diagonal half of Jacobi's.  Formed in u, not mapped from x, the nodes keep their
    relative accuracy where they crowd at 0 (large alpha: u ~ 1/alpha, while 1 + x would cancel
    ~log10(alpha) digits).  Nodes and Christoffel weights from the Golub & Welsch (1969) engine
    :func:`harmonics._quadrature.gauss_rule` (tiny tail weights keep their relative accuracy).
    """
    k = np.arange(num, dtype=float)
    a = alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        diag = (2 * k * k + 2 * k * a + 2 * k + a) / ((2 * k + a) * (2 * k + a + 2))
    diag[0] = 1.0 / (a + 2)
    kk = k[1:]
    s1 = 2 * kk + a
    off = np.sqrt(kk * (kk + a) * kk * (kk + a) / (s1 * s1 * (s1 + 1) * (s1 - 1)))
    u, w = gauss_rule(diag, off, interval=(0.0, 1.0))
    u.setflags(write=False)
    w.setflags(write=False)
    return u, w
