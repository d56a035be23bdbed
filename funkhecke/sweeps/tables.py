"""Tidy table rows of a run record: settings columns, then status, then the result columns
(one row per degree for simulate/spectrum runs, one per run for sq runs)."""

from __future__ import annotations

import math


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
