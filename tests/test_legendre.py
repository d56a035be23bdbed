"""P_{k,n}(t) and C_k^{(alpha)}(t): identities and independent implementations.

Tolerances: the recurrence is run in float64; its error is a few ulps times the condition number
of P_{k,n} at t, cond = 1 + |t P'_{k,n}(t)| (at most ~ k^2 near +-1 for small n), so tests scale
1e-13-type bounds by it (the scipy.special practice).  The 50-digit mpmath tables are tested in
test_legendre_reference.py.
"""

import math

import mpmath
import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given
from hypothesis import strategies as st

from harmonics import dim_harmonics, gegenbauer, legendre, legendre_log, nu_quadrature

EPS = np.finfo(float).eps


def cond(k, n, t):
    """1 + |t P'_{k,n}(t)|, with P'_{k,n} = k (k+n-2)/(n-1) P_{k-1,n+2} (derivative identity)."""
    if k == 0:
        return np.ones_like(t)
    return 1 + np.abs(t * k * (k + n - 2) / (n - 1) * legendre(n + 2, k - 1, t))


T = np.concatenate([np.linspace(-1, 1, 401), [1 - 1e-12, -1 + 1e-9, 1e-8, -1e-3]])


@pytest.mark.parametrize("k", [0, 1, 2, 7, 50, 300, 1000])
def test_n2_is_chebyshev(k):
    # Reference: scipy's eval_chebyt (independent implementation); tolerance 8 eps * cond.
    got = legendre(2, k, T)
    ref = sp.eval_chebyt(k, T)
    assert np.all(np.abs(got - ref) <= 8 * EPS * cond(k, 2, T) + 1e-15)


@pytest.mark.parametrize("k", [0, 1, 2, 5, 31, 200])
def test_n3_is_classical_legendre(k):
    # Reference: scipy's eval_legendre; tolerance 8 eps * cond (both implementations round).
    got = legendre(3, k, T)
    ref = sp.eval_legendre(k, T)
    assert np.all(np.abs(got - ref) <= 8 * EPS * cond(k, 3, T) + 1e-15)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_degree_1000_small_n_against_mpmath(n):
    # scipy's eval_legendre itself errs by ~5e-11 near t = -1 at k = 1000, so the reference
    # here is mpmath at 30 digits (exact at the float t).  The recurrence runs in double-double,
    # so the only error is the final rounding: tolerance one ulp of 1 (|P| <= 1), 2.3e-16.
    k = 1000
    ts = T[::7]
    a = mpmath.mpf(n - 2) / 2
    if n == 2:
        ref = [mpmath.chebyt(k, mpmath.mpf(t)) for t in ts]
    elif n == 3:
        ref = [mpmath.legenp(k, 0, mpmath.mpf(t)) for t in ts]
    else:
        ref = [mpmath.gegenbauer(k, a, mpmath.mpf(t)) / mpmath.gegenbauer(k, a, 1) for t in ts]
    ref = np.array([float(x) for x in ref])
    assert np.max(np.abs(legendre(n, k, ts) - ref)) <= 2.3e-16


@pytest.mark.parametrize("n", [2, 3, 4, 10, 1000, 10**6])
def test_endpoints(n):
    k = np.arange(0, 1001)
    np.testing.assert_array_equal(legendre(n, k, 1.0), 1.0)
    np.testing.assert_allclose(legendre(n, k, -1.0), (-1.0) ** k, rtol=0, atol=1e-13)


@pytest.mark.parametrize("n", [2, 3, 5, 50, 1000, 10**6])
def test_orthogonality(n):
    # Identity: E_{nu_n}[P_j P_k] = delta_jk / N(n,k), with the 60-node Gauss rule of nu_n
    # (exact for degree <= 119); tolerance 1e-14 relative to 1/N(n,k) for rounding.
    t, w = nu_quadrature(n, 60)
    kk = np.arange(31)
    P = legendre(n, kk[:, None], t[None, :])
    gram = (P * w) @ P.T
    dims = np.array([dim_harmonics(n, k) for k in kk], dtype=float)
    expected = np.diag(1 / dims)
    scale = np.sqrt(np.outer(1 / dims, 1 / dims))
    assert np.all(np.abs(gram - expected) <= 1e-13 * scale + 1e-300)


@given(
    st.integers(2, 10**6),
    st.integers(0, 300),
    st.floats(-1, 1, allow_nan=False),
)
def test_bounded_symmetric_and_recurrence(n, k, t):
    # |P| <= 1 on [-1,1]; P(-t) = (-1)^k P(t) exactly (the recurrence is odd/even in t);
    # three-term recurrence holds to rounding (docs/conventions.md, "Spherical harmonics and
    # Legendre polynomials of dimension n").
    p = legendre(n, k, t)
    assert abs(p) <= 1.0
    assert legendre(n, k, -t) == (-1) ** k * p
    if k >= 1:
        lhs = (k + n - 2) * legendre(n, k + 1, t)
        rhs = (2 * k + n - 2) * t * p - k * legendre(n, k - 1, t)
        assert abs(lhs - rhs) <= 1e-12 * (2 * k + n)


