"""Tests of harmonics.symbolic (exact sympy eigenvalues, Legendre polynomials, dimensions, kernels).

References, independent of the module under test:
* mpmath quadrature of the definition lambda_k = c_n int phi(t) P_{k,n}(t) (1-t^2)^{(n-3)/2} dt
  at 50 significant digits: t = cos(theta) (the weight becomes sin^{n-2} theta, the integrand
  is analytic on each piece between kinks), fixed 192-point Gauss-Legendre rules per piece, and
  P_{k,n} from the three-term recurrence in mpmath arithmetic (itself checked against
  mpmath.gegenbauer / chebyt / legendre below), cross-checked against mpmath's adaptive
  tanh-sinh quadrature.
* harmonics.funk_hecke_eigenvalues (float64, independent numerical implementation).
* sympy's own gegenbauer / chebyshevt / legendre, harmonics.legendre, harmonics.dim_harmonics.
* Known exact values: ReLU in n = 3 (docs/conventions.md, "Funk-Hecke eigenvalues"), the issue's
  lambda_2(ReLU) in symbolic n,
  Cho & Saul's arc-cosine kernels kappa_0, kappa_1, kappa_2.
"""

from __future__ import annotations

import functools
import random

import mpmath
import numpy as np
import pytest
import sympy as sp
from mpmath.calculus.quadrature import GaussLegendre

import harmonics
from harmonics import symbolic

DPS = 50
DIMS = (2, 3, 4, 5, 10, 11, 100)
KMAX = 12
R = sp.Rational

# --------------------------------------------------------------------------- mpmath reference


@functools.lru_cache(maxsize=1)
def _gl_nodes():
    with mpmath.workdps(DPS):
        return GaussLegendre(mpmath.mp).calc_nodes(7, mpmath.mp.prec)  # 192 nodes on [-1, 1]


def _mp_legendre_all(kmax, n, t):
    """P_{0..kmax, n}(t) by the normalized recurrence, in mpmath arithmetic."""
    out = [mpmath.mpf(1), t]
    for k in range(1, kmax):
        out.append(((2 * k + n - 2) * t * out[k] - k * out[k - 1]) / (k + n - 2))
    return out[: kmax + 1]


def reference_eigenvalues(phi, n, kmax, kinks=()):
    """lambda_0..lambda_kmax of phi in dimension n: 50-digit Gauss-Legendre in theta = arccos t.

    phi maps an mpf t in [-1, 1] to an mpf; kinks are the t where phi is not analytic.
    """
    with mpmath.workdps(DPS):
        cuts = sorted({mpmath.mpf(0), mpmath.pi} | {mpmath.acos(_mp(k)) for k in kinks})
        c_n = mpmath.gamma(mpmath.mpf(n) / 2) / (
            mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(n - 1) / 2)
        )
        sums = [mpmath.mpf(0)] * (kmax + 1)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            half = (b - a) / 2
            mid = (a + b) / 2
            for x, w in _gl_nodes():
                theta = mid + half * x
                tt = mpmath.cos(theta)
                weight = w * half * mpmath.sin(theta) ** (n - 2) * phi(tt)
                for k, p in enumerate(_mp_legendre_all(kmax, n, tt)):
                    sums[k] += weight * p
        return [c_n * s for s in sums]


def _mp(v):
    """Exact rational -> mpf at the working precision (not via a float)."""
    v = sp.Rational(v)
    return mpmath.mpf(int(v.p)) / int(v.q)


def _relu_p(p):
    return lambda x: x**p if x > 0 else mpmath.mpf(0)


def _step(x):
    return mpmath.mpf(1) if x > 0 else mpmath.mpf(0)


# (name, params, phi(x) on the pre-activation x = scale*t + bias).  Kinks follow from bias/scale.
ACTIVATIONS = [
    ("relu", {}, _relu_p(1)),
    ("step", {}, _step),
    ("sign", {}, lambda x: mpmath.sign(x)),
    ("abs", {}, abs),
    ("relu2", {}, _relu_p(2)),
    ("relu_power", {"power": 3}, _relu_p(3)),
    ("relu", {"bias": R(3, 10)}, _relu_p(1)),
    ("relu", {"bias": R(-1, 2), "scale": 2}, _relu_p(1)),
    ("step", {"bias": R(1, 5), "scale": R(-3, 2)}, _step),
    ("sign", {"bias": R(2, 5)}, lambda x: mpmath.sign(x)),
    ("abs", {"bias": R(-1, 4), "scale": -1}, abs),
    ("relu2", {"bias": R(3, 10)}, _relu_p(2)),
    ("relu_power", {"power": 3, "bias": R(-3, 5), "scale": -1}, _relu_p(3)),
    ("polynomial", {"coeffs": [1, -2, 0, 3, R(1, 2)]}, lambda x: 1 - 2 * x + 3 * x**3 + x**4 / 2),
    (
        "polynomial",
        {"coeffs": [1, -2, 0, 3], "bias": R(1, 2), "scale": 2},
        lambda x: 1 - 2 * x + 3 * x**3,
    ),
    ("identity", {}, lambda x: x),
    ("relu", {"bias": R(3, 2)}, _relu_p(1)),  # kink outside: the gate is linear on [-1, 1]
    ("relu", {"bias": R(-3, 2)}, _relu_p(1)),  # kink outside: the gate vanishes
]


def _gate(phi, params):
    s = _mp(params.get("scale", 1))
    b = _mp(params.get("bias", 0))
    return lambda t: phi(s * t + b)


def _kinks(name, params):
    if name in ("polynomial", "identity"):
        return ()
    t0 = -sp.Rational(params.get("bias", 0)) / sp.Rational(params.get("scale", 1))
    return (t0,) if -1 < t0 < 1 else ()


