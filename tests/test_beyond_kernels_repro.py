"""funkhecke.reproductions.beyond_kernels and ``beyond-kernels`` CLI at tiny sizes.

What is checked: the documents have the measured-vs-predicted columns and the fits, the files
are written, finished units are reused on a rerun (resume), Ctrl-C gives exit 130 with a
partial document.  The paper-size numbers are in the slow test and the module docstring.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from funkhecke.reproductions import beyond_kernels as bk

TINY = {
    "lmz": dict(bk.config("lmz"), d_values=[6], samples_per_d3=2, test_size=500),
    "single-index": dict(
        bk.config("single-index"), d_values={"1": [8, 16], "2": [8]}, seeds=2, cap_factor=20
    ),
    "staircase": dict(bk.config("staircase"), d=6, steps=200, test_size=500, record_every=20),
}


@pytest.mark.parametrize("setup", bk.SETUPS)
def test_tiny_reproduction_writes_documents(tmp_path, setup):
    res = bk.reproduce(setup, out=str(tmp_path), progress=False, cfg=TINY[setup])
    stem = tmp_path / setup.replace("-", "_")
    for ext in (".json", ".csv", ".png"):
        assert (stem.with_suffix(ext)).exists()
    doc = json.loads(stem.with_suffix(".json").read_text())
    assert doc["setup"] == setup and doc["partial"] is False
    assert "Reduced" in doc["reduced"] or "d" in doc["reduced"]
    if setup == "lmz":
        row = doc["rows"][0]
        for key in ("network_d_loss", "floor_d_loss", "ntk_d_loss", "nngp_d_loss"):
            assert math.isfinite(row[key]) and row[key] >= 0
        # the final loss averaged over the last records (online SGD's fluctuations)
        tail = row["curve"]["network_d_loss"][-bk.LMZ_TAIL_RECORDS :]
        assert row["network_d_loss_tail_mean"] == pytest.approx(sum(tail) / len(tail))
        assert row["network_d_loss_tail_min"] <= row["network_d_loss"]
        assert row["network_d_loss"] <= row["network_d_loss_tail_max"]
        assert "network_d_loss_tail_mean_slope" in res.fits
        # the floor at P = 2 d^3 samples is the energy above degree 3: (|t|'s tail) / d * d
        assert row["floor_level"] == 3
    if setup == "single-index":
        assert set(res.fits) == {"k1", "k2"}
        assert res.fits["k1"]["predicted"] == 1.0
    if setup == "staircase":
        assert len(doc["rows"][0]["network_residual_by_degree"][0]) == 4


def test_resume_reuses_finished_units(tmp_path, monkeypatch):
    cfg = TINY["lmz"]
    bk.reproduce("lmz", out=str(tmp_path), progress=False, cfg=cfg)

    def boom(*a, **k):
        raise AssertionError("a finished unit was recomputed")

    monkeypatch.setattr(bk, "_lmz_unit", boom)
    res = bk.reproduce("lmz", out=str(tmp_path), progress=False, cfg=cfg)
    assert [r["d"] for r in res.rows] == [6]


def test_a_larger_run_reuses_the_units_of_a_smaller_one(tmp_path, monkeypatch):
    # --full adds dimensions to d_values; the units already finished are not recomputed
    small = TINY["lmz"]
    bk.reproduce("lmz", out=str(tmp_path), progress=False, cfg=small)
    real = bk._lmz_unit

    def only_new(cfg, d, progress=None):
        assert d != 6, "the finished d = 6 unit was recomputed"
        return real(cfg, d, progress)

    monkeypatch.setattr(bk, "_lmz_unit", only_new)
    res = bk.reproduce("lmz", out=str(tmp_path), progress=False, cfg=dict(small, d_values=[6, 7]))
    assert [r["d"] for r in res.rows] == [6, 7]
    # a changed setting (not the unit list) still recomputes
    monkeypatch.setattr(bk, "_lmz_unit", lambda *a, **k: (_ for _ in ()).throw(RuntimeError))
    with pytest.raises(RuntimeError):
        bk.reproduce("lmz", out=str(tmp_path), progress=False, cfg=dict(small, batch=16))


def test_escape_cap_is_at_most_the_step_limit():
    # k* = 4 at d = 64 (--full) asked for 1.3e9 steps and train_mean_field refused (> 1e9)
    from gd_operator.mean_field import MAX_STEPS

    row = bk.run_unit("single-index", {"k": 1, "d": 8, "seeds": 1, "cap_factor": 10**9})
    assert row["cap"] == MAX_STEPS and row["escaped"] == 1


def test_escape_time_ode_slopes_tend_to_the_exponents():
    # large d: the slope of the ODE's escape time is max(1, k* - 1) (d log d at k* = 2)
    d = np.array([1e6, 1e8])
    for k, slope in ((1, 1.0), (3, 2.0), (4, 3.0)):
        assert bk._fit_slope(d, bk.escape_time_ode(k, d)) == pytest.approx(slope, abs=2e-3)
    t2 = bk.escape_time_ode(2, d) / (d * np.log(d))
    assert bk._fit_slope(d, t2) == pytest.approx(0.0, abs=0.01)
    # the small-d slopes exceed the asymptotic ones (why the fits are compared with both)
    small = [16, 32, 64, 128]
    for k in (1, 2, 3):
        assert bk._fit_slope(small, bk.escape_time_ode(k, small)) > max(1, k - 1)


def test_cli_ctrl_c_exits_130_with_partial_document(tmp_path, monkeypatch, capsys):
    from funkhecke.cli import gd_operator_main

    monkeypatch.setattr(bk, "config", lambda setup, full=False: TINY["staircase"])

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(bk, "_staircase_unit", interrupted)
    code = gd_operator_main(
        ["beyond-kernels", "--setup", "staircase", "--out", str(tmp_path), "--no-progress"]
    )
    assert code == 130
    doc = json.loads((tmp_path / "staircase.json").read_text())
    assert doc["partial"] is True
    err = capsys.readouterr().err
    assert "partial" in err and "staircase.json" in err and "resume" in err


def test_cli_help_and_bad_setup(capsys):
    from funkhecke.cli import gd_operator_main

    with pytest.raises(SystemExit):
        gd_operator_main(["beyond-kernels", "--help"])
    assert "--setup lmz" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        gd_operator_main(["beyond-kernels", "--setup", "nope"])
    assert exc.value.code == 2


@pytest.mark.slow
@pytest.mark.parametrize("setup", bk.SETUPS)
def test_reduced_reproduction_agrees_with_papers(tmp_path, setup):
    res = bk.reproduce(setup, out=str(tmp_path), progress=False)
    if setup == "lmz":
        # the network's d x loss falls with d while the GMMM floor stays at its 1/d level
        assert res.fits["network_d_loss_slope"] < -0.5
        assert all(abs(r["floor_d_loss"] - res.rows[0]["floor_d_loss"]) < 1e-12 for r in res.rows)
        assert res.rows[-1]["network_d_loss"] < res.rows[-1]["floor_d_loss"]
    if setup == "single-index":
        assert abs(res.fits["k1"]["slope"] - 1) < 0.35
        assert abs(res.fits["k2"]["slope_of_T_over_log_d"] - 1) < 0.4
    if setup == "staircase":
        learned = res.fits["network_samples_to_learn_degree"]
        assert learned["1"] <= learned["2"] <= learned["3"]
        # the network learns degree 3 well before its NTK at initialization (d = 64: ~2e4
        # samples against ~6.6e4 ~ d^3 / 4; with zero initial biases both needed ~6e4)
        kernel = res.fits["ntk_bias_samples_to_learn_degree"]
        assert learned["3"] < 0.5 * kernel["3"]


def test_sweep_kinds_run_one_unit_each(tmp_path):
    # the three sweep kinds run through the sweep driver; rows carry measured and predicted
    from funkhecke.cli import gd_operator_main

    spec = tmp_path / "st.toml"
    spec.write_text(
        'kind = "mean_field_staircase"\n[grid]\nd = [5, 6]\n[fixed]\nsteps = 40\n'
        "test_size = 200\nwidth = 16\n"
    )
    out = tmp_path / "out"
    code = gd_operator_main(["sweep", str(spec), "--out", str(out), "--no-progress", "-q"])
    assert code == 0
    text = (out / "results.csv").read_text().splitlines()
    header = text[0].split(",")
    assert "final_network_mse" in header and "final_ntk_bias_mse" in header
    assert len(text) == 3
    from funkhecke.sweeps.runs import RUNNERS
    from funkhecke.sweeps.spec import KINDS, SCHEMAS

    for kind in ("mean_field_lmz", "mean_field_escape", "mean_field_staircase"):
        assert kind in KINDS and kind in RUNNERS and kind in SCHEMAS
