"""Legendre polynomials of dimension n and classical Gegenbauer polynomials."""

from __future__ import annotations

import math

import numpy as np

from ._infra.checks import (
    check_bool,
    check_degrees_array,
    check_dimension,
    check_real,
    check_unit_interval,
)
from ._recurrence import legendre_rows as _rows
from ._recurrence import legendre_table_scaled, legendre_table_scaled_dd, log_abs_from_scaled


def _evaluate(n: float, k, t, scaled: bool):
    """Broadcast k against t and run the (compensated) recurrence once up to max(k)."""
    k_arr = check_degrees_array(k)
    t_arr = check_unit_interval(t)
    k_b, t_b = np.broadcast_arrays(k_arr, t_arr)
    kmax = int(k_b.max()) if k_b.size else 0
    flat_t = t_b.ravel()
    flat_k = k_b.ravel()
    wanted = np.zeros(kmax + 1, dtype=bool)
    wanted[np.unique(flat_k)] = True
    if float(n).is_integer():
        mant, expo = legendre_table_scaled_dd(kmax, n, flat_t, wanted)
    else:  # real dimension parameter (gegenbauer with any alpha): plain float64 recurrence
        mant, expo = legendre_table_scaled(kmax, n, flat_t)
    idx = np.arange(flat_t.size)
    m = mant[flat_k, idx].reshape(t_b.shape)
    e = expo[flat_k, idx].reshape(t_b.shape)
    if scaled:
        return m, e
    return np.ldexp(m, e.astype(np.int32))


def legendre(n: int, k, t):
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

    The dimension comes before the degree, as everywhere in funkhecke (until 0.2.0 the order was
    ``legendre(k, n, t)``; see CHANGELOG.md).

    Returns
    -------
    float64 array of the broadcast shape (a Python float for scalar input).  Values whose
    magnitude is below the float64 range (e.g. P_{1000,10^6}(0.01)) underflow to 0 here; use
    :func:`legendre_log` for their sign and logarithm.

    >>> float(legendre(3, 2, 0.5))  # classical Legendre (3 t^2 - 1)/2
    -0.125
    """
    n = check_dimension(n)
    out = _evaluate(n, k, t, scaled=False)
    return out[()] if out.ndim == 0 else out


def legendre_log(n: int, k, t):
    """(sign, log|P_{k,n}(t)|) without underflow; log is -inf where P_{k,n}(t) = 0 exactly.

    Same arguments as :func:`legendre` (dimension n, then degree k, then t).
    """
    n = check_dimension(n)
    m, e = _evaluate(n, k, t, scaled=True)
    sign, log_abs = log_abs_from_scaled(m, e)
    return sign, log_abs


def _log_gegenbauer_at_one(k: np.ndarray, alpha: float):
    """(sign, log|C_k^(alpha)(1)|), C_k^(alpha)(1) = Gamma(k + 2a) / (Gamma(2a) k!), a = alpha."""
    two_a = 2.0 * alpha
    kk = np.asarray(k, dtype=float)
    # Pochhammer (2 alpha)_k / k!: all factors (2 alpha + j) are positive unless 2 alpha < 0.
    log_val = np.array(
        [math.lgamma(x + two_a) - math.lgamma(two_a) - math.lgamma(x + 1) for x in kk.ravel()]
    ).reshape(kk.shape)
    sign = np.where((two_a < 0) & (kk >= 1), -1.0, 1.0)
    return sign, log_val


def gegenbauer(k, alpha: float, t, *, log: bool = False):
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

    Without ``log``, values beyond float64 raise OverflowError (use ``log=True``).
    """
    alpha = check_real(alpha, "alpha")
    log = check_bool(log, "log")
    if alpha <= -0.5 or alpha == 0.0:
        raise ValueError(
            f"alpha must be > -1/2 and != 0, got {alpha} (C_k^(0) vanishes for k >= 1; "
            "use legendre(2, k, t) for Chebyshev polynomials)"
        )
    n = 2.0 * alpha + 2.0
    m, e = _evaluate(n, k, t, scaled=True)
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
    the [kmax+1, *t.shape] table of every degree would not fit in memory.  Accuracy: a few
    k*eps absolute (|P_{k,n}| <= 1), and values below ~1e-308 underflow to 0; for ~1 ulp use
    :func:`legendre`, for tiny values :func:`legendre_log`.  Normalization P_{k,n}(1) = 1.

    >>> [round(float(p), 12) for _, p in legendre_rows(3, 2, np.array(0.5))]
    [1.0, 0.5, -0.125]
    """
    n = check_dimension(n)
    kmax = check_degrees_array(kmax).item() if np.ndim(kmax) == 0 else None
    if kmax is None:
        raise TypeError("kmax must be a single integer >= 0")
    t = check_unit_interval(t)
    return _rows(int(kmax), n, t)
