"""Vempala-Wilmes quantities: alpha_k, best approximation error, and the explicit (m, T).

References: ReLU eigenvalues in n = 3 (1/4, 1/6, 1/16, 0, -1/96; docs/conventions.md, "Funk-Hecke
eigenvalues"); the exact
infinite-width dynamics (gd_operator.predict) for the operator-view T; and an exact population
GD on the output layer (Gram matrix from the closed-form arc-cosine kernel, target products
from Funk-Hecke) averaged over seeds for the random-features bound."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gd_operator import alpha_k, best_approximation_error, kernel, predict, spectrum, vw_bounds
from harmonics import dim_harmonics, funk_hecke_eigenvalues, legendre


def test_alpha_k_relu_n3():
    a = alpha_k("relu", 3, 4)
    assert a.value == pytest.approx(1 / 96, rel=1e-14)
    assert a.degree == 4 and a.unlearnable == (3,)
    assert alpha_k("relu", 3, 2).value == pytest.approx(1 / 16, rel=1e-14)
    assert "unlearnable degrees" in repr(a)


def test_alpha_k_parity_zeros():
    # tanh is odd: lambda_j = 0 exactly at even j (including j = 0); sigmoid = 1/2 + odd.
    assert alpha_k("tanh", 5, 6).unlearnable == (0, 2, 4, 6)
    assert alpha_k("sigmoid", 5, 6).unlearnable == (2, 4, 6)
    with pytest.raises(ValueError, match="vanishes"):
        alpha_k("tanh", 5, 0)  # lambda_0(tanh) = 0: nothing of degree <= 0 is learnable
    # x^4 has lambda_0, lambda_2, lambda_4 != 0 and odd ones 0
    assert alpha_k("polynomial", 4, 4, coeffs=[0, 0, 0, 0, 1.0]).unlearnable == (1, 3)


def test_best_approximation_error():
    e = np.array([0.5, 0.2, 0.1, 0.05])
    assert best_approximation_error(e, 1) == pytest.approx(0.15)
    assert best_approximation_error(e, 1, total_energy=1.0) == pytest.approx(0.3)
    assert best_approximation_error(e, 5) == 0.0
    with pytest.raises(ValueError, match="sum to"):
        best_approximation_error(e, 3, total_energy=0.5)
    with pytest.raises(ValueError, match=">= 0"):
        best_approximation_error([0.1, -0.2], 1)
    targets = pytest.importorskip("gd_operator.targets")
    t = targets.ridge_target(4, degrees=(1, 3), amplitudes=(1.0, 0.5), rng=0)
    assert best_approximation_error(t, 1) == pytest.approx(0.25, rel=1e-12)
    assert best_approximation_error(t, 3) == pytest.approx(0.0, abs=1e-14)


def test_mu_max_is_an_upper_bound():
    # mu_max = max(max_{j<=J} lambda_j^2, K(1)/N(n, J+1)) must dominate every lambda_j^2.
    for act, n in (("relu", 3), ("sigmoid", 6), ("tanh", 2)):
        b = vw_bounds(act, n, 2, 1e-2)
        lam = funk_hecke_eigenvalues(act, n, 120)
        assert b.mu_max >= np.max(lam**2) * (1 - 1e-14)


def test_operator_iterations_reach_target():
    # With lr = 1/mu_max and T = T_op, the exact infinite-width residual in degrees <= k is
    # <= eps + (energy in unlearnable degrees); T_op also bounds the exact first-passage time.
    n, k, eps = 5, 4, 1e-3
    e = np.array([0.3, 0.2, 0.1, 0.05, 0.02])
    b = vw_bounds("relu", n, k, eps, energies=e)
    mu = spectrum("relu", n, k)
    T = int(b.iterations_operator)
    p = predict(e, mu, b.lr_operator, [T])
    assert p.residual[0].sum() <= eps + b.unlearnable_energy
    assert b.unlearnable == (3,) and b.unlearnable_energy == pytest.approx(0.05)
    # exact first passage of the learnable part
    learn = mu > 0
    q = predict(np.where(learn, e, 0), mu, b.lr_operator, 1)
    t_exact = q.total_time_to_fraction(eps / e[learn].sum())
    assert t_exact <= T
    # dominated by the hardest degree: T_op within a factor ~2 of mu_max/(2 alpha^2) log(H/eps)
    approx = b.mu_max / (2 * b.alpha_k**2) * math.log(b.head_energy / eps)
    assert 0.9 * approx <= T <= 1.1 * approx + 1


def test_random_features_bound_by_exact_population_gd():
    # E||r_T||^2 <= tail + U + (K1 S - H)/m + K1 S/T for GD from a = 0 with lr = 1/K1.
    # Exact population GD: f* = sqrt(N) P_2(<u,x>) (H = 1, tail = U = 0), ReLU on the sphere,
    # G_ij = K(<w_i,w_j>)/m with K = kappa_1/(2n), b_i = E[f* g(<w_i,.>)]/sqrt(m) =
    # sqrt(N) lambda_2 P_2(<u,w_i>)/sqrt(m); loss ||r||^2 = 1 - 2 a.b + a.G a.
    n, k, eps = 3, 2, 0.5
    N = dim_harmonics(n, 2)
    b = vw_bounds("relu", n, k, eps, energies=[0.0, 0.0, 1.0])
    K1 = b.second_moment
    assert K1 == pytest.approx(1 / (2 * n), rel=1e-14)
    S = b.weighted_energy
    assert S == pytest.approx(256.0, rel=1e-13)  # 1/lambda_2^2 = 16^2
    m = T = int(b.width_random_features)
    assert m == math.ceil(2 * K1 * S / eps)
    lam2 = funk_hecke_eigenvalues("relu", n, 2)[2]
    u = np.array([0.0, 0.0, 1.0])
    losses = []
    for seed in range(10):
        W = np.random.default_rng(seed).standard_normal((m, n))
        W /= np.linalg.norm(W, axis=1, keepdims=True)
        G = kernel("relu", n, np.clip(W @ W.T, -1, 1)) / m
        bv = math.sqrt(N) * lam2 * legendre(n, 2, W @ u) / math.sqrt(m)
        a = np.zeros(m)
        lr = 1 / K1
        for _ in range(T):
            a -= lr * (G @ a - bv)
        losses.append(1 - 2 * a @ bv + a @ G @ a)
    bound = (K1 * S - 1.0) / m + K1 * S / T
    assert np.mean(losses) <= bound
    assert bound <= eps


def test_summary_and_large_values():
    b = vw_bounds("relu", 1000, 50, 1e-3)
    assert math.isfinite(b.width_spectral) or b.width_spectral == math.inf
    assert b.alpha_k > 0
    s = vw_bounds("sigmoid", 10, 3, 1e-3).summary()
    assert "unlearnable degrees <= k: 2" in s and "matrix Bernstein" in s
    d = vw_bounds("relu", 4, 2, 0.1).to_dict()
    assert d["unlearnable"] == [] and d["k"] == 2


def test_bad_inputs():
    with pytest.raises(ValueError, match="eps must be > 0"):
        vw_bounds("relu", 3, 2, 0.0)
    with pytest.raises(ValueError, match="delta must be in"):
        vw_bounds("relu", 3, 2, 0.1, delta=1.5)
    with pytest.raises(ValueError, match="at least degrees 0..2"):
        vw_bounds("relu", 3, 2, 0.1, energies=[1.0])
    with pytest.raises(ValueError, match="finite and >= 0"):
        vw_bounds("relu", 3, 2, 0.1, energies=[1.0, -1.0, 0.0])
