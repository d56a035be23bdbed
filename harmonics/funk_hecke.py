"""Funk-Hecke eigenvalues lambda_k(phi) = E_{t~nu_n}[phi(t) P_{k,n}(t)] of activation functions.

Convention (docs/conventions.md, "Funk-Hecke eigenvalues"): uniform probability measure on
S^{n-1}, P_{k,n}(1) = 1, so that
E_y[phi(<x,y>) Y(y)] = lambda_k(phi) Y(x) for every Y in H_k and
phi(t) = sum_k N(n,k) lambda_k(phi) P_{k,n}(t)  (Gegenbauer expansion, Parseval
E[phi^2] = sum_k N(n,k) lambda_k^2).

Why not plain quadrature: lambda_k of a fixed activation decays like n^{-k/2}, while phi P_{k,n}
is O(1), so quadrature in float64 cancels catastrophically.  Instead (derivations in
docs/conventions.md):

1. Rodrigues' formula and k integrations by parts give, for phi with k (distributional)
   derivatives,
       lambda_k(phi) = E_{t~nu_{n+2k}}[phi^{(k)}(t)] / prod_{j<k} (n + 2j).            (R)
2. For a truncated power phi(t) = (t - t0)_+^p, |t0| < 1, (R) with phi^{(k)} containing
   p! delta^{(k-1-p)}(t - t0) and Rodrigues once more in dimension n + 2 + 2p give, for k > p,
       lambda_k = p! (1 - t0^2)^{(n-1)/2 + p} P_{k-1-p, n+2+2p}(t0)
                  * Gamma(n/2) / (sqrt(pi) 2^{p+1} Gamma((n+1)/2 + p)),                 (T)
   evaluated with the normalized recurrence and log-gamma, so it never overflows or loses
   relative accuracy, even far below the float64 range.  For k <= p, (R) is a positive integral
   (incomplete beta functions, evaluated with mpmath).  relu, step, sign, abs, relu^p and their
   gates phi(s t + b) are sums of such terms (reflection t -> -t multiplies lambda_k by (-1)^k).
   Check: ReLU in n = 3 gives 1/4, 1/6, 1/16, 0, -1/96.  The formulas have one implementation,
   harmonics/truncated_power.py, shared with the exact sympy path (harmonics.symbolic) and the
   float64 path vectorized over kinks (gd_operator's network ridges); here it runs in mpmath.
3. For analytic phi with Taylor series phi(s t + b) = sum_j a_j t^j converging on [-1, 1],
       lambda_k = sum_{i>=0} a_{k+2i} (k+2i)!/(2i)! E_{nu_{n+2k}}[t^{2i}] / prod_{j<k}(n+2j),
   E_{nu_m}[t^{2i}] = prod_{l<i} (2l+1)/(m+2l)  (from (R) applied to t^j);             (S)
   summed in mpmath with the working precision raised to cover the cancellation of the
   alternating terms, Taylor coefficients from exact recurrences.  Polynomials use the same
   formula (finite sum).  When the Taylor series does not converge on [-1, 1] (|s| beyond ~0.8
   of the radius of convergence at b), the eigenvalues are integrated in mpmath at raised
   precision (slower; see ``funk_hecke_eigenvalues``).
4. Black-box callables: composite Gauss-Legendre in theta = arccos t split at given kinks; this
   is accurate to ~1e-15 * sqrt(E[phi^2]) in absolute terms only.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import mpmath
import numpy as np

from ._analytic import (
    LIMITS,  # noqa: F401 - re-exported: the cost limits (docstring below)
    SATURATION,
    check_kmax,
    limit_gate,
    quadrature_eigenvalues,
    saturated_asymptote,
    saturated_degree,
)
from ._analytic import plan as analytic_plan
from ._bessel import trig_eigenvalues
from ._infra.checks import check_bool, check_degree, check_int
from ._quadrature import log_nu_normalizer, theta_rule
from ._recurrence import legendre_rows, legendre_scalar_scaled, legendre_table_scaled
from .activations import Activation, TruncatedPower, get_activation
from .truncated_power import closed_form, low_degree, mp_upper_integral

_LN2 = math.log(2.0)
_HALF_LOG_PI = 0.5 * math.log(math.pi)


class EigenvalueUnderflowWarning(RuntimeWarning):
    """Nonzero eigenvalues fell below the float64 range and were returned as 0.0."""


# ------------------------------------------------------------------------------ log-scale sums


# ln 2 split so that e * ln2 keeps full absolute accuracy for large binary exponents e
_LN2_HI = 0.6931471805599453
_LN2_LO = 2.3190468138462996e-17


_CONTEXTS: dict = {}


def _new_ctx(dps: int):
    """An mpmath context at ``dps`` digits, private to this module (building one costs ~2 ms,
    so they are reused; each call site sets no other state on it)."""
    ctx = _CONTEXTS.get(dps)
    if ctx is None:
        ctx = mpmath.MPContext()
        ctx.dps = dps
        _CONTEXTS[dps] = ctx
    return ctx


def _to_ext(ctx, values):
    """mpf values -> (float64 mantissas in [0.5, 1), int64 binary exponents); 0 -> (0, 0)."""
    mant = np.zeros(len(values))
    expo = np.zeros(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        if v != 0:
            m, e = ctx.frexp(v)
            mant[i] = float(m)
            expo[i] = int(e)
    return mant, expo


def _ext_log(mant, expo):
    """log|mant * 2^expo| to full absolute accuracy; -inf where mant = 0."""
    with np.errstate(divide="ignore"):
        return np.where(
            mant != 0, np.log(np.abs(mant)) + (expo * _LN2_HI + expo * _LN2_LO), -np.inf
        )


def _log_prod_n(n: int, kmax: int) -> np.ndarray:
    """log prod_{j<k} (n + 2j) for k = 0..kmax."""
    out = np.zeros(kmax + 1)
    if kmax:
        out[1:] = np.cumsum(np.log(n + 2.0 * np.arange(kmax)))
    return out


# ------------------------------------------------------------------------- truncated powers


class _MpOps:
    """mpmath arithmetic for the truncated-power formulas of :mod:`harmonics.truncated_power`
    (the one implementation of (T) and (R)), in the context ``ctx``."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.zero = ctx.zero
        self.sqrt_pi = ctx.sqrt(ctx.pi)
        self._c = {}

    def half(self, x):
        return self.ctx.mpf(x) / 2

    def gamma_ratio(self, n, c1, c2):
        ctx = self.ctx
        return ctx.exp(ctx.loggamma(ctx.mpf(n + c1) / 2) - ctx.loggamma(ctx.mpf(n + c2) / 2))

    def upper_moment(self, i: int, n, shift: int, t0):
        """U_i = E_{t~nu_m}[t^i 1{t > t0}], m = n + shift, |t0| < 1, by incomplete beta functions.

        With u = t^2, I_i = int_{t0}^1 t^i (1-t^2)^beta dt (beta = (m-3)/2) is
        (1/2) B_{1-t0^2}(beta+1, (i+1)/2) (the reflected lower incomplete beta, no cancellation)
        when t0 >= 0 or i is odd (the part over [-|t0|, |t0|] cancels), and
        (1/2) [B((i+1)/2, beta+1) + B_{t0^2}((i+1)/2, beta+1)] when t0 < 0 and i is even;
        U_i = c_m I_i.
        """
        ctx = self.ctx
        m = n + shift
        c = self._c.get(m)
        if c is None:
            c = self._c[m] = ctx.exp(log_nu_normalizer(m, ctx))
        # incomplete beta by its continued fraction (mpmath's betainc fails to converge at
        # large m: NoConvergence at n = 3e5, hypercomb at n = 1e5)
        return c * mp_upper_integral(ctx, i, m, ctx.mpf(t0))


