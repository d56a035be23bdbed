"""Legendre polynomials of dimension n and classical Gegenbauer polynomials."""

from __future__ import annotations

import math

import numpy as np

from ._infra.checks import (
    check_bool,
    check_degrees_array,
    check_dimension,
    check_int,
    check_real,
    check_unit_interval,
)
from ._recurrence import legendre_rows as _rows
from ._recurrence import legendre_table_scaled, legendre_table_scaled_dd, log_abs_from_scaled

#: Default cost limit of one evaluation: max(k) * max(number of t values, 4) recurrence steps
#: (and at most this many output values).  ~1 s at the limit; pass ``max_work=`` to go past it.
DEFAULT_MAX_WORK = 10**8
# Below this cost (and k < 256) the numpy recurrence is used (no numba import; ~45 us per
# degree); above it the compiled one.
_COMPILED_ABOVE = 200_000
# The compensated (double-double, integer n) recurrence is compiled from this degree on: in
# numpy it costs ~80 us per degree whatever the number of points (16 ms at k = 200, ~15 us
# compiled, same bits), and callers evaluating it point by point in a loop (sq_bounds'
# bisection and line search for delta: fit_exponent((3, 30), 200) made 166 calls, 3 s) paid
# that each time.  numba is imported with harmonics anyway; the first call loads the cached
# compilation (~0.2 s once per process).
_DD_COMPILED_FROM = 16
# |t| below this: P_{k,n}(t) from its value or slope at 0 (see _tiny_t).  Above it, the odd
# degrees keep >= 2^-1000 while the recurrence carries them with the even ones, so no subnormals.
_TINY_T = 2.0**-350


def _check_work(kmax: int, num_t: int, out_size: int, max_work: int) -> None:
    work = kmax * max(num_t, 4)
    if work > max_work or out_size > max_work:
        raise ValueError(
            f"k up to {kmax} at {num_t} value(s) of t costs ~{work:.3g} recurrence steps "
            f"({out_size:.3g} output values), above the limit max_work={max_work:.3g} "
            "(about 1 s per 1e8 steps); pass max_work=N to raise it"
        )


def _tiny_t(n: float, kmax: int, degrees, dd: bool):
    """P_{k,n}(0) for the given degrees and the slopes P'_{k,n}(0) / 1, as scaled pairs.

    For |t| < 2^-350, P_{k,n}(t) = P_{k,n}(0) (even k) or t P'_{k,n}(0) (odd k), with
    P'_{k,n} = k (k + n - 2) / (n - 1) P_{k-1,n+2} (DLMF 18.9.19 in this normalization); the
    neglected terms are ~(k (k+n) t)^2 ~ 2^-700 k^4 relative.  The recurrence itself carries
    odd and even degrees together with one binary exponent, so at such t the odd values
    (~t times the even ones) fall into the subnormal range and lose their digits.
    """
    zero = np.zeros(1)
    even = degrees[degrees % 2 == 0]
    odd = degrees[degrees % 2 == 1]
    m0, e0 = _table(n, kmax, zero, even, dd) if even.size else (np.zeros((0, 1)), None)
    m2, e2 = _table(n + 2, max(kmax - 1, 0), zero, odd - 1, dd) if odd.size else (None, None)
    return even, m0, e0, odd, m2, e2


def _table(n: float, kmax: int, t: np.ndarray, degrees: np.ndarray, dd: bool):
    """(mantissa, exponent) rows [len(degrees), len(t)] of P_{k,n}(t) for sorted unique degrees."""
    if kmax * max(t.size, 1) > _COMPILED_ABOVE or kmax >= 256 or (dd and kmax >= _DD_COMPILED_FROM):
        from ._recurrence import legendre_rows_compiled

        return legendre_rows_compiled(kmax, n, t, degrees, dd=dd)
    if dd:
        wanted = np.zeros(kmax + 1, dtype=bool)
        wanted[degrees] = True
        mant, expo = legendre_table_scaled_dd(kmax, n, t, wanted)
    else:
        mant, expo = legendre_table_scaled(kmax, n, t)
    return mant[degrees], expo[degrees]


