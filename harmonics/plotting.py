"""Plots of harmonics results (matplotlib, imported lazily inside the functions)."""

from __future__ import annotations

from ._infra.figures import STYLE, new_axes, save_figure

__all__ = ["STYLE", "new_axes", "plot_expansion", "save_figure"]


def plot_expansion(expansion, ax=None, *, kind="eigenvalues"):
    """|lambda_k| (kind="eigenvalues") or N(n,k) lambda_k^2 (kind="energies") against k, log y."""
    import numpy as np

    fig, ax = new_axes(ax)
    k = np.arange(expansion.kmax + 1)
    live = expansion.sign != 0
    if kind == "eigenvalues":
        y = expansion.log_abs / np.log(10)
        label = r"$\log_{10}|\lambda_k|$"
    elif kind == "energies":
        y = expansion.log_energies / np.log(10)
        label = r"$\log_{10} N(n,k)\lambda_k^2$"
    else:
        raise ValueError(f"kind must be 'eigenvalues' or 'energies', got {kind!r}")
    ax.plot(k[live], y[live], "o-", ms=3, label=f"{expansion.activation!r}, n={expansion.n}")
    ax.set_xlabel("degree k")
    ax.set_ylabel(label + " (zeros omitted)")
    ax.legend()
    return ax
