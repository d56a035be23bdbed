"""Timing of harmonics.symbolic: one call per (activation, k, n), k = 0..20.

Run:  python benchmarks/bench_symbolic.py [--kmax 20] [--dims sym,3,10]

Prints, for each activation and dimension (symbolic n, n = 3, n = 10), the worst and the total
time of the calls k = 0..kmax, each timed on a cold cache (the module's memo caches are
cleared before every call), plus legendre, dim_harmonics and kernel_eigenvalue.  The
requirement (issue 4) is "well under a second" per call at k <= 20.  No assertion: this is a
report, not a test.
"""

from __future__ import annotations

import argparse
import time

import sympy as sp

from harmonics import symbolic

ACTIVATIONS = [
    ("relu", {}),
    ("step", {}),
    ("sign", {}),
    ("abs", {}),
    ("relu2", {}),
    ("relu_power s=1/2", {"power": sp.Rational(1, 2)}),
    ("polynomial deg 6", {"coeffs": [1, -2, 3, 0, 5, -1, 2]}),
    ("polynomial symbolic", {"coeffs": list(sp.symbols("a0:7"))}),
    ("relu bias=0.3", {"bias": sp.Rational(3, 10)}),
    ("step bias=-0.2 scale=2", {"bias": sp.Rational(-1, 5), "scale": 2}),
    ("relu2 bias=0.3", {"bias": sp.Rational(3, 10)}),
    ("relu bias=b (symbolic)", {"bias": sp.Symbol("b")}),
]


def _clear_caches():
    symbolic._legendre_expr.cache_clear()
    symbolic._arccos_expr.cache_clear()


def _time(fn):
    _clear_caches()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _name(label: str) -> str:
    base = label.split()[0]
    return base


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kmax", type=int, default=20)
    parser.add_argument("--dims", default="sym,3,10", help="comma list; 'sym' = symbolic n")
    args = parser.parse_args(argv)
    dims = [None if d == "sym" else int(d) for d in args.dims.split(",")]
    ks = range(args.kmax + 1)

    print(f"{'call':34s} {'n':>4s} {'max [ms]':>10s} {'total [ms]':>11s}   (k = 0..{args.kmax})")
    worst = 0.0
    for label, params in ACTIVATIONS:
        for n in dims:
            times = [
                _time(
                    lambda k=k, n=n, label=label, params=params: symbolic.funk_hecke_eigenvalue(
                        _name(label), n, k, **params
                    )
                )
                for k in ks
            ]
            worst = max(worst, max(times))
            nlab = "sym" if n is None else str(n)
            print(
                f"{'lambda ' + label:34s} {nlab:>4s} {1e3 * max(times):10.1f} "
                f"{1e3 * sum(times):11.1f}"
            )
    others = [
        ("legendre", lambda n, k: symbolic.legendre(n, k)),
        ("dim_harmonics", lambda n, k: symbolic.dim_harmonics(n, k)),
        ("kernel relu_ntk", lambda n, k: symbolic.kernel_eigenvalue("relu_ntk", n, k)),
        ("kernel arccos d=2", lambda n, k: symbolic.kernel_eigenvalue("arccos", n, k, degree=2)),
    ]
    for label, fn in others:
        for n in dims:
            times = [_time(lambda k=k, n=n, fn=fn: fn(n, k)) for k in ks]
            worst = max(worst, max(times))
            nlab = "sym" if n is None else str(n)
            print(f"{label:34s} {nlab:>4s} {1e3 * max(times):10.1f} {1e3 * sum(times):11.1f}")
    times = [_time(lambda d=d: symbolic.arccos_kernel(d)) for d in range(21)]
    print(
        f"{'arccos_kernel d=0..20':34s} {'-':>4s} {1e3 * max(times):10.1f} {1e3 * sum(times):11.1f}"
    )
    print(f"\nslowest single call: {1e3 * max(worst, max(times)):.1f} ms")


if __name__ == "__main__":
    main()
