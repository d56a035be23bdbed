"""The Taylor-moment series (S) of the Funk-Hecke eigenvalues in MPFR arithmetic (private).

For a gate with Taylor coefficients a_j in t (formula (S) of harmonics.funk_hecke),

    lambda_k = (1 / prod_{j<k} (n + 2j)) sum_{i>=0} a_{k+2i} c_{k,i},
    c_{k,0} = k!,   c_{k,i+1} = c_{k,i} (k+2i+1)(k+2i+2) / ((2i+2)(n+2k+2i)),

c_{k,i} = ((k+2i)!/(2i)!) E_{nu_{n+2k}}[t^{2i}] (the moments of t^2 under nu_{n+2k}:
E[t^{2i+2}] / E[t^{2i}] = (2i+1)/(n+2k+2i), whose factor 2i+1 cancels against the falling
factorial's).  The sums alternate for gates with complex singularities near [-1, 1], so they run
at a precision raised until the cancellation log10(sum |terms| / |sum|) leaves >= 25 digits.

The arithmetic is gmpy2's MPFR (C, ~6x fewer cycles per operation than mpmath's Python mpf
at these precisions), at the binary precision of the mpmath context that holds the
coefficients; inputs and outputs are mpmath mpf (exact conversions both ways).  The working
precision is chosen from a probe: the two highest degrees (both parities; the cancellation grows
with k) are summed first at the starting precision, and the whole table then runs at the
precision their loss asks for; the final table's own worst loss is checked as before (another
round if it falls short), so the probe only saves the wasted first pass, never decides accuracy.

gmpy2 is an optional dependency (the ``fast`` extra).  Without it the same sums run in mpmath's
own mpf arithmetic in the same context: the same operations rounded at the same binary
precision (both are correctly rounded), only slower (tests/test_moment_series.py compares the
two).
"""

from __future__ import annotations

import contextlib
import math

from mpmath.libmp import from_man_exp, round_nearest

try:  # optional (extra "fast"): C MPFR arithmetic
    import gmpy2
except ImportError:  # pragma: no cover - exercised by the core-install check in .ci/run
    gmpy2 = None

#: Correct digits required of every eigenvalue after the cancellation.
TARGET_DIGITS = 25
#: Guard digits added to the measured loss when the precision is raised.
GUARD_DIGITS = 35


class _Gmpy2Arithmetic:
    """MPFR numbers (gmpy2) at the binary precision of an mpmath context."""

    def __init__(self, ctx):
        self.ctx = ctx

    def precision(self):
        return gmpy2.context(precision=self.ctx.prec)

    def num(self, i):
        return gmpy2.mpfr(i)

    def from_mpf(self, x):
        """An mpmath mpf as mpfr (exact at the context's precision: the mantissa fits)."""
        sign, man, exp, _bc = x._mpf_
        if not man:
            return gmpy2.mpfr(0)
        v = gmpy2.mul_2exp(gmpy2.mpfr(man), exp)
        return -v if sign else v

    def to_mpf(self, v):
        """mpfr -> mpf of the context (exact: the mantissa has at most ctx.prec bits)."""
        if not v:
            return self.ctx.zero
        man, exp = v.as_mantissa_exp()
        return self.ctx.make_mpf(from_man_exp(int(man), int(exp), self.ctx.prec, round_nearest))

    def log10(self, v):
        return float(gmpy2.log10(v))


