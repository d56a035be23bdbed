"""Benchmark: one mean-field online-SGD step and one full-batch GD step (ReLU, all layers).

Run:  python benchmarks/bench_feature_learning.py [--d 256] [--m 1024] [--batch 1024]
                                                  [--repeats 10]

Columns in one run (same process, same load), for f = (1/m) sum_i a_i relu(<w_i, x> + b_i):

* the project's numba kernels (gd_operator._mean_field_kernels: X W^T and D^T X through
  BLAS, the element-wise passes -- activation, derivative, residual, back-propagated factor,
  bias and output gradients -- fused into one loop over the [B, m] block, parameters updated
  in place, no temporaries);
* a plain numpy implementation of the same step (same BLAS products; its element-wise passes
  are separate array operations with [B, m] temporaries);
* PyTorch on the CPU if it is installed (skipped otherwise; not a dependency);
* the GEMM time alone (the two products X W^T and D^T X), the limit both are measured against.

The online step includes drawing the fresh batch (x ~ N(0, I_d)) and evaluating the target
(a single-index He_2 ridge) -- the same in every column -- the full-batch step reuses one
training set.  Prints times and ratios; no assertions (speed is reported, not tested).

Measured (2 shared cores, one thread each), loaded (load ~13): full batch numba 544 ms, numpy
557 ms (1.02x), online 502 vs 573 ms (1.14x), PyTorch CPU 481 ms, GEMM alone 370 ms; quieter
(load 1.5): full batch 32.5 vs 34.4 ms (1.06x), online 34.6 vs 39.7 ms (1.15x), GEMM alone
26.3 ms (2 x 2 x 1024 x 256 x 1024 flops at 41 GFLOP/s, near one core's double-precision
peak).  The issue's goal of >= 4x over numpy is not reachable in float64 on the same BLAS:
numpy's step is 1.31x its two GEMMs, so even a free element-wise pass gives at most 1.31x;
the fused pass (6 ms against numpy's 8 ms of [B, m] temporaries) is what the kernels save.
Beyond that only float32 (changes the step's results) or skipping the zero rows of D
(ReLU: ~half; sparse products are slower than dense BLAS at that density) would help.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from gd_operator import _mean_field_kernels as K
from gd_operator import single_index_target


def best_of(fn, repeats):
    fn()  # warm-up (and numba compilation / cache load)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def numpy_step(X, y, W, b, a, lr):
    m, B = W.shape[0], X.shape[0]
    Z = X @ W.T + b  # [B, m]
    H = np.maximum(Z, 0.0)
    r = H @ a / m - y
    ga = H.T @ r / B
    D = (Z > 0) * (r[:, None] * a[None, :] / B)
    gb = D.sum(axis=0)
    gW = D.T @ X
    W -= lr * gW
    b -= lr * gb
    a -= lr * ga


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--m", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args(argv)
    d, m, B = args.d, args.m, args.batch
    rng = np.random.default_rng(0)
    f = single_index_target(d, 2, rng=0)
    W0 = rng.standard_normal((m, d)) / np.sqrt(d)
    b0 = np.zeros(m)
    a0 = np.where(rng.random(m) < 0.5, -1.0, 1.0)
    Xtr = rng.standard_normal((B, d))
    ytr = f(Xtr)
    lr = 0.1
    code, prm = 0, np.zeros(1)
    Z, D, fb = np.empty((B, m)), np.empty((B, m)), np.empty(B)
    gW, tmp, gb, ga = np.empty((m, d)), np.empty((m, d)), np.empty(m), np.empty(m)
    loss = np.empty(1)

    def numba_full():
        W, b, a = W0.copy(), b0.copy(), a0.copy()
        K.accumulate_gradients(
            Xtr, ytr, W, b, a, code, prm, 1.0 / B, Z, D, fb, gW, gb, ga, tmp, True
        )
        K.apply_update(W, b, a, gW, gb, ga, lr, lr, lr, 0.0, False)

    def numpy_full():
        numpy_step(Xtr, ytr, W0.copy(), b0.copy(), a0.copy(), lr)

    g = np.random.default_rng(1)

    def numba_online():
        X = g.standard_normal((B, d))
        y = f(X)
        W, b, a = W0.copy(), b0.copy(), a0.copy()
        K.online_steps(
            X, y, B, W, b, a, code, prm, lr, lr, lr, 0.0, False, Z, D, fb, gW, gb, ga, tmp, loss
        )

    def numpy_online():
        X = g.standard_normal((B, d))
        y = f(X)
        numpy_step(X, y, W0.copy(), b0.copy(), a0.copy(), lr)

    def gemm_only():
        np.dot(Xtr, W0.T, Z)
        np.dot(Z.T, Xtr, gW)

    copy_cost = best_of(lambda: (W0.copy(), b0.copy(), a0.copy()), args.repeats)
    cols = {
        "full-batch numba": best_of(numba_full, args.repeats),
        "full-batch numpy": best_of(numpy_full, args.repeats),
        "online numba": best_of(numba_online, args.repeats),
        "online numpy": best_of(numpy_online, args.repeats),
        "GEMM only (2 products)": best_of(gemm_only, args.repeats),
    }
    try:
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        Xt, yt = torch.from_numpy(Xtr), torch.from_numpy(ytr)

        def torch_full():
            W = torch.from_numpy(W0.copy()).requires_grad_()
            b = torch.from_numpy(b0.copy()).requires_grad_()
            a = torch.from_numpy(a0.copy()).requires_grad_()
            out = torch.relu(Xt @ W.T + b) @ a / m
            loss_ = 0.5 * ((out - yt) ** 2).mean()
            loss_.backward()
            with torch.no_grad():
                for p in (W, b, a):
                    p -= lr * m * p.grad

        cols["full-batch torch (CPU)"] = best_of(torch_full, args.repeats)
    except ImportError:
        cols["full-batch torch (CPU)"] = None
    print(
        f"d = {d}, m = {m}, batch = {B}; best of {args.repeats}; threads: numba "
        f"{os.environ.get('NUMBA_NUM_THREADS', 'default')}, BLAS "
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}; load {os.getloadavg()[0]:.2f}"
    )
    print(f"(parameter copies included in every column: {copy_cost * 1e3:.2f} ms)")
    for name, t in cols.items():
        print(f"  {name:26s} {'not installed' if t is None else f'{t * 1e3:9.2f} ms'}")
    r_full = cols["full-batch numpy"] / cols["full-batch numba"]
    r_on = cols["online numpy"] / cols["online numba"]
    print(f"ratio numpy / numba: full batch {r_full:.2f}x, online {r_on:.2f}x (goal >= 4x)")
    gemm = cols["GEMM only (2 products)"]
    print(
        f"numba full-batch step / GEMM-only time: {cols['full-batch numba'] / gemm:.2f}; "
        f"numpy: {cols['full-batch numpy'] / gemm:.2f} (the ceiling of numpy / numba is the "
        "latter: both steps are GEMM-bound at this size)"
    )


if __name__ == "__main__":
    main()
