"""Benchmark: Funk-Hecke eigenvalues lambda_0..lambda_200 at n = 1000, project vs mpmath.

Run:  python benchmarks/bench_coefficients.py [--n 1000] [--kmax 200] [--mp-degrees 0 1 2 5 ...]

Baseline in the same run: a straightforward mpmath quadrature of the definition
lambda_k = c_n int phi(t) P_{k,n}(t) (1 - t^2)^{(n-3)/2} dt (split at the kink, precision raised
to beat the cancellation so it reaches the same ~1e-14 relative accuracy).  mpmath is too slow
to run all 201 degrees, so it runs on a sample of degrees and its total is extrapolated from the
mean time per degree (said in the output).  Prints the per-activation times, the ratio, and the
max relative difference on the sampled degrees.
"""

from __future__ import annotations

import argparse
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
        phi = {"relu": lambda t: max(t, 0), "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t))}[name]

        def f(t):
            return phi(t) * mpmath.gegenbauer(k, a, t) / norm * (1 - t * t) ** beta

        w = 12 / mpmath.sqrt(n)  # the weight is concentrated at width ~1/sqrt(n)
        pts = [-1, -w, -w / 2, 0, w / 2, w, 1]
        return c * mpmath.quad(f, pts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--kmax", type=int, default=200)
    ap.add_argument("--mp-degrees", type=int, nargs="+", default=[0, 1, 2, 3, 6, 12, 25])
    args = ap.parse_args()
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


if __name__ == "__main__":
    main()