def test_broadcasting_shapes():
    t = np.linspace(-1, 1, 5)
    out = legendre(3, np.arange(4)[:, None], t[None, :])
    assert out.shape == (4, 5)
    assert isinstance(legendre(3, 2, 0.5), float)
    np.testing.assert_allclose(out[2], 1.5 * t**2 - 0.5, atol=1e-15)


def test_log_scale_far_below_float64():
    # P_{200,n}(0) = (-1)^100 (1/2)_100 / ((n-1)/2)_100 (even-degree value at 0, from the
    # recurrence at t = 0); in n = 10^6 this is ~1e-507.  Reference: mpmath rising factorials.
    n, k = 10**6, 200
    sign, log_abs = legendre_log(n, k, 0.0)
    ref = mpmath.rf(mpmath.mpf(1) / 2, 100) / mpmath.rf(mpmath.mpf(n - 1) / 2, 100)
    assert sign == 1.0
    assert abs(log_abs - float(mpmath.log(ref))) <= 1e-12 * abs(log_abs)
    assert legendre(n, k, 0.0) == 0.0  # underflows in the plain function, as documented
    s_odd, l_odd = legendre_log(n, 201, 0.0)
    assert s_odd == 0 and l_odd == -np.inf


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.5, 3.25, 10.0])
def test_gegenbauer_vs_scipy(alpha):
    # Reference: scipy.special.eval_gegenbauer in its safe range (moderate alpha and k).
    t = np.linspace(-1, 1, 101)
    for k in [0, 1, 3, 10, 40]:
        ref = sp.eval_gegenbauer(k, alpha, t)
        got = gegenbauer(k, alpha, t)
        # condition: 1 + |t C'_k(t)|, C'_k = 2 alpha C_{k-1}^{(alpha+1)} (DLMF 18.9.19)
        c = 1 + (np.abs(t * 2 * alpha * sp.eval_gegenbauer(k - 1, alpha + 1, t)) if k else 0)
        scale = sp.eval_gegenbauer(k, alpha, 1.0)
        assert np.all(np.abs(got - ref) <= 1e-13 * scale * c)


def test_gegenbauer_log_beyond_float64():
    # C_400^{(499)}(1) = Gamma(400 + 998)/(Gamma(998) 400!) overflows float64 (scipy gives inf).
    sign, log_abs = gegenbauer(400, 499.0, 1.0, log=True)
    ref = mpmath.log(mpmath.binomial(400 + 998 - 1, 400))
    assert sign == 1 and abs(log_abs - float(ref)) < 1e-12 * float(ref)
    with pytest.raises(OverflowError, match="log=True"):
        gegenbauer(400, 499.0, 1.0)
    # alpha in (-1/2, 0): C_k^(alpha)(1) < 0 for k >= 1
    np.testing.assert_allclose(
        gegenbauer(3, -0.25, 0.3), sp.eval_gegenbauer(3, -0.25, 0.3), rtol=1e-13
    )


@pytest.mark.parametrize(
    "call,exc,msg",
    [
        (lambda: legendre(1, 2, 0.5), ValueError, "n must be an integer >= 2"),
        (lambda: legendre(2.5, 2, 0.5), TypeError, "n must be an integer"),
        (lambda: legendre(3, -1, 0.5), ValueError, "k must be >= 0"),
        (lambda: legendre(3, 1.5, 0.5), TypeError, "k must be a non-negative integer"),
        (lambda: legendre(3, 2, np.nan), ValueError, "t must be finite"),
        (lambda: legendre(3, 2, np.inf), ValueError, "t must be finite"),
        (lambda: legendre(3, 2, 1.5), ValueError, r"t must lie in \[-1, 1\]"),
        (lambda: legendre(3, 2, "x"), TypeError, "t must be a real"),
        (lambda: gegenbauer(2, 0.0, 0.5), ValueError, "alpha must be > -1/2"),
        (lambda: gegenbauer(2, -0.7, 0.5), ValueError, "alpha must be > -1/2"),
    ],
)
def test_bad_input(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_slightly_outside_due_to_rounding_is_clipped():
    # Inner products of unit vectors can exceed 1 by an ulp; accepted and clipped.
    assert legendre(3, 5, 1 + 2 * EPS) == 1.0
    assert math.isfinite(legendre(3, 5, -1 - 2 * EPS))


@pytest.mark.parametrize(
    "n,num", [(2, 1), (5, 1), (3, 500), (1000, 199), (10**6 + 2, 199), (10**6 + 2, 2000)]
)
def test_nu_quadrature_moments(n, num):
    # Gauss rule for nu_n: exact for E[t^2] = 1/n and E[t^4] = 3/(n(n+2)) once num >= 3 (moment
    # formula E[t^{2i}] = prod_{l<i} (2l+1)/(n+2l)); weights finite, >= 0, summing to 1.  The
    # large-n cases exercise the exponent-carrying recurrence inside the Christoffel weights.
    t, w = nu_quadrature(n, num)
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    assert abs(w.sum() - 1) < 1e-14
    if num >= 3:
        assert abs((w * t**2).sum() * n - 1) < 1e-13
        assert abs((w * t**4).sum() * n * (n + 2) / 3 - 1) < 1e-13
    else:
        assert np.all(t == 0)
