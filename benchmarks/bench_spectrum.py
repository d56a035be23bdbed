"""Benchmark: ReLU NTK spectrum mu_0..mu_100 at n = 10, 100, 1000 -- gd_operator vs mpmath.

Reference: direct quadrature of mu_k = c_n int_0^pi K(cos th) P_{k,n}(cos th) sin^{n-2} th d th
in mpmath, K the Gaussian-init NTK (kappa_1(rho) + rho kappa_0(rho))/2 (and, second table, the
same with a bias beta = 0.5, K = (1+b^2)(kappa_1(rho_b) + rho_b kappa_0(rho_b))/2).  The
integrand is analytic in theta, so Gauss-Legendre converges fast; one pass over the nodes
carries the Legendre recurrence for every k <= 100.  The working precision is raised with n
(mu_100 ~ 1e-148 at n = 1000 while the integrand is O(1), so the sum cancels ~150 digits); the
rule is refined until two successive orders agree to 1e-20 relative on every nonzero mu_k.
Exact zeros (odd k >= 3 without bias) come out of the quadrature as ~10^-dps noise.

Timings: "cold" = first call with harmonics' and gd_operator's caches cleared (what a new
process pays); "warm" = repeated call.  Target: < 50 ms per spectrum, 1e-10 relative accuracy.

Run:  python benchmarks/bench_spectrum.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import time

import mpmath as mp
import numpy as np

from gd_operator import spectrum


def _clear_caches():
    from gd_operator import _bias
    from harmonics import funk_hecke

    for name in dir(funk_hecke):
        obj = getattr(funk_hecke, name)
        if hasattr(obj, "cache_clear"):
            obj.cache_clear()
    _bias.relu_bias_log_eigenvalues.cache_clear()


def mpmath_ntk(n: int, kmax: int, beta: float, dps: int):
    """mu_0..mu_kmax of the Gaussian-init ReLU NTK by mpmath Gauss-Legendre in theta."""
    from mpmath.calculus.quadrature import GaussLegendre

    ctx = mp.MPContext()
    ctx.dps = dps
    b2 = ctx.mpf(beta) ** 2
    # window where sin^{n-2}(theta) > 10^-(dps + 20) relative to its peak
    lo, hi = ctx.zero, ctx.pi
    if n > 40:
        half = ctx.sqrt(2 * (dps + 20) * ctx.log(10) / (n - 2))
        if half < ctx.pi / 2:
            lo, hi = ctx.pi / 2 - half, ctx.pi / 2 + half
    logc = ctx.loggamma(ctx.mpf(n) / 2) - ctx.loggamma(ctx.mpf(n - 1) / 2) - ctx.log(ctx.pi) / 2

    def kernel(t):
        x = (t + b2) / (1 + b2)
        th = ctx.acos(x)
        k1 = (ctx.sin(th) + (ctx.pi - th) * ctx.cos(th)) / ctx.pi
        k0 = (ctx.pi - th) / ctx.pi
        return (1 + b2) * (k1 + x * k0) / 2

    gl = GaussLegendre(ctx)
    prev = None
    for degree in range(6, 12):
        nodes = gl.get_nodes(lo, hi, degree, ctx.prec)
        sums = [ctx.zero] * (kmax + 1)
        for th, w in nodes:
            t = ctx.cos(th)
            f = w * kernel(t) * ctx.exp(logc + (n - 2) * ctx.log(ctx.sin(th)))
            p_prev, p_cur = ctx.one, t
            sums[0] += f
            sums[1] += f * t
            for k in range(1, kmax):
                p_prev, p_cur = p_cur, ((2 * k + n - 2) * t * p_cur - k * p_prev) / (k + n - 2)
                sums[k + 1] += f * p_cur
        if prev is not None:
            ok = all(
                abs(a - b) <= ctx.mpf(10) ** -20 * abs(a) or abs(a) < ctx.mpf(10) ** (-dps + 10)
                for a, b in zip(sums, prev, strict=True)
            )
            if ok:
                return sums, len(nodes)
        prev = sums
    raise RuntimeError(f"mpmath quadrature did not converge (n={n})")


def run(ns, kmax, beta, repeat):
    label = "no bias" if not beta else f"bias beta = {beta}"
    print(f"\nReLU NTK, Gaussian init, {label}, k = 0..{kmax}")
    print(
        f"{'n':>6} {'cold ms':>9} {'warm ms':>9} {'mpmath s':>9} {'dps':>5} {'nodes':>6} "
        f"{'ratio':>9} {'max rel err':>12} {'zeros ok':>9}"
    )
    for n in ns:
        b = beta if beta else None
        _clear_caches()
        t0 = time.perf_counter()
        sign, log_mu = spectrum("relu", n, kmax, train="both", init="gaussian", bias=b, log=True)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(repeat):
            spectrum("relu", n, kmax, train="both", init="gaussian", bias=b, log=True)
        warm = (time.perf_counter() - t0) / repeat
        # precision: cancel down to the smallest nonzero eigenvalue, plus 25 digits
        smallest = -np.min(log_mu[np.isfinite(log_mu)]) / math.log(10)
        dps = int(smallest) + 35
        t0 = time.perf_counter()
        ref, nodes = mpmath_ntk(n, kmax, beta, dps)
        t_mp = time.perf_counter() - t0
        errs = []
        zeros_ok = True
        for k in range(kmax + 1):
            if sign[k] == 0:
                zeros_ok &= abs(ref[k]) < mp.mpf(10) ** (-dps + 20)
                continue
            r = ref[k]
            errs.append(float(abs(mp.exp(mp.mpf(float(log_mu[k]))) / r - 1)))
        print(
            f"{n:>6} {cold * 1e3:>9.2f} {warm * 1e3:>9.3f} {t_mp:>9.2f} {dps:>5} {nodes:>6} "
            f"{t_mp / cold:>9.0f} {max(errs):>12.2e} {zeros_ok!s:>9}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="kmax = 30 instead of 100")
    args = parser.parse_args()
    kmax = 30 if args.quick else 100
    run((10, 100, 1000), kmax, 0.0, repeat=20)
    run((10, 100, 1000), kmax, 0.5, repeat=5)


if __name__ == "__main__":
    main()
