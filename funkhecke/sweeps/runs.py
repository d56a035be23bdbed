"""What one sweep run computes (per kind), how it becomes table rows, and the summary figure.

Runners take the normalized settings dict of :mod:`funkhecke.sweeps.spec` and return a
JSON-ready dict; they are pure functions of their settings (every random draw is seeded by
``seed`` / ``target_seed``), which is what makes retrying a run on another worker safe and
makes distributed results equal serial ones.
"""

from __future__ import annotations

import math
import os
import socket
import time
import traceback

# --------------------------------------------------------------------------- runners


def _default_kmax(s: dict) -> int:
    """Highest recorded degree: ``kmax`` or (target degree + 2, at least 6); passed to
    simulate explicitly so that lr_scale and the recorded spectrum use the same degrees."""
    if s["kmax"] is not None:
        return s["kmax"]
    if s["target"] == "ridge":
        tdeg = s["k"] if s["degrees"] is None else max(s["degrees"])
        return max(6, tdeg + 2)
    return 6


def run_simulate(s: dict) -> dict:
    """simulate() on a ridge or teacher target; lr = lr_scale / max_{k<=kmax} mu_k if lr_scale."""
    import numpy as np

    from gd_operator import ridge_target, simulate, spectrum, teacher_network

    n = s["n"]
    if s["target"] == "ridge":
        degrees = [s["k"]] if s["degrees"] is None else s["degrees"]
        target = ridge_target(n, degrees, s["amplitudes"], rng=s["target_seed"])
    else:
        width = 5 if s["teacher_width"] is None else s["teacher_width"]
        target = teacher_network(n, width, rng=s["target_seed"])
    kmax = _default_kmax(s)
    lr = s["lr"]
    if lr is None:
        mu = spectrum(s["activation"], n, kmax, train=s["train"], init=s["init"], bias=s["bias"])
        lr = s["lr_scale"] / float(np.max(mu))
    res = simulate(
        target,
        s["activation"],
        n,
        s["m"],
        steps=s["steps"],
        lr=lr,
        train=s["train"],
        init=s["init"],
        samples=s["samples"],
        bias=s["bias"],
        rng=s["seed"],  # the spec's "seed" setting (data) is simulate's rng= argument
        record_every=s["record_every"],
        kmax=kmax,
        progress=False,
        dtype=s["dtype"],
        energies=s["energies"],
        symmetric=s["symmetric"],
        stop_loss=s["stop_loss"],
    )
    if res.interrupted:  # Ctrl-C inside simulate (serial sweeps): not a finished run
        raise KeyboardInterrupt
    out = res.to_dict()
    out["lr_used"] = lr
    return out


def run_spectrum(s: dict) -> dict:
    """gd_operator.spectrum(..., log=True): mu_k as log10 (exact zeros -> None) and values."""
    from gd_operator import spectrum
    from harmonics import dim_harmonics

    sign, log_mu = spectrum(
        s["activation"],
        s["n"],
        s["kmax"],
        train=s["train"],
        init=s["init"],
        bias=s["bias"],
        method=s["method"],
        power=s["power"],
        coeffs=s["coeffs"],
        scale=s["scale"],
        log=True,
    )
    pairs = list(zip(sign, log_mu, strict=True))
    log10 = [float(v) / math.log(10) if sg != 0 else None for sg, v in pairs]
    mu = [math.exp(float(v)) if sg != 0 else 0.0 for sg, v in pairs]  # exp underflows to 0.0
    dims = [str(dim_harmonics(s["n"], k)) for k in range(s["kmax"] + 1)]
    return {"log10_mu": log10, "mu": mu, "multiplicity": dims}


def run_sq(s: dict) -> dict:
    """sq_bounds.query_lower_bound(n, k, tau, ...).to_dict()."""
    from sq_bounds import query_lower_bound

    b = query_lower_bound(
        s["n"],
        s["k"],
        s["tau"],
        delta=s["delta"],
        family_bound=s["family_bound"],
        max_family_size=s["max_family_size"],
    )
    return b.to_dict()


RUNNERS = {"simulate": run_simulate, "spectrum": run_spectrum, "sq": run_sq}


