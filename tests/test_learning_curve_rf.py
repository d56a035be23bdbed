"""gd_operator.random_features: the RF eigenframework (theory) and random-features ridge regression.

References, one per test group:
* the fixed point (RF1)-(RF2) and the risk: an independent 50-digit mpmath solution written
  here the way the authors' reference code does it (nested root finds: gamma from (RF1) for
  a given kappa, then kappa from (RF2)), with the risk in the paper's original (uncancelled) form
  x = (q(m - 2z) + z^2)/(P(m - q)), b_i = (1 - L_i) - kappa L_i/(mu_i + gamma) m/(m - q);
* the limit m -> oo: kernel ridge regression (gd_operator.learning_curve);
* ridgeless limits: P > m is least squares on m features (E0 = P/(P - m));
* simulation: gd_operator.random_features_regression (exact Funk-Hecke test error), ReLU, n = 10,
  m = 200: the theory is asymptotic; the tolerance is 3 standard errors of the seed mean plus
  8 % (the deviation measured at this size is <= 4 %, see docs/conventions.md).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import gd_operator as gdo
import harmonics as hm
from gd_operator.random_features import random_features_curve, random_features_regression


def _mp_rf(N_ints, log_mu, v, P, m, ridge, noise, digits=50):
    with mpmath.workdps(digits):
        N = [mpmath.mpf(int(x)) for x in N_ints]
        mu = [mpmath.exp(mpmath.mpf(float(x))) for x in log_mu]
        P, m, d = mpmath.mpf(P), mpmath.mpf(m), mpmath.mpf(ridge)

        def z_of(g):
            return sum(Nk * u / (u + g) for Nk, u in zip(N, mu, strict=True))

        def bisect(f, lo, hi):  # f decreasing on [lo, hi]: 64 halvings, then secant steps
            lo, hi = mpmath.mpf(lo), mpmath.mpf(hi)
            for _ in range(64):
                mid = (lo + hi) / 2
                if f(mid) > 0:
                    lo = mid
                else:
                    hi = mid
            return mpmath.findroot(f, (lo, hi), solver="secant", tol=mpmath.mpf(10) ** -80)

        def gamma_of_kappa(kap):  # (RF1): z(gamma) + d/kappa = P
            return mpmath.exp(bisect(lambda s: z_of(mpmath.exp(s)) + d / kap - P, -2000, 2000))

        def rf2(t):  # (RF2) residual, increasing in kappa -> negate
            kap = mpmath.exp(t)
            g = gamma_of_kappa(kap)
            return -(z_of(g) + m * kap / g - m)

        # kappa range where (RF1) is solvable: d/kappa < P
        t_lo = mpmath.log(d / P) + mpmath.mpf("1e-30")
        kap = mpmath.exp(bisect(rf2, t_lo, 2000))
        g = gamma_of_kappa(kap)
        L = [u / (u + g) for u in mu]
        z = sum(Nk * x for Nk, x in zip(N, L, strict=True))
        q = sum(Nk * x**2 for Nk, x in zip(N, L, strict=True))
        x = (q * (m - 2 * z) + z**2) / (P * (m - q))
        e0 = 1 / (1 - x)
        b = [(1 - Li) - kap * Li / (u + g) * m / (m - q) for Li, u in zip(L, mu, strict=True)]
        noisy = e0 * (sum(bi * mpmath.mpf(float(vi)) for bi, vi in zip(b, v, strict=True)) + noise)
        return float(mpmath.log(g)), float(mpmath.log(kap)), float(noisy - noise), float(e0)


@pytest.mark.parametrize("ridge", [1e-3, pytest.param(1.0, marks=pytest.mark.slow)])
def test_rf_fixed_point_and_risk_match_mpmath(ridge):
    n, kmax = 1000, 6
    N_ints = [hm.dim_harmonics(n, k) for k in range(kmax + 1)]  # up to ~1.4e15
    log_mu = -np.arange(kmax + 1) * math.log(n) - np.linspace(0, 2, kmax + 1)
    v = np.linspace(1.0, 0.2, kmax + 1)
    noise = 0.1
    for P, m in [(50.0, 200), (5000.0, 300), (2e6, 10**5), (300.0, 10**9)]:
        rf = random_features_curve(np.exp(log_mu), n, v, [P], m, ridge=ridge, noise=noise)
        lg, lk, test, e0 = _mp_rf(N_ints, log_mu, v, P, m, ridge, noise)
        # log gamma by bisection to 1e-14 relative; kappa and the risk follow
        assert abs(rf.log_gamma[0] - lg) <= 1e-12 * max(1.0, abs(lg)), (P, m)
        assert abs(rf.log_kappa[0] - lk) <= 1e-11 * max(1.0, abs(lk)), (P, m)
        assert rf.e0[0] == pytest.approx(e0, rel=1e-10)
        assert rf.test_mse[0] == pytest.approx(test, rel=1e-9)


def test_infinite_width_is_kernel_regression():
    sp = gdo.spectrum("relu", 10, 25, train="output", init="sphere", log=True)
    v = np.zeros(26)
    v[[1, 2, 3]] = [1.0, 0.5, 0.25]
    P = np.logspace(0, 5, 30)
    for ridge in (0.0, 1e-3):
        kr = gdo.learning_curve(sp, 10, v, P, ridge=ridge, noise=0.01)
        rf = random_features_curve(sp, 10, v, P, 10**15, ridge=ridge, noise=0.01)
        # kappa = gamma (1 - z/m): relative differences O(z/m) <= 1e5/1e15
        np.testing.assert_allclose(rf.test_mse, kr.test_mse, rtol=1e-8)
        np.testing.assert_allclose(rf.log_gamma, kr.log_kappa, rtol=1e-8, atol=1e-8)
        # the train error uses ridge/(P kappa): ridge = 0 both zero
        np.testing.assert_allclose(rf.train_mse, kr.train_mse, rtol=1e-6, atol=1e-300)


def test_ridgeless_more_samples_than_features_is_least_squares():
    n = 5
    mu = gdo.spectrum("relu", n, 12, train="output", init="sphere")
    v = np.zeros(13)
    v[[1, 2]] = 1.0
    m = 40
    P = np.array([10.0, 39.0, 40.0, 41.0, 80.0, 1e4, 1e9])
    rf = random_features_curve(mu, n, v, P, m, noise=0.3)
    assert rf.test_mse[2] == math.inf  # interpolation threshold P = m
    np.testing.assert_allclose(rf.e0[3:], P[3:] / (P[3:] - m), rtol=1e-14)
    # P -> oo: the error of the best fit in the span of m features, sum (1 - L(gamma_m)) v
    best = float(np.sum((1 - rf.learnability[-1]) * v))
    assert rf.test_mse[-1] == pytest.approx(best, rel=1e-6)
    assert 0 < best < v.sum()
    assert np.all(rf.train_mse[:2] == 0)  # interpolation below P = m
    # continuity: the ridge -> 0+ limit of the ridged estimate is the ridgeless value; the
    # difference is linear in the ridge (1.8e-5 relative at ridge 1e-11 next to the peak P = m)
    sel = [0, 1, 3, 4, 5]
    for ridge, rtol in ((1e-11, 3e-5), (1e-13, 3e-7)):
        tiny = random_features_curve(mu, n, v, P[sel], m, ridge=ridge, noise=0.3)
        np.testing.assert_allclose(tiny.test_mse, rf.test_mse[sel], rtol=rtol)
        np.testing.assert_allclose(tiny.train_mse[2:], rf.train_mse[[3, 4, 5]], rtol=rtol)


def test_no_samples_and_bad_input():
    rf = random_features_curve([1.0, 0.1], 3, [0.5, 1.0], [0.0], 10, ridge=0.1, noise=0.2)
    assert rf.test_mse[0] == pytest.approx(1.5) and np.isnan(rf.train_mse[0])
    with pytest.raises(ValueError, match="width"):
        random_features_curve([1.0, 0.1], 3, [0.5, 1.0], [5], 0)
    with pytest.raises(TypeError, match="width"):
        random_features_curve([1.0, 0.1], 3, [0.5, 1.0], [5], 2.5)
    with pytest.raises(ValueError, match="samples"):
        random_features_curve([1.0, 0.1], 3, [0.5, 1.0], [-5], 10)
    with pytest.raises(ValueError, match="NaN"):
        random_features_curve([1.0, np.nan], 3, [0.5, 1.0], [5], 10)
    with pytest.raises(ValueError, match="max_entries"):
        random_features_regression("relu", 3, [10**6], 10**4)


def test_theory_matches_simulated_random_features():
    """ReLU features, w uniform on S^9 (n = 10), m = 200, ridge 1e-3; 8 seeds."""
    n, m = 10, 200
    P = np.array([30, 100, 300])
    sim = random_features_regression("relu", n, P, m, degrees=(1, 2), ridge=1e-3, seeds=8, rng=1)
    mu = gdo.spectrum("relu", n, 40, train="output", init="sphere", log=True)
    v = np.zeros(41)
    v[: sim.target_energies.size] = sim.target_energies
    th = random_features_curve(mu, n, v, P, m, ridge=1e-3)
    tol = 3 * sim.test_sem + 0.08 * th.test_mse
    assert np.all(np.abs(sim.test_mean - th.test_mse) <= tol), (sim.test_mean, th.test_mse)
    tol = 3 * sim.train_sem + 0.15 * th.train_mse
    assert np.all(np.abs(sim.train_mean - th.train_mse) <= tol), (sim.train_mean, th.train_mse)


def test_direction_kernel_series_matches_the_kernel():
    """The Funk-Hecke series used for smooth gates vs gd_operator.kernel's quadrature."""
    from gd_operator.random_features import _direction_kernel

    rho = np.linspace(-1, 1, 41).reshape(1, -1)
    for act, n in (("tanh", 3), ("erf", 6)):
        series = _direction_kernel(act, n, rho, hm.get_activation(act), gdo.kernel)
        direct = gdo.kernel(act, n, rho, train="output", init="sphere")
        # series truncated at an omitted energy <= 1e-13 E[phi^2]; quadrature ~1e-14
        np.testing.assert_allclose(series, direct, rtol=0, atol=1e-12)
