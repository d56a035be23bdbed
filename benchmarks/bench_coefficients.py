"""Benchmark: Funk-Hecke eigenvalues, project vs mpmath quadrature; cold calls of analytic gates.

Run:  python benchmarks/bench_coefficients.py [--n 1000] [--kmax 200] [--mp-degrees 0 1 2 5 ...]
      [--cold-repeats 3] [--skip-large]

Two tables, baselines in the same run:

1. relu and sigmoid at (--n, --kmax) (default n = 1000, k <= 200) against a straightforward mpmath
   quadrature of the definition lambda_k = c_n int phi(t) P_{k,n}(t) (1 - t^2)^{(n-3)/2} dt
   (split at the kink, precision raised to beat the cancellation so it reaches the same ~1e-14
   relative accuracy).  mpmath is too slow to run all degrees, so it runs on a sample of degrees
   and its total is extrapolated from the mean time per degree (said in the output).
2. COLD calls of sigmoid, tanh, erf, gelu: every timing asks a fresh (n, kmax) -- (10, 20),
   (11, 20), (10, 21), ... -- with the eigenvalue cache cleared, so no cache flatters it; the
   median is reported at n ~ 10, k <= 20 against the mpmath quadrature of the same degrees
   (ratio), and at n ~ 100, k <= 200; the same calls with the previous mpmath-mpf series loop
   (kept below as ``previous_series``) give the speed-up of the MPFR sums in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import mpmath

import harmonics
from harmonics import funk_hecke


def project_time(name, n, kmax, repeats=5):
    best = float("inf")
    for _ in range(repeats):
        funk_hecke._eigenvalues_registered.cache_clear()  # time the computation, not the cache
        t0 = time.perf_counter()
        sign, log_abs = harmonics.funk_hecke_eigenvalues(name, n, kmax, log=True)
        best = min(best, time.perf_counter() - t0)
    return best, sign, log_abs


_MP_GATES = {
    "relu": lambda t: max(t, 0),
    "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)),
    "tanh": mpmath.tanh,
    "erf": mpmath.erf,
    "gelu": lambda t: t * (1 + mpmath.erf(t / mpmath.sqrt(2))) / 2,
}


def mpmath_value(name, n, k):
    """Direct quadrature of the definition; dps raised by the expected cancellation."""
    digits = 20 + int(k * 0.5 * mpmath.log10(n)) + 10
    with mpmath.workdps(digits):
        a = mpmath.mpf(n - 2) / 2
        c = mpmath.gamma(mpmath.mpf(n) / 2) / (
            mpmath.sqrt(mpmath.pi) * mpmath.gamma(mpmath.mpf(n - 1) / 2)
        )
        norm = mpmath.gegenbauer(k, a, 1)
        beta = mpmath.mpf(n - 3) / 2
        phi = _MP_GATES[name]

        def f(t):
            return phi(t) * mpmath.gegenbauer(k, a, t) / norm * (1 - t * t) ** beta

        w = min(mpmath.mpf(1) / 2, 12 / mpmath.sqrt(n))  # weight concentrated at ~1/sqrt(n)
        pts = [-1, -w, -w / 2, 0, w / 2, w, 1]
        return c * mpmath.quad(f, pts)


def previous_series(coeff_fn, n, kmax, *, finite_degree=None, start_dps=30):
    """The series loop before the MPFR sums (mpmath mpf arithmetic, a fresh first pass at 30
    digits), kept as the in-run baseline of the cold timings."""
    dps = start_dps
    for _attempt in range(6):
        ctx = funk_hecke._new_ctx(dps)
        J = kmax + 2 * 60 if finite_degree is None else finite_degree
        coeffs = coeff_fn(ctx, J)
        values = [ctx.zero] * (kmax + 1)
        worst_loss = 0.0
        prod = ctx.one
        tiny = ctx.mpf(10) ** (-dps - 5)
        for k in range(kmax + 1):
            m = n + 2 * k
            total = abs_total = ctx.zero
            moment, fall = ctx.one, ctx.factorial(k)
            i = small_run = 0
            while True:
                j = k + 2 * i
                if j > J:
                    if finite_degree is not None:
                        break
                    J = 2 * J
                    coeffs = coeff_fn(ctx, J)
                term = coeffs[j] * fall * moment
                total += term
                abs_total += abs(term)
                if finite_degree is None:
                    if abs(term) <= tiny * abs_total and i > 2:
                        small_run += 1
                        if small_run >= 3:
                            break
                    else:
                        small_run = 0
                fall = fall * (j + 1) * (j + 2) / ((2 * i + 1) * (2 * i + 2))
                moment = moment * (2 * i + 1) / (m + 2 * i)
                i += 1
            if total != 0:
                worst_loss = max(worst_loss, float(ctx.log10(abs_total / abs(total))))
                values[k] = total / prod
            prod *= n + 2 * k
        if dps - worst_loss >= 25:
            return ctx, values
        dps = int(worst_loss) + 35
    raise RuntimeError("no convergence")


def cold_times(name, n0, k0, repeats):
    """Times of ``repeats`` calls, each at a fresh (n, kmax) near (n0, k0), caches cleared."""
    out = []
    for r in range(repeats):
        n, kmax = (n0 + r // 2, k0) if r % 2 == 0 else (n0, k0 + (r + 1) // 2)
        funk_hecke._eigenvalues_registered.cache_clear()
        t0 = time.perf_counter()
        harmonics.funk_hecke_eigenvalues(name, n, kmax)
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def cold_table(repeats, skip_large):
    current = funk_hecke._series_eigenvalues
    print(
        f"\nCOLD calls (fresh (n, kmax) each, cache cleared; median of {repeats}); "
        "'previous' = the mpmath-mpf series loop"
    )
    for name in ("sigmoid", "tanh", "erf", "gelu"):
        t_new = cold_times(name, 10, 20, repeats)
        funk_hecke._series_eigenvalues = previous_series
        try:
            t_old = cold_times(name, 10, 20, repeats)
        finally:
            funk_hecke._series_eigenvalues = current
        t0 = time.perf_counter()
        sample = (0, 1, 2, 5, 10, 20)
        for k in sample:
            mpmath_value(name, 10, k)
        t_mp = (time.perf_counter() - t0) / len(sample) * 21
        funk_hecke._eigenvalues_registered.cache_clear()
        got = harmonics.funk_hecke_eigenvalues(name, 10, 20)
        worst = max(
            float(abs(got[k] / mpmath_value(name, 10, k) - 1))
            for k in sample
            if got[k] != 0 and abs(got[k]) > 1e-300
        )
        print(
            f"{name:8s} n=10 k<=20: {1e3 * t_new:7.2f} ms (previous {1e3 * t_old:7.2f} ms, "
            f"x{t_old / t_new:4.1f}); mpmath quadrature ~{t_mp:6.2f} s: ratio {t_mp / t_new:6.0f}x "
            f"(previous {t_mp / t_old:5.0f}x); max rel diff vs mpmath {worst:.1e}"
        )
        if skip_large:
            continue
        t_new = cold_times(name, 100, 200, repeats)
        funk_hecke._series_eigenvalues = previous_series
        try:
            t_old = cold_times(name, 100, 200, max(1, repeats // 2))
        finally:
            funk_hecke._series_eigenvalues = current
        print(
            f"{'':8s} n=100 k<=200: {1e3 * t_new:7.1f} ms (previous {1e3 * t_old:7.1f} ms, "
            f"x{t_old / t_new:4.1f})"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--kmax", type=int, default=200)
    ap.add_argument("--mp-degrees", type=int, nargs="+", default=[0, 1, 2, 3, 6, 12, 25])
    ap.add_argument("--cold-repeats", type=int, default=3)
    ap.add_argument("--skip-large", action="store_true", help="skip the n ~ 100 cold calls")
    ap.add_argument("--cold-only", action="store_true", help="only the cold table")
    args = ap.parse_args()
    if not args.cold_only:
        print(f"n = {args.n}, degrees 0..{args.kmax}")
        for name in ("relu", "sigmoid"):
            t_proj, sign, log_abs = project_time(name, args.n, args.kmax)
            t0 = time.perf_counter()
            worst = 0.0
            for k in args.mp_degrees:
                ref = mpmath_value(name, args.n, k)
                if ref == 0 or sign[k] == 0:
                    continue
                got = sign[k] * mpmath.exp(log_abs[k])
                worst = max(worst, float(abs(got / ref - 1)))
            t_mp = (time.perf_counter() - t0) / len(args.mp_degrees) * (args.kmax + 1)
            print(
                f"{name:8s} project {t_proj * 1e3:8.2f} ms   mpmath (extrapolated from "
                f"{len(args.mp_degrees)} degrees) {t_mp:9.2f} s   ratio {t_mp / t_proj:10.0f}x   "
                f"max rel diff on sampled degrees {worst:.1e}"
            )
    cold_table(args.cold_repeats, args.skip_large)


if __name__ == "__main__":
    main()
