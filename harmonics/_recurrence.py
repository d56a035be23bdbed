"""Stable three-term recurrences for the normalized Legendre polynomials P_{k,n}.

Convention (docs/conventions.md, "Spherical harmonics and Legendre polynomials of dimension n"):
P_{k,n}(t) = C_k^{(alpha)}(t) / C_k^{(alpha)}(1), alpha = (n - 2)/2, so that
P_{k,n}(1) = 1 and |P_{k,n}(t)| <= 1 on [-1, 1].  The recurrence

    (k + n - 2) P_{k+1,n}(t) = (2k + n - 2) t P_{k,n}(t) - k P_{k-1,n}(t),

with P_0 = 1 and P_1 = t, never leaves [-1, 1] for |t| <= 1, so it cannot overflow; it can
underflow (|P_{k,n}(0)| ~ n^{-k/2}), which is why a variant with a binary exponent exists.
It is valid for any real n > 1 (alpha > -1/2), which `gegenbauer` uses for non half-integer alpha.
For n = 2 the coefficients reduce to the Chebyshev recurrence T_{k+1} = 2t T_k - T_{k-1}.

Reference: Atkinson & Han, "Spherical Harmonics and Approximations on the Unit Sphere",
Springer LNM 2044 (2012), eq. (2.52) and (2.70).
"""

from __future__ import annotations

import numpy as np

# Rescale by 2**_SHIFT whenever both carried values fall below 2**-_SHIFT.  Powers of two keep
# the rescaling exact.
_SHIFT = 600


def legendre_rows(kmax: int, n: float, t: np.ndarray):
    """Yield (k, P_{k,n}(t)) for k = 0..kmax (plain float64, may underflow to 0).

    ``t`` is a float64 array; the recurrence is vectorised over it.
    """
    p_prev = np.ones_like(t)
    yield 0, p_prev
    if kmax == 0:
        return
    p_cur = t.copy()
    yield 1, p_cur
    for k in range(1, kmax):
        p_next = ((2 * k + n - 2) * t * p_cur - k * p_prev) / (k + n - 2)
        p_prev, p_cur = p_cur, p_next
        yield k + 1, p_cur


def legendre_table(kmax: int, n: float, t: np.ndarray) -> np.ndarray:
    """Array [kmax+1, *t.shape] of P_{k,n}(t) for k = 0..kmax (float64; tiny values underflow)."""
    out = np.empty((kmax + 1,) + t.shape)
    for k, row in legendre_rows(kmax, n, t):
        out[k] = row
    return out


def legendre_table_scaled(kmax: int, n: float, t: np.ndarray):
    """P_{k,n}(t) for k = 0..kmax as (mantissa, exponent) with P = mantissa * 2**exponent.

    Returns two arrays of shape [kmax+1, *t.shape]: float64 mantissas and int64 binary exponents.
    The pair of consecutive values carried by the recurrence is rescaled by an exact power of two
    whenever both are below 2**-600, so values far below the float64 range (e.g. P_{200,10^4}(0)
    ~ 1e-400) keep full relative precision.
    """
    t = np.asarray(t, dtype=float)
    mant = np.empty((kmax + 1,) + t.shape)
    expo = np.zeros((kmax + 1,) + t.shape, dtype=np.int64)
    e = np.zeros(t.shape, dtype=np.int64)
    p_prev = np.ones_like(t)
    mant[0] = p_prev
    if kmax == 0:
        return mant, expo
    p_cur = t.copy()
    mant[1] = p_cur
    small = 2.0 ** (-_SHIFT)
    for k in range(1, kmax):
        p_next = ((2 * k + n - 2) * t * p_cur - k * p_prev) / (k + n - 2)
        p_prev, p_cur = p_cur, p_next
        tiny = (np.abs(p_cur) < small) & (np.abs(p_prev) < small)
        if np.any(tiny):
            p_cur = np.where(tiny, np.ldexp(p_cur, _SHIFT), p_cur)
            p_prev = np.where(tiny, np.ldexp(p_prev, _SHIFT), p_prev)
            e = e - _SHIFT * tiny
        mant[k + 1] = p_cur
        expo[k + 1] = e
    return mant, expo


