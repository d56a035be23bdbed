"""Sweep tables round-trip: ``results.csv`` (and ``results.parquet`` with pyarrow) read back by
``funkhecke.sweeps.read_table`` equal the rows the sweep computed (``SweepResult.rows``).

Reference: the in-memory rows of the same sweep.  Exact equality -- floats are written with
``repr`` (shortest round-tripping form), so no tolerance; NaN compares equal to NaN; types are
checked too (bools stay bools, ints ints, text text, None None), for simulate, spectrum and sq
runs and for a run that failed (its result columns are empty).
"""

from __future__ import annotations

import math

import pytest

from funkhecke.sweeps import read_table, sweep
from funkhecke.sweeps.driver import _columns

SPECS = {
    "simulate": {
        "kind": "simulate",
        "grid": {"k": [1, 2], "lr": [0.5, 1e9]},  # lr = 1e9 diverges: a failed run
        "fixed": {"n": 3, "m": 16, "steps": 5},
    },
    "spectrum": {  # relu: lambda_3 = 0 exactly, so log10 mu_3 = -inf
        "kind": "spectrum",
        "grid": {"n": [3, 200]},
        "fixed": {"activation": "relu", "kmax": 8},
    },
    "sq": {"kind": "sq", "grid": {"n": [10, 1000], "k": [2, 3]}, "fixed": {"tau": 0.1}},
}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return a == b


def _check(rows_back, res, *, csv):
    cols = _columns(res.rows)
    assert len(rows_back) == len(res.rows)
    for back, row in zip(rows_back, res.rows, strict=True):
        assert list(back) == cols
        # CSV has one empty cell for None and for the empty text "" (parquet keeps them apart)
        want = {c: None if csv and row.get(c) == "" else row.get(c) for c in cols}
        bad = {c: (want[c], back[c]) for c in cols if not _same(want[c], back[c])}
        assert not bad, bad


@pytest.fixture(scope="module", params=sorted(SPECS))
def swept(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    return sweep(SPECS[request.param], out, scheduler="serial", progress=False, figure=False)


def test_csv_table_reads_back_as_the_rows(swept):
    _check(read_table(swept.paths["table"]), swept, csv=True)


def test_parquet_table_reads_back_as_the_rows(swept):
    pytest.importorskip("pyarrow.parquet")
    _check(read_table(swept.paths["parquet"]), swept, csv=False)


def test_the_tables_hold_what_the_round_trip_must_carry(swept):
    values = [v for r in swept.rows for v in r.values()]
    assert any(isinstance(v, str) for v in values)  # settings / run hash / status
    assert any(isinstance(v, int) and not isinstance(v, bool) for v in values)
    kind = swept.spec.kind
    if kind == "simulate":
        assert {r["status"] for r in swept.rows} == {"ok", "error"}
        assert any(isinstance(v, float) and math.isnan(v) for v in values)
    if kind == "spectrum":
        assert -math.inf in values


def test_text_columns_stay_text(tmp_path):
    table = tmp_path / "results.csv"
    table.write_text('run,status,error,x,flag,data\n0123,ok,,1,true,"[1, 2]"\n', encoding="utf-8")
    (row,) = read_table(table)
    assert row == {"run": "0123", "status": "ok", "error": None, "x": 1, "flag": True,
                   "data": [1, 2]}  # fmt: skip
