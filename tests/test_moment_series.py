"""The MPFR sums of the Taylor-moment series (harmonics._moment_series).

References: (1) the mpmath-mpf loop the sums replaced (kept here, the same formula term by
term at the same precision: agreement to ~1e-27 relative, 25 target digits plus the guard
digits); (2) an independent mpmath quadrature of lambda_k = E[phi(t) P_{k,n}(t)] at 40 digits,
compared to 1e-14 (the eigenvalues are float64; the quadrature is far more accurate).
"""

from __future__ import annotations

import mpmath
import pytest

from harmonics import funk_hecke as fh
from harmonics import funk_hecke_eigenvalues
from harmonics._moment_series import series_eigenvalues
from harmonics.activations import _ANALYTIC, get_activation


def _coeff_fn(name, scale=1.0, bias=0.0):
    spec = _ANALYTIC[name]

    def coeff_fn(ctx, J):
        c = spec.taylor(ctx, ctx.mpf(bias), J)
        s = ctx.mpf(scale)
        return [c[j] * s**j for j in range(J + 1)]

    return coeff_fn


def _previous(coeff_fn, n, kmax):
    dps = 30
    for _attempt in range(6):
        ctx = mpmath.MPContext()
        ctx.dps = dps
        J = kmax + 120
        coeffs = coeff_fn(ctx, J)
        values, worst, prod = [], 0.0, ctx.one
        tiny = ctx.mpf(10) ** (-dps - 5)
        for k in range(kmax + 1):
            total = abs_total = ctx.zero
            moment, fall, i, run = ctx.one, ctx.factorial(k), 0, 0
            while True:
                j = k + 2 * i
                if j > J:
                    J *= 2
                    coeffs = coeff_fn(ctx, J)
                term = coeffs[j] * fall * moment
                total += term
                abs_total += abs(term)
                if abs(term) <= tiny * abs_total and i > 2:
                    run += 1
                    if run >= 3:
                        break
                else:
                    run = 0
                fall = fall * (j + 1) * (j + 2) / ((2 * i + 1) * (2 * i + 2))
                moment = moment * (2 * i + 1) / (n + 2 * k + 2 * i)
                i += 1
            if total != 0:
                worst = max(worst, float(ctx.log10(abs_total / abs(total))))
            values.append(total / prod if total != 0 else ctx.zero)
            prod *= n + 2 * k
        if dps - worst >= 25:
            return values
        dps = int(worst) + 35
    raise RuntimeError


@pytest.mark.parametrize(
    ("name", "scale", "bias", "n", "kmax"),
    [
        ("tanh", 1.0, 0.0, 10, 20),
        ("sigmoid", 1.2, 0.3, 3, 30),
        ("erf", 2.0, 0.5, 30, 40),
        ("gelu", 1.0, 0.0, 100, 60),  # cancellation: precision raised by the probe
        ("tanh", 1.0, 0.0, 100, 80),
    ],
)
def test_same_values_as_the_previous_loop(name, scale, bias, n, kmax):
    ctx, got = series_eigenvalues(_coeff_fn(name, scale, bias), n, kmax, fh._new_ctx)
    ref = _previous(_coeff_fn(name, scale, bias), n, kmax)
    for a, b in zip(got, ref, strict=True):
        if b == 0:
            assert a == 0
        else:
            assert abs(a / b - 1) <= 1e-27


@pytest.mark.parametrize(
    ("name", "scale", "bias", "n", "kmax"),
    [("tanh", 1.0, 0.0, 10, 20), ("gelu", 1.0, 0.0, 100, 60), ("sigmoid", 1.2, 0.3, 3, 30)],
)
def test_without_gmpy2_same_values(name, scale, bias, n, kmax):
    # The core install has no gmpy2: the sums then run in mpmath's mpf at the same binary
    # precision.  Reference: the previous mpmath loop (as above, 1e-27) and, where gmpy2 is
    # installed, the MPFR path (both correctly rounded at the same precision; 1e-27 leaves room
    # for the different order of the two loops' roundings in the moment recurrence).
    fn = _coeff_fn(name, scale, bias)
    _ctx, plain = series_eigenvalues(fn, n, kmax, fh._new_ctx, use_gmpy2=False)
    ref = _previous(fn, n, kmax)
    for a, b in zip(plain, ref, strict=True):
        assert a == 0 if b == 0 else abs(a / b - 1) <= 1e-27
    pytest.importorskip("gmpy2")
    _ctx, fast = series_eigenvalues(fn, n, kmax, fh._new_ctx, use_gmpy2=True)
    for a, b in zip(plain, fast, strict=True):
        assert a == 0 if b == 0 else abs(a / b - 1) <= 1e-27


def test_against_mpmath_quadrature():
    # lambda_k = c_n int phi(t) P_{k,n}(t) (1 - t^2)^{(n-3)/2} dt, n = 5, P_{k,5} = C_k^{3/2}
    # normalized; tanh(1.3 t + 0.2) (no symmetry zeros)
    n, scale, bias = 5, 1.3, 0.2
    got = funk_hecke_eigenvalues(get_activation("tanh", scale=scale, bias=bias), n, 9)
    with mpmath.workdps(40):
        c = mpmath.gamma(mpmath.mpf(n) / 2) / (
            mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(n - 1) / 2)
        )
        for k in (0, 1, 4, 9):
            norm = mpmath.gegenbauer(k, 1.5, 1)
            ref = c * mpmath.quad(
                lambda t, k=k, norm=norm: (
                    mpmath.tanh(scale * t + bias)
                    * mpmath.gegenbauer(k, 1.5, t)
                    / norm
                    * (1 - t * t)
                ),
                [-1, 0, 1],
            )
            assert abs(got[k] / float(ref) - 1) <= 1e-14