def _label(case):
    name, params, _ = case
    return name + "".join(f"-{k}={v}" for k, v in params.items())


@functools.cache
def _reference(index, n):
    name, params, phi = ACTIVATIONS[index]
    with mpmath.workdps(DPS):  # the gate's scale and bias are converted at this precision
        return reference_eigenvalues(_gate(phi, params), n, KMAX, _kinks(name, params))


def _close(value, ref, rtol, atol):
    """|value - ref| <= rtol |ref| + atol, evaluated in mpmath at DPS digits."""
    with mpmath.workdps(DPS):
        v = mpmath.mpf(sp.N(value, DPS + 10)) if not isinstance(value, mpmath.mpf) else value
        return abs(v - ref) <= rtol * abs(ref) + atol


# Tolerances against the 50-digit reference: its integrand is O(1) while lambda_k >= ~1e-16 on
# this grid, so at most ~16 digits cancel and the reference keeps >= 30 correct digits.
RTOL_REF, ATOL_REF = mpmath.mpf("1e-28"), mpmath.mpf("1e-40")


def test_reference_quadrature_is_converged():
    """The fixed 192-node rule agrees with mpmath's adaptive tanh-sinh quadrature in theta
    (30 digits), for a kinked integrand in low and high dimension."""
    with mpmath.workdps(40):
        for n, k, t0 in [(2, 5, R(3, 10)), (3, 7, R(-1, 2)), (100, 6, R(1, 5)), (11, 12, 0)]:
            t0m = mpmath.mpf(t0)

            def integrand(th, n=n, k=k, t0m=t0m):
                x = mpmath.cos(th)
                return (x - t0m) * _mp_legendre_all(k, n, x)[k] * mpmath.sin(th) ** (n - 2)

            c_n = mpmath.gamma(mpmath.mpf(n) / 2) / (
                mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(n - 1) / 2)
            )
            adaptive = c_n * mpmath.quad(integrand, [0, mpmath.acos(t0m)])
            fixed = reference_eigenvalues(lambda t, t0m=t0m: max(t - t0m, 0), n, k, (t0,))[k]
            assert abs(adaptive - fixed) <= mpmath.mpf("1e-30") * abs(adaptive)


def test_reference_recurrence_matches_mpmath_special_functions():
    """P_{k,n} of the reference = mpmath gegenbauer ratio (chebyt for n = 2, legendre for n = 3)."""
    with mpmath.workdps(40):
        for n in (2, 3, 5, 10, 100):
            for x in ("-0.93", "0.1", "0.77"):
                x = mpmath.mpf(x)
                vals = _mp_legendre_all(12, n, x)
                for k in range(13):
                    if n == 2:
                        ref = mpmath.chebyt(k, x)
                    elif n == 3:
                        ref = mpmath.legendre(k, x)
                    else:
                        a = mpmath.mpf(n - 2) / 2
                        ref = mpmath.gegenbauer(k, a, x) / mpmath.gegenbauer(k, a, 1)
                    assert abs(vals[k] - ref) <= mpmath.mpf("1e-35")


# ------------------------------------------------------------------------- exact known values


def test_relu_n3_exact_values():
    """docs/conventions.md ("Funk-Hecke eigenvalues") reference values: ReLU in n = 3 has 1/4,
    1/6, 1/16, 0, -1/96; 0 for odd k >= 3."""
    got = [symbolic.funk_hecke_eigenvalue("relu", 3, k) for k in range(8)]
    assert got[:5] == [R(1, 4), R(1, 6), R(1, 16), 0, R(-1, 96)]
    assert got[5] == 0 and got[7] == 0
    assert all(isinstance(v, sp.Rational) for v in got)


def test_step_n3_and_relu_biased_known_values():
    """Step in n = 3: lambda_1 = E[t 1{t>0}] = 1/4 (t uniform on [-1, 1]).  ReLU with kink at
    t0 = 1/2: lambda_0 = (1/2) int_{1/2}^1 (t - 1/2) dt = 1/16 (elementary integrals)."""
    assert symbolic.funk_hecke_eigenvalue("step", 3, 1) == R(1, 4)
    assert symbolic.funk_hecke_eigenvalue("relu", 3, 0, bias=R(-1, 2)) == R(1, 16)
    # lambda_1 = (1/2) int_{1/2}^1 (t - 1/2) t dt = 5/96
    assert symbolic.funk_hecke_eigenvalue("relu", 3, 1, bias=R(-1, 2)) == R(5, 96)


def test_relu_lambda2_symbolic_matches_issue_formula():
    """The issue's example: lambda_2(relu) = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2) (n-1)(n+1))."""
    n = symbolic.n
    lam = symbolic.funk_hecke_eigenvalue("relu", n, 2)
    expected = sp.gamma(n / 2) / (sp.sqrt(sp.pi) * sp.gamma((n - 1) / 2) * (n - 1) * (n + 1))
    assert sp.gammasimp(lam / expected) == 1
    assert lam.subs(n, 3) == R(1, 16)
    assert lam.free_symbols == {n}


def test_exact_numbers_have_the_expected_kind():
    """Integer n gives exact numbers: rational at odd n, rational/pi at even n for relu lambda_0
    (c_n = Gamma(n/2)/(sqrt(pi) Gamma((n-1)/2)) is rational for odd n, rational/pi for even n)."""
    for n in (3, 5, 7, 11):
        for k in range(8):
            assert symbolic.funk_hecke_eigenvalue("relu", n, k).is_Rational
    for n in (2, 4, 6, 10):
        v = symbolic.funk_hecke_eigenvalue("relu", n, 0) * sp.pi
        assert sp.simplify(v).is_Rational