def _evaluate(n: float, k, t, scaled: bool, max_work: int = DEFAULT_MAX_WORK):
    """Broadcast k against t and run the (compensated) recurrence once up to max(k), over the
    distinct points of ``t`` (not the broadcast copies), storing only the wanted degrees."""
    k_arr = check_degrees_array(k)
    t_arr = check_unit_interval(t)
    shape = np.broadcast_shapes(k_arr.shape, t_arr.shape)
    out_size = math.prod(shape)
    kmax = int(k_arr.max()) if k_arr.size else 0
    _check_work(kmax, t_arr.size, out_size, max_work)
    k_b = np.broadcast_to(k_arr, shape)
    t_idx = np.broadcast_to(np.arange(t_arr.size).reshape(t_arr.shape), shape)
    flat_t = t_arr.ravel()
    degrees = np.unique(k_arr)
    dd = float(n).is_integer() and n < 2.0**53
    mant, expo = _table(n, kmax, flat_t, degrees, dd)
    rows = np.searchsorted(degrees, k_b)
    m = mant[rows, t_idx]
    e = expo[rows, t_idx]
    tiny = np.abs(t_arr) < _TINY_T
    if np.any(tiny) and out_size:
        m, e = _fix_tiny(n, kmax, degrees, dd, m, e, k_b, np.broadcast_to(t_arr, shape))
    if scaled:
        return m, e
    return np.ldexp(m, e.astype(np.int32))


def _fix_tiny(n, kmax, degrees, dd, m, e, k_b, t_b):
    """Replace the entries at |t| < 2^-350 by the small-t forms of :func:`_tiny_t`."""
    even, m0, e0, odd, m2, e2 = _tiny_t(n, kmax, degrees, dd)
    m = np.array(m, dtype=float)
    e = np.array(e, dtype=np.int64)
    sel = np.abs(t_b) < _TINY_T
    ks = k_b[sel]
    ts = t_b[sel]
    new_m = np.zeros(ks.shape)
    new_e = np.zeros(ks.shape, dtype=np.int64)
    is_even = ks % 2 == 0
    if even.size:
        r = np.searchsorted(even, ks[is_even])
        new_m[is_even] = m0[r, 0]
        new_e[is_even] = e0[r, 0]
    if odd.size:
        ko = ks[~is_even]
        r = np.searchsorted(odd, ko)
        kf = ko.astype(float)
        slope = kf * (kf + (n - 2.0)) / (n - 1.0)
        tm, te = np.frexp(ts[~is_even])
        mm, me = np.frexp(m2[r, 0] * slope * tm)
        new_m[~is_even] = mm
        new_e[~is_even] = np.where(mm != 0, me + te + e2[r, 0], 0)
    m[sel] = new_m
    e[sel] = new_e
    return m, e


def legendre(n: int, k, t, *, max_work: int = DEFAULT_MAX_WORK):
    """Legendre polynomial of dimension n: P_{k,n}(t) = C_k^{(alpha)}(t) / C_k^{(alpha)}(1).

    alpha = (n - 2)/2, so P_{k,n}(1) = 1; n = 2 gives the Chebyshev polynomial T_k and n = 3 the
    classical Legendre polynomial P_k.  Orthogonality under t ~ nu_n (the law of <x, e> for x
    uniform on S^{n-1}): E[P_{j,n} P_{k,n}] = delta_{jk} / N(n, k).

    Evaluated by the normalized three-term recurrence (docs/conventions.md, "Spherical harmonics
    and Legendre polynomials of dimension n")
    (k + n - 2) P_{k+1,n}(t) = (2k + n - 2) t P_{k,n}(t) - k P_{k-1,n}(t), which stays in [-1, 1]
    and so never overflows, for any n (tested to n = 10^6) and k (tested to 1000).  The
    recurrence is carried in double-double arithmetic (error-free transformations), so the
    result is within ~1 ulp of P_{k,n} at the given float t (plain float64 would lose up to
    ~k^2 eps near +-1 for small n).

    Parameters
    ----------
    n : int, ambient dimension n >= 2 (the sphere S^{n-1} in R^n)
    k : int or array of int, k >= 0 (broadcast against ``t``)
    t : float or array in [-1, 1]

    max_work : cost limit, checked before anything is allocated: max(k) * max(number of t
        values, 4) recurrence steps and the number of output values must not exceed it
        (default 10^8, about a second; e.g. k = 2.5 * 10^7 at one t).  Raise it for larger
        evaluations: time and memory grow linearly.

    The dimension comes before the degree, as everywhere in funkhecke (until 0.2.0 the order was
    ``legendre(k, n, t)``; see CHANGELOG.md).

    Returns
    -------
    float64 array of the broadcast shape (a Python float for scalar input).  Values whose
    magnitude is below the float64 range (e.g. P_{1000,10^6}(0.01)) underflow to 0 here; use
    :func:`legendre_log` for their sign and logarithm.  For |t| < 2^-350 the value comes from
    P_{k,n}(0) (even k) or t P'_{k,n}(0) (odd k), exact to rounding there, so the odd degrees
    keep their sign and digits down to t = 5e-324.

    >>> float(legendre(3, 2, 0.5))  # classical Legendre (3 t^2 - 1)/2
    -0.125
    """
    n = check_dimension(n)
    max_work = check_int(max_work, "max_work", 1)
    out = _evaluate(n, k, t, scaled=False, max_work=max_work)
    return out[()] if out.ndim == 0 else out


