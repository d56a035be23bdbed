"""Truncated power series for the deep-kernel algebra (private).

Two kinds of series are used by :mod:`gd_operator.deep`:

* Taylor series in rho at rho = 0 with non-negative coefficients (every dot-product kernel of a
  Gaussian network has them, Schoenberg 1942).  They are composed by recurrences whose terms are
  all >= 0, so each coefficient keeps ~1e-15 relative accuracy however small it is:

  - ``inv_sqrt_compose``: z(rho) = (1 - b^2 c(rho)^2)^{-1/2} for c = c0 + H with c0 >= 0 and
    H >= 0 coefficientwise, from (1 - b^2 c^2) z' = b^2 c c' z rewritten as
    (1 - b^2 c0^2) z' = b^2 [c c' z + (c^2 - c0^2) z'], whose right side has only
    non-negative terms and involves z_0..z_m at order m (c^2 - c0^2 has no constant term);
  - ``compose_positive``: G(c0 + H(rho)) = sum_m g_m H^m by Horner's rule (g_m >= 0, H >= 0);
    ``compose_positive_many`` the same for several G at once by Paterson & Stockmeyer;
  - ``integrate``: int_0^rho f.

* Puiseux series in s = sqrt(1 - rho) at rho = 1 (or u = sqrt(1 + rho) at rho = -1) in float64,
  short (order ~30): products, square roots and Horner composition with an inner series
  without constant term (then truncation is exact).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# The compiled reductions below are dot products.  Reassociating them (vectorized partial sums)
# keeps the bound of a sum in any order, ~P eps sum |terms|; the deep kernels' Taylor series
# have non-negative terms only, so each coefficient keeps a few ulps of itself.  fastmath stays
# limited to {reassoc, contract} (no nnan / ninf); tests/test_deep_spectrum.py compiles the
# same bodies in strict order and bounds the difference.
_FM = {"reassoc", "contract"}


def _inv_sqrt_body(c2sq, cc, c0sq_b2, b2, out):  # pragma: no cover - compiled
    # c2sq: [P+1] series of c^2 - c0^2 (c2sq[0] = 0, the rest >= 0); cc: [P+1] series of c c';
    # c0sq_b2 = b2 c0^2 < 1.  out: [P+1], z = (1 - b2 c^2)^{-1/2}, from
    # (1 - b2 c0^2) z' = b2 [c c' z + (c^2 - c0^2) z']; zd[j] = j z_j (the coefficients of z',
    # shifted) makes both sums plain dot products.
    P = out.size - 1
    denom = 1.0 - c0sq_b2
    zd = np.zeros(P + 1)
    out[0] = 1.0 / math.sqrt(denom)
    for m in range(P):
        acc = 0.0
        for i in range(m + 1):
            acc += cc[i] * out[m - i]
        for i in range(1, m + 1):
            acc += c2sq[i] * zd[m - i + 1]
        out[m + 1] = b2 * acc / (denom * (m + 1))
        zd[m + 1] = (m + 1) * out[m + 1]


_inv_sqrt_kernel = njit(cache=True, fastmath=_FM)(_inv_sqrt_body)


def derivative(c: np.ndarray) -> np.ndarray:
    """Coefficients of c'(rho) (length len(c) - 1)."""
    return c[1:] * np.arange(1, c.size)


def _truncated_product_body(a, b, out):  # pragma: no cover - compiled
    # out[p] = sum_{i <= p} a[i] b[p - i] (a, b, out of one length): half the multiply-adds of
    # a full convolution, eight outputs per sweep (_product_range)
    _product_range(a, 0, b[::-1].copy(), 0, out, 0, out.size - 1)


def mul(a: np.ndarray, b: np.ndarray, order: int) -> np.ndarray:
    """Product of two series truncated at ``order``."""
    aa, bb = np.zeros(order + 1), np.zeros(order + 1)
    aa[: min(a.size, order + 1)] = a[: order + 1]
    bb[: min(b.size, order + 1)] = b[: order + 1]
    out = np.empty(order + 1)
    _truncated_product(aa, bb, out)
    return out


def integrate(f: np.ndarray, const: float, order: int) -> np.ndarray:
    """Coefficients of const + int_0^rho f, truncated at ``order``."""
    out = np.zeros(order + 1)
    out[0] = const
    m = min(order, f.size)
    out[1 : m + 1] = f[:m] / np.arange(1, m + 1)
    return out


