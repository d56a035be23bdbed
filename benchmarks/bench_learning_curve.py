"""Benchmark: gd_operator.learning_curve on a 200-value P-grid, 200 degrees (k = 0..199).

Kernel: the ReLU NTK (Gaussian init) spectrum as (sign, log_abs) pairs; target energy 1 on
degrees 1..4; ridge 1e-3 and ridge 0.  Grids: n = 100 and n = 10^4 with P log-spaced over
[1, 1e12] (the goal: < 10 ms per full grid).

Reference ("naive"): bisection for kappa on the *expanded* eigenvalue list (every mu_k
repeated N(n,k) times, float64), 200 halvings of [1e-300, 1e300] in log kappa, one P at a
time.  The expanded list has sum_k N(n,k) entries -- ~10^81 at n = 100, k <= 199 and ~10^424 at
n = 10^4 -- so it is infeasible there; the script says so and compares instead where the list
fits (<= 2e6 entries): n = 3 (40,000 entries for 200 degrees), n = 100 with k <= 3
(171,800 entries) and n = 10^4 with k <= 1 (10,001 entries).  Printed: time per grid (cold =
multiplicity cache cleared; warm = repeated call, best of 5), naive time, the ratio, and the
largest relative difference of kappa between the two.

Also (``extensions``): random_features_curve (m = 1000) and gd_learning_curve (20 step counts x
200 P) on the same spectra, as ratios to learning_curve's time in the same run.

Run:  python benchmarks/bench_learning_curve.py
"""

from __future__ import annotations

import math
import time

import numpy as np

import harmonics as hm
from gd_operator import gd_learning_curve, learning_curve, random_features_curve, spectrum
from gd_operator.learning_curve import _log_multiplicities

MAX_EXPANDED = 2_000_000


def _grid(n, kmax, P, ridge):
    sp = spectrum("relu", n, kmax, train="both", init="gaussian", log=True)
    v = np.zeros(kmax + 1)
    v[1 : min(5, kmax + 1)] = 1.0
    _log_multiplicities.cache_clear()
    t0 = time.perf_counter()
    lc = learning_curve(sp, n, v, P, ridge=ridge)
    cold = time.perf_counter() - t0
    warm = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        lc = learning_curve(sp, n, v, P, ridge=ridge)
        warm = min(warm, time.perf_counter() - t0)
    return sp, lc, cold, warm


def _naive(sp, n, P, ridge):
    sign, log_abs = sp
    mu = np.where(sign > 0, np.exp(log_abs), 0.0)
    lam = np.repeat(mu, [hm.dim_harmonics(n, k) for k in range(mu.size)])
    lam = lam[lam > 0]
    out = np.empty(P.size)
    t0 = time.perf_counter()
    for j, p in enumerate(P):
        lo, hi = math.log(1e-300), math.log(1e300)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            kap = math.exp(mid)
            if np.sum(lam / (lam + kap)) + ridge / kap > p:
                lo = mid
            else:
                hi = mid
        out[j] = math.exp(0.5 * (lo + hi))
    return out, time.perf_counter() - t0


def main():
    P = np.logspace(0, 12, 200)
    print("learning_curve, 200 P values, ReLU NTK (gaussian init)")
    print(
        f"{'n':>6} {'kmax':>5} {'ridge':>6} {'sum N(n,k)':>12} {'cold ms':>8} {'warm ms':>8} "
        f"{'naive ms':>9} {'ratio':>8} {'max rel dkappa':>15}"
    )
    cases = [(100, 199), (10_000, 199), (3, 199), (100, 3), (10_000, 1)]
    for n, kmax in cases:
        total = sum(hm.dim_harmonics(n, k) for k in range(kmax + 1))
        for ridge in (1e-3, 0.0):
            sp, lc, cold, warm = _grid(n, kmax, P, ridge)
            size = f"{total:.3g}" if total < 1e15 else f"1e{math.log10(total):.0f}"
            if total > MAX_EXPANDED:
                print(
                    f"{n:>6} {kmax:>5} {ridge:>6g} {size:>12} {1e3 * cold:>8.2f} "
                    f"{1e3 * warm:>8.2f} {'infeasible (expanded list too long)':>35}"
                )
                continue
            ref, tn = _naive(sp, n, P, ridge)
            ok = lc.kappa > 0
            rel = float(np.max(np.abs(lc.kappa[ok] / ref[ok] - 1))) if ok.any() else 0.0
            print(
                f"{n:>6} {kmax:>5} {ridge:>6g} {size:>12} {1e3 * cold:>8.2f} "
                f"{1e3 * warm:>8.2f} {1e3 * tn:>9.1f} {tn / warm:>8.0f} {rel:>15.2e}"
                + ("" if ok.all() else f"   ({int((~ok).sum())} P >= rank: kappa = 0)")
            )


def _best(f, reps=5):
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def extensions():
    """random_features_curve and gd_learning_curve against learning_curve on the same grid
    (the baseline, same run): ratios of warm times."""
    P = np.logspace(0, 12, 200)
    print("\nrandom features (m = 1000) and early-stopped GD (20 step counts) vs learning_curve")
    print(
        f"{'n':>6} {'ridge':>6} {'KRR ms':>8} {'RF ms':>8} {'RF/KRR':>7} {'GD ms':>8} {'GD/KRR':>7}"
    )
    steps = np.unique(np.logspace(0, 6, 20).astype(int))
    for n in (100, 10_000):
        sp = spectrum("relu", n, 199, train="both", init="gaussian", log=True)
        v = np.zeros(200)
        v[1:5] = 1.0
        for ridge in (1e-3, 0.0):
            t_krr = _best(lambda sp=sp, n=n, v=v, r=ridge: learning_curve(sp, n, v, P, ridge=r))
            t_rf = _best(
                lambda sp=sp, n=n, v=v, r=ridge: random_features_curve(sp, n, v, P, 1000, ridge=r)
            )
            t_gd = _best(lambda sp=sp, n=n, v=v: gd_learning_curve(sp, n, v, P, 1.0, steps), reps=2)
            print(
                f"{n:>6} {ridge:>6g} {1e3 * t_krr:>8.2f} {1e3 * t_rf:>8.2f} {t_rf / t_krr:>7.1f} "
                f"{1e3 * t_gd:>8.1f} {t_gd / t_krr:>7.1f}"
            )


if __name__ == "__main__":
    main()
    extensions()
