"""``python -m gd_operator beyond-kernels``: the feature-learning vs kernel-floor reproductions.

Registered in funkhecke.cli.gd_operator_cli (so also ``funkhecke beyond-kernels``).
"""

from __future__ import annotations

EXAMPLES = """examples:
  python -m gd_operator beyond-kernels --setup lmz --out results/lmz          # ~5 s
  python -m gd_operator beyond-kernels --setup single-index --out results/si  # ~15 s
  python -m gd_operator beyond-kernels --setup staircase --out results/st     # ~10 s
  python -m gd_operator beyond-kernels --setup lmz --full --out results/lmz   # d to 128, ~21 min
  python -m gd_operator beyond-kernels --setup single-index --full --out results/si  # ~8 min
  python -m gd_operator beyond-kernels --setup staircase --full --out results/st     # ~40 s

Each run writes DIR/<setup>.json (rows of measured vs predicted, fitted exponents, the paper's
setup and what is reduced), DIR/<setup>.csv and DIR/<setup>.png; finished units are kept in
DIR/units/ and reused when the same command is run again (resume after Ctrl-C, exit 130).
"""


def register(subparsers, add):
    """Add the ``beyond-kernels`` subcommand."""
    p = add(
        "beyond-kernels",
        "feature-learning networks vs the exact kernel floor: Li-Ma-Zhang a^T|W*x|, "
        "single-index escape times (Ben Arous et al.), staircase (Abbe et al.)",
    )
    p.epilog = EXAMPLES
    p.add_argument(
        "--setup",
        required=True,
        choices=["lmz", "single-index", "staircase"],
        help="lmz: Li, Ma & Zhang 2020; single-index: Ben Arous, Gheissari & Jagannath 2021; "
        "staircase: Abbe et al. 2022/2023",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="the largest sizes we ran (tens of minutes; see the JSON's 'reduced' field)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: a new funkhecke-beyond-kernels-<setup>-<time> folder)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_beyond_kernels)


def _cmd_beyond_kernels(args, out):
    import os
    import sys

    from funkhecke.demo import default_out_dir
    from funkhecke.reproductions.beyond_kernels import reproduce

    dest = args.out or default_out_dir(f"funkhecke-beyond-kernels-{args.setup}")
    try:
        os.makedirs(os.path.join(dest, "units"), exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {dest!r}: cannot create the output folder ({exc})") from None
    quiet = getattr(args, "quiet", False)
    try:
        res = reproduce(
            args.setup,
            full=args.full,
            out=dest,
            progress=not args.no_progress,
            echo=None if quiet else (lambda s: out.write(s + "\n")),
        )
    except KeyboardInterrupt:
        stem = os.path.join(dest, args.setup.replace("-", "_"))
        sys.stderr.write(
            f"interrupted: partial result (finished units only, 'partial': true) in "
            f"{stem}.json; run the same command again to resume\n"
        )
        raise
    if not quiet:
        for name, fit in res.fits.items():
            out.write(f"fit {name}: {fit}\n")
        out.write(f"wrote {dest}\n")
