"""Radial route to Gaussian-init spectra (private).

Writing w = r w_hat with r = |w| ~ chi_n independent of w_hat ~ uniform on S^{n-1},
E_w[g(<w,x>) g(<w,y>)] = E_r[ E_{w_hat}[g(r <w_hat,x>) g(r <w_hat,y>)] ], and Funk-Hecke applied
for each r gives the degree-k eigenvalue

    mu_k = E_{r ~ chi_n}[ lambda_k(g(r .))^2 ].

The r-integral uses the Gauss rule of chi_n: u = r^2/2 ~ Gamma(n/2), i.e. generalized
Gauss-Laguerre with alpha = n/2 - 1.  This module supplies only the Jacobi matrix of the
orthonormal Laguerre recurrence (diagonal 2i + alpha + 1, off-diagonal sqrt(i (i + alpha))), so
the rule is stable for large alpha; nodes and (Christoffel) weights, summing to 1, come from the
project's Golub & Welsch (1969) engine harmonics.gauss_rule.  It is exact when
lambda_k(g(r .))^2 is a polynomial of degree <= 2 num - 1 in r^2 (polynomial activations) and
converges fast for analytic ones.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import logsumexp

from harmonics import gauss_rule


@lru_cache(maxsize=32)
def chi_rule(n: int, num: int, log: bool = False):
    """Nodes r_q > 0 and weights summing to 1 with E_{r~chi_n}[f(r)] ~= sum_q w_q f(r_q).

    ``log=True`` returns log w_q instead (finite even where w_q underflows).  Read-only arrays.
    """
    alpha = n / 2 - 1
    i = np.arange(num, dtype=float)
    diag = 2 * i + alpha + 1
    off = np.sqrt(i[1:] * (i[1:] + alpha))
    u, w = gauss_rule(diag, off, log=log)
    r = np.sqrt(2 * u)
    r.setflags(write=False)
    w.setflags(write=False)
    return r, w


@lru_cache(maxsize=32)
def plane_radius_rule(n: int, num: int):
    """Nodes R_q in (0, 1] and weights summing to 1 with E[f(R)] ~= sum_q w_q f(R_q), where R
    is the length of the projection of w ~ uniform on S^{n-1} (n >= 3) onto a fixed 2-plane.

    s = R^2 ~ Beta(1, (n - 2)/2), density ~ (1 - s)^a on [0, 1], a = (n - 4)/2.  For n >= 4:
    the Gauss-Jacobi rule of (1 - x)^a on x = 2 s - 1 (monic recurrence a_0 = -a/(a + 2),
    a_k = -a^2/((2k + a)(2k + a + 2)), b_k = 4 k^2 (k + a)^2 / ((2k + a)^2 (2k + a + 1)
    (2k + a - 1)); Gautschi 2004, Table 1.1).  At n = 3 (a = -1/2, singular at s = 1) the
    variable t = sqrt(1 - s) is uniform on [0, 1]: Gauss-Legendre in t.  Both from the
    project's engine harmonics.gauss_rule; a function of R^2 analytic on [0, 1] stays analytic
    in either variable.  Read-only arrays.
    """
    k = np.arange(num, dtype=float)
    if n == 3:
        off2 = k[1:] ** 2 / (4 * k[1:] ** 2 - 1)
        x, w = gauss_rule(np.zeros(num), np.sqrt(off2))
        t = (1 + x) / 2
        s = (1 - t) * (1 + t)
    else:
        # the recurrence of s = (1 + x)/2 itself: diag (1 + a_k)/2 without the cancellation
        # of 1 + a_k (a_k -> -1 for large n, where s ~ 2/n), and Newton steps, so the small
        # nodes keep their relative accuracy
        a = (n - 4) / 2
        diag = np.empty(num)
        diag[0] = 1 / (a + 2)
        two = 2 * k[1:] + a
        diag[1:] = (2 * k[1:] * (k[1:] + a + 1) + a) / (two * (two + 2))
        off2 = 4 * k[1:] ** 2 * (k[1:] + a) ** 2 / (two**2 * (two + 1) * (two - 1))
        s, w = gauss_rule(diag, np.sqrt(off2) / 2, newton=2)
    R = np.sqrt(np.clip(s, 0.0, 1.0))
    R.setflags(write=False)
    w.setflags(write=False)
    return R, w


def radial_rows(log_lambda_at, n: int, num: int):
    """(rows [num, kmax+1] of log lambda_k(r_q)^2, log w_q) on the chi_n rule's nodes."""
    r, log_w = chi_rule(n, num, log=True)
    rows = np.array([log_lambda_at(float(rq)) for rq in r])
    return rows, log_w


def radial_log_eigenvalues(log_lambda_at, n: int, kmax: int, num: int):
    """log mu_k = log E_r[lambda_k(r)^2]; log_lambda_at(r) returns the array
    log lambda_0(r)^2, ..., log lambda_kmax(r)^2."""
    rows, log_w = radial_rows(log_lambda_at, n, num)
    return logsumexp(rows + log_w[:, None], axis=0)


def default_nodes(kmax: int) -> int:
    """Number of chi_n nodes: lambda_k(g(r .))^2 behaves like r^{2k} near 0, so the rule must
    integrate polynomials of degree ~k in u = r^2/2 exactly and still resolve the rest."""
    return int(max(40, math.ceil(kmax / 2) + 40))
