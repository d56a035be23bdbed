"""Figure style shared by every figure funkhecke draws (harmonics, gd_operator, sq_bounds, the
application layer): one STYLE, styled axes, atomic saves.

matplotlib is imported lazily, inside the functions, so importing funkhecke stays cheap.
"""

from __future__ import annotations

import os

from .extras import require
from .jsonio import atomic_path


def require_pyplot(what: str = "plotting"):
    """``matplotlib.pyplot``, or ImportError: plotting needs matplotlib: pip install ..."""
    require("matplotlib", "plot", what)
    import matplotlib.pyplot as plt

    return plt


STYLE = {
    "figure.figsize": (6.4, 4.2),
    "figure.dpi": 110,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}


def new_axes(ax=None):
    """Return (fig, ax): ``ax`` itself (and its figure) or a new styled figure."""
    if ax is not None:
        return ax.figure, ax
    plt = require_pyplot()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots()
    ax.grid(True, alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def save_figure(fig, path, *, formats=None):
    """Save ``fig`` atomically (temp file + os.replace) to ``path``; extra ``formats`` (e.g.
    ["svg"]) are written next to it with the same stem.  Returns the list of written paths."""
    path = os.fspath(path)
    base, ext = os.path.splitext(path)
    targets = [path] + [f"{base}.{fmt.lstrip('.')}" for fmt in (formats or []) if fmt]
    written = []
    for target in targets:
        fmt = os.path.splitext(target)[1].lstrip(".") or "png"
        with atomic_path(target, suffix="." + fmt) as tmp:
            fig.savefig(tmp, bbox_inches="tight", format=fmt)
        written.append(target)
    return written