# ------------------------------------------------------------------ against the mpmath reference


@pytest.mark.parametrize("index", range(len(ACTIVATIONS)), ids=[_label(c) for c in ACTIVATIONS])
def test_integer_n_matches_mpmath_reference(index):
    """Exact values at n in {2,3,4,5,10,11,100}, k <= 12 vs the 50-digit quadrature reference."""
    name, params, _ = ACTIVATIONS[index]
    for n in DIMS:
        ref = _reference(index, n)
        for k in range(KMAX + 1):
            val = symbolic.funk_hecke_eigenvalue(name, n, k, **params)
            assert not val.free_symbols
            assert _close(val, ref[k], RTOL_REF, ATOL_REF), (name, params, n, k, val, ref[k])


@pytest.mark.parametrize("index", range(len(ACTIVATIONS)), ids=[_label(c) for c in ACTIVATIONS])
def test_symbolic_n_matches_reference_and_integer_path(index):
    """The closed form in n, substituted at n = 2, 3, 4, 5, 10, 11, equals the integer-n value
    (to 50 digits; different code paths) and the quadrature reference."""
    name, params, _ = ACTIVATIONS[index]
    for k in range(KMAX + 1):
        expr = symbolic.funk_hecke_eigenvalue(name, symbolic.n, k, **params)
        assert expr.free_symbols <= {symbolic.n}
        for n in (2, 3, 4, 5, 10, 11):
            sub = expr.subs(symbolic.n, n)
            exact = symbolic.funk_hecke_eigenvalue(name, n, k, **params)
            with mpmath.workdps(DPS):
                diff = abs(mpmath.mpf(sp.N(sub - exact, DPS)))
                assert diff <= mpmath.mpf("1e-45") * (1 + abs(mpmath.mpf(sp.N(exact, DPS))))
            assert _close(sub, _reference(index, n)[k], RTOL_REF, ATOL_REF)


def test_symbolic_results_are_exactly_the_integer_results_when_rational():
    """For unbiased gates at odd n, substitution gives the identical exact rational."""
    for name in ("relu", "step", "sign", "abs", "relu2"):
        for k in range(KMAX + 1):
            expr = symbolic.funk_hecke_eigenvalue(name, k=k)
            for n in (3, 5, 11):
                assert sp.nsimplify(expr.subs(symbolic.n, n)) == symbolic.funk_hecke_eigenvalue(
                    name, n, k
                )


def test_matches_numeric_funk_hecke_eigenvalues():
    """Float64 path harmonics.funk_hecke_eigenvalues (independent implementation, documented
    ~1e-14 relative): agree to 1e-12 relative, exact zeros to 1e-14 of the largest |lambda|."""
    fhe = getattr(harmonics, "funk_hecke_eigenvalues", None)
    if fhe is None:
        pytest.skip("harmonics.funk_hecke_eigenvalues not available")
    for name, params, _ in ACTIVATIONS:
        fparams = {k: (float(v) if k in ("bias", "scale") else v) for k, v in params.items()}
        if "coeffs" in fparams:
            fparams["coeffs"] = [float(c) for c in fparams["coeffs"]]
        for n in DIMS:
            num = fhe(name, n, KMAX, **fparams)
            exact = np.array(
                [float(symbolic.funk_hecke_eigenvalue(name, n, k, **params)) for k in range(13)]
            )
            scale = np.max(np.abs(exact))
            np.testing.assert_allclose(num, exact, rtol=1e-12, atol=1e-14 * scale)


def test_fractional_power_against_adaptive_quadrature():
    """relu^{1/2} and relu^{3/2} (formula (G) with non-integer s) vs mpmath tanh-sinh in theta
    (which handles the cos(theta)^s endpoint singularity at theta = pi/2), 30 digits."""
    with mpmath.workdps(40):
        for s in (R(1, 2), R(3, 2)):
            for n in (2, 3, 10):
                c_n = mpmath.gamma(mpmath.mpf(n) / 2) / (
                    mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(n - 1) / 2)
                )
                for k in range(7):

                    def f(th, n=n, k=k, s=s):
                        x = mpmath.cos(th)
                        p = _mp_legendre_all(k, n, x)[k]
                        return x ** _mp(s) * p * mpmath.sin(th) ** (n - 2)

                    ref = c_n * mpmath.quad(f, [0, mpmath.pi / 2])
                    val = symbolic.funk_hecke_eigenvalue("relu_power", n, k, power=s)
                    assert abs(mpmath.mpf(sp.N(val, 45)) - ref) <= mpmath.mpf("1e-30") * abs(ref)
                    sym = symbolic.funk_hecke_eigenvalue("relu_power", k=k, power=s)
                    sym_n = mpmath.mpf(sp.N(sym.subs(symbolic.n, n), 45))
                    assert abs(sym_n - ref) <= mpmath.mpf("1e-30") * abs(ref)


# ------------------------------------------------------------------------ symbolic parameters


def test_symbolic_power_reduces_to_integer_powers():
    """relu^s with a symbol s, substituted s = 0..3, equals step, relu, relu2, relu3 exactly."""
    s = sp.Symbol("s", positive=True)
    for k in range(9):
        expr = symbolic.funk_hecke_eigenvalue("relu_power", 5, k, power=s)
        for p in range(4):
            got = sp.nsimplify(sp.gammasimp(expr.subs(s, p)))
            want = symbolic.funk_hecke_eigenvalue("relu_power", 5, k, power=p)
            assert sp.simplify(got - want) == 0, (k, p)


