"""Shared skeleton of the three command lines (python -m harmonics | gd_operator | sq_bounds).

Every CLI has the same shape: subcommands with ``--help`` showing the examples; ``--debug``,
``--quiet`` and ``--version`` accepted before or after the subcommand; ``--json [PATH]`` /
``--csv [PATH]`` output (to stdout, or written atomically to PATH; see :func:`emit`), the JSON
being one document (:func:`json_document`: version, command, inputs, then the rows or result);
errors reported as one line on stderr (exit code 2) unless ``--debug`` asks for the traceback,
with "did you mean" for a mistyped choice, subcommand or activation name; and Ctrl-C ending the
command with exit code 130.

``--quiet``: no progress bars and no status chatter; the results (tables, JSON, CSV, files) are
still printed or written, and warnings and errors still go to stderr.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys

from funkhecke import __version__

_DEBUG_HELP = "show full tracebacks on errors"
_QUIET_HELP = "no progress bars or status messages (results are still printed/written)"
VERSION = f"funkhecke {__version__}"

# Attributes of the parsed arguments that say how to run or where to write, not what to compute.
_NOT_INPUTS = {"func", "command", "debug", "quiet", "json", "csv", "output", "plot", "svg"}


def did_you_mean(word, choices) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` (difflib), or ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Parser(argparse.ArgumentParser):
    """argparse with a "did you mean" for an invalid choice (a subcommand or a --flag value)."""

    def _check_value(self, action, value):
        if action.choices is not None and value not in action.choices:
            hint = did_you_mean(value, action.choices)
            known = ", ".join(repr(c) for c in action.choices)
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r}{hint}; choose from {known}"
            )
        return super()._check_value(action, value)


def _common_options(p, *, sub: bool) -> None:
    # In subparsers SUPPRESS: a flag given before the subcommand is not reset by the subparser.
    default = argparse.SUPPRESS if sub else False
    p.add_argument("--debug", action="store_true", default=default, help=_DEBUG_HELP)
    p.add_argument("--quiet", "-q", action="store_true", default=default, help=_QUIET_HELP)
    p.add_argument("--version", action="version", version=VERSION, help="print the version")


def json_document(args, **payload) -> dict:
    """The one JSON layout of every ``--json``: ``{"funkhecke_version", "command", "inputs",
    **payload}`` where inputs are the parsed arguments the command computed from and payload is
    ``rows=[...]`` (tables) or ``result={...}``."""
    inputs = {
        k: v
        for k, v in vars(args).items()
        if k not in _NOT_INPUTS and not k.startswith("_") and not callable(v)
    }
    return {
        "funkhecke_version": __version__,
        "command": getattr(args, "_command", None),
        "inputs": inputs,
        **payload,
    }


def command_parser(prog: str, description: str, examples: str, *, library: str | None = None):
    """Return ``(parser, add)``; ``add(name, help_text, formats=False)`` adds a subcommand
    (with ``--json``/``--csv`` when ``formats``) and returns its parser.  ``library`` names the
    command in JSON documents ("harmonics eigenvalues"), whatever the program's name."""
    library = library or prog.split()[-1]
    parser = Parser(
        prog=prog,
        description=description,
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common_options(parser, sub=False)
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
        _common_options(p, sub=True)
        p.set_defaults(_command=f"{library} {name}")
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
    if getattr(args, "quiet", False) and hasattr(args, "no_progress"):
        args.no_progress = True  # --quiet implies --no-progress
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
        msg = _suggest(text.splitlines()[0]) if text else type(exc).__name__
        sys.stderr.write(f"error: {msg}\n")
        return 2
    return 0


_UNKNOWN = re.compile(r"unknown (?P<what>[\w ]+?) '(?P<word>[^']*)'; known: (?P<known>[^()]+)")


def _suggest(msg: str) -> str:
    """Add "did you mean" to a library's ``unknown X 'y'; known: a, b, ...`` message."""
    m = _UNKNOWN.search(msg)
    if m is None or "did you mean" in msg:
        return msg
    known = [w.strip() for w in m.group("known").split(",") if w.strip()]
    hint = did_you_mean(m.group("word"), known)
    return msg[: m.end("word") + 1] + hint + msg[m.end("word") + 1 :] if hint else msg
