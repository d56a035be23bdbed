"""The truncated-power eigenvalue formulas (harmonics/truncated_power.py) in their three
arithmetics -- exact sympy (harmonics.symbolic), mpmath (harmonics.funk_hecke) and float64
vectorized over kinks (float_eigenvalues, used by gd_operator's network ridges) -- against an
independent exact reference.

Reference: lambda_k((t - t0)_+^p) = c_n int_{t0}^1 (t - t0)^p P_{k,n}(t) (1 - t^2)^{(n-3)/2} dt
for odd n and rational t0 is the integral of a polynomial with rational coefficients, so sympy
gives it as an exact rational (c_n is rational for odd n; P_{k,n} from sympy's own Gegenbauer
polynomials, C_k^{((n-2)/2)}(t) / C_k^{((n-2)/2)}(1)).  Nothing of the project's formulas
(Rodrigues, (T), (R), the recurrence) enters it.  So the exact path must agree exactly, and the
float paths to a tolerance set by float64 rounding (see each test).  The kinks are dyadic
rationals, exact in float64: a rounded t0 would add the conditioning of lambda_k in t0 (large
near a zero of P_{k-1-p, n+2+2p}) to the comparison.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from harmonics import funk_hecke_eigenvalues, symbolic
from harmonics.truncated_power import float_eigenvalues, float_log_eigenvalues

_T = sp.Symbol("t")


def _reference(p: int, t0: sp.Rational, n: int, kmax: int) -> list:
    """Exact lambda_0..lambda_kmax of (t - t0)_+^p, odd n, |t0| < 1, by polynomial integration."""
    assert n % 2 == 1 and -1 < t0 < 1
    c_n = sp.gamma(sp.Rational(n, 2)) / (sp.sqrt(sp.pi) * sp.gamma(sp.Rational(n - 1, 2)))
    assert c_n.is_Rational
    alpha = sp.Rational(n - 2, 2)
    weight = sp.Poly((1 - _T**2) ** ((n - 3) // 2) * (_T - t0) ** p, _T)
    out = []
    for k in range(kmax + 1):
        g = sp.gegenbauer(k, alpha, _T)
        poly = sp.Poly(sp.expand(g / g.subs(_T, 1)), _T)
        antiderivative = (poly * weight).integrate()
        out.append(c_n * (antiderivative.eval(1) - antiderivative.eval(t0)))
    return out


CASES = [
    (p, t0, n)
    for p in (0, 1, 2, 3)
    for t0 in (sp.Rational(-5, 8), sp.Rational(-1, 8), sp.Rational(3, 8), sp.Rational(11, 16))
    for n in (3, 5, 9)
]
KMAX = 9


@pytest.mark.parametrize("p, t0, n", CASES)
def test_exact_arithmetic_equals_polynomial_integral(p, t0, n):
    # Exact rationals on both sides: equality, no tolerance.
    ref = _reference(p, t0, n, KMAX)
    name, kw = ("relu_power", dict(power=p)) if p else ("step", {})
    for k in range(KMAX + 1):
        got = symbolic.funk_hecke_eigenvalue(name, n=n, k=k, bias=-t0, **kw)
        assert sp.simplify(got - ref[k]) == 0, (k, got, ref[k])


@pytest.mark.parametrize("p, t0, n", CASES)
def test_mpmath_arithmetic_vs_exact(p, t0, n):
    # harmonics.funk_hecke (mpmath prefactor, float64 Legendre mantissas): its documented
    # ~1e-14 relative accuracy; exact zeros stay exact.
    ref = _reference(p, t0, n, KMAX)
    kw = dict(power=p) if p else {}
    name = "relu_power" if p else "step"
    got = funk_hecke_eigenvalues(name, n, KMAX, bias=-float(t0), **kw)
    for k, r in enumerate(ref):
        if r == 0:
            assert got[k] == 0.0
        else:
            assert abs(got[k] / float(r) - 1) < 1e-14, (k, got[k], float(r))


def _cancellation(p: int, t0: sp.Rational, n: int, k: int) -> float:
    """sum_i C(q,i) |t0|^{q-i} U_i / |sum_i C(q,i) (-t0)^{q-i} U_i| for formula (R) at degree k
    (q = p - k, U_i = E_{nu_{n+2k}}[t^i 1{t > t0}], exact): the growth of relative rounding
    errors in the binomial sum."""
    m, q = n + 2 * k, p - k
    c_m = sp.gamma(sp.Rational(m, 2)) / (sp.sqrt(sp.pi) * sp.gamma(sp.Rational(m - 1, 2)))
    w = sp.Poly((1 - _T**2) ** ((m - 3) // 2), _T)
    u = []
    for i in range(q + 1):
        a = (w * sp.Poly(_T**i, _T)).integrate()
        u.append(c_m * (a.eval(1) - a.eval(t0)))
    size = sum(math.comb(q, i) * abs(t0) ** (q - i) * abs(u[i]) for i in range(q + 1))
    value = sum(math.comb(q, i) * (-t0) ** (q - i) * u[i] for i in range(q + 1))
    return float(size / abs(value))


@pytest.mark.parametrize("p, t0, n", CASES)
def test_float_arithmetic_vs_exact(p, t0, n):
    # float_eigenvalues: k > p (closed form (T), compensated Legendre recurrence, constants
    # rounded once from mpmath) to a few ulps per degree; k <= p (formula (R)) to 8 eps times
    # the cancellation factor of its binomial sum (the incomplete beta values carry a few eps).
    ref = _reference(p, t0, n, KMAX)
    got = float_eigenvalues(np.array([float(t0)]), p, n, KMAX)[0]
    eps = np.finfo(float).eps
    for k, r in enumerate(ref):
        if r == 0:
            assert got[k] == 0.0
            continue
        tol = 2 * eps * (k + 2) if k > p else 8 * eps * _cancellation(p, t0, n, k)
        assert abs(got[k] / float(r) - 1) < tol, (k, got[k], float(r), tol)


def test_float_arithmetic_outside_the_interval():
    # t0 >= 1: the gate vanishes on [-1, 1]; t0 <= -1: it is the polynomial (t - t0)^p, whose
    # eigenvalues (k <= p only) are exact moments: (t + 2)^2 in n = 5 has lambda_0 = 4 + 1/5,
    # lambda_1 = E[t (t + 2)^2] / ... = 4/5 (= 2 * 2 E[t^2]), lambda_2 = E[t^2 P_2] = 2/35.
    assert np.all(float_eigenvalues(np.array([1.0, 1.5]), 2, 5, 6) == 0.0)
    got = float_eigenvalues(np.array([-2.0]), 2, 5, 6)[0]
    ref = [float(r) for r in _poly_reference([4, 4, 1], 5, 6)]
    np.testing.assert_allclose(got, ref, rtol=4e-16, atol=1e-17)


def _poly_reference(coeffs, n, kmax):
    """Exact lambda_k of sum_j coeffs[j] t^j for odd n (polynomial integral over [-1, 1])."""
    c_n = sp.gamma(sp.Rational(n, 2)) / (sp.sqrt(sp.pi) * sp.gamma(sp.Rational(n - 1, 2)))
    alpha = sp.Rational(n - 2, 2)
    phi = sum(c * _T**j for j, c in enumerate(coeffs))
    out = []
    for k in range(kmax + 1):
        g = sp.gegenbauer(k, alpha, _T)
        poly = sp.Poly(sp.expand(g / g.subs(_T, 1) * phi * (1 - _T**2) ** ((n - 3) // 2)), _T)
        a = poly.integrate()
        out.append(c_n * (a.eval(1) - a.eval(-1)))
    return out


@pytest.mark.parametrize("n", [2, 3, 4, 7, 30])
def test_float_arithmetic_vs_mpmath_any_kink(n):
    # The float64 vectorized path vs the mpmath path (same formulas, other arithmetic) for
    # p = 0, 1, 2 and kinks across (-1, 1), including even n (arccos / sqrt closed forms) and
    # kinks near +-1 where 1 - t0^2 must be formed as (1 - |t0|)(1 + |t0|).
    # k > p: 2e-13 (both paths' Legendre recurrences; the mpmath one is plain float64).
    # k <= p: the cancellation bound of _low_degree_tolerance.
    t0 = np.array([-0.999999, -0.7, -0.2, 0.0, 0.35, 0.9, 0.99, 0.999999])
    for p in (0, 1, 2):
        got = float_eigenvalues(t0, p, n, 20)
        name, kw = ("step", {}) if p == 0 else ("relu_power", dict(power=p))
        for i, x in enumerate(t0):
            ref = funk_hecke_eigenvalues(name, n, 20, bias=-x, **kw)
            np.testing.assert_allclose(got[i, p + 1 :], ref[p + 1 :], rtol=2e-13, atol=0)
            assert np.all((ref[p + 1 :] == 0) == (got[i, p + 1 :] == 0))
            for k in range(p + 1):
                tol = _low_degree_tolerance(p, k, x, n, ref[k])
                assert abs(got[i, k] / ref[k] - 1) < tol, (p, x, k, got[i, k], ref[k], tol)


def _low_degree_tolerance(p, k, x, n, value):
    """64 eps times a bound on the cancellation of (R) at degree k <= p: its terms are at most
    2 (1 + |t0|)^q U_0 with U_0 = P_{nu_{n+2k}}(t > t0) (scipy), its value is
    |lambda_k| prod_{j<k}(n + 2j) (p-k)!/p! (nonzero, representable: asserted)."""
    from scipy.special import betainc

    m, q = n + 2 * k, p - k
    half = 0.5 * betainc((m - 1) / 2, 0.5, 1 - x * x)
    u0 = half if x >= 0 else 1 - half
    size = abs(value) * math.prod(n + 2 * j for j in range(k)) * math.factorial(q)
    size /= math.factorial(p)
    assert size > 0 and u0 > 0
    return 64 * np.finfo(float).eps * max(1.0, 2 * (1 + abs(x)) ** q * u0 / size)


@pytest.mark.parametrize("p", [0, 1, 2, 3])
@pytest.mark.parametrize("n", [2, 3, 4, 8, 11])
def test_unbiased_gamma_form_equals_truncated_power_formulas(p, n):
    # symbolic keeps formula (G), the Gamma-function form at t0 = 0 (its only implementation: it
    # also serves non-integer powers and the arc-cosine kernel eigenvalues); at integer p it must
    # equal (T)/(R) at t0 = 0 exactly.
    nn = sp.Integer(n)
    for k in range(8):
        g = symbolic._tp_unbiased(sp.Integer(p), k, nn)
        tr = symbolic._tp_inside(p, sp.Integer(0), k, nn, True)
        assert sp.simplify(g - tr) == 0, (p, n, k, g, tr)


@pytest.mark.parametrize("n", [3, 10, 400])
def test_float_log_arithmetic_vs_mpmath(n):
    # float_log_eigenvalues (degree-major, log scale: the integrands of gd_operator._bias) vs the
    # mpmath path in log scale, also where lambda_k is far below 1e-308 (n = 400, k = 60):
    # |delta log| <= 2e-13 + 4 eps |log| for k > p (float64 Legendre recurrence, ~k eps; the
    # power (n-1)/2 log(1 - t0^2) and the log itself carry a few ulps of their size), and the
    # cancellation bound of _low_degree_tolerance for k <= p (a relative error = a log error).
    t0 = np.cos(np.array([0.45, 1.2, np.pi / 2, 2.0, 2.9]))
    results = float_log_eigenvalues(t0, (0, 1, 2), n, 60)
    for p, (sign, log_abs) in zip((0, 1, 2), results, strict=True):
        name, kw = ("step", {}) if p == 0 else ("relu_power", dict(power=p))
        for i, x in enumerate(t0):
            ref_sign, ref_log = funk_hecke_eigenvalues(name, n, 60, bias=-x, log=True, **kw)
            np.testing.assert_array_equal(sign[:, i], ref_sign)
            live = ref_sign != 0
            tol = 2e-13 + 4 * 2.2e-16 * np.abs(ref_log)
            for k in range(p + 1):
                tol[k] += _low_degree_tolerance(p, k, x, n, ref_sign[k] * np.exp(ref_log[k]))
            assert np.all(np.abs(log_abs[live, i] - ref_log[live]) <= tol[live]), (p, x)
    # log(1 - t0^2) passed in (as _bias does with log sin^2 alpha) replaces the internal one
    _, again = float_log_eigenvalues(t0, 2, n, 60, log_one_minus_square=np.log1p(-t0 * t0))
    assert np.max(np.abs(again - results[2][1])[np.isfinite(again)]) < 1e-12 * n
    # and against the linear float path where nothing underflows
    sign, log_abs = float_log_eigenvalues(t0, 1, 10, 30)
    lin = float_eigenvalues(t0, 1, 10, 30).T
    np.testing.assert_allclose(sign * np.exp(log_abs), lin, rtol=1e-13, atol=0)


def test_circle_ramp_closed_form_vs_quadrature():
    """circle_ramp_eigenvalues (S^1, trigonometric closed form) against mpmath quadrature of
    lambda_k = (1/pi) int_0^alpha (cos phi - t0) cos(k phi) d phi at 30 digits (panels of at most
    two half-periods, so the rule resolves the oscillation): an independent reference.  The
    closed form's absolute error is a few k eps sin(alpha) / (k^2 - 1) (the size of the
    bracket's terms): measured 9e-16 of that scale up to k = 60; bound 1e-14.  Kinks near
    +-1 take formula (T) (vs float_eigenvalues: 1e-14), outside (-1, 1) the exact line / zero."""
    import mpmath as mp

    from harmonics.truncated_power import CIRCLE_MIN_SINE, circle_ramp_eigenvalues

    K = 60
    t0 = np.array([-0.99, -0.7, -0.2, 0.0, 0.35, 0.9, 0.99])
    got = circle_ramp_eigenvalues(t0, K)
    with mp.workdps(30):
        for i, x in enumerate(t0):
            alpha = mp.acos(mp.mpf(x))
            for k in range(K + 1):
                pts = mp.linspace(0, alpha, max(2, k // 2 + 2))
                ref = mp.quad(lambda f, k=k, x=x: (mp.cos(f) - x) * mp.cos(k * f), pts) / mp.pi
                scale = math.sqrt(1 - x * x) / max(1, k * k - 1)
                assert abs(got[i, k] - float(ref)) <= 1e-14 * scale, (x, k)
    edge = np.array([0.999, -0.9999999, 1.0, 1.5, -1.0, -3.0])
    assert math.sqrt(1 - 0.999**2) < CIRCLE_MIN_SINE
    got = circle_ramp_eigenvalues(edge, 8)
    # (T) with the float64 recurrence: ~k eps relative to the double-double route
    np.testing.assert_allclose(got[:2], float_eigenvalues(edge[:2], 1, 2, 8), rtol=1e-14, atol=0)
    assert np.all(got[2:4] == 0.0)
    np.testing.assert_array_equal(got[4:, 0], [1.0, 3.0])
    assert np.all(got[4:, 1] == 0.5) and np.all(got[4:, 2:] == 0.0)
