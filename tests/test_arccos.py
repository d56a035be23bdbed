"""The arc-cosine kernels kappa_p = J_p / pi (Cho & Saul 2009): the one numeric implementation
(harmonics.arccos) against the Gaussian definition, and the exact sympy form
(harmonics.symbolic.arccos_kernel) tied to it.

Reference: kappa_p(rho) = 2 E[relu(u)^p relu(v)^p], (u, v) standard normal with correlation rho,
reduced to one dimension with v = rho u + s z (s = sqrt(1 - rho^2), z independent):
E_z[(a + s z)_+^p] is elementary (a Phi(a/s) + s phi(a/s) for p = 1, ...), and the remaining
integral over u > 0 runs in mpmath at 40 digits.  It uses neither arccos nor the closed forms,
so it checks the formula itself; the tolerance 4e-15 relative is a few ulps of the float64
result (the numeric path is accurate to ~1e-15 everywhere, also near rho = -1 where kappa_1 ~
(pi - theta)^3 / (3 pi) and the direct formula cancels).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from harmonics import symbolic
from harmonics.arccos import arccos_j, arccos_kappa

RHOS = [-1.0, -0.999999, -0.99, -0.7, -0.3, 0.0, 0.25, 0.6, 0.95, 0.999999, 1.0]


def _gaussian_kappa(p: int, rho: float):
    """2 E[relu(u)^p relu(v)^p] by a 1-D mpmath integral (see the module docstring)."""
    with mp.workdps(40):
        r = mp.mpf(rho)
        s = mp.sqrt((1 - r) * (1 + r))
        if s == 0:  # rho = +-1: v = +-u
            if r < 0:
                return mp.mpf(0)
            return 2 * mp.quad(lambda u: u ** (2 * p) * mp.npdf(u), [0, mp.inf])

        def inner(u):
            a = r * u
            x = a / s
            cdf, pdf = mp.ncdf(x), mp.npdf(x)
            if p == 0:
                return cdf
            if p == 1:
                return a * cdf + s * pdf
            return (a * a + s * s) * cdf + a * s * pdf

        return 2 * mp.quad(lambda u: (u**p if p else 1) * inner(u) * mp.npdf(u), [0, 2, 6, mp.inf])


@pytest.mark.parametrize("p", [0, 1, 2])
def test_numeric_arccos_kernel_vs_gaussian_definition(p):
    got = arccos_kappa(p, np.array(RHOS))
    for g, rho in zip(got, RHOS, strict=True):
        ref = _gaussian_kappa(p, rho)
        if ref == 0:
            assert g == 0.0
        else:
            assert abs(g / float(ref) - 1) < 4e-15, (p, rho, g, float(ref))


@pytest.mark.parametrize("d", [0, 1, 2])
def test_exact_sympy_form_agrees_with_numeric(d):
    # symbolic.arccos_kernel stays an exact sympy expression (any degree, for exact eigenvalue
    # algebra); here it is evaluated at the exact binary value of each float rho to 30 digits
    # and compared with the float64 implementation: a few ulps.
    expr = symbolic.arccos_kernel(d)
    var = symbolic.rho
    rhos = np.concatenate([RHOS, np.linspace(-0.995, 0.995, 41)])
    got = arccos_kappa(d, rhos)
    for g, x in zip(got, rhos, strict=True):
        exact = sp.N(expr.subs(var, sp.Rational(float(x))), 30)
        if exact == 0:
            assert g == 0.0
        else:
            assert abs(g / float(exact) - 1) < 4e-15, (d, x, g, exact)


def test_one_implementation():
    # gd_operator's closed-form kernels use the harmonics implementation itself (no copy).
    from gd_operator import kernels

    assert kernels.arccos_j is arccos_j
    rho = np.linspace(-1, 1, 101)
    np.testing.assert_array_equal(arccos_kappa(1, rho), arccos_j(1, rho) / np.pi)