def inv_sqrt_compose(c: np.ndarray, b2: float = 1.0) -> np.ndarray:
    """Taylor coefficients of (1 - b2 c(rho)^2)^{-1/2} (c >= 0 coefficientwise, b2 c0^2 < 1)."""
    return _inv_sqrt_compose(c, b2, _inv_sqrt_kernel)


def _inv_sqrt_compose(c, b2, kernel):
    c = np.ascontiguousarray(c, dtype=float)
    order = c.size - 1
    # c^2 to order + 1 (c_{order+1} taken as 0); c c' = (c^2)' / 2, truncated alike
    sq = mul(c, c, order + 1)
    cc = 0.5 * derivative(sq)
    c2sq = sq[: order + 1].copy()
    c2sq[0] = 0.0  # c^2 - c0^2 (exactly: the constant term of c * c is c0^2)
    out = np.empty(order + 1)
    kernel(c2sq, cc, float(b2) * float(c[0]) ** 2, float(b2), out)
    return out


def _horner_body(g, h, out):  # pragma: no cover - compiled
    # out = sum_m g[m] h^m truncated at len(out) - 1; h[0] = 0, all entries >= 0.
    P = out.size - 1
    M = g.size - 1
    acc = np.zeros(P + 1)
    tmp = np.zeros(P + 1)
    acc[0] = g[M]
    for m in range(M - 1, -1, -1):
        # acc <- acc * h + g[m] (truncated at order P; h starts at order 1).  acc is multiplied
        # by h m more times, so only its orders <= P - m reach the result: the same sums, in
        # the same order, for P^3/6 instead of M P^2/2 multiply-adds at M = P.
        top = P - m
        for p in range(top, 0, -1):
            s = 0.0
            for i in range(1, p + 1):
                s += h[i] * acc[p - i]
            tmp[p] = s
        for p in range(1, top + 1):
            acc[p] = tmp[p]
        acc[0] = g[m]
    for p in range(P + 1):
        out[p] = acc[p]


_horner_kernel = njit(cache=True, fastmath=_FM)(_horner_body)


def compose_positive(g: np.ndarray, h: np.ndarray, order: int) -> np.ndarray:
    """sum_m g_m h(rho)^m truncated at ``order`` (h[0] = 0; g, h >= 0 coefficientwise)."""
    hh = np.zeros(order + 1)
    m = min(order + 1, h.size)
    hh[:m] = h[:m]
    hh[0] = 0.0
    gg = np.ascontiguousarray(g[: order + 1], dtype=float)  # h^m starts at rho^m
    out = np.empty(order + 1)
    _horner_kernel(gg, hh, out)
    return out


def _taylor_shift_body(c, c0, scale, out):  # pragma: no cover - compiled
    # out[i] = sum_{j >= i} c[j] C(j, i) c0^(j - i) scale^i: the coefficients of G(c0 + scale y)
    # in y, G(x) = sum_j c[j] x^j, by Horner's rule in x = c0 + scale y (every term >= 0);
    # truncated at order out.size - 1 (exact there: later Horner steps only raise orders).
    order = out.size - 1
    J = c.size - 1
    acc = np.zeros(order + 1)
    new = np.zeros(order + 1)
    acc[0] = c[J]
    for j in range(J - 1, -1, -1):
        top = min(order, J - j)  # the degree of acc after this step (truncated)
        lo, hi = acc[0:top], acc[1 : top + 1]
        for m in range(top):
            new[m + 1] = c0 * hi[m] + scale * lo[m]
        new[0] = c0 * acc[0] + c[j]
        acc, new = new, acc
    for i in range(order + 1):
        out[i] = acc[i]


_taylor_shift_kernel = njit(cache=True, fastmath=_FM)(_taylor_shift_body)


def taylor_shift(c: np.ndarray, c0: float, scale: float, order: int) -> np.ndarray:
    """Coefficients of G(c0 + scale y) in y up to ``order``, G(x) = sum_j c_j x^j with c_j >= 0,
    c0 >= 0, scale > 0: sum_{j >= i} C(j, i) c0^{j-i} scale^i c_j, every term >= 0, so each
    keeps ~J eps relative (J = len(c) - 1 Horner steps).  With c0 + scale <= ~1 the values stay
    below G(c0 + scale): no overflow where the unscaled G^(i)(c0) / i! ~ (1 - c0)^-i would."""
    c = np.ascontiguousarray(c, dtype=float)
    out = np.empty(order + 1)
    if c.size == 0:
        out[:] = 0.0
        return out
    _taylor_shift_kernel(c, float(c0), float(scale), out)
    return out


