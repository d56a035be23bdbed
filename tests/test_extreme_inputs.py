"""Extreme-but-valid inputs and cost limits (the fuzzing issue): each test failed before its fix.

References are independent of the code under test and named in each test: mpmath at 50+
digits of an explicit formula (the Gegenbauer power sum, the defining integral), asymptotic
forms, or exact identities.
"""

from __future__ import annotations

import math
import time

import mpmath
import numpy as np
import pytest

import harmonics
from harmonics import gegenbauer, legendre, legendre_log


def _gegenbauer_sum(k: int, alpha, t, dps: int = 60):
    """C_k^(alpha)(t) by its explicit power sum (DLMF 18.5.10), in mpmath:
    sum_m (-1)^m (alpha)_{k-m} / (m! (k-2m)!) (2t)^{k-2m}.  No recurrence, no log-gamma."""
    with mpmath.workdps(dps):
        a = mpmath.mpf(alpha)
        x = mpmath.mpf(t)
        # (alpha)_j as a product: mpmath.rf forms Gamma(a + j) / Gamma(a), which is 1 once
        # a + j rounds to a (alpha = 1e300)
        def rising(j):
            return mpmath.fprod(a + i for i in range(j))

        return sum(
            (-1) ** m
            * rising(k - m)
            / (mpmath.factorial(m) * mpmath.factorial(k - 2 * m))
            * (2 * x) ** (k - 2 * m)
            for m in range(k // 2 + 1)
        )


def _legendre_sum(n: int, k: int, t, dps: int = 60):
    """P_{k,n}(t) = C_k^(alpha)(t) / C_k^(alpha)(1), alpha = (n - 2)/2, by the power sum."""
    alpha = mpmath.mpf(n - 2) / 2
    with mpmath.workdps(dps):
        return _gegenbauer_sum(k, alpha, t, dps) / _gegenbauer_sum(k, alpha, 1, dps)


# ------------------------------------------------------------------------- legendre near t = 0


@pytest.mark.parametrize("n, k", [(100, 75), (3, 7), (10**4, 75), (10**4, 200), (4, 1), (5, 3)])
@pytest.mark.parametrize("t", [1e-300, -1e-300, 1e-200, 3e-120, 1e-320, 5e-324])
def test_legendre_log_keeps_sign_and_log_of_subnormal_values(n, k, t):
    # Was: legendre_log(100, 75, 1e-300) = (0, -inf) although P = -3.2e-324 (the odd-degree
    # product t * (even-size factor) fell into the subnormal range inside the recurrence).
    # Reference: the Gegenbauer power sum in mpmath (at tiny t its lowest term dominates).
    ref = _legendre_sum(n, k, t)
    sign, log_abs = legendre_log(n, k, t)
    assert sign == mpmath.sign(ref)
    # the log of a value near 1e-300 carries an absolute error of ~1 ulp of |log| ~ 700
    assert abs(log_abs - float(mpmath.log(abs(ref)))) <= 4 * np.spacing(abs(log_abs))
    value = float(legendre(n, k, t))
    assert value == float(ref) or abs(value - float(ref)) <= 2e-16 * abs(float(ref)) + 5e-324


def test_legendre_tiny_t_continuous_with_the_recurrence():
    # Across the switch at |t| = 2^-350 the two evaluations agree to rounding.
    t = np.array([2.0**-350 * (1 - 2e-16), 2.0**-350, 2.0**-349])
    for n, k in [(3, 5), (100, 75), (10**4, 201)]:
        s, lg = legendre_log(n, k, t)
        assert np.all(s == s[0])
        ratio = lg - np.log(t) - (lg[1] - np.log(t[1]))
        assert np.all(np.abs(ratio) < 1e-12)


# ------------------------------------------------------------------ legendre cost and degree


def test_legendre_degree_ten_million_is_computed():
    # Was > 30 s (one numpy call per degree).  Reference: the Laplace-Heine asymptotic
    # P_k(cos th) = sqrt(2 / (pi k sin th)) cos((k + 1/2) th - pi/4) (1 + O(1/k)), n = 3.
    k, th = 10**7, math.acos(0.5)
    t0 = time.process_time()
    value = float(legendre(3, k, 0.5))
    elapsed = time.process_time() - t0
    amplitude = math.sqrt(2 / (math.pi * k * math.sin(th)))
    asym = amplitude * math.cos((k + 0.5) * th - math.pi / 4)
    # the recurrence is stable (|P| <= 1), errors ~ k * 1e-32 in double-double; the asymptotic
    # form is good to ~1/(8 k sin th) relative to the amplitude
    assert abs(value - asym) < 1e-6 * amplitude
    assert elapsed < 20  # CPU seconds; ~1 s on an idle core


def test_legendre_compiled_path_is_bit_identical_to_the_numpy_path():
    from harmonics._recurrence import legendre_rows_compiled, legendre_table_scaled_dd

    rng = np.random.default_rng(3)
    t = np.concatenate([rng.uniform(-1, 1, 40), [0.0, 1.0, -1.0, 1e-300, 1 - 2**-52]])
    for n in (2, 3, 10, 1000, 10**6):
        m1, e1 = legendre_table_scaled_dd(400, n, t)
        sel = np.array([0, 1, 2, 77, 399, 400])
        m2, e2 = legendre_rows_compiled(400, n, t, sel, dd=True)
        assert np.array_equal(m1[sel], m2) and np.array_equal(e1[sel], e2)


@pytest.mark.parametrize(
    "call",
    [
        lambda: legendre(3, 10**9, 0.5),
        lambda: legendre_log(3, 10**9, 0.5),
        lambda: legendre(3, 10**5, np.linspace(-1, 1, 10**5)),
        lambda: legendre(3, np.arange(10**5)[:, None], np.linspace(-1, 1, 10**4)),
        lambda: gegenbauer(10**9, 2.5, 0.5),
    ],
)
def test_legendre_cost_limit_is_checked_before_allocating(call):
    # Was: MemoryError (a [k+1, len(t)] table) or minutes of work.
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="max_work"):
        call()
    assert time.perf_counter() - t0 < 1.0


