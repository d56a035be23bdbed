"""Smoke tests of ``python -m harmonics``: exit codes, parseable output, files written."""

import csv
import io
import json
import subprocess
import sys

import pytest

from funkhecke.cli.harmonics_cli import main


def run(argv):
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue()


def test_eigenvalues_table_json_csv():
    code, text = run(["eigenvalues", "relu", "--n", "3", "--kmax", "4"])
    assert code == 0 and "lambda_k" in text
    code, text = run(["eigenvalues", "relu", "--n", "3", "--kmax", "4", "--json"])
    rows = json.loads(text)["rows"]
    assert [r["k"] for r in rows] == [0, 1, 2, 3, 4]
    assert rows[2]["lambda_k"] == pytest.approx(1 / 16, rel=1e-15)
    code, text = run(["eigenvalues", "relu", "--n", "10000", "--kmax", "200", "--log", "--csv"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1]["k"] == "200" and float(rows[-1]["log10|lambda_k|"]) < -200


def test_expand_plot_writes_png(tmp_path):
    png = tmp_path / "fig.png"
    code, text = run(["expand", "sigmoid", "--n", "5", "--kmax", "6", "--plot", str(png), "--svg"])
    assert code == 0 and png.stat().st_size > 1000 and (tmp_path / "fig.svg").exists()


def test_legendre_and_dim():
    code, text = run(["legendre", "--k", "2", "--n", "3", "--t", "0.5", "--json"])
    assert json.loads(text)["rows"][0]["P_2,3(t)"] == -0.125
    code, text = run(["dim", "--n", "100", "--k", "6", "--csv"])
    assert "1604922825" in text


def test_errors_are_one_line_and_debug_raises(capsys):
    code, _ = run(["eigenvalues", "rleu", "--n", "3", "--kmax", "2"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "unknown activation" in err
    with pytest.raises(ValueError):
        main(["--debug", "eigenvalues", "rleu", "--n", "3", "--kmax", "2"], out=io.StringIO())


def test_module_entry_point_help():
    proc = subprocess.run(
        [sys.executable, "-m", "harmonics", "--help"], capture_output=True, text=True, check=True
    )
    assert "eigenvalues" in proc.stdout and "examples:" in proc.stdout
