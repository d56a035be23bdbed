"""Benchmark: one exact per-degree energy record against one GD step, in the same run.

Run:  python benchmarks/bench_energy_record.py [--n 10] [--N 1000] [--m 4096] [--K 6]
      [--repeats 7] [--bias 0.1] [--setups]

A record of gd_operator.simulate is ||Pi_k (f* - f)||^2 = ||Pi_k f*||^2 - 2 <Pi_k f*, Pi_k f>
+ ||Pi_k f||^2 for k = 0..K: the network's ridge form (gd_operator._ridge.network_ridge, one
gate per unit), its cross products with the target (Cao et al.'s ridge target, degrees 1, 2, 4)
and its m x m self products.  Columns, each the best of ``--repeats``:

* step: one full-batch GD step (forward + both gradients, ReLU, both layers; the numba kernels of
  gd_operator._gd_kernels), the unit the issue measures records in;
* record: the record as simulate computes it (harmonics.ridge.degree_sums: blocked symmetric
  pair sums, or the explicit basis when sum_k N(n,k) is small);
* reference: the same record by the pair kernel before the blocked one (the row-sum kernel
  harmonics.ridge.pair_sums over all m^2 pairs), and the largest difference of the two.

``--setups`` also times the records of the paper setups' shapes (S^1 with m = 4000, K = 30;
S^2; n = 10), route chosen by the cost model.  Prints times and ratios; no assertions.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gd_operator import _gd_kernels, ridge_target
from gd_operator._ridge import network_ridge
from harmonics import ridge


def best_of(fn, repeats):
    fn()  # warm-up (numba compilation / cache load)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def reference_products(f, h, K):
    """<Pi_k f, Pi_k h> by the row-sum pair kernel over every pair (the route before)."""
    R = ridge.pair_sums(
        f.ridge_directions(), f.ridge_weights(K), h.ridge_directions(), h.ridge_weights(K), f.n, K
    )
    return ridge._dims(f.n, K) * R.sum(axis=0)


def time_setup(n, N, m, K, bias, repeats, rng):
    X = rng.standard_normal((N, n))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    XT = np.ascontiguousarray(X.T)
    y = rng.standard_normal(N)
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    b = bias * rng.standard_normal(m)
    a = rng.choice([-1.0, 1.0], m)
    f = np.empty(N)
    ga, gW, gb = np.zeros(m), np.zeros((m, n)), np.zeros(m)
    target = ridge_target(n, rng=1)
    target_energy = target.degree_inner_products(target, K)

    def step():
        _gd_kernels.forward(W, b, a, XT, 0, f)
        _gd_kernels.gradients(W, b, a, XT, 0, f - y, ga, gW, gb, True)

    def record():
        net = network_ridge(W, b, a, "relu", n, K)
        cross = target.degree_inner_products(net, K)
        return np.maximum(target_energy - 2 * cross + net.degree_inner_products(net, K), 0.0)

    def record_reference():
        net = network_ridge(W, b, a, "relu", n, K)
        cross = reference_products(target, net, K)
        return np.maximum(target_energy - 2 * cross + reference_products(net, net, K), 0.0)

    t_step = best_of(step, repeats)
    t_rec = best_of(record, repeats)
    t_ref = best_of(record_reference, max(2, repeats // 3))
    diff = float(np.max(np.abs(record() - record_reference())))
    route = "basis" if ridge._feature_route_pays(m, m, n, K, True) else "pairs (blocked, symmetric)"
    print(f"n = {n}, N = {N}, m = {m}, K = {K}, bias sd {bias}; self products by {route}")
    print(f"  GD step                 {1e3 * t_step:9.2f} ms")
    print(f"  record (simulate)       {1e3 * t_rec:9.2f} ms   = {t_rec / t_step:6.2f} steps")
    print(
        f"  record (reference)      {1e3 * t_ref:9.2f} ms   = {t_ref / t_step:6.2f} steps   "
        f"speed-up {t_ref / t_rec:.2f}x"
    )
    print(f"  max |record - reference| = {diff:.2e}   (target energy {target_energy.sum():.3g})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--N", type=int, default=1000)
    ap.add_argument("--m", type=int, default=4096)
    ap.add_argument("--K", type=int, default=6, help="degrees in the energy record")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--bias", type=float, default=0.1, help="sd of the biases (0: none)")
    ap.add_argument("--setups", action="store_true", help="also S^1, S^2 and n = 10 shapes")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    time_setup(args.n, args.N, args.m, args.K, args.bias, args.repeats, rng)
    if args.setups:
        for n, N, m, K in [(2, 1001, 4000, 30), (3, 1000, 2048, 10), (10, 1000, 1024, 6)]:
            time_setup(n, N, m, K, args.bias, args.repeats, rng)


if __name__ == "__main__":
    main()
