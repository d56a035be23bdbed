"""Generate tests/reference/eigenvalue_reference.json: Funk-Hecke eigenvalues to >= 30 digits.

The reference is computed DIRECTLY from the definition (docs/conventions.md, "Funk-Hecke
eigenvalues"), never with the ``harmonics``
package and never through Rodrigues' formula or Taylor moments (the methods of
``harmonics.funk_hecke``):

    lambda_k(phi) = c_n int_{-1}^{1} phi(t) P_{k,n}(t) (1 - t^2)^{(n-3)/2} dt,
    c_n = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)).

Method
------
* Substituting t = cos(theta) makes the integrand analytic for every integer n:
      lambda_k = c_n int_0^pi phi(cos th) P_{k,n}(cos th) sin(th)^{n-2} d th.
  The theta range is split at the kink of phi (theta_0 = arccos(t_0)), so each piece is
  analytic, and each piece is cut further into subintervals, each integrated with an m-point
  Gauss-Legendre rule (mpmath's ``GaussLegendre`` nodes, m = 3 * 2^j).
* The subintervals and m are chosen a priori from the Gauss-Legendre error bound for functions
  analytic in a Bernstein ellipse E_rho (Trefethen, Approximation Theory and Approximation
  Practice, Thm 19.3):  |I - I_m| <= (L/2) (64/15) M(rho) rho^{-2m} / (rho^2 - 1), with
  M(rho) = max |integrand| on E_rho bounded by sampling the ellipse (in float64, log scale) using
  |P_{k,n}(cos z)| <= cosh(k Im z) (Gegenbauer polynomials with alpha >= 0 are nonnegative
  combinations of cos(j theta)), |sin z|^{n-2} and |phi| itself (for analytic phi the ellipse is
  kept away from the poles).  Subintervals whose total contribution is below the target are
  dropped (for large n the weight sin^{n-2} is concentrated at width 1/sqrt(n) around pi/2,
  so most of [0, pi] is negligible; the subdivision concentrates nodes there automatically).
  An interval is bisected while that does not raise the node count one level down (or when no
  rule meets the target on it); see ``_plan``.
* lambda_k decays like n^{-k/2} (down to ~1e-330 here) while the integrand is O(1), so the sum
  cancels catastrophically: all arithmetic is done with an absolute precision of 10^-P,
  P = 30 + 15 + (digits lost), in exact fixed-point integers (P_{k,n} at every node by the
  three-term recurrence on integers, every product accumulated exactly).  P is raised until
  every nonzero lambda_k has >= 40 digits above the absolute error target.
* Verification: every (activation, n) is computed twice, the second time with P + 25 digits,
  a tighter error target and a different subdivision (split points at 0.43 instead of 0.5),
  hence different nodes; the stored values are from the second run, and the two runs must
  agree to 33 digits relative for every nonzero lambda_k (the achieved number is stored).
* Exact zeros are decided by symmetry, not by a small number: if phi = (polynomial of degree d)
  + (function of parity e), lambda_k = 0 for every k > d whose parity differs from e (e.g. ReLU
  = t/2 + |t|/2: odd k >= 3); a polynomial of degree d has lambda_k = 0 for k > d.  The
  computed value at those k is required to be at noise level (a consistency check).
* Spot checks against ``mpmath.quad`` (tanh-sinh, with P_k from mpmath's hypergeometric
  ``gegenbauer``, independent of the recurrence used above) and exact sympy rationals at n = 3
  (where the weight is 1) are recomputed on every run and must agree.

Parameters (bias, scale, ...) are the float64 numbers passed to the API, used exactly.

Coverage: every registered activation of ``harmonics.get_activation`` (relu, step, sign, abs,
relu_power as relu2 / relu3, sigmoid, tanh, erf, softplus, gelu, polynomial, identity) and
gates phi(scale t + bias) (see SPECS), at n in DIMENSIONS = {3, 10, 100, 1000, 10^4};
piecewise gates at k = 0..30 and every third degree to 199, plus 200 (89 degrees), analytic
ones at k = 0..40, polynomials at k = 0..8.  The degree lists are not reduced anywhere: the
whole table (110 (activation, n) entries, ~1 MB) took 97-105 s on one core (2-core machine shared
with other work); the slowest entry, relu_b0.3 at n = 10^4 (lambda down to 1e-326, P = 480),
took 15-22 s.  Each entry records its own time in ``seconds``.

Runs with ``--only`` / ``--dims`` merge the recomputed entries into the existing output file
(entries whose activation definition changed are dropped); ``--fresh`` starts from scratch;
``--checks-only`` redoes the exact n = 3 and mpmath.quad spot checks on the stored table.
``complete`` in the output is true when every (activation, n) of SPECS x DIMENSIONS is present.

Usage:  python tests/reference/make_eigenvalue_reference.py [--out PATH] [--only ID ...]
        [--dims N ...] [--fresh] [--checks-only]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import numpy as np
import scipy.special as sp
import sympy
from _refio import write_atomic  # noqa: E402  (script directory is on sys.path)
from mpmath.calculus.quadrature import GaussLegendre

DIMENSIONS = [3, 10, 100, 1000, 10000]
# every degree up to 30, then every third (both parities), and the end points 200 / 40
PIECEWISE_DEGREES = list(range(31)) + list(range(31, 200, 3)) + [200]
SMOOTH_DEGREES = list(range(41))
POLY_DEGREES = list(range(9))
DIGITS = 36  # significant digits stored
VERIFY_EXTRA = 25  # extra digits of the verification run
REQUIRED_AGREEMENT = 33  # digits the two runs must share
GL_MENU = (6, 12, 24, 48, 96, 192, 384)  # Gauss-Legendre sizes (3 * 2^j, mpmath degree j + 1)
GL_PREC = 2400  # bits of the cached Gauss-Legendre nodes (enough for P <= ~690 digits)


# ------------------------------------------------------------------------------ activations


@dataclass(frozen=True)
class Spec:
    """An activation t -> base(scale * t + bias) and how the API names it."""

    ident: str
    api: str
    params: dict
    definition: str
    base: str  # relu, relu_p, leaky, leaky_step, step, sign, abs, sigmoid, tanh, erf, softplus,
    # gelu, silu, sin, cos, poly
    scale: float = 1.0
    bias: float = 0.0
    power: int = 1
    coeffs: tuple = ()
    slope: float = 0.0  # negative slope of leaky (x < 0: slope x) and leaky_step (x < 0: slope)
    # symmetry: lambda_k = 0 for k > zero_above with k % 2 == zero_parity (None: no zeros)
    zero_parity: int | None = None
    zero_above: int = -1
    zero_reason: str = ""
    degrees: list = field(default_factory=list)

    @property
    def family(self) -> str:
        if self.base in ("relu", "relu_p", "leaky", "leaky_step", "step", "sign", "abs"):
            return "piecewise"
        return "polynomial" if self.base == "poly" else "smooth"

    def is_zero(self, k: int) -> bool:
        if self.base == "poly" and k > len(self.coeffs) - 1:
            return True
        return self.zero_parity is not None and k > self.zero_above and k % 2 == self.zero_parity


POLY = (1.0, -2.0, 0.0, 3.0, 0.0, -1.0, 0.5)
PW, SM = PIECEWISE_DEGREES, SMOOTH_DEGREES
ODD, EVEN = 1, 0
SPECS = [
    Spec("relu", "relu", {}, "max(t, 0)", "relu", zero_parity=ODD, zero_above=1,
         zero_reason="relu = t/2 + |t|/2: odd k >= 3 vanish", degrees=PW),
    Spec("step", "step", {}, "H(t)", "step", zero_parity=EVEN, zero_above=0,
         zero_reason="step = 1/2 + sign/2: even k >= 2 vanish", degrees=PW),
    Spec("sign", "sign", {}, "sign(t)", "sign", zero_parity=EVEN, zero_above=-1,
         zero_reason="odd function: even k vanish", degrees=PW),
    Spec("abs", "abs", {}, "|t|", "abs", zero_parity=ODD, zero_above=-1,
         zero_reason="even function: odd k vanish", degrees=PW),
    Spec("relu2", "relu2", {}, "max(t, 0)^2", "relu_p", power=2, zero_parity=EVEN,
         zero_above=2, zero_reason="relu^2 = t^2/2 + t|t|/2: even k >= 4 vanish", degrees=PW),
    Spec("relu3", "relu_power", {"power": 3}, "max(t, 0)^3", "relu_p", power=3,
         zero_parity=ODD, zero_above=3,
         zero_reason="relu^3 = t^3/2 + |t|^3/2: odd k >= 5 vanish", degrees=PW),
    Spec("relu_b0.3", "relu", {"bias": 0.3}, "max(t + 0.3, 0)", "relu", bias=0.3, degrees=PW),
    Spec("relu_s-2_b0.5", "relu", {"scale": -2.0, "bias": 0.5}, "max(-2 t + 0.5, 0)", "relu",
         scale=-2.0, bias=0.5, degrees=PW),
    Spec("step_b-0.2", "step", {"bias": -0.2}, "H(t - 0.2)", "step", bias=-0.2, degrees=PW),
    Spec("sigmoid", "sigmoid", {}, "1/(1 + exp(-t))", "sigmoid", zero_parity=EVEN,
         zero_above=0, zero_reason="sigmoid - 1/2 is odd: even k >= 2 vanish", degrees=SM),
    Spec("tanh", "tanh", {}, "tanh(t)", "tanh", zero_parity=EVEN, zero_above=-1,
         zero_reason="odd function: even k vanish", degrees=SM),
    Spec("erf", "erf", {}, "erf(t)", "erf", zero_parity=EVEN, zero_above=-1,
         zero_reason="odd function: even k vanish", degrees=SM),
    Spec("softplus", "softplus", {}, "log(1 + exp(t))", "softplus", zero_parity=ODD,
         zero_above=1, zero_reason="softplus - t/2 is even: odd k >= 3 vanish", degrees=SM),
    Spec("gelu", "gelu", {}, "t Phi(t)", "gelu", zero_parity=ODD, zero_above=1,
         zero_reason="gelu - t/2 = t (Phi(t) - 1/2) is even: odd k >= 3 vanish", degrees=SM),
    Spec("tanh_s2_b0.5", "tanh", {"scale": 2.0, "bias": 0.5}, "tanh(2 t + 0.5)", "tanh",
         scale=2.0, bias=0.5, degrees=SM),
    Spec("sigmoid_b1", "sigmoid", {"bias": 1.0}, "1/(1 + exp(-(t + 1)))", "sigmoid", bias=1.0,
         degrees=SM),
    Spec("erf_s3", "erf", {"scale": 3.0}, "erf(3 t)", "erf", scale=3.0, zero_parity=EVEN,
         zero_above=-1, zero_reason="odd function: even k vanish", degrees=SM),
    Spec("softplus_s3", "softplus", {"scale": 3.0}, "log(1 + exp(3 t))", "softplus",
         scale=3.0, zero_parity=ODD, zero_above=1,
         zero_reason="softplus(3t) - 3t/2 is even: odd k >= 3 vanish", degrees=SM),
    Spec("gelu_s2_b-0.5", "gelu", {"scale": 2.0, "bias": -0.5}, "(2t - 0.5) Phi(2t - 0.5)",
         "gelu", scale=2.0, bias=-0.5, degrees=SM),
    Spec("polynomial", "polynomial", {"coeffs": list(POLY)}, "1 - 2t + 3t^3 - t^5 + 0.5t^6",
         "poly", coeffs=POLY, zero_reason="degree 6: k >= 7 vanish", degrees=POLY_DEGREES),
    Spec("polynomial_s0.5_b0.25", "polynomial",
         {"coeffs": list(POLY), "scale": 0.5, "bias": 0.25}, "p(0.5 t + 0.25), p as above",
         "poly", scale=0.5, bias=0.25, coeffs=POLY, zero_reason="degree 6: k >= 7 vanish",
         degrees=POLY_DEGREES),
    Spec("identity", "identity", {}, "t", "poly", coeffs=(0.0, 1.0), zero_parity=EVEN,
         zero_above=-1, zero_reason="odd, degree 1: only k = 1 is nonzero",
         degrees=POLY_DEGREES),
    # issue 19: leaky_relu, leaky_step (its derivative), silu/swish, sin, cos
    Spec("leaky_relu", "leaky_relu", {}, "t for t > 0, 0.01 t for t < 0", "leaky", slope=0.01,
         zero_parity=ODD, zero_above=1,
         zero_reason="leaky = (1+a) t/2 + (1-a) |t|/2: odd k >= 3 vanish", degrees=PW),
    Spec("leaky_relu_a0.2_s-1.5_b0.3", "leaky_relu",
         {"negative_slope": 0.2, "scale": -1.5, "bias": 0.3}, "leaky_0.2(-1.5 t + 0.3)", "leaky",
         slope=0.2, scale=-1.5, bias=0.3, degrees=PW),
    Spec("leaky_step_a0.25", "leaky_step", {"negative_slope": 0.25},
         "1 for t > 0, 0.25 for t < 0", "leaky_step", slope=0.25, zero_parity=EVEN,
         zero_above=0, zero_reason="(1+a)/2 + (1-a) sign/2: even k >= 2 vanish", degrees=PW),
    Spec("silu", "swish", {}, "t / (1 + exp(-t))", "silu", zero_parity=ODD, zero_above=1,
         zero_reason="silu - t/2 = (t/2) tanh(t/2) is even: odd k >= 3 vanish", degrees=SM),
    Spec("silu_s2_b-0.5", "silu", {"scale": 2.0, "bias": -0.5},
         "(2t - 0.5) / (1 + exp(0.5 - 2t))", "silu", scale=2.0, bias=-0.5, degrees=SM),
    Spec("sin", "sin", {}, "sin(t)", "sin", zero_parity=EVEN, zero_above=-1,
         zero_reason="odd function: even k vanish", degrees=SM),
    Spec("cos", "cos", {}, "cos(t)", "cos", zero_parity=ODD, zero_above=-1,
         zero_reason="even function: odd k vanish", degrees=SM),
    Spec("sin_s5_b0.3", "sin", {"scale": 5.0, "bias": 0.3}, "sin(5 t + 0.3)", "sin", scale=5.0,
         bias=0.3, degrees=SM),
    Spec("cos_s20", "cos", {"scale": 20.0}, "cos(20 t)", "cos", scale=20.0, zero_parity=ODD,
         zero_above=-1, zero_reason="even function: odd k vanish", degrees=SM),
]  # fmt: skip

POLE_DISTANCE = {"sigmoid": math.pi, "softplus": math.pi, "tanh": math.pi / 2, "silu": math.pi}


def _piece_polys(spec: Spec):
    """For piecewise gates: (coefficients in x of the piece x > 0, of the piece x < 0)."""
    p, a = spec.power, spec.slope
    return {
        "relu": ([0, 1], []),
        "leaky": ([0, 1], [0, a]),
        "leaky_step": ([1], [a]),
        "relu_p": ([0] * p + [1], []),
        "step": ([1], []),
        "sign": ([1], [-1]),
        "abs": ([0, 1], [0, -1]),
    }[spec.base]


def _mp_phi(spec: Spec, coeffs_x):
    """phi as a function of t in mpmath (on one piece for piecewise gates)."""
    s, b = mpmath.mpf(spec.scale), mpmath.mpf(spec.bias)
    if spec.family in ("piecewise", "polynomial"):
        cs = [mpmath.mpf(c) for c in coeffs_x]
        return lambda t: mpmath.polyval(cs[::-1], s * t + b)
    f = {
        "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
        "tanh": mpmath.tanh,
        "erf": mpmath.erf,
        "softplus": lambda x: mpmath.log1p(mpmath.exp(x)),
        "gelu": lambda x: x * mpmath.ncdf(x),
        "silu": lambda x: x / (1 + mpmath.exp(-x)),
        "sin": mpmath.sin,
        "cos": mpmath.cos,
    }[spec.base]
    return lambda t: f(s * t + b)


def _np_phi(spec: Spec, coeffs_x):
    """phi(t) for complex t (float64), for the analyticity bounds."""
    s, b = spec.scale, spec.bias
    if spec.family in ("piecewise", "polynomial"):
        return lambda t: np.polyval(np.array(coeffs_x[::-1], dtype=float), s * t + b)
    f = {
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "tanh": np.tanh,
        "erf": sp.erf,
        "softplus": lambda x: np.log(1 + np.exp(x)),
        "gelu": lambda x: x * 0.5 * (1 + sp.erf(x / math.sqrt(2))),
        "silu": lambda x: x / (1 + np.exp(-x)),
        "sin": np.sin,
        "cos": np.cos,
    }[spec.base]
    return lambda t: f(s * t + b)


def _theta_pieces(spec: Spec):
    """[(theta_a, theta_b, coefficients in x or None)] covering [0, pi], split at the kink.

    The end points are mpf: the kink theta_0 = arccos(t_0), t_0 = -bias/scale, is computed at
    the working precision (a float64 split point would be off by ~1e-16, which moves a step's
    eigenvalues by ~1e-16 absolutely, far more than a 30-digit tolerance on lambda ~ 1e-260).
    """
    pi = mpmath.pi
    if spec.family != "piecewise":
        return [(mpmath.mpf(0), +pi, list(spec.coeffs) if spec.base == "poly" else None)]
    pos, neg = _piece_polys(spec)
    t0 = -mpmath.mpf(spec.bias) / mpmath.mpf(spec.scale)  # kink: scale * t + bias = 0
    # theta small <-> t near 1; for t > t0 the sign of x = scale t + bias is the sign of scale
    hi, lo = (pos, neg) if spec.scale > 0 else (neg, pos)
    if t0 >= 1:
        return [(mpmath.mpf(0), +pi, lo)]
    if t0 <= -1:
        return [(mpmath.mpf(0), +pi, hi)]
    th0 = mpmath.acos(t0)
    return [(mpmath.mpf(0), th0, hi), (th0, +pi, lo)]


# ------------------------------------------------------------------------------ quadrature

_GL_CACHE: dict = {}


def _gl_nodes(m: int, bits: int):
    """m-point Gauss-Legendre nodes and weights on [-1, 1] to >= ``bits`` bits (mpmath).

    Computed at the next multiple of 600 bits (at most GL_PREC) and cached: the Newton iteration
    of ``calc_nodes`` dominates the run time at high precision (~8 s for m = 384 at 2400 bits).
    """
    prec = min(GL_PREC, 600 * -(-bits // 600))
    if prec < bits:
        raise RuntimeError(f"{bits} bits of nodes requested, GL_PREC = {GL_PREC}")
    if (m, prec) not in _GL_CACHE:
        degree = int(round(math.log2(m / 3))) + 1
        with mpmath.workprec(prec + 20):
            nodes = GaussLegendre(mpmath.mp).calc_nodes(degree, prec + 20)
        assert len(nodes) == m
        _GL_CACHE[m, prec] = nodes
    return _GL_CACHE[m, prec]


_LOG_RHO = np.linspace(np.log(1.01), 6.0, 60)
_PSI = np.linspace(0, 2 * np.pi, 512, endpoint=False)


def _log_bounds(a, b, n, kmax, phi_c, pole, scale, log_cn):
    """log max|integrand| on the Bernstein ellipses of [a, b] for the rho grid (-inf: excluded)."""
    c, r = 0.5 * (a + b), 0.5 * (b - a)
    rho = np.exp(_LOG_RHO)[:, None]
    z = c + r * 0.5 * (rho * np.exp(1j * _PSI) + np.exp(-1j * _PSI) / rho)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        lf = log_cn + (n - 2) * np.log(np.abs(np.sin(z))) + kmax * np.abs(z.imag)
        if phi_c is not None:
            lf = lf + np.log(np.abs(phi_c(np.cos(z))))
    logm = np.max(lf, axis=1)
    ok = np.isfinite(logm) | (logm == -np.inf)
    if pole is not None:
        ok &= np.max(np.abs(scale * np.cos(z).imag), axis=1) < 0.9 * pole
    logm = np.where(ok, logm, np.nan)
    return logm + math.log(5e4)  # safety factor for the sampling of the ellipse


def _required_m(a, b, log_allow, ctx):
    """Smallest m in GL_MENU meeting the error target on [a, b]; 0 if negligible; None if none."""
    logm = _log_bounds(a, b, *ctx)
    r = 0.5 * (b - a)
    if not np.isnan(logm[0]) and math.log(2 * r) + logm[0] < log_allow:
        return 0
    rho = np.exp(_LOG_RHO)
    for m in GL_MENU:
        with np.errstate(invalid="ignore"):
            err = math.log(r * 64 / 15) + logm - 2 * m * _LOG_RHO - np.log(rho**2 - 1)
        if np.nanmin(err) < log_allow:
            return m
    return None


def _plan(a, b, log_allow, ctx, split, depth=0, m=-1):
    """Subintervals [(a, b, m)] of [a, b] covering its non-negligible part (greedy bisection).

    An interval is bisected while that does not raise its node count at one level of lookahead
    (halves that are negligible count 0) or when no rule of GL_MENU meets the target on it.
    (Bisecting until every piece needed <= 48 nodes, as a first version did, never terminates
    once the target is beyond what 48 nodes reach on any ellipse of the rho grid, ~250 digits.)
    """
    if m == -1:
        m = _required_m(a, b, log_allow, ctx)
    if m == 0:
        return []
    if depth >= 40:
        if m is None:
            raise RuntimeError(f"cannot meet the quadrature error target on [{a}, {b}]")
        return [(a, b, m)]
    mid = a + split * (b - a)
    m_lo = _required_m(a, mid, log_allow, ctx)
    m_hi = _required_m(mid, b, log_allow, ctx)
    if m is not None and m_lo is not None and m_hi is not None and m < m_lo + m_hi:
        return [(a, b, m)]
    return _plan(a, mid, log_allow, ctx, split, depth + 1, m_lo) + _plan(
        mid, b, log_allow, ctx, split, depth + 1, m_hi
    )


def _eigenvalues_fixed_point(spec: Spec, n: int, kmax: int, P: int, split: float):
    """lambda_0..lambda_kmax as mpf, absolute error target 10^-P; returns (values, nodes)."""
    bits = int((P + 15) * math.log2(10)) + 64
    if bits > GL_PREC:
        raise RuntimeError(f"P = {P} needs more than GL_PREC = {GL_PREC} bits of nodes")
    log_allow = -(P + 3) * math.log(10)
    values = [0] * (kmax + 1)
    total_nodes = 0
    with mpmath.workprec(bits + 40):
        cn = mpmath.gamma(mpmath.mpf(n) / 2) / (
            mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(n - 1) / 2)
        )
        log_cn = float(mpmath.log(cn))
        pole = POLE_DISTANCE.get(spec.base)
        one = 1 << bits
        acc = [0] * (kmax + 1)  # exact sums in units of 2^-(2 bits)
        for a, b, coeffs_x in _theta_pieces(spec):
            if coeffs_x == []:
                continue  # phi vanishes on this piece
            phi_c = _np_phi(spec, coeffs_x)
            ctx = (n, kmax, phi_c, pole, spec.scale, log_cn)
            phi_mp = _mp_phi(spec, coeffs_x)
            fa, fb = float(a), float(b)
            # the plan works in float64 (bounds only); the nodes are placed in mpmath on the
            # exact piece [a, b]: a subinterval [u0, u1] of [fa, fb] maps to
            # a + (b - a) (u - fa)/(fb - fa), so neighbouring subintervals share end points.
            for ia, ib, m in _plan(fa, fb, log_allow, ctx, split):
                u0 = (mpmath.mpf(ia) - fa) / (fb - fa)
                u1 = (mpmath.mpf(ib) - fa) / (fb - fa)
                lo_, hi_ = a + (b - a) * u0, a + (b - a) * u1
                c, r = (lo_ + hi_) / 2, (hi_ - lo_) / 2
                for x, w in _gl_nodes(m, bits):
                    th = c + r * x
                    ct, st = mpmath.cos(th), mpmath.sin(th)
                    weight = cn * r * w * st ** (n - 2) * phi_mp(ct)
                    W = int(mpmath.nint(mpmath.ldexp(weight, bits)))
                    T = int(mpmath.nint(mpmath.ldexp(ct, bits)))
                    p_prev, p_cur = one, T
                    acc[0] += W * one
                    if kmax >= 1:
                        acc[1] += W * T
                    for k in range(1, kmax):
                        p_next = ((2 * k + n - 2) * ((T * p_cur) >> bits) - k * p_prev) // (
                            k + n - 2
                        )
                        acc[k + 1] += W * p_next
                        p_prev, p_cur = p_cur, p_next
                total_nodes += m
        for k in range(kmax + 1):
            values[k] = mpmath.ldexp(mpmath.mpf(acc[k]), -2 * bits)
    return values, total_nodes


def compute_entry(spec: Spec, n: int, log=print):
    """Eigenvalues of spec at the degrees of spec, verified by a second independent run."""
    kmax = max(spec.degrees)
    nonzero = [k for k in spec.degrees if not spec.is_zero(k)]
    P = int(60 + 0.3 * kmax * math.log10(n))
    t_start = time.time()
    while True:
        vals, nodes = _eigenvalues_fixed_point(spec, n, kmax, P, split=0.5)
        worst = min(float(mpmath.log10(abs(vals[k]))) if vals[k] != 0 else -1e9 for k in nonzero)
        if worst < -P + 40:
            log(f"    P = {P}: smallest |lambda| ~ 1e{worst:.0f} unresolved; raising P")
            P = int(max(P * 1.4, -worst + 60)) if worst > -P + 10 else int(P * 1.5 + 30)
            continue
        P2 = P + VERIFY_EXTRA
        vals2, nodes2 = _eigenvalues_fixed_point(spec, n, kmax, P2, split=0.43)
        agree = min(
            -float(mpmath.log10(abs(vals[k] - vals2[k]) / abs(vals2[k])))
            if vals[k] != vals2[k]
            else 99.0
            for k in nonzero
        )
        if agree < REQUIRED_AGREEMENT:
            log(f"    P = {P}: runs agree to only {agree:.1f} digits; raising P")
            P += 40
            continue
        break
    for k in spec.degrees:
        if spec.is_zero(k):
            # symmetry zero: the quadrature must be at noise level (absolute 10^-(P2-8))
            if vals2[k] != 0 and float(mpmath.log10(abs(vals2[k]))) > -(P2 - 8):
                raise RuntimeError(f"{spec.ident} n={n} k={k}: symmetry zero is {vals2[k]}")
    records = []
    for k in spec.degrees:
        if spec.is_zero(k):
            records.append(
                {"k": k, "value": "0", "sign": 0, "log10_abs": "-inf", "exact_zero": True}
            )
        else:
            v = vals2[k]
            with mpmath.workdps(DIGITS + 20):  # (at the default 15 digits log10 is 15 digits)
                log10_abs = mpmath.log10(abs(v))
            records.append(
                {
                    "k": k,
                    "value": mpmath.nstr(v, DIGITS, strip_zeros=False),
                    "sign": int(mpmath.sign(v)),
                    "log10_abs": mpmath.nstr(log10_abs, DIGITS, strip_zeros=False),
                    "exact_zero": False,
                }
            )
    seconds = time.time() - t_start
    log(
        f"    P = {P}/{P2} digits, nodes {nodes}/{nodes2}, agreement {agree:.1f} digits, "
        f"smallest |lambda| 1e{worst:.1f}, {seconds:.1f} s"
    )
    return {
        "activation": spec.ident,
        "n": n,
        "kmax": kmax,
        "precision_digits": P2,
        "verified_digits": round(min(agree, 99.0), 1),
        "quadrature_nodes": nodes2,
        "seconds": round(seconds, 1),
        "values": records,
    }, [vals2[k] for k in spec.degrees]


# ------------------------------------------------------------------------------ exact and spot


def exact_n3_table():
    """Exact rationals at n = 3 (nu_3 is uniform on [-1, 1]): lambda_k = (1/2) int phi P_k dt."""
    t = sympy.symbols("t")
    pieces = {  # phi on [0, 1] and on [-1, 0]
        "relu": (t, 0),
        "step": (1, 0),
        "abs": (t, -t),
        "relu2": (t**2, 0),
    }
    out = []
    for ident, (right, left) in pieces.items():
        for k in range(9):
            pk = sympy.legendre(k, t)
            val = sympy.Rational(1, 2) * (
                sympy.integrate(right * pk, (t, 0, 1)) + sympy.integrate(left * pk, (t, -1, 0))
            )
            assert val.is_Rational
            out.append({"activation": ident, "n": 3, "k": k, "value": str(val)})
    return out


SPOT_CHECKS = [  # (activation id, n, k): recomputed with mpmath.quad + hypergeometric P_k
    ("relu", 10, 4),
    ("relu", 10, 20),
    ("sigmoid", 100, 5),
    ("step_b-0.2", 1000, 6),
    ("tanh_s2_b0.5", 3, 15),
    ("relu_s-2_b0.5", 100, 9),
    ("leaky_relu_a0.2_s-1.5_b0.3", 100, 7),
    ("silu_s2_b-0.5", 10, 12),
    ("sin_s5_b0.3", 10, 9),
    ("cos_s20", 3, 30),
]


def spot_check(spec: Spec, n: int, k: int):
    """lambda_k by mpmath.quad (tanh-sinh) of the definition in t, at 60 digits."""
    with mpmath.workdps(60):
        alpha = mpmath.mpf(n - 2) / 2
        norm = mpmath.gegenbauer(k, alpha, 1)
        cn = mpmath.gamma(mpmath.mpf(n) / 2) / (
            mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(n - 1) / 2)
        )
        if spec.family == "piecewise":
            pos, neg = _piece_polys(spec)
            fpos, fneg = _mp_phi(spec, pos), _mp_phi(spec, neg if neg else [0])
            s, b = mpmath.mpf(spec.scale), mpmath.mpf(spec.bias)

            def phi(t):
                return fpos(t) if s * t + b > 0 else fneg(t)

            kink = [-b / s] if abs(b / s) < 1 else []
        else:
            phi, kink = _mp_phi(spec, list(spec.coeffs)), []
        w = 1 / mpmath.sqrt(n)
        pts = sorted({-1, 1, 0, *kink, *[x * w for x in (-8, -4, -2, -1, 1, 2, 4, 8) if x * w < 1]})
        pts = [mpmath.mpf(x) for x in pts if -1 <= x <= 1]

        def f(t):
            return (
                phi(t)
                * mpmath.gegenbauer(k, alpha, t)
                / norm
                * (1 - t * t) ** (mpmath.mpf(n - 3) / 2)
            )

        val, err = mpmath.quad(f, pts, error=True, maxdegree=10)
        return cn * val, cn * err


# ------------------------------------------------------------------------------ driver


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def _spec_meta(s: Spec) -> dict:
    return {
        "api_name": s.api,
        "params": s.params,
        "definition": s.definition,
        "family": s.family,
        "degrees": s.degrees,
        "zero_rule": s.zero_reason,
    }


def _load_previous(path: str) -> list:
    """Entries of an existing output file that are still valid for the current SPECS.

    Running with ``--only``/``--dims`` recomputes a subset and merges it into the file instead of
    overwriting the other activations; an entry is kept only if its activation is still defined
    with the same API name, parameters and degrees.
    """
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        old = json.load(fh)
    by_id = {s.ident: s for s in SPECS}
    keep = []
    for entry in old.get("entries", []):
        spec = by_id.get(entry["activation"])
        meta = old.get("activations", {}).get(entry["activation"])
        if spec is None or meta != _spec_meta(spec) or entry["n"] not in DIMENSIONS:
            continue
        keep.append(entry)
    return keep


def _entry_values(entry: dict) -> dict:
    """{k: mpf} from the stored decimal strings (36 digits; mpmath at 50 digits)."""
    with mpmath.workdps(50):
        return {r["k"]: mpmath.mpf(r["value"]) for r in entry["values"]}


def main(argv=None) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        default=os.path.join(here, "eigenvalue_reference.json"),
        help="output JSON file (written atomically; default: %(default)s)",
    )
    parser.add_argument("--only", nargs="*", help="activation ids to compute (default: all)")
    parser.add_argument("--dims", nargs="*", type=int, help="dimensions (default: all)")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="discard the entries already in --out (default: merge the new ones into them)",
    )
    parser.add_argument(
        "--checks-only",
        action="store_true",
        help="compute nothing new; redo the exact n = 3 and spot checks on the stored table",
    )
    args = parser.parse_args(argv)
    unknown = set(args.only or ()) - {s.ident for s in SPECS}
    if unknown:
        parser.error(f"unknown activation ids {sorted(unknown)}; known: {[s.ident for s in SPECS]}")
    specs = [s for s in SPECS if not args.only or s.ident in args.only]
    dims = args.dims or DIMENSIONS
    if args.checks_only:
        specs = []
    previous = [] if args.fresh else _load_previous(args.out)
    entries = {(e["activation"], e["n"]): e for e in previous}
    t_start = time.time()

    def assemble() -> dict:
        order = {s.ident: i for i, s in enumerate(SPECS)}
        ordered = sorted(entries.values(), key=lambda e: (order[e["activation"]], e["n"]))
        present = {e["activation"] for e in ordered}
        return {
            "description": (
                "Funk-Hecke eigenvalues lambda_k = c_n int phi(t) P_{k,n}(t) (1-t^2)^((n-3)/2) dt "
                "(uniform probability measure on S^{n-1}, P_{k,n}(1) = 1), to 36 digits; sign "
                "and log10|lambda| as decimal strings; exact_zero marks zeros decided by symmetry."
            ),
            "generator": "tests/reference/make_eigenvalue_reference.py",
            "method": (
                "direct quadrature of the definition in theta = arccos t, split at kinks, "
                "Gauss-Legendre subintervals chosen by the Bernstein-ellipse error bound, exact "
                "fixed-point arithmetic at 10^-P absolute, P raised beyond the cancellation; "
                "verified by a second run at P + 25 digits on a different subdivision"
            ),
            "mpmath_version": mpmath.__version__,
            "dimensions": DIMENSIONS,
            "complete": len(ordered) == len(SPECS) * len(DIMENSIONS),
            "total_seconds": round(sum(e["seconds"] for e in ordered), 1),
            "activations": {s.ident: _spec_meta(s) for s in SPECS if s.ident in present},
            "entries": ordered,
            "exact_n3": [],
            "spot_checks": [],
        }

    for spec in specs:
        for n in dims:
            _log(f"{spec.ident:>14s}  n = {n:<6d} ({time.time() - t_start:.0f} s elapsed)")
            entry, _vals = compute_entry(spec, n, log=_log)
            entries[spec.ident, n] = entry
        write_atomic(args.out, assemble())  # checkpoint after each activation

    data = assemble()
    table = {key: _entry_values(e) for key, e in entries.items()}

    # exact n = 3 rationals (sympy), checked against the quadrature where computed
    exact = exact_n3_table()
    for rec in exact:
        q = Fraction(rec["value"])
        got = table.get((rec["activation"], 3), {}).get(rec["k"])
        if got is not None:
            with mpmath.workdps(80):
                ref = mpmath.mpf(q.numerator) / q.denominator
                gap = abs(got - ref) if ref == 0 else abs(got - ref) / abs(ref)
            if gap > mpmath.mpf(10) ** -REQUIRED_AGREEMENT:
                raise RuntimeError(f"exact n=3 mismatch {rec}: quadrature {got}")
    data["exact_n3"] = exact
    _log("exact n = 3 rationals agree with the quadrature")

    for ident, n, k in SPOT_CHECKS:
        if (ident, n) not in table:
            continue
        spec = next(s for s in SPECS if s.ident == ident)
        val, err = spot_check(spec, n, k)
        ours = table[ident, n][k]
        with mpmath.workdps(80):
            rel = float(abs(val - ours) / abs(ours))
        _log(f"spot check {ident} n={n} k={k}: mpmath.quad agrees to {rel:.1e} (est. {err})")
        if rel > 1e-30:
            raise RuntimeError(f"spot check failed: {ident} n={n} k={k}: {val} vs {ours}")
        data["spot_checks"].append(
            {"activation": ident, "n": n, "k": k, "relative_difference": f"{rel:.2e}"}
        )
    write_atomic(args.out, data)
    _log(
        f"wrote {args.out}: {len(entries)} of {len(SPECS) * len(DIMENSIONS)} (activation, n) "
        f"entries, {data['total_seconds']} s of generation in total "
        f"({time.time() - t_start:.0f} s this run)"
    )


if __name__ == "__main__":
    main()