def legendre_log(n: int, k, t, *, max_work: int = DEFAULT_MAX_WORK):
    """(sign, log|P_{k,n}(t)|) without underflow; log is -inf where P_{k,n}(t) = 0 exactly.

    Same arguments as :func:`legendre` (dimension n, then degree k, then t, cost limit
    ``max_work``).
    """
    n = check_dimension(n)
    max_work = check_int(max_work, "max_work", 1)
    m, e = _evaluate(n, k, t, scaled=True, max_work=max_work)
    sign, log_abs = log_abs_from_scaled(m, e)
    return sign, log_abs


def _log_gegenbauer_at_one(k: np.ndarray, alpha: float):
    """(sign, log|C_k^(alpha)(1)|), C_k^(alpha)(1) = (2 alpha)_k / k! (DLMF 18.6.1).

    log|C| = log|x| + log Gamma(x + k) - log Gamma(x + 1) - log k!, x = 2 alpha > -1, is a
    difference of log-gammas that cancel (for alpha >> k almost completely: float64 lgamma
    differences were off by 5e-10 relative at alpha = 1e6 and by 1000x at alpha = 1e15), so it
    is formed in mpmath with enough digits for the cancellation, once per distinct k; for more
    than 256 distinct degrees, in mpmath every 256th and by sums of log1p((x - 1)/(j + 1)) in
    between (pairwise sums; the products (x)_k / k! = prod_j (1 + (x - 1)/(j + 1))).
    Accuracy: a few ulps of log|C| (tests/test_legendre.py, against 50-digit mpmath).
    """
    x = 2.0 * alpha
    kk = np.asarray(k, dtype=np.int64)
    uniq = np.unique(kk)
    logs = _log_pochhammer_ratio(x, uniq)
    log_val = logs[np.searchsorted(uniq, kk)]
    sign = np.where((x < 0) & (kk >= 1), -1.0, 1.0)
    return sign, log_val


def _mp_log_ratio(x: float, k: int, ctx) -> float:
    if k == 0:
        return 0.0
    X = ctx.mpf(x)
    v = ctx.log(abs(X)) + ctx.loggamma(X + k) - ctx.loggamma(X + 1) - ctx.loggamma(k + 1)
    return float(v)


def _log_pochhammer_ratio(x: float, ks: np.ndarray) -> np.ndarray:
    """log|(x)_k / k!| for sorted unique ints ks >= 0 (x > -1)."""
    import mpmath

    big = max(abs(x), float(ks[-1]) if ks.size else 0.0, 2.0)
    ctx = mpmath.MPContext()
    # enough digits for log Gamma(x + k) ~ (x + k) log(x + k) to keep 20 after cancelling
    ctx.dps = 25 + int(math.log10(big * math.log(big + 1.0) + 1.0))
    out = np.empty(ks.size)
    if ks.size <= 256:
        for i, kv in enumerate(ks):
            out[i] = _mp_log_ratio(x, int(kv), ctx)
        return out
    anchor_val, anchor_k = 0.0, 0
    for i, kv in enumerate(ks):
        kv = int(kv)
        if i % 256 == 0 or kv - anchor_k > 4096:
            anchor_val, anchor_k = _mp_log_ratio(x, kv, ctx), kv
            out[i] = anchor_val
            continue
        j = np.arange(anchor_k, kv, dtype=float)
        # j = 0 (only when anchored at 0): the factor x itself (negative for x < 0)
        head = math.log(abs(x)) if anchor_k == 0 else 0.0
        jj = j[1:] if anchor_k == 0 else j
        terms = np.log1p((x - 1.0) / (jj + 1.0))
        anchor_val = anchor_val + head + float(np.sum(terms))
        anchor_k = kv
        out[i] = anchor_val
    return out


