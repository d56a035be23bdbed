"""Exact spectrum of the finite-width output-layer operator, restricted to degrees <= K.

With m frozen hidden units, GD on the output layer moves the residual by r <- r - lr K_m r,
K_m(x, y) = (1/m) sum_i g(<w_i, x>) g(<w_i, y>)  (docs/conventions.md, "Kernel conventions").
Funk-Hecke expands each feature:
g(<w, x>) = sum_k N(n,k) lambda_k(g) P_{k,n}(<w, x>) for |w| = 1 (for Gaussian init and a
p-homogeneous g, w = r w^ contributes the factor r^p).  Let psi_i^{(k)} = Pi_k g(<w_i, .>).  By the
addition theorem, E_x[P_k(<u,x>) P_k(<v,x>)] = P_k(<u,v>)/N(n,k), so

    <psi_i^{(k)}, psi_j^{(k)}> = lambda_k^2 N(n,k) r_i^p r_j^p P_{k,n}(<w^_i, w^_j>).

* Per degree: the compression Pi_k K_m Pi_k = (1/m) sum_i psi_i^{(k)} (x) psi_i^{(k)} has the same
  nonzero eigenvalues as the m x m matrix
      G^{(k)} = (lambda_k^2 N(n,k) / m) [r_i^p r_j^p P_{k,n}(<w^_i, w^_j>)]_{ij}
  (A A* and A* A share their nonzero spectrum), at most min(m, N(n,k)) of them.  As m -> oo they
  concentrate at the limit mu_k = E[r^{2p}] lambda_k^2 (N(n,k)-fold).
* Degrees <= K together: Pi_{<=K} K_m Pi_{<=K} has the nonzero eigenvalues of
  G^{(<=K)} = sum_{k<=K} G^{(k)} (the cross-degree inner products vanish), i.e. the degrees
  interact at finite m; the limit is the multiset {mu_k with multiplicity N(n,k)}.

Exact moments (used by the tests): for sphere init, A = (m / (lambda_k^2 N)) G^{(k)} restricted to
its range is the empirical second moment (1/m) sum_i Y(w_i) Y(w_i)^T of an orthonormal basis
vector Y of H_k (E = I, |Y|^2 = N), so with S_k = ||(1/m) sum_i Y_i Y_i^T - I||_F^2 =
sum_l (sigma_l/mu_k - 1)^2 (N eigenvalues, zeros included),
    E[S_k] = (N^2 - N)/m,   Var[S_k] = 2 (m-1) (N^4 E[P_{k,n}^4] - N^2) / m^3
(S_k - E S_k is a degenerate U-statistic with kernel N^2 P_k(<w_i,w_j>)^2 - N).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harmonics import dim_harmonics, funk_hecke_eigenvalues, legendre_rows
from harmonics._infra.checks import check_degree, check_dimension, check_int
from harmonics._infra.deprecation import NOT_GIVEN
from harmonics._infra.figures import new_axes
from harmonics._infra.results import ResultMixin
from harmonics._infra.rng import as_generator, rng_or_seed

from ._gates import log_chi_moment, resolve
from .spectrum import INITS, _check_choice


@dataclass(frozen=True, repr=False)
class FiniteWidthSpectrum(ResultMixin):
    """Finite-width eigenvalues next to their infinite-width limits.

    Attributes
    ----------
    n, m, kmax : dimension, width, highest degree K
    limit : [K+1] mu_k (infinite width);  multiplicity : [K+1] N(n,k) (exact ints, object array)
    per_degree : list of K+1 arrays, the nonzero eigenvalues of G^{(k)}, descending
        (min(m, N(n,k)) values each)
    restricted : eigenvalues of G^{(<=K)} (all degrees <= K together), descending,
        min(m, sum_k N(n,k)) values
    weights : [m, n] the hidden weights used (not in ``to_dict()``; kept by ``save``/``load``)
    """

    _layout = ("n", "m", "kmax", "init", "limit", "multiplicity", "per_degree", "restricted")

    n: int
    m: int
    kmax: int
    init: str
    limit: np.ndarray
    multiplicity: np.ndarray
    per_degree: list
    restricted: np.ndarray
    weights: np.ndarray

    def ratios(self, k: int) -> np.ndarray:
        """sigma / mu_k for the nonzero finite-width eigenvalues of degree k (1 in the limit)."""
        if not self.limit[k] > 0:
            raise ValueError(f"k={k}: mu_k = 0 (an exact zero of the spectrum), no ratio defined")
        return self.per_degree[k] / self.limit[k]

    def max_relative_deviation(self) -> np.ndarray:
        """[K+1] max_l |sigma_l/mu_k - 1| over the degree-k eigenvalues, counting the missing
        ones as 0 when m < N(n,k).  Where mu_k = 0 (a parity zero) the finite-width eigenvalues
        are zero too and the deviation is reported as 0 (inf if some sigma_l were nonzero)."""
        out = np.zeros(self.kmax + 1)
        for k in range(self.kmax + 1):
            if self.limit[k] <= 0:
                out[k] = np.inf if np.any(self.per_degree[k] != 0) else 0.0
            else:
                r = self.ratios(k)
                dev = np.max(np.abs(r - 1)) if r.size else 1.0
                if r.size < self.multiplicity[k]:
                    dev = max(dev, 1.0)
                out[k] = dev
        return out

    def frobenius_deviation(self, k: int) -> float:
        """S_k = sum over the N(n,k) eigenvalues of (sigma/mu_k - 1)^2 (zeros included)."""
        r = self.ratios(k)
        missing = int(self.multiplicity[k]) - r.size
        return float(np.sum((r - 1) ** 2) + max(missing, 0))

    def __repr__(self) -> str:
        dev = self.max_relative_deviation()
        parts = ", ".join(f"k={k}: {d:.3g}" for k, d in enumerate(dev[:6]) if not math.isnan(d))
        return (
            f"FiniteWidthSpectrum(n={self.n}, m={self.m}, K={self.kmax}, init={self.init!r}; "
            f"max |sigma/mu_k - 1|: {parts}{', ...' if self.kmax > 5 else ''})"
        )

    def plot(self, ax=None):
        """Finite-width eigenvalues (dots) and limits (bars) per degree, log y."""
        _, ax = new_axes(ax)
        for k in range(self.kmax + 1):
            if self.limit[k] > 0:
                ev = self.per_degree[k]
                ax.plot(np.full(ev.size, k), ev, ".", color="C0", alpha=0.4, ms=3)
                ax.plot([k - 0.3, k + 0.3], [self.limit[k]] * 2, "-", color="C3", lw=2)
        ax.set_yscale("log")
        ax.set_xlabel("degree k")
        ax.set_ylabel("eigenvalue")
        ax.set_title(f"finite width m = {self.m} (dots) vs limit (bars), n = {self.n}")
        return ax


def finite_width_spectrum(
    activation,
    n: int,
    m: int,
    kmax: int,
    *,
    rng=None,
    init: str = "sphere",
    power=None,
    coeffs=None,
    scale: float = 1.0,
    seed=NOT_GIVEN,
) -> FiniteWidthSpectrum:
    """Eigenvalues of the output-layer operator with m random hidden units, degrees <= kmax.

    Draws w_1..w_m (uniform on S^{n-1} for init="sphere"; N(0, I_n) for init="gaussian", which
    needs a positively homogeneous activation such as relu) from ``rng`` (None, an int seed or
    a numpy Generator; ``seed=`` is its deprecated old name), and returns the nonzero
    eigenvalues of the matrices G^{(k)} and G^{(<=K)} of the module docstring next to the
    limits mu_k = spectrum(activation, n, kmax, init=init).

    Cost: O(K m^2) for the Legendre matrices and O(K m^3) for the eigenvalues (m <= 3000).

    Raises ValueError for m < 1 or m > 3000, an unknown init, or gaussian init with a
    non-homogeneous activation.
    """

    n = check_dimension(n)
    m = check_int(m, "m", 1, 3000)
    kmax = check_degree(kmax, "kmax")
    if 8 * m * n > 2**30:
        raise ValueError(
            f"m = {m} hidden units in dimension n = {n} need {8 * m * n:.3g} bytes of weights, "
            "above 1 GiB; lower m or n"
        )
    init = _check_choice(init, "init", INITS)
    gate = resolve(activation, power=power, coeffs=coeffs, scale=scale)
    rng = as_generator(rng_or_seed(rng, seed, where="finite_width_spectrum"))
    W = rng.standard_normal((m, n))
    r = np.linalg.norm(W, axis=1)
    U = W / r[:, None]
    p = 0
    if init == "gaussian":
        p = gate.homogeneous_degree
        if p is None:
            raise ValueError(
                "finite_width_spectrum with init='gaussian' needs a positively homogeneous "
                f"activation (relu, relu^p, abs, step, sign); got {gate.label}"
            )
        weights = W
        rp = r**p
    else:
        weights = U
        rp = np.ones(m)
    sign, log_abs = funk_hecke_eigenvalues(gate.eigen_arg(), n, kmax, log=True)
    with np.errstate(under="ignore"):
        lam2 = np.where(sign != 0, np.exp(2 * np.where(sign != 0, log_abs, 0.0)), 0.0)
    limit = lam2 * (math.exp(log_chi_moment(n, p)) if p else 1.0)
    dims = np.array([dim_harmonics(n, k) for k in range(kmax + 1)], dtype=object)
    gram = np.clip(U @ U.T, -1.0, 1.0)
    outer = np.outer(rp, rp)
    per_degree = []
    total = np.zeros((m, m))
    for k, Pk in legendre_rows(n, kmax, gram):
        Nk = int(dims[k])
        base = (float(Nk) / m) * outer * Pk  # G^{(k)} / lambda_k^2
        ev = np.linalg.eigvalsh(base)[::-1][: min(m, Nk)]
        per_degree.append(np.maximum(ev, 0.0) * lam2[k])
        if lam2[k] > 0:
            total += lam2[k] * base
    restricted = np.linalg.eigvalsh(total)[::-1]
    d_total = sum(int(dims[k]) for k in range(kmax + 1) if lam2[k] > 0)
    restricted = np.maximum(restricted[: min(m, d_total)], 0.0)
    return FiniteWidthSpectrum(n, m, kmax, init, limit, dims, per_degree, restricted, weights)
