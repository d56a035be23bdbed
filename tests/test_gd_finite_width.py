"""gd_operator.finite_width_spectrum: derivation, exact moments, convergence to the limit.

References: an explicit orthonormal basis of H_k (harmonics.SphericalHarmonics, Gelfand-Tsetlin
construction) for the per-degree operator; the exact mean and variance of the Frobenius
deviation S_k (a degenerate U-statistic, derived in gd_operator/finite_width.py) for the
statistical test; Hoffman-Wielandt for the all-degrees operator."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gd_operator import finite_width_spectrum, spectrum
from harmonics import SphericalHarmonics, dim_harmonics, legendre, nu_quadrature


def test_per_degree_matches_explicit_basis():
    # Pi_k K_m Pi_k in an orthonormal basis Y of H_k is (lambda_k^2/m) sum_i Y(w_i) Y(w_i)^T
    # (Funk-Hecke: Pi_k g(<w,.>) = lambda_k sum_j Y_j(w) Y_j); its eigenvalues must equal the
    # nonzero eigenvalues of the m x m Legendre matrix used by the library.
    n, m, K = 4, 30, 4
    fw = finite_width_spectrum("relu", n, m, K, rng=7)
    lam2 = spectrum("relu", n, K)
    for k in range(K + 1):
        Y = SphericalHarmonics(n, k)(fw.weights)  # [m, N]
        M = lam2[k] / m * (Y.T @ Y)
        ev = np.sort(np.linalg.eigvalsh(M))[::-1][: min(m, dim_harmonics(n, k))]
        np.testing.assert_allclose(fw.per_degree[k], ev, rtol=1e-10, atol=1e-15 * lam2[0])


@pytest.mark.parametrize("n, k", [(3, 1), (3, 2), (3, 4), (5, 2)])
def test_frobenius_deviation_statistics(n, k):
    # S_k = sum_l (sigma_l/mu_k - 1)^2 has E = (N^2 - N)/m and
    # Var = 2 (m - 1)(N^4 E[P_k^4] - N^2)/m^3 exactly.  20 fixed seeds: each z-score below 6
    # (Chebyshev: P(|z| > 6) < 3%, and S_k is nearly Gaussian here), and the mean of the 20 within
    # 4 standard errors.
    m = 150
    N = dim_harmonics(n, k)
    t, w = nu_quadrature(n, 4 * k + 4)
    EP4 = float(np.dot(w, legendre(n, k, t) ** 4))
    mean = (N * N - N) / m
    sd = math.sqrt(2 * (m - 1) * (N**4 * EP4 - N * N) / m**3)
    vals = np.array(
        [finite_width_spectrum("relu", n, m, k, rng=s).frobenius_deviation(k) for s in range(20)]
    )
    z = (vals - mean) / sd
    assert np.all(np.abs(z) < 6), z
    assert abs(z.mean()) * math.sqrt(20) < 4


def test_converges_to_limit_as_m_grows():
    # max_l |sigma_l/mu_k - 1| ~ sqrt(N/m): averaged over 4 seeds it must drop by > 2x when m
    # grows 16x (expected 4x; observed 4.7x), and the all-degrees spectrum obeys Hoffman-Wielandt:
    # sum_l (sigma_l - d_l)^2 <= ||A - D||_F^2 whose mean is (B^2 - sum_k N_k mu_k^2)/m with
    # B = sum_k N_k mu_k (checked against 5x that mean).
    n, K = 3, 3
    mu = spectrum("relu", n, K)
    Nk = np.array([dim_harmonics(n, k) for k in range(K + 1)])
    live = mu > 0
    B = float(np.sum(Nk[live] * mu[live]))
    devs = {}
    for m in (25, 400):
        d = []
        for s in range(4):
            fw = finite_width_spectrum("relu", n, m, K, rng=100 + s)
            d.append(np.nanmax(fw.max_relative_deviation()))
            limit = np.sort(np.repeat(mu[live], Nk[live]))[::-1]
            ev = np.zeros(limit.size)
            ev[: fw.restricted.size] = fw.restricted[: limit.size]
            hw = float(np.sum((ev - limit) ** 2))
            expect = (B * B - float(np.sum(Nk[live] * mu[live] ** 2))) / m
            assert hw <= 5 * expect
        devs[m] = np.mean(d)
    assert devs[400] < devs[25] / 2


def test_gaussian_init_homogeneous():
    # Gaussian init, ReLU: limit n lambda_k^2; the mean of the N(n,k) finite-width eigenvalues
    # is lambda_k^2 (1/m) sum_i |w_i|^2, whose relative sd is sqrt(2/(n m)).
    n, m, K = 5, 200, 3
    fw = finite_width_spectrum("relu", n, m, K, rng=1, init="gaussian")
    np.testing.assert_allclose(fw.limit, spectrum("relu", n, K, init="gaussian"), rtol=1e-14)
    r2 = np.mean(np.sum(fw.weights**2, axis=1))
    for k in range(K + 1):
        if fw.limit[k] > 0:
            N = dim_harmonics(n, k)
            assert np.mean(fw.per_degree[k]) * min(m, N) / N == pytest.approx(
                fw.limit[k] * r2 / n, rel=1e-10
            )
    assert abs(r2 / n - 1) < 5 * math.sqrt(2 / (n * m))


def test_result_object():
    fw = finite_width_spectrum("tanh", 4, 20, 3, rng=np.random.default_rng(0))
    assert "FiniteWidthSpectrum(n=4, m=20" in repr(fw)
    d = fw.to_dict()
    assert d["multiplicity"] == [1, 4, 9, 16] and len(d["per_degree"]) == 4
    # tanh is odd: even degrees have mu_k = 0, so their finite-width eigenvalues are 0 too
    assert np.all(fw.per_degree[2] == 0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="m must be an integer"):
        finite_width_spectrum("relu", 3, 0, 2)
    with pytest.raises(ValueError, match=r"\[1, 3000\]"):
        finite_width_spectrum("relu", 3, 5000, 2)
    with pytest.raises(ValueError, match="positively homogeneous"):
        finite_width_spectrum("tanh", 3, 10, 2, init="gaussian")
    with pytest.raises(ValueError, match="either seed or rng"), pytest.deprecated_call():
        finite_width_spectrum("relu", 3, 10, 2, seed=1, rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match="init must be one of"):
        finite_width_spectrum("relu", 3, 10, 2, init="ball")
