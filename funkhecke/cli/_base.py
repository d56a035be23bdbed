"""Shared skeleton of the three command lines (python -m harmonics | gd_operator | sq_bounds).

Every CLI has the same shape: subcommands with ``--help`` showing the examples, a ``--debug``
flag accepted before or after the subcommand, ``--json [PATH]`` / ``--csv [PATH]`` output (to
stdout, or written atomically to PATH; see :func:`emit`), errors reported as one line on stderr
(exit code 2) unless ``--debug`` asks for the traceback, and Ctrl-C ending the command with exit
code 130.
"""

from __future__ import annotations

import argparse
import sys

_DEBUG_HELP = "show full tracebacks on errors"


def command_parser(prog: str, description: str, examples: str):
    """Return ``(parser, add)``; ``add(name, help_text, formats=False)`` adds a subcommand
    (with ``--json``/``--csv`` when ``formats``) and returns its parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str, *, formats: bool = False):
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=examples,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if formats:
            add_format_options(p)
        # SUPPRESS: a --debug given before the subcommand is not reset by the subparser
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
        return p

    parser.subcommands = sub  # for registrars that add their own subcommands
    return parser, add


def add_format_options(p) -> None:
    """``--json [PATH]`` and ``--csv [PATH]`` (mutually exclusive): without PATH to stdout."""
    fmt = p.add_mutually_exclusive_group()
    for flag, what in (("--json", "JSON"), ("--csv", "CSV")):
        fmt.add_argument(
            flag,
            nargs="?",
            const="-",
            default=None,
            metavar="PATH",
            help=f"{what} to stdout, or to PATH (written atomically)",
        )


def emit(text: str, dest, out) -> None:
    """Write ``text`` to ``out`` when ``dest`` is None or "-", else atomically to ``dest``."""
    if dest is None or dest == "-":
        out.write(text)
        return
    from harmonics._infra.jsonio import atomic_write_text

    atomic_write_text(dest, text)


def run_command(parser: argparse.ArgumentParser, argv=None, out=None) -> int:
    """Parse ``argv`` and run ``args.func(args, out)``; 0 on success, 2 on a reported error.

    Output is streamed (long jobs such as the demo report progress as they go).
    """
    args = parser.parse_args(argv)
    out = sys.stdout if out is None else out
    if args.command is None:
        parser.print_help(out)
        return 0
    try:
        args.func(args, out)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:  # one clear line unless --debug
        if getattr(args, "debug", False):
            raise
        text = str(exc).strip()
        msg = text.splitlines()[0] if text else type(exc).__name__
        sys.stderr.write(f"error: {msg}\n")
        return 2
    return 0