def _tp_prefactor(ctx, n: int, p: int, t0: float):
    """(A, dim) with lambda_k = A P_{k-1-p, dim}(t0) for k > p: formula (T), A = (1 - t0^2)^e C
    and e, C, dim from harmonics.truncated_power.closed_form, in mpmath (a float64 lgamma
    difference would lose ~log10(n log n) digits at large n)."""
    exponent, constant, dim = closed_form(_MpOps(ctx), p, n)
    x0 = ctx.mpf(t0)
    return constant * ctx.exp(exponent * ctx.log1p(-x0 * x0)), dim


def _tp_low_degrees(ctx, p: int, t0: float, n: int, kmax: int):
    """lambda_k((t - t0)_+^p) for k <= min(p, kmax) by formula (R), as mpf in ``ctx``.  The
    alternating binomial sum cancels by up to ~p log10(n) digits, so it runs at raised precision."""
    hp = _MpOps(_new_ctx(40 + int(p * math.log10(n + 2 * p + 10))))
    x = hp.ctx.mpf(t0)
    return [ctx.mpf(low_degree(hp, p, x, n, k)) for k in range(min(p, kmax) + 1)]


def _truncated_power_terms(ctx, term: TruncatedPower, n: int, kmax: int):
    """lambda_k, k = 0..kmax, of coef * (side (t - t0))_+^p with |t0| < 1, as mpf in ``ctx``."""
    p = term.p
    # Reflection t -> -t: (-(t - t0))_+^p = (u - (-t0))_+^p with u = -t, lambda_k picks (-1)^k.
    t0 = term.t0 if term.side > 0 else -term.t0
    out = [ctx.zero] * (kmax + 1)
    out[: min(p, kmax) + 1] = _tp_low_degrees(ctx, p, t0, n, kmax)
    # k > p: formula (T), lambda_k = prefactor * P_{k-1-p, n+2+2p}(t0)
    if kmax > p:
        jmax = kmax - 1 - p
        pref, dim = _tp_prefactor(ctx, n, p, t0)
        mant, expo = legendre_table_scaled(jmax, dim, np.array([t0]))
        for j in range(jmax + 1):
            m = float(mant[j, 0])
            if m != 0.0:
                out[p + 1 + j] = pref * ctx.ldexp(ctx.mpf(m), int(expo[j, 0]))
    coef = ctx.mpf(term.coef)
    return [(-coef if (term.side < 0 and k % 2 == 1) else coef) * v for k, v in enumerate(out)]


