"""The summary figure of a sweep (``OUT/summary.png``): measured vs predicted rates and
learning times (simulate), spectra (spectrum), SQ bounds (sq).  matplotlib is imported lazily."""

from __future__ import annotations

import math

_NOT_SERIES = {"seed", "k", "degrees", "amplitudes", "target_seed"}


def _series_key(row, axes, drop):
    return tuple((a, row[a]) for a in axes if a not in drop)


def _label(key) -> str:
    return ", ".join(f"{a}={v}" for a, v in key) or "all runs"


def figure(kind: str, rows: list, axes: list, title: str, learned: float):
    """Summary figure of a sweep (matplotlib Figure, no pyplot state)."""
    from harmonics._infra.extras import require

    fig_mod = require(
        "matplotlib.figure", "plot", "summary.png", alternative="figure=False (--no-figure)"
    )
    Figure = fig_mod.Figure

    ok = [r for r in rows if r["status"] == "ok"]
    if kind == "simulate":
        fig = Figure(figsize=(11, 4.5), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        _fig_rates(ax1, ok)
        _fig_learning(ax2, ok, axes, learned)
    elif kind == "spectrum":
        fig = Figure(figsize=(6.5, 4.5), layout="constrained")
        _fig_spectrum(fig.subplots(), ok, axes)
    elif kind == "learning_curve":
        fig = Figure(figsize=(6.5, 4.5), layout="constrained")
        _fig_learning_curve(fig.subplots(), ok, axes)
    elif kind.startswith("mean_field_"):
        fig = Figure(figsize=(6.5, 4.5), layout="constrained")
        _fig_mean_field(fig.subplots(), ok, kind)
    else:
        fig = Figure(figsize=(6.5, 4.5), layout="constrained")
        _fig_sq(fig.subplots(), ok)
    failed = len({r["run"] for r in rows if r["status"] != "ok"})
    fig.suptitle(f"{title}" + (f"  ({failed} failed runs omitted)" if failed else ""))
    return fig


def _style(ax):
    ax.grid(True, alpha=0.3, which="both")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _fig_rates(ax, ok):
    import numpy as np

    pts = [
        (r["mu_predicted"], r["mu_measured"], r["degree"])
        for r in ok
        if r["target_energy"] > 1e-14
        and r["mu_predicted"] > 0
        and math.isfinite(r["mu_measured"])
        and r["mu_measured"] > 0
    ]
    _style(ax)
    ax.set_xlabel(r"predicted $\mu_k$ (infinite width)")
    ax.set_ylabel(r"measured rate $\hat\mu_k = (1-\rho_k)/\mathrm{lr}$")
    ax.set_title("measured vs predicted rate, every run and degree")
    if not pts:
        ax.text(0.5, 0.5, "no degree with a measurable rate", ha="center", transform=ax.transAxes)
        return
    x, y, k = (np.array(v, dtype=float) for v in zip(*pts, strict=True))
    sc = ax.scatter(x, y, c=k, cmap="viridis", s=18)
    lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
    ax.plot([lo, hi], [lo, hi], "k:", lw=1, label="measured = predicted")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.figure.colorbar(sc, ax=ax, label="degree k")
    ax.legend(loc="upper left")


def _mean_finite(values) -> float:
    """Mean of the finite values (NaN if none): runs that never learned a degree are left out."""
    vals = [v for v in values if math.isfinite(v)]
    return sum(vals) / len(vals) if vals else math.nan


def _fig_learning(ax, ok, axes, learned):
    import numpy as np

    _style(ax)
    ax.set_xlabel("degree k")
    ax.set_ylabel(f"GD steps until residual energy < {learned:g} x initial")
    ax.set_title("learning time vs degree (points: measured, lines: predicted)")
    groups = {}
    for r in ok:
        if not (r["target_energy"] > 1e-14) or r["degree"] < 1:
            continue
        key = _series_key(r, axes, _NOT_SERIES)
        groups.setdefault(key, {}).setdefault(r["degree"], []).append(
            (r["learning_time"], r["learning_time_predicted"])
        )
    drawn, degrees = 0, set()
    for key, by_k in list(groups.items())[:10]:
        degrees |= set(by_k)
        ks = np.array(sorted(by_k), dtype=float)
        meas = np.array([_mean_finite([m for m, _ in by_k[k]]) for k in sorted(by_k)])
        pred = np.array([_mean_finite([p for _, p in by_k[k]]) for k in sorted(by_k)])
        live = np.isfinite(pred) & (pred > 0)
        (line,) = ax.plot(ks[live], pred[live], "-", lw=1, label=_label(key))
        good = np.isfinite(meas) & (meas > 0)
        ax.plot(ks[good], meas[good], "o", color=line.get_color(), ms=4)
        drawn += int(good.any() or live.any())
    if drawn:
        from matplotlib.ticker import NullFormatter, ScalarFormatter

        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sorted(degrees))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no degree learned within the run", ha="center", transform=ax.transAxes)


