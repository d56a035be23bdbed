"""The one Gauss-rule engine (harmonics.gauss_rule, Golub & Welsch 1969) and the one log c_n.

Every Gauss rule of the project goes through harmonics.gauss_rule; a family supplies only its
Jacobi matrix: nu_n (harmonics.nu_quadrature, legendre_zeros), Beta(1, alpha + 1)
(harmonics._quadrature_sphere.beta1_rule), chi_n through Gamma(n/2) (gd_operator._radial
.chi_rule) and N(0, 1) (gd_operator._hermite._gauss_hermite).  References, none of them the
code under test:

* mpmath.gauss_quadrature at 40 digits -- mpmath's own recurrence coefficients and symmetric
  eigensolver, weights from eigenvectors rather than the Christoffel function;
* exactness on polynomials of degree <= 2 num - 1 against closed-form moments of each weight;
* for the tiny tail weights (the reason the engine uses Christoffel sums with a carried exponent
  and log weights): the classical formula w_i = 1 / (num psi_{num-1}(z_i)^2) at the zeros
  refined in mpmath;
* scipy.special.roots_hermitenorm, which the Hermite route used before, at the sizes it uses.
"""

from __future__ import annotations

import ast
import math
import pathlib
import re

import mpmath
import numpy as np
import pytest
from scipy.special import logsumexp, roots_hermitenorm

from gd_operator._hermite import _gauss_hermite
from gd_operator._radial import chi_rule
from harmonics import gauss_rule, legendre_zeros, log_nu_normalizer, nu_quadrature
from harmonics._quadrature import gauss_nodes
from harmonics._quadrature_sphere import beta1_rule

EPS = np.finfo(float).eps
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _mp():
    ctx = mpmath.MPContext()
    ctx.dps = 40
    return ctx


# ------------------------------------------------------------------ the families, two ways


def _rule(family: str, param, num: int):
    """(nodes, weights) of the project's rule, weights of the probability measure."""
    if family == "nu":
        return nu_quadrature(param, num)
    if family == "beta1":
        return beta1_rule((param - 4) / 2, num)
    if family == "chi":
        return chi_rule(param, num)
    z, sw = _gauss_hermite(num)
    return z, np.asarray(sw) ** 2


def _reference(ctx, family: str, param, num: int):
    """40-digit nodes (ascending) and probability weights from mpmath.gauss_quadrature."""
    if family == "nu":  # density prop. to (1 - t^2)^{(n-3)/2}: Jacobi(a, a), a = (n-3)/2
        a = ctx.mpf(param - 3) / 2
        X, W = ctx.gauss_quadrature(num, "jacobi", a, a)
        X = list(X)
    elif family == "beta1":  # (1 - u)^alpha on [0, 1], u = (1 + x)/2, Jacobi(alpha, 0)
        X, W = ctx.gauss_quadrature(num, "jacobi", ctx.mpf(param - 4) / 2, 0)
        X = [(1 + x) / 2 for x in X]
    elif family == "chi":  # u = r^2/2 ~ Gamma(n/2): generalized Laguerre, alpha = n/2 - 1
        X, W = ctx.gauss_quadrature(num, "glaguerre", ctx.mpf(param) / 2 - 1)
        X = [ctx.sqrt(2 * u) for u in X]
    else:  # exp(-x^2): z = sqrt(2) x ~ N(0, 1)
        X, W = ctx.gauss_quadrature(num, "hermite")
        X = [ctx.sqrt(2) * x for x in X]
    total = ctx.fsum(W)
    pairs = sorted(zip(X, [w / total for w in W], strict=True))
    return [p[0] for p in pairs], [p[1] for p in pairs]


CASES = (
    [("nu", n) for n in (2, 3, 10, 1000, 10**6)]
    + [("beta1", n) for n in (3, 10, 1000, 10**6)]
    + [("chi", n) for n in (2, 3, 10, 1000, 10**6)]
    + [("hermite", None)]
)