def _truncated_power_ext(term: TruncatedPower, n: int, kmax: int):
    """Fast path of :func:`_truncated_power_terms` for a single term: float mantissas times a
    prefactor computed once in mpmath (one rounding per value, ~1 ulp), no mpf per degree."""
    p = term.p
    t0 = term.t0 if term.side > 0 else -term.t0
    ctx = _new_ctx(40)
    mant = np.zeros(kmax + 1)
    expo = np.zeros(kmax + 1, dtype=np.int64)
    low = min(p, kmax) + 1
    head = TruncatedPower(term.coef, term.t0, p, term.side)
    m_low, e_low = _to_ext(ctx, _truncated_power_terms(ctx, head, n, low - 1))
    mant[:low], expo[:low] = m_low, e_low
    if kmax > p:
        jmax = kmax - 1 - p
        pref, dim = _tp_prefactor(ctx, n, p, t0)
        pm, pe = legendre_scalar_scaled(jmax, dim, t0)
        pref = ctx.mpf(term.coef) * pref
        fm, fe = ctx.frexp(pref)
        m, e = np.frexp(pm * float(fm))
        sign = np.where((term.side < 0) & (np.arange(p + 1, kmax + 1) % 2 == 1), -1.0, 1.0)
        mant[p + 1 :] = sign * m + 0.0  # + 0.0 turns -0.0 (sign * 0) into +0.0
        expo[p + 1 :] = np.where(m != 0, e + pe + int(fe), 0)
    return mant, expo


# ------------------------------------------------------------------------------ power series


def _moment_ratio_table(ctx, n: int, k: int, imax: int):
    """E_{nu_{n+2k}}[t^{2i}] for i = 0..imax, as mpf."""
    m = n + 2 * k
    out = [ctx.one]
    for i in range(imax):
        out.append(out[-1] * (2 * i + 1) / (m + 2 * i))
    return out


def _series_eigenvalues(coeff_fn, n: int, kmax: int, *, finite_degree=None, start_dps=30):
    """lambda_0..lambda_kmax from Taylor coefficients a_j of the gate in t, by formula (S).

    ``coeff_fn(ctx, J)`` returns the list a_0..a_J as mpf in context ``ctx``.  Polynomials give
    ``finite_degree``; otherwise the series is truncated adaptively once the terms are below
    10^-dps of the partial sum, and the precision is raised until the cancellation between
    alternating terms leaves >= 25 correct digits.  The sums run in MPFR
    (harmonics._moment_series, the one implementation).
    Returns (ctx, list of mpf).
    """
    from ._moment_series import series_eigenvalues

    return series_eigenvalues(
        coeff_fn, n, kmax, _new_ctx, finite_degree=finite_degree, start_dps=start_dps
    )