def execute(kind: str, settings_json: str, run_hash: str, runner=None, threads=None) -> dict:
    """Run one grid point and return its record (never raises for a failing run: the error and
    traceback are recorded).  Runs on dask workers; the client writes the record."""
    import json

    t0 = time.perf_counter()
    saved = None
    if threads is not None:
        import numba

        saved = numba.get_num_threads()
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    settings = json.loads(settings_json)
    rec = {"format": 1, "kind": kind, "hash": run_hash, "settings": settings}
    try:
        result = (runner or RUNNERS[kind])(settings)
        rec.update(status="ok", result=result, error=None, traceback=None)
    except Exception as exc:  # recorded, the grid goes on
        rec.update(
            status="error",
            result=None,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
    finally:
        if saved is not None:
            numba.set_num_threads(saved)  # the caller's thread count (serial sweeps)
    rec["elapsed"] = time.perf_counter() - t0
    rec["host"] = socket.gethostname()
    rec["pid"] = os.getpid()
    return rec


def failure_record(kind: str, run_hash: str, settings: dict, exc: BaseException) -> dict:
    """Record of a run the engine could not finish (worker killed too often, lost, ...)."""
    return {
        "format": 1,
        "kind": kind,
        "hash": run_hash,
        "settings": settings,
        "status": "error",
        "result": None,
        "error": f"{type(exc).__name__}: {exc}",
        "traceback": "".join(traceback.format_exception(exc)),
        "elapsed": None,
        "host": None,
        "pid": None,
    }


# ------------------------------------------------------------------------------ rows


def _crossing(steps, r, frac):
    """First time r(t) <= frac r(0), log-linear interpolation between records; NaN if never
    (or no initial energy)."""
    r0 = r[0]
    if not (r0 > 1e-14):
        return math.nan
    goal = frac * r0
    for i in range(1, len(r)):
        if r[i] <= goal:
            a, b = r[i - 1], r[i]
            if a <= goal or not (b > 0):
                return float(steps[i])
            t = (math.log(a) - math.log(goal)) / (math.log(a) - math.log(b))
            return float(steps[i - 1] + t * (steps[i] - steps[i - 1]))
    return math.nan


def _num(x):
    return math.nan if x is None else float(x)


def _rows_simulate(rec: dict, learned: float) -> list:
    res = rec["result"]
    lr = res["lr_used"]
    steps = res["steps"]
    E = res["residual_energy"]
    base = {
        "lr_used": lr,
        "loss_initial": res["loss"][0],
        "loss_final": res["loss"][-1],
        "steps_done": steps[-1],
    }
    rows = []
    for k in range(len(res["spectrum"])):
        r = [_num(row[k]) for row in E]
        mu = _num(res["spectrum"][k])
        q = abs(1 - lr * mu) if math.isfinite(mu) else math.nan
        if not (r[0] > 1e-14) or not math.isfinite(q):
            pred = math.nan
        elif mu <= 0 or q >= 1:
            pred = math.inf
        elif q == 0:
            pred = 0.0
        else:
            pred = math.log(learned) / (2 * math.log(q))
        meas = res["measured_rates"][k]
        rows.append(
            dict(
                base,
                degree=k,
                target_energy=_num(res["target_energy"][k]),
                residual_initial=r[0],
                residual_final=r[-1],
                mu_predicted=mu,
                mu_measured=_num(meas),
                learning_time=_crossing(steps, r, learned),
                learning_time_predicted=pred,
            )
        )
    return rows


def _rows_spectrum(rec: dict, learned: float) -> list:
    res = rec["result"]
    return [
        {
            "degree": k,
            "multiplicity": int(d),
            "mu": mu,
            "log10_mu": -math.inf if l10 is None else l10,
        }
        for k, (d, mu, l10) in enumerate(
            zip(res["multiplicity"], res["mu"], res["log10_mu"], strict=True)
        )
    ]


def _rows_sq(rec: dict, learned: float) -> list:
    res = dict(rec["result"])
    row = {"bound_kind": res.pop("kind"), "delta_used": res.pop("delta")}
    for key in ("k", "n", "tau", "family_bound"):
        res.pop(key, None)
    row.update(res)
    return [row]


ROWS = {"simulate": _rows_simulate, "spectrum": _rows_spectrum, "sq": _rows_sq}


def rows_of(rec: dict, learned: float) -> list:
    """Tidy rows of one run: settings columns, then run/status/error, then result columns."""
    from .spec import SCHEMAS

    s = rec["settings"]
    head = {k: s[k] for k in SCHEMAS[rec["kind"]] if k in s}  # schema order, not JSON order
    head.update(run=rec["hash"], status=rec["status"], error=rec.get("error"))
    head["elapsed"] = rec.get("elapsed")
    if rec["status"] != "ok":
        return [head]
    return [dict(head, **r) for r in ROWS[rec["kind"]](rec, learned)]


# ---------------------------------------------------------------------------- figure


_NOT_SERIES = {"seed", "k", "degrees", "amplitudes", "target_seed"}


def _series_key(row, axes, drop):
    return tuple((a, row[a]) for a in axes if a not in drop)


def _label(key) -> str:
    return ", ".join(f"{a}={v}" for a, v in key) or "all runs"


def figure(kind: str, rows: list, axes: list, title: str, learned: float):
    """Summary figure of a sweep (matplotlib Figure, no pyplot state)."""
    from matplotlib.figure import Figure

    ok = [r for r in rows if r["status"] == "ok"]
    if kind == "simulate":
        fig = Figure(figsize=(11, 4.5), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        _fig_rates(ax1, ok)
        _fig_learning(ax2, ok, axes, learned)
    elif kind == "spectrum":
        fig = Figure(figsize=(6.5, 4.5), layout="constrained")
        _fig_spectrum(fig.subplots(), ok, axes)
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
