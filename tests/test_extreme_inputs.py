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


# ------------------------------------------------------------------ analytic gates, extremes


def _mp_eigenvalues(fn, n: int, ks, points=(), dps: int = 60, grid: bool = True):
    """lambda_k, k in ``ks``, = c_n int_{-1}^{1} fn(t) P_{k,n}(t) (1 - t^2)^((n-3)/2) dt by
    mpmath's tanh-sinh quadrature in t split at ``points`` (``grid``: Gauss-Legendre on 64 equal
    pieces, for smooth integrands spanning many orders of magnitude); P_{k,n} by its recurrence.
    Unsplit, mpmath's quad is off by up to 5e-4 relative on an integrand spanning
    e^-840..e^-760 (gelu(t - 40); checked against its antiderivative), Gauss-Legendre on 20
    pieces by 4e-12."""
    with mpmath.workdps(dps):
        N = mpmath.mpf(n)
        logc = mpmath.loggamma(N / 2) - mpmath.log(mpmath.pi) / 2 - mpmath.loggamma((N - 1) / 2)
        inside = {mpmath.mpf(p) for p in points if -1 < p < 1}
        if grid:
            inside |= {mpmath.mpf(j) / 32 for j in range(-31, 32)}
        pts = sorted({mpmath.mpf(-1), mpmath.mpf(1)} | inside)

        def integrand(t, k):
            p0, p1 = mpmath.mpf(1), t
            for j in range(1, k):
                p0, p1 = p1, ((2 * j + N - 2) * t * p1 - j * p0) / (j + N - 2)
            pk = p0 if k == 0 else p1
            return fn(t) * pk * mpmath.exp(logc + (N - 3) / 2 * mpmath.log1p(-t * t))

        method = "gauss-legendre" if grid else "tanh-sinh"
        return {k: mpmath.quad(lambda t, k=k: integrand(t, k), pts, method=method) for k in ks}


def _graded_points(t0, s):
    """t0 +- 2^j / s, j = -2..: where a gate phi(s (t - t0)) turns, resolved for tanh-sinh."""
    out = [t0]
    j = -2
    while 2.0**j / s < 2:
        out += [t0 + 2.0**j / s, t0 - 2.0**j / s]
        j += 1
    return out


