"""funkhecke.reproductions.staircase, the learning-curve CLI and the "learning_curve" sweep kind.

References: the plateau marks are log N(n, <= l) / log n from the exact integers
(harmonics.dim_harmonics, summed here); the simulated rows are gd_operator.kernel_regression
(checked against the theory in tests/test_learning_curve.py) and the theory rows
gd_operator.learning_curve -- here the application layer is checked to pass them through
unchanged, write every table, and mark an interrupted run partial.
"""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

import gd_operator as gdo
import harmonics as hm
from funkhecke.reproductions import Reproduction
from funkhecke.reproductions.staircase import staircase_reproduction, theory_vs_simulation

pytest.importorskip("matplotlib")


def test_staircase_reproduction_writes_every_table(tmp_path):
    rep = staircase_reproduction(
        "relu",
        (8, 12),
        (1, 2),
        seeds=2,
        samples_per_n=3,
        max_points=120,
        progress=False,
        out=str(tmp_path),
    )
    for name in ("staircase.json", "staircase.png") + tuple(
        f"staircase_{t}.csv" for t in ("theory", "simulation", "bounds")
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    for n in (8, 12):
        c = rep.curves[f"n={n}"]
        cum = [sum(hm.dim_harmonics(n, k) for k in range(ell + 1)) for ell in (1, 2)]
        np.testing.assert_allclose(c["plateau_exponents"], np.log(cum) / math.log(n), rtol=1e-14)
    assert len(rep.rows) == 6 and rep.summary["partial"] is False
    # a simulated row's theory is learning_curve at that P (unit energy on degrees 1, 2; the
    # degrees above kmax = 10 as the tail trace K(1) - sum N mu)
    r = rep.rows[-1]
    sp = gdo.spectrum("relu", r["n"], 10, train="both", init="gaussian", log=True)
    v = np.zeros(11)
    v[[1, 2]] = 1.0
    tail = float(gdo.kernel("relu", r["n"], 1.0, train="both", init="gaussian")) - sum(
        hm.dim_harmonics(r["n"], k) * np.exp(lg)
        for k, (sg, lg) in enumerate(zip(*sp, strict=True))
        if sg > 0
    )
    lc = gdo.learning_curve(sp, r["n"], v, [r["samples"]], ridge=1e-3, tail_trace=max(tail, 0))
    assert r["test_theory"] == pytest.approx(float(lc.test_mse[0]), rel=1e-14)
    loaded = Reproduction.load(str(tmp_path / "staircase.json"))
    assert loaded.rows == rep.rows
    with open(tmp_path / "staircase_simulation.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6 and float(rows[0]["test_theory"]) == pytest.approx(
        rep.rows[0]["test_theory"]
    )


def test_interrupted_staircase_is_marked_partial(tmp_path, monkeypatch):
    real = gdo.kernel_regression
    calls = []

    def interrupt_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(gdo, "kernel_regression", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        staircase_reproduction(
            "relu",
            (8,),
            (1,),
            seeds=2,
            samples_per_n=3,
            max_points=60,
            progress=False,
            out=str(tmp_path),
            plot=False,
        )
    doc = json.loads((tmp_path / "staircase.json").read_text())
    assert doc["summary"]["partial"] is True and len(doc["rows"]) == 1


def test_theory_vs_simulation_table(tmp_path):
    rep = theory_vs_simulation(
        (10,),
        (("relu", "both", "gaussian"),),
        degrees=(1, 2),
        samples=(20, 60),
        seeds=2,
        kmax=60,
        progress=False,
        out=str(tmp_path),
    )
    assert [r["samples"] for r in rep.rows] == [20, 60]
    for r in rep.rows:
        assert r["deviation"] == pytest.approx(r["test_theory"] / r["test_simulated"] - 1)
    assert (
        rep.summary["relu-both-gaussian n=10 max"] >= rep.summary["relu-both-gaussian n=10 median"]
    )
    assert (tmp_path / "theory_vs_simulation_summary.csv").exists()
    assert (tmp_path / "theory_vs_simulation.png").exists()


def test_learning_curve_sweep_kind(tmp_path):
    from funkhecke.sweeps import SpecError, load_spec, sweep

    spec = {
        "kind": "learning_curve",
        "grid": {"n": [6]},
        "fixed": {"activation": "relu", "samples": [10, 40], "degrees": [1], "ridge": 1e-3},
    }
    res = sweep(spec, str(tmp_path), scheduler="serial", progress=False, figure=True)
    with open(tmp_path / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["P"]) for r in rows] == [10, 40]
    assert (tmp_path / "summary.png").exists() and res is not None
    # the run's theory: learning_curve with the spectrum to kmax = 41 and the rest as tail
    mu = gdo.spectrum("relu", 6, 41, train="both", init="gaussian")
    tail = float(gdo.kernel("relu", 6, 1.0, train="both", init="gaussian")) - sum(
        hm.dim_harmonics(6, k) * float(m) for k, m in enumerate(mu)
    )
    v = np.zeros(42)
    v[1] = 1.0
    lc = gdo.learning_curve(mu, 6, v, [10, 40], ridge=1e-3, tail_trace=max(tail, 0.0))
    np.testing.assert_allclose([float(r["test_theory"]) for r in rows], lc.test_mse, rtol=1e-12)
    bad = dict(spec, fixed=dict(spec["fixed"], samples=[0]))
    with pytest.raises(SpecError, match="samples"):
        load_spec(bad)


def test_cli_learning_curve(tmp_path):
    import io

    from funkhecke.cli import main

    out = io.StringIO()
    code = main(
        ["learning-curve", "relu", "--n", "8", "--degrees", "1", "2", "--no-simulation", "--csv"],
        out=out,
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [int(r["degree"]) for r in rows] == [1, 2]
    cum = sum(hm.dim_harmonics(8, k) for k in range(3))
    assert float(rows[1]["plateau_exponent"]) == pytest.approx(math.log(cum) / math.log(8))
    code = main(["learning-curve", "relu", "--n", "1", "--no-simulation"], out=io.StringIO())
    assert code == 2
