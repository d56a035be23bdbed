"""Command line: ``python -m gd_operator spectrum ...`` (more commands register themselves).

Other modules add subcommands through :data:`COMMANDS`: a list of callables
``register(subparsers, add)`` where ``add(name, help)`` creates a subparser with the shared
``--debug`` flag; each subparser sets ``func(args, out)``.
"""

from __future__ import annotations

import argparse
import csv
import io
import math

import numpy as np

from harmonics import ACTIVATION_ALIASES, REGISTERED_ACTIVATIONS
from harmonics._infra.jsonio import json_dumps

from ._base import add_format_options, command_parser, emit, json_document, run_command

EXAMPLES = """examples:
  python -m gd_operator demo                      # reduced VW / Cao / Basri reproductions
  python -m gd_operator demo --out results/
  python -m gd_operator spectral-bias --setup basri --full
  python -m gd_operator spectrum relu --n 10 --kmax 12 --train both --init gaussian
  python -m gd_operator spectrum relu --n 2 --kmax 10 --train hidden          # Basri et al.
  python -m gd_operator spectrum relu --n 10 --kmax 20 --train both --init gaussian --bias 0.5
  python -m gd_operator spectrum tanh --n 100 --kmax 30 --init gaussian --json
  python -m gd_operator spectrum relu --n 10 --kmax 40 --train both --plot relu_ntk.png
  python -m gd_operator spectrum relu --n 100 --kmax 200 --depth 5 --train both   # deep NTK
  python -m gd_operator spectrum erf --n 10 --kmax 50 --depth 3 --weight-var 2 --bias 0.1 --log
  python -m gd_operator learning-curve relu --n 20 50 100 --out staircase/   # the staircase
"""

# Subcommand registrars (see the module docstring); spectrum is built in.
COMMANDS: list = []


def _format_from_log(log_mu: float) -> str:
    """mu = 10^x printed as mantissa e exponent, also far below the float64 range."""
    if not math.isfinite(log_mu):
        return "0"
    x = log_mu / math.log(10)
    e = math.floor(x)
    mant = 10 ** (x - e)
    if mant >= 9.9999995:  # rounding of the mantissa
        mant, e = 1.0, e + 1
    return f"{mant:.6f}e{e:+03d}"


def _format_int(d: int) -> str:
    """Exact int up to 15 digits, else d.dddddde+XX from its decimal digits (any size)."""
    s = str(d)
    if len(s) <= 15:
        return s
    exp = len(s) - 1
    lead = (int(s[:8]) + 5) // 10  # 7 significant digits, rounded half up
    if lead >= 10**7:  # carry, e.g. 9999999.7 -> 1.000000e+(exp+1)
        lead //= 10
        exp += 1
    t = str(lead)
    return f"{t[0]}.{t[1:]}e+{exp:02d}"


def _cmd_spectrum(args, out):
    from gd_operator import spectrum
    from harmonics import dim_harmonics

    coeffs = args.coeffs
    if args.init is None:  # deep kernels are defined for Gaussian weights in every layer
        args.init = "sphere" if args.depth == 1 and args.weight_var == 1.0 else "gaussian"
    sign, log_mu = spectrum(
        args.activation,
        args.n,
        args.kmax,
        train=args.train,
        init=args.init,
        bias=args.bias,
        method=args.method,
        power=args.power,
        coeffs=coeffs,
        scale=args.scale,
        log=True,
        depth=args.depth,
        weight_var=args.weight_var,
    )
    ks = list(range(args.kmax + 1))
    dims = [dim_harmonics(args.n, k) for k in ks]
    with np.errstate(under="ignore"):
        mu = [float(math.exp(v)) if math.isfinite(v) else 0.0 for v in log_mu]
    log10 = [float(v / math.log(10)) if math.isfinite(v) else None for v in log_mu]
    convention = (
        "mu_k = E_{t~nu_n}[K(t) P_{k,n}(t)], uniform probability measure, "
        "P_{k,n}(1) = 1; K(t) = sum_k N(n,k) mu_k P_{k,n}(t)"
    )
    if args.json is not None:
        result = {"convention": convention, "k": ks, "multiplicity": dims, "mu": mu}
        doc = json_document(args, result=dict(result, log10_mu=log10))
        emit(json_dumps(doc, indent=1) + "\n", args.json, out)
    elif args.csv is not None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["k", "N(n,k)", "mu_k", "log10_mu_k"])
        for row in zip(ks, dims, mu, log10, strict=True):
            w.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row])
        emit(buf.getvalue(), args.csv, out)
    else:
        bias = "none" if not args.bias else f"N(0, {args.bias:g}^2)"
        deep = ""
        if args.depth != 1 or args.weight_var != 1.0:
            deep = f"depth={args.depth}, weight_var={args.weight_var:g}, "
        out.write(
            f"# {args.activation}: train={args.train}, init={args.init}, bias={bias}, {deep}"
            f"n={args.n}  (eigenvalue mu_k on H_k, multiplicity N(n,k))\n"
        )
        dcol = [_format_int(d) for d in dims]
        width = max(12, max(len(c) for c in dcol))
        if args.log:  # log10 mu_k only
            out.write(f"{'k':>4}  {'N(n,k)':>{width}}  {'log10 mu_k':>19}\n")
            for k, d, l10 in zip(ks, dcol, log10, strict=True):
                l10s = "-inf" if l10 is None else f"{l10:.15f}"
                out.write(f"{k:>4}  {d:>{width}}  {l10s:>19}\n")
        else:
            out.write(f"{'k':>4}  {'N(n,k)':>{width}}  {'mu_k':>15}  {'log10 mu_k':>11}\n")
            for k, d, lm, l10 in zip(ks, dcol, log_mu, log10, strict=True):
                l10s = "-inf" if l10 is None else f"{l10:.6f}"
                out.write(f"{k:>4}  {d:>{width}}  {_format_from_log(lm):>15}  {l10s:>11}\n")
    if args.plot:
        _plot_spectrum(args, ks, log10)