def legendre_scalar_scaled(kmax: int, n: float, t: float):
    """Scalar-t version of :func:`legendre_table_scaled` in plain Python floats (no per-step
    numpy overhead): arrays [kmax+1] of mantissas and int64 binary exponents."""
    t = float(t)
    mant = [0.0] * (kmax + 1)
    expo = [0] * (kmax + 1)
    mant[0] = 1.0
    if kmax >= 1:
        mant[1] = t
    small = 2.0 ** (-_SHIFT)
    big = 2.0**_SHIFT
    e = 0
    p_prev, p_cur = 1.0, t
    for k in range(1, kmax):
        p_prev, p_cur = p_cur, ((2 * k + n - 2) * t * p_cur - k * p_prev) / (k + n - 2)
        if abs(p_cur) < small and abs(p_prev) < small:
            p_cur *= big
            p_prev *= big
            e -= _SHIFT
        mant[k + 1] = p_cur
        expo[k + 1] = e
    return np.array(mant), np.array(expo, dtype=np.int64)


def log_abs_from_scaled(mant: np.ndarray, expo: np.ndarray):
    """Convert (mantissa, binary exponent) to (sign, log|value|); log = -inf where value is 0."""
    sign = np.sign(mant)
    with np.errstate(divide="ignore"):
        log_abs = np.log(np.abs(mant)) + expo * np.log(2.0)
    return sign, log_abs


# ------------------------------------------------------------------ compensated (double-double)
# Error-free transformations (Dekker 1971; Knuth TAOCP vol. 2): the recurrence carried as an
# unevaluated sum hi + lo of two doubles, which keeps ~106 bits through 1000 steps.  Used by the
# public legendre(): plain float64 loses ~k^2 eps absolute near +-1 at small n and k ~ 1000
# (measured 2e-12 at n = 2, k = 1000); compensated, the result is within an ulp or two.

_SPLIT = 134217729.0  # 2^27 + 1


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = _SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_mul_d(hi, lo, b):
    p, e = _two_prod(hi, b)
    e = e + lo * b
    return _two_sum(p, e)


def _dd_mul_dd(ah, al, bh, bl):
    p, e = _two_prod(ah, bh)
    e = e + (ah * bl + al * bh)
    return _two_sum(p, e)


def _dd_sub(ah, al, bh, bl):
    s, e = _two_sum(ah, -bh)
    e = e + (al - bl)
    return _two_sum(s, e)


def _dd_div_d(hi, lo, c):
    q1 = hi / c
    p, e = _two_prod(q1, c)
    r = ((hi - p) - e) + lo
    q2 = r / c
    return _two_sum(q1, q2)


def legendre_table_scaled_dd(kmax: int, n: float, t: np.ndarray, wanted=None):
    """Compensated version of :func:`legendre_table_scaled` (same outputs, ~1 ulp accuracy).

    ``wanted``: optional boolean mask [kmax+1] of degrees to store (others are skipped to save
    memory); rows not wanted are left as zeros.  n must be an integer (exact coefficients).
    """
    t = np.asarray(t, dtype=float)
    mant = np.zeros((kmax + 1,) + t.shape)
    expo = np.zeros((kmax + 1,) + t.shape, dtype=np.int64)
    keep = np.ones(kmax + 1, dtype=bool) if wanted is None else wanted
    ph, pl = np.ones_like(t), np.zeros_like(t)  # P_{k-1}
    qh, ql = t.copy(), np.zeros_like(t)  # P_k
    e = np.zeros(t.shape, dtype=np.int64)
    mant[0] = 1.0
    if kmax == 0:
        return mant, expo
    mant[1] = t
    small = 2.0 ** (-_SHIFT)
    for k in range(1, kmax):
        a_h, a_l = _two_prod(float(2 * k + n - 2), t)  # (2k+n-2) t, exact
        v_h, v_l = _dd_mul_dd(a_h, a_l, qh, ql)
        w_h, w_l = _dd_mul_d(ph, pl, float(k))
        d_h, d_l = _dd_sub(v_h, v_l, w_h, w_l)
        nh, nl = _dd_div_d(d_h, d_l, float(k + n - 2))
        ph, pl, qh, ql = qh, ql, nh, nl
        tiny = (np.abs(qh) < small) & (np.abs(ph) < small)
        if np.any(tiny):
            qh = np.where(tiny, np.ldexp(qh, _SHIFT), qh)
            ql = np.where(tiny, np.ldexp(ql, _SHIFT), ql)
            ph = np.where(tiny, np.ldexp(ph, _SHIFT), ph)
            pl = np.where(tiny, np.ldexp(pl, _SHIFT), pl)
            e = e - _SHIFT * tiny
        if keep[k + 1]:
            mant[k + 1] = qh + ql
            expo[k + 1] = e
    return mant, expo