def test_legendre_max_work_raises_and_lowers_the_limit():
    with pytest.raises(ValueError, match=r"max_work=1e\+03"):
        legendre(3, 1000, 0.5, max_work=1000)
    assert legendre(3, 100, 0.5, max_work=1000) == pytest.approx(float(_legendre_sum(3, 100, 0.5)))
    with pytest.raises(TypeError, match="max_work"):
        legendre(3, 2, 0.5, max_work="big")


# ---------------------------------------------------------------------- gegenbauer, large alpha


@pytest.mark.parametrize("alpha", [0.3, 7.5, 1e6, 1e9, 1e12, 1e15, 1e100, 1e300])
@pytest.mark.parametrize("k", [1, 2, 5, 30])
def test_gegenbauer_large_alpha_against_the_power_sum(alpha, k):
    # Was: 5e-10 relative at alpha = 1e6, 4e-6 at 1e9, 0.4 % at 1e12, x2500 at 1e15 and NaN at
    # 1e300 (float64 lgamma differences).  Reference: the power sum in 60-digit mpmath.
    t = 0.5
    ref = _gegenbauer_sum(k, alpha, t, dps=60)  # no cancellation: terms shrink like alpha^-m
    sign, log_abs = gegenbauer(k, alpha, t, log=True)
    assert sign == mpmath.sign(ref)
    with mpmath.workdps(60):
        ref_log = float(mpmath.log(abs(ref)))
    # P_{k,n}(t) by the float64 recurrence (non-integer n) and the factor in mpmath: a few ulps
    # of the log plus ~k eps from the recurrence
    assert abs(log_abs - ref_log) <= 8 * np.spacing(abs(ref_log)) + 4 * k * 2.2e-16


def test_gegenbauer_alpha_1e15_value():
    # gegenbauer(5, 1e15, 0.5) was 2.1e76; C_5 ~ (2 alpha)^5 / 5! * t^5 = 8.33e72.
    ref = float(_gegenbauer_sum(5, 1e15, 0.5, dps=120))
    assert gegenbauer(5, 1e15, 0.5) == pytest.approx(ref, rel=1e-13)


def test_gegenbauer_many_degrees_large_alpha():
    # More than 256 distinct degrees: mpmath anchors and log1p sums in between.
    k = np.arange(0, 1200)
    sign, log_abs = gegenbauer(k, 1e6, 0.3, log=True)
    for kk in (0, 1, 255, 256, 257, 700, 1199):
        ref = _gegenbauer_sum(int(kk), 1e6, 0.3, dps=60)
        with mpmath.workdps(60):
            ref_log = float(mpmath.log(abs(ref)))
        assert abs(log_abs[kk] - ref_log) < 1e-12 * max(1.0, abs(ref_log))
    assert np.all(np.isfinite(log_abs))