def test_symbolic_bias_piecewise_matches_numeric_bias():
    """A symbol b for the bias gives a Piecewise over |t0| < 1, t0 <= -1, t0 >= 1 that equals
    the value computed with numeric bias, for b inside and outside (-1, 1)."""
    b = sp.Symbol("b", real=True)
    for name in ("relu", "step", "relu2"):
        for k in range(6):
            for n in (3, 4):
                expr = symbolic.funk_hecke_eigenvalue(name, n, k, bias=b)
                for bv in (R(-3, 2), R(-1, 3), R(1, 5), R(7, 4)):
                    got = expr.subs(b, bv)
                    want = symbolic.funk_hecke_eigenvalue(name, n, k, bias=bv)
                    assert abs(sp.N(got - want, 40)) < 1e-35, (name, k, n, bv)


def test_symbolic_positive_scale_and_bias():
    """relu(s t + b) with s > 0 symbolic: substitution equals the numeric-parameter result."""
    s = sp.Symbol("s", positive=True)
    b = sp.Symbol("b", real=True)
    for k in range(5):
        expr = symbolic.funk_hecke_eigenvalue("relu", 3, k, scale=s, bias=b)
        got = expr.subs({s: 2, b: R(-1, 2)})
        want = symbolic.funk_hecke_eigenvalue("relu", 3, k, scale=2, bias=R(-1, 2))
        assert sp.simplify(got - want) == 0


def test_symbolic_polynomial_coefficients():
    """lambda_k is linear in the coefficients: the symbolic-coefficient result, substituted,
    equals the numeric one; and a sympy polynomial in symbolic.t gives the same as coeffs."""
    a = sp.symbols("a0:6")
    vals = [3, -1, R(1, 2), 2, 0, -5]
    for k in range(7):
        for n in (None, 2, 7):
            expr = symbolic.funk_hecke_eigenvalue("polynomial", n, k, coeffs=a)
            got = expr.subs(dict(zip(a, vals, strict=True)))
            want = symbolic.funk_hecke_eigenvalue("polynomial", n, k, coeffs=vals)
            assert sp.simplify(got - want) == 0
    t = symbolic.t
    for k in range(5):
        assert symbolic.funk_hecke_eigenvalue(t**3 - t, k=k) == symbolic.funk_hecke_eigenvalue(
            "polynomial", symbolic.n, k, coeffs=[0, -1, 0, 1]
        )


def test_polynomial_expansion_reproduces_the_polynomial():
    """Gegenbauer expansion phi = sum_k N(n,k) lambda_k P_{k,n} is exact for a polynomial,
    symbolically in n and t (docs/conventions.md, "Funk-Hecke eigenvalues")."""
    coeffs = [2, -1, 0, 4, R(1, 3), -2]
    phi = sum(c * symbolic.t**j for j, c in enumerate(coeffs))
    for n in (None, 2, 6):
        series = sum(
            symbolic.dim_harmonics(n, k)
            * symbolic.funk_hecke_eigenvalue("polynomial", n, k, coeffs=coeffs)
            * symbolic.legendre(n, k)
            for k in range(len(coeffs))
        )
        assert sp.cancel(sp.expand(series) - phi) == 0


def test_general_dimension_expression():
    """n given as an expression 2m + 1 (odd dimensions) substitutes to the integer results."""
    m = sp.Symbol("m", integer=True, positive=True)
    for k in range(6):
        expr = symbolic.funk_hecke_eigenvalue("relu", 2 * m + 1, k)
        for mv in (1, 2, 5):
            assert sp.nsimplify(expr.subs(m, mv)) == symbolic.funk_hecke_eigenvalue(
                "relu", 2 * mv + 1, k
            )
        leg = symbolic.legendre(2 * m + 1, k)
        assert sp.expand(leg.subs(m, 2) - symbolic.legendre(5, k)) == 0


def test_activation_objects_and_aliases():
    """harmonics.get_activation objects and the registry's names/aliases are accepted."""
    act = harmonics.get_activation("relu", bias=0.25, scale=2.0)
    for k in range(5):
        assert symbolic.funk_hecke_eigenvalue(act, 3, k) == symbolic.funk_hecke_eigenvalue(
            "relu", 3, k, bias=R(1, 4), scale=2
        )
    for k in range(5):
        assert symbolic.funk_hecke_eigenvalue("heaviside", 4, k) == symbolic.funk_hecke_eigenvalue(
            "step", 4, k
        )
        assert symbolic.funk_hecke_eigenvalue("relu^3", 4, k) == symbolic.funk_hecke_eigenvalue(
            "relu_power", 4, k, power=3
        )


def test_float_parameters_are_read_as_decimals():
    """bias=0.1 means 1/10 (documented), not the binary float 0.1000000000000000055..."""
    assert symbolic.funk_hecke_eigenvalue("relu", 3, 0, bias=0.1) == (
        symbolic.funk_hecke_eigenvalue("relu", 3, 0, bias=R(1, 10))
    )


# ---------------------------------------------------------------------------------- legendre


def test_legendre_matches_numeric_legendre():
    """Exact P_{k,n}(t) at random rational t, converted to float, vs harmonics.legendre (float64
    recurrence, error ~k eps since |P| <= 1): within 1e-13."""
    rng = random.Random(4)
    ts = [R(rng.randint(-1000, 1000), 1000) for _ in range(6)] + [R(-1), R(1)]
    for n in DIMS:
        for k in range(KMAX + 1):
            poly = symbolic.legendre(n, k)
            sym = symbolic.legendre(symbolic.n, k)
            for tv in ts:
                exact = poly.subs(symbolic.t, tv)
                assert exact.is_Rational
                num = harmonics.legendre(n, k, float(tv))
                assert abs(float(exact) - num) <= 1e-13
                assert sp.cancel(sym.subs({symbolic.t: tv, symbolic.n: n}) - exact) == 0


