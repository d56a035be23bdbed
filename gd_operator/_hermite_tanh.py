"""Hermite coefficients of tanh, sigmoid, softplus and silu from the Fourier transform of tanh
(private).

tanh x = int_0^inf sin(w x) csch(pi w / 2) dw  (Gradshteyn & Ryzhik 3.981.1 with b = pi/2), and
E[sin(w a z) He_j(z)] = Im (i w a)^j e^{-w^2 a^2 / 2}  (the generating function of He_j), so for
a = |s| sigma and odd j = 2i + 1 (even j: h_j = 0, tanh is odd)

    h_j(tanh(s sigma .)) = (-1)^i a^j / sqrt(j!) * I_j,
    I_j = int_0^inf w^j csch(pi w / 2) e^{-a^2 w^2 / 2} dw > 0,

and E[tanh(a z)^2] = 1 - E[tanh'(a z)] = int_0^inf w csch(pi w / 2) (1 - e^{-a^2 w^2 / 2}) dw
(h_1 = a E[tanh'(a z)] by Stein, and int_0^inf w csch(pi w / 2) dw = tanh'(0) = 1): positive
integrands, no cancellation, so h_j^2 keep full relative accuracy however small they are --
which the float Gauss-Hermite rule cannot (its ~1e-15 absolute noise per coefficient swamped
the tanh eigenvalues past k ~ 50: ~1e-10 relative there, growing with k).

The integrands are even in w (w^j and csch odd) and analytic in the strip |Im w| < 2 (the
poles of csch at w = 2i), so the trapezoidal rule on the whole line converges geometrically:
with step h its relative error is ~ e^{-2 pi d / h} times the growth of |w^j e^{-a^2 w^2 / 2}|
across a strip of half-width d (Trefethen & Weideman, SIAM Review 56, 2014, thm 5.1).  Each
I_j is log-concave in w with one peak w_j (j / w = (pi/2) coth(pi w / 2) + a^2 w); the sum
walks out from the peak until the terms drop below e^{-60} of it, and every term is evaluated
relative to the peak (log1p of the offset) so that j log w ~ 10^4 does not cost 1e-12.

sigmoid x = (1 + tanh(x / 2)) / 2:  h_j(sigmoid, a) = h_j(tanh, a / 2) / 2 for j >= 1, h_0 = 1/2.
softplus' = sigmoid, and E[g(a z) He_j(z)] = a E[g'(a z) He_{j-1}(z)] (Stein), so
h_j(softplus, a) = a / sqrt(j) * h_{j-1}(sigmoid, a) for j >= 1.

silu x = x sigmoid(x) = x / 2 + (x / 2) tanh(x / 2), the second part even: with b = |a| / 2,
h_1 = a / 2, h_j = 0 for odd j >= 3, h_0 = b E[z tanh(b z)] = b^2 (1 - E[tanh(b z)^2]) (Stein),
and for even j >= 2, from z psi_j = sqrt(j + 1) psi_{j+1} + sqrt(j) psi_{j-1}
(psi_j = He_j / sqrt(j!)),

    h_j^2 = b^{2j} / j! * (j I_{j-1} - b^2 I_{j+1})^2,

the difference being (pi / 2) int_0^inf w^j csch(pi w / 2) coth(pi w / 2) e^{-b^2 w^2 / 2} dw
> 0 (integration by parts), so 1 - r, r = b^2 I_{j+1} / (j I_{j-1}), lies in (0, 1): measured
1 - r >= 0.02 for b <= 2, j <= 1000, i.e. at most ~2 digits of the ~1e-15 relative accuracy
of the I_j cancel (tests/test_hermite_tanh.py: against mpmath).  E[silu(a z)^2] =
b^2 (1 + E[z^2 tanh(b z)^2]) by the Gauss-Hermite rule (a smooth moment, as for softplus, with
twice its nodes for the z^2 growth: softplus' size left 1.2e-14 at |a| = 4, this one 4e-16 at
|a| = 4 and 6, measured against mpmath).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_LD = np.longdouble

#: strip half-width d used for the step and e^{-_STRIP_DIGITS} the target discretization error
_STRIP = 1.0
_STRIP_DIGITS = 46.0
#: terms below e^{-_CUTOFF} of the peak are dropped (the walk stops there: log-concave)
_CUTOFF = 60.0


@njit(cache=True)
def _log1m_exp(x):
    """log(1 - e^{-x}) for x > 0 (0.0 beyond x = 40, where |log(1 - e^{-x})| < 4.3e-18: the
    summation walks of large degrees spend most nodes there, and expm1 + log were half of
    their cost)."""
    if x > 40.0:
        return 0.0
    return math.log(-math.expm1(-x))


@njit(cache=True)
def _peaks(j, a2, out):
    """Maximizers of j log w - log sinh(pi w / 2) - a2 w^2 / 2 (0 for j <= 1), by Newton's
    method on the concave derivative's zero, started from the larger of the two one-term roots."""
    hp = 0.5 * math.pi
    for i in range(j.size):
        jj = j[i]
        if jj <= 1:
            out[i] = 0.0
            continue
        # j / w = pi/2 + a2 w bounds the root from above (coth > 1); Newton from there is
        # monotone for the concave g(w) = j/w - hp coth(hp w) - a2 w
        w = 2.0 * jj / (hp + math.sqrt(hp * hp + 4.0 * a2 * jj))
        w = max(w, 1e-3)
        for _ in range(100):
            x = hp * w
            coth = 1.0 / math.tanh(x)
            g = jj / w - hp * coth - a2 * w
            dg = -jj / (w * w) + hp * hp / (math.sinh(x) ** 2) - a2
            step = g / dg
            w_new = w - step
            if w_new <= 0.0:
                w_new = 0.5 * w
            if abs(w_new - w) <= 1e-15 * w:
                w = w_new
                break
            w = w_new
        out[i] = w


