"""Command line: ``python -m sq_bounds {table,fit,gd} ...``.

``table`` prints, for every (n, k), the correlational SQ lower bound (log10 of the number of
queries of tolerance tau) for the unrestricted family and for the Vempala-Wilmes class of
N(n,k) functions, next to the information-theoretic count log2 N(n,k) = Theta(k log n).
"""

from __future__ import annotations

import argparse
import csv
import io
import math

from harmonics._infra.jsonio import json_dumps

from ._base import command_parser, emit, json_document, run_command

EXAMPLES = """examples:
  python -m sq_bounds table --n 10 100 1000 --k 1 2 3 4 --tau 1e-3
  python -m sq_bounds table --n 100 1000 10000 100000 --k 1 2 3 4 --tau 0.1 --plot sq.png
  python -m sq_bounds table --n 1000000 --k 50 --tau 1e-3 --json
  python -m sq_bounds fit --k 1 2 3 4 5 --n 1000 10000 100000 1000000 --tau 0.1
  python -m sq_bounds gd --n 4 --degrees 1 2 3 4 5 --tau 0.05 --steps 2000

log10 values: '-' means no bound (tau^2 <= gamma for every delta, e.g. tau^2 <= |P_{k,n}(0)|
for even k); a negative value means the bound is below 1 query (vacuous).
"""


def _fmt(x, digits=4):
    if x is None:
        return "-"
    if isinstance(x, float):
        if not math.isfinite(x):
            return "-"
        return f"{x:.{digits}g}"
    return str(x)


def _write(text: str, args, out) -> None:
    """To the --json/--csv PATH if given; ``--output FILE`` (deprecated) still works."""
    dest = args.json if args.json is not None else args.csv
    if args.output is not None:
        import sys

        sys.stderr.write("warning: --output is deprecated; use --json PATH or --csv PATH\n")
        dest = args.output
    emit(text, dest, out)


def _render(rows: list[dict], header: list[str], args) -> str:
    if args.json is not None:
        doc = json_document(args, rows=[{h: r[h] for h in header} for r in rows])
        return json_dumps(doc, indent=1) + "\n"
    if args.csv is not None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if r[h] is None else r[h] for h in header])
        return buf.getvalue()
    cells = [[_fmt(r[h]) for h in header] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ table

TABLE_HEADER = [
    "n",
    "k",
    "tau",
    "log10_sq",
    "delta",
    "gamma",
    "log10_family",
    "log10_sq_dim",
    "log10_info_bits",
    "log10_info_queries",
    "note",
]


def table_rows(ns, ks, tau, family_bound="best") -> list[dict]:
    """Rows of the ``table`` command (also used by tests and notebooks)."""
    from sq_bounds import information_theoretic_bound, query_lower_bound

    rows = []
    for k in ks:
        for n in ns:
            sq = query_lower_bound(n, k, tau, family_bound=family_bound)
            vw = query_lower_bound(n, k, tau, family_bound=family_bound, max_family_size="dim")
            info = information_theoretic_bound(n, k)
            # The same count in the SQ bound's unit: queries of tolerance tau (log2 M bits
            # divided by the log2(floor(1/tau) + 1) bits one such answer carries).
            info_tau = information_theoretic_bound(n, k, tau=tau)
            note = sq.note if sq.log10_queries is None else ("vacuous" if sq.vacuous else "")
            rows.append(
                {
                    "n": n,
                    "k": k,
                    "tau": tau,
                    "log10_sq": sq.log10_queries,
                    "delta": sq.delta,
                    "gamma": sq.gamma if sq.log10_queries is not None else None,
                    "log10_family": sq.log10_family_size,
                    "log10_sq_dim": vw.log10_queries,
                    "log10_info_bits": info.log10_queries,
                    "log10_info_queries": info_tau.log10_queries,
                    "note": note,
                }
            )
    return rows


def _plot_table(rows, path, tau):
    from harmonics._infra.figures import STYLE, require_pyplot, save_figure

    plt = require_pyplot("--plot")

    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 4.2))
    ks = sorted({r["k"] for r in rows})
    for i, k in enumerate(ks):
        c = f"C{i % 10}"
        sub = sorted((r for r in rows if r["k"] == k), key=lambda r: r["n"])
        for ax, key, style, label in (
            (left, "log10_sq_dim", "s-", f"k={k}: SQ lower bound"),
            (left, "log10_info_queries", "^:", f"k={k}: information bound"),
            (right, "log10_sq", "o-", f"k={k}"),
        ):
            pts = [(r["n"], r[key]) for r in sub if r[key] is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=c, ms=4, label=label)
    left.set_title(f"class of N(n,k) = n^Theta(k) functions, tau = {tau:g}", fontsize=9)
    right.set_title(f"best delta-coherent family (no size cap), tau = {tau:g}", fontsize=9)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("dimension n")
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    # Both left-panel series count queries of tolerance tau: the SQ lower bound and the
    # information-theoretic one (log2 N(n,k) bits at log2(floor(1/tau) + 1) bits per answer).
    left.set_ylabel(f"log10(queries of tolerance {tau:g})")
    right.set_ylabel(f"log10(queries of tolerance {tau:g})")
    fig.suptitle("correlational SQ lower bound D(tau^2 - gamma)/2 vs information", fontsize=10)
    save_figure(fig, path)
    plt.close(fig)


def _cmd_table(args, out):
    rows = table_rows(args.n, args.k, args.tau, args.family_bound)
    _write(_render(rows, TABLE_HEADER, args), args, out)
    if args.plot:
        _plot_table(rows, args.plot, args.tau)


# -------------------------------------------------------------------------------------- fit