def test_legendre_matches_sympy_polynomials():
    """Cross-check with sympy: chebyshevt (n = 2), legendre (n = 3), gegenbauer ratio (n = 4..9,
    and symbolic n for k <= 6)."""
    t = symbolic.t
    n = symbolic.n
    for k in range(KMAX + 1):
        assert sp.expand(symbolic.legendre(2, k) - sp.chebyshevt(k, t)) == 0
        assert sp.expand(symbolic.legendre(3, k) - sp.legendre(k, t)) == 0
        for nv in range(4, 10):
            a = R(nv - 2, 2)
            ref = sp.gegenbauer(k, a, t) / sp.gegenbauer(k, a, 1)
            assert sp.expand(symbolic.legendre(nv, k) - ref) == 0
    for k in range(7):
        a = (n - 2) / 2
        ref = sp.expand_func(sp.gegenbauer(k, a, t) / sp.gegenbauer(k, a, 1))
        assert sp.simplify(sp.expand_func(symbolic.legendre(n, k)) - ref) == 0


def test_legendre_normalization_and_orthogonality_symbolic():
    """P_{k,n}(1) = 1 identically in n, and E_{nu_n}[P_j P_k] = delta_jk / N(n,k) exactly, with
    the moments E[t^{2i}] = prod_{l<i} (2l+1)/(n+2l) (docs/conventions.md, "The sphere, its
    measure, and the law of one coordinate")."""
    n, t = symbolic.n, symbolic.t

    def expect(poly):
        p = sp.Poly(sp.expand(poly), t)
        total = 0
        for (deg,), c in zip(p.monoms(), p.coeffs(), strict=True):
            if deg % 2 == 0:
                total += c * sp.Mul(*[R(2 * l + 1) / (n + 2 * l) for l in range(deg // 2)])
        return sp.cancel(total)

    for k in range(9):
        assert sp.cancel(symbolic.legendre(n, k).subs(t, 1)) == 1
    for j in range(6):
        for k in range(j, 6):
            val = expect(symbolic.legendre(n, j) * symbolic.legendre(n, k))
            want = 1 / symbolic.dim_harmonics(n, k) if j == k else 0
            assert sp.cancel(val - want) == 0, (j, k)


def test_legendre_custom_variable_and_value():
    y = sp.Symbol("y")
    assert sp.expand(symbolic.legendre(3, 3, y) - sp.legendre(3, y)) == 0
    assert symbolic.legendre(5, 3, R(1, 2)) == sp.expand(
        symbolic.legendre(5, 3).subs(symbolic.t, R(1, 2))
    )


# ---------------------------------------------------------------------------- dim_harmonics


def test_dim_harmonics_symbolic_equals_exact_ints():
    """N(n,k) polynomial in n vs harmonics.dim_harmonics (exact int binomials), n <= 40, k <= 15."""
    for k in range(16):
        poly = symbolic.dim_harmonics(k=k)
        assert sp.Poly(poly, symbolic.n).degree() == k
        for nv in range(2, 41):
            want = harmonics.dim_harmonics(nv, k)
            assert poly.subs(symbolic.n, nv) == want
            assert symbolic.dim_harmonics(nv, k) == want
    assert symbolic.dim_harmonics(100, 6) == 1604922825
    assert symbolic.dim_harmonics(1000, 50) == harmonics.dim_harmonics(1000, 50)


# ------------------------------------------------------------------------------------ kernels


def _kappa_mp(d, x):
    """Cho & Saul (2009) closed forms, kappa_d = J_d(theta)/pi, theta = arccos x (d <= 2)."""
    th = mpmath.acos(x)
    s, c = mpmath.sin(th), mpmath.cos(th)
    J = {
        0: mpmath.pi - th,
        1: s + (mpmath.pi - th) * c,
        2: 3 * s * c + (mpmath.pi - th) * (1 + 2 * c**2),
    }[d]
    return J / mpmath.pi


def test_arccos_kernel_matches_cho_saul():
    """kappa_0, kappa_1, kappa_2 equal Cho & Saul's formulas (30 digits at several rho)."""
    with mpmath.workdps(40):
        for d in range(3):
            expr = symbolic.arccos_kernel(d)
            for x in (R(-99, 100), R(-1, 2), 0, R(1, 3), R(9, 10)):
                got = mpmath.mpf(sp.N(expr.subs(symbolic.rho, x), 40))
                assert abs(got - _kappa_mp(d, mpmath.mpf(x))) < mpmath.mpf("1e-35")


def test_arccos_kernel_values_at_0_and_1():
    """kappa_d(1) = 2 E[u_+^{2d}] = (2d-1)!!, kappa_d(0) = 2 E[u_+^d]^2 with
    E[u_+^d] = 2^{d/2} Gamma((d+1)/2) / (2 sqrt(pi)) (Gaussian moments), exactly, d <= 8."""
    for d in range(9):
        expr = symbolic.arccos_kernel(d)
        assert sp.simplify(expr.subs(symbolic.rho, 1) - sp.factorial2(2 * d - 1)) == 0
        half = 2 ** R(d, 2) * sp.gamma(R(d + 1, 2)) / (2 * sp.sqrt(sp.pi))
        assert sp.simplify(expr.subs(symbolic.rho, 0) - 2 * half**2) == 0


def test_relu_kernels_conventions():
    """docs/conventions.md, "Kernel conventions": K_out = kappa_1/2, K' = kappa_0/2,
    K_NTK = K_out + rho K'."""
    rho = symbolic.rho
    assert sp.simplify(symbolic.relu_kernel("output") - symbolic.arccos_kernel(1) / 2) == 0
    assert sp.simplify(symbolic.relu_kernel("hidden") - symbolic.arccos_kernel(0) / 2) == 0
    ntk = symbolic.relu_kernel("output") + rho * symbolic.relu_kernel("hidden")
    assert sp.simplify(symbolic.relu_kernel("ntk") - ntk) == 0
    # E[relu(u)^2] = 1/2 and E[H(u)^2] = 1/2 at rho = 1.
    assert symbolic.relu_kernel("output").subs(rho, 1) == R(1, 2)
    assert symbolic.relu_kernel("hidden").subs(rho, 1) == R(1, 2)


KERNELS = {
    ("arccos", 0): lambda x: _kappa_mp(0, x),
    ("arccos", 1): lambda x: _kappa_mp(1, x),
    ("arccos", 2): lambda x: _kappa_mp(2, x),
    ("relu_output", None): lambda x: _kappa_mp(1, x) / 2,
    ("relu_hidden", None): lambda x: _kappa_mp(0, x) / 2,
    ("relu_ntk", None): lambda x: _kappa_mp(1, x) / 2 + x * _kappa_mp(0, x) / 2,
}


@pytest.mark.parametrize("kernel", list(KERNELS), ids=[f"{a}{b or ''}" for a, b in KERNELS])
def test_kernel_eigenvalues_match_quadrature(kernel):
    """mu_k = E_{nu_n}[K(t) P_{k,n}(t)] by the 50-digit reference (K from Cho & Saul's formulas,
    analytic in theta) vs kernel_eigenvalue at integer n and symbolic n substituted.  This checks
    the identity mu_k(kappa_d) = 2 prod_{j<d}(n+2j) lambda_k(relu^d)^2 and the NTK recurrence."""
    name, degree = kernel
    kw = {"degree": degree} if degree is not None else {}
    for n in (2, 3, 4, 5, 10, 11):
        ref = reference_eigenvalues(KERNELS[kernel], n, 8)
        for k in range(9):
            val = symbolic.kernel_eigenvalue(name, n, k, **kw)
            assert not val.free_symbols
            assert _close(val, ref[k], RTOL_REF, ATOL_REF), (kernel, n, k)
            sym = symbolic.kernel_eigenvalue(name, symbolic.n, k, **kw).subs(symbolic.n, n)
            assert _close(sym, ref[k], RTOL_REF, ATOL_REF), (kernel, n, k)


def test_kernel_eigenvalue_relations():
    """mu_k(kappa_1/2) = n lambda_k(relu)^2 and mu_k(kappa_0/2) = lambda_k(step)^2 (exact)."""
    for n in (None, 3, 8):
        nn = symbolic.n if n is None else n
        for k in range(8):
            out = symbolic.kernel_eigenvalue("relu_output", n, k)
            lam = symbolic.funk_hecke_eigenvalue("relu", n, k)
            assert sp.simplify(out - nn * lam**2) == 0
            hid = symbolic.kernel_eigenvalue("relu_hidden", n, k)
            assert sp.simplify(hid - symbolic.funk_hecke_eigenvalue("step", n, k) ** 2) == 0


# -------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "gelu", "foo", np.tanh, 3])
def test_unsupported_activation_raises_with_guidance(activation):
    with pytest.raises(ValueError) as info:
        symbolic.funk_hecke_eigenvalue(activation, 3, 1)
    msg = str(info.value)
    assert "relu" in msg and "polynomial" in msg
    assert "harmonics.funk_hecke_eigenvalues" in msg


def test_non_polynomial_expression_raises():
    with pytest.raises(ValueError, match="funk_hecke_eigenvalues"):
        symbolic.funk_hecke_eigenvalue(sp.sin(symbolic.t), 3, 1)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"k": -1}, ValueError, "k must be"),
        ({"k": 1.5}, TypeError, "k must be"),
        ({"n": 1}, ValueError, "n must be"),
        ({"n": 2.5}, TypeError, "n must be"),
        ({"n": "3"}, TypeError, "n must be"),
        ({"n": sp.Rational(5, 2)}, TypeError, "n must be"),
        ({"n": sp.sqrt(sp.Symbol("m"))}, TypeError, "polynomial"),
        ({"scale": 0}, ValueError, "scale must be nonzero"),
        ({"scale": sp.Symbol("s")}, ValueError, "sign of scale"),
        ({"bias": float("nan")}, ValueError, "bias must be finite"),
        ({"bias": "x"}, TypeError, "bias must be"),
        ({"power": 2}, ValueError, "power= applies to relu_power only"),
        ({"coeffs": [1]}, ValueError, "coeffs= applies to polynomial only"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    args = {"k": 1, "n": 3}
    args.update(kwargs)
    k, n = args.pop("k"), args.pop("n")
    with pytest.raises(exc, match=match):
        symbolic.funk_hecke_eigenvalue("relu", n, k, **args)


def test_bad_power_and_coeffs():
    with pytest.raises(ValueError, match="needs power"):
        symbolic.funk_hecke_eigenvalue("relu_power", 3, 1)
    with pytest.raises(ValueError, match="power must be >= 0"):
        symbolic.funk_hecke_eigenvalue("relu_power", 3, 1, power=-1)
    with pytest.raises(ValueError, match="integer power"):
        symbolic.funk_hecke_eigenvalue("relu_power", 3, 1, power=R(1, 2), bias=R(1, 5))
    with pytest.raises(ValueError, match="conflicts"):
        symbolic.funk_hecke_eigenvalue("relu2", 3, 1, power=3)
    with pytest.raises(ValueError, match="needs coeffs"):
        symbolic.funk_hecke_eigenvalue("polynomial", 3, 1)
    with pytest.raises(ValueError, match="at least one"):
        symbolic.funk_hecke_eigenvalue("polynomial", 3, 1, coeffs=[])
    with pytest.raises(TypeError, match=r"coeffs\[1\]"):
        symbolic.funk_hecke_eigenvalue("polynomial", 3, 1, coeffs=[1, "a"])


def test_bad_legendre_dim_kernel_arguments():
    with pytest.raises(ValueError, match="k must be"):
        symbolic.legendre(3, -1)
    with pytest.raises(ValueError, match="n must be"):
        symbolic.legendre(1, 2)
    with pytest.raises(TypeError, match="k must be"):
        symbolic.dim_harmonics(3, 2.5)
    with pytest.raises(ValueError, match="n must be"):
        symbolic.dim_harmonics(0, 2)
    with pytest.raises(ValueError, match="kernel must be one of"):
        symbolic.kernel_eigenvalue("gauss", 3, 1)
    with pytest.raises(ValueError, match="needs degree"):
        symbolic.kernel_eigenvalue("arccos", 3, 1)
    with pytest.raises(ValueError, match="degree= applies"):
        symbolic.kernel_eigenvalue("relu_ntk", 3, 1, degree=1)
    with pytest.raises(ValueError, match="degree must be"):
        symbolic.arccos_kernel(-1)
    with pytest.raises(ValueError, match="kind must be one of"):
        symbolic.relu_kernel("hiden")


# ------------------------------------------------------------------------------ large n, paths


def test_large_n_biased_gates_against_numeric_log_path():
    """Biased relu/relu2 at n = 1000, 1001 (the integer recursion of the incomplete-beta
    integral, k <= p, and formula (T), k > p) vs harmonics.funk_hecke_eigenvalues(log=True)
    (independent float path, ~1e-14 relative): 1e-11 relative.  The exact value is evaluated
    with sympy.N(..., maxn, strict=True) because its terms cancel (module docstring)."""
    fhe = getattr(harmonics, "funk_hecke_eigenvalues", None)
    if fhe is None:
        pytest.skip("harmonics.funk_hecke_eigenvalues not available")
    for name in ("relu", "relu2"):
        for bias in (R(3, 10), R(-3, 10)):
            for n in (1000, 1001):
                sign, logabs = fhe(name, n, 5, bias=float(bias), log=True)
                for k in range(6):
                    val = symbolic.funk_hecke_eigenvalue(name, n, k, bias=bias)
                    with mpmath.workdps(30):
                        v = mpmath.mpf(sp.N(val, 25, maxn=5000, strict=True))
                        ref = sign[k] * mpmath.exp(mpmath.mpf(float(logabs[k])))
                        assert abs(v - ref) <= mpmath.mpf("1e-11") * abs(ref), (name, bias, n, k)


def test_symbolic_kink_at_integer_n_both_forms():
    """A symbolic bias at integer n: elementary form for n + 2k <= 30, 2F1 form beyond; both,
    substituted, equal the rational-bias value (40 digits)."""
    b = sp.Symbol("b", real=True)
    for n in (5, 40):
        for k in range(3):
            expr = symbolic.funk_hecke_eigenvalue("relu", n, k, bias=b)
            assert expr.has(sp.hyper) == (n + 2 * k > 30 and k <= 1)
            got = sp.N(expr.subs(b, R(3, 10)), 45)
            want = sp.N(symbolic.funk_hecke_eigenvalue("relu", n, k, bias=R(3, 10)), 45)
            assert abs(got - want) <= 1e-40 * abs(want)


def test_irrational_bias_against_numeric():
    """bias = sqrt(2)/2 (exact irrational kink) vs the float path at its float value:
    agreement to 1e-12 relative (float64 path accuracy, plus the 1e-16 rounding of the bias)."""
    fhe = getattr(harmonics, "funk_hecke_eigenvalues", None)
    if fhe is None:
        pytest.skip("harmonics.funk_hecke_eigenvalues not available")
    bias = sp.sqrt(2) / 2
    for name in ("relu", "step", "relu2"):
        for n in (2, 3, 4, 7):
            num = fhe(name, n, 8, bias=float(bias))
            exact = np.array(
                [float(symbolic.funk_hecke_eigenvalue(name, n, k, bias=bias)) for k in range(9)]
            )
            np.testing.assert_allclose(num, exact, rtol=1e-12, atol=1e-14 * np.max(np.abs(exact)))


# ------------------------------------------------- argument order (n, k) and the symbol traps


def test_argument_order_is_dimension_then_degree():
    """(n, k) everywhere since 0.2.0.  References: harmonics.dim_harmonics (exact int binomials,
    N(10, 3) = C(12, 3) - C(10, 1) = 210), the classical Legendre P_2 = (3t^2 - 1)/2, and the
    docs/conventions.md values lambda_2(relu) = 1/16, mu_0(K_out) = 3/16 in n = 3 (exact
    rationals)."""
    assert symbolic.dim_harmonics(10, 3) == harmonics.dim_harmonics(10, 3) == 210
    assert symbolic.legendre(3, 2) == R(3, 2) * symbolic.t**2 - R(1, 2)
    assert symbolic.funk_hecke_eigenvalue("relu", 3, 2) == R(1, 16)
    assert symbolic.kernel_eigenvalue("relu_output", 3, 0) == R(3, 16)
    # keywords, and the symbolic dimension by symbol, None or omission (k by keyword)
    assert symbolic.funk_hecke_eigenvalue("relu", k=2, n=3) == R(1, 16)
    n = symbolic.n
    for f in (
        lambda **kw: symbolic.legendre(**kw),
        lambda **kw: symbolic.dim_harmonics(**kw),
        lambda **kw: symbolic.funk_hecke_eigenvalue("relu", **kw),
        lambda **kw: symbolic.kernel_eigenvalue("relu_ntk", **kw),
    ):
        assert f(n=n, k=2) == f(n=None, k=2) == f(k=2)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: symbolic.legendre(2), "legendre"),
        (lambda: symbolic.dim_harmonics(2), "dim_harmonics"),
        (lambda: symbolic.funk_hecke_eigenvalue("relu", 2), "funk_hecke_eigenvalue"),
        (lambda: symbolic.kernel_eigenvalue("relu_ntk", 2), "kernel_eigenvalue"),
        (lambda: symbolic.legendre(), "legendre"),
    ],
)
def test_one_positional_integer_is_not_read_as_the_old_k(call, name):
    """legendre(2) meant k = 2 before 0.2.0; now it must fail and name the new order."""
    with pytest.raises(TypeError, match=rf"{name}\(.*n, k"):
        call()