def gegenbauer(k, alpha: float, t, *, log: bool = False, max_work: int = DEFAULT_MAX_WORK):
    """Classical Gegenbauer polynomial C_k^{(alpha)}(t), alpha > -1/2, alpha != 0.

    C_k^{(alpha)}(t) = C_k^{(alpha)}(1) * P_{k,n}(t) with n = 2 alpha + 2 and
    C_k^{(alpha)}(1) = (2 alpha)_k / k!  (DLMF 18.5.7 / 18.6.1).  The normalized recurrence does
    the work; the (possibly enormous) factor C_k^{(alpha)}(1) is applied in log scale, so nothing
    overflows in between.  scipy.special.eval_gegenbauer returns inf once C_k^{(alpha)}(1) leaves
    float64 (e.g. k = 309, alpha = 499).

    Parameters
    ----------
    k : int or array of int >= 0;  alpha : real > -1/2, != 0;  t : float or array in [-1, 1].
    log : if True return ``(sign, log|C|)`` (log = -inf at exact zeros), valid far beyond float64.
    max_work : cost limit of the recurrence, as in :func:`legendre`.

    The factor log C_k^{(alpha)}(1) is formed in mpmath with the digits its log-gamma
    cancellation needs (a few ulps for every alpha up to 1e300 and k; float64 lgamma
    differences lose ~log10(alpha) digits).

    Without ``log``, values beyond float64 raise OverflowError (use ``log=True``).
    """
    alpha = check_real(alpha, "alpha")
    log = check_bool(log, "log")
    max_work = check_int(max_work, "max_work", 1)
    if alpha > 1e307:
        raise ValueError(
            f"alpha must be <= 1e307 (2 alpha + 2 must be a finite float), got {alpha}"
        )
    if alpha <= -0.5 or alpha == 0.0:
        raise ValueError(
            f"alpha must be > -1/2 and != 0, got {alpha} (C_k^(0) vanishes for k >= 1; "
            "use legendre(2, k, t) for Chebyshev polynomials)"
        )
    n = 2.0 * alpha + 2.0
    m, e = _evaluate(n, k, t, scaled=True, max_work=max_work)
    sign_p, log_p = log_abs_from_scaled(m, e)
    k_b = np.broadcast_to(check_degrees_array(k), np.shape(m))
    sign_c, log_c = _log_gegenbauer_at_one(k_b, alpha)
    sign = sign_p * sign_c
    log_abs = log_p + log_c
    if log:
        return sign, log_abs
    if np.any(log_abs > np.log(np.finfo(float).max)):
        raise OverflowError(
            "C_k^(alpha)(t) exceeds the float64 range for some inputs; call with log=True"
        )
    with np.errstate(under="ignore"):
        out = sign * np.exp(log_abs)
    return out[()] if out.ndim == 0 else out


def legendre_rows(n, kmax, t):
    """Yield ``(k, P_{k,n}(t))`` for k = 0, 1, ..., kmax, one degree at a time.

    The plain float64 three-term recurrence P_{k+1} = ((2k+n-2) t P_k - k P_{k-1}) / (k+n-2),
    vectorized over the array ``t`` (any shape, entries in [-1, 1]; each yielded row has t's
    shape and is a new array).  For sums over degrees of huge point sets (Gram matrices) where
    the ``[kmax+1, *t.shape]`` table of every degree would not fit in memory.  Accuracy: a few
    k*eps absolute (|P_{k,n}| <= 1), and values below ~1e-308 underflow to 0; for ~1 ulp use
    :func:`legendre`, for tiny values :func:`legendre_log`.  Normalization P_{k,n}(1) = 1.

    >>> [round(float(p), 12) for _, p in legendre_rows(3, 2, np.array(0.5))]
    [1.0, 0.5, -0.125]
    """
    n = check_dimension(n)
    kmax = check_degrees_array(kmax, "kmax").item() if np.ndim(kmax) == 0 else None
    if kmax is None:
        raise TypeError("kmax must be a single integer >= 0")
    t = check_unit_interval(t)
    return _rows(int(kmax), n, t)