def _cmd_fit(args, out):
    from sq_bounds import fit_exponent

    rows = []
    cap = None if args.uncapped else "dim"
    for k in args.k:
        f = fit_exponent(
            args.n,
            k,
            tau=None if args.tau_exponent is not None else args.tau,
            tau_exponent=args.tau_exponent,
            max_family_size=cap,
        )
        rows.append(
            {
                "k": k,
                "slope": f.slope,
                "log10_intercept": f.log10_intercept,
                "last_local_slope": f.local_slopes[-1] if f.local_slopes else None,
                "points": sum(q is not None and q > 0 for q in f.log10_queries),
            }
        )
    header = ["k", "slope", "log10_intercept", "last_local_slope", "points"]
    _write(_render(rows, header, args), args, out)


# --------------------------------------------------------------------------------------- gd


def _cmd_gd(args, out):
    import numpy as np

    from harmonics._infra.checks import check_dimension, check_int
    from sq_bounds import LegendreTarget, oracle_gradient_descent, population_gradient_descent

    n = check_dimension(args.n, "--n")
    if n > 10**7:
        raise ValueError(f"--n must be <= 10^7 here (width x n hidden weights), got {n}")
    rng = np.random.default_rng(check_int(args.seed, "--seed", 0))
    u = rng.standard_normal(n)
    rows = []
    runs = []
    common = {
        "width": args.width,
        "steps": args.steps,
        "activation": args.activation,
        "scale": args.scale,
        "bias": args.bias,
        "rng": args.seed + 1,
    }
    for k in args.degrees:
        target = LegendreTarget(u, k)
        pop = population_gradient_descent(target, **common)
        orc = oracle_gradient_descent(target, tau=args.tau, adversary=args.adversary, **common)
        runs.append((k, pop, orc))
        rows.append(
            {
                "k": k,
                "correlation_scale": pop.correlation_scale,
                "tau": args.tau,
                "population_error": pop.final_error,
                "oracle_best_error": orc.best_error,
                "oracle_final_error": orc.final_error,
                "queries": orc.num_queries,
                "weights_moved": "yes" if orc.moved else "no",
            }
        )
    header = [
        "k",
        "correlation_scale",
        "tau",
        "population_error",
        "oracle_best_error",
        "oracle_final_error",
        "queries",
        "weights_moved",
    ]
    _write(_render(rows, header, args), args, out)
    if args.plot:
        from harmonics._infra.figures import new_axes, save_figure

        fig, ax = new_axes()
        for i, (k, pop, orc) in enumerate(runs):
            c = f"C{i % 10}"
            ax.plot(pop.relative_errors, "-", color=c, label=f"k={k} population GD")
            ax.plot(orc.relative_errors, "--", color=c, label=f"k={k} oracle GD")
        ax.set_xlabel("step")
        ax.set_ylabel("relative error ||f* - f_a||^2 / ||f*||^2")
        ax.set_title(f"GD through a tau = {args.tau:g} SQ oracle ({args.adversary}), n = {args.n}")
        ax.legend(fontsize=7, ncol=2)
        save_figure(fig, args.plot)
        import matplotlib.pyplot as plt

        plt.close(fig)


# ----------------------------------------------------------------------------------- parser


def build_parser(prog: str = "python -m sq_bounds") -> argparse.ArgumentParser:
    parser, add = command_parser(
        prog,
        "Statistical-query lower bounds for degree-k polynomials on S^{n-1} "
        "(uniform probability measure, P_{k,n}(1) = 1; Vempala & Wilmes 2019).",
        EXAMPLES,
        library="sq_bounds",
    )

    def add_table_command(name, help_text):
        p = add(name, help_text, formats=True)
        p.add_argument(
            "--output", "-o", metavar="FILE", help="deprecated: use --json PATH / --csv PATH"
        )
        return p

    p = add_table_command(
        "table", "log10 SQ lower bound vs information-theoretic bound over n and k"
    )
    p.add_argument("--n", type=int, nargs="+", required=True, help="dimensions n >= 2")
    p.add_argument("--k", type=int, nargs="+", required=True, help="degrees k >= 1")
    p.add_argument("--tau", type=float, required=True, help="query tolerance in (0, 1)")
    p.add_argument(
        "--family-bound",
        default="best",
        choices=["best", "gv", "random", "basis"],
        help="analytic family-size bound (default: best of all)",
    )
    p.add_argument("--plot", metavar="PNG", help="also draw the table to this image")
    p.set_defaults(func=_cmd_table)

    p = add_table_command(
        "fit", "fit the exponent of n in the SQ lower bound (slope of log10 Q vs log10 n)"
    )
    p.add_argument("--n", type=int, nargs="+", required=True)
    p.add_argument("--k", type=int, nargs="+", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--tau", type=float, help="fixed tolerance")
    g.add_argument("--tau-exponent", type=float, help="tolerance tau = n^-s")
    p.add_argument(
        "--uncapped",
        action="store_true",
        help="do not cap the class at N(n,k) functions (bound becomes superpolynomial)",
    )
    p.set_defaults(func=_cmd_fit)

    p = add_table_command(
        "gd", "output-layer GD through a tolerance-tau SQ oracle vs population GD"
    )
    p.add_argument("--n", type=int, default=4)
    p.add_argument("--degrees", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--tau", type=float, default=0.05)
    p.add_argument("--adversary", default="zero", choices=["zero", "random"])
    p.add_argument("--width", type=int, default=200)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--activation", default="erf")
    p.add_argument("--scale", type=float, default=3.0)
    p.add_argument("--bias", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", metavar="PNG", help="relative error vs step")
    p.set_defaults(func=_cmd_gd)
    return parser


def main(argv=None, out=None, *, prog: str = "python -m sq_bounds") -> int:
    return run_command(build_parser(prog), argv, out)
