"""Funk-Hecke eigenvalues: exact values, identities, cross-method agreement, bad input.

The independent 30-digit tables (direct mpmath quadrature of the definition) are tested in
test_eigenvalue_reference.py; here the references are exact rationals, identities that tie
different code paths together, mpmath quadrature at a few points, and Monte Carlo on the sphere.
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harmonics import (
    EigenvalueUnderflowWarning,
    dim_harmonics,
    expand,
    funk_hecke_eigenvalues,
    get_activation,
    legendre,
)


def test_relu_n3_exact():
    # docs/conventions.md ("Funk-Hecke eigenvalues") reference points: 1/4, 1/6, 1/16, 0, -1/96
    # (exact rationals).  Values pass through
    # log scale, exp(log x) carries ~|log x| eps relative rounding: tolerance 4 ulps.
    lam = funk_hecke_eigenvalues("relu", 3, 4)
    np.testing.assert_allclose(
        lam, [1 / 4, 1 / 6, 1 / 16, 0, -1 / 96], rtol=4 * np.finfo(float).eps, atol=0
    )
    assert lam[3] == 0.0 and not np.signbit(lam[3])  # an exact +0.0, printed as 0.


def test_step_sign_abs_n3_exact():
    # exact: lambda_k(step) in n=3 = int_0^1 P_k(t) dt / 2: 1/2, 1/4, 0, -1/16, 0, 1/32.
    np.testing.assert_allclose(
        funk_hecke_eigenvalues("step", 3, 5),
        [1 / 2, 1 / 4, 0, -1 / 16, 0, 1 / 32],
        rtol=4 * np.finfo(float).eps,
    )
    # sign = 2 step - 1, abs = 2 relu - t
    np.testing.assert_allclose(
        funk_hecke_eigenvalues("sign", 3, 5),
        [0, 1 / 2, 0, -1 / 8, 0, 1 / 16],
        rtol=4 * np.finfo(float).eps,
    )
    np.testing.assert_allclose(
        funk_hecke_eigenvalues("abs", 3, 4),
        [1 / 2, 0, 1 / 8, 0, -1 / 48],
        rtol=4 * np.finfo(float).eps,
    )


@pytest.mark.parametrize("n", [3, 10, 1000, 10**5])
def test_parity_zeros_are_exact(n):
    z = lambda name, **kw: funk_hecke_eigenvalues(name, n, 60, log=True, **kw)[0]  # noqa: E731
    assert np.all(z("relu")[3::2] == 0) and np.all(z("relu")[0::2] != 0)
    assert np.all(z("step")[2::2] == 0) and np.all(z("sign")[0::2] == 0)
    assert np.all(z("abs")[1::2] == 0)
    for odd in ("tanh", "erf"):
        assert np.all(z(odd)[0::2] == 0)
    assert np.all(z("sigmoid")[2::2] == 0) and z("sigmoid")[0] != 0
    assert np.all(z("gelu")[3::2] == 0)
    # relu^p: zeros at k > p with k = p mod 2 (P_{k-1-p}(0) = 0 for odd k-1-p)
    assert np.all(z("relu2")[4::2] == 0) and np.all(z("relu2")[:4] != 0)
    # a bias breaks the parity: no zeros left at these degrees
    assert np.all(z("relu", bias=0.1)[3:30] != 0)


@pytest.mark.parametrize("n", [3, 10, 100, 1000, 10**4])
@pytest.mark.parametrize("bias", [0.0, 0.3, -0.55])
def test_multiplication_by_t_identity(n, bias):
    # Identity: (t + b) relu(t + b) = relu2(t + b), and
    # E[t g P_k] = (k lambda_{k-1}(g) + (k+n-2) lambda_{k+1}(g)) / (2k+n-2) (docs/conventions.md,
    # "Spherical harmonics and Legendre polynomials of dimension n": multiplication by t).
    # It ties the p = 1 and p = 2 truncated-power formulas (and the incomplete-beta path for
    # k <= 2) together for every k.  Values are compared in mpmath from (sign, log) pairs;
    # tolerance 1e-12 relative to the sum of the absolute terms (the log-scale round trip of
    # values ~ e^-500 carries ~500 eps relative error).
    kmax = 150
    s1, l1 = funk_hecke_eigenvalues("relu", n, kmax + 1, log=True, bias=bias)
    s2, l2 = funk_hecke_eigenvalues("relu2", n, kmax, log=True, bias=bias)
    v1 = [mpmath.mpf(0) if s == 0 else s * mpmath.exp(lg) for s, lg in zip(s1, l1, strict=True)]
    v2 = [mpmath.mpf(0) if s == 0 else s * mpmath.exp(lg) for s, lg in zip(s2, l2, strict=True)]
    for k in range(kmax + 1):
        terms = [(k + n - 2) * v1[k + 1] / (2 * k + n - 2), bias * v1[k]]
        if k >= 1:
            terms.append(k * v1[k - 1] / (2 * k + n - 2))
        rhs = mpmath.fsum(terms)
        assert abs(v2[k] - rhs) <= 1e-12 * mpmath.fsum(abs(x) for x in terms), (k, v2[k], rhs)


@pytest.mark.parametrize(
    "name,params",
    [
        ("relu", {}),
        ("relu", {"bias": 0.3}),
        ("relu", {"scale": -2.0, "bias": 0.5}),
        ("step", {"bias": -0.2}),
        ("sign", {"bias": 0.4}),
        ("abs", {"scale": 1.5, "bias": -0.3}),
        ("relu3", {"bias": 0.2}),
        ("sigmoid", {}),
        ("tanh", {"bias": 0.3}),
        ("erf", {"scale": 3.0}),
        ("softplus", {"bias": -1.0}),
        ("gelu", {}),
        ("polynomial", {"coeffs": [1, -2, 0, 3, 0, -1], "bias": 0.2}),
    ],
)
@pytest.mark.parametrize("n", [3, 10])
def test_registered_vs_quadrature_of_callable(name, params, n):
    # Two independent routes: closed form / series vs float64 kink-aware quadrature of the
    # callable gate.  Quadrature is accurate to ~1e-15 absolute, so compare absolutely (1e-13).
    act = get_activation(name, **params)
    kmax = 12
    ref = funk_hecke_eigenvalues(act, n, kmax)
    quad = funk_hecke_eigenvalues(lambda t: act(t), n, kmax, kinks=act.kinks)
    np.testing.assert_allclose(ref, quad, rtol=0, atol=1e-13)


@pytest.mark.parametrize("n,k", [(5, 7), (12, 4), (40, 9)])
def test_biased_relu_against_mpmath(n, k):
    # Direct 40-digit mpmath quadrature of the definition, split at the kink.
    mpmath.mp.dps = 40
    b = mpmath.mpf("0.37")
    a = mpmath.mpf(n - 2) / 2
    c = mpmath.gamma(mpmath.mpf(n) / 2) / (
        mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(n - 1) / 2)
    )

    def f(t):
        p = mpmath.gegenbauer(k, a, t) / mpmath.gegenbauer(k, a, 1)
        return (t + b) * p * (1 - t * t) ** (mpmath.mpf(n - 3) / 2)

    ref = c * mpmath.quad(f, [-b, 0, 1])
    got = funk_hecke_eigenvalues("relu", n, k, bias=0.37)[k]
    assert abs(got - float(ref)) <= 1e-13 * abs(float(ref))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "erf", "softplus"])
@pytest.mark.parametrize("n", [3, 10])
def test_parseval_smooth(name, n):
    # Parseval: sum_k N(n,k) lambda_k^2 = E[phi^2].  Analytic activations: the tail beyond
    # k = 80 is below 1e-30, so the identity holds to rounding of E[phi^2] (quadrature, 1e-15).
    e = expand(name, n, 80)
    assert abs(e.tail_energy) <= 1e-14 * e.second_moment


@pytest.mark.parametrize("name,p", [("relu", 1), ("abs", 1), ("relu2", 2), ("step", 0)])
@pytest.mark.parametrize("n", [3, 10])
def test_parseval_piecewise(name, p, n):
    # Kinked activations: energies N(n,k) lambda_k^2 decay like a power of k, so the tail after
    # K = 3000 is estimated by integrating a power law fitted to the last 1000 energies.  The
    # measured tail must equal that estimate within 5 % (checks Parseval to ~1e-9 absolute).
    K = 3000
    e = expand(name, n, K)
    k = np.arange(K - 1000, K + 1)
    en = e.energies[K - 1000 :]
    live = en > 0
    slope, icpt = np.polyfit(np.log(k[live]), np.log(en[live]), 1)
    frac_live = live.mean()  # parity zeros: only a fraction of degrees carry energy
    tail_est = frac_live * math.exp(icpt) * (K + 0.5) ** (slope + 1) / -(slope + 1)
    assert slope < -1.5
    assert e.tail_energy == pytest.approx(tail_est, rel=0.05)


def test_expansion_resynthesis():
    # The truncated series converges to phi (smooth activation: spectrally fast).
    e = expand("tanh", 5, 40)
    t = np.linspace(-1, 1, 50)
    np.testing.assert_allclose(e(t), np.tanh(t), atol=1e-12)


def test_funk_hecke_monte_carlo():
    # The Funk-Hecke formula itself: E_y[phi(<x,y>) P_{k,n}(<y,e>)] = lambda_k P_{k,n}(<x,e>),
    # estimated with 200k uniform points (seeded); tolerance 5 standard errors.
    rng = np.random.default_rng(1)
    n, k = 6, 2
    y = rng.standard_normal((200_000, n))
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    x = np.zeros(n)
    x[0] = 1.0
    e = np.ones(n) / math.sqrt(n)
    samples = np.maximum(y @ x, 0) * legendre(n, k, np.clip(y @ e, -1, 1))
    lam = funk_hecke_eigenvalues("relu", n, k)[k]
    err = samples.std() / math.sqrt(samples.size)
    assert abs(samples.mean() - lam * legendre(n, k, float(x @ e))) < 5 * err


def test_underflow_warning_and_log_scale():
    # ReLU at n = 10^6: lambda_k ~ n^{-k/2} leaves float64 around k ~ 100.
    with pytest.warns(EigenvalueUnderflowWarning, match="log=True"):
        lam = funk_hecke_eigenvalues("relu", 10**6, 200)
    sign, log_abs = funk_hecke_eigenvalues("relu", 10**6, 200, log=True)
    assert sign[200] != 0 and log_abs[200] < math.log(1e-308)
    assert lam[200] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        funk_hecke_eigenvalues("relu", 10**6, 20)  # no warning within range


def test_large_n_relu_matches_moment_asymptotics():
    # lambda_2(relu) = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2) (n-1)(n+1))  (closed form, exact)
    # (evaluated in mpmath: float lgamma differences lose ~log10(n log n) digits at large n)
    for n in [3, 10, 1000, 10**5, 10**7]:
        ref = mpmath.gammaprod([mpmath.mpf(n) / 2], [mpmath.mpf(n - 1) / 2]) / (
            mpmath.sqrt(mpmath.pi) * (n - 1) * (n + 1)
        )
        got = funk_hecke_eigenvalues("relu", n, 2)[2]
        assert abs(got - float(ref)) <= 2 * np.finfo(float).eps * float(ref)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 50), st.floats(-0.9, 0.9), st.floats(0.2, 3.0))
def test_gate_reflection(n, b, s):
    # phi(-s t + b) has eigenvalues (-1)^k lambda_k(phi(s t + b))  (t -> -t symmetry).
    # Compared in log scale: some examples fall below the float64 range.
    sa, la = funk_hecke_eigenvalues("relu", n, 20, scale=s, bias=b, log=True)
    sr, lr = funk_hecke_eigenvalues("relu", n, 20, scale=-s, bias=b, log=True)
    np.testing.assert_array_equal(sr, sa * (-1.0) ** np.arange(21))
    live = sa != 0
    np.testing.assert_allclose(lr[live], la[live], rtol=1e-13, atol=1e-13)


def test_polynomial_exact():
    # t^2 = 1/n + (n-1)/n P_{2,n} (P_{2,n} = (n t^2 - 1)/(n-1)): lambda_0 = 1/n, lambda_2 =
    # (n-1)/n / N(n,2) exactly (orthogonality).
    for n in [2, 3, 7, 1000]:
        lam = funk_hecke_eigenvalues("polynomial", n, 4, coeffs=[0, 0, 1])
        np.testing.assert_allclose(
            lam, [1 / n, 0, (n - 1) / n / dim_harmonics(n, 2), 0, 0], rtol=1e-15, atol=0
        )


def test_callable_parity_zeros_and_cos():
    lam = funk_hecke_eigenvalues(np.cos, 4, 10)
    assert np.all(lam[1::2] == 0.0)


@pytest.mark.parametrize(
    "call,exc,msg",
    [
        (lambda: funk_hecke_eigenvalues("relu", 1, 3), ValueError, "n must be an integer >= 2"),
        (lambda: funk_hecke_eigenvalues("relu", 3.5, 3), TypeError, "n must be an integer"),
        (lambda: funk_hecke_eigenvalues("relu", 3, -1), ValueError, "kmax must be"),
        (lambda: funk_hecke_eigenvalues("relu", 3, 2.5), TypeError, "kmax must be"),
        (lambda: funk_hecke_eigenvalues("rleu", 3, 3), ValueError, r"known: abs, .*\brelu, .*tanh"),
        (lambda: funk_hecke_eigenvalues(42, 3, 3), TypeError, "activation must be"),
        (lambda: funk_hecke_eigenvalues("relu", 3, 3, scale=0.0), ValueError, "scale must be"),
        (lambda: funk_hecke_eigenvalues("relu", 3, 3, bias=np.nan), ValueError, "bias must be"),
        (lambda: funk_hecke_eigenvalues("polynomial", 3, 3), ValueError, "coeffs="),
        (lambda: funk_hecke_eigenvalues("relu_power", 3, 3), ValueError, "power="),
        (lambda: funk_hecke_eigenvalues("tanh", 3, 3, power=2), ValueError, "power="),
        (lambda: funk_hecke_eigenvalues(lambda t: t / 0.0, 3, 3), ValueError, "NaN or inf"),
        (lambda: funk_hecke_eigenvalues(lambda t: 1 / t, 3, 3), ValueError, "square-integrable"),
        (
            lambda: funk_hecke_eigenvalues(lambda t: 1.0 / np.abs(t) ** 0.75, 5, 3),
            ValueError,
            "square-integrable",
        ),
        (lambda: funk_hecke_eigenvalues(lambda t: t[:2], 3, 3), ValueError, "shape"),
        (lambda: funk_hecke_eigenvalues(np.sin, 3, 3, kinks=[2.0]), ValueError, "kinks"),
    ],
)
def test_bad_input(call, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(exc, match=msg):
            call()


@pytest.mark.parametrize(
    ("name", "scale", "zero_parity", "from_k"),
    [("tanh", 3.0, 0, 0), ("sigmoid", 5.0, 0, 2), ("softplus", 3.0, 1, 3)],
)
def test_symmetry_zeros_exact_on_quadrature_fallback(name, scale, zero_parity, from_k):
    # scale >= 0.8 x radius of convergence: the mpmath quadrature path.  Reference: symmetry
    # (tanh odd; sigmoid = 1/2 + odd; softplus(x) = x/2 + even), so these are exactly 0.
    lam = funk_hecke_eigenvalues(name, 3, 9, scale=scale)
    ks = [k for k in range(10) if k >= from_k and k % 2 == zero_parity]
    assert all(lam[k] == 0.0 for k in ks), lam
    others = [k for k in range(10) if k not in ks and k >= 1]
    assert all(lam[k] != 0.0 for k in others), lam
