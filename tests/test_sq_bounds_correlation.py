"""sq_bounds.correlation: <f_u, f_v> = P_{k,n}(<u,v>) for f_u = sqrt(N(n,k)) P_{k,n}(<u,.>)."""

import math

import mpmath
import numpy as np
import pytest
import scipy.special as sc
import sympy

from harmonics import dim_harmonics
from sq_bounds import LegendreTarget, correlation


def _unit(rng, n):
    v = rng.standard_normal(n)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_addition_theorem_n3_against_scipy_spherical_harmonics(k):
    # Reference: scipy's complex Y_k^m (surface-measure normalized, independent code):
    # sum_m Y_km(u) conj(Y_km(v)) = (2k+1)/(4 pi) P_k(<u,v>).  Under the probability measure the
    # basis is sqrt(4 pi) Y, so <f_u, f_v> = (4 pi / N) sum_m Y_km(u) conj Y_km(v).
    # Tolerance 1e-12: both sides are O(1) sums of 2k+1 terms of size <= 1, rounding only.
    rng = np.random.default_rng(k)
    for _ in range(5):
        u, v = _unit(rng, 3), _unit(rng, 3)
        th_u, ph_u = math.acos(u[2]), math.atan2(u[1], u[0])
        th_v, ph_v = math.acos(v[2]), math.atan2(v[1], v[0])
        s = sum(
            sc.sph_harm_y(k, m, th_u, ph_u) * np.conj(sc.sph_harm_y(k, m, th_v, ph_v))
            for m in range(-k, k + 1)
        )
        ref = 4 * math.pi / dim_harmonics(3, k) * s.real
        assert correlation(3, k, float(u @ v)) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("k", [1, 2, 4, 7])
def test_addition_theorem_n2_chebyshev(k):
    # On S^1 the orthonormal basis of H_k is sqrt(2) cos(k th), sqrt(2) sin(k th); the
    # addition theorem gives (1/N) sum_j Y_j(u) Y_j(v) = cos(k (th_u - th_v)) exactly.
    for a, b in [(0.1, 2.0), (1.3, -0.4), (3.0, 3.0)]:
        ref = math.cos(k * (a - b))
        inner = math.cos(a - b)
        assert correlation(2, k, inner) == pytest.approx(ref, abs=1e-13)


@pytest.mark.parametrize("n,k", [(3, 2), (5, 3), (10, 4), (100, 6)])
def test_correlation_against_exact_rationals(n, k):
    # Reference: sympy exact Gegenbauer C_k^{(n-2)/2}(t) / C_k^{(n-2)/2}(1) at rational t.
    # Relative tolerance 1e-13: float recurrence with k steps, each O(eps).
    alpha = sympy.Rational(n - 2, 2)
    for t in [sympy.Rational(1, 2), sympy.Rational(-1, 3), sympy.Rational(7, 10), 0]:
        exact = sympy.gegenbauer(k, alpha, t) / sympy.gegenbauer(k, alpha, 1)
        got = correlation(n, k, float(t))
        assert got == pytest.approx(float(exact), rel=1e-13, abs=1e-16)


def test_correlation_against_monte_carlo_within_error_bars():
    # Reference: the definition E_x[f_u(x) f_v(x)] by Monte Carlo over 400k uniform points,
    # with its own standard error; accept within 4.5 standard errors (false-alarm rate ~1e-5,
    # seeds fixed).
    rng = np.random.default_rng(7)
    N = 400_000
    for n, k in [(4, 2), (6, 3), (5, 4)]:
        u = _unit(rng, n)
        v = 0.6 * u + 0.8 * _unit(rng, n)
        v /= np.linalg.norm(v)
        X = rng.standard_normal((N, n))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        fu, fv = LegendreTarget(u, k)(X), LegendreTarget(v, k)(X)
        prod = fu * fv
        se = prod.std(ddof=1) / math.sqrt(N)
        assert abs(prod.mean() - correlation(n, k, float(u @ v))) < 4.5 * se
        # unit norm, same reference
        sq = fu * fu
        assert abs(sq.mean() - 1.0) < 4.5 * sq.std(ddof=1) / math.sqrt(N)


def test_log_mode_stays_finite_where_float_underflows():
    # Reference: mpmath Gegenbauer ratio at 60 digits.  n = 10^6, k = 160 at s = 1e-3 is
    # ~1e-338 (below float64); the log must agree to 1e-10 relative (recurrence rounding).
    n, k, s = 10**6, 160, 1e-3
    sign, logabs = correlation(n, k, s, log=True)
    with mpmath.workdps(60):
        a = mpmath.mpf(n - 2) / 2
        ref = mpmath.gegenbauer(k, a, mpmath.mpf(s)) / mpmath.gegenbauer(k, a, 1)
    assert math.isfinite(logabs)
    assert sign == (1 if ref > 0 else -1)
    assert logabs == pytest.approx(float(mpmath.log(abs(ref))), rel=1e-10)
    assert correlation(n, k, s) == 0.0  # the float path underflows; the log path does not


def test_legendre_target_ridge_correlations_against_monte_carlo():
    # Reference: Monte Carlo of E[f_u(x) phi(<w,x>)] (300k points, 4.5 standard errors);
    # the method uses Funk-Hecke with harmonics.funk_hecke_eigenvalues.
    from harmonics import get_activation

    rng = np.random.default_rng(3)
    n, k = 5, 3
    u = _unit(rng, n)
    W = rng.standard_normal((4, n))
    W /= np.linalg.norm(W, axis=1, keepdims=True)
    phi = get_activation("erf", scale=2.0, bias=0.5)
    tgt = LegendreTarget(u, k)
    exact = tgt.ridge_correlations(W, phi)
    N = 300_000
    X = rng.standard_normal((N, n))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    prod = phi(X @ W.T) * tgt(X)[:, None]
    se = prod.std(axis=0, ddof=1) / math.sqrt(N)
    assert np.all(np.abs(prod.mean(axis=0) - exact) < 4.5 * se)


@pytest.mark.parametrize(
    "args,exc",
    [
        ((3, 0, 0.5), ValueError),
        ((1, 1, 0.5), ValueError),
        ((3, 1.5, 0.5), TypeError),
        ((3, 2, 1.5), ValueError),
        ((3, 2, float("nan")), ValueError),
    ],
)
def test_correlation_bad_input(args, exc):
    with pytest.raises(exc):
        correlation(*args)


def test_legendre_target_bad_input():
    with pytest.raises(ValueError, match="nonzero"):
        LegendreTarget(np.zeros(3), 2)
    with pytest.raises(ValueError, match="1-d"):
        LegendreTarget(np.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="k must be"):
        LegendreTarget(np.ones(3), 0)
    with pytest.raises(ValueError, match="shape"):
        LegendreTarget(np.ones(3), 2)(np.ones((4, 5)))
