"""Funk-Hecke eigenvalues of sin(s t + b) and cos(s t + b) in closed form (private).

Convention (docs/conventions.md, "Funk-Hecke eigenvalues"): t ~ nu_n, uniform probability
measure on S^{n-1}, P_{k,n}(1) = 1, lambda_k(phi) = E_{t~nu_n}[phi(t) P_{k,n}(t)].

Plane wave (Gegenbauer's finite integral, DLMF 18.17.17 with the normalization P_{k,n}(1) = 1;
Watson, "A Treatise on the Theory of Bessel Functions", section 3.32), with nu0 = n/2 - 1:

    E_{nu_n}[e^{i s t} P_{k,n}(t)] = i^k Gamma(n/2) (2/s)^{nu0} J_{k+nu0}(s)
                                   = i^k s^k G_k / prod_{j<k} (n + 2j),                  (B)

    G_k = 0F1(; k + n/2; -s^2/4) = Gamma(k + nu0 + 1) (2/s)^{k+nu0} J_{k+nu0}(s)
        = E_{nu_{n+2k}}[e^{i s t}]

(the second form is Rodrigues' formula (R) of harmonics.funk_hecke applied to e^{i s t}; check,
n = 3, k = 0: sin(s)/s).  Hence, with S_k = lambda_k(sin(s t)) (odd k only) and
C_k = lambda_k(cos(s t)) (even k only),

    C_k = (-1)^{k/2} s^k G_k / prod_{j<k}(n+2j),   S_k = (-1)^{(k-1)/2} s^k G_k / prod_{j<k}(n+2j),
    lambda_k(sin(s t + b)) = cos(b) S_k + sin(b) C_k,
    lambda_k(cos(s t + b)) = cos(b) C_k - sin(b) S_k,

one term per degree (the two parts have opposite parities): no cancellation, and the parity
zeros of the unbiased gates are exact.

Evaluation.  G_k is the minimal solution of the three-term recurrence of J (in G form,
G_{k-1} = G_k - s^2 G_{k+1} / (4 (k + nu0)(k + nu0 + 1))), so the ratios q_k = G_k / G_{k-1}
come from its continued fraction run backwards (Miller's algorithm; Gautschi, SIAM Review 9,
1967), started 40 orders above N = max(kmax, ceil(|s|) + 20), where the terms decay at least
like (s / (2 (k + nu0)))^2 < 1/4.  One value, G_N = 0F1(; N + n/2; -s^2/4) > 0 (N + nu0 > |s|
lies below the first zero), comes from mpmath at 30 digits; everything else is float64
mantissas with separate binary exponents (s^k / prod(n + 2j) spans any range, e.g. 1e-30000 at
n = 10^4, k = 10^4), one rounding per step: ~k * 1e-16 relative at most, ~1e-15 typically
(tests/test_eigenvalue_reference.py: 36-digit references).  Near a zero of J_{k+nu0}(s) in k
(|s| > k + nu0 only) the relative accuracy degrades as the conditioning of that value does.

Limits: |s| <= 1000 (``MAX_SCALE``; the mpmath value at N ~ |s| sums a series cancelling by
~|s| / 2.3 digits) and kmax <= 10^6 (O(max(kmax, |s|)) work, ~0.3 s at 10^6).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from numba import njit

MAX_SCALE = 1000.0
MAX_KMAX = 10**6
_TAIL = 40  # orders above N where the backward continued fraction starts (error < 4^-40)


def check_trig(scale: float, kmax: int) -> None:
    """Refuse (ValueError) a frequency or degree beyond the limits of the module docstring."""
    if not abs(scale) <= MAX_SCALE:
        raise ValueError(
            f"sin/cos eigenvalues are computed for |scale| <= {MAX_SCALE:g} (the frequency), "
            f"got scale = {scale!r}"
        )
    if kmax > MAX_KMAX:
        raise ValueError(
            f"kmax = {kmax} is above the limit for sin/cos (kmax <= {MAX_KMAX}: O(kmax) "
            "recurrence, ~0.3 s at the limit)"
        )


@njit(cache=True)
def _plane_wave_kernel(s, n, kmax, N, g_top, mant, expo):
    """Writes s^k G_k / prod_{j<k}(n + 2j) = mant[k] * 2^expo[k], k = 0..kmax (s > 0)."""
    nu0 = 0.5 * n - 1.0
    quarter = 0.25 * s * s
    # ratios q_k = G_k / G_{k-1}, k = 1..N, by the backward continued fraction
    q = np.empty(N + 1)
    r = 1.0
    for k in range(N + _TAIL, 0, -1):
        nu = k + nu0
        r = 1.0 / (1.0 - quarter * r / (nu * (nu + 1.0)))
        if k <= N:
            q[k] = r
    # G_kmax from G_N, as a mantissa and a binary exponent
    m, e = math.frexp(g_top)
    for k in range(N, kmax, -1):
        m, de = math.frexp(m / q[k])
        e += de
    # a_kmax = G_kmax * prod_{j<kmax} s / (n + 2j)
    for j in range(kmax):
        m, de = math.frexp(m * (s / (n + 2.0 * j)))
        e += de
    mant[kmax] = m
    expo[kmax] = e
    # downwards: a_{k-1} = a_k (n + 2k - 2) / (s q_k)
    for k in range(kmax, 0, -1):
        m, de = math.frexp(m * ((n + 2.0 * k - 2.0) / (s * q[k])))
        e += de
        mant[k - 1] = m
        expo[k - 1] = e


def _g_top(s: float, n: int, N: int) -> float:
    """G_N = 0F1(; N + n/2; -s^2/4) (> 0 since N + n/2 - 1 > s) in mpmath, rounded to float64."""
    ctx = mpmath.MPContext()
    ctx.dps = 30
    return float(ctx.hyp0f1(ctx.mpf(N) + ctx.mpf(n) / 2, -(ctx.mpf(s) ** 2) / 4))


def trig_eigenvalues(name: str, scale: float, bias: float, n: int, kmax: int):
    """(mantissas, int64 binary exponents) of lambda_0..lambda_kmax of sin or cos(scale t + bias).

    Formula (B) of the module docstring; exact zeros (mantissa 0) where the unbiased gate's
    parity forces them.
    """
    check_trig(scale, kmax)
    s = abs(float(scale))
    N = max(kmax, math.ceil(s) + 20)
    mant = np.zeros(kmax + 1)
    expo = np.zeros(kmax + 1, dtype=np.int64)
    _plane_wave_kernel(s, float(n), kmax, N, _g_top(s, n, N), mant, expo)
    k = np.arange(kmax + 1)
    # i^k: (-1)^{k/2} on even k (cos part), (-1)^{(k-1)/2} on odd k (sin part)
    alt = np.where((k // 2) % 2 == 0, 1.0, -1.0)
    cos_part = np.where(k % 2 == 0, alt, 0.0)
    # sin(-s t) = -sin(s t): the odd part changes sign with the frequency
    sin_part = np.where(k % 2 == 1, alt, 0.0) * (1.0 if scale > 0 else -1.0)
    cb, sb = (1.0, 0.0) if bias == 0.0 else (math.cos(bias), math.sin(bias))
    if name == "sin":
        factor = cb * sin_part + sb * cos_part
    else:
        factor = cb * cos_part - sb * sin_part
    m, de = np.frexp(mant * factor)
    expo = np.where(m != 0, expo + de, 0).astype(np.int64)
    return m + 0.0, expo