def _product_range_body(a, a_lo, b_rev, b_lo, out, p_lo, p_hi):  # pragma: no cover - compiled
    # out[p] = sum_{q = a_lo}^{p - b_lo} a[q] b[p - q] for p_lo <= p <= p_hi (a zero sum when
    # the range is empty), with b given reversed: b_rev[i] = b[P - i], P = b_rev.size - 1 >=
    # p_hi; a has its non-zero terms from a_lo, b from b_lo.  Eight outputs share each load of
    # a[q] (8 running sums against b_rev shifted by 0..7): ~2x the multiply-adds per second of
    # one sum at a time.  Loops run over slices from 0 so that every index is provably >= 0:
    # with an index like b[p - q] numba keeps negative-index wraparound in the inner loop,
    # which blocks vectorization (measured 6x slower).
    P = b_rev.size - 1
    p = p_lo
    while p <= p_hi:
        n = p - b_lo - a_lo + 1  # terms of out[p]; out[p + r] has n + r of them
        o = P - p + a_lo  # b_rev index of b[p - a_lo]
        if p + 7 <= p_hi and n > 0:
            av = a[a_lo : a_lo + n]
            b0, b1, b2, b3 = (
                b_rev[o : o + n],
                b_rev[o - 1 : o - 1 + n],
                b_rev[o - 2 : o - 2 + n],
                b_rev[o - 3 : o - 3 + n],
            )
            b4, b5, b6, b7 = (
                b_rev[o - 4 : o - 4 + n],
                b_rev[o - 5 : o - 5 + n],
                b_rev[o - 6 : o - 6 + n],
                b_rev[o - 7 : o - 7 + n],
            )
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
            for j in range(n):
                x = av[j]
                s0 += x * b0[j]
                s1 += x * b1[j]
                s2 += x * b2[j]
                s3 += x * b3[j]
                s4 += x * b4[j]
                s5 += x * b5[j]
                s6 += x * b6[j]
                s7 += x * b7[j]
            out[p], out[p + 1], out[p + 2], out[p + 3] = s0, s1, s2, s3
            out[p + 4], out[p + 5], out[p + 6], out[p + 7] = s4, s5, s6, s7
            for r in range(1, 8):  # the r terms q = p - b_lo + 1 .. p + r - b_lo of out[p + r]
                av = a[a_lo + n : a_lo + n + r]
                bv = b_rev[o - r + n : o + n]
                t = 0.0
                for j in range(r):
                    t += av[j] * bv[j]
                out[p + r] += t
            p += 8
        else:
            t = 0.0
            if n > 0:
                av = a[a_lo : a_lo + n]
                bv = b_rev[o : o + n]
                for j in range(n):
                    t += av[j] * bv[j]
            out[p] = t
            p += 1


# Inlined at numba IR level: the callers' compile options (fastmath or strict) apply to it.
_product_range = njit(inline="always")(_product_range_body)


_truncated_product = njit(cache=True, fastmath=_FM)(_truncated_product_body)


def _paterson_stockmeyer_body(g, h, s, out):  # pragma: no cover - compiled
    # out[k] = sum_m g[k, m] h^m truncated at order P = out.shape[1] - 1; h[0] = 0, all >= 0.
    # Baby powers h^0..h^s, then Horner in the giant G = h^s over blocks of s coefficients:
    # sum_t (sum_{i<s} g[t s + i] h^i) G^t.  At block t the accumulator is multiplied by G
    # t more times (valuation t s), so only its orders <= P - t s reach the result.
    K = g.shape[0]
    M = g.shape[1]
    P = out.shape[1] - 1
    baby = np.zeros((s + 1, P + 1))
    baby[0, 0] = 1.0
    for p in range(1, P + 1):
        baby[1, p] = h[p]
    h_rev = h[::-1].copy()
    for i in range(2, s + 1):  # h^i has valuation i
        _product_range(baby[i - 1], i - 1, h_rev, 1, baby[i], i, P)
    giant_rev = baby[s][::-1].copy()
    blocks = (M + s - 1) // s
    acc = np.zeros(P + 1)
    tmp = np.zeros(P + 1)
    for k in range(K):
        acc[:] = 0.0
        started = False
        for t in range(blocks - 1, -1, -1):
            top = P - t * s
            if top < 0:
                continue
            if started:
                _product_range(acc, 0, giant_rev, s, tmp, 0, top)
                for p in range(top + 1):
                    acc[p] = tmp[p]
            started = True
            for i in range(s):
                j = t * s + i
                if j >= M:
                    break
                c = g[k, j]
                if c != 0.0:
                    row = baby[i]
                    for p in range(i, top + 1):
                        acc[p] += c * row[p]
        for p in range(P + 1):
            out[k, p] = acc[p]