def _poly_in_t(ctx, act: Activation):
    """Ascending coefficients in t of the polynomial gate sum_j c_j (s t + b)^j (mpmath)."""
    c = [ctx.mpf(x) for x in act.coeffs]
    s, b = ctx.mpf(act.scale), ctx.mpf(act.bias)
    deg = len(c) - 1
    out = [ctx.zero] * (deg + 1)
    for j, cj in enumerate(c):
        if cj == 0:
            continue
        for i in range(j + 1):
            out[i] += cj * ctx.binomial(j, i) * s**i * b ** (j - i)
    return out


# ------------------------------------------------------------------------ high-precision quad


# The graded mpmath quadrature for analytic gates beyond their Taylor series (steep gates)
# lives in harmonics._analytic (quadrature_eigenvalues), with the plan that picks it.


# phi(s t) without bias = (polynomial of degree d) + (function of parity e): lambda_k = 0 for
# k > d with k of the other parity.  sigmoid = 1/2 + odd; softplus(x) = x/2 + log(2 cosh(x/2));
# gelu(x) = x/2 + x erf(x/sqrt 2)/2 (even remainder); tanh, erf odd.
_ANALYTIC_SYMMETRY = {
    "tanh": (-1, "odd"),
    "erf": (-1, "odd"),
    "sigmoid": (0, "odd"),
    "softplus": (1, "even"),
    "gelu": (1, "even"),
    "silu": (1, "even"),  # silu(x) = x/2 + (x/2) tanh(x/2)
}


def _symmetry_zeros(act: Activation, kmax: int) -> list:
    """Degrees k <= kmax at which lambda_k of an unbiased analytic gate is exactly 0."""
    if act.bias != 0.0 or act.name not in _ANALYTIC_SYMMETRY:
        return []
    degree, parity = _ANALYTIC_SYMMETRY[act.name]
    zero_parity = 0 if parity == "odd" else 1  # even k vanish for an odd remainder
    return [k for k in range(kmax + 1) if k > degree and k % 2 == zero_parity]


# ----------------------------------------------------------------------- black-box callables


def _callable_eigenvalues(fn, n: int, kmax: int, kinks=()):
    """Float64 quadrature of lambda_k for a black-box callable (absolute accuracy only)."""
    panels = 16 + kmax // 4
    t, w = theta_rule(n, kinks=kinks, panels=panels, order=48)
    vals = _call_checked(fn, t)
    # Square-integrability check: E[phi^2] must be stable under refinement of the rule.
    t2, w2 = theta_rule(n, kinks=kinks, panels=2 * panels + 1, order=48)
    e1 = float(np.dot(w, vals * vals))
    e2 = float(np.dot(w2, _call_checked(fn, t2) ** 2))
    if not math.isfinite(e1) or not math.isfinite(e2) or abs(e1 - e2) > 1e-4 * max(e2, 1e-300):
        raise ValueError(
            "activation does not appear square-integrable on [-1, 1] under nu_n "
            f"(E[phi^2] = {e1:.6g} vs {e2:.6g} on a finer rule); if it has kinks, pass kinks=[...]"
        )
    out = np.empty(kmax + 1)
    wv = w * vals
    for k, row in legendre_rows(kmax, n, t):
        out[k] = np.dot(wv, row)
    # Exact parity zeros when the callable is even/odd at all (symmetric) nodes.
    scale = np.max(np.abs(vals)) if vals.size else 0.0
    ts = np.concatenate([t, -t])
    both = _call_checked(fn, ts)
    plus, minus = both[: t.size], both[t.size :]
    tol = 4 * np.finfo(float).eps * max(scale, 1e-300)
    if np.max(np.abs(plus - minus)) <= tol:
        out[1::2] = 0.0
    elif np.max(np.abs(plus + minus)) <= tol:
        out[0::2] = 0.0
    mant, expo = np.frexp(out)
    return mant, expo.astype(np.int64)


def _call_checked(fn, t):
    try:
        vals = fn(t)
    except Exception as exc:  # the user's function failed on an array: say so clearly
        raise ValueError(
            f"activation callable failed on a float64 array of points in [-1, 1]: {exc!r}"
        ) from exc
    vals = np.asarray(vals, dtype=float)
    if vals.shape != t.shape:
        try:
            vals = np.broadcast_to(vals, t.shape).astype(float)
        except ValueError as exc:
            raise ValueError(
                f"activation callable must return an array of the input's shape {t.shape}, "
                f"got {vals.shape}"
            ) from exc
    if not np.all(np.isfinite(vals)):
        bad = float(t[~np.isfinite(vals)][0])
        raise ValueError(f"activation callable returned NaN or inf (e.g. at t = {bad!r})")
    return vals