@pytest.mark.parametrize(
    "name, n, kmax, scale, bias",
    [
        ("tanh", 3, 20, 50.0, 0.0),
        ("tanh", 3, 20, 5.0, 0.0),
        ("sigmoid", 3, 20, 1e4, 0.0),
        ("erf", 3, 10, 1e4, 0.0),
        ("softplus", 10, 10, 100.0, 0.0),
        ("tanh", 5, 12, 3.0, 0.4),
        ("sigmoid", 4, 10, 40.0, -12.0),
    ],
)
def test_steep_analytic_gates_are_computed(name, n, kmax, scale, bias):
    # Was: tanh(50 t) > 120 s, tanh(5 t) 18 s, sigmoid(1e4 t) > 30 s, erf(1e4 t) RuntimeError
    # after 24 s (single Gauss-Legendre rule on [0, pi], doubled until it gave up).  Now the
    # panels are graded towards t0 = -bias/scale.  Reference: mpmath tanh-sinh quadrature in t
    # of the definition, split at t0 +- 2^j / scale.
    fns = {
        "tanh": mpmath.tanh,
        "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
        "erf": mpmath.erf,
        "softplus": lambda x: (
            mpmath.log1p(mpmath.exp(x)) if x < 0 else x + mpmath.log1p(mpmath.exp(-x))
        ),
    }
    t0 = time.process_time()
    got = harmonics.funk_hecke_eigenvalues(name, n, kmax, scale=scale, bias=bias)
    assert time.process_time() - t0 < 10  # CPU seconds; ~0.1-0.4 s on an idle core
    f = fns[name]
    ks = sorted({0, 1, 2, 3, kmax // 2, kmax - 1, kmax})
    points = _graded_points(-bias / scale, scale)
    ref = _mp_eigenvalues(lambda t: f(scale * t + bias), n, ks, points, dps=40, grid=False)
    for k in ks:
        r = float(ref[k])
        if got[k] == 0.0:  # symmetry zero: exactly 0, the reference is rounding noise
            assert abs(r) < 1e-25
        else:
            assert got[k] == pytest.approx(r, rel=1e-13, abs=1e-300)


@pytest.mark.parametrize(
    "name, bias, tiny",
    [
        ("tanh", 40.0, lambda x: -2 / (1 + mpmath.exp(2 * x))),  # tanh - 1
        ("tanh", -100.0, lambda x: 2 / (1 + mpmath.exp(-2 * x))),  # tanh + 1
        ("sigmoid", 40.0, lambda x: -1 / (1 + mpmath.exp(x))),  # sigmoid - 1
        ("sigmoid", -100.0, lambda x: 1 / (1 + mpmath.exp(-x))),  # sigmoid itself
        ("softplus", 100.0, lambda x: mpmath.log1p(mpmath.exp(-x))),  # softplus - x
        ("softplus", -40.0, lambda x: mpmath.log1p(mpmath.exp(x))),
        ("gelu", -40.0, lambda x: x * mpmath.erfc(-x / mpmath.sqrt(2)) / 2),
        ("gelu", 10.0, lambda x: -x * mpmath.erfc(x / mpmath.sqrt(2)) / 2),  # gelu - x
        ("erf", 10.0, lambda x: -mpmath.erfc(x)),  # erf - 1
    ],
)
def test_analytic_gates_with_large_bias_keep_their_tiny_eigenvalues(name, bias, tiny):
    # Was: exact zeros (sign 0, log -inf) for lambda_k ~ e^{-2|b|}: the Taylor coefficients came
    # from tanh(b) (1 - tanh^2 cancels at |b| > ~35) and Phi(b) = (1 + erf) / 2.  Reference:
    # the defining integral of the gate minus its asymptote (a polynomial of degree <= 1,
    # which only lambda_0, lambda_1 see), in mpmath -- no cancellation.
    n, kmax = 3, 4
    sign, log_abs = harmonics.funk_hecke_eigenvalues(name, n, kmax, bias=bias, log=True)
    ref = _mp_eigenvalues(lambda t: tiny(t + bias), n, range(2, kmax + 1), dps=80)
    for k in range(2, kmax + 1):
        assert sign[k] == mpmath.sign(ref[k])
        assert log_abs[k] == pytest.approx(float(mpmath.log(abs(ref[k]))), rel=1e-13)


def test_steep_gate_beyond_the_cost_limit_is_refused_at_once():
    # tanh(5 t) up to kmax = 200: ~6e5 node-degree pairs of mpmath quadrature, above
    # LIMITS["quadrature_ops"] = 4e5 (~2 s): a ValueError naming scale and the limit.
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"scale = 5.*quadrature_ops"):
        harmonics.funk_hecke_eigenvalues("tanh", 3, 200, scale=5.0)
    assert time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize(
    "name, limit, scale, bias",
    [
        ("tanh", "sign", 1e300, 0.0),
        ("sigmoid", "step", 1e200, 3e199),
        ("gelu", "relu", 1e140, -5e139),
        ("erf", "sign", -1e300, 0.0),
        ("softplus", "relu", 1e20, 0.0),
    ],
)
def test_huge_scale_is_the_step_limit(name, limit, scale, bias):
    # Was: hangs (sigmoid(1e300 t)) or OverflowError.  At |scale| >= 1e10 (kmax + n + 1) the
    # gate is its step limit up to ~k (k + n) / scale^2 relative: the closed form of the limit.
    got = harmonics.funk_hecke_eigenvalues(name, 5, 8, scale=scale, bias=bias, log=True)
    ref = harmonics.funk_hecke_eigenvalues(limit, 5, 8, scale=scale, bias=bias, log=True)
    assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])


def test_saturated_erf_and_gelu():
    # Was: gelu(t + 1e6) > 30 s (then RuntimeError): its Taylor coefficients peak at degree ~1e6.
    # On [-1, 1] the gate is t + 1e6 within 1e-330: lambda_0 = 1e6, lambda_1 = 1/n, the rest
    # below 1e-330 (0.0 in float64); log=True cannot give their logs and says so.
    t0 = time.perf_counter()
    got = harmonics.funk_hecke_eigenvalues("gelu", 3, 6, bias=1e6)
    assert time.perf_counter() - t0 < 1.0
    assert got[0] == 1e6 and got[1] == pytest.approx(1 / 3, rel=1e-15)
    assert np.all(got[2:] == 0.0)
    with pytest.raises(ValueError, match="saturated"):
        harmonics.funk_hecke_eigenvalues("gelu", 3, 6, bias=1e6, log=True)
    got = harmonics.funk_hecke_eigenvalues("erf", 100, 3, scale=1.07, bias=1e300)
    assert got.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_gate_values_beyond_float64_are_refused():
    # Was: relu2(1e300 t) raised a raw OverflowError (34, 'Numerical result out of range')
    # from the coefficient scale^2.
    with pytest.raises(ValueError, match="scale"):
        harmonics.funk_hecke_eigenvalues("relu2", 5, 6, scale=1e300)
    with pytest.raises(ValueError, match="coeffs|scale"):
        harmonics.get_activation("polynomial", coeffs=[0, 0, 1], scale=1e200)
    # relu is linear: its values and their squares stay finite up to scale 1e150
    lam = harmonics.funk_hecke_eigenvalues("relu", 3, 1, scale=1e140)
    assert lam[1] == pytest.approx(1e140 / 6)
    # softplus(1e300 t) had E[phi^2] = inf and NaN energy fractions in expand()
    with pytest.raises(ValueError, match="1e150"):
        harmonics.expand("softplus", 3, 0, scale=1e300)