@pytest.mark.parametrize(
    "tsym",
    [sp.Symbol("t"), sp.Symbol("t", real=True), sp.Symbol("t", positive=True), symbolic.t],
    ids=["plain", "real", "positive", "symbolic.t"],
)
def test_any_symbol_named_t_is_the_variable(tsym):
    """lambda_1(t^3) = E_{nu_n}[t^4] = 3/(n(n+2)) (moments E[t^{2i}] = prod_{l<i}(2l+1)/(n+2l),
    docs/conventions.md; exact closed form), 3/35 at n = 5.  Before the fix a t without the module's
    assumptions was a constant and the result was 0."""
    n = symbolic.n
    assert sp.cancel(symbolic.funk_hecke_eigenvalue(tsym**3, n, 1) - 3 / (n * (n + 2))) == 0
    assert symbolic.funk_hecke_eigenvalue(tsym**3, 5, 1) == R(3, 35)
    assert symbolic.funk_hecke_eigenvalue(tsym**3 - tsym, 3, 1) == R(3, 15) - R(1, 3)


def test_other_symbols_are_coefficients_and_a_t_free_expression_is_refused():
    """a t^2: lambda_0 = a E[t^2] = a/n (exact); an expression with free symbols but no t is
    refused with the symbols named (it would be a constant)."""
    a = sp.Symbol("a")
    n = symbolic.n
    assert sp.cancel(symbolic.funk_hecke_eigenvalue(a * sp.Symbol("t") ** 2, n, 0) - a / n) == 0
    with pytest.raises(ValueError, match="no symbol named t.*x"):
        symbolic.funk_hecke_eigenvalue(sp.Symbol("x") ** 3, 3, 1)
    with pytest.raises(ValueError, match="contains the symbol t"):
        symbolic.funk_hecke_eigenvalue("relu", 3, 1, bias=sp.Symbol("t") / 2)