@njit(cache=True)
def _scaled_sums(j, a2, w0, h, out):
    """S_i = sum_{m >= 0} c_m exp(t(m h_i)), t(w) = log f_j(w) - log f_j(w0_i),
    f_j(w) = w^j csch(pi w / 2) e^{-a2 w^2 / 2}, c_0 = 1/2 (f_j(0) = 2/pi for j = 1, else 0),
    c_m = 1 otherwise; the walk starts at the node nearest w0_i and goes both ways until
    t < t_start - _CUTOFF."""
    hp = 0.5 * math.pi
    for i in range(j.size):
        jj = j[i]
        ref = w0[i]
        step = h[i]
        l_ref = _log1m_exp(math.pi * ref)
        log_f0 = 0.0  # log f_j(ref) relative part at w = 0 (j = 1 only)
        m0 = int(round(ref / step))
        if m0 < 1:
            m0 = 1
        total = 0.0
        t_start = 0.0
        first = True
        # right walk (m0, m0 + 1, ...), then left walk (m0 - 1, ..., 1)
        for direction in (1, -1):
            m = m0 if direction == 1 else m0 - 1
            while m >= 1:
                w = m * step
                d = w - ref
                t = (
                    jj * math.log1p(d / ref)
                    - hp * d
                    - (_log1m_exp(math.pi * w) - l_ref)
                    - 0.5 * a2 * d * (w + ref)
                )
                if first:
                    t_start = t
                    first = False
                elif t < t_start - _CUTOFF:
                    break
                total += math.exp(t)
                m += direction
            if direction == -1 and m == 0 and jj == 1:
                # f_1(0) / 2 = 1 / pi, relative to f_1(ref) = ref csch(hp ref) e^{-a2 ref^2/2}
                log_f0 = (
                    math.log(2.0 / math.pi)
                    - math.log(ref)
                    + hp * ref
                    + l_ref
                    - math.log(2.0)
                    + 0.5 * a2 * ref * ref
                )
                total += 0.5 * math.exp(log_f0)
        out[i] = total


def _steps(j, a2, w0):
    """Trapezoid steps h_j = 2 pi d / (digits + growth over the strip |Im w| <= d)."""
    d = _STRIP
    growth = 0.5 * a2 * d * d + 0.5 * j * (d / np.maximum(w0, 1.0)) ** 2
    return 2 * math.pi * d / (_STRIP_DIGITS + growth)


def log_i_integrals(jvals: np.ndarray, a: float) -> np.ndarray:
    """log I_j (module docstring) for odd j >= 1, long double (shape of jvals)."""
    j = np.ascontiguousarray(jvals, dtype=np.int64)
    a2 = float(a) * float(a)
    peaks = np.empty(j.size)
    _peaks(j, a2, peaks)
    w0 = np.maximum(peaks, 1.0)  # reference point (j = 1 peaks at w = 0)
    h = _steps(j, a2, w0)
    sums = np.empty(j.size)
    _scaled_sums(j, a2, w0, h, sums)
    ref = w0.astype(_LD)
    hp = _LD(math.pi) / 2
    log_sinh = hp * ref + np.log(-np.expm1(-math.pi * w0)).astype(_LD) - _LD(math.log(2.0))
    log_f = j * np.log(ref) - log_sinh - _LD(a2) * ref * ref / 2
    return log_f + np.log(h.astype(_LD)) + np.log(sums.astype(_LD))


def tanh_energy(a: float) -> float:
    """E[tanh(a z)^2] = int_0^inf w csch(pi w / 2) (1 - e^{-a^2 w^2 / 2}) dw (module docstring)."""
    a2 = a * a
    h = 2 * math.pi * _STRIP / (_STRIP_DIGITS + 0.5 * a2 * _STRIP**2)
    # w csch(pi w / 2) <= 2 w e^{-pi w / 2} + ...: below 1e-30 of the smallest integral
    # (~ a^2 ∫ w^3 csch / 2 for small a) beyond w = 50
    w = h * np.arange(1, int(math.ceil(50.0 / h)) + 1)
    f = w / np.sinh(0.5 * math.pi * w) * -np.expm1(-0.5 * a2 * w * w)
    return float(h * np.sum(f))


