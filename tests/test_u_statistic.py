"""The Monte Carlo U-statistic energy estimator (harmonics.projection.u_statistic_energies), the
one implementation behind project(method="montecarlo"), CallableTarget.energies_mc and the
residual energies of gd_operator.simulate on callable targets.

References:
* the definition, written out pair by pair in mpmath at 50 digits with P_{k,n} from
  mpmath.gegenbauer (neither the project's recurrence nor its pair kernel), for a small sample:
  U_k = N(n,k)/(M(M-1)) sum_{p != q} F_p F_q P_{k,n}(<x_p, x_q>), and Hoeffding's variance
  (4 (M-2) zeta_1 + 2 zeta_2)/(M(M-1)) with zeta_1, zeta_2 estimated from the explicit pair
  matrix h_pq.  Agreement to 1e-12 relative to the scale N(n,k) mean(F^2) of the terms: float64
  rounding of sums of M^2 terms of that size (the energies themselves may be much smaller).
* a target with exactly known energies (unit-norm Legendre ridges, ||Pi_k f||^2 = c_k^2): the
  estimates are unbiased and the standard errors calibrated over independent samples.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from harmonics import dim_harmonics, legendre, sample_sphere
from harmonics.projection import u_statistic_energies


def _mp_reference(X, F, n, kmax):
    """(energies, stderr) from the definitions, pair by pair, in mpmath."""
    M = len(F)
    with mp.workdps(50):
        alpha = mp.mpf(n - 2) / 2
        Fm = [mp.mpf(float(v)) for v in F]
        G = [
            [
                mp.fsum(
                    mp.mpf(float(a)) * mp.mpf(float(b)) for a, b in zip(X[p], X[q], strict=True)
                )
                for q in range(M)
            ]
            for p in range(M)
        ]
        energies, stderr = [], []
        for k in range(kmax + 1):
            Nk = dim_harmonics(n, k)
            norm = mp.gegenbauer(k, alpha, 1) if n > 2 else None

            def P(t, k=k, norm=norm):
                return mp.chebyt(k, t) if n == 2 else mp.gegenbauer(k, alpha, t) / norm

            h = [
                [Nk * Fm[p] * Fm[q] * P(G[p][q]) if p != q else None for q in range(M)]
                for p in range(M)
            ]
            off = [h[p][q] for p in range(M) for q in range(M) if p != q]
            U = mp.fsum(off) / (M * (M - 1))
            zeta2 = max(mp.fsum(v * v for v in off) / (M * (M - 1)) - U * U, 0)
            h1 = [mp.fsum(h[p][q] for q in range(M) if q != p) / (M - 1) for p in range(M)]
            mean_h1 = mp.fsum(h1) / M
            var_h1 = mp.fsum((v - mean_h1) ** 2 for v in h1) / (M - 1)
            zeta1 = max((var_h1 - zeta2 / (M - 1)) / (1 - mp.mpf(1) / (M - 1)), 0)
            var = (4 * (M - 2) * zeta1 + 2 * zeta2) / (M * (M - 1))
            energies.append(U)
            stderr.append(mp.sqrt(var))
    return energies, stderr


@pytest.mark.parametrize("n, kmax", [(2, 5), (3, 6), (6, 4)])
def test_u_statistic_vs_pairwise_definition_in_mpmath(n, kmax):
    M = 24
    X = sample_sphere(M, n, np.random.default_rng(11))
    F = np.exp(X[:, 0]) - 0.7 * X[:, 1] ** 2 + 0.3 * X[:, -1]
    got, se = u_statistic_energies(X, F, n, kmax)
    only = u_statistic_energies(X, F, n, kmax, stderr=False)
    # One kernel computes both (the estimates alone skip the second-moment sums).  Under its
    # fastmath {'reassoc', 'contract'} the compiler may vectorize the two branches differently,
    # so the estimates agree to rounding, not bit for bit (1.8e-16 relative on the CI machine).
    np.testing.assert_allclose(only, got, rtol=1e-14, atol=0)
    ref, ref_se = _mp_reference(X, F, n, kmax)
    mean_f2 = float(np.mean(F * F))
    for k in range(kmax + 1):
        scale = dim_harmonics(n, k) * mean_f2
        assert abs(got[k] - float(ref[k])) < 1e-12 * scale, (k, got[k], ref[k])
        assert abs(se[k] - float(ref_se[k])) < 1e-12 * scale, (k, se[k], ref_se[k])


def test_unbiased_and_calibrated_on_a_target_with_known_energies():
    # f = 0.8 sqrt(N_1) P_1(<u,x>) + 0.6 sqrt(N_3) P_3(<v,x>) in n = 4: ||Pi_k f||^2 =
    # (0, 0.64, 0, 0.36, 0) exactly (unit-norm ridge Legendre terms, addition theorem).
    n, kmax, M, reps = 4, 4, 400, 60
    u, v = np.eye(n)[0], np.eye(n)[1]

    def f(X):
        return 0.8 * math.sqrt(dim_harmonics(n, 1)) * legendre(n, 1, X @ u) + 0.6 * math.sqrt(
            dim_harmonics(n, 3)
        ) * legendre(n, 3, X @ v)

    exact = np.array([0.0, 0.64, 0.0, 0.36, 0.0])
    est, ses = [], []
    rng = np.random.default_rng(2024)
    for _ in range(reps):
        X = sample_sphere(M, n, rng)
        e, s = u_statistic_energies(X, f(X), n, kmax)
        est.append(e)
        ses.append(s)
    est, ses = np.array(est), np.array(ses)
    sd = est.std(axis=0, ddof=1)
    # unbiased: the mean over reps is within 4 standard errors of the mean
    assert np.all(np.abs(est.mean(axis=0) - exact) < 4 * sd / math.sqrt(reps))
    # calibrated: empirical sd / mean reported stderr in [0.6, 1.6], the band of
    # test_projection's calibration test (60 reps: the sd is known to ~9 %; at the degrees
    # without energy the stderr is conservative, ratio ~0.7: the zeta_1 estimate is clipped at 0)
    ratio = sd / ses.mean(axis=0)
    assert np.all((ratio > 0.6) & (ratio < 1.6)), ratio


def test_gd_operator_call_sites_use_it():
    # CallableTarget.energies_mc and the simulation's residual energies are this estimator on
    # their own samples (bit-identical: no second implementation).
    from gd_operator.simulation import _mc_residual_energies
    from gd_operator.targets import CallableTarget, _unit_rows

    n, K = 3, 5

    def f(X):
        return np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]

    e, s = CallableTarget(n, f).energies_mc(K, samples=500, rng=4)
    X = _unit_rows(np.random.default_rng(4), 500, n)
    e2, s2 = u_statistic_energies(X, f(X), n, K)
    np.testing.assert_array_equal(e, e2)
    np.testing.assert_array_equal(s, s2)
    # The residual energies skip the standard errors: the same kernel's other branch, equal to
    # rounding (see test_u_statistic_vs_pairwise_definition_in_mpmath).
    np.testing.assert_allclose(_mc_residual_energies(f(X), X, n, K), e2, rtol=1e-14, atol=0)