# ---------------------------------------------------------------------------- project cost


def test_project_estimates_its_cost_before_evaluating():
    # Was: project(lambda X: X[:, 0], 3, 200) > 120 s (auto picked an 84k-node product rule and
    # formed 40401 basis functions on it); n = 10^18 spent minutes on the exact rule size.
    calls = []

    def f(X):
        calls.append(len(X))
        return X[:, 0]

    for n, kmax in [(3, 200), (10**6, 1), (10**18, 1)]:
        t0 = time.perf_counter()
        with pytest.raises(ValueError, match="max_work"):
            harmonics.project(f, n, kmax)
        assert time.perf_counter() - t0 < 1.0
    with pytest.raises(ValueError, match="max_work"):
        harmonics.project(f, 3, 200, method="quadrature", max_nodes=10**6)
    with pytest.raises(ValueError, match="max_work"):
        harmonics.project(f, 3, 4, method="montecarlo", num_samples=10**6)
    assert calls == []  # refused before f was evaluated
    # within the limit nothing changes: x_1 lies in H_1, E[x_1^2] = 1/3
    p = harmonics.project(f, 3, 10)
    assert p.method == "quadrature"
    assert p.energies[1] == pytest.approx(1 / 3, rel=1e-13)
    assert p.energies[[0, 2, 3]] == pytest.approx(0.0, abs=1e-15)
    p = harmonics.project(f, 3, 200, max_coefficients=0, num_samples=500, max_work=10**8)
    assert p.method == "montecarlo"


def test_project_montecarlo_cost_matches_its_run_time():
    # Was: project(f, 3, 200, max_coefficients=43) (default 4096 samples) was estimated at
    # 3.6e7 < 5e7 and ran 2.2 s of CPU (the pair sums cost 0.55 ns per pair and degree, not
    # the 0.2 ns the estimate assumed), past the fuzz budget; now refused up front.
    calls = []

    def f(X):
        calls.append(len(X))
        return X[:, 0]

    for mc in (0, 43, 97):
        with pytest.raises(ValueError, match="max_work"):
            harmonics.project(f, 3, 200, max_coefficients=mc)
    assert calls == []
    # a job that fits still runs by Monte Carlo
    p = harmonics.project(f, 3, 200, max_coefficients=0, num_samples=1000)
    assert p.method == "montecarlo" and calls == [1000]


# ---------------------------------------------------------------------------- simulate memory


def test_simulate_checks_memory_before_allocating():
    # Was: simulate(..., m=10**5) asked for a 74.5 GiB Gram matrix (MemoryError, or swapping).
    # Expectation: a ValueError naming max_bytes, before any large allocation (tracemalloc).
    import tracemalloc

    import gd_operator

    target = gd_operator.ridge_target(3, (1, 2))
    tracemalloc.start()
    try:
        for kw in ({"m": 10**5}, {"m": 8, "samples": 10**11}):
            with pytest.raises(ValueError, match="max_bytes"):
                gd_operator.simulate(target, steps=1, lr=0.1, progress=False, **kw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20
    with pytest.raises(ValueError, match="max_bytes"):
        gd_operator.simulate(target, m=600, steps=1, lr=0.1, progress=False, max_bytes=10**6)
    run = gd_operator.simulate(target, m=16, steps=2, lr=0.1, progress=False, max_bytes=10**7)
    assert np.all(np.isfinite(run.loss))


# ------------------------------------------------------------- size limits of the harmonics layer


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: harmonics.dim_harmonics(10**18, 10**18), "max_digits"),  # was a hang
        (lambda: harmonics.gauss_legendre(10**6), "order"),  # was minutes in leggauss
        (lambda: harmonics.legendre_zeros(3, 10**6), "k"),  # was a C-level hang
        (lambda: harmonics.gauss_rule(np.zeros(3), np.ones(2), newton=10**9), "newton"),
        (lambda: harmonics.sample_sphere(10**9, 3), "max_bytes"),  # was MemoryError
        (lambda: harmonics.population_gram("relu", np.ones((10**5, 3))), "max_bytes"),
        (lambda: harmonics.log_nu_normalizer(-1), "n"),  # was 'math domain error'
        (lambda: harmonics.symbolic.legendre(4, 10**18), "LIMITS"),  # was a hang
        (lambda: harmonics.symbolic.funk_hecke_eigenvalue("relu", 10**6, 0), "LIMITS"),
        (lambda: harmonics.symbolic.arccos_kernel(1, 2.0), "rho"),  # was a complex result
    ],
)
def test_size_limits_refuse_at_once(call, match):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        call()
    assert time.perf_counter() - t0 < 1.0