_paterson_stockmeyer_kernel = njit(cache=True, fastmath=_FM)(_paterson_stockmeyer_body)


def compose_positive_many(gs, h: np.ndarray, order: int) -> np.ndarray:
    """[sum_m g_m h(rho)^m for g in gs] truncated at ``order`` (h[0] = 0; g, h >= 0), shape
    (len(gs), order + 1), by Paterson & Stockmeyer (SIAM J. Comput. 2, 1973): ~2 sqrt(P / 3 K)
    series products shared by the K outer series instead of P per series -- ~K P^3 / (6 s) +
    s P^2 / 2 multiply-adds (s the block size) for Horner's K P^3 / 6 (P = 2400, K = 2: 18x
    fewer).  The same positive sums in another order: relative differences ~P eps from
    compose_positive (tests/test_deep_spectrum.py)."""
    hh = np.zeros(order + 1)
    m = min(order + 1, h.size)
    hh[:m] = h[:m]
    hh[0] = 0.0
    width = min(max(len(g) for g in gs), order + 1)  # h^m starts at rho^m: m <= order
    g = np.zeros((len(gs), width))
    for i, gi in enumerate(gs):
        gi = np.asarray(gi, dtype=float)[:width]
        g[i, : gi.size] = gi
    if order >= 1 and not np.any(hh[2:]):
        # h = h_1 rho (a first layer): G(h_1 rho) has the coefficients g_m h_1^m exactly
        out = np.zeros((len(gs), order + 1))
        with np.errstate(under="ignore"):
            out[:, :width] = g * hh[1] ** np.arange(width)
        return out
    s = max(2, int(math.sqrt(order * len(gs) / 3.0)))
    out = np.empty((len(gs), order + 1))
    _paterson_stockmeyer_kernel(g, hh, s, out)
    return out


# ------------------------------------------------------------------ short Puiseux series


def pmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.convolve(a, b)[: a.size]


def psqrt(w: np.ndarray) -> np.ndarray:
    """sqrt of a series with w[0] > 0 (same length)."""
    out = np.zeros_like(w)
    out[0] = math.sqrt(w[0])
    for m in range(1, w.size):
        acc = w[m] - np.dot(out[1:m], out[m - 1 : 0 : -1])
        out[m] = acc / (2 * out[0])
    return out


def pcompose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """outer(inner(v)) for inner[0] = 0, truncated at the common length."""
    res = np.zeros_like(inner)
    for m in range(outer.size - 1, -1, -1):
        res = pmul(res, inner)
        res[0] += outer[m]
    return res


def pintegrate(f: np.ndarray, const: float, sign: float) -> np.ndarray:
    """const + sign * int_0^v f (same length; the top coefficient of f is dropped)."""
    out = np.zeros_like(f)
    out[0] = const
    out[1:] = sign * f[:-1] / np.arange(1, f.size)
    return out


def inv_sqrt_two_minus_sq(length: int) -> np.ndarray:
    """(2 - v^2)^{-1/2} = 2^{-1/2} sum_m C(2m, m) 8^{-m} v^{2m}."""
    out = np.zeros(length)
    c = 1 / math.sqrt(2)
    for m in range(0, (length + 1) // 2):
        if 2 * m < length:
            out[2 * m] = c
        c *= (2 * m + 1) / (4 * (m + 1))  # C(2m+2, m+1) / (8 C(2m, m))
    return out


def inv_sqrt_taylor(a: float, length: int) -> np.ndarray:
    """Taylor coefficients in x of (1 - (a + x)^2)^{-1/2}, |a| < 1.

    From (1 - (a+x)^2) z' = (a + x) z: z_{m+1} = [(2m+1) |a| z_m + m z_{m-1}] / ((1-a^2)(m+1))
    at |a| (all terms >= 0), then z(a + x) = z(|a| - x) for a < 0 (z is even).
    """
    b = abs(a)
    z = np.zeros(length)
    z[0] = 1 / math.sqrt((1 - b) * (1 + b))
    den = (1 - b) * (1 + b)
    for m in range(length - 1):
        prev = z[m - 1] if m >= 1 else 0.0
        z[m + 1] = ((2 * m + 1) * b * z[m] + m * prev) / (den * (m + 1))
    if a < 0:
        z[1::2] = -z[1::2]
    return z