def test_results_substitute_by_name():
    """expr.subs('n', 3) works (sympify('n') is the plain Symbol('n') the results are in).
    References: lambda_2(relu) = 1/16 and mu_0(K_out) = 3/16 at n = 3 (docs/conventions.md),
    N(3, 2) = 5,
    P_{2,3}(1/2) = -1/8, kappa_1(0) = 1/pi (Cho & Saul) -- exact rationals / closed forms.
    Before the fix the module's n and rho carried assumptions and subs did nothing."""
    assert symbolic.funk_hecke_eigenvalue("relu", k=2).subs("n", 3) == R(1, 16)
    assert symbolic.kernel_eigenvalue("relu_output", k=0).subs("n", 3) == R(3, 16)
    assert symbolic.dim_harmonics(k=2).subs("n", 3) == 5
    assert symbolic.legendre(k=2).subs({"n": 3, "t": R(1, 2)}) == R(-1, 8)
    assert symbolic.arccos_kernel(1).subs("rho", 0) == 1 / sp.pi
    for expr in (
        symbolic.funk_hecke_eigenvalue("relu", k=2),
        symbolic.legendre(k=3),
        symbolic.dim_harmonics(k=4),
        symbolic.kernel_eigenvalue("relu_ntk", k=1),
        symbolic.funk_hecke_eigenvalue("relu", k=1, bias=R(1, 3)),  # 2F1 in n
    ):
        assert expr.free_symbols <= {sp.Symbol("n"), sp.Symbol("t")}
        assert expr.subs(symbolic.n, 5) == expr.subs("n", 5)