# --------------------------------------------------------------------------------- dispatch


@lru_cache(maxsize=256)
def _eigenvalues_registered(act: Activation, n: int, kmax: int):
    """(mantissas, binary exponents) of lambda_0..lambda_kmax for a registered gate (cached)."""
    if act.kind == "piecewise":
        t0 = -act.bias / act.scale
        if t0 >= 1 or t0 <= -1:
            # On [-1, 1] the gate is identically 0 or a polynomial: expand exactly.
            return _piecewise_outside(act, n, kmax)
        pieces = act.truncated_powers()[0]
        check_kmax("piecewise", kmax, terms=len(pieces))
        if len(pieces) == 1:
            return _truncated_power_ext(pieces[0], n, kmax)
        ctx = _new_ctx(40)
        terms = [_truncated_power_terms(ctx, term, n, kmax) for term in pieces]
        values = [ctx.fsum(col) for col in zip(*terms, strict=True)]
    elif act.kind == "polynomial":

        def coeff_fn(ctx, J, act=act):
            c = _poly_in_t(ctx, act)
            return c + [ctx.zero] * max(0, J + 1 - len(c))

        deg = len(act.coeffs) - 1
        check_kmax("polynomial", kmax, degree=deg)
        # lambda_k = 0 for k > deg: the sums stop at the degree (O(kmax * deg), not kmax^2)
        ctx, values = _series_eigenvalues(coeff_fn, n, kmax, finite_degree=deg)
    elif act.name in ("sin", "cos"):
        # closed form through Bessel functions (harmonics._bessel), any scale and bias
        mant, expo = trig_eigenvalues(act.name, act.scale, act.bias, n, kmax)
        mant.setflags(write=False)
        expo.setflags(write=False)
        return mant, expo
    else:
        how, info = analytic_plan(act, n, kmax)
        if how in ("saturated", "limit"):
            # the gate equals its asymptote (saturated erf/gelu) or its step limit (huge
            # scale) to within rounding: their closed forms (harmonics._analytic)
            other = saturated_asymptote(act, info) if how == "saturated" else limit_gate(act)
            if other is None:
                zero = np.zeros(kmax + 1)
                zero.setflags(write=False)
                expo = np.zeros(kmax + 1, dtype=np.int64)
                expo.setflags(write=False)
                return zero, expo
            return _eigenvalues_registered(other, n, kmax)
        ctx, values = _analytic_eigenvalues(act, n, kmax, how, info)
    mant, expo = _to_ext(ctx, values)
    mant = mant + 0.0
    mant.setflags(write=False)
    expo.setflags(write=False)
    return mant, expo


def _piecewise_outside(act: Activation, n: int, kmax: int):
    s, b = act.scale, act.bias
    x_lo, x_hi = sorted((s * -1 + b, s * 1 + b))
    if x_hi <= 0 and act.name in ("relu", "relu_power", "step"):
        return np.zeros(kmax + 1), np.zeros(kmax + 1, dtype=np.int64)
    # the argument s t + b keeps one sign on [-1, 1]: the gate is a polynomial there
    positive = x_lo >= 0
    if act.name in ("relu", "abs"):
        coeffs = (0.0, 1.0) if positive else ((0.0, -1.0) if act.name == "abs" else (0.0,))
    elif act.name in ("leaky_relu", "leaky_step"):
        low = act.negative_slope
        coeffs = (
            ((0.0, 1.0) if positive else (0.0, low))
            if act.name == "leaky_relu"
            else ((1.0,) if positive else (low,))
        )
    elif act.name == "relu_power":
        coeffs = tuple([0.0] * act.power + [1.0]) if positive else (0.0,)
    elif act.name == "step":
        coeffs = (1.0,) if positive else (0.0,)
    else:  # sign
        coeffs = (1.0,) if positive else (-1.0,)
    poly = get_activation("polynomial", coeffs=coeffs, scale=s, bias=b)
    return _eigenvalues_registered(poly, n, kmax)


