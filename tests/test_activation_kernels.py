"""Gaussian-init kernels and spectra of the activations added in issue 19 (leaky_relu, silu,
sin, cos) against the independent table activation_gaussian_reference.json.

Reference: tests/reference/make_activation_gaussian_reference.py (mpmath, no funkhecke import,
checked below): K_out(rho) = E[g(u) g(v)] and K_hid(rho) = rho E[g'(u) g'(v)] for (u, v)
standard normal with correlation rho, by a 2-D mpmath Gauss-Hermite tensor rule at 40 digits
(two rule sizes, agreement >= 18 digits) for the smooth gates, and for leaky_relu by its
relu/identity decomposition with the Cho & Saul arc-cosine J_1 in mpmath (checked against a
nested mpmath.quad of the definition).

Tolerances: sin, cos and leaky_relu are closed forms in the API (Poisson-weight Hermite
coefficients e^{-a^2} a^{2j}/j!; arc-cosine kernels of the truncated powers): 1e-13 relative,
a few hundred ulps for the exp/sinh/arccos evaluations.  silu goes through the Gauss-Hermite
Mehler series (absolute accuracy ~(J + 1) eps E[g^2] per kernel value, J ~ 300 terms): 1e-12
relative on values >= 0.01 E[g^2].
"""

import ast
import functools
import json
import math
import os

import mpmath
import numpy as np
import pytest

from gd_operator import kernel, spectrum
from harmonics import dim_harmonics, get_activation, legendre_rows

HERE = os.path.dirname(__file__)
TABLE = os.path.join(HERE, "reference", "activation_gaussian_reference.json")
GENERATOR = os.path.join(HERE, "reference", "make_activation_gaussian_reference.py")
CLOSED_TOL = 1e-13
MEHLER_TOL = 1e-12


@functools.lru_cache(maxsize=1)
def _records():
    with open(TABLE) as fh:
        return json.load(fh)["records"]


def _act(rec):
    return get_activation(rec["api_name"], **rec["params"])


def test_generator_does_not_use_the_packages():
    with open(GENERATOR) as fh:
        tree = ast.parse(fh.read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0] if node.level == 0 else ".")
    assert not imported & {"harmonics", "gd_operator", "sq_bounds", "funkhecke", "."}, imported


def test_table_covers_the_new_activations():
    names = {_act(r).name for r in _records()}
    assert names == {"leaky_relu", "silu", "sin", "cos"}
    assert all(r["verified_digits"] >= 18 for r in _records())


@pytest.mark.parametrize("train", ["output", "hidden"])
def test_gaussian_kernels_match_reference(train):
    worst = {}
    for rec in _records():
        act = _act(rec)
        rho = float(rec["rho"])
        got = kernel(act, 3, rho, init="gaussian", train=train)
        ref = mpmath.mpf(rec[train])
        rel = float(abs(got - ref) / abs(ref))
        tol = MEHLER_TOL if act.name == "silu" else CLOSED_TOL
        assert rel <= tol, (rec["activation"], rho, train, got, ref, rel)
        worst[rec["activation"]] = max(worst.get(rec["activation"], 0.0), rel)
    assert worst  # every record was compared


@pytest.mark.parametrize("ident", ["sin_s1.5", "cos_s2_b0.3", "silu", "leaky_relu_a0.2"], ids=str)
def test_gaussian_spectra_sum_to_the_reference_kernel(ident):
    # K(rho) = sum_k N(n,k) mu_k P_{k,n}(rho): the spectrum against the same reference.  sin,
    # cos and silu converge geometrically in k; leaky_relu's mu_k decay algebraically (its
    # kink; the hidden part's K' = E[g'(u) g'(v)] has the jump of leaky_step, slower still): at
    # n = 3 the tail beyond kmax = 300 is measured at <= 2e-11 of K_out and 2e-7 of K_NTK
    # (rho = -0.6), so it is checked at 1e-6.
    n = 3
    recs = [r for r in _records() if r["activation"] == ident]
    act = _act(recs[0])
    kmax = 300 if act.name == "leaky_relu" else 80
    tol = 1e-6 if act.name == "leaky_relu" else 1e-12
    rho = np.array([float(r["rho"]) for r in recs])
    mult = np.array([float(dim_harmonics(n, j)) for j in range(kmax + 1)])
    rows = np.array([row for _, row in legendre_rows(n, kmax, rho)])  # [kmax + 1, len(rho)]
    for train in ("output", "both"):
        mu = spectrum(act, n, kmax, init="gaussian", train=train)
        total = (mult * mu) @ rows
        for rec, got in zip(recs, total, strict=True):
            ref = float(mpmath.mpf(rec["output"]))
            if train == "both":
                ref += float(mpmath.mpf(rec["hidden"]))
            assert abs(got - ref) <= tol * abs(ref), (ident, train, rec["rho"], got, ref)


@pytest.mark.parametrize(
    ("name", "zero_parity", "above"),
    [("sin", 0, -1), ("cos", 1, -1), ("silu", 1, 1), ("leaky_relu", 1, 1)],
)
@pytest.mark.parametrize("init", ["sphere", "gaussian"])
def test_parity_zeros_are_exact(name, zero_parity, above, init):
    # sin odd, cos even, silu - x/2 and leaky_relu - (1 + a) x / 2 even: the kernel eigenvalues
    # of the other parity vanish exactly (0.0, and -inf in log form), for every train (g' is
    # even / odd / constant + odd, so rho K' has the parity of K_out)
    for train in ("output", "hidden", "both"):
        sign, log_mu = spectrum(name, 5, 12, init=init, train=train, log=True)
        k = np.arange(13)
        zero = (k % 2 == zero_parity) & (k > above)
        assert np.all(sign[zero] == 0) and np.all(log_mu[zero] == -math.inf), (train, sign)
        assert np.all(sign[~zero] == 1), (train, sign)


def test_sin_cos_sphere_spectrum_is_squared_bessel_eigenvalue():
    # sphere init: mu_k(K_out) = lambda_k^2 with lambda_k(cos(s t)) = (-1)^{k/2} Gamma(n/2)
    # (2/s)^{n/2-1} J_{k+n/2-1}(s) (even k), from mpmath.besselj (an independent evaluation of
    # the closed form the API computes by Miller's recurrence); same for sin at odd k.
    n, s, kmax = 6, 2.5, 30
    with mpmath.workdps(40):
        nu = mpmath.mpf(n) / 2 - 1
        lam = [
            mpmath.gamma(mpmath.mpf(n) / 2) * (2 / mpmath.mpf(s)) ** nu * mpmath.besselj(k + nu, s)
            for k in range(kmax + 1)
        ]
    for name, parity in (("cos", 0), ("sin", 1)):
        mu = spectrum(name, n, kmax, scale=s)
        for k in range(kmax + 1):
            ref = float(lam[k] ** 2) if k % 2 == parity else 0.0
            if ref == 0.0:
                assert mu[k] == 0.0
            else:
                assert abs(mu[k] - ref) <= 1e-13 * ref, (name, k, mu[k], ref)