def _log_factorials(jmax: int) -> np.ndarray:
    """log j! for j = 0..jmax in long double (j log(a w) - log j! cancels ~10^4 in size)."""
    return np.concatenate([[_LD(0)], np.cumsum(np.log(np.arange(1, jmax + 1, dtype=_LD)))])


def log_h2_tanh(a: float, jmax: int):
    """(log h_j^2 for j = 0..jmax, E[tanh(a z)^2]) of z -> tanh(a z), a > 0 (-inf: exact zeros)."""
    out = np.full(jmax + 1, -np.inf)
    if jmax >= 1:
        j = np.arange(1, jmax + 1, 2)
        log_fact = _log_factorials(jmax)
        vals = 2 * j * np.log(_LD(a)) - log_fact[j] + 2 * log_i_integrals(j, a)
        out[j] = vals.astype(float)
    return out, tanh_energy(a)


def log_h2_sigmoid(a: float, jmax: int):
    """(log h_j^2, E[sigmoid(a z)^2]) of z -> sigmoid(a z) = (1 + tanh(a z / 2)) / 2."""
    log_t, e_t = log_h2_tanh(0.5 * a, jmax)
    out = log_t - math.log(4.0)
    out[0] = -math.log(4.0)
    return out, 0.25 * (1.0 + e_t)


def log_h2_softplus(a: float, jmax: int, gauss_hermite):
    """(log h_j^2, E[softplus(a z)^2]) of z -> softplus(a z): h_j = a / sqrt(j) h_{j-1}(sigmoid, a)
    for j >= 1 (Stein); h_0 = E[softplus(a z)] and the energy by the ``gauss_hermite(num)`` rule
    (nodes, sqrt weights) -- two smooth moments, not a decaying coefficient sequence."""
    log_s, _ = log_h2_sigmoid(a, max(jmax - 1, 0))
    out = np.full(jmax + 1, -np.inf)
    if jmax >= 1:
        j = np.arange(1, jmax + 1)
        out[1:] = 2 * math.log(a) - np.log(j) + log_s[:jmax]
    z, sw = gauss_hermite(softplus_rule_size(a))
    x = a * z
    vals = np.where(x > 0, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(-np.abs(x))))
    w = sw * sw
    out[0] = 2 * math.log(float(w @ vals))
    return out, float(w @ (vals * vals))


def log_h2_silu(a: float, jmax: int, gauss_hermite):
    """(log h_j^2, E[silu(a z)^2]) of z -> silu(a z) = a z sigmoid(a z), any real a != 0: the
    even coefficients from tanh's integrals I_{j-1}, I_{j+1} at b = |a| / 2 (module docstring),
    h_1 = a / 2; the energy by the ``gauss_hermite(num)`` rule (nodes, sqrt weights)."""
    b = 0.5 * abs(a)
    out = np.full(jmax + 1, -np.inf)
    out[0] = 2 * math.log(b * b * (1.0 - tanh_energy(b)))
    if jmax >= 1:
        out[1] = 2 * math.log(b)
    if jmax >= 2:
        j = np.arange(2, jmax + 1, 2)
        log_i = log_i_integrals(np.concatenate([j - 1, j + 1]), b)
        lo, hi = log_i[: j.size], log_i[j.size :]
        jl = j.astype(_LD)
        with np.errstate(invalid="ignore", over="ignore"):
            log_r = _LD(2 * math.log(b)) + hi - lo - np.log(jl)
        if not np.all(log_r < 0):  # 1 - r rounds to 0 or below (or NaN): b ~ 40 and more
            raise ValueError(
                f"silu at scale |a| = {abs(a):.3g}: its Hermite coefficients (a difference of "
                "two of tanh's integrals) cancel completely in float64; lower the scale, "
                "weight_var or bias"
            )
        log_fact = _log_factorials(jmax)
        vals = (
            2 * j * _LD(math.log(b))
            - log_fact[j]
            + 2 * (np.log(jl) + lo + np.log1p(-np.exp(log_r)))
        )
        out[j] = vals.astype(float)
    z, sw = gauss_hermite(softplus_rule_size(4 * b))  # z^2 tanh^2: 2x softplus' nodes
    w = sw * sw
    th = np.tanh(b * z)
    return out, b * b * (1.0 + float(w @ (z * z * th * th)))


def softplus_rule_size(a: float) -> int:
    """Gauss-Hermite nodes for the two softplus moments.  z -> softplus(a z) is analytic in
    |Im z| < pi / a, so the N-node rule errs by ~ exp(-2 (pi / a) sqrt(2 N)) (measured against
    mpmath: 1e-16 at a = 3 with 400 nodes, 1e-7 at a = 10): N grows like a^2 up to
    _SOFTPLUS_RULE_MAX nodes (~1e-16 up to a ~ 15, ~1e-10 at a = 30)."""
    num = 0.5 * (46.0 * a / (2 * math.pi)) ** 2
    return int(min(max(100 * math.ceil(num / 100), 400), _SOFTPLUS_RULE_MAX))


_SOFTPLUS_RULE_MAX = 6000