def _analytic_eigenvalues(act: Activation, n: int, kmax: int, how: str, panels):
    """The Taylor-moment series (S) where it converges fast, else the graded quadrature of
    harmonics._analytic (``how`` and ``panels`` from its plan)."""
    from .activations import _ANALYTIC

    spec = _ANALYTIC[act.name]
    if how == "series":
        check_kmax("series", kmax)

        def coeff_fn(ctx, J, act=act, spec=spec):
            c = spec.taylor(ctx, ctx.mpf(act.bias), J)
            if act.scale == 1.0:
                return c
            s = ctx.mpf(act.scale)
            out, power = [], ctx.one  # s^j by successive products (one rounding each)
            for j in range(J + 1):
                out.append(c[j] * power)
                power *= s
            return out

        return _series_eigenvalues(coeff_fn, n, kmax)
    return quadrature_eigenvalues(act, n, kmax, panels, zeros=_symmetry_zeros(act, kmax))


def _check_kinks(kinks) -> tuple:
    """``kinks`` as a tuple of floats in [-1, 1] (TypeError / ValueError naming it)."""
    if isinstance(kinks, (str, bytes)) or kinks is None:
        raise TypeError(f"kinks must be a sequence of numbers in [-1, 1], got {kinks!r}")
    try:
        arr = np.asarray(kinks, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"kinks must be a sequence of numbers in [-1, 1], got {kinks!r}") from exc
    if arr.ndim > 1:
        raise TypeError(f"kinks must be a flat sequence of numbers in [-1, 1], got {kinks!r}")
    out = tuple(float(x) for x in np.atleast_1d(arr))
    for x in out:
        if not -1 <= x <= 1:  # also NaN
            raise ValueError(f"kinks must lie in [-1, 1], got {x}")
    return out