def test_symbols_named_n_are_the_dimension():
    """A symbol named n (any assumptions) as n, or inside scale/bias/coefficients, is the
    dimension.  References: relu is 1-homogeneous, so lambda_2(relu(t/sqrt(5))) at n = 5 is
    lambda_2(relu)/sqrt(5) = 1/(32 sqrt(5)) (formula (G), exact); lambda_0(n t^2) = n E[t^2] = 1."""
    pos = sp.Symbol("n", positive=True)
    expr = symbolic.funk_hecke_eigenvalue("relu", pos, 2)
    assert expr.free_symbols == {pos}  # returned in the caller's own symbol
    assert expr.subs(pos, 3) == R(1, 16)
    plain = sp.Symbol("n")
    assert symbolic.funk_hecke_eigenvalue("relu", plain, 2) == symbolic.funk_hecke_eigenvalue(
        "relu", k=2
    )
    got = symbolic.funk_hecke_eigenvalue("relu", 5, 2, scale=1 / sp.sqrt(plain))
    assert sp.simplify(got - 1 / (32 * sp.sqrt(5))) == 0
    assert symbolic.funk_hecke_eigenvalue(plain * sp.Symbol("t") ** 2, 7, 0) == 1
    assert sp.cancel(symbolic.funk_hecke_eigenvalue(plain * symbolic.t**2, k=0)) == 1
