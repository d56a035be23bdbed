"""gd_operator.spectrum against independent references.

References: mpmath quadrature of textbook closed-form kernels (tests/reference/
make_gd_reference.py, 40 digits); the Basri et al. (2019) closed form on the circle; float
quadrature of the arc-cosine kernels; the radial route vs the Hermite/Mehler route (two
different formulas for the same eigenvalues); Bietti & Mairal's k^{-n} decay.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from gd_operator import spectrum
from gd_operator._gates import resolve
from gd_operator.spectrum import _log_spectrum
from harmonics import funk_hecke_eigenvalues, get_activation, legendre
from harmonics._quadrature import theta_rule

REF = os.path.join(os.path.dirname(__file__), "reference", "gd_reference.json")


def _load():
    with open(REF) as fh:
        return json.load(fh)


def _cases():
    return [pytest.param(c, id=c["name"]) for c in _load()["cases"]]


@pytest.mark.parametrize("case", _cases())
@pytest.mark.parametrize("train", ["output", "hidden", "both"])
def test_against_mpmath_reference(case, train):
    # Closed forms (ReLU), a positive 1-D integral of closed forms (ReLU + bias) and exact
    # Hermite energies (erf) are all accurate to a few ulps times the number of terms summed;
    # 5e-13 relative leaves room for the lgamma-based constants (observed <= 1e-13).
    p = case["params"]
    ref = np.array([float(x) for x in case[train]])
    kmax = ref.size - 1
    mu = spectrum(p["activation"], case["n"], kmax, train=train, init=p["init"], bias=p["bias"])
    for k in range(kmax + 1):
        if abs(ref[k]) < 1e-40:  # reference quadrature of an exact zero
            assert mu[k] == 0.0, (k, mu[k])
        else:
            assert mu[k] == pytest.approx(ref[k], rel=5e-13, abs=0), (k, mu[k], ref[k])


def test_basri_circle_anchor():
    # Basri et al. 2019: n = 2, hidden layer, ReLU, no bias: mu_k proportional to
    # (k^2 + 1)/(k^2 - 1)^2 for even k, 0 for odd k >= 3; our normalization gives the
    # constant 1/pi^2 (lambda_k(step) = sin(k pi/2)/(k pi) on the circle).
    k = np.arange(41)
    for init in ("sphere", "gaussian"):
        mu = spectrum("relu", 2, 40, train="hidden", init=init)
        even = k[2::2]
        np.testing.assert_allclose(
            mu[even], (even**2 + 1) / (np.pi**2 * (even**2 - 1) ** 2), rtol=1e-14
        )
        assert np.all(mu[3::2] == 0.0)
        assert mu[1] == pytest.approx(1 / 8, rel=1e-15)  # (mu'_0 + mu'_2)/2 = (1/4)/2


@pytest.mark.parametrize("n", [2, 3, 5, 12])
def test_arccos_closed_forms_vs_quadrature(n):
    # Float Gauss-Legendre in theta of kappa_1/2 + t kappa_0/2 (analytic in theta):
    # absolute accuracy ~1e-16, so compare the eigenvalues above 1e-9 at 1e-10 relative.
    t, w = theta_rule(n, panels=64, order=48)
    th = np.arccos(t)
    k0 = (np.pi - th) / np.pi
    k1 = (np.sin(th) + (np.pi - th) * np.cos(th)) / np.pi
    kernels = {"output": k1 / 2, "hidden": t * k0 / 2, "both": k1 / 2 + t * k0 / 2}
    P = np.array([legendre(n, k, t) for k in range(11)])
    for train, K in kernels.items():
        ref = P @ (w * K)
        mu = spectrum("relu", n, 10, train=train, init="gaussian")
        big = np.abs(ref) > 1e-9
        np.testing.assert_allclose(mu[big], ref[big], rtol=1e-10)
        assert np.all(np.abs(mu[~big] - ref[~big]) < 1e-14)


def test_sphere_vs_gaussian_homogeneous():
    # w = r w^ with E[r^2] = n: Gaussian-init ReLU output kernel is n times the sphere one,
    # K' is the same (step is 0-homogeneous).  Exact identity of the closed forms.
    for n in (3, 7, 50):
        g = spectrum("relu", n, 20, init="gaussian")
        s = spectrum("relu", n, 20, init="sphere")
        np.testing.assert_allclose(g, n * s, rtol=1e-14)
        gh = spectrum("relu", n, 20, init="gaussian", train="hidden")
        sh = spectrum("relu", n, 20, init="sphere", train="hidden")
        np.testing.assert_allclose(gh, sh, rtol=1e-14)


def test_output_layer_is_lambda_squared():
    # docs/conventions.md, "Kernel conventions": sphere init, output layer, mu_k = lambda_k(phi)^2.
    for act in ("relu", "sigmoid", "tanh"):
        lam = funk_hecke_eigenvalues(act, 6, 12)
        np.testing.assert_allclose(spectrum(act, 6, 12), lam**2, rtol=1e-14, atol=0)


@pytest.mark.parametrize("n", [3, 4, 10])
def test_ntk_decay_exponent(n):
    # Bietti & Mairal 2019: the ReLU NTK eigenvalues decay like k^{-n} (even k).  The local
    # slope of log mu_k vs log k over [a, 2a] approaches -n with an O(n^2/k) correction
    # (observed 0.003, 0.007, 0.07 at a = 400 for n = 3, 4, 10): require |slope + n| < 0.1
    # on [400, 800] and that the error shrinks by at least 0.6x when a doubles.
    _, log_mu = spectrum("relu", n, 1600, train="both", init="gaussian", log=True)

    def slope(a):
        k = np.arange(a, 2 * a + 1, 2)
        return np.polyfit(np.log(k), log_mu[k], 1)[0]

    s400, s800 = slope(400), slope(800)
    assert abs(s400 + n) < 0.1
    assert abs(s800 + n) < 0.6 * abs(s400 + n)
    assert s800 < 0  # decaying


def test_three_term_against_direct_moment():
    # rho K'(rho) eigenvalues from the three-term relation vs the Mehler moment formula with
    # weights j (two different derivations) for a polynomial activation (exact both ways).
    g = resolve("polynomial", coeffs=[0.2, -0.7, 0.4, 0.3, -0.1])
    for n in (2, 3, 8):
        via_mehler = _log_spectrum(g, n, 6, "hidden", "gaussian", 0.0, "mehler")
        via_radial = _log_spectrum(g, n, 6, "hidden", "gaussian", 0.0, "radial", radial_nodes=12)
        finite = np.isfinite(via_mehler)
        np.testing.assert_array_equal(finite, np.isfinite(via_radial))
        np.testing.assert_allclose(
            np.exp(via_radial[finite]), np.exp(via_mehler[finite]), rtol=1e-12
        )


@pytest.mark.parametrize("act, nodes", [("erf", 32), ("gelu", 24)])
def test_radial_vs_mehler(act, nodes):
    # Radial route E_r[lambda_k(g(r .))^2] (harmonics' series eigenvalues at each Gauss node
    # of chi_n) vs Mehler route sum_j h_j^2 E[t^j P_k] -- independent formulas.  The chi rule
    # converges geometrically in the number of nodes (erf: 5e-10 at 24, 6e-13 at 32, 1e-15 at
    # 40 nodes; gelu: 4e-14 at 24), so 1e-11 relative checks agreement to many digits.
    g = resolve(act)
    n = 5
    for train in ("output", "hidden"):
        a = _log_spectrum(g, n, 4, train, "gaussian", 0.0, "mehler")
        b = _log_spectrum(g, n, 4, train, "gaussian", 0.0, "radial", radial_nodes=nodes)
        finite = np.isfinite(a)
        np.testing.assert_array_equal(finite, np.isfinite(b))
        np.testing.assert_allclose(np.exp(b[finite]), np.exp(a[finite]), rtol=1e-11)


def _tanh_ntk_reference(n, kmax, P=300):
    """mu_k of the depth-1 tanh NTK (Gaussian init, no bias) at 30 digits, independent of the
    package: Hermite coefficients from tanh's Fourier transform -i pi csch(pi w / 2),
    h_j = E[tanh^{(j)}(Z)] = -(-1)^{(j+1)/2} int_0^inf w^j csch(pi w / 2) e^{-w^2/2} dw (odd j;
    a positive integrand), K(rho) = sum_p (1 + p) h_p^2 / p! rho^p, and the exact moments
    E[t^p P_{k,n}] (Rodrigues).  Terms fall like exp(-pi sqrt(p)): P = 300 leaves < 1e-20."""
    import mpmath as mp

    with mp.workdps(30):
        c = [mp.mpf(0)] * (P + 1)
        for p in range(1, P + 1, 2):
            h = mp.quad(
                lambda w, p=p: w**p * mp.csch(mp.pi * w / 2) * mp.exp(-w * w / 2),
                [0, 1, 4, 10, mp.sqrt(p) + 10, mp.inf],
            )
            c[p] = (1 + p) * h**2 / mp.factorial(p)
        out = []
        for k in range(kmax + 1):
            prod, m, f, tot = mp.fprod(n + 2 * i for i in range(k)), n + 2 * k, mp.factorial(k), 0
            for i in range((P - k) // 2 + 1):
                q = k + 2 * i
                if i > 0:
                    f *= mp.mpf(q * (q - 1)) / (2 * i * (m + 2 * i - 2))
                tot += c[q] * f
            out.append(float(tot / prod))
    return np.array(out)


@pytest.mark.slow
def test_radial_and_mehler_tanh_vs_mpmath():
    # tanh at radius r > 0.8 * pi/2 uses harmonics' high-precision quadrature: slow.  Reference:
    # the 30-digit Hermite/Fourier series above.  Mehler (float Gauss-Hermite h_j, ~1e-15
    # absolute each): 1e-14.  Radial: tanh(r t) is analytic only in a strip of r, so the
    # Gauss-chi rule converges subexponentially (measured at k <= 4: 24 nodes 4e-7, the default
    # 40 6e-10, 48 9e-11, 96 2e-15); 96 nodes at 1e-13.  Parity zeros exact in both.
    g = resolve("tanh")
    ref = _tanh_ntk_reference(4, 4)
    a = np.exp(_log_spectrum(g, 4, 4, "both", "gaussian", 0.0, "mehler"))
    b = np.exp(_log_spectrum(g, 4, 4, "both", "gaussian", 0.0, "radial", radial_nodes=96))
    assert np.all(a[::2] == 0.0) and np.all(b[::2] == 0.0)
    np.testing.assert_allclose(a[1::2], ref[1::2], rtol=1e-14)
    np.testing.assert_allclose(b[1::2], ref[1::2], rtol=1e-13)


def test_generic_hermite_vs_exact_erf():
    # The float Gauss-Hermite coefficients (used for every analytic activation) against the
    # exact arcsine-series energies of erf: absolute accuracy ~1e-15 in h_j.
    from gd_operator._hermite import _h_generic, _log_h2_erf

    g = resolve("erf")
    for sigma in (1.0, 1.5):
        h, energy = _h_generic(g, sigma, 80)
        log_exact, e_exact = _log_h2_erf(1.0, sigma, 80)
        exact = np.where(np.isfinite(log_exact), np.exp(log_exact), 0.0)
        assert np.max(np.abs(np.sqrt(exact) - np.abs(h))) < 1e-14
        assert energy == pytest.approx(e_exact, rel=1e-14)


def test_sphere_hidden_derivative_paths():
    # lambda_k(tanh') on the sphere: n = 10 via lambda_k^{(n)}(g') = (n-2) lambda_{k+1}^{(n-2)}(g)
    # (relative accuracy), n = 3 via float quadrature of g' (absolute ~1e-15); both against
    # 40-digit mpmath quadrature.
    from gd_operator.spectrum import _log_der_sphere

    ref = _load()["lambda_tanh_derivative_sphere"]
    for n, tol in ((10, 1e-13), (3, 1e-15)):
        lam = np.array([float(x) for x in ref[str(n)]])
        got = np.exp(_log_der_sphere(resolve("tanh"), n, lam.size - 1))
        if n == 10:
            nz = np.abs(lam) > 1e-40  # odd k: tanh' is even, the reference is quadrature noise
            np.testing.assert_allclose(got[nz], lam[nz] ** 2, rtol=tol)
            assert np.all(got[~nz] == 0.0)
        else:
            np.testing.assert_allclose(got, lam**2, rtol=0, atol=tol)


def test_derivative_identity_for_relu():
    # The identity used for analytic gates, checked where both sides are closed forms:
    # lambda_k^{(n)}(step) = (n-2) lambda_{k+1}^{(n-2)}(relu).
    for n in (4, 7, 30):
        a = funk_hecke_eigenvalues("step", n, 15)
        b = (n - 2) * funk_hecke_eigenvalues("relu", n - 2, 16)[1:]
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-300)


def test_bias_removes_odd_zeros_and_is_continuous():
    n = 6
    plain = spectrum("relu", n, 9, train="both", init="gaussian")
    assert np.all(plain[3::2] == 0)
    biased = spectrum("relu", n, 9, train="both", init="gaussian", bias=0.3)
    assert np.all(biased > 0)
    # beta -> 0: the biased eigenvalues tend to the unbiased ones (continuity of the kernel);
    # at beta = 1e-4 the kernel changes by O(beta^2) in sup norm.
    tiny = spectrum("relu", n, 9, train="both", init="gaussian", bias=1e-4)
    np.testing.assert_allclose(tiny[0::2], plain[0::2], rtol=1e-6)
    assert np.all(tiny[3::2] < 1e-8 * plain[2])


def test_large_n_log_scale():
    # n = 1000, k <= 100: every even mu_k of the Gaussian ReLU NTK is in float64 range
    # (~1e-148 at k = 100) and the log output agrees with the plain one; far below the
    # range (n = 10^5, k = 100: ~1e-400) only log=True can represent it.
    sign, log_mu = spectrum("relu", 1000, 100, train="both", init="gaussian", log=True)
    mu = spectrum("relu", 1000, 100, train="both", init="gaussian")
    even = np.arange(0, 101, 2)
    np.testing.assert_allclose(np.log(mu[even]), log_mu[even], rtol=1e-14)
    assert np.all(sign[3::2] == 0)
    sign, log_mu = spectrum("relu", 10**5, 100, train="both", init="gaussian", log=True)
    assert log_mu[100] < math.log(1e-308) and np.isfinite(log_mu[100])
    assert spectrum("relu", 10**5, 100, train="both", init="gaussian")[100] == 0.0
    # the n^{-k} scaling at k << n: mu_{k+2}/mu_k ~ k^2/n^2 -- check the exponent in n
    lm1 = spectrum("relu", 10**4, 6, init="gaussian", log=True)[1]
    lm2 = spectrum("relu", 10**5, 6, init="gaussian", log=True)[1]
    # output layer: mu_k = n lambda_k^2 ~ n^{1-k-1}: slope -k in log n (within 1%)
    even = [2, 4, 6]
    slopes = (lm2[even] - lm1[even]) / math.log(10)
    np.testing.assert_allclose(slopes, [-2, -4, -6], rtol=1e-2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(train="all"), "train must be one of"),
        (dict(init="uniform"), "init must be one of"),
        (dict(method="fast"), "method must be one of"),
        (dict(bias=0.5), "init='gaussian' only"),
        (dict(bias=-1.0, init="gaussian"), "bias must be >= 0"),
        (dict(init="sphere", method="mehler"), "applies to init='gaussian'"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        spectrum("relu", 5, 4, **kwargs)


def test_bad_activation_and_dimension():
    with pytest.raises(ValueError, match="Dirac delta"):
        spectrum("step", 5, 4, train="hidden")
    with pytest.raises(ValueError, match="Dirac delta"):
        spectrum("sign", 5, 4, train="both", init="gaussian")
    with pytest.raises(ValueError, match="a callable does not provide"):
        spectrum(np.tanh, 5, 4, train="both")
    with pytest.raises(ValueError, match="unknown activation"):
        spectrum("swishy", 5, 4)
    with pytest.raises(TypeError, match="activation must be"):
        spectrum(3.0, 5, 4)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        spectrum("relu", 1, 4)
    with pytest.raises(ValueError, match="kmax must be"):
        spectrum("relu", 3, -1)
    with pytest.raises(ValueError, match="fixed shift"):
        spectrum(resolve("relu", scale=1.0).act.__class__("relu", 1.0, 0.1), 3, 4, init="gaussian")
    with pytest.raises(ValueError, match="Gaussian bias is supported"):
        spectrum("abs", 3, 4, init="gaussian", bias=0.2)


def test_callable_output_layer():
    # A callable equal to relu, with its kink declared, gives lambda_k^2 to the absolute
    # accuracy of harmonics' float quadrature (~1e-15 in lambda_k); relu's odd k >= 3 are
    # exactly 0, so the callable's mu_3, mu_5 are pure noise, which the warning names.
    from gd_operator import CoefficientNoiseWarning

    relu = lambda t: np.maximum(t, 0.0)  # noqa: E731
    for init in ("sphere", "gaussian"):
        with pytest.warns(CoefficientNoiseWarning, match="2 degree.*first k = 3"):
            mu = spectrum(relu, 4, 6, init=init, kinks=[0.0])
        ref = spectrum("relu", 4, 6, init=init)
        np.testing.assert_allclose(mu, ref, rtol=0, atol=1e-13 * ref[0])
    with pytest.raises(ValueError, match="kinks apply to callables"):
        spectrum("relu", 4, 6, kinks=[0.0])


@pytest.mark.parametrize(("act", "zero_parity"), [("tanh", 0), ("sin", 0), ("cos", 1)])
@pytest.mark.parametrize("train", ["output", "both"])
def test_odd_and_even_gates_have_exact_parity_zeros(act, zero_parity, train):
    # An odd gate's NNGP and NTK are odd in rho (h_0 = 0 exactly: the float Gauss-Hermite rule
    # gave tanh h_0^2 = 1.2e-35 and a spurious mu_0); an even gate's are even (reference: the
    # parity of the kernel, mu_k = 0 exactly for k of the other parity).
    import gd_operator as gdo

    mu = gdo.spectrum(act, 4, 7, train=train, init="gaussian")
    assert np.all(mu[zero_parity::2] == 0.0)
    assert np.all(mu[1 - zero_parity :: 2] > 0.0)


def test_gelu_hermite_closed_form_vs_mpmath():
    """_log_h2_gelu (closed form via gelu'' = phi_N - phi_N'') against 30-digit mpmath
    quadrature of h_j = E[gelu(sigma z) He_j(z)] / sqrt(j!) and E[gelu(sigma z)^2]: an
    independent reference.  Rounding of the long-double log sums: 1e-14 relative."""
    import mpmath as mp

    from gd_operator._hermite import _log_h2_gelu

    with mp.workdps(30):
        for s, sigma in ((1.0, 1.0), (0.7, 1.3), (-2.0, 1.0)):
            a = abs(s) * sigma
            log_h2, energy = _log_h2_gelu(s, sigma, 60)
            for j in (0, 1, 2, 3, 4, 7, 10, 30, 60):

                def f(z, j=j, b=s * sigma):
                    x = b * z
                    return x * mp.ncdf(x) * mp.hermite(j, z / mp.sqrt(2)) * 2 ** (-mp.mpf(j) / 2)

                h = mp.quad(lambda z, f=f: f(z) * mp.npdf(z), [-mp.inf, -5, 0, 5, mp.inf])
                ref = h * h / mp.factorial(j)
                if abs(ref) < mp.mpf(10) ** -25 * a:
                    assert log_h2[j] == -np.inf, (s, sigma, j)
                else:
                    assert abs(np.exp(log_h2[j]) / float(ref) - 1) < 1e-14, (s, sigma, j)
            e_ref = mp.quad(
                lambda z, b=s * sigma: (b * z * mp.ncdf(b * z)) ** 2 * mp.npdf(z),
                [-mp.inf, 0, mp.inf],
            )
            assert energy == pytest.approx(float(e_ref), rel=1e-14)


def test_float_ingredients_report_their_noisy_degrees():
    """Callables (float64 quadrature eigenvalues) and gates with a fixed shift (float
    Gauss-Hermite coefficients) used to return noise-dominated mu_k silently: np.tanh at n = 3,
    kmax = 200 gave mu_199 e^34 times too large (Gaussian init) and e^400 (sphere init).  Now a
    CoefficientNoiseWarning names the first degree whose estimated relative error exceeds
    1e-9.  Reference: the exact route of the registered name (Fourier-integral coefficients,
    ~1e-14).  No degree before the named one may be off by more than 1e-9 (the estimate
    misses nothing), and the named one must be off by more than 5e-12 (the estimate is at most
    ~200x pessimistic: measured 1.6e-11 at k = 29, Gaussian init, where the first true 1e-9
    is at k = 41; 6.3e-11 at k = 11 at sphere init, true 1e-9 at k = 15).  Small kmax, exact
    routes and polynomials (closed-form coefficients) give no warning."""
    import re
    import warnings

    from gd_operator import CoefficientNoiseWarning

    odd = np.arange(121) % 2 == 1  # tanh: even degrees are exactly 0 on both routes
    for init in ("gaussian", "sphere"):
        exact = spectrum("tanh", 3, 120, train="output", init=init)
        with pytest.warns(CoefficientNoiseWarning, match="first k = ") as rec:
            got = spectrum(np.tanh, 3, 120, train="output", init=init)
        first = int(re.search(r"first k = (\d+)", str(rec[0].message)).group(1))
        rel = np.abs(got - exact) / np.where(odd, np.abs(exact), 1.0)
        assert np.all(rel[:first] <= 1e-9), (init, first, rel[:first].max())
        assert rel[first] > 5e-12, (init, first, rel[first])
        with warnings.catch_warnings():
            warnings.simplefilter("error", CoefficientNoiseWarning)
            spectrum(np.tanh, 10, 20, train="output", init="gaussian")
            spectrum("tanh", 3, 200, train="both", init=init)  # exact routes never warn
            cubic = get_activation("polynomial", coeffs=(0.1, 1, 0, -0.3))
            spectrum(cubic, 3, 8, init="gaussian", bias=0.5)
            spectrum(get_activation("polynomial", coeffs=(0, 0, 1), bias=0.3), 3, 10)
    shifted = get_activation("tanh", bias=0.3)
    with pytest.warns(CoefficientNoiseWarning, match="Gauss-Hermite"):
        spectrum(shifted, 3, 120, train="output", init="gaussian")


def test_polynomial_hermite_coefficients_are_exact():
    """p(s sigma z + b0) has closed-form Hermite coefficients (_log_h2_polynomial): exact zeros
    where the structure says (the float rule left ~1e-17 there, a spurious mu_k), and the
    other values against the Gauss-Hermite rule to 1e-13 relative (its rounding)."""
    from gd_operator._gates import resolve
    from gd_operator._hermite import _h_generic, log_hermite_energies

    for coeffs, scale, bias in [
        ((0.1, 1, 0, -0.3), 1.0, 0.0),
        ((0.5, -1, 2, 0.3, -0.1), 1.7, -0.4),
    ]:
        gate = resolve(get_activation("polynomial", coeffs=coeffs, scale=scale, bias=bias))
        log_h2, energy = log_hermite_energies(gate, 1.3, 12)
        h_rule, e_rule = _h_generic(gate, 1.3, 12)
        big = np.abs(h_rule) > 1e-12
        np.testing.assert_allclose(np.exp(0.5 * log_h2[big]), np.abs(h_rule[big]), rtol=1e-13)
        assert np.all(np.isneginf(log_h2[~big]))
        assert energy == pytest.approx(e_rule, rel=1e-14)
    zero_h2 = log_hermite_energies(
        resolve(get_activation("polynomial", coeffs=(0.1, 1, 0, -0.3))), 1.0, 5
    )[0]
    assert np.isneginf(zero_h2[2]) and np.isneginf(zero_h2[4])  # no x^2 term, degree 3
