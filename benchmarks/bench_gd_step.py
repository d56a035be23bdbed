"""Benchmark: one full-batch GD step (forward + both gradients), ReLU, both layers trained.

Run:  python benchmarks/bench_gd_step.py [--n 10] [--N 1000] [--m 4096] [--repeats 20]

Columns in one run: the project's numba kernels (gd_operator._gd_kernels), a plain numpy
implementation of the same step, PyTorch on the CPU if it is installed (skipped otherwise), the
machine's numpy GEMM rate for scale, and the cost of one exact per-degree energy record
(gd_operator._ridge.degree_inner_products on the m x m pairs) relative to one step.
Prints times and ratios; no assertions (speed is not tested, only reported).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from gd_operator import _gd_kernels
from gd_operator._ridge import degree_inner_products, network_ridge


def best_of(fn, repeats):
    fn()  # warm-up (and numba compilation / cache load)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--N", type=int, default=1000)
    ap.add_argument("--m", type=int, default=4096)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--K", type=int, default=6, help="degrees in the energy record")
    args = ap.parse_args()
    n, N, m = args.n, args.N, args.m
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, n))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    XT = np.ascontiguousarray(X.T)
    y = rng.standard_normal(N)
    W, b, a = rng.standard_normal((m, n)), np.zeros(m), rng.choice([-1.0, 1.0], m)
    f = np.empty(N)
    ga, gW, gb = np.zeros(m), np.zeros((m, n)), np.zeros(m)

    def numba_step():
        _gd_kernels.forward(W, b, a, XT, 0, f)
        r = f - y
        _gd_kernels.gradients(W, b, a, XT, 0, r, ga, gW, gb, True)

    def numpy_step():
        Z = X @ W.T + b  # [N, m]
        H = np.maximum(Z, 0)
        fn = H @ a / math.sqrt(m)
        r = fn - y
        s = 1 / (N * math.sqrt(m))
        ga_ = s * (H.T @ r)
        G = (Z > 0) * r[:, None]
        gW_ = s * a[:, None] * (G.T @ X)
        gb_ = s * a * G.sum(axis=0)
        return ga_, gW_, gb_

    t_numba = best_of(numba_step, args.repeats)
    t_numpy = best_of(numpy_step, args.repeats)
    # agreement (the kernel uses fastmath={'reassoc','contract'})
    numba_step()
    ga_np, gW_np, _ = numpy_step()
    err = max(
        np.max(np.abs(ga - ga_np)) / np.max(np.abs(ga_np)),
        np.max(np.abs(gW - gW_np)) / np.max(np.abs(gW_np)),
    )

    t_torch = None
    try:
        import torch

        Xt, yt = torch.tensor(X), torch.tensor(y)
        Wt = torch.tensor(W, requires_grad=True)
        at = torch.tensor(a, requires_grad=True)
        bt = torch.tensor(b, requires_grad=True)

        def torch_step():
            Wt.grad = at.grad = bt.grad = None
            fn = torch.relu(Xt @ Wt.T + bt) @ at / math.sqrt(m)
            loss = 0.5 * torch.mean((fn - yt) ** 2)
            loss.backward()

        t_torch = best_of(torch_step, args.repeats)
    except ImportError:
        pass

    A = rng.standard_normal((1024, 1024))
    t_gemm = best_of(lambda: A @ A, 5)
    gflops = 2 * 1024**3 / t_gemm / 1e9

    ridge = network_ridge(W, b, a, "relu", n, args.K)
    t_energy = best_of(lambda: degree_inner_products(ridge, ridge, n), 3)

    print(f"one GD step, n={n}, N={N}, m={m}, ReLU, both layers")
    print(f"  numba kernels : {t_numba * 1e3:8.2f} ms")
    print(f"  numpy         : {t_numpy * 1e3:8.2f} ms   numba speed-up {t_numpy / t_numba:5.2f}x")
    if t_torch is not None:
        ratio = t_torch / t_numba
        print(f"  PyTorch CPU   : {t_torch * 1e3:8.2f} ms   numba speed-up {ratio:5.2f}x")
    else:
        print("  PyTorch CPU   : not installed (column skipped)")
    print(f"  max rel. difference numba vs numpy gradients: {err:.1e}")
    print(f"  numpy GEMM rate: {gflops:.1f} GFLOP/s (1024^3)")
    print(
        f"  one exact energy record (K={args.K}, m^2 pairs): {t_energy * 1e3:.1f} ms "
        f"= {t_energy / t_numba:.1f} steps"
    )


if __name__ == "__main__":
    main()
