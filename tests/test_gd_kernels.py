"""gd_operator.kernel: closed forms vs independent integrals, and the re-synthesis
K(rho) = sum_k N(n,k) mu_k P_{k,n}(rho) with a rigorous truncation bound."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate, special

from gd_operator import kernel, spectrum
from gd_operator.kernels import arccos_j
from harmonics import dim_harmonics, legendre


def test_arccos_j_series_region_vs_mpmath():
    # J_1, J_2 near rho = -1 (phi = pi - theta small) where the direct formulas cancel; the
    # series path keeps ~1e-15 relative.  Reference: mpmath at 80 digits (the cancellation
    # J_2 ~ phi^5 costs up to 30 digits at phi = 1e-6).
    mp.mp.dps = 80
    try:
        for rho in (-1 + 1e-12, -1 + 1e-6, -0.99, -0.7, -0.5, 0.0, 0.4, 0.999):
            th = mp.acos(mp.mpf(rho))
            j1 = mp.sin(th) + (mp.pi - th) * mp.cos(th)
            j2 = 3 * mp.sin(th) * mp.cos(th) + (mp.pi - th) * (1 + 2 * mp.cos(th) ** 2)
            assert float(arccos_j(1, rho)) == pytest.approx(float(j1), rel=4e-15)
            assert float(arccos_j(2, rho)) == pytest.approx(float(j2), rel=4e-15)
            assert float(arccos_j(0, rho)) == pytest.approx(float(mp.pi - th), rel=4e-16)
    finally:
        mp.mp.dps = 15


def _gauss_pair(g, rho):
    """E[g(u) g(v)], corr rho, by E_u[g(u) E_z g(rho u + s z)] with the inner mean in closed
    form for relu^p / step (Gaussian integrals) and scipy.quad on u (smooth on each side of 0)."""
    s = math.sqrt(1 - rho * rho)

    def inner(u):
        a = rho * u
        z = a / s
        cdf, pdf = special.ndtr(z), math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        if g == "relu":
            return a * cdf + s * pdf
        if g == "relu2":
            return (a * a + s * s) * cdf + a * s * pdf
        if g == "step":
            return cdf
        raise ValueError(g)

    outer = {"relu": lambda u: u, "relu2": lambda u: u * u, "step": lambda u: 1.0}[g]
    f = lambda u: outer(u) * inner(u) * math.exp(-u * u / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    val, err = integrate.quad(f, 0, np.inf, epsabs=1e-15, epsrel=1e-13, limit=200)
    return val


@pytest.mark.parametrize("rho", [-0.95, -0.5, 0.0, 0.3, 0.8, 0.99])
def test_gaussian_closed_forms_vs_integrals(rho):
    # E[relu relu] = kappa_1/2, E[relu^2 relu^2] = J_2/(2 pi), E[step step] = kappa_0/2:
    # against adaptive quadrature (tolerance 1e-13 relative, absolute 1e-15).
    for name, train, ref_g in (("relu", "output", "relu"), ("relu2", "output", "relu2")):
        assert kernel(name, 3, rho, init="gaussian", train=train) == pytest.approx(
            _gauss_pair(ref_g, rho), rel=1e-11, abs=1e-14
        )
    # hidden relu = rho E[step step];  hidden relu2 = rho * 4 E[relu relu]
    assert kernel("relu", 3, rho, init="gaussian", train="hidden") == pytest.approx(
        rho * _gauss_pair("step", rho), rel=1e-11, abs=1e-14
    )
    assert kernel("relu2", 3, rho, init="gaussian", train="hidden") == pytest.approx(
        4 * rho * _gauss_pair("relu", rho), rel=1e-11, abs=1e-14
    )
    # sign = 2 step - 1, abs = relu(u) + relu(-u): linear combinations of the above
    st = _gauss_pair("step", rho)
    assert kernel("sign", 3, rho, init="gaussian") == pytest.approx(4 * st - 1, abs=1e-12)
    ab = 2 * _gauss_pair("relu", rho) + 2 * _gauss_pair("relu", -rho)
    assert kernel("abs", 3, rho, init="gaussian") == pytest.approx(ab, rel=1e-11)


def test_smooth_gaussian_kernels_vs_2d_hermite():
    # Mehler series (tanh, gelu) and Williams' arcsine (erf) vs a direct 2-D Gauss-Hermite
    # rule for E[g(u) g(v)] (200 x 200 nodes; analytic integrands: converged to ~1e-13).
    z, w = special.roots_hermitenorm(200)
    w = w / w.sum()
    for name, fn, dfn in (
        ("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2),
        (
            "gelu",
            lambda x: x * special.ndtr(x),
            lambda x: special.ndtr(x) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi),
        ),
        ("erf", special.erf, lambda x: 2 / math.sqrt(math.pi) * np.exp(-x * x)),
    ):
        for beta in (0.0, 0.6):
            sig = math.sqrt(1 + beta**2)
            for rho in (-0.9, -0.2, 0.5, 0.97):
                rb = (rho + beta**2) / (1 + beta**2)
                u = sig * z[:, None]
                v = sig * (rb * z[:, None] + math.sqrt(1 - rb * rb) * z[None, :])
                ref_out = np.sum(w[:, None] * w[None, :] * fn(u) * fn(v))
                ref_der = np.sum(w[:, None] * w[None, :] * dfn(u) * dfn(v))
                b = beta if beta else None
                got = kernel(name, 4, rho, init="gaussian", bias=b)
                assert got == pytest.approx(ref_out, abs=2e-13), (name, beta, rho)
                got_h = kernel(name, 4, rho, init="gaussian", bias=b, train="hidden")
                assert got_h == pytest.approx((rho + beta**2) * ref_der, abs=2e-13)


def _synth(n, mu, rho):
    K = mu.size - 1
    N = np.array([float(dim_harmonics(n, k)) for k in range(K + 1)])
    P = legendre(n, np.arange(K + 1)[:, None], rho[None, :])
    return (N * mu) @ P


CASES = [
    (dict(activation="relu", init="gaussian", train="both"), 5, 300),
    (dict(activation="relu", init="sphere", train="both"), 3, 300),
    (dict(activation="relu", init="gaussian", train="both", bias=0.5), 4, 300),
    (dict(activation="relu2", init="gaussian", train="both"), 6, 200),
    (dict(activation="abs", init="sphere", train="both"), 3, 300),
    (dict(activation="sign", init="gaussian", train="output"), 3, 300),
    (dict(activation="erf", init="gaussian", train="both", bias=0.3), 5, 80),
    (dict(activation="tanh", init="gaussian", train="both"), 4, 80),
    (dict(activation="tanh", init="sphere", train="both"), 7, 40),
    (dict(activation="gelu", init="sphere", train="output"), 3, 40),
    (dict(activation="polynomial", coeffs=[0.5, -1, 0.2, 0.7], init="sphere", train="both"), 3, 6),
]


@pytest.mark.parametrize(
    "opts, n, K",
    CASES,
    ids=[f"{c[0]['activation']}-{c[0]['init']}-{c[0]['train']}-n{c[1]}" for c in CASES],
)
def test_resynthesis_with_truncation_bound(opts, n, K):
    # mu_k >= 0 and |P_{k,n}| <= 1, so |K(rho) - S_K(rho)| <= sum_{k>K} N(n,k) mu_k =
    # K(1) - S_K(1) for every rho: a rigorous bound computed from the two functions under test
    # (plus 1e-13 for rounding).  Kinked kernels converge slowly at rho = +-1 (tail ~ K^{-1}
    # for ReLU), smooth ones geometrically.
    rho = np.linspace(-1, 1, 81)
    mu = spectrum(n=n, kmax=K, **opts)
    assert np.all(mu >= 0)
    S = _synth(n, mu, rho)
    Kv = kernel(n=n, rho=rho, **opts)
    tail = float(kernel(n=n, rho=1.0, **opts) - S[-1])
    assert tail >= -1e-13
    assert np.max(np.abs(Kv - S)) <= tail + 1e-13
    assert tail < 5e-3 * float(Kv[-1])  # the truncation really is small
    if opts["activation"] in ("tanh", "gelu", "erf", "polynomial"):
        assert tail < 1e-12


def test_kernel_values_and_shapes():
    assert kernel("relu", 3, 1.0, init="gaussian") == pytest.approx(0.5, rel=1e-15)
    assert kernel("relu", 7, 1.0, init="sphere") == pytest.approx(0.5 / 7, rel=1e-15)
    assert kernel("relu", 3, 0.0, init="gaussian", train="both") == pytest.approx(1 / (2 * math.pi))
    out = kernel("relu", 3, np.zeros((2, 3)))
    assert out.shape == (2, 3)
    assert isinstance(kernel("relu", 3, 0.2), float)


def test_kernel_bad_inputs():
    with pytest.raises(ValueError, match=r"rho must lie in \[-1, 1\]"):
        kernel("relu", 3, 1.5)
    with pytest.raises(ValueError, match="train must be one of"):
        kernel("relu", 3, 0.5, train="last")
    with pytest.raises(ValueError, match="Dirac delta"):
        kernel("step", 3, 0.5, train="hidden")
    with pytest.raises(ValueError, match="init='gaussian' only"):
        kernel("relu", 3, 0.5, bias=0.1)
    with pytest.raises(ValueError, match="p <= 2"):
        kernel("relu3", 3, 0.5, init="gaussian")


@pytest.mark.parametrize("n", [2, 3, 4, 10, 1000])
def test_sphere_callable_kernels_polar_rule(n):
    """Sphere-init kernels of callables by the polar rule in the plane of x and y (cut where an
    argument is 0).  References: the closed arc-cosine forms of relu, abs, step divided by
    E[r^{2p}] (Cho & Saul 2009), and for sin at n = 2 the Bessel form
    (J_0(sqrt(2 - 2 rho)) - J_0(sqrt(2 + 2 rho)))/2 at 30 digits (mpmath).  Tolerance 1e-14 of
    max |K| (measured <= 3e-15; the tensor rule it replaced was off by 1e-5 to 2.5e-2)."""
    rho = np.concatenate([np.linspace(-1, 1, 41), [-0.999999, 1e-9, 0.999999]])
    for name, fn in (("relu", lambda t: np.maximum(t, 0.0)), ("abs", np.abs),
                     ("step", lambda t: (t > 0).astype(float))):  # fmt: skip
        got = kernel(fn, n, rho, init="sphere")
        ref = kernel(name, n, rho, init="sphere")
        assert np.max(np.abs(got - ref)) <= 1e-14 * np.max(np.abs(ref)), name
    if n == 2:
        mp.mp.dps = 30
        j0 = lambda r: mp.besselj(0, mp.sqrt(2 * mp.mpf(r)))  # noqa: E731
        ref = [float((j0(1 - mp.mpf(r)) - j0(1 + mp.mpf(r))) / 2) for r in rho]
        got = kernel(np.sin, 2, rho, init="sphere")
        assert np.max(np.abs(got - np.array(ref))) <= 1e-15


def test_steep_smooth_gaussian_callable_kernel_takes_its_hermite_series():
    """tanh(3 t) at Gaussian init: the polar rule's chi_2 radius (capped at 96 nodes) left
    1.1e-6; the callable's Hermite series gives the registered tanh(scale=3)'s values (exact
    Fourier-integral coefficients) to 1e-14 of max |K| (measured 1.5e-15)."""
    rho = np.linspace(-1, 1, 21)
    got = kernel(lambda t: np.tanh(3 * t), 3, rho, init="gaussian")
    ref = kernel("tanh", 3, rho, init="gaussian", scale=3.0)
    assert np.max(np.abs(got - ref)) <= 1e-14 * np.max(np.abs(ref))


def test_steep_callable_kernel_warns_instead_of_being_silently_off():
    """tanh(200 t) on S^9 needs more nodes than the polar rule's cap (off by 1.8e-8 against a
    1024 x 3000-node rule): a SeriesTruncationWarning states the last change.  tanh(50 t) is
    within its cap (4e-16; the tensor rule before was off by 7e-6 without a word)."""
    import warnings

    from gd_operator import SeriesTruncationWarning

    with pytest.warns(SeriesTruncationWarning, match="polar quadrature"):
        kernel(lambda t: np.tanh(200 * t), 10, np.array([0.3]), init="sphere")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kernel(lambda t: np.tanh(50 * t), 10, np.array([0.3]), init="sphere")


@pytest.mark.parametrize(
    "name, fn",
    [
        ("relu", lambda t: np.maximum(t, 0.0)),
        ("abs", np.abs),
        ("step", lambda t: (t > 0).astype(float)),
        ("tanh", np.tanh),
        ("erf", special.erf),
    ],
)
@pytest.mark.parametrize("n", [3, 10, 1000])
def test_gaussian_callable_kernel_polar_rule(name, fn, n):
    """Gaussian-init callable (NNGP, no bias): kinked ones by the polar rule cut where u = 0 or
    v = 0, smooth ones (tanh, erf) by their Hermite series (the deep engine at depth 1).
    References: the arc-cosine closed forms (relu, abs, step; Cho & Saul 2009), erf's arcsin
    form (Williams 1997), tanh's exact Mehler series (Fourier-integral coefficients, tested
    against mpmath).  Tolerance 1e-14 of max |K|: measured <= 2.2e-15 (a kink at 0 sits on an
    arc end, so nothing is lost to it); the old chi_n x sphere rule was off by 2e-5 (relu) to
    3e-4 (abs, n = 10) and 1e-11 for tanh."""
    rho = np.concatenate([np.linspace(-1, 1, 41), [-0.999999, 1e-9, 0.999999]])
    got = kernel(fn, n, rho, init="gaussian")
    ref = kernel(name, n, rho, init="gaussian")
    assert np.max(np.abs(got - ref)) <= 1e-14 * np.max(np.abs(ref))


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "gelu", "softplus", "erf"])
@pytest.mark.parametrize("n", [2, 3, 10, 100])
@pytest.mark.parametrize("train", ["output", "hidden", "both"])
def test_sphere_kernel_series_route_matches_the_gauss_rule(act, n, train):
    """Sphere init, smooth gates, many rho values: kernel() sums N(n,k) mu_k P_{k,n}(rho) over
    k <= 200 (mu_k from spectrum) instead of the polar Gauss rule per value.  Reference: that
    rule (an independent route, exponentially convergent for smooth gates) at the same points.
    Tolerance 1e-13 K(1): the series' truncation is checked below 1e-13 K(1) before it is used,
    and rounding of the sum is ~eps K(1) (measured max 1.4e-14 K(1), gelu n = 2)."""
    from gd_operator import kernels as K

    rho = np.concatenate([np.random.default_rng(1).uniform(-1, 1, 80), [-1.0, 0.0, 1.0]])
    got = kernel(act, n, rho, train=train)
    ref = K._numeric_sphere(K.resolve(act), rho, n, train)
    assert rho.size >= K.SERIES_MIN_POINTS
    assert np.max(np.abs(got - ref)) <= 1e-13 * abs(ref[-1])
    assert np.max(np.abs(got - ref)) > 0  # the series route was taken (not the rule itself)


def test_callable_returning_nan_or_a_scalar():
    """A callable that is not finite where the rule evaluates it (np.log on the real line) is a
    ValueError naming the callable, not a silent NaN kernel; a constant callable (a scalar
    return) is broadcast: its kernel is the constant squared (exact: E[1 * 1] = 1)."""
    for init in ("gaussian", "sphere"):
        with pytest.raises(ValueError, match="callable log returned NaN or inf"):
            kernel(np.log, 3, 0.3, init=init)
        got = kernel(lambda t: 2.0, 3, np.array([-1.0, 0.3, 1.0]), init=init)
        np.testing.assert_allclose(got, 4.0, rtol=1e-14)
    with pytest.raises(ValueError, match="elementwise"):
        kernel(lambda t: np.ones(3), 3, 0.3, init="sphere")
    with pytest.raises(ValueError, match="NaN or inf"):
        spectrum(np.log, 3, 5, init="gaussian", train="both")
