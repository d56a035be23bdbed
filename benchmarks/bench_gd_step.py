"""Benchmark: one full-batch GD step (forward + both gradients), ReLU, both layers trained;
single and batched runs.

Run:  python benchmarks/bench_gd_step.py [--n 10] [--N 1000] [--m 4096] [--repeats 20]
                                         [--runs 1 8 30] [--batch-steps 5] [--no-batch]

Columns in one run (same process, same load):

* the project's numba kernels (gd_operator._gd_kernels: four units per sweep over the
  samples, the activation applied in registers, no [m, N] temporaries);
* a plain numpy implementation of the same step (its [N, m] pre-activations);
* PyTorch on the CPU if it is installed (skipped otherwise; not a dependency);
* the GEMM time of the same step: the products Z = X W^T, f = relu(Z) a, relu(Z)^T r and
  G^T X (G = step(Z) r) as numpy/BLAS computes them alone, without the elementwise work --
  the limit the kernels are measured against;
* the cost of one exact per-degree energy record (gd_operator._ridge.degree_inner_products on
  the m x m pairs) relative to one step;
* batched runs: R independent runs (gd_operator.simulate_batch) vs R separate
  gd_operator.simulate calls of the same runs (bit-identical results, checked), per run.

Prints times and ratios; no assertions (speed is not tested, only reported).  The thread count
is numba's (NUMBA_NUM_THREADS) and OpenBLAS's (OPENBLAS_NUM_THREADS); report the machine load.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

from gd_operator import _gd_kernels, ridge_target, simulate, simulate_batch
from gd_operator._ridge import degree_inner_products, network_ridge


def best_of(fn, repeats):
    fn()  # warm-up (and numba compilation / cache load)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def step_columns(n, N, m, repeats, K):
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

    Zfix = np.maximum(X @ W.T, 0)  # operands of the step's products (values do not matter)

    def gemm_step():
        _ = X @ W.T  # Z [N, m]
        _ = Zfix @ a  # f
        _ = Zfix.T @ y  # output-layer gradient
        _ = Zfix.T @ X  # hidden-layer gradient (G^T X, same shape as step(Z) r)

    t_numba = best_of(numba_step, repeats)
    t_numpy = best_of(numpy_step, repeats)
    t_gemm = best_of(gemm_step, repeats)
    numba_step()
    ga_np, gW_np, gb_np = numpy_step()
    err = max(
        np.max(np.abs(ga - ga_np)) / np.max(np.abs(ga_np)),
        np.max(np.abs(gW - gW_np)) / np.max(np.abs(gW_np)),
        np.max(np.abs(gb - gb_np)) / np.max(np.abs(gb_np)),
    )

    t_torch = None
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        Xt, yt = torch.tensor(X), torch.tensor(y)
        Wt = torch.tensor(W, requires_grad=True)
        at = torch.tensor(a, requires_grad=True)
        bt = torch.tensor(b, requires_grad=True)

        def torch_step():
            Wt.grad = at.grad = bt.grad = None
            fn = torch.relu(Xt @ Wt.T + bt) @ at / math.sqrt(m)
            loss = 0.5 * torch.mean((fn - yt) ** 2)
            loss.backward()

        t_torch = best_of(torch_step, repeats)

    A = np.random.default_rng(1).standard_normal((1024, 1024))
    gflops = 2 * 1024**3 / best_of(lambda: A @ A, 5) / 1e9

    print(f"one GD step, n={n}, N={N}, m={m}, ReLU, both layers")
    print(f"  numba kernels : {t_numba * 1e3:8.2f} ms")
    print(f"  numpy         : {t_numpy * 1e3:8.2f} ms   numba speed-up {t_numpy / t_numba:5.2f}x")
    if t_torch is not None:
        ratio = t_torch / t_numba
        print(f"  PyTorch CPU   : {t_torch * 1e3:8.2f} ms   numba speed-up {ratio:5.2f}x")
    else:
        print("  PyTorch CPU   : not installed (column skipped)")
    print(
        f"  GEMMs alone   : {t_gemm * 1e3:8.2f} ms   numba step / GEMM time "
        f"{t_numba / t_gemm:5.2f} (goal <= 1.5)"
    )
    print(f"  max rel. difference numba vs numpy gradients: {err:.1e}")
    print(f"  numpy GEMM rate: {gflops:.1f} GFLOP/s (1024^3)")
    if K is not None:
        ridge = network_ridge(W, b, a, "relu", n, K)
        t_energy = best_of(lambda: degree_inner_products(ridge, ridge, n), 3)
        print(
            f"  one exact energy record (K={K}, m^2 pairs): {t_energy * 1e3:.1f} ms "
            f"= {t_energy / t_numba:.1f} steps"
        )


def batch_columns(n, N, m, runs, steps, train):
    """simulate_batch of R runs (targets: degree 1..R ridge terms, seeds 0..R-1) vs R
    separate simulate calls, energies off (GD only), best of two."""
    kw = dict(steps=steps, lr=0.5, samples=N, train=train, init="gaussian", energies=False)
    kw.update(progress=False, record_every=steps)
    print(f"batched runs, n={n}, N={N}, m={m}, ReLU, train={train}, {steps} steps per run")
    simulate_batch([ridge_target(n, (1,), rng=0)], "relu", n, m, rng=[0], **kw)  # warm-up
    for R in runs:
        targets = [ridge_target(n, (1 + r % 6,), rng=r) for r in range(R)]
        seeds = list(range(R))
        t_sep, t_bat = math.inf, math.inf
        for _ in range(2):
            t0 = time.perf_counter()
            sep = [
                simulate(t, "relu", n, m, rng=s, **kw) for t, s in zip(targets, seeds, strict=True)
            ]
            t_sep = min(t_sep, time.perf_counter() - t0)
            t0 = time.perf_counter()
            bat = simulate_batch(targets, "relu", n, m, rng=seeds, **kw)
            t_bat = min(t_bat, time.perf_counter() - t0)
        same = all(
            np.array_equal(x.params["W"], z.params["W"]) and np.array_equal(x.loss, z.loss)
            for x, z in zip(sep, bat, strict=True)
        )
        print(
            f"  R = {R:3d}: separate {t_sep / R * 1e3:8.2f} ms/run   batched "
            f"{t_bat / R * 1e3:8.2f} ms/run   per-run speed-up {t_sep / t_bat:5.2f}x   "
            f"bit-identical: {same}"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--N", type=int, default=1000)
    ap.add_argument("--m", type=int, default=4096)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--K", type=int, default=6, help="degrees in the energy record")
    ap.add_argument("--no-energy", action="store_true", help="skip the energy-record column")
    ap.add_argument("--runs", type=int, nargs="+", default=[1, 8, 30], help="batch sizes R")
    ap.add_argument("--batch-steps", type=int, default=5, help="GD steps per batched run")
    ap.add_argument(
        "--batch-sizes",
        default="issue,basri,small",
        help="comma-separated sizes for the batched columns: issue (the --n/--N/--m above), "
        "basri (n=2, N=1001, m=4000, hidden layer), small (n=5, N=200, m=128)",
    )
    ap.add_argument("--no-batch", action="store_true", help="skip the batched columns")
    args = ap.parse_args()
    threads = os.environ.get("NUMBA_NUM_THREADS", "default")
    print(f"load average {os.getloadavg()[0]:.2f}, NUMBA_NUM_THREADS={threads}")
    step_columns(args.n, args.N, args.m, args.repeats, None if args.no_energy else args.K)
    if args.no_batch:
        return
    sizes = {
        "issue": (args.n, args.N, args.m, "both"),
        "basri": (2, 1001, 4000, "hidden"),
        "small": (5, 200, 128, "both"),
    }
    for name in args.batch_sizes.split(","):
        n, N, m, train = sizes[name]
        steps = args.batch_steps if name != "small" else 20 * args.batch_steps
        batch_columns(n, N, m, args.runs, steps, train)


if __name__ == "__main__":
    main()
