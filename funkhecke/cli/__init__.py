"""The command lines of funkhecke: one ``funkhecke`` program, and the per-library entry points.

``funkhecke`` takes the gradient-descent commands directly (``demo``, ``spectral-bias``,
``spectrum``, ``sweep``) and the two other libraries as groups: ``funkhecke harmonics
eigenvalues ...`` and ``funkhecke sq table ...``.  ``python -m harmonics``, ``python -m
gd_operator`` and ``python -m sq_bounds`` run the same commands (their ``__main__`` modules call
:func:`harmonics_main`, :func:`gd_operator_main` and :func:`sq_bounds_main`).
"""

from __future__ import annotations

import sys

GROUPS = {
    "harmonics": "Legendre polynomials, Funk-Hecke eigenvalues, expansions, N(n,k)",
    "sq": "statistical-query lower bounds (table, fit, gd)",
}


def harmonics_main(argv=None, out=None, *, prog: str = "python -m harmonics") -> int:
    from . import harmonics_cli

    return harmonics_cli.main(argv, out, prog=prog)


def sq_bounds_main(argv=None, out=None, *, prog: str = "python -m sq_bounds") -> int:
    from . import sq_bounds_cli

    return sq_bounds_cli.main(argv, out, prog=prog)


def gd_operator_main(argv=None, out=None, *, prog: str = "python -m gd_operator", groups=None):
    from . import gd_operator_cli

    return gd_operator_cli.main(argv, out, prog=prog, groups=groups)


def main(argv=None, out=None) -> int:
    """``funkhecke [--debug] COMMAND ...``: the GD commands, or a group ``harmonics`` / ``sq``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    first = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if first is not None and argv[first] in GROUPS:
        rest = argv[:first] + argv[first + 1 :]
        group = argv[first]
        run = harmonics_main if group == "harmonics" else sq_bounds_main
        return run(rest, out, prog=f"funkhecke {group}")
    return gd_operator_main(argv, out, prog="funkhecke", groups=GROUPS)
