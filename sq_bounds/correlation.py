"""The hard family of degree-k functions and their pairwise correlations.

For a unit vector u in R^n the family member is the ridge function

    f_u(x) = sqrt(N(n,k)) P_{k,n}(<u, x>),   x in S^{n-1},

a degree-k spherical harmonic (it is N(n,k) times the reproducing kernel of H_k at u, scaled).
Under the uniform probability measure sigma on S^{n-1} (docs/conventions.md, "Spherical harmonics
and Legendre polynomials of dimension n") the addition theorem
sum_j Y_{k,j}(x) Y_{k,j}(y) = N(n,k) P_{k,n}(<x,y>) and the reproducing property give

    <f_u, f_v> = E_{x~sigma}[f_u(x) f_v(x)] = N(n,k) E_x[P_{k,n}(<u,x>) P_{k,n}(<v,x>)]
               = P_{k,n}(<u, v>),

so ||f_u|| = 1 (P_{k,n}(1) = 1) and nearly orthogonal directions give nearly uncorrelated
functions.  This is the family of Vempala & Wilmes (COLT 2019, arXiv:1805.02677, Sec. on SQ
lower bounds).
"""

from __future__ import annotations

import math

import numpy as np

from harmonics import dim_harmonics, funk_hecke_eigenvalues, legendre, legendre_log
from harmonics._infra.checks import (
    check_bool,
    check_dimension,
    check_int,
    check_real_array,
    check_unit_interval,
)
from harmonics.ridge import RidgeSumBase

from ._log10 import log10_int


def correlation(n, k, inner, *, log: bool = False):
    """<f_u, f_v> = P_{k,n}(<u, v>) for the unit-norm family f_u(x) = sqrt(N(n,k)) P_{k,n}(<u,x>).

    Parameters
    ----------
    n : int >= 2, ambient dimension (inputs on S^{n-1}).
    k : int >= 1, degree of the family (after n, as everywhere; until 0.2.0 the order was k, n).
    inner : float or array of <u, v> values in [-1, 1] (broadcast).
    log : if True return ``(sign, log|corr|)`` (natural log; -inf at exact zeros), which stays
        finite where the correlation itself underflows float64 (e.g. k = 100, n = 10^6).

    Returns
    -------
    float64 array (Python float for scalar input), or a (sign, log_abs) pair.

    The identity follows from the addition theorem (module docstring); the inner product is taken
    under the uniform *probability* measure on S^{n-1}.

    >>> correlation(3, 2, 0.5)  # classical Legendre P_2(1/2) = (3/4 - 1)/2
    -0.125
    """
    n = check_dimension(n)
    k = check_int(k, "k", 1)
    inner = check_unit_interval(inner, "inner")
    if check_bool(log, "log"):
        sign, log_abs = legendre_log(n, k, inner)
        if np.ndim(sign) == 0:
            return float(sign), float(log_abs)
        return sign, log_abs
    out = legendre(n, k, inner)
    return float(out) if np.ndim(out) == 0 else out


class LegendreTarget(RidgeSumBase):
    """The family member f_u(x) = sqrt(N(n,k)) P_{k,n}(<u, x>) as a callable target.

    A ridge sum (:class:`harmonics.ridge.RidgeSumBase`) of one term with the profile
    sqrt(N) P_{k,n}, so ``energies``, ``degree_inner_products`` with any other ridge sum and
    :meth:`ridge_correlations` come from harmonics' one formula.

    Parameters
    ----------
    u : array [n], a direction (normalized here; must be nonzero); it carries the dimension n,
        so the order (u, k) is the rule "dimension before degree".
    k : int >= 1, degree.

    Calling ``target(X)`` with points X: [N, n] on the sphere returns f_u(X): [N].  ``norm`` is 1
    (unit norm under the uniform probability measure).  Because f_u is a ridge function whose
    profile g(t) = sqrt(N) P_{k,n}(t) has Funk-Hecke coefficients lambda_j(g) = delta_{jk}/sqrt(N),
    its correlation with any ridge query phi(<w, x>) is exact (Funk-Hecke):

        E_x[f_u(x) phi(<w, x>)] = sqrt(N(n,k)) lambda_k(phi) P_{k,n}(<u, w>),

    which :meth:`ridge_correlations` evaluates (used by :class:`sq_bounds.ToleranceOracle`).
    """

    def __init__(self, u, k):
        u = check_real_array(u, "u")
        if u.ndim != 1:
            raise ValueError(f"u must be a 1-d direction vector [n], got shape {u.shape}")
        self.k = check_int(k, "k", 1)
        if u.size < 2:
            raise ValueError(f"u must have n >= 2 entries (a direction in R^n), got {u.size}")
        self.n = check_dimension(u.size)
        norm = float(np.linalg.norm(u))
        if not math.isfinite(norm) or norm == 0.0:
            raise ValueError("u must be a finite nonzero vector")
        self.u = u / norm
        self.u.setflags(write=False)
        self.dim = dim_harmonics(self.n, self.k)
        self.log10_dim = log10_int(self.dim)
        if self.log10_dim > 600:
            raise OverflowError(
                f"sqrt(N(n,k)) = 10^{self.log10_dim / 2:.1f} exceeds float64 for n={self.n}, "
                f"k={self.k}; the bounds in sq_bounds work in log scale and do not need a target"
            )
        self.scale = math.sqrt(self.dim) if self.dim < 2**1000 else 10 ** (self.log10_dim / 2)

    norm = 1.0

    def __call__(self, X):
        """f_u(X) for X: [N, n] (rows on the sphere) -> [N]."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n:
            raise ValueError(f"X must have shape [N, {self.n}], got {X.shape}")
        t = np.clip(X @ self.u, -1.0, 1.0)
        return self.scale * legendre(self.n, self.k, t)

    def ridge_correlations(self, W, activation, *, lam_k: float | None = None):
        """E_x[f_u(x) phi(<w_i, x>)] for the rows w_i of W: [m, n] (unit vectors) -> [m].

        ``activation`` is anything :func:`harmonics.funk_hecke_eigenvalues` accepts; pass
        ``lam_k`` = lambda_k(phi) to skip recomputing it.
        """
        W = np.asarray(W, dtype=float)
        if W.ndim != 2 or W.shape[1] != self.n:
            raise ValueError(f"W must have shape [m, {self.n}], got {W.shape}")
        if lam_k is None:
            lam_k = float(funk_hecke_eigenvalues(activation, self.n, self.k)[self.k])
        lam = np.zeros(self.k + 1)
        lam[self.k] = lam_k
        return self.unit_products(W, lam)

    # -- ridge-sum interface: one term, weight 1, the eigenvalue 1/sqrt(N) as a log-scale factor
    # (N(n,k) may exceed float64 although sqrt(N) does not)
    @property
    def max_degree(self) -> int:
        return self.k

    def ridge_directions(self) -> np.ndarray:
        return self.u[None, :]

    def ridge_weights(self, kmax: int) -> np.ndarray:
        w = np.zeros((1, kmax + 1))
        if self.k <= kmax:
            w[0, self.k] = 1.0
        return w

    def ridge_log_scale(self, kmax: int):
        sign = np.zeros(kmax + 1)
        log_abs = np.zeros(kmax + 1)
        if self.k <= kmax:
            sign[self.k] = 1.0
            log_abs[self.k] = -0.5 * math.log(self.dim)
        return sign, log_abs

    def __repr__(self) -> str:
        return f"LegendreTarget(n={self.n}, k={self.k})"