class _MpmathArithmetic:
    """The same operations in mpmath's mpf of the context itself (no gmpy2)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def precision(self):
        return contextlib.nullcontext()

    def num(self, i):
        return self.ctx.mpf(i)

    def from_mpf(self, x):
        return +x if x.context is self.ctx else self.ctx.mpf(x)

    def to_mpf(self, v):
        return v

    def log10(self, v):
        return float(self.ctx.log10(v))


def _arithmetic(ctx, use_gmpy2=None):
    use = gmpy2 is not None if use_gmpy2 is None else use_gmpy2
    return _Gmpy2Arithmetic(ctx) if use else _MpmathArithmetic(ctx)


def _degree_sum(ar, coeffs, k, n, J, finite, tiny):
    """(total, sum of |terms|, J_needed) of degree k; J_needed > J asks for more coefficients
    (the loop stopped at the end of the list without converging)."""
    m = n + 2 * k
    total = ar.num(0)
    abs_total = ar.num(0)
    c = ar.num(math.factorial(k))
    i = 0
    small_run = 0
    while True:
        j = k + 2 * i
        if j > J:
            if finite:
                return total, abs_total, J
            return total, abs_total, 2 * J
        term = coeffs[j] * c
        total += term
        at = abs(term)
        abs_total += at
        if not finite:
            if at <= tiny * abs_total and i > 2:
                small_run += 1
                if small_run >= 3:
                    return total, abs_total, J
            else:
                small_run = 0
        c = c * ((j + 1) * (j + 2)) / ((2 * i + 2) * (m + 2 * i))
        i += 1
        if i > 200000:
            raise RuntimeError("power series for the eigenvalue did not converge")


def _loss(ar, total, abs_total) -> float:
    return ar.log10(abs_total / abs(total)) if total else 0.0


def _run(coeff_fn, new_ctx, n, kmax, dps, finite_degree, degrees, memo, use_gmpy2):
    """One pass at ``dps`` over ``degrees``: (ctx, {k: total}, worst loss).  ``memo`` keeps the
    converted coefficients of this call by dps (the probe and the table share them)."""
    ctx = new_ctx(dps)
    ar = _arithmetic(ctx, use_gmpy2)
    J = kmax + 2 * 60 if finite_degree is None else finite_degree
    finite = finite_degree is not None
    with ar.precision():
        if dps in memo and memo[dps][0] >= J:
            J, coeffs = memo[dps]
        else:
            coeffs = [ar.from_mpf(x) for x in coeff_fn(ctx, J)]
        tiny = ar.num(10) ** (-dps - 5)
        totals = {}
        worst = 0.0
        for k in degrees:
            while True:
                total, abs_total, need = _degree_sum(ar, coeffs, k, n, J, finite, tiny)
                if need == J:
                    break
                J = need  # extend the coefficient list (geometric growth of the budget)
                coeffs = [ar.from_mpf(x) for x in coeff_fn(ctx, J)]
            worst = max(worst, _loss(ar, total, abs_total))
            totals[k] = total
        memo[dps] = (J, coeffs)
    return ctx, totals, worst


def series_eigenvalues(
    coeff_fn, n: int, kmax: int, new_ctx, *, finite_degree=None, start_dps=30, use_gmpy2=None
):
    """(ctx, [lambda_0..lambda_kmax] as mpf) by formula (S) (module docstring).

    ``coeff_fn(ctx, J)``: the Taylor coefficients a_0..a_J as mpf of ``ctx``; ``new_ctx(dps)``:
    an mpmath context at dps digits (harmonics.funk_hecke's shared ones).  ``finite_degree``
    for polynomials (the sums stop there).  RuntimeError if 6 precision rounds do not reach
    TARGET_DIGITS.  ``use_gmpy2``: None = gmpy2 when installed; False forces mpmath arithmetic.
    """
    dps = start_dps
    memo = {}
    if finite_degree is None and kmax >= 2:
        _ctx, _tot, probe = _run(
            coeff_fn, new_ctx, n, kmax, dps, None, (kmax - 1, kmax), memo, use_gmpy2
        )
        if dps - probe < TARGET_DIGITS:
            dps = int(probe) + GUARD_DIGITS
    for _attempt in range(6):
        ctx, totals, worst = _run(
            coeff_fn, new_ctx, n, kmax, dps, finite_degree, range(kmax + 1), memo, use_gmpy2
        )
        if dps - worst >= TARGET_DIGITS:
            values = []
            ar = _arithmetic(ctx, use_gmpy2)
            with ar.precision():
                prod = ar.num(1)  # prod_{j<k} (n + 2j), rounded once per factor
                for k in range(kmax + 1):
                    total = totals[k]
                    values.append(ar.to_mpf(total / prod) if total else ctx.zero)
                    prod *= n + 2 * k
            return ctx, values
        dps = int(worst) + GUARD_DIGITS
    raise RuntimeError("could not reach the target precision in the power series")