@pytest.mark.parametrize("num", [8, 32])
@pytest.mark.parametrize(("family", "param"), CASES)
def test_rules_match_mpmath_gauss_quadrature(family, param, num):
    # Nodes: eigenvalues of a symmetric matrix carry an absolute error ~ eps ||J|| and
    # ||J|| = max |x_i| for a Jacobi matrix: allowed 32 eps max|x| (measured <= 7 eps max|x|).
    # Weights, relative: measured <= 1.3e-13 for nu, Beta and Hermite -> 1e-12.  For chi_n the
    # nodes u ~ n/2 carry an absolute error ~ eps n/2 (an ulp of u is as large) and log w moves
    # by ~ 1/sqrt(n/2) per unit of u near the bulk, so the relative weight error grows like
    # eps sqrt(n): allowed 1e-12 (1 + sqrt(n)/100) (measured 4.3e-12 at n = 10^6, num = 32).
    ctx = _mp()
    x, w = _rule(family, param, num)
    X, W = _reference(ctx, family, param, num)
    assert x.shape == w.shape == (num,) and np.all(np.diff(x) > 0)
    scale = max(abs(float(v)) for v in X)
    node_err = max(abs(float(ctx.mpf(float(a)) - b)) for a, b in zip(x, X, strict=True))
    assert node_err <= 32 * EPS * scale, node_err / scale
    tol_w = 1e-12 * (1 + math.sqrt(param) / 100) if family == "chi" else 1e-12
    w_err = max(
        abs(float((ctx.mpf(float(a)) - b) / b)) for a, b in zip(w, W, strict=True) if b > 1e-300
    )
    assert w_err <= tol_w, w_err