def test_steep_gate_in_two_dimensions():
    # n = 2: the recurrence coefficient (2k + n - 2)/(k + n - 2) is 0/0 at k = 0 (was a
    # ZeroDivisionError inside mpmath for sigmoid(50 t)).  Reference: n = 2 is the circle,
    # lambda_k = (1/pi) int_0^pi phi(cos th) cos(k th) d th, by mpmath quad.
    got = harmonics.funk_hecke_eigenvalues("sigmoid", 2, 5, scale=50.0)
    for k in range(6):
        ref = (
            mpmath.quad(
                lambda th, k=k: mpmath.cos(k * th) / (1 + mpmath.exp(-50 * mpmath.cos(th))),
                [0, mpmath.pi / 2 - 0.1, mpmath.pi / 2, mpmath.pi / 2 + 0.1, mpmath.pi],
            )
            / mpmath.pi
        )
        assert got[k] == pytest.approx(float(ref), rel=1e-12, abs=1e-16)


def test_saturated_tanh_at_astronomical_bias():
    # tanh(t + 1e300): the Taylor path's binary exponents of e^{-2e300} overflowed int64 (a raw
    # OverflowError); the gate is 1 on [-1, 1] within e^{-2e300}.
    assert harmonics.funk_hecke_eigenvalues("tanh", 10, 3, bias=1e300).tolist() == [1, 0, 0, 0]
    with pytest.raises(ValueError, match="saturated"):
        harmonics.funk_hecke_eigenvalues("tanh", 10, 3, bias=1e300, log=True)
    # the series still resolves e^{-2 * 40}: not saturated there
    sign, log_abs = harmonics.funk_hecke_eigenvalues("tanh", 10, 3, bias=40.0, log=True)
    assert np.all(sign != 0)


# ----------------------------------------------------------------- gd_operator and sq_bounds


def test_vw_bounds_single_learnable_degree():
    # Was: ValueError 'math domain error' (log1p(-1)) when alpha_k^2 = mu_max: erf at k = 1
    # has one learnable degree, so lr = 1/mu_max learns it in one step (operator GD: 1 step).
    import gd_operator

    b = gd_operator.vw_bounds("erf", 5, 1, 0.5, delta=1 / 3)
    assert b.iterations_operator == 1.0


def test_gd_divergence_is_an_error_not_nan():
    # Was: relative errors NaN (lr = 1e300).  Expectation: ValueError naming lr with the
    # stability bound; and a cost refusal for steps = 1e9 before the loop.
    import sq_bounds

    target = sq_bounds.LegendreTarget(np.eye(3)[0], 2)
    for fn, kw in (
        (sq_bounds.population_gradient_descent, {}),
        (sq_bounds.oracle_gradient_descent, {"tau": 0.05}),
    ):
        with pytest.raises(ValueError, match="lr"):
            fn(target, lr=1e300, width=8, steps=50, **kw)
        t0 = time.perf_counter()
        with pytest.raises(ValueError, match="steps"):
            fn(target, steps=10**9, **kw)
        assert time.perf_counter() - t0 < 2.0


@pytest.mark.parametrize(
    "call, match",
    [
        ("predict", "steps"),  # steps = 1e9 tabulated 1e9 x K+1 values (MemoryError)
        ("ridge_energies", "coeffs"),  # 1e300^2 was inf
        ("spectrum", "bias"),  # Gaussian bias 1e6: seconds of Hermite doubling, then an error
        ("teacher_network", "width"),  # width 1e9: MemoryError
        ("ridge_target", "n"),  # n = 1e18: MemoryError
    ],
)
def test_gd_operator_limits(call, match):
    import gd_operator as G

    calls = {
        "predict": lambda: G.predict([0.0, 1.0, 1.0], [0.5, 0.25, 0.0], 1.0, 10**9),
        "ridge_energies": lambda: G.ridge_energies([1e300, 1.0], 3),
        "spectrum": lambda: G.spectrum("tanh", 3, 5, init="gaussian", bias=1e6),
        "teacher_network": lambda: G.teacher_network(3, 10**9),
        "ridge_target": lambda: G.ridge_target(10**18, (1,)),
    }
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        calls[call]()
    assert time.perf_counter() - t0 < 1.0