def _plot_spectrum(args, ks, log10):
    from harmonics._infra.extras import require
    from harmonics._infra.figures import new_axes, save_figure

    require("matplotlib", "plot", "--plot").use("Agg", force=False)

    fig, ax = new_axes()
    k = np.array(ks)
    y = np.array([np.nan if v is None else v for v in log10])
    live = np.isfinite(y)
    ax.plot(k[live], y[live], "o-", ms=3, label=rf"$\mu_k$ ({args.train}, {args.init})")
    ref_k = next((kk for kk in ks if kk >= 1 and live[kk]), None)
    if ref_k is not None:
        ref = y[ref_k] - (k - ref_k) * math.log10(args.n)
        ax.plot(k, ref, ":", color="gray", label=rf"slope $n^{{-k}}$ (n = {args.n})")
    ax.set_ylim(np.nanmin(y[live]) - 1, np.nanmax(y[live]) + 1)
    ax.set_xlabel("degree k")
    ax.set_ylabel(r"$\log_{10}\mu_k$ (zeros omitted)")
    ax.set_title(f"GD kernel spectrum: {args.activation}, n = {args.n}")
    ax.legend()
    save_figure(fig, args.plot)


def _add_spectrum(add):
    p = add("spectrum", "table of kernel eigenvalues mu_k, k = 0..kmax")
    p.add_argument(
        "activation",
        help=f"registered name: {', '.join(REGISTERED_ACTIVATIONS)} (aliases: "
        + ", ".join(f"{a} = {name}" for name, al in ACTIVATION_ALIASES.items() for a in al)
        + ")",
    )
    p.add_argument("--n", type=int, required=True, help="ambient dimension (sphere S^{n-1})")
    p.add_argument("--kmax", type=int, default=10, help="highest degree (default 10)")
    p.add_argument(
        "--train",
        choices=("output", "hidden", "both"),
        default="output",
        help="trained layer(s): output = random features, both = NTK",
    )
    p.add_argument(
        "--init",
        choices=("sphere", "gaussian"),
        default=None,
        help="hidden weights uniform on the sphere or N(0, I_n) (default: sphere at depth 1 "
        "with weight variance 1, gaussian otherwise)",
    )
    p.add_argument(
        "--depth", type=int, default=1, help="hidden layers L (deep NNGP/NTK; default 1)"
    )
    p.add_argument(
        "--weight-var",
        type=float,
        default=1.0,
        help="weight variance sigma_w^2 of every layer (default 1)",
    )
    p.add_argument(
        "--bias", type=float, default=None, help="bias std beta: b ~ N(0, beta^2) (gaussian init)"
    )
    p.add_argument("--method", choices=("auto", "closed", "mehler", "radial"), default="auto")
    p.add_argument("--power", type=int, default=None, help="exponent p of relu^p")
    p.add_argument(
        "--coeffs",
        type=float,
        nargs="+",
        default=None,
        help="polynomial coefficients a0 a1 ... (ascending)",
    )
    p.add_argument("--scale", type=float, default=1.0, help="gate phi(scale * t)")
    p.add_argument(
        "--log",
        action="store_true",
        help="table of log10 mu_k only, 15 decimals (values below 1e-308 are exact either way)",
    )
    add_format_options(p)
    p.add_argument("--plot", metavar="PNG", help="plot log10 mu_k vs k with the n^-k slope")
    p.set_defaults(func=_cmd_spectrum)


def build_parser(prog: str = "python -m gd_operator", groups=None) -> argparse.ArgumentParser:
    """The GD commands; ``groups`` ({name: help}) lists command groups dispatched elsewhere
    (the ``funkhecke`` program's ``harmonics`` and ``sq``), shown in ``--help`` only."""
    description = (
        "Spectra of gradient descent on one-hidden-layer networks on S^{n-1} "
        "(uniform probability measure, P_{k,n}(1) = 1)."
    )
    examples = EXAMPLES
    if groups:
        description = (
            "funkhecke: spherical harmonics, Funk-Hecke eigenvalues, gradient descent as an "
            "operator and SQ lower bounds on S^{n-1} (uniform probability measure, "
            "P_{k,n}(1) = 1)."
        )
        examples = EXAMPLES.replace("python -m gd_operator", "funkhecke") + (
            "  funkhecke harmonics eigenvalues relu --n 10 --kmax 20\n"
            "  funkhecke sq table --n 10 100 1000 --k 1 2 3 --tau 0.1\n"
        )
    parser, add = command_parser(prog, description, examples, library="gd_operator")
    sub = parser.subcommands
    for name, help_text in (groups or {}).items():
        sub.add_parser(name, help=f"{help_text} (funkhecke {name} --help)")
    _add_spectrum(add)
    for register in [*_builtin_commands(), *COMMANDS]:
        register(sub, add)
    return parser


def _builtin_commands():
    """Registrars of the simulation-based subcommands (imported only when the CLI runs)."""
    from .. import demo
    from ..sweeps import driver
    from . import beyond_kernels_cli, learning_curve_cli

    return [
        demo.register,
        driver.register,
        beyond_kernels_cli.register,
        learning_curve_cli.register,
    ]


def main(argv=None, out=None, *, prog: str = "python -m gd_operator", groups=None) -> int:
    return run_command(build_parser(prog, groups), argv, out)
