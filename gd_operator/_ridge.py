"""Ridge sums and their exact per-degree inner products (Funk-Hecke + addition theorem).

A ridge sum is f(x) = sum_i alpha_i g_i(<u_i, x>) with unit directions u_i.  If lambda_k(g_i) are
the Funk-Hecke eigenvalues of the profiles, then for two ridge sums f, h (docs/conventions.md,
"Ridge functions")

    <Pi_k f, Pi_k h> = N(n,k) sum_{i,j} alpha_i lambda_k(g_i) beta_j lambda_k(h_j)
                       * P_{k,n}(<u_i, v_j>).

Network units phi(<w_i, x> + b_i) are ridges with u_i = w_i/|w_i| and profile
g_i(t) = phi(|w_i| t + b_i); for ReLU, g_i(t) = |w_i| relu(t - t0_i), t0_i = -b_i/|w_i|.

The formula lives in harmonics.ridge (:class:`harmonics.ridge.RidgeSumBase`, the one ridge-sum
type); this module turns network units into such sums, with the eigenvalues of every unit's
gate decided by the structure of the activation (:attr:`harmonics.Activation.exact_gates`).
"""

from __future__ import annotations

import numpy as np

from harmonics import funk_hecke_eigenvalues, get_activation
from harmonics._infra.checks import check_degree, check_real, check_real_array
from harmonics.ridge import RidgeTerms
from harmonics.truncated_power import circle_ramp_eigenvalues, float_eigenvalues


class RidgeCoefficients(RidgeTerms):
    """Funk-Hecke data of f(x) = sum_i coef[i] g_i(<dirs[i], x>): eig[i, k] = lambda_k(g_i).

    The per-unit form of :class:`harmonics.ridge.RidgeSumBase` (one gate per unit, eigenvalues
    precomputed up to degree K): ``RidgeCoefficients(dirs, coef, eig)``.
    """


def degree_inner_products(f, h, n: int, kmax: int | None = None) -> np.ndarray:
    """<Pi_k f, Pi_k h> for k = 0..K (exact up to rounding): f.degree_inner_products(h, K), K =
    ``kmax`` or the degree up to which f's eigenvalues are known."""
    K = f.eig.shape[1] - 1 if kmax is None else kmax
    if f.n != n:
        raise ValueError(f"the ridge sum lives in dimension {f.n}, but n = {n}")
    return f.degree_inner_products(h, K)


def relu_gate_eigenvalues(t0: np.ndarray, n: int, K: int) -> np.ndarray:
    """lambda_k(relu(t - t0)) for an array of kinks t0 (any real), k = 0..K: array [len(t0), K+1].

    The truncated-power formulas (T)/(R) with p = 1, float64 and vectorized over t0
    (harmonics.truncated_power.float_eigenvalues, their one implementation).  Outside (-1, 1)
    the gate is 0 (t0 >= 1) or the linear function t - t0.  Meant for moderate n (network
    simulations), where nothing underflows.
    """
    return float_eigenvalues(t0, 1, n, K)


def _as_activation(activation):
    return activation if not isinstance(activation, str) else get_activation(activation)


def exact_network_energies(activation, *, unit_weights: bool, biased: bool) -> bool:
    """Whether :func:`network_ridge` is exact for units phi(<w_i, x> + b_i) of this activation:
    any weights and biases for ``exact_gates == "all"``, no bias for "unbiased", unit weights
    and no bias for "unit-scale" (harmonics.Activation.exact_gates)."""
    kind = _as_activation(activation).exact_gates
    if kind == "all":
        return True
    if kind == "unbiased":
        return not biased
    return unit_weights and not biased


def _gate_eigenvalues(act, r, b, n: int, K: int) -> np.ndarray:
    """lambda_k(phi(r_i t + b_i)) for arrays r > 0, b (``act.exact_gates == "all"``): [m, K+1].

    phi(r t + b) is a sum of truncated powers c r^p (side (t - t0))_+^p, t0 = -b/r (the
    decomposition of the unit gate, harmonics.Activation.truncated_powers); side = -1 reflects
    t -> -t, i.e. lambda_k picks (-1)^k at the kink -t0 (harmonics.truncated_power)."""
    t0 = -b / r
    terms, poly = act.with_gate().truncated_powers()
    if poly:
        raise ValueError(f"{act!r}: a polynomial part is not expected here")
    eig = None
    # S^1 ramps: the trigonometric closed form, O(K) per unit instead of a Legendre table
    lam = circle_ramp_eigenvalues if n == 2 else None
    for term in terms:
        kinks = t0 if term.side > 0 else -t0
        if lam is not None and term.p == 1:
            vals = lam(kinks, K)
        else:
            vals = float_eigenvalues(kinks, term.p, n, K)
        if term.side < 0:
            vals = vals * (-1.0) ** np.arange(K + 1)
        if term.coef != 1.0:
            vals = term.coef * vals
        if term.p != 0:
            vals = (r if term.p == 1 else r**term.p)[:, None] * vals
        eig = vals if eig is None else eig + vals
    return eig


def network_ridge(W, b, a, activation, n: int, K: int, *, atol: float = 1e-12):
    """Ridge form of f(x) = (1/sqrt m) sum_i a_i phi(<w_i, x> + b_i): a ``RidgeCoefficients``.

    ``activation``: a registered name or harmonics.Activation (unscaled, unbiased gate).  Exact
    where ``exact_network_energies`` says so: every unit of a relu/step/sign/abs network
    (closed forms per unit), unbiased positively homogeneous units (lambda_k(phi(r .)) =
    r^p lambda_k(phi)), and otherwise units with |w_i| = 1 (within ``atol``) and no bias, which
    share the profile phi.  Else ValueError.
    """
    act = _as_activation(activation)
    W = check_real_array(W, "W", ndim=2)
    m = W.shape[0]
    b = None if b is None else check_real_array(b, "b")  # None: no bias
    a = check_real_array(a, "a")
    if a.shape != (m,) or (b is not None and b.shape != (m,)):
        raise ValueError(
            f"a and b must have shape ({m},) like the rows of W, got {a.shape}, "
            f"{None if b is None else b.shape}"
        )
    K = check_degree(K, "K")
    atol = check_real(atol, "atol", nonnegative=True)
    r = np.linalg.norm(W, axis=1)
    if np.any(r == 0):
        raise ValueError(
            "a row of W (hidden weight vector) is exactly zero; its direction is undefined"
        )
    dirs = W / r[:, None]
    coef = np.asarray(a, dtype=float) / np.sqrt(m)
    has_bias = b is not None and np.any(b != 0)
    p = act.homogeneous_degree
    if has_bias and act.exact_gates == "all":
        eig = _gate_eigenvalues(act, r, np.asarray(b, dtype=float), n, K)
    elif not has_bias and p is not None:
        lam = funk_hecke_eigenvalues(act, n, K)[None, :]
        eig = lam if p == 0 else (r if p == 1 else r**p)[:, None] * lam
        eig = np.broadcast_to(eig, (m, K + 1))
    else:
        if has_bias or not np.allclose(r, 1.0, rtol=0, atol=atol):
            raise ValueError(
                f"exact degree energies for {act!r} need unit hidden weights and no bias "
                "(sphere init, output layer trained): each other unit has its own gate "
                "phi(|w| t + b), whose eigenvalues need a series per unit"
            )
        eig = np.broadcast_to(funk_hecke_eigenvalues(act, n, K)[None, :], (m, K + 1))
    return RidgeCoefficients(dirs, coef, np.ascontiguousarray(eig))