def funk_hecke_eigenvalues(
    activation,
    n: int,
    kmax: int,
    *,
    log: bool = False,
    kinks=(),
    scale: float = 1.0,
    bias: float = 0.0,
    power=None,
    coeffs=None,
    negative_slope=None,
):
    """Funk-Hecke eigenvalues lambda_0 .. lambda_kmax of an activation in dimension n.

    lambda_k(phi) = E_{t~nu_n}[phi(t) P_{k,n}(t)], where nu_n is the law of <x, e> for x uniform
    on S^{n-1} (density c_n (1-t^2)^{(n-3)/2}) and P_{k,n}(1) = 1.  Then
    E_{y~sigma}[phi(<x,y>) Y(y)] = lambda_k Y(x) for Y in H_k, and
    phi(t) = sum_k N(n,k) lambda_k P_{k,n}(t).

    Parameters
    ----------
    activation : str, Activation or callable
        A registered name (see :func:`harmonics.get_activation`: relu, leaky_relu, step,
        leaky_step, sign, abs, relu_power/"relu2", sigmoid, tanh, erf, softplus, gelu, silu,
        sin, cos, polynomial, identity; aliases in ``harmonics.ACTIVATION_ALIASES``) gated as
        phi(scale * t + bias), or any Python callable mapping a float64 array of t in [-1, 1]
        to an array of the same shape.
    n : int in [2, 10^15], ambient dimension;  kmax : int >= 0, highest degree.
    log : bool
        If True, return ``(sign, log_abs)`` with lambda_k = sign * exp(log_abs) (sign 0 and
        log -inf for exact zeros).  Use this when eigenvalues fall below the float64 range
        (~1e-308): e.g. ReLU at n = 10^4, k = 200 is ~1e-420.  Without ``log``, such values are
        returned as 0.0 and an :class:`EigenvalueUnderflowWarning` says so.
    kinks : sequence of t values where a callable is not smooth (ignored for registered names,
        which know their kinks).
    scale, bias, power, coeffs, negative_slope : parameters of registered activations (see
        ``get_activation``; negative_slope for leaky_relu, default 0.01).

    Notes
    -----
    Accuracy and methods:

    * relu, leaky_relu, step, leaky_step, sign, abs, relu_power and their gates: closed form (T),
      ~1e-14 relative for every n, k (tested against 30-digit references for n <= 10^4,
      k <= 200); coefficients that vanish by parity are exactly 0.0.  ~1 ms for k <= 200.
    * polynomials: exact moment formula in mpmath (finite sum).
    * sin, cos (frequency = scale, |scale| <= 1000): closed form through Bessel functions
      (harmonics/_bessel.py, Miller's backward recurrence), ~1e-15..1e-13 relative for every
      n <= 10^15, kmax <= 10^6.
    * sigmoid, tanh, erf, softplus, gelu, silu: Taylor-moment series (S) in mpmath with adaptive
      precision (~1e-25 relative before rounding to float64); tens of ms to a few hundred ms for
      kmax = 200.  If |scale| >= 0.8 * (radius of convergence of the Taylor series at ``bias``;
      pi/2 for tanh at 0, pi for sigmoid/softplus; for erf/gelu when scale^2 > 300 or
      |bias * scale| > 3000), a Gauss-Legendre quadrature in theta in mpmath on panels graded
      towards the steep point t0 = -bias/scale (0.1-0.4 s for tanh(50 t) or sigmoid(1e4 t) at
      kmax = 20).  |scale| >= 1e10 (kmax + n + 1): the step limit (sign, step, relu at the same
      scale and bias; relative difference ~k (k + n) / scale^2 < 1e-20).  erf/gelu saturated
      on [-1, 1] (|bias| - |scale| >= 27.5 / 39): their asymptote (+-1, the line, 0); the
      eigenvalues beyond its degree are below 1e-330, 0.0 here, and ``log=True`` refuses them.

    Limits (checked before anything runs; ``harmonics.funk_hecke.LIMITS``, a dict whose entries
    may be raised): kmax <= 10^6 for relu/step/relu^p, 3 * 10^4 for gates of several truncated
    powers (abs, sign, biased), 10^5 for polynomials (degree <= 1000), 400 for the analytic
    series, 4000 for callables; the graded quadrature is refused (ValueError naming scale and
    bias, with the supported range) above 4 * 10^5 node-degree pairs (~2 s), e.g. tanh(5 t) at
    kmax = 200.  Gates whose values reach 1e300 on [-1, 1] (relu2 with scale 1e300) are refused.

    * callables: float64 quadrature, accurate to ~1e-14 * sqrt(E[phi^2]) *absolutely*; small
      eigenvalues (large n or k) are not resolved relatively -- use a registered activation.

    Returns
    -------
    ndarray [kmax + 1] of float64, or a pair of such arrays if ``log`` is True.

    >>> funk_hecke_eigenvalues("relu", 3, 4) * 96
    array([24., 16.,  6.,  0., -1.])
    """
    n = check_int(n, "n", 2, 10**15)  # beyond, binary exponents of e^{-n t0^2} leave int64
    kmax = check_degree(kmax, "kmax")
    log = check_bool(log, "log")
    if callable(activation) and not isinstance(activation, Activation):
        if (
            scale != 1.0
            or bias != 0.0
            or power is not None
            or coeffs is not None
            or negative_slope is not None
        ):
            raise ValueError(
                "scale/bias/power/coeffs/negative_slope apply to registered activations only"
            )
        kinks = _check_kinks(kinks)
        check_kmax("callable", kmax)
        mant, expo = _callable_eigenvalues(activation, n, kmax, kinks)
    else:
        _check_kinks(kinks)  # ignored for registered gates, but must be valid
        act = get_activation(
            activation,
            scale=scale,
            bias=bias,
            power=power,
            coeffs=coeffs,
            negative_slope=negative_slope,
        )
        if log and act.kind not in ("piecewise", "polynomial") and act.name not in ("sin", "cos"):
            how, info = analytic_plan(act, n, kmax)
            if how == "saturated" and kmax > saturated_degree(act, info):
                raise ValueError(
                    f"log=True: {act!r} is saturated on [-1, 1] (|bias| - |scale| >= "
                    f"{SATURATION[act.name]:g}): it equals its asymptote within 1e-330, and "
                    "its eigenvalues beyond the asymptote's degree (below 1e-330) are not "
                    "computed; with log=False they are 0.0 in float64"
                )
        mant, expo = _eigenvalues_registered(act, n, kmax)
    if log:
        return np.sign(mant), _ext_log(mant, expo)
    # ldexp rounds correctly into the subnormal range and gives 0.0 below it
    values = np.ldexp(mant, np.clip(expo, -10000, 10000).astype(np.int32))
    lost = (mant != 0) & (values == 0.0)
    if np.any(lost):
        warnings.warn(
            f"{int(lost.sum())} nonzero eigenvalue(s) (first at k = {int(np.argmax(lost))}) are "
            "below the float64 range and were returned as 0.0; call with log=True for "
            "(sign, log|lambda_k|)",
            EigenvalueUnderflowWarning,
            stacklevel=2,
        )
    return values
