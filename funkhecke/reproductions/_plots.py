"""Figures of the spectral-bias reproductions (matplotlib imported lazily)."""

from __future__ import annotations

import numpy as np

from harmonics._infra.figures import new_axes


def _energy_panel(ax, res, title, degrees=None):
    """SimulationResult.plot on ``ax`` (solid measured, dashed predicted), with a run title."""
    res.plot(ax=ax, degrees=degrees)
    ax.set_title(f"{title} (solid: measured, dashed: predicted)", fontsize=9)
    top = 2.0 * max(1.0, float(res.residual_energy[0].max()))  # every degree's start visible
    ax.set_ylim(max(1e-8, ax.get_ylim()[0]), top)
    ax.legend(fontsize=7, ncol=2)


def plot(rep, ax=None):
    """One figure per reproduction; returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    from harmonics._infra.figures import STYLE

    if rep.name == "basri_et_al" or rep.name.startswith("basri"):
        fig, ax = new_axes(ax)
        biased = rep.setup.get("bias") is not None
        # Without bias odd frequencies >= 3 have mu = 0 (never learned): show the even ones.
        # With bias every frequency is learnable -- the point of that run -- so show them all.
        rows = rep.rows if biased else [r for r in rep.rows if r["kappa"] % 2 == 0]
        k = np.array([r["kappa"] for r in rows], dtype=float)
        it = np.array([r["iterations"] for r in rows])
        cap = np.array([r["hit_cap"] for r in rows])
        ax.loglog(k[~cap], it[~cap], "o", label="iterations to loss < threshold")
        if cap.any():
            ax.loglog(k[cap], it[cap], "x", color="grey", label="hit the iteration cap")
        ax.loglog(
            k,
            [r["iterations_from_rate"] for r in rows],
            "s",
            mfc="none",
            label="from the measured initial rate",
        )
        ax.loglog(
            k,
            [r["iterations_predicted"] for r in rows],
            "--",
            label=r"predicted $\propto 1/\mu_\kappa$",
        )
        s = rep.summary
        from matplotlib.ticker import ScalarFormatter

        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(ScalarFormatter())
        ax.set_xlabel(r"frequency $\kappa$" + ("" if biased else " (even)"))
        ax.set_ylabel("GD iterations")
        ax.set_title(
            f"Basri et al.{' with bias' if biased else ''}: slope over even "
            f"$\\kappa$ measured {_fmt_slope(s['measured_slope_from_rate'])} "
            f"(from rate), predicted {_fmt_slope(s['predicted_slope'])}",
            fontsize=9,
        )
        ax.legend(fontsize=7)
        return fig
    runs = list(rep.runs.items())
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(runs), figsize=(5.2 * len(runs), 4.0), squeeze=False)
    for a, (label, res) in zip(axes[0], runs, strict=True):
        _energy_panel(a, res, f"{rep.name}: {label}")
    fig.tight_layout()
    return fig


def _fmt_slope(value) -> str:
    """A fitted slope, or 'n/a' when too few frequencies gave one (summary value None)."""
    return "n/a" if value is None else f"{value:.2f}"