def test_gegenbauer_alpha_range_is_stated():
    with pytest.raises(ValueError, match="alpha"):
        gegenbauer(3, 1e308, 0.5)


# ---------------------------------------------------- biased piecewise gates at large n


def _piecewise_reference(name: str, n: int, bias: float, kmax: int, dps: int = 50):
    """lambda_k of phi(t + bias), k <= kmax, by mpmath quadrature of the definition
    c_n int phi(t + b) P_{k,n}(t) (1 - t^2)^((n-3)/2) dt (P_{k,n} by its recurrence at dps
    digits), the interval split at the kink and on a grid resolving the weight (mass within
    ~1/sqrt(n) of 0) and the decay away from the kink (scale (1 - t0^2) / (n |t0|))."""
    gates = {
        "relu": lambda x: max(x, 0),
        "step": lambda x: 1 if x > 0 else 0,
        "abs": lambda x: abs(x),
        "relu2": lambda x: max(x, 0) ** 2,
    }
    phi = gates[name]
    with mpmath.workdps(dps):
        N = mpmath.mpf(n)
        b = mpmath.mpf(bias)
        t0 = -b
        logc = mpmath.loggamma(N / 2) - mpmath.log(mpmath.pi) / 2 - mpmath.loggamma((N - 1) / 2)
        sigma = 1 / mpmath.sqrt(N)
        decay = (1 - t0**2) / (N * abs(t0))
        pts = {mpmath.mpf(-1), mpmath.mpf(1), t0}
        # pieces of a few decay lengths each: Gauss-Legendre converges fast on each
        pts |= {j * sigma / 2 for j in range(-120, 121)}
        pts |= {t0 + j * 2 * decay for j in range(-150, 151)}
        pts = sorted(p for p in pts if -1 <= p <= 1)

        def integrand(t, k):
            p0, p1 = mpmath.mpf(1), t
            for j in range(1, k):
                p0, p1 = p1, ((2 * j + N - 2) * t * p1 - j * p0) / (j + N - 2)
            pk = p0 if k == 0 else p1
            return phi(t + b) * pk * mpmath.exp(logc + (N - 3) / 2 * mpmath.log1p(-t * t))

        return [
            mpmath.quad(lambda t, k=k: integrand(t, k), pts, method="gauss-legendre")
            for k in range(kmax + 1)
        ]


@pytest.mark.parametrize(
    "name, p, n, bias",
    [
        ("relu", 1, 300000, 0.3),
        ("relu2", 2, 300000, 0.3),
        ("step", 0, 100000, -0.3),
        ("abs", 1, 100000, -0.3),
        ("relu2", 2, 100000, -0.3),
        ("relu", 1, 2000, -0.3),
        ("abs", 1, 2000, 0.3),
    ],
)
def test_biased_piecewise_low_degrees_at_large_n(name, p, n, bias):
    # Was: mpmath NoConvergence in betainc ('relu', 300000, 10, bias=0.3) and "hypercomb()
    # failed to converge" (bias=-0.3, n = 1e5) in the incomplete beta functions of formula (R).
    # Reference: mpmath quadrature of the defining integral (values down to e^-4700).
    sign, log_abs = harmonics.funk_hecke_eigenvalues(name, n, 10, bias=bias, log=True)
    assert np.all(np.isfinite(log_abs[sign != 0]))
    ref = _piecewise_reference(name, n, bias, p, dps=70)  # 50 digits: quad error ~1e-13
    for k in range(p + 1):
        assert sign[k] == mpmath.sign(ref[k])
        assert abs(log_abs[k] - float(mpmath.log(abs(ref[k])))) < 1e-12 * max(1, abs(log_abs[k]))


def test_biased_piecewise_continuous_in_n():
    # Reference: smoothness in n -- the second difference of log lambda_k over n, n+2, n+4
    # (odd n, same parity) is O(1/n^2) relative to the log (no jump where a method switches).
    for name in ("relu", "step", "relu2"):
        for bias in (0.3, -0.3):
            logs = [
                harmonics.funk_hecke_eigenvalues(name, n, 4, bias=bias, log=True)[1]
                for n in (99999, 100001, 100003)
            ]
            second = logs[0] - 2 * logs[1] + logs[2]
            assert np.all(np.abs(second) < 1e-6)
