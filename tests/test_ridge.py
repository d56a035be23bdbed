"""harmonics.ridge: the one ridge-sum type, its degree-wise inner products, population Grams.

References: the addition-theorem formula written out with numpy and harmonics.legendre (the
double-double recurrence); identities between different descriptions of the same function
(a teacher network is a RidgeSum of abs, a RidgeTarget term is a LegendreTarget); Monte Carlo
integrals with standard errors; and, for the Gram matrices, two independent routes (arc-cosine
closed forms vs the planar Gauss reduction of harmonics.projection vs the Funk-Hecke series).
"""

import math

import numpy as np
import pytest

from gd_operator._ridge import network_ridge
from gd_operator.targets import ridge_target, teacher_network
from harmonics import (
    RidgeSum,
    RidgeSumBase,
    dim_harmonics,
    funk_hecke_eigenvalues,
    get_activation,
    legendre,
    population_gram,
    sample_sphere,
)
from harmonics.ridge import RidgeTerms, _planar_gram, population_cross_gram
from sq_bounds import LegendreTarget


def _direct_inner(U, cu, V, cv, n, K):
    T = np.clip(U @ V.T, -1, 1)
    return np.array(
        [dim_harmonics(n, k) * cu[:, k] @ legendre(n, k, T) @ cv[:, k] for k in range(K + 1)]
    )


def test_every_ridge_type_is_a_ridge_sum():
    u = sample_sphere(1, 4, 0)[0]
    for obj in [
        RidgeSum("relu", sample_sphere(3, 4, 1)),
        ridge_target(4, (1, 2), rng=0),
        teacher_network(4, 3, rng=0),
        LegendreTarget(u, 3),
        network_ridge(np.eye(4)[:2], None, [1.0, -1.0], "tanh", 4, 5),
    ]:
        assert isinstance(obj, RidgeSumBase)


@pytest.mark.parametrize("n", [2, 3, 9])
def test_inner_products_match_the_addition_theorem(n):
    rng = np.random.default_rng(n)
    K = 7
    U, V = sample_sphere(6, n, rng), sample_sphere(5, n, rng)
    f = RidgeTerms(U, rng.standard_normal(6), rng.standard_normal((6, K + 1)))
    h = RidgeTerms(V, rng.standard_normal(5), rng.standard_normal((5, K + 1)))
    ref = _direct_inner(U, f.weights, V, h.weights, n, K)
    got = f.degree_inner_products(h, K)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13 * np.abs(ref).max())
    np.testing.assert_allclose(h.degree_inner_products(f, K), got, rtol=1e-13, atol=1e-15)


def test_teacher_is_a_ridge_sum_of_abs_and_targets_are_legendre_families():
    # Same function, two descriptions: identical energies and cross products (1e-13).
    n, K = 5, 8
    t = teacher_network(n, 4, rng=1, W=2.0 * sample_sphere(4, n, 2))
    r = np.linalg.norm(t.W, axis=1)
    rs = RidgeSum("abs", t.W / r[:, None], t.a * r)
    np.testing.assert_allclose(rs.energies(K), t.energies(K), rtol=1e-13, atol=1e-16)
    u = sample_sphere(1, n, 3)[0]
    lt = LegendreTarget(u, 4)
    rt = ridge_target(n, (4,), directions=u[None, :])
    np.testing.assert_allclose(lt.energies(K), rt.energies(K), rtol=1e-13, atol=1e-16)
    assert lt.energies(K)[4] == pytest.approx(1.0, rel=1e-13)  # unit norm
    np.testing.assert_allclose(
        lt.degree_inner_products(t, K), rt.degree_inner_products(rs, K), rtol=1e-12, atol=1e-16
    )


