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
        if all("iterations_predicted_sample" in r for r in rows):
            on_sample = np.array([r["iterations_predicted_sample"] for r in rows])
            ok = on_sample <= rep.setup["cap"]
            ax.loglog(
                k[ok],
                on_sample[ok],
                ":",
                color="k",
                lw=1.2,
                label="predicted on the training points (NTK Gram at init)",
            )
        s = rep.summary
        from matplotlib.ticker import ScalarFormatter

        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(ScalarFormatter())
        ax.set_xlabel(r"frequency $\kappa$" + ("" if biased else " (even)"))
        ax.set_ylabel("GD iterations")
        sample = s.get("predicted_slope_sample")
        ax.set_title(
            f"Basri et al.{' with bias' if biased else ''}, slope over even $\\kappa$:\n"
            f"measured {_fmt_slope(s['measured_slope'])} "
            f"({_fmt_slope(s['measured_slope_from_rate'])} from the initial rate), "
            f"predicted {_fmt_slope(s['predicted_slope'])}"
            + ("" if sample is None else f" ({_fmt_slope(sample)} on the training points)"),
            fontsize=9,
        )
        ax.legend(fontsize=7)
        return fig
    if rep.name == "vempala_wilmes" and {"no_bias", "bias"} <= set(rep.runs):
        return _plot_vw(rep, plt, STYLE)
    if rep.name == "cao_et_al" and rep.curves:
        return _plot_cao(rep, plt, STYLE)
    runs = list(rep.runs.items())
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(runs), figsize=(5.2 * len(runs), 4.0), squeeze=False)
    for a, (label, res) in zip(axes[0], runs, strict=True):
        _energy_panel(a, res, f"{rep.name}: {label}")
    fig.tight_layout()
    return fig


_DEGREE_COLORS = {0: "C7", 1: "C0", 2: "C1", 3: "C3", 4: "C2", 5: "C4"}


def _normalized(ax, steps, energy, k, style, **kw):
    """Plot energy[:, k] / energy[0, k] (the share of degree k still to learn)."""
    e = np.asarray(energy)[:, k]
    if not e[0] > 0:
        return None
    (line,) = ax.plot(steps, e / e[0], style, color=_DEGREE_COLORS.get(k), **kw)
    return line


def _plot_vw(rep, plt, STYLE):
    """Vempala-Wilmes: each run's degrees on a log scale (share of the degree-k energy still
    to learn, measured solid, predicted (1 - lr mu_k)^{2t} dashed), and the slow degrees 3 and
    4 of both runs on a linear scale, where 'never learned' (flat at 1) and 'slowly learned'
    do not hide under one another."""
    from matplotlib.lines import Line2D

    nob, bia = rep.runs["no_bias"], rep.runs["bias"]
    degrees = [k for k in rep.setup["degrees"] if k <= nob.K]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 3, figsize=(15.5, 4.3))
    beta = rep.setup.get("bias")
    panels = [
        (axes[0], nob, "no bias (sphere init); k = 3, 4: right panel"),
        (axes[1], bia, f"bias β = {beta:g} (Gaussian init); k = 3, 4: right panel"),
    ]
    for ax, res, title in panels:
        for k in degrees:
            dead = not res.spectrum[k] > 0
            line = _normalized(ax, res.steps, res.residual_energy, k, "-", lw=1.8)
            if line is None:
                continue
            label = f"k = {k}" + (" (μ_k = 0: never learned)" if dead else "")
            line.set_label(label)
            if not dead:
                _normalized(ax, res.steps, res.predicted, k, "--", lw=1)
        ax.set_yscale("log")
        ax.set_ylim(1e-6, 2)
        ax.set_xlabel("GD step")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel(r"$\|\Pi_k(f^*-f_t)\|^2 \,/\, \|\Pi_k(f^*-f_0)\|^2$")
    ax = axes[2]
    styles = ((nob, ":", "-.", "no bias"), (bia, "-", "--", "bias"))
    for res, measured_ls, predicted_ls, _ in styles:
        for k in (3, 4):
            if k not in degrees:
                continue
            _normalized(ax, res.steps, res.residual_energy, k, measured_ls, lw=2.2)
            if res.spectrum[k] > 0:
                _normalized(ax, res.steps, res.predicted, k, predicted_ls, lw=1)
    ax.set_xlabel("GD step")
    ax.set_title("the slow degrees 3 and 4 of both runs (linear scale)", fontsize=10)
    handles = [
        Line2D([], [], color=_DEGREE_COLORS[3], lw=2, label="k = 3"),
        Line2D([], [], color=_DEGREE_COLORS[4], lw=2, label="k = 4"),
    ] + [
        h
        for _, mls, pls, name in styles
        for h in (
            Line2D([], [], color="k", ls=mls, lw=2, label=f"{name}: measured"),
            Line2D([], [], color="k", ls=pls, lw=1, label=f"{name}: prediction"),
        )
    ]
    ax.legend(handles=handles, fontsize=7, loc="lower left")
    n, m = rep.setup["n"], rep.setup["m"]
    fig.suptitle(
        f"Vempala–Wilmes: output layer, n = {n}, m = {m}, exact population loss "
        "(solid: measured, dashed: infinite-width prediction)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def _plot_cao(rep, plt, STYLE):
    """Cao et al.: top row the residual on the training points projected on the target's
    degree-k terms (the paper's quantity) against the kernel-regime prediction on the same
    points; bottom row the population residual against its kernel-regime prediction; one
    column per amplitude profile.  Degrees 1, 2, 4 only, each normalized by its start."""
    labels = list(rep.curves)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            2, len(labels), figsize=(5.6 * len(labels), 7.6), squeeze=False, sharex=True
        )
    for j, label in enumerate(labels):
        c = rep.curves[label]
        for i, (meas, pred, where) in enumerate(
            (
                ("train_term_measured", "train_term_predicted", "training points"),
                ("population_measured", "population_predicted", "whole sphere"),
            )
        ):
            ax = axes[i, j]
            low = 1.0
            for k in (1, 2, 4):
                line = _normalized(ax, c["steps"], c[meas], k, "-", lw=1.8)
                if line is not None:
                    line.set_label(f"k = {k}")
                    low = min(low, float(np.min(line.get_ydata())))
                _normalized(ax, c["steps"], c[pred], k, "--", lw=1)
            ax.set_yscale("log")
            ax.set_ylim(max(1e-6, low / 3), 2)
            ax.set_title(
                f"{label.replace('amps', 'amplitudes')}: residual on the {where}", fontsize=9
            )
            ax.legend(fontsize=7, loc="lower left")
            if j == 0:
                ax.set_ylabel("degree-k residual / initial")
    for ax in axes[-1]:
        ax.set_xlabel("GD step")
    s = rep.setup
    fig.suptitle(
        f"Cao et al.: n = {s['n']}, {s['samples']} training points, m = {s['m']} "
        "(solid: measured, dashed: kernel-regime prediction on these points)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def _fmt_slope(value) -> str:
    """A fitted slope, or 'n/a' when too few frequencies gave one (summary value None)."""
    return "n/a" if value is None else f"{value:.2f}"