# ------------------------------------------------------------ compiled compensated recurrence
# The same double-double recurrence as legendre_table_scaled_dd, one point at a time in numba:
# no per-step numpy overhead (the numpy version costs ~30 us per degree, 10^7 degrees ~ 5 min),
# and only the rows of wanted degrees are stored (a table [kmax+1, T] for k = 10^9 would be
# 8 GB).  Same operations in the same order, so the same bits (tests/test_legendre.py).


def _dd_rows_source(kmax, n, t, row_of, mant, expo):  # pragma: no cover - compiled by numba
    """Degree-major loop, the inner loop over the points (independent: they pipeline)."""
    split = 134217729.0
    small = 2.0**-600
    big = 2.0**600
    npts = t.shape[0]
    ph = np.ones(npts)
    pl = np.zeros(npts)
    qh = t.copy()
    ql = np.zeros(npts)
    e = np.zeros(npts, dtype=np.int64)
    xh = np.empty(npts)
    xl = np.empty(npts)
    for i in range(npts):
        c = split * t[i]
        xh[i] = c - (c - t[i])
        xl[i] = t[i] - xh[i]
    r = row_of[0]
    if r >= 0:
        for i in range(npts):
            mant[r, i] = 1.0
    if kmax == 0:
        return
    r = row_of[1]
    if r >= 0:
        for i in range(npts):
            mant[r, i] = t[i]
    for k in range(1, kmax):
        # the coefficients 2k + n - 2, k, k + n - 2 and their splits (exact integers < 2^53)
        a = (n - 2.0) + 2.0 * k
        c = split * a
        ah = c - (c - a)
        al = a - ah
        kk = float(k)
        c = split * kk
        kh = c - (c - kk)
        kl = kk - kh
        cc = (n - 2.0) + kk
        c = split * cc
        ch = c - (c - cc)
        cl = cc - ch
        r = row_of[k + 1]
        for i in range(npts):
            x = t[i]
            q_h = qh[i]
            q_l = ql[i]
            p_h = ph[i]
            p_l = pl[i]
            # (a_h, a_l) = two_prod(2k + n - 2, t), exact
            a_h = a * x
            a_l = ((ah * xh[i] - a_h) + ah * xl[i] + al * xh[i]) + al * xl[i]
            # (v_h, v_l) = (a_h, a_l) * (q_h, q_l)
            p = a_h * q_h
            c = split * a_h
            h1 = c - (c - a_h)
            l1 = a_h - h1
            c = split * q_h
            h2 = c - (c - q_h)
            l2 = q_h - h2
            err = ((h1 * h2 - p) + h1 * l2 + l1 * h2) + l1 * l2
            err = err + (a_h * q_l + a_l * q_h)
            v_h = p + err
            bb = v_h - p
            v_l = (p - (v_h - bb)) + (err - bb)
            # (w_h, w_l) = (p_h, p_l) * k
            p = p_h * kk
            c = split * p_h
            h1 = c - (c - p_h)
            l1 = p_h - h1
            err = ((h1 * kh - p) + h1 * kl + l1 * kh) + l1 * kl
            err = err + p_l * kk
            w_h = p + err
            bb = w_h - p
            w_l = (p - (w_h - bb)) + (err - bb)
            # (d_h, d_l) = v - w
            s = v_h + (-w_h)
            bb = s - v_h
            ee = (v_h - (s - bb)) + (-w_h - bb)
            ee = ee + (v_l - w_l)
            d_h = s + ee
            bb = d_h - s
            d_l = (s - (d_h - bb)) + (ee - bb)
            # (nh, nl) = d / (k + n - 2)
            q1 = d_h / cc
            p = q1 * cc
            c = split * q1
            h1 = c - (c - q1)
            l1 = q1 - h1
            err = ((h1 * ch - p) + h1 * cl + l1 * ch) + l1 * cl
            rr = ((d_h - p) - err) + d_l
            q2 = rr / cc
            nh = q1 + q2
            bb = nh - q1
            nl = (q1 - (nh - bb)) + (q2 - bb)
            if abs(nh) < small and abs(q_h) < small:
                nh = nh * big
                nl = nl * big
                q_h = q_h * big
                q_l = q_l * big
                e[i] -= 600
            ph[i] = q_h
            pl[i] = q_l
            qh[i] = nh
            ql[i] = nl
            if r >= 0:
                mant[r, i] = nh + nl
                expo[r, i] = e[i]


