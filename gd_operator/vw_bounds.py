"""Vempala-Wilmes quantities with explicit constants, derived from the operator view.

Setting (Vempala & Wilmes, "Gradient Descent for One-hidden-layer Neural Networks: Polynomial
Convergence and SQ Lower Bounds", COLT 2019, arXiv:1805.02677): f_a(x) = (1/sqrt(m)) sum_i a_i
g(<w_i, x>) with w_i uniform on S^{n-1} (frozen), output weights a trained by full-batch GD from
a = 0 on L(a) = 1/2 ||f* - f_a||^2 (uniform probability measure).  Their theorem: GD reaches the
error of the best degree-<=k polynomial approximation of a bounded f* plus eps with m and T both
n^{O(k)} log(1/eps), for activations whose harmonic coefficients lambda_0..lambda_k are nonzero
(their key "existence theorem": n^{O(k)} poly(1/eps) random gates suffice to approximate).  Here
the constants are explicit.  Notation: e_j = ||Pi_j f*||^2, H = sum_{j<=k} e_j over learnable
degrees, U = sum of e_j over unlearnable degrees j <= k (lambda_j = 0: such components are
orthogonal to every gate g(<w, .>), so no width or time removes them), tail_k = sum_{j>k} e_j,
mu_j = lambda_j^2, alpha_k = min_{j<=k, lambda_j != 0} |lambda_j|, K1 = E_{nu_n}[g^2] = K(1),
S = sum_{learnable j<=k} e_j / lambda_j^2 <= H / alpha_k^2.

1. Infinite width (operator view, exact dynamics r_k(t) = (1 - lr mu_k)^{2t} r_k(0)).  With
   lr = 1/mu_max (mu_max = sup_j mu_j, every factor in [0, 1)):
       ||r_T||^2 <= tail_k + U + (1 - lr alpha_k^2)^{2T} H <= tail_k + U + eps  once
       T >= T_op = ceil( log(H/eps) / (-2 log(1 - alpha_k^2/mu_max)) )
                 ~ mu_max log(H/eps) / (2 alpha_k^2).
   mu_max is bounded rigorously by max(max_{j<=J} lambda_j^2, K1/N(n, J+1)) since
   N(n,j) lambda_j^2 <= K1 for all j (Parseval) and N(n, j) is nondecreasing in j.
2. Finite width, in expectation over the draw of the w_i (random features + convex GD):
   the comparator a*_i = c(w_i)/sqrt(m), c(w) = sum_{learnable j<=k} Pi_j f*(w) / lambda_j,
   is unbiased (Funk-Hecke: E_w[c(w) g(<w,x>)] = Pi_{<=k} f*(x)) with
       E||f* - f_{a*}||^2 = tail_k + U + (K1 S - H)/m,   E||a*||^2 = S,
   and L is K1-smooth (||Gram|| <= trace = K1).  GD with lr = 1/K1 from a = 0 satisfies
   L(a_T) <= L(a*) + K1 ||a*||^2 / (2T) for ANY a* (Beck, "First-Order Methods in
   Optimization", SIAM 2017, Thm 10.21 and Lemma 10.18), hence
       E||r_T||^2 <= tail_k + U + (K1 S - H)/m + K1 S / T,
   and m = T = ceil(2 K1 S / eps) give E||r_T||^2 <= tail_k + U + eps.  Polynomial in 1/eps
   (not log), but fully explicit; with alpha_k^2 ~ n^{-k} this is n^{O(k)}/eps.
3. Spectral concentration (matrix Bernstein, Tropp 2015, "An Introduction to Matrix
   Concentration Inequalities", Thm 6.1.1): the finite-width operator compressed to degrees <= k
   is (1/m) sum_i psi_i psi_i^T with psi_i = Pi_{<=k} g(<w_i, .>), ||psi_i||^2 = B =
   sum_{j<=k} N(n,j) lambda_j^2 and E psi psi^T = diag(mu_j).  Its eigenvalues are within
   alpha_k^2/2 of the limit with probability >= 1 - delta once
       m >= m_spec = ceil( 8 B (mu_max,k + alpha_k^2/6) log(2 D / delta) / alpha_k^4 ),
   D = sum_{j<=k} N(n,j).  Then every degree <= k is learned at least at rate alpha_k^2/2, i.e.
   T_op doubles.  This is a statement about the spectrum of the compressed operator (the
   coupling to degrees > k is not controlled), which is what the n^{O(k)} log(1/eps) count of
   the paper rests on; :func:`gd_operator.finite_width_spectrum` shows it numerically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from harmonics import dim_harmonics, funk_hecke_eigenvalues
from harmonics._infra.checks import (
    check_degree,
    check_dimension,
    check_int,
    check_real,
    check_real_array,
)
from harmonics._infra.results import ResultMixin

from ._gates import resolve
from .kernels import kernel


@dataclass(frozen=True)
class AlphaK(ResultMixin):
    """alpha_k = min_{j<=k, lambda_j != 0} |lambda_j| and the unlearnable degrees j <= k.

    value = alpha_k, log_value its natural log (finite where alpha_k underflows), degree the j
    attaining it, unlearnable the degrees j <= k with lambda_j = 0, lambdas [k+1] the lambda_j.
    """

    value: float
    log_value: float
    degree: int
    unlearnable: tuple
    lambdas: np.ndarray

    def __repr__(self) -> str:
        bad = ", ".join(map(str, self.unlearnable)) if self.unlearnable else "none"
        return (
            f"AlphaK(alpha_k = {self.value:.6g} at degree {self.degree}; "
            f"unlearnable degrees (lambda_j = 0): {bad})"
        )


def alpha_k(activation, n: int, k: int, *, power=None, coeffs=None, scale: float = 1.0) -> AlphaK:
    """alpha_k = min over j <= k with lambda_j(g) != 0 of |lambda_j(g)| (Vempala-Wilmes).

    lambda_j = E_{t~nu_n}[g(t) P_{j,n}(t)] (harmonics.funk_hecke_eigenvalues; exact zeros, e.g.
    ReLU at odd j >= 3 or tanh at even j, are reported in ``unlearnable``: the output-layer
    kernel has mu_j = lambda_j^2 = 0 there, so GD never learns those degrees).

    >>> a = alpha_k("relu", 3, 4); a.unlearnable, round(a.value * 96, 12)
    ((3,), 1.0)
    """

    n = check_dimension(n)
    k = check_degree(k)
    gate = resolve(activation, power=power, coeffs=coeffs, scale=scale)
    sign, log_abs = funk_hecke_eigenvalues(gate.eigen_arg(), n, k, log=True)
    live = np.flatnonzero(sign != 0)
    unlearnable = tuple(int(j) for j in np.flatnonzero(sign == 0))
    if live.size == 0:
        raise ValueError(f"every lambda_j, j <= {k}, vanishes: nothing of degree <= k is learnable")
    j = int(live[np.argmin(log_abs[live])])
    with np.errstate(under="ignore"):
        lambdas = np.where(sign != 0, sign * np.exp(np.where(sign != 0, log_abs, 0.0)), 0.0)
    return AlphaK(math.exp(log_abs[j]), float(log_abs[j]), j, unlearnable, lambdas)


def best_approximation_error(target, k: int, *, total_energy=None) -> float:
    """Squared L2 error of the best degree-<=k approximation: sum_{j>k} ||Pi_j f*||^2.

    ``target`` is an array of per-degree energies e_0, e_1, ... or a target object with
    ``energies(K)`` and ``norm2()`` (e.g. gd_operator.targets).  With ``total_energy`` =
    ||f*||^2 (or a target's norm2) the tail is total - sum_{j<=k} e_j (exact up to rounding,
    absolute error ~ eps * total); otherwise it is the sum of the listed energies above k,
    which is a lower bound unless the list covers every degree where f* has energy.
    """

    k = check_degree(k)
    if hasattr(target, "energies") and callable(target.energies):
        e = np.asarray(target.energies(k), dtype=float)
        if total_energy is None and hasattr(target, "norm2"):
            total_energy = float(target.norm2())
        if total_energy is None:
            raise ValueError("the target has no norm2(); pass total_energy")
    else:
        e = check_real_array(target, "target (energies)", ndim=1)
    if np.any(e < 0):
        j = int(np.flatnonzero(e < 0)[0])
        raise ValueError(
            f"target energies must be >= 0 (squared norms); got {e[j]!r} at degree {j}"
        )
    head = float(e[: k + 1].sum())
    if total_energy is None:
        return float(e[k + 1 :].sum())
    total = check_real(total_energy, "total_energy", nonnegative=True)
    tail = total - head
    if tail < -1e-12 * max(total, 1e-300):
        raise ValueError(
            f"the energies of degrees <= {k} sum to {head:.17g} > total_energy = {total:.17g}"
        )
    return max(tail, 0.0)


@dataclass(frozen=True)
class VWBounds(ResultMixin):
    """Explicit Vempala-Wilmes width/iteration counts (see the module docstring for formulas)."""

    n: int
    k: int
    eps: float
    delta: float
    alpha_k: float
    unlearnable: tuple
    mu_max: float
    second_moment: float  # K1 = E_{nu_n}[g^2]
    head_energy: float  # H
    unlearnable_energy: float  # U
    approximation_error: float | None  # tail_k
    weighted_energy: float  # S = sum e_j / lambda_j^2 (or H / alpha_k^2)
    dim_low: int  # D = sum_{j<=k} N(n,j)
    lr_operator: float
    iterations_operator: float
    lr_random_features: float
    width_random_features: float
    iterations_random_features: float
    width_spectral: float

    def summary(self) -> str:
        err = "unknown" if self.approximation_error is None else f"{self.approximation_error:.4g}"
        lines = [
            f"Vempala-Wilmes bounds: n = {self.n}, k = {self.k}, eps = {self.eps:g}",
            f"  alpha_k = {self.alpha_k:.4g}; unlearnable degrees <= k: "
            + (", ".join(map(str, self.unlearnable)) or "none")
            + f" (energy {self.unlearnable_energy:.4g})",
            f"  best degree-<=k error (tail) = {err}; ||f*_<=k||^2 = {self.head_energy:.4g}",
            f"  operator view: lr = 1/mu_max = {self.lr_operator:.4g}, "
            f"T = {_fmt(self.iterations_operator)}  [log(H/eps)/(-2 log(1 - alpha_k^2/mu_max))]",
            f"  random features + convex GD (in expectation): lr = 1/K(1) = "
            f"{self.lr_random_features:.4g}, m = T = {_fmt(self.width_random_features)}"
            "  [2 K(1) S / eps]",
            f"  spectral concentration (matrix Bernstein, prob >= {1 - self.delta:g}): "
            f"m = {_fmt(self.width_spectral)}  [8 B (mu_max + alpha^2/6) log(2D/delta)/alpha^4]",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"VWBounds(n={self.n}, k={self.k}, eps={self.eps:g}, alpha_k={self.alpha_k:.4g}, "
            f"T_operator={_fmt(self.iterations_operator)}, "
            f"m_rf={_fmt(self.width_random_features)}, m_spectral={_fmt(self.width_spectral)})"
        )


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf"
    return f"{x:.4g}" if x >= 1e6 else str(int(x))


def _exp(x: float) -> float:
    return math.exp(x) if x < 709 else math.inf


def _ceil(x: float) -> float:
    return float(math.ceil(x)) if math.isfinite(x) else math.inf


def vw_bounds(
    activation,
    n: int,
    k: int,
    eps: float,
    *,
    energies=None,
    total_energy=None,
    delta: float = 0.1,
    power=None,
    coeffs=None,
    scale: float = 1.0,
) -> VWBounds:
    """Explicit m and T for GD on the output layer (sphere init) to reach tail_k + eps.

    Parameters
    ----------
    activation, power, coeffs, scale : the gate g (as in :func:`gd_operator.spectrum`).
    n : dimension;  k : polynomial degree;  eps > 0 : excess squared error.
    energies : per-degree energies e_0..e_K of f* (K >= k) or a target object with
        ``energies(K)``/``norm2()``; if omitted, a unit-norm target with all its energy in the
        hardest learnable degree is assumed (H = 1, S = 1/alpha_k^2, tail unknown).
    total_energy : ||f*||^2, to get tail_k exactly (targets supply it themselves).
    delta : failure probability for the spectral-concentration width.

    Returns a :class:`VWBounds`; formulas and references in the module docstring.  Counts
    beyond the float64 range (~1e308: e.g. n = 10^30, or an alpha_k below 1e-154) are +inf.
    """

    n = check_dimension(n)
    k = check_int(k, "k", 0, 10_000)  # the bounds sum exact N(n, j) over j <= k
    eps = check_real(eps, "eps", positive=True)
    delta = check_real(delta, "delta", positive=True)
    if delta >= 1:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    J = max(k, 30)
    ak = alpha_k(activation, n, J, power=power, coeffs=coeffs, scale=scale)
    lam = ak.lambdas
    with np.errstate(divide="ignore"):
        log_mu = np.where(lam != 0, 2 * np.log(np.abs(lam)), -np.inf)
    K1 = float(kernel(activation, n, 1.0, power=power, coeffs=coeffs, scale=scale))
    log_mu_max = max(float(log_mu.max()), math.log(K1) - math.log(dim_harmonics(n, J + 1)))
    learn = lam[: k + 1] != 0
    unlearnable = tuple(int(j) for j in np.flatnonzero(~learn))
    if not np.any(learn):
        raise ValueError(f"every lambda_j, j <= {k}, vanishes: nothing of degree <= k is learnable")
    lm = log_mu[: k + 1]
    log_a2 = float(np.min(lm[learn]))
    approx = None
    if energies is None:
        H, U, log_S = 1.0, 0.0, -log_a2
    else:
        if hasattr(energies, "energies") and callable(energies.energies):
            e = np.asarray(energies.energies(k), dtype=float)
            approx = best_approximation_error(energies, k, total_energy=total_energy)
        else:
            e = check_real_array(energies, "energies")
            if e.ndim != 1 or e.size < k + 1:
                raise ValueError(f"energies must list at least degrees 0..{k}")
            if total_energy is not None:
                approx = best_approximation_error(e, k, total_energy=total_energy)
        if not np.all(np.isfinite(e)) or np.any(e < 0):
            raise ValueError("energies must be finite and >= 0")
        e = e[: k + 1]
        H = float(e[learn].sum())
        U = float(e[~learn].sum())
        with np.errstate(divide="ignore"):
            log_S = float(logsumexp(np.log(e[learn]) - lm[learn])) if H > 0 else -math.inf
    lr_op = math.exp(-log_mu_max)
    d = log_a2 - log_mu_max  # log(alpha_k^2 / mu_max) <= 0
    if H <= eps:
        t_op = 0.0
    elif d >= 0:  # lr = 1/mu_max removes the only learnable degree(s) in one step
        t_op = 1.0
    else:
        # log(H/eps) / (-2 log(1 - ratio)) in log scale: -log(1 - ratio) ~ ratio underflows
        # to 0 for ratio < 1e-308 (erf at k = 200: a ZeroDivisionError)
        log_rate = d if d < -30 else math.log(-math.log1p(-math.exp(d)))
        t_op = _ceil(_exp(math.log(math.log(H / eps)) - math.log(2.0) - log_rate))
    m_rf = _ceil(_exp(math.log(2 * K1 / eps) + log_S)) if H > 0 else 0.0
    D = sum(dim_harmonics(n, j) for j in range(k + 1))
    log_B = float(
        logsumexp([math.log(dim_harmonics(n, j)) + lm[j] for j in range(k + 1) if learn[j]])
    )
    log_mu_max_k = float(np.max(lm[learn]))
    log_m_spec = (
        math.log(8)
        + log_B
        + float(np.logaddexp(log_mu_max_k, log_a2 - math.log(6)))
        + math.log(math.log(2 / delta) + math.log(D))
        - 2 * log_a2
    )
    m_spec = _ceil(_exp(log_m_spec))
    return VWBounds(
        n=n,
        k=k,
        eps=eps,
        delta=delta,
        alpha_k=math.exp(log_a2 / 2),
        unlearnable=unlearnable,
        mu_max=math.exp(log_mu_max),
        second_moment=K1,
        head_energy=H,
        unlearnable_energy=U,
        approximation_error=approx,
        weighted_energy=_exp(log_S),
        dim_low=D,
        lr_operator=lr_op,
        iterations_operator=t_op,
        lr_random_features=1.0 / K1,
        width_random_features=m_rf,
        iterations_random_features=m_rf,
        width_spectral=m_spec,
    )
