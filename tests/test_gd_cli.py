"""python -m gd_operator spectrum: table, JSON, CSV, plot, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from funkhecke.cli.gd_operator_cli import _format_from_log, _format_int, main
from gd_operator import spectrum


def _run(argv):
    out = io.StringIO()
    rc = main(argv, out=out)
    return rc, out.getvalue()


def test_table_matches_library():
    rc, text = _run(
        ["spectrum", "relu", "--n", "10", "--kmax", "12", "--train", "both", "--init", "gaussian"]
    )
    assert rc == 0
    rows = [line.split() for line in text.splitlines() if line and line.split()[0].isdigit()]
    assert len(rows) == 13
    mu = spectrum("relu", 10, 12, train="both", init="gaussian")
    for r in rows:
        k = int(r[0])
        assert (
            int(r[1])
            == [1, 10, 54, 210, 660, 1782, 4290, 9438, 19305, 37180, 68068, 119340, 201552][k]
        )
        if mu[k] == 0:
            assert r[2] == "0" and r[3] == "-inf"
        else:
            assert float(r[2]) == pytest.approx(mu[k], rel=1e-6)


def test_json_and_csv(tmp_path):
    rc, text = _run(["spectrum", "relu", "--n", "3", "--kmax", "4", "--json"])
    assert rc == 0
    doc = json.loads(text)["result"]
    np.testing.assert_allclose(doc["mu"], spectrum("relu", 3, 4), rtol=1e-15)
    assert doc["multiplicity"] == [1, 3, 5, 7, 9] and doc["log10_mu"][3] is None
    path = tmp_path / "s.csv"
    rc, text = _run(
        ["spectrum", "tanh", "--n", "5", "--kmax", "3", "--init", "gaussian", "--csv", str(path)]
    )
    assert rc == 0 and text == ""
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["k", "N(n,k)", "mu_k", "log10_mu_k"] and len(rows) == 5


def test_values_below_float64_range():
    # log-scale formatting: n = 10^5, k = 100 is ~1e-400 (shown, not 0)
    rc, text = _run(["spectrum", "relu", "--n", "100000", "--kmax", "100", "--init", "gaussian"])
    last = text.splitlines()[-1].split()
    assert last[0] == "100" and "e-" in last[2] and float(last[3]) < -308
    assert _format_from_log(np.log(2.5e-7)) == "2.500000e-07"
    assert _format_int(10**400 + 12345) == "1.000000e+400"


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "mu.png"
    rc, _ = _run(
        ["spectrum", "relu", "--n", "4", "--kmax", "10", "--train", "both", "--plot", str(path)]
    )
    assert rc == 0 and path.stat().st_size > 1000


def test_errors_are_one_line(capsys):
    rc, _ = _run(["spectrum", "step", "--n", "5", "--train", "hidden"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1
    rc, _ = _run(["spectrum", "relu", "--n", "5", "--bias", "0.3"])
    assert rc == 2 and "init='gaussian' only" in capsys.readouterr().err
    with pytest.raises(ValueError):
        main(["spectrum", "relu", "--n", "1", "--debug"], out=io.StringIO())


def test_module_entry_point():
    r = subprocess.run(
        [sys.executable, "-m", "gd_operator", "spectrum", "relu", "--n", "3", "--kmax", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and "6.250000e-02" in r.stdout  # lambda_0(relu)^2 = 1/16
    r = subprocess.run(
        [sys.executable, "-m", "gd_operator", "--help"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0 and "spectrum" in r.stdout


def test_steep_deep_smooth_gate_fails_fast(capsys):
    """Was: spectrum tanh --n 2 --kmax 0 --weight-var 1000 (and sigmoid --n 100 --train hidden)
    ran > 2 s of CPU (tanh(31.6 z) is nearly a step: the Hermite series was pushed through
    rules of up to 12200 nodes before it was found not to converge).  Now the extrapolated
    deficit stops it at j ~ 600 with an error naming weight_var."""
    import time

    t0 = time.process_time()
    for argv in (
        ["spectrum", "tanh", "--n", "2", "--kmax", "0", "--weight-var", "1000"],
        ["spectrum", "sigmoid", "--n", "100", "--kmax", "3", "--train", "hidden"]
        + ["--weight-var", "1000"],
    ):
        rc, _ = _run(argv)
        err = capsys.readouterr().err
        assert rc == 2 and "weight_var" in err and "method='radial'" not in err
    assert time.process_time() - t0 < 1.5