def _rows_source(kmax, n, t, row_of, mant, expo):  # pragma: no cover - compiled by numba
    """Plain float64 version (:func:`legendre_table_scaled`, any real n > 1), same layout."""
    small = 2.0**-600
    big = 2.0**600
    npts = t.shape[0]
    p_prev = np.ones(npts)
    p_cur = t.copy()
    e = np.zeros(npts, dtype=np.int64)
    r = row_of[0]
    if r >= 0:
        for i in range(npts):
            mant[r, i] = 1.0
    if kmax == 0:
        return
    r = row_of[1]
    if r >= 0:
        for i in range(npts):
            mant[r, i] = t[i]
    for k in range(1, kmax):
        a = 2 * k + n - 2
        b = k + n - 2
        r = row_of[k + 1]
        for i in range(npts):
            nxt = (a * t[i] * p_cur[i] - k * p_prev[i]) / b
            prv = p_cur[i]
            if abs(nxt) < small and abs(prv) < small:
                nxt = nxt * big
                prv = prv * big
                e[i] -= 600
            p_prev[i] = prv
            p_cur[i] = nxt
            if r >= 0:
                mant[r, i] = nxt
                expo[r, i] = e[i]


_KERNELS: dict = {}


def legendre_rows_compiled(kmax: int, n: float, t: np.ndarray, degrees: np.ndarray, *, dd: bool):
    """P_{k,n}(t) for the given ``degrees`` (sorted unique ints in [0, kmax]) as (mantissas,
    int64 binary exponents) [len(degrees), len(t)], compiled (numba, imported on first use),
    storing only the wanted rows: :func:`legendre_table_scaled_dd` (``dd``, n an integer
    < 2^53) or :func:`legendre_table_scaled` (any real n > 1), same bits."""
    kernel = _KERNELS.get(dd)
    if kernel is None:
        from numba import njit

        kernel = _KERNELS[dd] = njit(cache=True, nogil=True)(
            _dd_rows_source if dd else _rows_source
        )
    t = np.ascontiguousarray(t, dtype=float).ravel()
    row_of = np.full(kmax + 1, -1, dtype=np.int64)
    row_of[degrees] = np.arange(len(degrees))
    mant = np.zeros((len(degrees), t.size))
    expo = np.zeros((len(degrees), t.size), dtype=np.int64)
    kernel(int(kmax), float(n), t, row_of, mant, expo)
    return mant, expo
