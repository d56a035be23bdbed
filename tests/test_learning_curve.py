"""gd_operator.learning_curve (eigenlearning theory) and gd_operator.kernel_regression (simulation).

References, one per test group:
* the kappa equation: an independent 60-digit mpmath solution (bisection on log kappa with the
  exact integer multiplicities, written here, not in the package) on random spectra with huge
  multiplicities (n = 10^4, k <= 150: N(n,150) ~ 10^338) and mu_k down to ~1e-600;
* limits: P -> 0 (nothing learned: test error sum_k v_k, sigma^2 more on noisy labels), P -> oo
  with ridge 0 on a finite-rank kernel (least squares on R features: the span is learned,
  test error = R/(P-R) sigma^2 -> 0), ridge > 0 with P -> oo;
* simulated kernel ridge regression (gd_operator.kernel_regression) at n = 25 with the ReLU NTK
  (Gaussian init), ridge 1e-3: the theory is asymptotic (P, N(n,k) -> oo), its finite-n
  deviation measured here is a few per cent (see the tolerance below).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import gd_operator as gdo
import harmonics as hm
from gd_operator.learning_curve import LearningCurve, learning_curve, log_multiplicities


# ------------------------------------------------------------------ independent mpmath solver
def _mp_kappa(N_ints, log_mu, P, ridge, digits=60):
    """kappa solving sum N mu/(mu+kappa) + ridge/kappa = P, by bisection on log kappa in mpmath."""
    with mpmath.workdps(digits):
        N = [mpmath.mpf(int(x)) for x in N_ints]
        mu = [mpmath.exp(mpmath.mpf(float(x))) for x in log_mu]
        P = mpmath.mpf(float(P))
        r = mpmath.mpf(float(ridge))

        def f(s):
            kap = mpmath.exp(s)
            return sum(Nk * m / (m + kap) for Nk, m in zip(N, mu, strict=True)) + r / kap - P

        lo, hi = mpmath.mpf(-3000), mpmath.mpf(3000)
        assert f(lo) > 0 > f(hi)
        for _ in range(260):
            mid = (lo + hi) / 2
            if f(mid) > 0:
                lo = mid
            else:
                hi = mid
        s = (lo + hi) / 2
        kap = mpmath.exp(s)
        L = [m / (m + kap) for m in mu]
        e0 = P / (P - sum(Nk * l**2 for Nk, l in zip(N, L, strict=True)))
        return s, L, e0


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("ridge", [0.0, 1e-30, 1.0])
def test_kappa_matches_mpmath_with_huge_multiplicities(seed, ridge):
    n, kmax = 10_000, 150
    rng = np.random.default_rng(seed)
    N_ints = [hm.dim_harmonics(n, k) for k in range(kmax + 1)]
    assert N_ints[-1] > 10**300  # beyond float64
    # mu_k ~ n^{-k} with random factors: down to ~1e-600, only representable as logs
    log_mu = -np.arange(kmax + 1) * math.log(n) * rng.uniform(0.5, 1.0) - rng.uniform(
        0, 3, kmax + 1
    )
    sign = np.ones(kmax + 1)
    sign[rng.choice(np.arange(2, kmax + 1), 5, replace=False)] = 0.0  # a few exact zeros
    log_abs = np.where(sign > 0, log_mu, -np.inf)
    v = rng.uniform(0, 1, kmax + 1)
    P = np.array([1.0, 37.0, 1e4, 3.3e7, 1e40, 1e150, 1e290])
    lc = learning_curve((sign, log_abs), n, v, P, ridge=ridge)
    keep = sign > 0
    for j, p in enumerate(P):
        s, L, e0 = _mp_kappa(
            [N for N, k in zip(N_ints, keep, strict=True) if k], log_mu[keep], p, ridge
        )
        # kappa: relative error = absolute error of log kappa (|log kappa| up to ~1400)
        assert abs(lc.log_kappa[j] - float(s)) <= 1e-13 * max(1.0, abs(float(s)))
        L_ref = np.array([float(x) for x in L])
        np.testing.assert_allclose(lc.learnability[j, keep], L_ref, rtol=1e-12, atol=1e-300)
        assert np.all(lc.learnability[j, ~keep] == 0)
        assert abs(lc.e0[j] / float(e0) - 1) < 1e-10
        # the number of learnable degrees of freedom is P minus the ridge part
        assert lc.dof[j] <= p * (1 + 1e-12)


def test_log_multiplicities_are_exact_logs():
    lm = log_multiplicities(10_000, 200)
    for k in (0, 1, 7, 150, 200):
        assert lm[k] == pytest.approx(math.log(hm.dim_harmonics(10_000, k)), rel=1e-15)
    assert np.all(np.isfinite(lm)) and lm[-1] > math.log(10.0) * 400


def test_log_pair_and_array_agree():
    sp = gdo.spectrum("relu", 10, 30, train="both", init="gaussian")
    spl = gdo.spectrum("relu", 10, 30, train="both", init="gaussian", log=True)
    v = np.zeros(31)
    v[[1, 2, 4]] = 1.0
    P = np.logspace(0, 8, 25)
    a = learning_curve(sp, 10, v, P, ridge=1e-4, noise=0.01)
    b = learning_curve(spl, 10, v, P, ridge=1e-4, noise=0.01)
    np.testing.assert_allclose(a.kappa, b.kappa, rtol=1e-13)
    np.testing.assert_allclose(a.test_mse, b.test_mse, rtol=1e-12)
    assert np.all(np.diff(a.kappa) < 0)  # kappa decreases with P
    assert np.all(np.diff(a.learnability, axis=0) >= 0)


# ------------------------------------------------------------------ limits
def test_no_samples_learn_nothing():
    """P -> 0: f_hat = 0, test error = sum v_k (+ sigma^2 on noisy labels)."""
    mu = [0.5, 0.1, 0.01, 1e-4]
    v = [0.3, 1.0, 0.5, 0.2]
    lc = learning_curve(mu, 5, v, [0.0, 1e-9], ridge=1e-3, noise=0.25)
    assert lc.kappa[0] == math.inf and np.isnan(lc.train_mse[0])
    np.testing.assert_allclose(lc.test_mse, sum(v), rtol=1e-7)
    np.testing.assert_allclose(lc.test_mse_noisy, sum(v) + 0.25, rtol=1e-7)
    assert np.all(lc.learnability[0] == 0)


def test_ridgeless_finite_rank_learns_the_span():
    """P >= R, ridge 0: least squares on the R = sum N(n,k) features of a finite-rank kernel."""
    n = 4
    mu = np.array([1.0, 0.3, 0.02, 0.0, 1e-3])  # rank 1 + 4 + 9 + 25 = 39
    R = sum(hm.dim_harmonics(n, k) for k in (0, 1, 2, 4))
    v = np.array([0.1, 1.0, 0.5, 0.0, 0.2])  # in the span
    P = np.array([R - 1, R, R + 1, 2 * R, 1e3 * R, 1e9])
    lc = learning_curve(mu, n, v, P, ridge=0.0)
    assert lc.rank == R
    assert lc.kappa[0] > 0 and np.all(lc.kappa[1:] == 0)
    np.testing.assert_array_equal(lc.test_mse[1:], 0.0)
    noisy = learning_curve(mu, n, v, P, ridge=0.0, noise=0.5)
    assert noisy.test_mse[1] == math.inf  # interpolation threshold
    np.testing.assert_allclose(noisy.test_mse[2:], 0.5 * R / (P[2:] - R), rtol=1e-12)
    np.testing.assert_allclose(noisy.train_mse[2:], 0.5 * (1 - R / P[2:]), rtol=1e-12)
    assert noisy.test_mse[-1] < 1e-7
    # the ridge -> 0 limit of the ridged theory is the returned ridgeless value
    tiny = learning_curve(mu, n, v, P[2:], ridge=1e-12, noise=0.5)
    np.testing.assert_allclose(tiny.test_mse, noisy.test_mse[2:], rtol=1e-6)
    np.testing.assert_allclose(tiny.train_mse, noisy.train_mse[2:], rtol=1e-6)
    # out-of-span energy (degree 3, mu = 0) is never learned: E0 v_3 -> v_3
    out = learning_curve(mu, n, v + np.array([0, 0, 0, 1.0, 0]), [1e12], ridge=0.0)
    assert out.test_mse[0] == pytest.approx(1.0, rel=1e-9)


def test_ridge_large_P_converges():
    mu = gdo.spectrum("relu", 6, 12, train="both", init="gaussian")
    v = np.zeros(13)
    v[[1, 2]] = 1.0
    lc = learning_curve(mu, 6, v, [1e6, 1e9, 1e12], ridge=0.1, noise=1.0)
    assert np.all(np.diff(lc.test_mse) < 0) and lc.test_mse[-1] < 1e-6
    np.testing.assert_allclose(lc.kappa[-1], 0.1 / 1e12 * (1 + 1e-6), rtol=1e-3)


def test_vectorized_equals_scalar_and_extreme_P():
    spl = gdo.spectrum("relu", 10_000, 200, train="both", init="gaussian", log=True)
    v = np.zeros(201)
    v[[1, 2, 3, 4]] = 1.0
    P = np.concatenate([[0.0, 1e-300, 0.5], np.logspace(0, 300, 40)])
    for ridge in (0.0, 1e-3):
        lc = learning_curve(spl, 10_000, v, P, ridge=ridge)
        assert np.all(np.isfinite(lc.test_mse)) and np.all(lc.test_mse >= 0)
        assert np.all(np.diff(lc.kappa) <= 0)
        for j in (3, 20, 42):
            one = learning_curve(spl, 10_000, v, P[j], ridge=ridge)
            assert one.kappa[0] == pytest.approx(lc.kappa[j], rel=1e-13)


def test_result_round_trip(tmp_path):
    lc = learning_curve([1.0, 0.1, 0.0], 3, [0.5, 1.0, 0.2], [0, 2, 4, 20], noise=0.1)
    path = tmp_path / "lc.json"
    lc.save(path)
    back = LearningCurve.load(path)
    np.testing.assert_array_equal(back.kappa, lc.kappa)
    np.testing.assert_array_equal(back.test_mse, lc.test_mse)
    assert "LearningCurve(n=3" in repr(lc)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(samples=[-1.0]), ValueError),
        (dict(samples=[np.nan]), ValueError),
        (dict(samples="10"), TypeError),
        (dict(samples=True), TypeError),
        (dict(spectrum=[1.0, np.nan, 0.1]), ValueError),
        (dict(spectrum=[1.0, -0.1, 0.1]), ValueError),
        (dict(spectrum=[1.0, np.inf, 0.1]), ValueError),
        (dict(spectrum=(np.ones(3), np.array([0.0, np.nan, 1.0]))), ValueError),
        (dict(spectrum=(-np.ones(3), np.zeros(3))), ValueError),
        (dict(spectrum=(np.ones(3), np.zeros(2))), ValueError),
        (dict(spectrum=(np.ones(3),)), ValueError),
        (dict(spectrum="relu"), TypeError),
        (dict(target_energies=[1.0, -1.0, 0.0]), ValueError),
        (dict(target_energies=[1.0, 1.0]), ValueError),
        (dict(target_energies=[1.0, np.nan, 0.0]), ValueError),
        (dict(ridge=-1.0), ValueError),
        (dict(ridge=True), TypeError),
        (dict(noise=-0.1), ValueError),
        (dict(noise="0"), TypeError),
        (dict(n=1), ValueError),
        (dict(tail_trace=-1.0), ValueError),
    ],
)
def test_bad_input(kwargs, exc):
    args = dict(spectrum=[1.0, 0.1, 0.01], n=3, target_energies=[0.0, 1.0, 0.0], samples=[10])
    args.update(kwargs)
    spec, n, v, P = (
        args.pop("spectrum"),
        args.pop("n"),
        args.pop("target_energies"),
        args.pop("samples"),
    )
    with pytest.raises(exc):
        learning_curve(spec, n, v, P, **args)


def test_kernel_regression_bad_input():
    with pytest.raises(ValueError, match="max_points"):
        gdo.kernel_regression("relu", 5, [10, 7000])
    with pytest.raises(ValueError):
        gdo.kernel_regression("relu", 5, [0])
    with pytest.raises(ValueError):
        gdo.kernel_regression("relu", 5, [10], ridge=-1.0)
    with pytest.raises(ValueError):
        gdo.kernel_regression("relu", 5, [10], test="exactly")
    with pytest.raises(ValueError, match="kmax"):
        gdo.kernel_regression("relu", 5, [10], degrees=(1, 9), kmax=4)
    with pytest.raises(TypeError):
        gdo.kernel_regression("relu", 5, [10], seeds=1.5)


# ------------------------------------------------------------------ simulated kernel regression
def _theory_for(sim, n, ridge, noise, kmax=300):
    kw = dict(train="both", init="gaussian")
    spl = gdo.spectrum("relu", n, kmax, log=True, **kw)
    trace = float(np.sum(spl[0] * np.exp(spl[1] + log_multiplicities(n, kmax))))
    tail = max(gdo.kernel("relu", n, 1.0, **kw) - trace, 0.0)
    v = np.zeros(kmax + 1)
    v[: sim.target_energies.size] = sim.target_energies
    return learning_curve(spl, n, v, sim.samples, ridge=ridge, noise=noise, tail_trace=tail)


# The theory is asymptotic; at n = 25 (8 directions per degree, 8 seeds) the measured
# deviation of the seed mean of the test error was -3.6 %, -0.6 %, -0.2 % at P = 50, 200, 800
# (1.1, 0.2, 0.1 standard errors) and of the train error -17 %, -7 %, +9 % (earlier
# measurements: ~6 % at n = 25, 10-16 % at n = 10).  Tolerance: 3 standard errors of the seed
# mean plus 8 % (test) / 25 % (train, whose factor (ridge / (P kappa))^2 fluctuates more).
_TEST_TOL, _TRAIN_TOL = 0.08, 0.25


def _check_against_theory(sim, lc):
    for j in range(sim.samples.size):
        dev = abs(sim.test_mean[j] - lc.test_mse[j])
        assert dev <= 3 * sim.test_sem[j] + _TEST_TOL * lc.test_mse[j], (
            j,
            sim.test_mean,
            lc.test_mse,
        )
        dev = abs(sim.train_mean[j] - lc.train_mse[j])
        assert dev <= 3 * sim.train_sem[j] + _TRAIN_TOL * lc.train_mse[j], (
            j,
            sim.train_mean,
            lc.train_mse,
        )


def _ntk_regression(P, noise, seeds, reps=8):
    degrees = (1,) * reps + (2,) * reps + (4,) * reps  # reps directions per degree: less scatter
    return gdo.kernel_regression(
        "relu",
        25,
        P,
        degrees=degrees,
        amplitudes=[reps**-0.5] * len(degrees),
        train="both",
        init="gaussian",
        ridge=1e-3,
        noise=noise,
        seeds=seeds,
        rng=1,
        kmax=100,
    )


def test_kernel_regression_matches_theory_small():
    sim = _ntk_regression([50, 200], noise=0.1, seeds=6)
    _check_against_theory(sim, _theory_for(sim, 25, 1e-3, 0.1))


@pytest.mark.slow
def test_kernel_regression_matches_theory_800():
    sim = _ntk_regression([50, 200, 800], noise=0.0, seeds=8)
    _check_against_theory(sim, _theory_for(sim, 25, 1e-3, 0.0))


def test_exact_and_montecarlo_test_error_agree():
    kw = dict(degrees=(1, 2), ridge=1e-2, seeds=1, rng=4, kmax=60)
    ex = gdo.kernel_regression("relu", 6, [30], **kw)
    mc = gdo.kernel_regression("relu", 6, [30], test="montecarlo", test_points=40_000, **kw)
    assert ex.train_mse[0, 0] == mc.train_mse[0, 0]  # same draws
    assert mc.test_mse[0, 0] == pytest.approx(ex.test_mse[0, 0], rel=0.05)


def test_ridgeless_regression_pseudo_inverse():
    """ridge 0 with P far above the rank of a degree-<=1 kernel: least squares, dropped modes."""
    sim = gdo.kernel_regression(
        "identity",
        4,
        [40],
        degrees=(1,),
        train="output",
        init="gaussian",
        ridge=0.0,
        seeds=1,
        rng=0,
        kmax=3,
    )
    assert sim.dropped[0, 0] >= 40 - 4 - 1
    # the exact test error is ||f*||^2 - 2 <f*, f^> + ||f^||^2 with ||f*||^2 ~ 1: a few ulps
    # of rounding either way (it read -2.2e-16 with the float Gauss-Hermite coefficients of
    # the identity, +2.2e-16 with the exact ones; the old bound "< 1e-20" held only for the
    # negative value).  The training error is a sum of squared residuals: exactly tiny.
    assert abs(sim.test_mse[0, 0]) < 1e-15 and sim.train_mse[0, 0] < 1e-20


def test_staircase_plateaus():
    """Plateaus of the ridgeless ReLU NTK staircase: degree l is learned near P ~ N(n, <= l)."""
    x, curves, ax = gdo.staircase("relu", [100, 10_000], degrees=(1, 2, 4), plot=False)
    assert ax is None and set(curves) == {100, 10_000}
    lc = curves[10_000]
    at = lambda e: lc.test_mse[np.argmin(np.abs(x - e))]  # noqa: E731
    # before P ~ n: nothing learned (3 unit energies); between n^2 and n^3: degrees 1, 2 learned
    # (the ReLU NTK has mu_3 = 0, so the degree-4 plateau at 1 lasts until P ~ n^4/4!)
    assert at(0.5) == pytest.approx(3.0, abs=0.05)
    assert at(2.6) == pytest.approx(1.0, abs=0.01) and at(3.2) == pytest.approx(1.0, abs=0.05)
    assert at(4.5) < 1e-3


# ------------------------------------------------------------------ the split by degree
def test_theory_split_by_degree_sums_and_limits():
    """Rows of test_mse_by_degree add up to test_mse; P = 0 gives v; least squares on the span
    (ridge 0, P > R) puts the variance R/(P-R) sigma^2 on the degrees in proportion N(n,k)."""
    mu = np.array([1.0, 0.3, 0.02, 0.0, 1e-3])
    v = np.array([0.1, 1.0, 0.5, 0.3, 0.2])
    P = np.array([0.0, 3.0, 20.0, 60.0, 1e4])
    for ridge in (0.0, 1e-2):
        lc = learning_curve(mu, 4, v, P, ridge=ridge, noise=0.2)
        np.testing.assert_allclose(lc.test_mse_by_degree.sum(axis=1), lc.test_mse, rtol=1e-12)
        np.testing.assert_array_equal(lc.test_mse_by_degree[0], v)
    lc = learning_curve(mu, 4, v, [100.0], ridge=0.0, noise=0.2)
    N = np.array([hm.dim_harmonics(4, k) for k in range(5)], float)
    R = N[[0, 1, 2, 4]].sum()
    expect = np.where(mu > 0, N / R * (R / (100 - R)) * (0.3 + 0.2), 0.0)  # bias 0.3 on k = 3
    expect[3] += 0.3
    np.testing.assert_allclose(lc.test_mse_by_degree[0], expect, rtol=1e-12)


def test_simulated_split_by_degree_is_exact():
    """kernel_regression's per-degree residual energies vs harmonics.project of the residual
    f_hat - f* (exact Gegenbauer quadrature of the degree-k projections, n = 3)."""
    n, kmax = 3, 12
    sim = gdo.kernel_regression(
        "relu",
        n,
        [12],
        degrees=(1, 2),
        ridge=1e-2,
        seeds=1,
        kmax=kmax,
        rng=5,
        train="output",
        init="sphere",
    )
    # rebuild the same draws: the fit is a deterministic function of (points, target, labels)
    gen = np.random.default_rng(5)
    target = gdo.ridge_target(n, (1, 2), None, rng=gen)
    gen.integers(2**63)
    X = hm.sample_sphere(12, n, rng=gen)
    y = target(X)
    K = gdo.kernel("relu", n, np.clip(X @ X.T, -1, 1), train="output", init="sphere")
    alpha = np.linalg.solve(K + 1e-2 * np.eye(12), y)

    def resid(Z):
        return gdo.kernel("relu", n, np.clip(Z @ X.T, -1, 1), train="output", init="sphere") @ (
            alpha
        ) - target(Z)

    proj = hm.project(resid, n, kmax, method="quadrature")
    # the ReLU kernel's kink makes the quadrature converge slowly: ~1e-6 absolute
    np.testing.assert_allclose(sim.test_mse_by_degree[0, 0], proj.energies, atol=2e-6)


def test_split_by_degree_theory_vs_simulation():
    """Per-degree residual energies, ReLU NTK, n = 25, P = 300, ridge 1e-3 (5 seeds): the
    eigenlearning split (bias + the degree's share of the variance) within 3 standard errors +
    10 % of the degree's theory value on the degrees carrying >= 0.1 % of the error; the naive
    E0 (1 - L_k)^2 v_k, which puts all the variance on the target's own degrees, is checked to
    fail on the learned degree 1 (off by a factor ~14)."""
    n, kmax = 25, 12
    sim = gdo.kernel_regression(
        "relu",
        n,
        [300],
        degrees=(1, 2),
        ridge=1e-3,
        seeds=5,
        kmax=kmax,
        rng=2,
        train="both",
        init="gaussian",
    )
    mu = gdo.spectrum("relu", n, 300, train="both", init="gaussian", log=True)
    v = np.zeros(301)
    v[: sim.target_energies.size] = sim.target_energies
    lc = learning_curve(mu, n, v, [300], ridge=1e-3)
    th = lc.test_mse_by_degree[0, : kmax + 1]
    per = sim.test_mse_by_degree[:, 0, :]
    mean, sem = per.mean(0), per.std(0, ddof=1) / math.sqrt(per.shape[0])
    big = th >= 0.001 * lc.test_mse[0]
    assert np.all(np.abs(mean - th)[big] <= 3 * sem[big] + 0.10 * th[big]), (mean, th)
    naive = lc.e0[0] * (1 - lc.learnability[0, : kmax + 1]) ** 2 * v[: kmax + 1]
    # measured: degree 1 carries 0.030 +- 0.003; the split predicts 0.033, the naive form 0.002
    assert abs(naive[1] - mean[1]) > 3 * sem[1] + 0.5 * mean[1]


def test_unresolvable_ridgeless_test_error_is_refused():
    """tanh on the sphere, n = 3, ridge 0: the minimum-norm interpolant's coefficients reach
    ||alpha||_1 ~ 1e10 and the exact test error's terms cancel beyond float64 (it came out
    -5.5e6 at P = 100; 80-bit arithmetic gives 29.4 where float64 gave 5.95 at P = 30).  That is
    refused; a small ridge gives a resolvable, positive error (checked against 80-bit arithmetic
    to 3 digits at ridge 1e-8, P = 30, when this test was written)."""
    with pytest.raises(ValueError, match="not resolvable in float64.*use ridge > 0"):
        gdo.kernel_regression("tanh", 3, [30], seeds=1, rng=0)
    sim = gdo.kernel_regression("tanh", 3, [30, 100], seeds=2, rng=0, ridge=1e-6)
    assert np.all(sim.test_mse > 0) and np.all(sim.test_mse < 10)
