"""Hermite coefficients of tanh, sigmoid, softplus and silu from tanh's Fourier transform.

gd_operator/_hermite_tanh.py sums h_j^2 = a^{2j} I_j^2 / j!, I_j = int_0^inf w^j csch(pi w / 2)
e^{-a^2 w^2 / 2} dw, by a trapezoid rule in float64.  References, both mpmath at 40 digits and
independent of that rule:

* small j: the definition itself, E[g(a z) He_j(z)] / sqrt(j!) by adaptive quadrature on the
  real line (He_j = 2^{-j/2} H_j(z / sqrt 2), mpmath's Hermite polynomials) -- this checks the
  Fourier formula and the sigmoid / softplus identities, not only their summation;
* large j (the direct integral cancels ~j digits there): I_j by mpmath's adaptive quadrature,
  split around the integrand's peak;
* energies E[g(a z)^2] by quadrature.

Tolerances: the float rule carries ~1e-16 relative per term, and the long-double assembly
j log(a w) - log j! ~1e-19 relative of ~10^4: measured <= 2.6e-14 at j <= 2001 for a >= 0.3
(2.7e-13 at j = 6001, a = 0.05; 1e-12 at a = 0.01, j = 4001, where h_j^2 ~ e^{-15000}); bounds
below are ~5x the measured values.  Softplus' h_0 and energy come from a Gauss-Hermite rule
sized for a <= ~15 (softplus_rule_size): 1e-14 there.

silu's even h_j come from the difference j I_{j-1} - b^2 I_{j+1} (b = |a| / 2); its large-j
reference is the positive integral (pi / 2) int w^j csch(pi w / 2) coth(pi w / 2)
e^{-b^2 w^2 / 2} dw that the difference equals (integration by parts), by adaptive quadrature
around its peak: the check that the cancellation (at most ~2 digits, 1 - r >= 0.02 measured)
costs no more than stated.  Measured <= 7e-15 in log h^2 at j <= 12, 1.1e-13 at j = 2000 for
|a| <= 1 and 3.0e-13 at a = 4 (log h^2 ~ -10^4 there); bounds 5e-14 and 6e-13.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from gd_operator._hermite import _gauss_hermite, log_hermite_energies
from gd_operator._hermite_tanh import log_h2_sigmoid, log_h2_silu, log_h2_softplus, log_h2_tanh

_G = {
    "tanh": mp.tanh,
    "sigmoid": lambda x: 1 / (1 + mp.exp(-x)),
    "softplus": lambda x: mp.log1p(mp.exp(x)) if x < 0 else x + mp.log1p(mp.exp(-x)),
    "silu": lambda x: x / (1 + mp.exp(-x)),
}


def _direct_log_h2(name, a, j):
    g = _G[name]
    with mp.workdps(40):
        v = mp.quad(
            lambda z: g(a * z) * mp.hermite(j, z / mp.sqrt(2)) * 2 ** (-mp.mpf(j) / 2) * mp.npdf(z),
            [-mp.inf, -4, -1, 0, 1, 4, mp.inf],
        )
        return float(2 * mp.log(abs(v)) - mp.loggamma(j + 1)), float(abs(v))


def _energy(name, a):
    g = _G[name]
    with mp.workdps(40):
        return float(mp.quad(lambda z: g(a * z) ** 2 * mp.npdf(z), [-mp.inf, -4, 0, 4, mp.inf]))


def _fourier_log_h2(a, j):
    """log h_j^2 of tanh(a .) for odd j from I_j by adaptive quadrature around its peak."""
    with mp.workdps(40):
        a = mp.mpf(a)
        w0 = 2 * j / (mp.pi / 2 + mp.sqrt(mp.pi**2 / 4 + 4 * a * a * j))
        wp = mp.findroot(lambda w: j / w - mp.pi / 2 / mp.tanh(mp.pi * w / 2) - a * a * w, w0)
        s = 1 / mp.sqrt(j / wp**2 + a * a)
        pts = sorted({mp.mpf(0), *(wp + k * s for k in range(-40, 41, 4) if wp + k * s > 0)})
        integral = mp.quad(
            lambda w: w**j / mp.sinh(mp.pi * w / 2) * mp.exp(-a * a * w * w / 2), pts + [mp.inf]
        )
        return float(2 * (j * mp.log(a) + mp.log(integral)) - mp.loggamma(j + 1))


@pytest.mark.parametrize("a", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus"])
def test_small_degrees_match_the_definition(name, a):
    fn = {"tanh": log_h2_tanh, "sigmoid": log_h2_sigmoid}.get(name)
    log_h2, energy = fn(a, 9) if fn else log_h2_softplus(a, 9, _gauss_hermite)
    for j in range(10):
        ref, size = _direct_log_h2(name, a, j)
        zero = (name == "tanh" and j % 2 == 0) or (name != "tanh" and j % 2 == 0 and j >= 2)
        if name == "softplus":
            zero = j % 2 == 1 and j >= 3
        if zero:  # parity: exact zeros (the quadrature returns rounding noise)
            assert log_h2[j] == -np.inf and size < 1e-30, (name, a, j)
        else:
            assert abs(log_h2[j] - ref) < 1e-13, (name, a, j, log_h2[j] - ref)
    assert energy == pytest.approx(_energy(name, a), rel=1e-14)


@pytest.mark.parametrize("a", [0.05, 0.3, 1.0, 4.0])
def test_large_degrees_match_adaptive_quadrature(a):
    log_h2, _ = log_h2_tanh(a, 2001)
    for j in (31, 201, 1001, 2001):
        assert abs(log_h2[j] - _fourier_log_h2(a, j)) < 1.5e-13, (a, j)
    # sigmoid at scale 2a is tanh at a, / 4
    log_s, _ = log_h2_sigmoid(2 * a, 2001)
    np.testing.assert_allclose(log_s[1::2], log_h2[1::2] - math.log(4.0), rtol=0, atol=1e-13)


def test_degrees_up_to_the_deep_term_cap():
    """The deep smooth route composes up to 16000 terms (deep._SMOOTH_TERMS_CAP).  Reference:
    the same adaptive mpmath quadrature of I_j at j = 12001, 16001 (a = 1).  Measured 2.6e-13
    and 1.5e-13 in log h_j^2 (the walk's long-double offsets from the peak, j log w ~ 10^5);
    bound 5e-13, below the deep spectra's 1e-12."""
    log_h2, _ = log_h2_tanh(1.0, 16001)
    for j in (12001, 16001):
        assert abs(log_h2[j] - _fourier_log_h2(1.0, j)) < 5e-13, j


def test_registered_gates_route_through_the_fourier_sums():
    """log_hermite_energies (what every Gaussian-init kernel uses) returns these values for
    tanh / sigmoid / softplus without a bias, at any sign of the scale."""
    from gd_operator._gates import resolve

    for name, fn in (("tanh", log_h2_tanh), ("sigmoid", log_h2_sigmoid)):
        for scale in (1.0, -1.7):
            got, e = log_hermite_energies(resolve(name, scale=scale), 0.8, 50)
            ref, e_ref = fn(abs(scale) * 0.8, 50)
            np.testing.assert_array_equal(got, ref)
            assert e == e_ref


@pytest.mark.parametrize("a", [0.3, 1.0, 2.5, -1.2])
def test_silu_small_degrees_match_the_definition(a):
    """silu = x sigmoid(x): h_1 = a / 2, odd j >= 3 exactly zero, even j from tanh's I_j."""
    log_h2, energy = log_h2_silu(a, 12, _gauss_hermite)
    for j in range(13):
        ref, size = _direct_log_h2("silu", a, j)
        if j % 2 == 1 and j >= 3:
            assert log_h2[j] == -np.inf and size < 1e-30, (a, j)
        else:
            assert abs(log_h2[j] - ref) < 5e-14, (a, j, log_h2[j] - ref)
    assert energy == pytest.approx(_energy("silu", a), rel=1e-14)


def _silu_log_h2_positive(a, j):
    """log h_j^2 of silu(a .) for even j >= 2 from the positive integral (module docstring)."""
    with mp.workdps(40):
        b = abs(mp.mpf(a)) / 2

        def log_f(w):
            x = mp.pi * w / 2
            return j * mp.log(w) + mp.log(mp.cosh(x)) - 2 * mp.log(mp.sinh(x)) - b * b * w * w / 2

        w0 = mp.sqrt(j) / b if b * b * j > 4 else mp.mpf(j) / mp.pi
        wp = mp.findroot(lambda w: mp.diff(log_f, w), w0)
        s = 1 / mp.sqrt(j / wp**2 + b * b)
        pts = sorted({mp.mpf(0), *(wp + k * s for k in range(-40, 41, 4) if wp + k * s > 0)})
        integral = mp.quad(lambda w: mp.exp(log_f(w)), pts + [mp.inf])
        return float(2 * (j * mp.log(b) + mp.log(mp.pi / 2 * integral)) - mp.loggamma(j + 1))


@pytest.mark.parametrize("a", [0.3, 4.0])
def test_silu_large_degrees_match_the_positive_integral(a):
    log_h2, _ = log_h2_silu(a, 2000, _gauss_hermite)
    for j in (200, 2000):
        assert abs(log_h2[j] - _silu_log_h2_positive(a, j)) < 6e-13, (a, j)


def test_silu_routes_through_the_fourier_sums():
    """log_hermite_energies uses log_h2_silu for an unbiased silu (also 'swish'), any scale."""
    from gd_operator._gates import resolve

    for name in ("silu", "swish"):
        for scale in (1.0, -1.7):
            got, e = log_hermite_energies(resolve(name, scale=scale), 0.8, 50)
            ref, e_ref = log_h2_silu(scale * 0.8, 50, _gauss_hermite)
            np.testing.assert_array_equal(got, ref)
            assert e == e_ref
