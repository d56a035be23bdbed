"""Ridge sums and their exact per-degree inner products (Funk-Hecke + addition theorem).

A ridge sum is f(x) = sum_i alpha_i g_i(<u_i, x>) with unit directions u_i.  If lambda_k(g_i) are
the Funk-Hecke eigenvalues of the profiles, then for two ridge sums f, h (docs/conventions.md,
"Ridge functions")

    <Pi_k f, Pi_k h> = N(n,k) sum_{i,j} alpha_i lambda_k(g_i) beta_j lambda_k(h_j)
                       * P_{k,n}(<u_i, v_j>).

Network units phi(<w_i, x> + b_i) are ridges with u_i = w_i/|w_i| and profile
g_i(t) = phi(|w_i| t + b_i); for ReLU, g_i(t) = |w_i| relu(t - t0_i), t0_i = -b_i/|w_i|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harmonics import dim_harmonics, funk_hecke_eigenvalues
from harmonics._truncated_power import float_eigenvalues

from . import _gd_kernels


@dataclass
class RidgeCoefficients:
    """Funk-Hecke data of f(x) = sum_i coef[i] g_i(<dirs[i], x>): eig[i, k] = lambda_k(g_i).

    Private counterpart of :class:`harmonics.RidgeSum` for many different profiles g_i (one
    gate per unit), with the eigenvalues precomputed up to degree K.
    """

    dirs: np.ndarray  # [p, n], unit rows
    coef: np.ndarray  # [p]
    eig: np.ndarray  # [p, K+1]

    @property
    def weights(self) -> np.ndarray:
        return self.coef[:, None] * self.eig


def degree_inner_products(f: RidgeCoefficients, h: RidgeCoefficients, n: int) -> np.ndarray:
    """<Pi_k f, Pi_k h> for k = 0..K (exact up to rounding), via the numba pair kernel."""
    K = f.eig.shape[1] - 1
    out = np.zeros(K + 1)
    _gd_kernels.degree_gram_sums(
        np.ascontiguousarray(f.dirs),
        np.ascontiguousarray(f.weights),
        np.ascontiguousarray(h.dirs),
        np.ascontiguousarray(h.weights),
        float(n),
        K,
        out,
    )
    dims = np.array([float(dim_harmonics(n, k)) for k in range(K + 1)])
    return dims * out


def relu_gate_eigenvalues(t0: np.ndarray, n: int, K: int) -> np.ndarray:
    """lambda_k(relu(t - t0)) for an array of kinks t0 (any real), k = 0..K: array [len(t0), K+1].

    The truncated-power formulas (T)/(R) with p = 1, float64 and vectorized over t0
    (harmonics._truncated_power.float_eigenvalues, their one implementation).  Outside (-1, 1)
    the gate is 0 (t0 >= 1) or the linear function t - t0.  Meant for moderate n (network
    simulations), where nothing underflows.
    """
    return float_eigenvalues(t0, 1, n, K)


def network_ridge(W, b, a, activation: str, n: int, K: int) -> RidgeCoefficients:
    """Ridge form of f(x) = (1/sqrt m) sum_i a_i phi(<w_i, x> + b_i), phi registered.

    ReLU and abs (positively homogeneous) are exact for any |w_i| and (ReLU) any bias; other
    activations need |w_i| = 1 and no bias (one shared profile), else ValueError.
    """
    m = W.shape[0]
    r = np.linalg.norm(W, axis=1)
    if np.any(r == 0):
        raise ValueError("a hidden weight vector is exactly zero; its direction is undefined")
    dirs = W / r[:, None]
    coef = np.asarray(a, dtype=float) / np.sqrt(m)
    has_bias = b is not None and np.any(b != 0)
    if activation == "relu":
        if has_bias:
            eig = r[:, None] * relu_gate_eigenvalues(-b / r, n, K)
        else:
            eig = r[:, None] * funk_hecke_eigenvalues("relu", n, K)[None, :]
    elif activation == "abs" and not has_bias:
        eig = r[:, None] * funk_hecke_eigenvalues("abs", n, K)[None, :]
    else:
        if has_bias or not np.allclose(r, 1.0, rtol=0, atol=1e-12):
            raise ValueError(
                f"exact degree energies for {activation!r} need unit hidden weights and no bias "
                "(sphere init, output layer trained); use activation='relu' for the other cases"
            )
        eig = np.broadcast_to(funk_hecke_eigenvalues(activation, n, K)[None, :], (m, K + 1))
    return RidgeCoefficients(dirs, coef, np.ascontiguousarray(eig))
