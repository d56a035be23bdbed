"""Tidy table rows of a run record: settings columns, then status, then the result columns
(one row per degree for simulate/spectrum runs, one per run for sq runs)."""

from __future__ import annotations

import json
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


def _rows_learning_curve(rec: dict, learned: float) -> list:
    res = rec["result"]
    sim = res.get("test_simulated")
    sem = res.get("test_sem")
    rows = []
    for j, P in enumerate(res["samples"]):
        th = _num(res["test_theory"][j])
        ms = _num(sim[j]) if sim is not None else math.nan
        rows.append(
            dict(
                P=P,
                test_theory=th,
                train_theory=_num(res["train_theory"][j]),
                kappa=_num(res["kappa"][j]),
                test_simulated=ms,
                test_sem=_num(sem[j]) if sem is not None else math.nan,
                deviation=th / ms - 1.0 if ms > 0 else math.nan,
            )
        )
    return rows


def _rows_beyond_kernels(rec: dict, learned: float) -> list:
    """One row of the scalar fields of a beyond-kernels unit (lists stay in the record)."""
    res = rec["result"]
    settings = rec["settings"]
    return [
        {
            k: (_num(v) if isinstance(v, float) else v)
            for k, v in res.items()
            if isinstance(v, (int, float, str)) and k not in settings
        }
    ]


ROWS = {
    "simulate": _rows_simulate,
    "spectrum": _rows_spectrum,
    "sq": _rows_sq,
    "learning_curve": _rows_learning_curve,
    "mean_field_lmz": _rows_beyond_kernels,
    "mean_field_escape": _rows_beyond_kernels,
    "mean_field_staircase": _rows_beyond_kernels,
}


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


# Columns that are text whatever they hold (a run hash may be all digits).
TEXT_COLUMNS = ("run", "status", "error")


def read_table(path) -> list:
    """The rows of a sweep's ``results.csv`` or ``results.parquet``, typed as the sweep wrote
    them (``SweepResult.rows``): empty cells / nulls are None, and each column is decoded as
    bool ("true"/"false"), int, float (``repr`` round-trips exactly, "nan"/"inf" included),
    JSON (lists, dicts) or text -- the first type that fits every non-empty cell of the column,
    the rule by which the parquet writer types its columns.  ``run``, ``status`` and ``error``
    stay text.  A CSV cell is empty for None and for the empty text "" alike: both read back
    as None (parquet keeps them apart).  Reading ``.parquet`` needs pyarrow (the ``parquet``
    extra).
    """
    path = str(path)
    if path.endswith(".parquet"):
        from harmonics._infra.extras import require

        pq = require("pyarrow.parquet", "parquet", "reading results.parquet")
        table = pq.read_table(path)
        rows = table.to_pylist()
        text = [f.name for f in table.schema if str(f.type) in ("string", "large_string")]
    else:
        import csv

        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows = [{c: (v if v != "" else None) for c, v in r.items()} for r in reader]
            text = list(reader.fieldnames or [])
    for column in text:
        cells = [r.get(column) for r in rows]
        decoded = cells if column in TEXT_COLUMNS else _decode_column(cells)
        for r, v in zip(rows, decoded, strict=True):
            r[column] = v
    return rows


def _decode_column(cells: list) -> list:
    present = [c for c in cells if c is not None]
    if "" in present:  # only parquet keeps empty text apart from None: a text column
        return cells

    def every(parse):
        try:
            return [None if c is None else parse(c) for c in cells]
        except (ValueError, TypeError):
            return None

    if present and all(c in ("true", "false") for c in present):
        return [None if c is None else c == "true" for c in cells]
    ints = every(int) if present and all(c.lstrip("-").isdigit() for c in present) else None
    if ints is not None:
        return ints
    floats = every(float) if present else None
    if floats is not None:
        return floats
    if present and all(c[:1] in "[{" for c in present):
        parsed = every(json.loads)
        if parsed is not None:
            return parsed
    return cells
