"""The fast routes of the exact per-degree energies (harmonics.ridge.degree_sums).

Two references for every route: the row-sum pair kernel that computed the records before
(harmonics.ridge._run_pair_kernel with reduce=True, kept as the baseline), and an independent
float64 numpy evaluation with P_{k,n} from harmonics.legendre (double-double recurrence,
~1 ulp).  Tolerances: the routes reassociate sums of p*q terms, so they differ by a few ulps of
the sum of absolute terms, sum_ij |cu_ik cv_jk| (|P_k| <= 1): 1e-13 of that is ~500 ulps.
"""

from __future__ import annotations

import numpy as np
import pytest

from gd_operator import ridge_target
from gd_operator._ridge import network_ridge
from harmonics import legendre
from harmonics import ridge as rd
from harmonics._projection_kernels import degree_sums_kernel
from harmonics.sampling import sample_sphere


def _numpy_reference(U, cu, V, cv, n, K):
    T = np.clip(U @ V.T, -1.0, 1.0)
    return np.array([cu[:, k] @ legendre(n, k, T) @ cv[:, k] for k in range(K + 1)])


def _previous_kernel(U, cu, V, cv, n, K):
    return rd._run_pair_kernel(U, cu, V, cv, n, K, reduce=True)


def _scale(cu, cv):
    return np.abs(cu).sum(axis=0) * np.abs(cv).sum(axis=0)


CASES = [  # n, p, q, K: chunk edges (q < 256 < q), K = 0, 1, 2 (pass edges), odd/even K
    (2, 7, 5, 0),
    (3, 40, 33, 1),
    (3, 300, 257, 2),
    (4, 129, 600, 3),
    (10, 64, 90, 8),
    (5, 257, 256, 7),
    (2, 300, 280, 30),
]


@pytest.mark.parametrize(("n", "p", "q", "K"), CASES)
def test_routes_match_both_references(n, p, q, K):
    rng = np.random.default_rng(p + q)
    U, V = sample_sphere(p, n, rng), sample_sphere(q, n, rng)
    cu, cv = rng.standard_normal((p, K + 1)), rng.standard_normal((q, K + 1))
    tol = 1e-13 * _scale(cu, cv)
    ref = _numpy_reference(U, cu, V, cv, n, K)
    assert np.all(np.abs(_previous_kernel(U, cu, V, cv, n, K) - ref) <= tol)
    assert np.all(np.abs(rd.degree_pair_sums(U, cu, V, cv, n, K) - ref) <= tol)
    assert np.all(np.abs(rd.feature_degree_sums(U, cu, V, cv, n, K) - ref) <= tol)
    assert np.all(np.abs(rd.degree_sums(U, cu, V, cv, n, K) - ref) <= tol)


@pytest.mark.parametrize(("n", "p", "K"), [(2, 301, 30), (3, 256, 1), (6, 513, 6), (10, 200, 5)])
def test_symmetric_sums_match_both_references(n, p, K):
    # one ridge sum with itself: pairs i < j doubled plus the diagonal P_k(1) = 1 (exact, where
    # the references evaluate P_k at the rounded <u_i, u_i> = 1 - O(eps): |dP| <= k^2 eps).
    rng = np.random.default_rng(p)
    U = sample_sphere(p, n, rng)
    c = rng.standard_normal((p, K + 1))
    tol = 1e-13 * _scale(c, c)
    ref = _numpy_reference(U, c, U, c, n, K)
    assert np.all(np.abs(_previous_kernel(U, c, U, c, n, K) - ref) <= tol)
    for got in (
        rd.degree_pair_sums(U, c, U, c, n, K, symmetric=True),
        rd.feature_degree_sums(U, c, U, c, n, K, symmetric=True),
        rd.degree_sums(U, c, U, c, n, K, symmetric=True),
    ):
        assert np.all(np.abs(got - ref) <= tol)


def test_circle_basis_is_the_general_basis():
    # S^1: the cos/sin route against the Gelfand-Tsetlin basis of harmonics.basis (n = 2 is
    # special-cased; the general route with SphericalHarmonics(2, k) must give the same sums)
    rng = np.random.default_rng(3)
    U, V = sample_sphere(50, 2, rng), sample_sphere(40, 2, rng)
    cu, cv = rng.standard_normal((50, 13)), rng.standard_normal((40, 13))
    from harmonics.basis import SphericalHarmonics

    general = []
    for k in range(13):
        Y = SphericalHarmonics(2, k)
        general.append((cu[:, k] @ Y(U)) @ (cv[:, k] @ Y(V)) / (1 if k == 0 else 2))
    got = rd.feature_degree_sums(U, cu, V, cv, 2, 12)
    assert np.all(np.abs(got - np.array(general)) <= 1e-13 * _scale(cu, cv))


