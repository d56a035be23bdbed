"""Benchmark: evaluating SphericalHarmonics(n, k)(X), with scipy as the baseline at n = 3.

Run:  python benchmarks/bench_basis.py [--points 2000] [--repeats 3]

For n = 3 the baseline is scipy.special.sph_harm_y evaluated for all m = 0..l in one broadcast
call and turned into the same real orthonormal basis (sqrt(4 pi) {Y_l^0, sqrt2 Re Y_l^m,
sqrt2 Im Y_l^m}); the script prints both times, their ratio and the max difference up to the
sign of each column.  For other n there is no library that evaluates a full basis of H_k
(existing packages return NaN at n >= 200), so it prints the time, the time per entry and the
addition-theorem error max |sum_j Y_j(x) Y_j(y) - N P_{k,n}(<x,y>)| / N as a check.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import scipy.special as sp

from harmonics import legendre
from harmonics.basis import SphericalHarmonics
from harmonics.sampling import sample_sphere


def best_time(fn, repeats):
    best = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def scipy_real_basis(l, X):
    """Real orthonormal (probability measure) basis of H_l on S^2 from scipy, in our order."""
    polar = np.arccos(np.clip(X[:, 2], -1, 1))
    azim = np.arctan2(X[:, 1], X[:, 0])
    m = np.arange(l + 1)
    c = sp.sph_harm_y(l, m[:, None], polar[None, :], azim[None, :]) * math.sqrt(4 * math.pi)
    out = np.empty((X.shape[0], 2 * l + 1))
    out[:, 0] = c[0].real
    out[:, 1::2] = math.sqrt(2) * c[1:].real.T
    out[:, 2::2] = math.sqrt(2) * c[1:].imag.T
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=2000, help="points per evaluation (n = 3)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    N = args.points

    print(f"n = 3, {N} points: ours vs scipy.special.sph_harm_y (real forms)")
    head = ("l", "dim", "ours [s]", "scipy [s]", "scipy/ours", "max diff")
    print("{:>5} {:>6} {:>10} {:>10} {:>10} {:>9}".format(*head))
    X = sample_sphere(N, 3, rng=0)
    for l in (2, 10, 50, 200):
        Y = SphericalHarmonics(3, l)
        t_ours, A = best_time(lambda Y=Y: Y(X), args.repeats)
        t_sp, B = best_time(lambda l=l: scipy_real_basis(l, X), args.repeats)
        signs = np.sign(np.sum(A * B, axis=0))
        diff = np.max(np.abs(A - B * signs))
        print(f"{l:5d} {Y.dim:6d} {t_ours:10.4f} {t_sp:10.4f} {t_sp / t_ours:10.2f} {diff:9.1e}")

    print("\nother dimensions (no library baseline): time, ns per entry, addition-theorem error")
    head = ("n", "k", "N(n,k)", "points", "time [s]", "ns/entry", "err/N")
    print("{:>5} {:>3} {:>8} {:>6} {:>9} {:>9} {:>8}".format(*head))
    for n, k, pts in [(4, 30, 500), (7, 8, 500), (20, 4, 500), (50, 3, 200), (200, 2, 200),
                      (500, 2, 50), (1000, 1, 500)]:  # fmt: skip
        Y = SphericalHarmonics(n, k)
        X = sample_sphere(pts, n, rng=n)
        Y(X[:2])  # build the traversal plan once (cached on the object)
        t, A = best_time(lambda Y=Y, X=X: Y(X), args.repeats)
        Z = sample_sphere(4, n, rng=n + 1)
        err = np.max(np.abs(A[:4] @ Y(Z).T - Y.dim * legendre(n, k, np.clip(X[:4] @ Z.T, -1, 1))))
        print(
            f"{n:5d} {k:3d} {Y.dim:8d} {pts:6d} {t:9.4f} {1e9 * t / A.size:9.1f} {err / Y.dim:8.1e}"
        )


if __name__ == "__main__":
    main()
