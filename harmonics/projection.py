"""Projections of functions on S^{n-1} onto the spaces H_k of spherical harmonics.

Convention (docs/conventions.md, "The sphere, its measure, and the law of one coordinate"):
uniform probability measure sigma on S^{n-1}; ||f||^2 = E_x[f(x)^2];
Pi_k is the orthogonal projection onto H_k, (Pi_k f)(x) = N(n,k) E_y[P_{k,n}(<x,y>) f(y)], so

    ||Pi_k f||^2 = N(n,k) E_{x,y}[f(x) f(y) P_{k,n}(<x,y>)] = sum_j <f, Y_{k,j}>^2,

for any orthonormal basis {Y_{k,j}} of H_k (we use :class:`harmonics.SphericalHarmonics`), and
Parseval: ||f||^2 = sum_k ||Pi_k f||^2.  :func:`project` returns the energies ||Pi_k f||^2 for
k <= kmax, the total ||f||^2, the tail ||f||^2 - sum_{k<=kmax} ||Pi_k f||^2 and, for degrees with
N(n,k) <= max_coefficients, the coefficients <f, Y_{k,j}>.

Three methods:

* ``"exact"`` for a :class:`RidgeSum` f(x) = sum_i a_i phi(<w_i, x>): by Funk-Hecke,
  <phi(<w,.>), Y> = lambda_k(phi) Y(w) for Y in H_k, so

      <f, Y_{k,j}> = lambda_k sum_i a_i Y_{k,j}(w_i),
      ||Pi_k f||^2 = N(n,k) lambda_k^2 sum_{i,l} a_i a_l P_{k,n}(<w_i, w_l>)   (addition theorem),

  with lambda_k = harmonics.funk_hecke_eigenvalues (log scale, so nothing underflows before the
  final float64 result).  The total ||f||^2 = sum_{i,l} a_i a_l K(<w_i, w_l>) needs the two-point
  kernel K(rho) = E_x[phi(<u,x>) phi(<v,x>)], <u,v> = rho, which we integrate by a planar
  reduction: the projection of x on span(u, v) is r (cos psi, sin psi) with psi uniform and
  u = r^2 ~ Beta(1, (n-2)/2) independent (r = 1 for n = 2).  For unbiased homogeneous gates
  (relu, step, sign, abs, relu^p) K = E[r^{2p}] J(theta) separates, E[r^{2p}] =
  p! Gamma(n/2) / Gamma(n/2 + p).  Otherwise the u-integral is a Gauss-Jacobi rule when no
  kink moves with r (smooth gates), else it is split where the psi-breakpoints appear or
  collide (u = t0^2 and t0^2 / cos^2(theta/2) for a kink t0) and each piece uses Gauss-Legendre
  after u = a + (b-a)(1 - cos(pi s))/2, which removes square-root endpoint singularities.  The
  psi-integral is split where r cos psi or r cos(psi - theta) crosses a kink
  (theta = arccos rho), Gauss-Legendre on each arc.  Accuracy: ~1e-15 relative for smooth or
  unbiased piecewise gates (tested against the arc-cosine closed forms); <= ~2e-12 for biased
  kinked gates (tested against scipy quad of a 1-D reduction).  ``total_error`` is a
  bound-style estimate, max |K - K_coarse| (sum |a_i|)^2.  Cost: one kernel integral per
  distinct <w_i, w_l>, O(m^2) for m ridges: ~0.1 s for m = 100 unbiased relu ridges, ~5 s for
  biased ones (1e4 gate evaluations per pair).
* ``"quadrature"`` for any callable (small n): the product Gauss rule of
  :func:`harmonics._quadrature_sphere.product_rule`, exact for polynomials of degree <= ``degree``
  (default 2 kmax + 8): coefficients c = sum_p w_p f(x_p) Y(x_p), energies = |c|^2, total =
  sum_p w_p f(x_p)^2.  If f is a polynomial of degree <= D, the energies are exact when
  ``degree`` >= D + kmax and the total when ``degree`` >= 2 D.  ``energies_error`` and
  ``total_error`` are the differences from the rule of degree max(2 kmax, 3 degree / 4) (the
  error of the coarser rule: a conservative estimate for smooth f; None if both coincide).
  Nodes: (D+1)(D//2+1)^{n-2}; ``auto`` switches to Monte Carlo above ``max_nodes``.
* ``"montecarlo"`` for any callable: M points uniform on the sphere (seeded), the unbiased
  U-statistics
      ||Pi_k f||^2 ~ N(n,k) / (M (M-1)) sum_{p != q} f(x_p) f(x_q) P_{k,n}(<x_p, x_q>),
  total ~ mean f(x_p)^2, coefficients ~ mean f(x_p) Y(x_p), each with a standard error.  For the
  U-statistics Var = (4 (M-2) zeta_1 + 2 zeta_2) / (M (M-1)) (Hoeffding 1948), zeta_1 = Var of
  h_1(x) = E_y h(x, y) and zeta_2 = Var h(x, y), both estimated from the sample (checked for
  calibration over repeated seeds in the tests).  The second term, ~ 2 N(n,k) ||f||^4 / M^2,
  is why Monte Carlo cannot resolve degrees with N(n,k) >~ M^2 (e.g. n = 200, k >= 3 with a few
  thousand samples): the standard errors say so.  Cost O(M^2 kmax) (a numba kernel).  The
  estimator and its variance are :func:`u_statistic_energies`, their one implementation (also
  behind gd_operator's energies of callable targets and residuals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._infra.checks import check_degree, check_dimension, check_int
from ._infra.results import ResultMixin
from ._quadrature import gauss_legendre
from ._quadrature_sphere import beta1_rule, product_rule, product_rule_size
from ._recurrence import legendre_rows
from .basis import SphericalHarmonics, _check_points
from .dimensions import dim_harmonics
from .ridge import RidgeSumBase, pair_sums
from .sampling import as_generator, sample_sphere

#: Default cap on N(n,k) for which coefficients <f, Y_{k,j}> are returned.
DEFAULT_MAX_COEFFICIENTS = 2000
#: Default cap on the number of product-rule nodes before ``auto`` switches to Monte Carlo.
DEFAULT_MAX_NODES = 200_000
#: Default cost limit of :func:`project` for callables, in multiply-adds (~1-2 s): quadrature
#: nodes * sum_k N(n,k) (every degree's coefficients are formed; the coarse error-estimate rule
#: adds up to half), Monte Carlo M^2 (kmax+1) / 40 (the numba pair sums) + 1000 (kmax+1) + M n
#: + (2 M + 1000) (sum of the N(n,k) <= max_coefficients).  Checked before anything is evaluated.
DEFAULT_MAX_WORK = 5 * 10**7
_CHUNK_BYTES = 2**25


def _capped_rule_size(n: int, degree: int) -> int:
    """product_rule_size, but 10^30 for rules with more than 10^30 nodes (never formed: the
    exact power q^(n-2) would take minutes for n = 10^18)."""
    q = degree // 2 + 1
    if (n - 2) * math.log10(q) + math.log10(degree + 1) > 30:
        return 10**30
    return product_rule_size(n, degree)


def _dims_sum(n: int, kmax: int) -> int:
    """sum_{k <= kmax} N(n,k) = C(n+kmax-1, kmax) + C(n+kmax-2, kmax-1) (the polynomials of
    degree <= kmax restricted to the sphere), capped at 10^30 (estimated from log-gammas)."""

    def log_binom(a, b):
        return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)

    if log_binom(n + kmax - 1, kmax) > 30 * math.log(10):
        return 10**30
    return math.comb(n + kmax - 1, kmax) + (math.comb(n + kmax - 2, kmax - 1) if kmax else 0)


def _coefficient_dims(n: int, kmax: int, max_coef: int) -> int:
    """sum of the N(n,k) <= max_coef, k <= kmax (N(n,k) grows with k for n >= 3)."""
    if n == 2:
        return 1 + 2 * kmax if max_coef >= 2 else (1 if max_coef >= 1 else 0)
    total = 0
    for k in range(kmax + 1):
        big = math.lgamma(n + k) - math.lgamma(k + 1) - math.lgamma(n) > 30 * math.log(10)
        d = 10**30 if big else dim_harmonics(n, k)  # N(n,k) <= C(n+k-1, k)
        if d > max_coef:
            break
        total += d
    return total


def _quadrature_work(n: int, kmax: int, degree: int) -> int:
    return _capped_rule_size(n, degree) * _dims_sum(n, kmax) * 3 // 2


def _montecarlo_work(n: int, kmax: int, M: int, max_coef: int) -> int:
    # Units of ~20-25 ns (5e7 ~ 1-1.3 s of CPU).  Pair sums M^2 (kmax+1), 1/40 of a unit each
    # (measured 0.4 ns per pair and degree at M = 300 .. 0.55 ns at M >= 2000, where the rows
    # leave L1) plus ~1000 units per degree of per-point arrays; coefficients (2 M + 1000) per
    # basis function (the evaluation plan of each degree costs ~1000 units per function, each
    # point ~45 ns; measured at n = 3, M = 200 .. 4096).  Was M^2 (kmax+1)/100 + (M + 1000)
    # coef: project(f, 3, 200, max_coefficients=43) was estimated at 3.6e7 and took 2.2 s.
    coef = _coefficient_dims(n, kmax, max_coef)
    return M * M * (kmax + 1) // 40 + 1000 * (kmax + 1) + M * n + (2 * M + 1000) * coef


def _too_costly(what: str, work: int, max_work: int, hint: str) -> ValueError:
    return ValueError(
        f"project: {what} would cost ~{float(work):.3g} multiply-adds, above the limit "
        f"max_work={max_work:.3g} (~1-2 s per 5e7); {hint}, or pass max_work=N to raise it"
    )


# ------------------------------------------------------------------------------ ridge sums


class RidgeSum(RidgeSumBase):
    """The function f(x) = sum_{i<m} a_i phi(<w_i, x>) on S^{n-1} (a sum of ridge functions).

    The ridge sum of one gate; a :class:`harmonics.ridge.RidgeSumBase` like every other ridge
    sum of funkhecke (network units, targets, the SQ family), so ``energies(kmax)`` and
    ``degree_inner_products(other, kmax)`` work between any of them.

    Parameters
    ----------
    activation : registered name or :class:`harmonics.Activation` (gated as
        phi(scale t + bias), see :func:`harmonics.get_activation`), or a Python callable on
        t in [-1, 1] (then list its non-smooth points in ``kinks``).
    W : array [m, n] of unit vectors w_i (| ||w_i|| - 1 | <= 1e-8, else ValueError; a ridge
        with a non-unit direction is a rescaled gate: fold the norm into ``scale``).  Accepted
        rows are divided by their norms.
    a : array [m] of real weights (default all ones).
    kinks : for callables only, points of (-1, 1) where phi is not smooth.
    **params : scale, bias, power, coeffs of registered activations.

    Calling the object on X [N, n] evaluates f (so it can also be passed to the quadrature or
    Monte Carlo methods of :func:`project`).
    """

    def __init__(self, activation, W, a=None, *, kinks=(), **params):
        from .activations import Activation, get_activation

        try:
            W = np.asarray(W, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError("W must be a real array of shape [m, n]") from exc
        if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 2:
            raise ValueError(f"W must have shape [m, n] with m >= 1 and n >= 2, got {W.shape}")
        W, _ = _check_points(W, W.shape[1], "W")
        # accepted rows are within 1e-8 of unit norm; use the exact directions from here on
        self.W = W / np.linalg.norm(W, axis=1, keepdims=True)
        m = self.W.shape[0]
        if a is None:
            a = np.ones(m)
        a = np.asarray(a, dtype=float)
        if a.shape != (m,):
            raise ValueError(
                f"a must have shape [m] = [{m}] (one weight per row of W), got {a.shape}"
            )
        if not np.all(np.isfinite(a)):
            raise ValueError("a must be finite")
        self.a = a
        if callable(activation) and not isinstance(activation, (str, Activation)):
            if params:
                raise ValueError(
                    f"{sorted(params)} apply to registered activations only, not to callables"
                )
            kinks = tuple(float(x) for x in kinks)
            if any(not -1 < x < 1 for x in kinks):
                raise ValueError(f"kinks must lie in (-1, 1), got {kinks}")
            self.activation = activation
            self.gate = activation
            self.kinks = kinks
            self.params = None
        else:
            if kinks:
                raise ValueError("kinks= is for callables; registered activations know their kinks")
            self.gate = get_activation(activation, **params)
            self.activation = activation
            self.kinks = tuple(self.gate.kinks)
            self.params = dict(params)

    @property
    def n(self) -> int:
        return self.W.shape[1]

    @property
    def m(self) -> int:
        return self.W.shape[0]

    def __call__(self, X, *, normalize: bool = False) -> np.ndarray:
        """f at the rows of X [N, n] (unit vectors): array [N]."""
        X, was_1d = _check_points(X, self.n, normalize=normalize)
        out = np.zeros(X.shape[0])
        step = max(1, _CHUNK_BYTES // (8 * self.m))
        for p0 in range(0, X.shape[0], step):
            T = np.clip(X[p0 : p0 + step] @ self.W.T, -1.0, 1.0)
            out[p0 : p0 + step] = _gate_values(self.gate, T) @ self.a
        return out[0] if was_1d else out

    def eigenvalues(self, kmax: int, *, log: bool = False):
        """lambda_0..lambda_kmax of the gate in dimension n (harmonics.funk_hecke_eigenvalues)."""
        from .funk_hecke import funk_hecke_eigenvalues

        if self.params is None:  # a plain callable
            return funk_hecke_eigenvalues(self.gate, self.n, kmax, log=log, kinks=self.kinks)
        return funk_hecke_eigenvalues(self.gate, self.n, kmax, log=log)

    # -- ridge-sum interface (harmonics.ridge.RidgeSumBase): weights a_i, the gate's
    # eigenvalues as the common factor, in log scale (no underflow for large n and k)
    def ridge_directions(self) -> np.ndarray:
        return self.W

    def ridge_weights(self, kmax: int) -> np.ndarray:
        return np.repeat(self.a[:, None], kmax + 1, axis=1)

    def ridge_log_scale(self, kmax: int):
        return self.eigenvalues(kmax, log=True)

    def __repr__(self) -> str:
        return f"RidgeSum({self.gate!r}, m={self.m}, n={self.n})"


def _gate_values(gate, T: np.ndarray) -> np.ndarray:
    vals = np.asarray(gate(T), dtype=float)
    if vals.shape != T.shape:
        raise ValueError(
            f"the activation must map an array of shape {T.shape} to the same shape, "
            f"got {vals.shape}"
        )
    if not np.all(np.isfinite(vals)):
        raise ValueError("the activation returned non-finite values on [-1, 1]")
    return vals


def _ridge_kernel(gate, kinks, n: int, rho: np.ndarray, num_r: int = 32, num_psi: int = 24):
    """K(rho) = E_x[phi(<u,x>) phi(<v,x>)] for <u,v> = rho (array [P]); planar reduction.

    See the module docstring.  Returns an array [P].
    """
    rho = np.clip(np.asarray(rho, dtype=float), -1.0, 1.0)
    theta = np.arccos(rho)  # [P]
    P = theta.size
    kinks = [float(t0) for t0 in kinks]
    # ---- r-nodes per pair.  u = r^2 has density (alpha+1)(1-u)^alpha, alpha = (n-4)/2.
    if n == 2:
        r = np.ones((P, 1))
        wr = np.ones((P, 1))
    else:
        alpha = (n - 4) / 2
        cuts = []
        for t0 in kinks:
            if t0 == 0.0:  # breakpoints at r = 0 only: nothing to split
                continue
            cuts.append(np.full(P, t0 * t0))
            c2 = np.cos(theta / 2) ** 2
            with np.errstate(divide="ignore"):
                cuts.append(np.where(c2 > 0, t0 * t0 / np.where(c2 > 0, c2, 1.0), np.inf))
        if not cuts:
            # J is analytic in u on [0, 1]: Gauss-Jacobi rule for the density of u.
            u, wu = beta1_rule(alpha, num_r)
            r = np.broadcast_to(np.sqrt(u), (P, num_r))
            wr = np.broadcast_to(wu, (P, num_r))
        else:
            # Pieces between breakpoints, each by Gauss-Legendre after the map
            # u = lo + (hi - lo)(1 - cos(pi s))/2 (square-root endpoint singularities of J and
            # of (1-u)^{-1/2} at n = 3 become analytic).  For large n the density is below
            # e^{-40} of its maximum beyond u = 40/alpha: truncate there and use more nodes.
            u_hi = 1.0
            num = num_r
            if alpha > 40:
                u_hi, num = 40.0 / alpha, 2 * num_r
            edges = np.concatenate(
                [np.zeros((P, 1))]
                + [np.clip(c, 0.0, u_hi)[:, None] for c in cuts]
                + [np.full((P, 1), u_hi)],
                axis=1,
            )
            edges.sort(axis=1)
            lo, hi = edges[:, :-1, None], edges[:, 1:, None]  # [P, pieces, 1]
            x, wx = gauss_legendre(num)
            s = (x + 1) / 2
            u = lo + (hi - lo) * ((1 - np.cos(np.pi * s)) / 2)
            jac = (hi - lo) * (np.pi / 2) * np.sin(np.pi * s) * (wx / 2)
            one_m_u = 1.0 - u
            inside = one_m_u > 0
            log_dens = math.log(alpha + 1) + alpha * np.log(np.where(inside, one_m_u, 1.0))
            dens = np.where(inside, np.exp(np.minimum(log_dens, 700.0)), 0.0)
            wr = (dens * jac).reshape(P, -1)
            r = np.sqrt(u).reshape(P, -1)
    R = r.shape[1]
    # ---- psi-arcs per (pair, r): breakpoints where r cos psi or r cos(psi - theta) hits a kink
    two_pi = 2 * math.pi
    bps = [np.zeros((P, R)), np.full((P, R), two_pi)]
    for t0 in kinks:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(r > abs(t0), t0 / np.where(r > 0, r, 1.0), 1.0)
        a = np.arccos(np.clip(ratio, -1.0, 1.0))  # 0 when the kink is out of reach
        th = theta[:, None]
        for b in (a, -a, th + a, th - a):
            bps.append(np.mod(b, two_pi))
    bp = np.stack(bps, axis=2)
    bp.sort(axis=2)
    plo, phi_ = bp[:, :, :-1], bp[:, :, 1:]  # [P, R, arcs]
    x, wx = gauss_legendre(num_psi if kinks else 2 * num_psi)
    psi = (plo[..., None] + phi_[..., None]) / 2 + (phi_ - plo)[..., None] / 2 * x
    wpsi = (phi_ - plo)[..., None] / 2 * wx / two_pi
    rr = r[:, :, None, None]
    th = theta[:, None, None, None]
    v1 = _gate_values(gate, np.clip(rr * np.cos(psi), -1.0, 1.0))
    v2 = _gate_values(gate, np.clip(rr * np.cos(psi - th), -1.0, 1.0))
    J = np.sum(wpsi * v1 * v2, axis=(2, 3))  # [P, R]
    return np.sum(wr * J, axis=1)


def _homogeneity(gate):
    """p if the gate is positively homogeneous, phi(c t) = c^p phi(t) for c > 0, else None.

    Registered unbiased gates only (:attr:`harmonics.Activation.homogeneous_degree`).
    """
    from .activations import Activation

    if not isinstance(gate, Activation):
        return None
    return gate.homogeneous_degree


def _kernel_values(ridge: RidgeSum, rho: np.ndarray, num_r: int, num_psi: int) -> np.ndarray:
    """K(rho) for the ridge's gate at an array of inner products, in memory-bounded batches.

    For positively homogeneous gates K(rho) = E[r^{2p}] J(theta) with J the psi-average at
    r = 1 and E[r^{2p}] = p! Gamma(n/2) / Gamma(n/2 + p) = prod_{i<p} (i+1)/(n/2+i) (u = r^2 ~
    Beta(1, (n-2)/2)), which saves the r-integral.
    """
    n = ridge.n
    p = _homogeneity(ridge.gate)
    factor = 1.0
    n_eff = n
    if p is not None and n > 2:
        factor = math.prod((i + 1) / (n / 2 + i) for i in range(p))
        n_eff = 2  # r = 1: the planar integral on the unit circle
    out = np.empty(rho.size)
    # gate evaluations per pair: r-nodes x psi-nodes (x ~6 float64 work arrays of that size)
    nk = len(ridge.kinks)
    r_nodes = 1 if n_eff == 2 else num_r * (1 + 2 * nk) * (2 if n > 84 else 1)
    psi_nodes = (1 + 4 * nk) * num_psi if nk else 2 * num_psi
    step = max(1, _CHUNK_BYTES // (48 * r_nodes * psi_nodes))
    for p0 in range(0, rho.size, step):
        out[p0 : p0 + step] = _ridge_kernel(
            ridge.gate, ridge.kinks, n_eff, rho[p0 : p0 + step], num_r, num_psi
        )
    return factor * out


def _ridge_total(ridge: RidgeSum, num_r: int = 32, num_psi: int = 24, num_check: int = 256):
    """(||f||^2, error estimate): ||f||^2 = sum_{i,l} a_i a_l K(<w_i, w_l>).

    K is integrated once per distinct inner product.  The error estimate is
    max |K - K_coarse| (sum_i |a_i|)^2, with K_coarse from a coarser rule (20 r-nodes, 16
    psi-nodes per piece) on rho = 1 and up to ``num_check`` other inner products spread over
    their range: a bound-style estimate (pessimistic when the a_i have mixed signs).
    """
    W, a = ridge.W, ridge.a
    m = W.shape[0]
    iu, ju = np.triu_indices(m, k=1)
    G = np.clip(W @ W.T, -1.0, 1.0)
    rho = np.concatenate([[1.0], G[iu, ju]])
    uniq, inv = np.unique(rho, return_inverse=True)
    K = _kernel_values(ridge, uniq, num_r, num_psi)
    Kp = K[inv]
    total = float(Kp[0] * np.dot(a, a) + 2.0 * np.dot(a[iu] * a[ju], Kp[1:]))
    idx = np.unique(np.linspace(0, uniq.size - 1, min(num_check, uniq.size)).astype(int))
    coarse = _kernel_values(ridge, uniq[idx], 20, 16)
    err = float(np.max(np.abs(K[idx] - coarse))) * float(np.sum(np.abs(a))) ** 2
    return total, err


# ----------------------------------------------------------------------------- the result


@dataclass(frozen=True, repr=False, eq=False)
class Projection(ResultMixin):
    """Degree-by-degree decomposition of f on S^{n-1} (uniform probability measure).

    Attributes
    ----------
    n, kmax : dimension and highest degree;  method : "exact", "quadrature" or "montecarlo".
    energies : array [kmax+1], ||Pi_k f||^2.
    total : ||f||^2 = E_x[f(x)^2].
    coefficients : tuple of kmax+1 entries; entry k is the array [N(n,k)] of <f, Y_{k,j}>
        (columns of ``SphericalHarmonics(n, k)``) or None when N(n,k) > max_coefficients.
    energies_stderr, total_stderr, tail_stderr, coefficients_stderr : Monte Carlo standard
        errors (None for the deterministic methods).
    energies_error, total_error : deterministic error estimates (difference from a coarser
        rule; None for Monte Carlo, and energies_error is None for "exact", whose energies are
        closed forms accurate to rounding).
    num_points : quadrature nodes or Monte Carlo samples (for "exact": the number of ridges).
    degree : polynomial exactness degree of the quadrature rule (None otherwise).
    seed : the int seed used by Monte Carlo, if one was given.

    Derived: ``tail`` = total - sum(energies) (>= 0 up to error), ``dims`` = [N(n,k)],
    ``energy_fractions`` = energies / total.  ``to_dict()`` (JSON-ready: arrays as lists,
    missing entries as None), ``to_json()``, ``save(path)``, ``load(path)``.
    """

    _layout = (
        "n",
        "kmax",
        "method",
        "dims",
        "energies",
        "total",
        "tail",
        "coefficients",
        "energies_stderr",
        "total_stderr",
        "tail_stderr",
        "coefficients_stderr",
        "energies_error",
        "total_error",
        "num_points",
        "degree",
        "seed",
    )

    n: int
    kmax: int
    method: str
    energies: np.ndarray
    total: float
    coefficients: tuple
    energies_stderr: np.ndarray | None = None
    total_stderr: float | None = None
    tail_stderr: float | None = None
    coefficients_stderr: tuple | None = None
    energies_error: np.ndarray | None = None
    total_error: float | None = None
    num_points: int | None = None
    degree: int | None = None
    seed: int | None = None

    @property
    def tail(self) -> float:
        """||f||^2 - sum_{k<=kmax} ||Pi_k f||^2 = sum_{k>kmax} ||Pi_k f||^2."""
        return float(self.total - np.sum(self.energies))

    @property
    def dims(self) -> list[int]:
        return [dim_harmonics(self.n, k) for k in range(self.kmax + 1)]

    @property
    def energy_fractions(self) -> np.ndarray:
        return self.energies / self.total if self.total > 0 else np.full(self.kmax + 1, np.nan)

    def __repr__(self) -> str:
        show = min(self.kmax, 5)
        en = ", ".join(f"{x:.4g}" for x in self.energies[: show + 1])
        more = ", ..." if self.kmax > show else ""
        pm = ""
        if self.total_stderr is not None:
            pm = f" +- {self.total_stderr:.2g}"
        elif self.total_error is not None:
            pm = f" (est. error {self.total_error:.1g})"
        return (
            f"Projection(n={self.n}, kmax={self.kmax}, method={self.method!r}, "
            f"points={self.num_points}: energies[0..{show}] = [{en}{more}], "
            f"total = {self.total:.6g}{pm}, tail = {self.tail:.4g})"
        )


# ------------------------------------------------------------------------------- methods


def _eval_callable(f, X: np.ndarray) -> np.ndarray:
    try:
        vals = f(X)
    except Exception as exc:  # report which call failed, keep the original error chained
        raise ValueError(
            f"f raised {type(exc).__name__} when called on points of shape {X.shape}"
        ) from exc
    vals = np.asarray(vals, dtype=float)
    if vals.shape == (X.shape[0], 1):
        vals = vals[:, 0]
    if vals.shape != (X.shape[0],):
        raise ValueError(
            f"f must map points X of shape [N, n] = {X.shape} to values of shape [N], "
            f"got {vals.shape}"
        )
    if not np.all(np.isfinite(vals)):
        raise ValueError("f returned non-finite values (NaN or inf) on the sphere")
    return vals


def _basis_chunks(Yk: SphericalHarmonics, X: np.ndarray):
    """Yield (p0, p1, Y_k(X[p0:p1])) in chunks of bounded memory."""
    step = max(1, _CHUNK_BYTES // (8 * max(1, Yk.dim)))
    for p0 in range(0, X.shape[0], step):
        p1 = min(p0 + step, X.shape[0])
        yield p0, p1, Yk(X[p0:p1], max_bytes=2**62)


def _quadrature_moments(F, X, w, n, kmax, max_coef):
    """Energies (via coefficients; N(n,k) <= #nodes for rules exact to degree 2k) and coefs."""
    energies = np.empty(kmax + 1)
    coefs = []
    wf = w * F
    for k in range(kmax + 1):
        Yk = SphericalHarmonics(n, k)
        c = np.zeros(Yk.dim)
        for p0, p1, Y in _basis_chunks(Yk, X):
            c += wf[p0:p1] @ Y
        energies[k] = float(np.dot(c, c))
        coefs.append(c if Yk.dim <= max_coef else None)
    return energies, coefs, float(np.dot(w, F * F))


def _project_quadrature(f, n, kmax, degree, max_coef, max_nodes):
    if degree is None:
        degree = 2 * kmax + 8
    degree = check_int(degree, "degree", 2 * kmax)
    size = _capped_rule_size(n, degree)
    if size > max_nodes:
        more = "more than " if size >= 10**30 else ""
        raise ValueError(
            f"the product rule of degree {degree} on S^{n - 1} has {more}{size:,} nodes, above "
            f"max_nodes={max_nodes:,}; use method='montecarlo' or a lower degree"
        )
    X, w = product_rule(n, degree)
    F = _eval_callable(f, X)
    energies, coefs, total = _quadrature_moments(F, X, w, n, kmax, max_coef)
    coarse = max(2 * kmax, (3 * degree) // 4)
    if coarse < degree:
        Xc, wc = product_rule(n, coarse)
        e_c, _, t_c = _quadrature_moments(_eval_callable(f, Xc), Xc, wc, n, kmax, 0)
        e_err, t_err = np.abs(energies - e_c), abs(total - t_c)
    else:
        e_err, t_err = None, None
    return Projection(
        n,
        kmax,
        "quadrature",
        energies,
        total,
        tuple(coefs),
        energies_error=e_err,
        total_error=t_err,
        num_points=int(X.shape[0]),
        degree=degree,
    )


def _gram_sums(X, F, n, kmax, dims, *, use_numba: bool = True):
    """Sums over pairs p, q (diagonal included) for the Monte Carlo U-statistics.

    Returns g [kmax+1, M] with g[k, p] = sum_q P_k(<x_p,x_q>) F_q, g2 [kmax+1, M] with
    g2[k, p] = sum_q P_k(<x_p,x_q>)^2 F_q^2, and s [M] with s[p] = sum_q H(x_p,x_q)^2 F_q^2,
    H = sum_k N(n,k) P_k (the kernel of the sum of all degrees <= kmax).  The numba kernel
    (default: harmonics.ridge.pair_sums, the one pair kernel) and the numpy path compute the
    same sums (compared in the tests).
    """
    M = X.shape[0]
    F2 = F * F
    if use_numba:
        cv = np.repeat(F[:, None], kmax + 1, axis=1)
        R, G2, s = pair_sums(X, np.ones((M, kmax + 1)), X, cv, n, kmax, F2=F2, dims=dims)
        return np.ascontiguousarray(R.T), np.ascontiguousarray(G2.T), s
    g = np.empty((kmax + 1, M))
    g2 = np.empty((kmax + 1, M))
    s = np.empty(M)
    dims_f = np.array([float(d) for d in dims])
    block = max(1, _CHUNK_BYTES // (8 * 5 * M))
    for p0 in range(0, M, block):
        p1 = min(p0 + block, M)
        T = np.clip(X[p0:p1] @ X.T, -1.0, 1.0)
        H = np.zeros_like(T)
        for k, Pk in legendre_rows(kmax, n, T):
            g[k, p0:p1] = Pk @ F
            g2[k, p0:p1] = (Pk * Pk) @ F2
            H += dims_f[k] * Pk
        s[p0:p1] = (H * H) @ F2
    return g, g2, s


def _zeta1(h1: np.ndarray, zeta2: float, M: int) -> float:
    """Estimate of zeta_1 = Var h_1(x) from leave-one-out averages h1_p = mean_{q != p} h(x_p, x_q).

    E[sample var of h1_p] ~= zeta_1 + (zeta_2 - zeta_1)/(M - 1): remove the averaging noise.
    """
    v = float(np.var(h1, ddof=1))
    return max((v - zeta2 / (M - 1)) / (1.0 - 1.0 / (M - 1)), 0.0)


class _UStatistics(NamedTuple):
    energies: np.ndarray  # [kmax+1]
    stderr: np.ndarray | None  # [kmax+1]
    h1_sum: np.ndarray | None  # [M], sum_k of the leave-one-out averages h_1 (for the tail)
    s: np.ndarray | None  # [M], the H-kernel sums of _gram_sums (for the tail)


def _u_statistics(X, F, n, kmax, dims, *, second: bool) -> _UStatistics:
    """The U-statistics of :func:`u_statistic_energies` and, with ``second``, their Hoeffding
    standard errors and the by-products the tail estimate of ``project`` needs."""
    M = X.shape[0]
    F2 = F * F
    sumF2 = float(F2.sum())
    pairs = M * (M - 1)
    if second:
        g, g2, s = _gram_sums(X, F, n, kmax, dims)
    else:  # the first-moment sums alone (same kernel; equal to rounding under reassoc)
        cv = np.repeat(F[:, None], kmax + 1, axis=1)
        g = np.ascontiguousarray(pair_sums(X, np.ones((M, kmax + 1)), X, cv, n, kmax).T)
    energies = np.empty(kmax + 1)
    for k in range(kmax + 1):
        energies[k] = float(dims[k]) * (float(F @ g[k]) - sumF2) / pairs
    if not second:
        return _UStatistics(energies, None, None, None)
    # Var(U) = 4 (M-2)/(M(M-1)) zeta_1 + 2/(M(M-1)) zeta_2 (Hoeffding 1948), with
    # zeta_1 = Var h_1(x), h_1(x) = E_y h(x, y), and zeta_2 = Var h(x, y); both estimated from
    # the sample (h_1 by the leave-one-out averages, zeta_2 by the mean of h^2 over pairs).
    sumF4 = float(F2 @ F2)
    c1 = 4.0 * (M - 2) / pairs
    c2 = 2.0 / pairs
    stderr = np.empty(kmax + 1)
    h1_sum = np.zeros(M)
    for k in range(kmax + 1):
        Nk = float(dims[k])
        h1 = Nk * F * (g[k] - F) / (M - 1)
        h1_sum += h1
        mean_h2 = Nk * Nk * (float(F2 @ g2[k]) - sumF4) / pairs
        zeta2 = max(mean_h2 - energies[k] ** 2, 0.0)
        stderr[k] = math.sqrt(c1 * _zeta1(h1, zeta2, M) + c2 * zeta2)
    return _UStatistics(energies, stderr, h1_sum, s)


def u_statistic_energies(X, F, n: int, kmax: int, *, stderr: bool = True):
    """Unbiased Monte Carlo estimates of the degree energies ||Pi_k f||^2, k = 0..kmax.

    The one implementation of the estimator (used by :func:`project` with
    ``method="montecarlo"`` and by gd_operator for callable targets and residuals).

    Convention (docs/conventions.md): uniform probability measure on S^{n-1}, P_{k,n}(1) = 1,
    ||Pi_k f||^2 = N(n,k) E_{x,y}[f(x) f(y) P_{k,n}(<x, y>)] (addition theorem).  From M
    independent uniform points x_p with values F_p = f(x_p), the U-statistic (Hoeffding 1948)

        U_k = N(n,k) / (M (M - 1)) sum_{p != q} F_p F_q P_{k,n}(<x_p, x_q>)

    is unbiased for ||Pi_k f||^2; its variance is Var U_k = (4 (M - 2) zeta_1 + 2 zeta_2) /
    (M (M - 1)), zeta_1 = Var h_1(x) with h_1(x) = E_y h(x, y), zeta_2 = Var h(x, y),
    h(x, y) = N(n,k) f(x) f(y) P_{k,n}(<x, y>); both are estimated from the sample (h_1 by the
    leave-one-out averages, zeta_2 by the mean of h^2 over pairs), which gives the standard
    errors (calibration over repeated seeds is tested).  The term 2 zeta_2 / M^2 ~
    2 N(n,k) ||f||^4 / M^2 is why degrees with N(n,k) >~ M^2 cannot be resolved.

    Parameters
    ----------
    X : array [M, n], M >= 2 (>= 3 with ``stderr``), unit rows drawn uniformly on S^{n-1}.
    F : array [M], the values f(X).
    n, kmax : dimension and highest degree.
    stderr : also return the standard errors (needs the second-moment pair sums: about twice
        the work of the estimates alone).

    Returns
    -------
    energies [kmax+1], or (energies, stderr) with both [kmax+1] if ``stderr``.  Cost
    O(M^2 (n + kmax)), one numba pair kernel (harmonics.ridge.pair_sums).
    """
    X = np.asarray(X, dtype=float)
    F = np.asarray(F, dtype=float)
    M = X.shape[0]
    if X.ndim != 2 or X.shape[1] != n or F.shape != (M,):
        raise ValueError(f"X must have shape [M, {n}] and F shape [M], got {X.shape}, {F.shape}")
    if M < (3 if stderr else 2):
        raise ValueError(f"the U-statistics need M >= {3 if stderr else 2} points, got {M}")
    dims = [dim_harmonics(n, k) for k in range(kmax + 1)]
    u = _u_statistics(X, F, n, kmax, dims, second=stderr)
    return (u.energies, u.stderr) if stderr else u.energies


def _project_montecarlo(f, n, kmax, num_samples, rng, max_coef):
    M = check_int(num_samples, "num_samples", 3)
    seed = rng if isinstance(rng, int) and not isinstance(rng, bool) else None
    gen = as_generator(rng)
    X = sample_sphere(M, n, gen)
    F = _eval_callable(f, X)
    dims = [dim_harmonics(n, k) for k in range(kmax + 1)]
    u = _u_statistics(X, F, n, kmax, dims, second=True)
    energies, stderr, h1_sum, s = u.energies, u.stderr, u.h1_sum, u.s
    F2 = F * F
    sumF4 = float(F2 @ F2)
    pairs = M * (M - 1)
    c2 = 2.0 / pairs
    total = float(F2.mean())
    total_se = float(np.std(F2, ddof=1)) / math.sqrt(M)
    # tail = total - U_H with U_H the U-statistic of H; linearize, plus U_H's second order term
    H_diag = float(sum(dims))  # H(x, x) = sum_k N(n,k) P_k(1)
    mean_H2 = (float(F2 @ s) - H_diag * H_diag * sumF4) / pairs
    zeta2_H = max(mean_H2 - float(np.sum(energies)) ** 2, 0.0)
    # first order: Var(F^2 - 2 h_1^H) / M, with the leave-one-out noise of h_1^H removed
    tail_var1 = float(np.var(F2 - 2.0 * h1_sum, ddof=1)) - 4.0 * zeta2_H / (M - 1)
    tail_se = math.sqrt(max(tail_var1, 0.0) / M + c2 * zeta2_H)
    coefs, coef_se = [], []
    for k in range(kmax + 1):
        if dims[k] > max_coef:
            coefs.append(None)
            coef_se.append(None)
            continue
        Yk = SphericalHarmonics(n, k)
        s1 = np.zeros(Yk.dim)
        s2 = np.zeros(Yk.dim)
        for p0, p1, Y in _basis_chunks(Yk, X):
            FY = F[p0:p1, None] * Y
            s1 += FY.sum(axis=0)
            s2 += (FY * FY).sum(axis=0)
        mean = s1 / M
        var = np.maximum(s2 / M - mean * mean, 0.0) * M / (M - 1)
        coefs.append(mean)
        coef_se.append(np.sqrt(var / M))
    return Projection(
        n,
        kmax,
        "montecarlo",
        energies,
        total,
        tuple(coefs),
        energies_stderr=stderr,
        total_stderr=total_se,
        tail_stderr=tail_se,
        coefficients_stderr=tuple(coef_se),
        num_points=M,
        seed=seed,
    )


def _project_ridge(ridge: RidgeSum, kmax, max_coef):
    n = ridge.n
    sign, log_lam = ridge.eigenvalues(kmax, log=True)
    W, a = ridge.W, ridge.a
    energies = ridge.energies(kmax)  # harmonics.ridge: the one degree-wise formula
    coefs = []
    for k in range(kmax + 1):
        Nk = dim_harmonics(n, k)
        if Nk > max_coef:
            coefs.append(None)
            continue
        with np.errstate(under="ignore"):
            lam = float(sign[k] * np.exp(log_lam[k])) if sign[k] != 0 else 0.0
        coefs.append(lam * (a @ SphericalHarmonics(n, k)(W)))
    total, total_error = _ridge_total(ridge)
    return Projection(
        n,
        kmax,
        "exact",
        energies,
        total,
        tuple(coefs),
        total_error=total_error,
        num_points=ridge.m,
    )


def project(
    f,
    n: int,
    kmax: int,
    *,
    method: str = "auto",
    degree: int | None = None,
    num_samples: int = 4096,
    rng=0,
    max_coefficients: int = DEFAULT_MAX_COEFFICIENTS,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_work: int = DEFAULT_MAX_WORK,
) -> Projection:
    """Decompose f on S^{n-1} into its degree-k parts: energies ||Pi_k f||^2 for k <= kmax.

    Parameters
    ----------
    f : a callable mapping points X [N, n] (unit rows) to values [N], or a :class:`RidgeSum`
        (f(x) = sum_i a_i phi(<w_i, x>), handled exactly by Funk-Hecke).
    n : int >= 2, ambient dimension;  kmax : int >= 0, highest degree.
    method : "auto" (RidgeSum -> "exact"; callable -> "quadrature" if the product rule has at
        most ``max_nodes`` nodes, else "montecarlo"), "exact", "quadrature" or "montecarlo".
    degree : polynomial exactness of the quadrature rule (>= 2 kmax; default 2 kmax + 8).
    num_samples, rng : Monte Carlo sample size and seed (numpy Generator, int or None; the
        default seed 0 makes results reproducible).
    max_coefficients : coefficients are returned for degrees with N(n,k) <= this (default 2000).
    max_nodes : largest product rule ``auto`` will use (default 200000).
    max_work : cost limit for callables, checked before f is evaluated (default 5 * 10^7
        multiply-adds, ~1-2 s): quadrature nodes * sum_k N(n,k) (plus half for the error rule),
        Monte Carlo num_samples^2 (kmax + 1) / 40 + 1000 (kmax + 1) + num_samples n +
        (2 num_samples + 1000) (sum of the N(n,k) <= max_coefficients).  ``auto`` takes the
        quadrature if it fits, else Monte Carlo if that fits, else refuses with both costs
        (e.g. project(f, 3, 200): 84k nodes x 40401 basis functions); raise it for larger jobs.

    Returns
    -------
    :class:`Projection` (energies, total, tail, coefficients, error estimates or standard
    errors; ``repr`` and ``to_dict()``).  See the module docstring for the formulas.

    >>> import numpy as np
    >>> p = project(lambda X: X[:, 0] * X[:, 1], 3, 3)      # x1 x2 lies in H_2
    >>> np.round(p.energies * 15, 12).tolist(), round(p.total * 15, 12)   # E[(x1 x2)^2] = 1/15
    ([0.0, 0.0, 1.0, 0.0], 1.0)
    """
    n = check_dimension(n)
    kmax = check_degree(kmax, "kmax")
    max_coefficients = check_int(max_coefficients, "max_coefficients", 0)
    max_nodes = check_int(max_nodes, "max_nodes", 1)
    max_work = check_int(max_work, "max_work", 1)
    num_samples = check_int(num_samples, "num_samples", 3)  # also when another method runs
    as_generator(rng)  # rng validated whatever the method (a Generator is not consumed)
    methods = ("auto", "exact", "quadrature", "montecarlo")
    if method not in methods:
        raise ValueError(f"method must be one of {methods}, got {method!r}")
    is_ridge = isinstance(f, RidgeSum)
    if is_ridge and f.n != n:
        raise ValueError(f"the RidgeSum lives in dimension {f.n}, but n = {n}")
    if not callable(f):
        raise TypeError(
            f"f must be a callable on points [N, n] or a RidgeSum, got {type(f).__name__}"
        )
    if method == "auto":
        if is_ridge:
            method = "exact"
        else:
            d = 2 * kmax + 8 if degree is None else check_int(degree, "degree", 2 * kmax)
            size = _capped_rule_size(n, d)
            q_work = _quadrature_work(n, kmax, d)
            if size <= max_nodes and q_work <= max_work:
                method = "quadrature"
            else:
                M = check_int(num_samples, "num_samples", 3)
                mc_work = _montecarlo_work(n, kmax, M, max_coefficients)
                if mc_work > max_work:
                    raise _too_costly(
                        f"kmax = {kmax} on S^{n - 1}: the quadrature ({float(size):.3g} nodes, "
                        f"~{float(q_work):.3g}) or Monte Carlo ({M} samples)",
                        mc_work,
                        max_work,
                        "lower kmax, num_samples or max_coefficients (each Monte Carlo "
                        "coefficient costs num_samples * N(n,k))",
                    )
                method = "montecarlo"
    if method == "exact":
        if not is_ridge:
            raise ValueError(
                "method='exact' needs a RidgeSum (sum of a_i phi(<w_i, x>)); for a general "
                "callable use 'quadrature' or 'montecarlo'"
            )
        return _project_ridge(f, kmax, max_coefficients)
    if method == "quadrature":
        d = 2 * kmax + 8 if degree is None else check_int(degree, "degree", 2 * kmax)
        if _capped_rule_size(n, d) <= max_nodes and _quadrature_work(n, kmax, d) > max_work:
            raise _too_costly(
                f"the product rule of degree {d} on S^{n - 1} for kmax = {kmax}",
                _quadrature_work(n, kmax, d),
                max_work,
                "lower kmax or degree, use method='montecarlo'",
            )
        return _project_quadrature(f, n, kmax, degree, max_coefficients, max_nodes)
    M = check_int(num_samples, "num_samples", 3)
    mc_work = _montecarlo_work(n, kmax, M, max_coefficients)
    if mc_work > max_work:
        raise _too_costly(
            f"Monte Carlo with num_samples = {M} for kmax = {kmax} on S^{n - 1}",
            mc_work,
            max_work,
            "lower num_samples, kmax or max_coefficients",
        )
    return _project_montecarlo(f, n, kmax, num_samples, rng, max_coefficients)
