"""Benchmark: deep NNGP/NTK spectra mu_0..mu_200 (gd_operator.spectrum(depth=...)) vs the
approaches in use, in the same run.

Cases: ReLU and tanh NTK, depth 1, 2, 5, 10, n = 10, 1000, 10^4, k <= 200, Gaussian init.

Baselines
(a) the field's route (kernel-generalization, NTK_Learning_Curves, eigenlearning): a 1000- or
    10 000-node Gauss-Gegenbauer rule (scipy.special.roots_gegenbauer, alpha = (n - 2)/2) on
    kernel values (here gd_operator.kernel, i.e. exact values: the error is the rule's);
    reported: its time and the first k where its relative error passes 1e-6 (or why it fails:
    scipy's weights are non-finite at large n);
(b) mpmath at 50 digits (ntklib's route): ReLU kernel by the closed arc-cosine composition,
    mu_k = E[K(t) P_{k,n}(t)] by mpmath.quad on [-1, 1] split at the zeros of P_{k,n}, timed on
    3 degrees; the time per spectrum is 201 x the mean per degree.

Ratios: baseline time / our time (the Gauss-Gegenbauer rule's own construction, once per n, is
printed at the end and not included).  Run:  python benchmarks/bench_deep_spectrum.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import time

import mpmath as mp
import numpy as np
from scipy.special import roots_gegenbauer

import gd_operator as gdo

KMAX = 200


def ours(act, n, depth):
    kw = dict(train="both", init="gaussian", log=True)
    if depth > 1:
        kw["depth"] = depth
    gdo.spectrum(act, n, 4, **kw)  # compile / warm caches
    best = math.inf
    for _ in range(3):
        t = time.perf_counter()
        sign, log_mu = gdo.spectrum(act, n, KMAX, **kw)
        best = min(best, time.perf_counter() - t)
    return best, log_mu


_RULES: dict = {}


def gegenbauer_rule(n, nodes):
    """scipy's rule, built once per (n, nodes) (its time is reported separately)."""
    if (n, nodes) not in _RULES:
        t0 = time.perf_counter()
        with np.errstate(all="ignore"):
            x, w = roots_gegenbauer(nodes, (n - 2) / 2)
        _RULES[n, nodes] = (x, w, time.perf_counter() - t0)
    return _RULES[n, nodes]


def gauss_gegenbauer(act, n, depth, nodes, log_mu):
    x, w, _ = gegenbauer_rule(n, nodes)
    t0 = time.perf_counter()
    if not np.all(np.isfinite(w)) or not np.all(np.isfinite(x)):
        return time.perf_counter() - t0, "non-finite weights"
    kw = dict(train="both", init="gaussian")
    if depth > 1:
        kw["depth"] = depth
    kv = gdo.kernel(act, n, np.clip(x, -1, 1), **kw) * w / w.sum()
    p_prev, p = np.ones_like(x), x.copy()
    mu = [kv.sum(), kv @ x]
    for k in range(1, KMAX):
        p_prev, p = p, ((2 * k + n - 2) * x * p - k * p_prev) / (k + n - 2)
        mu.append(kv @ p)
    elapsed = time.perf_counter() - t0
    ref = np.exp(log_mu)
    with np.errstate(all="ignore"):
        err = np.abs(np.array(mu) / ref - 1)
    bad = np.nonzero((ref > 0) & ~(err <= 1e-6))[0]  # exact zeros of ours are not compared
    return elapsed, f"err > 1e-6 from k = {bad[0]}" if bad.size else "err <= 1e-6 for all k"


def mp_relu_ntk(depth, t):
    sig, q, theta = t, mp.mpf(1), t
    for layer in range(depth):
        c = sig / q
        phi = mp.pi - mp.acos(c)
        e, ed = q * (mp.sqrt(1 - c * c) + phi * c) / (2 * mp.pi), phi / (2 * mp.pi)
        if layer < depth - 1:
            theta = e + theta * ed
            sig, q = e, q / 2
    return e + theta * ed


def mpmath_route(n, depth, log_mu, degrees=(0, 20, 50)):
    mp.mp.dps = 50
    norm = mp.quad(lambda t: (1 - t * t) ** (mp.mpf(n - 3) / 2), [-1, 1])
    times, errs = [], []
    for k in degrees:
        zeros = [mp.cos(mp.pi * (j + mp.mpf(1) / 2) / k) for j in range(k)] if k else []
        pts = [mp.mpf(-1)] + sorted(zeros) + [mp.mpf(1)]
        t0 = time.perf_counter()
        val = mp.quad(
            lambda t, k=k: (
                mp_relu_ntk(depth, t)
                * mp.gegenbauer(k, mp.mpf(n - 2) / 2, t)
                / mp.gegenbauer(k, mp.mpf(n - 2) / 2, 1)
                * (1 - t * t) ** (mp.mpf(n - 3) / 2)
            ),
            pts,
        )
        times.append(time.perf_counter() - t0)
        errs.append(abs(float(mp.log(val / norm)) - log_mu[k]))
    return float(np.mean(times)) * (KMAX + 1), max(errs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 10 and 1000, depths 1 and 5")
    args = ap.parse_args()
    depths = (1, 5) if args.quick else (1, 2, 5, 10)
    ns = (10, 1000) if args.quick else (10, 1000, 10**4)
    print(
        f"{'act':>5} {'L':>3} {'n':>6} {'ours ms':>9}  {'GG1000 ms':>10} {'ratio':>6}  "
        f"{'GG1000':<28} {'GG10000 ms':>10} {'ratio':>6}  GG10000"
    )
    for act in ("relu", "tanh"):
        for depth in depths:
            for n in ns:
                t_ours, log_mu = ours(act, n, depth)
                row = f"{act:>5} {depth:>3} {n:>6} {1e3 * t_ours:9.1f}"
                for nodes in (1000, 10000):
                    t_gg, note = gauss_gegenbauer(act, n, depth, nodes, log_mu)
                    row += f"  {1e3 * t_gg:10.1f} {t_gg / t_ours:6.2f}  {note:<28}"
                print(row, flush=True)
    for (n, nodes), (_, _, t_rule) in sorted(_RULES.items()):
        print(f"scipy roots_gegenbauer n = {n}, {nodes} nodes: {t_rule:.2f} s")
    print("\nmpmath at 50 digits (ReLU NTK, n = 10; 201 x mean time of degrees 0, 20, 50)")
    print(f"{'L':>3} {'mpmath s/spectrum':>18} {'ours ms':>8} {'ratio':>8} {'max |log diff|':>15}")
    for depth in (1, 2, 5) if args.quick else (1, 2, 5, 10):
        t_ours, log_mu = ours("relu", 10, depth)
        t_mp, err = mpmath_route(10, depth, log_mu)
        print(f"{depth:>3} {t_mp:18.1f} {1e3 * t_ours:8.1f} {t_mp / t_ours:8.0f} {err:15.2e}")


if __name__ == "__main__":
    main()
