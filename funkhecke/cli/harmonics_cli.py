"""Command line: ``python -m harmonics {eigenvalues,expand,legendre,dim} ...``."""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys

import numpy as np

from harmonics import ACTIVATION_ALIASES, REGISTERED_ACTIVATIONS
from harmonics._infra.jsonio import json_dumps

from ._base import command_parser, emit, json_document, run_command

EXAMPLES = """examples:
  python -m harmonics eigenvalues relu --n 10 --kmax 20
  python -m harmonics eigenvalues tanh --n 100 --kmax 30 --log --json
  python -m harmonics eigenvalues relu --n 3 --kmax 8 --shift 0.3 --csv
  python -m harmonics eigenvalues polynomial --coeffs 0 1 0 -0.5 --n 5 --kmax 4
  python -m harmonics expand sigmoid --n 10 --kmax 12 --plot sigmoid.png
  python -m harmonics legendre --k 4 --n 3 --t -1 0 0.5 1
  python -m harmonics dim --n 100 --k 6
"""


def _add_activation_args(p):
    p.add_argument(
        "activation",
        help=f"registered name: {', '.join(REGISTERED_ACTIVATIONS)} (aliases: "
        + ", ".join(f"{a} = {name}" for name, al in ACTIVATION_ALIASES.items() for a in al)
        + ")",
    )
    p.add_argument("--n", type=int, required=True, help="ambient dimension (sphere S^{n-1})")
    p.add_argument("--kmax", type=int, required=True, help="highest degree")
    p.add_argument("--scale", type=float, default=1.0, help="gate phi(scale*t + shift)")
    p.add_argument(
        "--shift", type=float, default=0.0, help="fixed shift of the gate phi(scale*t + shift)"
    )
    # Deprecated alias of --shift: in gd_operator --bias is the spread beta of random biases.
    p.add_argument("--bias", type=float, default=None, dest="_bias", help=argparse.SUPPRESS)
    p.add_argument("--power", type=int, default=None, help="exponent p of relu^p")
    p.add_argument(
        "--negative-slope",
        type=float,
        default=None,
        help="slope a of leaky_relu / lower level of leaky_step (default 0.01)",
    )
    p.add_argument(
        "--coeffs",
        type=float,
        nargs="+",
        default=None,
        help="polynomial coefficients a0 a1 ... (ascending)",
    )


def _params(args):
    if args._bias is not None:
        sys.stderr.write(
            "warning: --bias is deprecated, use --shift (a fixed shift phi(scale*t + shift); "
            "gd_operator's --bias is the spread of random biases)\n"
        )
        if args.shift != 0.0:
            raise ValueError("give --shift only (--bias is its deprecated alias)")
        args.shift, args._bias = args._bias, None
    return {
        "scale": args.scale,
        "bias": args.shift,
        "power": args.power,
        "coeffs": args.coeffs,
        "negative_slope": args.negative_slope,
    }


def _emit(rows, header, args, out):
    if args.json is not None:
        rows = [dict(zip(header, r, strict=True)) for r in rows]
        emit(json_dumps(json_document(args, rows=rows), indent=1) + "\n", args.json, out)
    elif args.csv is not None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        emit(buf.getvalue(), args.csv, out)
    else:
        widths = [max(len(h), 12) for h in header]
        out.write("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)) + "\n")
        for r in rows:
            cells = [(f"{x:.10g}" if isinstance(x, float) else str(x)) for x in r]
            out.write("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + "\n")


def _cmd_eigenvalues(args, out):
    from harmonics import dim_harmonics, funk_hecke_eigenvalues

    sign, log_abs = funk_hecke_eigenvalues(
        args.activation, args.n, args.kmax, log=True, **_params(args)
    )
    rows = []
    for k in range(args.kmax + 1):
        lam = float(sign[k] * math.exp(log_abs[k])) if sign[k] != 0 else 0.0
        log10 = float(log_abs[k] / math.log(10)) if sign[k] != 0 else None
        row = [k, dim_harmonics(args.n, k), lam]
        if args.log:
            row += [int(sign[k]), log10]
        rows.append(row)
    header = ["k", "N(n,k)", "lambda_k"] + (["sign", "log10|lambda_k|"] if args.log else [])
    _emit(rows, header, args, out)


def _cmd_expand(args, out):
    from harmonics import expand

    e = expand(args.activation, args.n, args.kmax, **_params(args))
    rows = [
        [k, float(e.eigenvalues[k]), float(e.energies[k]), float(e.cumulative_energy_fraction[k])]
        for k in range(args.kmax + 1)
    ]
    _emit(rows, ["k", "lambda_k", "energy_k", "cumulative_fraction"], args, out)
    if args.plot:
        from harmonics._infra.figures import save_figure

        ax = e.plot(kind="eigenvalues")
        ax.set_title(f"Funk-Hecke eigenvalues of {args.activation}, n = {args.n}")
        save_figure(ax.figure, args.plot, formats=["svg"] if args.svg else None)


def _cmd_legendre(args, out):
    from harmonics import legendre

    t = np.asarray(args.t, dtype=float)
    vals = np.atleast_1d(legendre(args.n, args.k, t))
    _emit(
        [[float(a), float(b)] for a, b in zip(t, vals, strict=True)],
        ["t", f"P_{args.k},{args.n}(t)"],
        args,
        out,
    )


def _cmd_dim(args, out):
    from harmonics import dim_harmonics

    _emit([[k, dim_harmonics(args.n, k)] for k in args.k], ["k", "N(n,k)"], args, out)


def build_parser(prog: str = "python -m harmonics") -> argparse.ArgumentParser:
    parser, add = command_parser(
        prog,
        "Legendre polynomials of any dimension and Funk-Hecke eigenvalues "
        "(uniform probability measure on S^{n-1}, P_{k,n}(1) = 1).",
        EXAMPLES,
        library="harmonics",
    )

    p = add(
        "eigenvalues", "table of lambda_k(phi) = E[phi(t) P_{k,n}(t)], k = 0..kmax", formats=True
    )
    _add_activation_args(p)
    p.add_argument(
        "--log",
        action="store_true",
        help="add sign and log10|lambda_k| columns "
        "(values below 1e-308 are shown as 0 in the plain column)",
    )
    p.set_defaults(func=_cmd_eigenvalues)

    p = add(
        "expand",
        "Gegenbauer expansion: eigenvalues, energies, cumulative energy fraction",
        formats=True,
    )
    _add_activation_args(p)
    p.add_argument("--plot", metavar="PNG", help="write a plot of |lambda_k| vs k")
    p.add_argument("--svg", action="store_true", help="also write an SVG next to --plot")
    p.set_defaults(func=_cmd_expand)

    p = add("legendre", "values of P_{k,n}(t)", formats=True)
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--t", type=float, nargs="+", required=True)
    p.set_defaults(func=_cmd_legendre)

    p = add("dim", "N(n,k) = dim H_k (exact integers)", formats=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--k", type=int, nargs="+", required=True)
    p.set_defaults(func=_cmd_dim)
    return parser


def main(argv=None, out=None, *, prog: str = "python -m harmonics") -> int:
    return run_command(build_parser(prog), argv, out)