def test_blocked_kernel_same_bits_one_and_two_threads():
    import numba

    rng = np.random.default_rng(11)
    p, n, K = 700, 6, 5
    U = rd._padded(sample_sphere(p, n, rng))
    UT = np.ascontiguousarray(U.T)
    c = rng.standard_normal((p, K + 1))
    cT = np.ascontiguousarray(c.T)
    for sym in (True, False):
        a, b = np.zeros(K + 1), np.zeros(K + 1)
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            degree_sums_kernel(U, UT, c, cT, float(n), K, sym, a)
        finally:
            numba.set_num_threads(threads)
        degree_sums_kernel(U, UT, c, cT, float(n), K, sym, b)
        assert np.array_equal(a, b)


def test_routing_by_cost():
    # many points on S^1 / few basis functions: the basis; n = 10, K = 6, 4096 units: the pairs
    assert rd._feature_route_pays(4000, 4000, 2, 30, True)
    assert rd._feature_route_pays(4096, 4096, 3, 10, True)
    assert not rd._feature_route_pays(4096, 4096, 10, 6, True)
    assert not rd._feature_route_pays(3, 4096, 10, 6, False)


@pytest.mark.parametrize(
    ("n", "m", "K", "bias"), [(10, 300, 6, 0.1), (2, 500, 20, 0.3), (3, 400, 8, 0.0)]
)
def test_energy_record_matches_previous_route(n, m, K, bias):
    # the record of gd_operator.simulate, ||Pi_k (f* - f)||^2 from the three ridge products,
    # by the fast routes and by the previous kernel: same values to 1e-12 (absolute; the
    # energies are O(1): target of three unit-norm terms, network of unit output scale)
    rng = np.random.default_rng(m)
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    b, a = bias * rng.standard_normal(m), rng.choice([-1.0, 1.0], m)
    target = ridge_target(n, rng=1)
    net = network_ridge(W, b, a, "relu", n, K)
    t_e = target.degree_inner_products(target, K)
    fast = t_e - 2 * target.degree_inner_products(net, K) + net.degree_inner_products(net, K)

    def previous(f, h):
        S = _previous_kernel(
            f.ridge_directions(), f.ridge_weights(K), h.ridge_directions(), h.ridge_weights(K), n, K
        )
        return rd._dims(n, K) * S

    before = t_e - 2 * previous(target, net) + previous(net, net)
    assert np.max(np.abs(fast - before)) <= 1e-12
    assert np.all(np.maximum(fast, 0.0) >= 0.0) and np.isfinite(fast).all()


def test_circle_projection_vs_trigonometric_table():
    """_circle_projection (e^{i k theta} by repeated multiplication) against the direct
    cos(k atan2(x2, x1)), sin(...) table: both carry ~k eps per term, so the sums agree to
    ~K eps sum_i |c_ik| (bound 1e-13 of that scale at K = 200)."""
    rng = np.random.default_rng(4)
    X = sample_sphere(500, 2, rng)
    c = rng.standard_normal((500, 201))
    got = rd._circle_projection(X, c)
    ang = np.multiply.outer(np.arctan2(X[:, 1], X[:, 0]), np.arange(201.0))
    ref = np.stack([np.einsum("ik,ik->k", c, np.cos(ang)), np.einsum("ik,ik->k", c, np.sin(ang))])
    scale = np.abs(c).sum(axis=0)
    assert np.all(np.abs(got - ref.T) <= 1e-13 * scale[:, None])


def test_sphere2_basis_route_vs_legendre_pairs():
    """S^2 feature route (Schmidt-normalized associated Legendre recurrence and (x + i y)^m)
    against the direct double sum sum_ij cu_ik cv_jk P_k(<u_i, v_j>) with scipy's Legendre
    polynomials (an independent evaluation), K up to 40, symmetric and not: ~K eps times the
    scale sum |cu| sum |cv| (measured 2e-17 of it; bound 1e-14)."""
    from scipy.special import eval_legendre

    rng = np.random.default_rng(12)
    U, V = sample_sphere(300, 3, rng), sample_sphere(200, 3, rng)
    for K in (0, 1, 5, 40):
        cu, cv = rng.standard_normal((300, K + 1)), rng.standard_normal((200, K + 1))
        G = np.clip(U @ V.T, -1.0, 1.0)
        ref = np.array([cu[:, k] @ eval_legendre(k, G) @ cv[:, k] for k in range(K + 1)])
        got = rd.feature_degree_sums(U, cu, V, cv, 3, K)
        scale = np.abs(cu).sum(axis=0) * np.abs(cv).sum(axis=0)
        assert np.all(np.abs(got - ref) <= 1e-14 * scale), K
        sym = rd.feature_degree_sums(U, cu, U, cu, 3, K, symmetric=True)
        Gu = np.clip(U @ U.T, -1.0, 1.0)
        ref_sym = np.array([cu[:, k] @ eval_legendre(k, Gu) @ cu[:, k] for k in range(K + 1)])
        assert np.all(np.abs(sym - ref_sym) <= 1e-14 * np.abs(cu).sum(axis=0) ** 2), K