def test_unit_products_are_funk_hecke_correlations():
    # <f*, g(<w,.>)> for a finite-degree ridge sum: sum_k N lambda_k(g) sum_j w_j[k] P_k(<u_j, w>),
    # checked against Monte Carlo (5 standard errors) and, for LegendreTarget, the closed form
    # sqrt(N) lambda_k(g) P_k(<u, w>) with harmonics.legendre.
    n = 4
    tg = ridge_target(n, (1, 2, 3), (1.0, -0.5, 2.0), rng=4)
    W = sample_sphere(6, n, 5)
    g = get_activation("tanh", scale=1.5, bias=0.2)
    got = tg.unit_products(W, funk_hecke_eigenvalues(g, n, 3))
    X = sample_sphere(400_000, n, 6)
    vals = tg(X)[:, None] * g(X @ W.T)
    se = vals.std(axis=0) / math.sqrt(len(X))
    assert np.all(np.abs(got - vals.mean(axis=0)) < 5 * se)
    u = sample_sphere(1, 30, 7)[0]
    lt = LegendreTarget(u, 6)
    V = sample_sphere(5, 30, 8)
    lam = funk_hecke_eigenvalues("relu", 30, 6)[6]
    ref = math.sqrt(dim_harmonics(30, 6)) * lam * legendre(30, 6, V @ lt.u)
    np.testing.assert_allclose(lt.ridge_correlations(V, "relu"), ref, rtol=1e-13)
    with pytest.raises(ValueError, match="degree <= 2"):
        tg.unit_products(W, funk_hecke_eigenvalues(g, n, 2))


def test_ridge_sum_energies_in_log_scale_for_large_dimension():
    # RidgeSum keeps the gate's eigenvalues as a log-scale factor: no underflow at n = 3000, k = 60
    # (lambda_60 ~ 1e-150, N(n, 60) ~ 1e150); the energy of one ridge is N lambda_k^2.
    n = 3000
    rs = RidgeSum("erf", sample_sphere(1, n, 0))
    sign, log_lam = funk_hecke_eigenvalues("erf", n, 61, log=True)
    e = rs.energies(61)
    ref = math.exp(math.log(dim_harmonics(n, 61)) + 2 * log_lam[61])
    assert e[61] == pytest.approx(ref, rel=1e-13) and ref > 0


# ------------------------------------------------------------------ population Gram matrices


@pytest.mark.parametrize("n", [2, 3, 8])
@pytest.mark.parametrize("act", ["relu", "abs", "step", "sign", "relu2"])
def test_closed_form_gram_matches_the_planar_reduction(n, act):
    U = sample_sphere(9, n, n)
    G, err = population_gram(act, U)
    rho = np.clip(U @ U.T, -1, 1)
    np.fill_diagonal(rho, 1.0)
    Gp, errp = _planar_gram(get_activation(act), U, rho)
    assert err == 0.0 and errp < 1e-14
    np.testing.assert_allclose(G, Gp, rtol=0, atol=2e-15 * np.abs(G).max())


@pytest.mark.parametrize(
    ("act", "params"), [("tanh", {}), ("erf", dict(scale=2.0, bias=0.5)), ("identity", {})]
)
def test_series_gram_matches_the_planar_reduction(act, params):
    n = 4
    U = sample_sphere(8, n, 1)
    g = get_activation(act, **params)
    G, err = population_gram(g, U)
    Gp, errp = _planar_gram(g, U, np.clip(U @ U.T, -1, 1))
    assert err < 1e-13  # the series' Parseval tail; errp: the planar rule's coarse difference
    assert errp < 1e-7  # (~1e-12 unbiased, ~1e-8 for erf(2t + 1/2) with its steep r-profile)
    np.testing.assert_allclose(G, Gp, rtol=0, atol=errp + 1e-14 * np.abs(G).max())


def test_gram_scaling_biased_gates_and_cross_gram_by_monte_carlo():
    # Non-unit rows of homogeneous gates (|w_i|^p |w_j|^p), a biased relu (planar route) and the
    # relu-abs cross kernel of the teacher: all against a 400k-point Monte Carlo (5 s.e.).
    n = 3
    rng = np.random.default_rng(2)
    W = rng.standard_normal((5, n))
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    X = sample_sphere(400_000, n, 3)
    biased = get_activation("relu", bias=0.3)
    cases = [
        (population_gram("relu2", W)[0], get_activation("relu2")(X @ W.T), None),
        (population_gram(biased, U)[0], np.maximum(X @ U.T + 0.3, 0), None),
        (population_cross_gram("relu", W, "abs", 2 * U), np.maximum(X @ W.T, 0), 2 * abs(X @ U.T)),
    ]
    for G, F, H in cases:
        H = F if H is None else H
        prod = F[:, :, None] * H[:, None, :]
        se = prod.std(axis=0) / math.sqrt(len(X))
        assert np.all(np.abs(G - prod.mean(axis=0)) < 5 * se + 1e-12)
    with pytest.raises(ValueError, match="needs unit rows"):
        population_gram("tanh", W)
    with pytest.raises(ValueError, match="no closed-form cross kernel"):
        population_cross_gram("tanh", U, "abs", U)
