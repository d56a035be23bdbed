"""``python -m gd_operator demo`` and ``spectral-bias``: the project's main job.

The demo runs reduced versions of the three reproductions (Vempala-Wilmes, Cao et al. 2019,
Basri et al. 2019) in well under two minutes on two cores, writes one PNG per reproduction and
a JSON summary into an output folder, and prints measured vs predicted rates.
"""

from __future__ import annotations

import datetime
import math
import os

from harmonics._infra.extras import progress_bar
from harmonics._infra.figures import require_pyplot

from . import reproductions

# Reduced sizes for the demo (full sizes are the reproductions' defaults, used by --full).
DEMO_SIZES = {
    "vw": dict(n=5, m=1000, steps=300),
    "cao": dict(n=10, samples=1000, m=1024, steps=300),
    # Caps large enough that every even frequency shown reaches the threshold (kappa = 8 needs
    # ~1900 steps at this size), so the measured slope is defined.
    "basri": dict(kappas=(2, 4, 6, 8), m=1000, samples=301, cap=2500, fit_range=(2, 8)),
    "basri_bias": dict(
        kappas=(2, 3, 4, 5, 6), m=1000, samples=301, cap=2500, bias=1.0, fit_range=(2, 6)
    ),
}
# The papers' sizes are the reproductions' own full=True (VW_FULL, CAO_FULL, BASRI_FULL in
# funkhecke.reproductions.papers): one definition, so the command line runs what the functions'
# docstrings and the README describe (Basri: frequencies 1..30 x seeds 0..4, cap 30000).
FULL_SIZES = {
    "vw": dict(full=True),
    "cao": dict(full=True),
    "basri": dict(full=True),
    "basri_bias": dict(full=True, bias=1.0),
}
RUNNERS = {
    "vw": reproductions.vempala_wilmes,
    "cao": reproductions.cao_et_al,
    "basri": reproductions.basri_et_al,
    "basri_bias": reproductions.basri_et_al,
}


def _atomic_json(path, obj):
    from harmonics._infra.jsonio import atomic_write_text, json_dumps

    atomic_write_text(path, json_dumps(obj, indent=1, default=_json_default))


def _json_default(x):
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return str(x)


def default_out_dir(prefix: str = "funkhecke-demo") -> str:
    """A new folder ``<prefix>-<time>`` in the current directory (git-ignored)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.abspath(f"{prefix}-{stamp}")


def run(
    setups=("vw", "cao", "basri", "basri_bias"),
    *,
    full=False,
    out=None,
    svg=False,
    progress=True,
    echo=print,
):
    """Run the named reproductions, write ``<out>/<setup>.png`` and ``<out>/summary.json``.

    Full-size Basri et al. runs (hours) first echo their expected time (a few timed GD
    steps times the predicted steps), show one progress bar with an ETA over all their GD
    steps (``progress``), and keep every finished (kappa, seed) run in
    ``<out>/runs/<setup>/``: rerunning with the same ``out`` resumes where it stopped.

    Returns the dict of :class:`~funkhecke.reproductions.Reproduction` objects.
    """
    from harmonics._infra.checks import check_bool
    from harmonics._infra.figures import save_figure

    full = check_bool(full, "full")
    svg = check_bool(svg, "svg")
    progress = check_bool(progress, "progress")
    plt = require_pyplot("the demo's figures")  # before any work: one clear line
    out = out or default_out_dir()
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission, ...: say which folder
        raise ValueError(f"out (--out) {out!r}: cannot create the output folder: {exc}") from exc
    sizes = FULL_SIZES if full else DEMO_SIZES
    results = {}
    todo = list(setups)
    bar = None
    if progress:
        bar = progress_bar(total=len(todo), desc="reproductions", leave=False)  # None: no tqdm
    for name in todo:
        kwargs = dict(sizes[name])
        if full and name.startswith("basri"):
            kwargs.update(progress=progress, echo=echo, resume_dir=os.path.join(out, "runs", name))
        rep = RUNNERS[name](**kwargs)
        results[name] = rep
        fig = rep.plot()
        save_figure(fig, os.path.join(out, f"{name}.png"), formats=["svg"] if svg else None)
        plt.close(fig)
        echo(f"\n== {rep.name} ({'full' if full else 'reduced'} size) ==")
        echo(rep.table())
        echo("summary: " + ", ".join(f"{k} = {_fmt(v)}" for k, v in rep.summary.items()))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    _atomic_json(
        os.path.join(out, "summary.json"), {name: rep.to_dict() for name, rep in results.items()}
    )
    echo(f"\nfigures and summary.json written to {out}")
    return results


def _fmt(v):
    if v is None:
        return "n/a"  # e.g. a slope when fewer than two frequencies reached the threshold
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items()) + "}"
    return str(v)


def register(subparsers, add):
    """Add the ``demo`` and ``spectral-bias`` subcommands to the gd_operator CLI."""
    p = add(
        "demo",
        "reduced spectral-bias reproductions (VW, Cao et al., Basri et al.) in "
        "under two minutes: PNG figures + summary.json",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: a new funkhecke-demo-<time> folder in the current directory)",
    )
    p.add_argument("--svg", action="store_true", help="also write SVG figures")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_demo)

    p = add("spectral-bias", "one reproduction, reduced (default) or full size")
    p.add_argument(
        "--setup",
        required=True,
        choices=["vw", "cao", "basri", "basri_bias"],
        help="vw: Vempala-Wilmes; cao: Cao et al. 2019; basri: Basri et al. 2019 "
        "(basri_bias: with biases)",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="the papers' sizes (minutes to hours; basri prints its expected time first, shows "
        "a progress bar with an ETA, and resumes from OUT/runs/ when rerun with the same --out)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: a new funkhecke-spectral-bias-<setup>-<time> folder)",
    )
    p.add_argument("--svg", action="store_true", help="also write SVG figures")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_spectral_bias)


def _cmd_demo(args, out):
    run(
        out=args.out,
        svg=args.svg,
        progress=not args.no_progress,
        echo=lambda s: out.write(s + "\n"),
    )


def _cmd_spectral_bias(args, out):
    run(
        (args.setup,),
        full=args.full,
        out=args.out or default_out_dir(f"funkhecke-spectral-bias-{args.setup}"),
        svg=args.svg,
        progress=not args.no_progress,
        echo=lambda s: out.write(s + "\n"),
    )
