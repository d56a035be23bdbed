"""Funk-Hecke eigenvalues of truncated powers (t - t0)_+^p: the one implementation (private).

Convention (docs/conventions.md): t ~ nu_n, the law of <x, e> for x uniform on S^{n-1}
(uniform probability measure), density c_n (1 - t^2)^{(n-3)/2} on [-1, 1],
c_n = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)); P_{k,n}(1) = 1;
lambda_k(phi) = E_{t~nu_n}[phi(t) P_{k,n}(t)].  For phi(t) = (t - t0)_+^p, integer p >= 0:

(R) k <= p.  Rodrigues' formula and k integrations by parts (Atkinson & Han 2012, eq. 2.70):
        lambda_k = p!/(p-k)! E_{nu_{n+2k}}[(t - t0)_+^{p-k}] / prod_{j<k} (n + 2j),
    with the moment by the binomial theorem,
        E_{nu_m}[(t - t0)_+^q] = sum_{i<=q} C(q, i) (-t0)^{q-i} U_i(m, t0),
        U_i(m, t0) = E_{t~nu_m}[t^i 1{t > t0}]          (the arithmetic's ``upper_moment``).
    Valid for every real t0 (U_i is the full moment for t0 <= -1 and 0 for t0 >= 1).
(T) k > p, |t0| < 1.  phi^{(k)} contains p! delta^{(k-1-p)}(t - t0), and Rodrigues once more
    (dimension n + 2 + 2p, degree k - 1 - p) gives
        lambda_k = (1 - t0^2)^e  C  P_{k-1-p, n+2+2p}(t0),   e = (n - 1)/2 + p,
        C = p! Gamma(n/2) / (sqrt(pi) 2^{p+1} Gamma((n+1)/2 + p)).
    (For t0 <= -1 or t0 >= 1 the gate is a polynomial or 0 on [-1, 1] and lambda_k = 0 for k > p;
    the power (1 - t0^2)^e = 0 at t0 = +-1 says the same.)
    Check: relu in n = 3 (p = 1, t0 = 0): 1/4, 1/6, 1/16, 0, -1/96.
Gates: coef (side (t - t0))_+^p with side = -1 equals coef (u - (-t0))_+^p in u = -t, so lambda_k
picks a factor (-1)^k (the callers apply it).

The formulas run in three arithmetics through an object ``ops`` that supplies the primitives;
every consumer keeps its own evaluation strategy for the Legendre factor and the power
(1 - t0^2)^e, which is where they legitimately differ:

* exact sympy (harmonics.symbolic: rationals, sqrt(pi), Gamma ratios, symbolic n and t0);
* mpmath at a chosen precision (harmonics.funk_hecke: float64 mantissas with a binary exponent,
  so values far below 1e-308 keep their relative accuracy);
* numpy float64, vectorized over an array of kinks (:func:`float_eigenvalues`, defined here:
  network ridges with one kink per unit, gd_operator._ridge).

``ops`` must provide: ``zero``; ``half(x)`` = x/2 exactly; ``sqrt_pi``;
``gamma_ratio(n, c1, c2)`` = Gamma((n + c1)/2) / Gamma((n + c2)/2) for integers c1, c2;
``upper_moment(i, n, shift, t0)`` = U_i(n + shift, t0).  Python ints (factorials, binomials,
n + 2j) multiply exactly into every arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

_LN2 = math.log(2.0)

__all__ = [
    "betainc_continued_fraction",
    "circle_ramp_eigenvalues",
    "closed_form",
    "float_eigenvalues",
    "float_log_eigenvalues",
    "low_degree",
    "mp_incomplete_beta",
    "mp_upper_integral",
]


def closed_form(ops, p: int, n):
    """Formula (T), degrees k > p: lambda_k = (1 - t0^2)^exponent constant P_{k-1-p, dim}(t0).

    Returns (exponent, constant, dim) = ((n-1)/2 + p,
    p! Gamma(n/2) / (sqrt(pi) 2^{p+1} Gamma((n+1)/2 + p)), n + 2 + 2p), in the arithmetic of
    ``ops`` (``n`` an int, or a sympy expression for the exact arithmetic).  The caller evaluates
    the power and P_{k-1-p, dim}(t0) (the degree of the Legendre factor is k - 1 - p).
    """
    exponent = ops.half(n - 1) + p
    constant = math.factorial(p) * ops.gamma_ratio(n, 0, 1 + 2 * p) / (ops.sqrt_pi * 2 ** (p + 1))
    return exponent, constant, n + 2 + 2 * p


def low_degree(ops, p: int, t0, n, k: int):
    """Formula (R), a degree k <= p: p!/(p-k)! E_{nu_{n+2k}}[(t - t0)_+^{p-k}] / prod_{j<k}(n+2j).

    ``t0`` in the arithmetic of ``ops`` (any real value; a numpy array for the float arithmetic).
    The binomial sum cancels by up to ~(p - k) log10(n) digits for t0 > 0: the mpmath caller
    raises its precision by that much, the float64 one is meant for p <= 1 and moderate n.
    """
    q = p - k
    moment = ops.zero
    for i in range(q + 1):
        moment = moment + math.comb(q, i) * (-t0) ** (q - i) * ops.upper_moment(i, n, 2 * k, t0)
    prod = 1
    for j in range(k):
        prod = prod * (n + 2 * j)
    return (math.factorial(p) // math.factorial(q)) * moment / prod


# ------------------------------------------------------------------ mpmath incomplete beta


def betainc_continued_fraction(
    a, b, x, *, one=1.0, tiny=1e-300, eps=1e-16, max_iter=100_000, strict=True
):
    """The continued fraction h of I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * h (DLMF 8.17.22), by
    the modified Lentz algorithm, in the arithmetic of ``one`` (float or an mpmath mpf, with
    ``tiny``/``eps`` of that precision).  It converges fast for x < (a + 1)/(a + b + 2) and is
    O(1) there, so callers keep the prefactor in log scale.  The one implementation: used by
    :func:`mp_incomplete_beta` (mpmath) and by sq_bounds' cap measures (float64, log scale).
    ``strict``: raise if |delta - 1| < eps is not reached in ``max_iter`` steps (else return
    the last h: in float64 with eps = 1e-16 the stopping test asks for delta == 1 exactly).
    """
    qab, qap, qam = a + b, a + 1, a - 1
    c = one
    d = one - qab * x / qap
    d = one / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, max_iter + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = one + aa * d
        d = one / (d if abs(d) > tiny else tiny)
        c = one + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = one + aa * d
        d = one / (d if abs(d) > tiny else tiny)
        c = one + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < eps:
            return h
    if strict:
        raise RuntimeError(f"incomplete beta I_x({a}, {b}) at x = {x}: no convergence")
    return h


def mp_incomplete_beta(ctx, a, b, x, xc):
    """B_x(a, b) = int_0^x u^(a-1) (1-u)^(b-1) du, a, b > 0, 0 <= x <= 1, ``xc`` = 1 - x (passed
    separately so that neither loses digits), to the working precision of ``ctx``.

    The continued fraction of DLMF 8.17.22 (modified Lentz) for x <= (a+1)/(a+b+2), where it
    converges in O(sqrt(max(a, b))) steps at worst, and B(a, b) - B_{1-x}(b, a) beyond (where
    I_x(a, b) >~ 1/2: no cancellation).  mpmath's betainc (hypergeometric series) fails there at
    large a: "NoConvergence" at a ~ 1.5e5, b = 1/2, x = 0.91 (the biased gates at n = 3e5) and
    "hypercomb() failed to converge" for the complement at n = 1e5.  Values far below 1e-308 keep
    their relative accuracy (mpf exponents are unbounded).
    """
    if x <= 0:
        return ctx.zero
    if xc <= 0:
        return ctx.beta(a, b)
    if x > (a + 1) / (a + b + 2):
        return ctx.beta(a, b) - mp_incomplete_beta(ctx, b, a, xc, x)
    tiny = ctx.ldexp(ctx.one, -4 * ctx.prec - 64)
    eps = ctx.ldexp(ctx.one, -ctx.prec)
    max_iter = 20 * (math.isqrt(int(max(a, b)) + 1) + 50)
    h = betainc_continued_fraction(a, b, x, one=ctx.one, tiny=tiny, eps=eps, max_iter=max_iter)
    return ctx.exp(a * ctx.log(x) + b * ctx.log(xc)) / a * h


def mp_upper_integral(ctx, i: int, m, t0):
    """I_i = int_{t0}^1 t^i (1 - t^2)^((m-3)/2) dt for |t0| < 1 (mpf ``t0``), m > 1, in ``ctx``.

    With u = t^2: (1/2) B_{1-t0^2}(beta + 1, (i+1)/2), beta = (m-3)/2, when t0 >= 0 or i is odd
    (the part over [-|t0|, |t0|] cancels), and (1/2) [B((i+1)/2, beta+1) + B_{t0^2}((i+1)/2,
    beta+1)] when t0 < 0 and i is even; by :func:`mp_incomplete_beta`.
    """
    beta = ctx.mpf(m - 3) / 2
    a = ctx.mpf(i + 1) / 2
    x0 = t0 * t0
    xc = 1 - x0
    if t0 >= 0 or i % 2 == 1:
        return mp_incomplete_beta(ctx, beta + 1, a, xc, x0) / 2
    return (ctx.beta(a, beta + 1) + mp_incomplete_beta(ctx, a, beta + 1, x0, xc)) / 2


# ------------------------------------------------------------------- numpy float64 arithmetic


def _one_minus_square(x):
    """1 - x^2 for x in [-1, 1] to ~1 ulp: (1 - |x|)(1 + |x|) for |x| >= 1/2 (1 - |x| is exact
    there; 1 - x*x loses ~log10(1/(1 - |x|)) digits to the rounding of x*x near |x| = 1)."""
    a = np.abs(x)
    return np.where(a < 0.5, 1 - a * a, (1 - a) * (1 + a))


def _log_one_minus_square(x):
    """log(1 - x^2) for x in [-1, 1] to ~2 ulps (log1p(-x^2) for |x| < 1/2); -inf at |x| = 1."""
    a = np.abs(x)
    with np.errstate(divide="ignore"):
        return np.where(a < 0.5, np.log1p(-a * a), np.log(_one_minus_square(a)))


_MP = None


def _mp():
    """A private 30-digit mpmath context for the scalar constants of the float64 arithmetic."""
    global _MP
    if _MP is None:
        import mpmath

        _MP = mpmath.MPContext()
        _MP.dps = 30
    return _MP


class _FloatOps:
    """float64 primitives, vectorized over an array of kinks (clipped to [-1, 1] inside U_i).

    The scalar constants (Gamma ratios, c_m) are formed in mpmath and rounded once: a float64
    difference of two lgamma values of size ~(n/2) log n carries an absolute error ~eps n log n
    (~1e-13 relative at n = 500), which the low degrees would amplify through the cancellation
    of formula (R).
    """

    zero = 0.0
    sqrt_pi = math.sqrt(math.pi)

    def __init__(self):
        self._tails = {}  # U_0(m, t0) by m, for the one t0 array an instance serves

    @staticmethod
    def half(x):
        return x / 2

    @staticmethod
    def gamma_ratio(n, c1, c2):
        ctx = _mp()
        return float(ctx.exp(ctx.loggamma(ctx.mpf(n + c1) / 2) - ctx.loggamma(ctx.mpf(n + c2) / 2)))

    def upper_moment(self, i: int, n, shift: int, t0):
        """U_i(m, t0), m = n + shift: U_0 = P(t > t0) by the regularized incomplete beta
        function (t^2 ~ Beta(1/2, (m-1)/2)); U_1 = c_m (1 - t0^2)^{(m-1)/2} / (m - 1); and
        U_i(m) = c_m t0^{i-1} (1 - t0^2)^{(m-1)/2} / (m - 1) + (i - 1)/m U_{i-2}(m + 2)
        (one integration by parts; c_m / c_{m+2} = (m - 1)/m)."""
        from ._quadrature import log_nu_normalizer

        m = n + shift
        x = np.clip(t0, -1.0, 1.0)
        if i == 0:
            if m not in self._tails:
                q = 0.5 * special.betainc((m - 1) / 2, 0.5, _one_minus_square(x))
                self._tails[m] = np.where(x >= 0, q, 1 - q)
            return self._tails[m]
        c_m = float(_mp().exp(log_nu_normalizer(m, _mp())))
        with np.errstate(under="ignore"):
            edge = c_m * np.exp((m - 1) / 2 * _log_one_minus_square(x)) / (m - 1)
        if i == 1:
            return edge
        return x ** (i - 1) * edge + (i - 1) / m * self.upper_moment(i - 2, n, shift + 2, t0)


def float_eigenvalues(t0, p: int, n: int, kmax: int) -> np.ndarray:
    """lambda_k((t - t0)_+^p), k = 0..kmax, for an array of kinks t0 (any real): [len(t0), kmax+1].

    float64, vectorized over t0: formulas (R) and (T) of the module docstring, with
    P_{k-1-p, n+2+2p}(t0) by the compensated recurrence (~1 ulp) and U_0 by scipy's incomplete
    beta function.  Outside (-1, 1) the gate is 0 (t0 >= 1) or the polynomial (t - t0)^p (t0 <= -1;
    only k <= p survive).  For relu (p = 1) at moderate n (network simulations); the low degrees
    k <= p lose ~log10(1 + n t0^2) digits to the cancellation in (R) for t0 > 0, and values below
    ~1e-308 underflow to 0 (use harmonics.funk_hecke_eigenvalues(..., log=True) there).
    """
    from ._recurrence import legendre_table_scaled_dd

    t0 = np.atleast_1d(np.asarray(t0, dtype=float))
    out = np.zeros((t0.size, kmax + 1))
    ops = _FloatOps()
    for k in range(min(p, kmax) + 1):
        out[:, k] = low_degree(ops, p, t0, n, k)
    if kmax > p:
        x = np.clip(t0, -1.0, 1.0)
        exponent, constant, dim = closed_form(ops, p, n)
        # one exp (the power may be far below 1e-308); 0 at |t0| >= 1
        pref = np.exp(exponent * _log_one_minus_square(x) + math.log(constant))
        mant, expo = legendre_table_scaled_dd(kmax - 1 - p, dim, x)
        legendre = np.ldexp(mant, expo.astype(np.int32))  # [kmax - p, len(t0)]
        out[:, p + 1 :] = pref[:, None] * legendre.T
    return out


#: Kinks with sin(arccos t0) below this take formula (T) in circle_ramp_eigenvalues.
CIRCLE_MIN_SINE = 0.1


def circle_ramp_eigenvalues(t0, kmax: int) -> np.ndarray:
    """lambda_k((t - t0)_+) on S^1 (n = 2, p = 1), k = 0..kmax, for an array of kinks: [len(t0),
    kmax+1], in O(kmax) operations per kink (no Legendre table).

    With t = cos(phi), P_{k,2}(cos phi) = cos(k phi) and t0 = cos(alpha), alpha in (0, pi):
        lambda_k = (1/pi) int_0^alpha (cos phi - cos alpha) cos(k phi) d phi
                 = (sin(k alpha) cos(alpha) / k - cos(k alpha) sin(alpha)) / (pi (k^2 - 1)),
    k >= 2, and lambda_0 = (sin alpha - alpha cos alpha) / pi,
    lambda_1 = (alpha - sin alpha cos alpha) / (2 pi)
    ((T) of the module docstring at n = 2 in trigonometric form), e^{i k alpha} by repeated
    multiplication with cos alpha + i sin alpha, sin alpha = sqrt((1 - t0)(1 + t0)).  Absolute
    error a few k eps sin(alpha) / (k^2 - 1) (the bracket's two terms are ~sin alpha); its
    relative error grows where lambda_k changes sign in t0, and near the ends of (-1, 1) the
    bracket cancels like alpha^3 (1/alpha^2 digits lost): kinks in (-1, 1) with sin alpha <
    CIRCLE_MIN_SINE take (T) with the plain float64 recurrence (:func:`float_log_eigenvalues`,
    relative error ~k eps; the double-double table of :func:`float_eigenvalues` costs ~1 ms
    however few they are).  Outside: 0 for
    t0 >= 1; the line t - t0 for t0 <= -1 (lambda_0 = -t0, lambda_1 = 1/2).
    """
    t0 = np.atleast_1d(np.asarray(t0, dtype=float))
    out = np.zeros((t0.size, kmax + 1))
    inside = np.abs(t0) < 1.0
    line = t0 <= -1.0
    out[line, 0] = -t0[line]
    if kmax >= 1:
        out[line, 1] = 0.5
    sin_a = np.sqrt(np.where(inside, (1.0 - t0) * (1.0 + t0), 0.0))
    closed = inside & (sin_a >= CIRCLE_MIN_SINE)
    edge = inside & ~closed
    if np.any(edge):
        sign, log_abs = float_log_eigenvalues(t0[edge], 1, 2, kmax)
        with np.errstate(under="ignore"):
            out[edge] = (sign * np.exp(log_abs)).T
    if not np.any(closed):
        return out
    c, s = t0[closed], sin_a[closed]
    alpha = np.arccos(c)
    rows = np.empty((kmax + 1, c.size))
    rows[0] = (s - alpha * c) / math.pi
    if kmax >= 1:
        rows[1] = (alpha - s * c) / (2 * math.pi)
    z1 = c + 1j * s
    z = z1 * z1
    for k in range(2, kmax + 1):
        rows[k] = (z.imag * c / k - z.real * s) / (math.pi * (k * k - 1))
        z = z * z1
    out[closed] = rows.T
    return out


def float_log_eigenvalues(t0, p, n: int, kmax: int, *, log_one_minus_square=None):
    """(sign, log|lambda_k|) of (t - t0)_+^p, k = 0..kmax, for kinks t0 in (-1, 1): arrays
    [kmax+1, len(t0)], degree-major like the Legendre tables (sign 0 and log -inf for zeros).
    ``p`` an int, or a tuple of ints for several powers at once (a tuple of such pairs; the
    incomplete beta values they share are computed once).

    :func:`float_eigenvalues` in log scale, for integrands far below the float64 range (the
    bias spectra of gd_operator._bias): (T) as exponent * log(1 - t0^2) + log C + log|P| with
    P_{k-1-p, n+2+2p}(t0) carried with a binary exponent (plain float64 recurrence, relative
    error ~k eps), the low degrees k <= p as the log of formula (R) in float64 (see
    :func:`float_eigenvalues`).  ``log_one_minus_square`` may pass log(1 - t0^2) when the caller
    knows it more accurately (t0 = cos(alpha): log sin^2(alpha)).
    """
    from ._recurrence import legendre_table_scaled

    t0 = np.atleast_1d(np.asarray(t0, dtype=float))
    x = np.clip(t0, -1.0, 1.0)
    ops = _FloatOps()
    if log_one_minus_square is None:
        log_one_minus_square = _log_one_minus_square(x)
    results = []
    for q in p if isinstance(p, tuple) else (p,):
        sign = np.empty((kmax + 1, t0.size))
        log_abs = np.empty((kmax + 1, t0.size))
        for k in range(min(q, kmax) + 1):
            v = low_degree(ops, q, t0, n, k)
            np.sign(v, out=sign[k])
            with np.errstate(divide="ignore"):
                np.log(np.abs(v), out=log_abs[k])
        if kmax > q:
            exponent, constant, dim = closed_form(ops, q, n)
            mant, expo = legendre_table_scaled(kmax - 1 - q, dim, x)
            np.sign(mant, out=sign[q + 1 :])
            rows = log_abs[q + 1 :]
            with np.errstate(divide="ignore"):
                np.log(np.abs(mant, out=mant), out=rows)
            rows += expo * _LN2
            rows += exponent * log_one_minus_square + math.log(constant)
        results.append((sign, log_abs))
    return tuple(results) if isinstance(p, tuple) else results[0]