def _moments(ctx, family: str, param, jmax: int):
    """Exact E[y^j], j = 0..jmax, of each probability measure (closed forms, mpmath), in the
    variable y the rule is Gaussian in: t, u, u = r^2/2, z."""
    j = range(jmax + 1)
    lg = ctx.loggamma
    if family == "nu":  # E[t^{2i}] = prod_{l<i} (2l+1)/(n+2l), odd moments 0
        return [
            ctx.fprod((2 * l + 1) / ctx.mpf(param + 2 * l) for l in range(k // 2))
            if k % 2 == 0
            else ctx.zero
            for k in j
        ]
    if family == "beta1":  # E[u^k] = k! Gamma(alpha + 2) / Gamma(k + alpha + 2)
        a = ctx.mpf(param - 4) / 2
        return [ctx.exp(lg(k + 1) + lg(a + 2) - lg(k + a + 2)) for k in j]
    if family == "chi":  # u = r^2/2 ~ Gamma(n/2): E[u^k] = Gamma(n/2 + k) / Gamma(n/2)
        h = ctx.mpf(param) / 2
        return [ctx.exp(lg(h + k) - lg(h)) for k in j]
    return [ctx.fac2(k - 1) if k % 2 == 0 else ctx.zero for k in j]  # N(0, 1): (k-1)!!


@pytest.mark.parametrize("num", [5, 20])
@pytest.mark.parametrize(("family", "param"), CASES)
def test_rules_integrate_polynomials_of_degree_2num_minus_1_exactly(family, param, num):
    # sum_i w_i y_i^j = E[y^j] for j <= 2 num - 1 (y = r^2/2 for chi_n: the rule is Gauss in u,
    # so it integrates polynomials in r^2).  In float64 each term carries a relative error of
    # about (j + 1) times the nodes' plus the weights' (<= ~1e-13 here), so the error is compared
    # with the condition sum_i w_i |y_i|^j: allowed 2e-13 of it (measured <= 2.1e-14).
    ctx = _mp()
    x, w = _rule(family, param, num)
    y = x * x / 2 if family == "chi" else x
    exact = _moments(ctx, family, param, 2 * num - 1)
    for k, m in enumerate(exact):
        got = float(np.sum(w * y**k))
        cond = float(np.sum(w * np.abs(y) ** k))
        assert abs(got - float(m)) <= 2e-13 * cond, (k, got, float(m))


# ------------------------------------------------------------------------ tiny weights


def _hermite_weight_at_zero(ctx, num: int, z0: float):
    """Zero of He_num near z0 refined by Newton in mpmath, and its exact weight for N(0, 1):
    w = 1 / (num psi_{num-1}(z)^2), psi_j = He_j / sqrt(j!) (Christoffel-Darboux)."""

    def psi(z):
        p_prev, p_cur = ctx.zero, ctx.one
        for j in range(num):
            p_prev, p_cur = p_cur, (z * p_cur - ctx.sqrt(j) * p_prev) / ctx.sqrt(j + 1)
        return p_prev, p_cur  # psi_{num-1}, psi_num

    z = ctx.mpf(z0)
    for _ in range(4):
        pm1, pn = psi(z)
        z -= pn / (ctx.sqrt(num) * pm1)  # psi_num' = sqrt(num) psi_{num-1}
    pm1, _ = psi(z)
    return z, 1 / (num * pm1 * pm1)


def test_tiny_hermite_weights_keep_relative_accuracy_and_beat_scipy():
    # num = 600 is the smallest rule gd_operator._hermite uses (2 jmax + 200, jmax >= 200).  Its
    # outer weights are ~e^{-1163}: 0.0 from scipy, finite log weights here.  Against the exact
    # weights at the mpmath-refined zeros: relative error of w (= error of log w) <= 1e-11
    # (measured 1.1e-13); node errors no worse than scipy's (engine, one Newton step: 3.4e-15;
    # scipy: 2.0e-14).
    ctx = _mp()
    num = 600
    z, log_w = gauss_rule(
        np.zeros(num), np.sqrt(np.arange(1.0, num)), symmetric=True, newton=1, log=True
    )
    zs, ws = roots_hermitenorm(num)
    assert np.all(np.isfinite(log_w)) and abs(logsumexp(log_w)) < 1e-14
    assert np.all(ws[-5:] == 0.0)  # scipy's outer weights underflow
    idx = list(range(num // 2, num, 30)) + [num - 3, num - 2, num - 1]
    err_engine = err_scipy = 0.0
    for i in idx:
        z_ref, w_ref = _hermite_weight_at_zero(ctx, num, z[i])
        assert abs(float(ctx.log(w_ref)) - log_w[i]) <= 1e-11
        err_engine = max(err_engine, abs(float(z[i] - z_ref)))
        err_scipy = max(err_scipy, abs(float(zs[i] - z_ref)))
    assert err_engine <= max(2 * err_scipy, 4 * EPS * float(z[-1])), (err_engine, err_scipy)


@pytest.mark.parametrize("num", [600, 1000])
def test_hermite_rule_agrees_with_scipy_at_the_sizes_used(num):
    # The rule gd_operator._hermite used before (scipy, asymptotic nodes + Newton): nodes within
    # 2e-13 (measured 3.6e-14; both are within ~3e-14 of the exact zeros), weights where
    # scipy's are above 1e-280 within 1e-11 relative (measured 6.8e-13; both are within ~6e-13
    # of the exact ones at num <= 2000).
    z, sw = _gauss_hermite(num)
    zs, ws = roots_hermitenorm(num)
    ws = ws / ws.sum()
    assert np.max(np.abs(z - zs)) <= 2e-13
    ok = ws > 1e-280
    assert np.max(np.abs(np.asarray(sw)[ok] ** 2 / ws[ok] - 1)) <= 1e-11
    assert np.array_equal(z, -z[::-1]) and np.array_equal(sw, sw[::-1])


@pytest.mark.parametrize(("n", "num"), [(320, 1000), (10**6, 2000)])
def test_nu_log_weights_finite_where_weights_underflow(n, num):
    # scipy's roots_gegenbauer returns non-finite weights from n ~ 320 at 1000 nodes; here the
    # log weights are finite everywhere, normalized, and agree with the linear weights.
    t, log_w = nu_quadrature(n, num, log=True)
    t2, w = nu_quadrature(n, num)
    assert np.array_equal(t, t2) and np.array_equal(t, -t[::-1])
    assert np.all(np.isfinite(log_w)) and abs(logsumexp(log_w)) < 1e-14
    with np.errstate(under="ignore"):
        assert np.allclose(np.exp(log_w), w, rtol=1e-15, atol=0)


def test_legendre_zeros_are_the_nodes_of_nu_quadrature():
    # Zeros of P_{k,n} = nodes of the k-point rule of nu_n, exactly (one Jacobi matrix, one
    # eigensolver call); against mpmath's Gauss-Jacobi nodes to 32 eps.
    ctx = _mp()
    for n, k in [(3, 1), (5, 7), (12, 30), (10**6 + 2, 29)]:
        z = legendre_zeros(n, k)
        assert np.array_equal(z, nu_quadrature(n, k)[0])
        a = ctx.mpf(n - 3) / 2
        ref = sorted(ctx.gauss_quadrature(k, "jacobi", a, a)[0]) if k > 1 else [ctx.zero]
        assert max(abs(float(ctx.mpf(float(p)) - q)) for p, q in zip(z, ref, strict=True)) <= (
            32 * EPS * max(float(abs(q)) for q in ref + [ctx.mpf(1e-300)])
        )


def test_engine_arguments():
    with pytest.raises(ValueError, match="off-diagonal"):
        gauss_rule(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="> 0"):
        gauss_rule(np.zeros(3), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="zero diagonal"):
        gauss_nodes(np.ones(3), np.ones(2), symmetric=True)
    x, w = gauss_rule(np.array([0.25]), np.zeros(0), log_mu0=math.log(3.0))
    assert x.tolist() == [0.25] and w.tolist() == [pytest.approx(3.0, rel=1e-15)]
    # mu0 scales the weights: the Gauss rule of 3 * N(0, 1)
    _, w3 = gauss_rule(np.zeros(6), np.sqrt(np.arange(1.0, 6)), log_mu0=math.log(3.0))
    assert w3.sum() == pytest.approx(3.0, rel=1e-15)


# -------------------------------------------------------------------------- log c_n


@pytest.mark.parametrize("n", [2, 3, 3.5, 10, 1001, 10**4, 10**6, 10**6 + 1, 10**8])
def test_log_nu_normalizer(n):
    # Against 40-digit mpmath.  Float64: the 30-digit value rounded once, so within one
    # rounding (eps relative, plus eps absolute where log c_n is near 0); the plain lgamma
    # difference it replaced was off by ~eps n log n (1e-10 relative at n = 10^6 + 1).  The
    # mpmath path agrees to 1e-35.
    ctx = _mp()
    exact = ctx.loggamma(ctx.mpf(n) / 2) - ctx.loggamma(ctx.mpf(n - 1) / 2) - ctx.log(ctx.pi) / 2
    assert abs(log_nu_normalizer(n) - float(exact)) <= EPS * (abs(float(exact)) + 1)
    assert abs(log_nu_normalizer(n, ctx) - exact) < ctx.mpf(10) ** -35


def test_nu_density_integrates_to_one():
    # c_n (1 - t^2)^{(n-3)/2} is a probability density (mpmath quadrature, 30 digits); c_2 = 1/pi
    # and c_3 = 1/2.
    ctx = _mp()
    assert log_nu_normalizer(2) == pytest.approx(-math.log(math.pi), rel=1e-15)
    assert log_nu_normalizer(3) == pytest.approx(-math.log(2.0), rel=1e-15)
    for n in (4, 7, 12.5):
        c = ctx.exp(log_nu_normalizer(n, ctx))
        e = ctx.mpf(n - 3) / 2
        total = ctx.quad(lambda t, c=c, e=e: c * (1 - t * t) ** e, [-1, 0, 1])
        assert abs(total - 1) < ctx.mpf(10) ** -30


# ------------------------------------------------------- one implementation per formula


def _package_sources():
    for pkg in ("harmonics", "gd_operator", "sq_bounds", "funkhecke"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


_GW_NAMES = re.compile(r"^(eigh_tridiagonal|leggauss|roots_[a-z]+)$")
_LOG_C_ARG = re.compile(r"^(\(\w+ - 1\)|\w+\.mpf\(\w+ - 1\)) / 2$")


def test_one_gauss_engine_and_one_normalizer_in_the_packages():
    # Gauss rules are built only in harmonics/_quadrature.py (eigenvalue solver, numpy's
    # leggauss, scipy's roots_*), and log Gamma((n-1)/2), the denominator of c_n, is taken only
    # there (log_nu_normalizer).  Tests and the reference generators are exempt (independent
    # references).  Checked on the syntax tree, so docstrings may name the old routes.
    home = "harmonics/_quadrature.py"
    found = []
    for rel, tree in _package_sources():
        if rel == home:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Name):
                names.append(node.id)
            elif isinstance(node, ast.Attribute):
                names.append(node.attr)
            elif isinstance(node, ast.ImportFrom):
                names.extend(a.name for a in node.names)
            found.extend(f"{rel}:{node.lineno} {v}" for v in names if _GW_NAMES.match(v))
            if isinstance(node, ast.Call) and node.args:
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", "")
                if name in ("lgamma", "gammaln", "loggamma") and _LOG_C_ARG.match(
                    ast.unparse(node.args[0])
                ):
                    found.append(f"{rel}:{node.lineno} {ast.unparse(node)}")
    assert not found, found