def _fig_learning_curve(ax, ok, axes):
    import numpy as np

    _style(ax)
    runs = {}
    for r in ok:
        runs.setdefault(r["run"], []).append(r)
    for rs in list(runs.values())[:12]:
        P = np.array([r["P"] for r in rs], dtype=float)
        th = np.array([r["test_theory"] for r in rs], dtype=float)
        (line,) = ax.plot(P, th, "-", lw=1, label=_label(_series_key(rs[0], axes, set())))
        sim = np.array([r["test_simulated"] for r in rs], dtype=float)
        sem = np.array([r["test_sem"] for r in rs], dtype=float)
        good = np.isfinite(sim)
        if good.any():
            ax.errorbar(
                P[good],
                sim[good],
                yerr=2 * np.nan_to_num(sem[good]),
                fmt="o",
                ms=3,
                color=line.get_color(),
                capsize=2,
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("P (training points)")
    ax.set_ylabel("test error (lines: theory, points: simulated KRR)")
    ax.set_title("learning curves across the grid")
    if runs:
        ax.legend(fontsize=7)


def _fig_spectrum(ax, ok, axes):
    import numpy as np

    _style(ax)
    runs = {}
    for r in ok:
        runs.setdefault(r["run"], []).append(r)
    for rs in list(runs.values())[:12]:
        k = np.array([r["degree"] for r in rs])
        y = np.array([r["log10_mu"] for r in rs], dtype=float)
        live = np.isfinite(y)
        ax.plot(k[live], y[live], "o-", ms=3, label=_label(_series_key(rs[0], axes, set())))
    ax.set_xlabel("degree k")
    ax.set_ylabel(r"$\log_{10}\mu_k$ (zeros omitted)")
    ax.set_title("kernel spectrum across the grid")
    if runs:
        ax.legend(fontsize=7)


def _fig_sq(ax, ok):
    import numpy as np

    _style(ax)
    groups = {}
    for r in ok:
        if r["log10_queries"] is not None:
            groups.setdefault((r["k"], r["tau"]), []).append((r["n"], r["log10_queries"]))
    for (k, tau), pts in sorted(groups.items())[:12]:
        pts.sort()
        n, q = (np.array(v, dtype=float) for v in zip(*pts, strict=True))
        ax.plot(n, q, "o-", ms=3, label=f"k={k}, tau={tau:g}")
    ax.set_xscale("log")
    ax.set_xlabel("dimension n")
    ax.set_ylabel(r"$\log_{10}$ (queries) lower bound")
    ax.set_title("SQ lower bounds across the grid")
    if groups:
        ax.legend(fontsize=7)


# y columns (measured, predicted) of the beyond-kernels sweep kinds, plotted against d
_MEAN_FIELD_COLUMNS = {
    "mean_field_lmz": (("network_d_loss", "floor_d_loss", "ntk_d_loss"), "d x test loss"),
    "mean_field_escape": (("median_escape",), "median escape steps"),
    "mean_field_staircase": (("final_network_mse", "final_ntk_bias_mse"), "final test MSE"),
}


def _fig_mean_field(ax, ok, kind):
    import numpy as np

    cols, ylabel = _MEAN_FIELD_COLUMNS[kind]
    _style(ax)
    groups = sorted({r.get("k") for r in ok}, key=lambda v: (v is None, v))
    for g in groups:
        rs = sorted((r for r in ok if r.get("k") == g), key=lambda r: r["d"])
        d = np.array([r["d"] for r in rs], dtype=float)
        for c in cols:
            y = np.array([r.get(c, math.nan) for r in rs], dtype=float)
            ax.plot(d, y, "o-", label=c + (f", k* = {g}" if g is not None else ""))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("d")
    ax.set_ylabel(ylabel)
    ax.set_title(kind)
    if ok:
        ax.legend(fontsize=7)
