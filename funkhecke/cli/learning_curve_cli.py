"""``python -m gd_operator learning-curve``: the staircase and the theory-vs-simulation table.

Runs :func:`funkhecke.reproductions.staircase.staircase_reproduction` (default) or, with
``--compare``, :func:`funkhecke.reproductions.staircase.theory_vs_simulation`; prints the table
of simulated vs predicted test errors (or, with ``--no-simulation``, the plateau / SQ / VW
exponents), ``--json`` / ``--csv`` for the table, ``--out DIR`` for the JSON, CSVs and PNG
(written atomically).  A progress bar shows the simulation's ETA; Ctrl-C writes the finished
rows (marked partial) and exits with code 130.
"""

from __future__ import annotations

import csv
import io

from harmonics._infra.jsonio import json_dumps

from ._base import add_format_options, emit, json_document

EXAMPLES = """examples:
  python -m gd_operator learning-curve relu --n 20 50 100 --out staircase/
  python -m gd_operator learning-curve relu --n 20 50 100 --no-simulation --csv
  python -m gd_operator learning-curve relu --n 20 --degrees 1 2 --seeds 2 --max-points 500
  python -m gd_operator learning-curve relu --compare --n 5 10 25 100 --out compare/
"""


def register(subparsers, add):
    p = add(
        "learning-curve",
        "kernel-regression learning curves: the staircase (test error vs log P / log n, theory "
        "and simulated KRR, plateaus at N(n, <= l), SQ and VW marks) or, with --compare, the "
        "theory-vs-simulation table",
    )
    p.epilog = EXAMPLES
    p.add_argument("activation", nargs="?", default="relu", help="gate (default relu)")
    p.add_argument("--n", type=int, nargs="+", default=None, help="dimensions (default 20 50 100)")
    p.add_argument("--degrees", type=int, nargs="+", default=[1, 2, 3], help="target degrees")
    p.add_argument("--train", choices=["output", "hidden", "both"], default="both")
    p.add_argument("--init", choices=["sphere", "gaussian"], default="gaussian")
    p.add_argument("--ridge", type=float, default=1e-3, help="ridge (unnormalized Gram)")
    p.add_argument("--noise", type=float, default=0.0, help="label-noise variance")
    p.add_argument("--seeds", type=int, default=3, help="simulation seeds per P")
    p.add_argument("--samples-per-n", type=int, default=7, help="simulated P values per n")
    p.add_argument("--max-points", type=int, default=2000, help="largest simulated P")
    p.add_argument("--tau", type=float, default=0.05, help="SQ tolerance")
    p.add_argument("--eps", type=float, default=0.1, help="VW excess error")
    p.add_argument("--rng", type=int, default=0, help="seed")
    p.add_argument("--no-simulation", action="store_true", help="theory and bounds only")
    p.add_argument(
        "--compare",
        action="store_true",
        help="theory vs simulation over P = 10..3000 (ReLU NTK, ReLU RF, erf NTK; --n default "
        "5 10 25 100)",
    )
    p.add_argument("--out", metavar="DIR", help="write JSON, CSVs and PNG here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_format_options(p)
    p.set_defaults(func=_cmd_learning_curve)


def _table(rows) -> str:
    if not rows:
        return "(no rows)\n"
    keys = list(rows[0])
    width = [max(len(k), 10) for k in keys]
    lines = ["  ".join(k.rjust(w) for k, w in zip(keys, width, strict=True))]
    for r in rows:
        cells = []
        for k in keys:
            v = r[k]
            cells.append("-" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v))
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, width, strict=True)))
    return "\n".join(lines) + "\n"


def _bounds_rows(rep) -> list:
    rows = []
    for label, c in rep.curves.items():
        for ell, px, sx, vx in zip(
            rep.setup["degrees"],
            list(c["plateau_exponents"]),
            c["sq_exponents"],
            c["vw_exponents"],
            strict=False,
        ):
            rows.append(
                dict(
                    n=int(label.split("=")[1]),
                    degree=ell,
                    plateau_exponent=float(px),
                    sq_exponent=sx,
                    vw_width_exponent=vx,
                )
            )
    return rows


def _cmd_learning_curve(args, out):
    from ..reproductions.staircase import staircase_reproduction, theory_vs_simulation

    progress = not args.no_progress
    # name the flags (the library's messages name its parameters, n_values / degrees)
    for flag, values, low in (("--n", args.n or (), 2), ("--degrees", args.degrees, 0)):
        bad = [v for v in values if v < low]
        if bad:
            raise ValueError(f"{flag}: every value must be an integer >= {low}, got {bad[0]}")
    if args.compare:
        rep = theory_vs_simulation(
            n_values=tuple(args.n or (5, 10, 25, 100)),
            degrees=tuple(args.degrees),
            ridge=args.ridge,
            noise=args.noise,
            seeds=args.seeds,
            rng=args.rng,
            progress=progress,
            out=args.out,
            plot=args.out is not None,
        )
        rows = rep.rows
    else:
        rep = staircase_reproduction(
            args.activation,
            tuple(args.n or (20, 50, 100)),
            tuple(args.degrees),
            train=args.train,
            init=args.init,
            ridge=args.ridge,
            noise=args.noise,
            simulate=not args.no_simulation,
            seeds=args.seeds,
            samples_per_n=args.samples_per_n,
            max_points=args.max_points,
            tau=args.tau,
            eps=args.eps,
            rng=args.rng,
            progress=progress,
            out=args.out,
            plot=args.out is not None,
        )
        rows = rep.rows if rep.rows else _bounds_rows(rep)
    if args.json is not None:
        doc = json_document(args, rows=rows)  # the summary and setup: --out DIR's JSON
        emit(json_dumps(doc, indent=1) + "\n", args.json, out)
        return
    if args.csv is not None:
        buf = io.StringIO()
        if rows:
            w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        emit(buf.getvalue(), args.csv, out)
        return
    out.write(_table(rows))
    summ = {k: v for k, v in rep.summary.items() if k != "elapsed"}
    out.write(
        "summary: "
        + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in summ.items())
        + "\n"
    )
    if args.out:
        out.write(f"wrote {args.out}\n")
