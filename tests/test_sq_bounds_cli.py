"""python -m sq_bounds: table / fit / gd, output formats, plots, errors."""

import csv
import io
import json
import math
import subprocess
import sys

import pytest

from funkhecke.cli.sq_bounds_cli import main
from sq_bounds import information_theoretic_bound, query_lower_bound


def _run(argv):
    out = io.StringIO()
    rc = main(argv, out=out)
    return rc, out.getvalue()


def test_table_json_matches_library():
    rc, text = _run(["table", "--n", "100", "1000", "--k", "2", "3", "--tau", "0.1", "--json"])
    assert rc == 0
    rows = json.loads(text)["rows"]
    assert len(rows) == 4
    for r in rows:
        ref = query_lower_bound(r["n"], r["k"], 0.1)
        assert r["log10_sq"] == (
            None if ref.log10_queries is None else pytest.approx(ref.log10_queries)
        )
        dim = query_lower_bound(r["n"], r["k"], 0.1, max_family_size="dim").log10_queries
        assert r["log10_sq_dim"] == (None if dim is None else pytest.approx(dim))
        assert r["log10_info_bits"] == pytest.approx(
            information_theoretic_bound(r["n"], r["k"]).log10_queries
        )
        # Same unit as log10_sq (queries of tolerance 0.1): closed form log2 N(n,k) / log2(11)
        # from the exact integer N(n,k) (C(n+k-1,k) - C(n+k-3,k-2)); 1e-12 is float log rounding.
        dim_nk = math.comb(r["n"] + r["k"] - 1, r["k"]) - math.comb(r["n"] + r["k"] - 3, r["k"] - 2)
        want = math.log10(math.log2(dim_nk) / math.log2(11))
        assert r["log10_info_queries"] == pytest.approx(want, rel=1e-12)
    no_bound = [r for r in rows if r["k"] == 2 and r["n"] == 100][0]
    assert no_bound["log10_sq"] is None and "gamma(0)" in no_bound["note"]


def test_table_text_and_csv_issue_example():
    rc, text = _run(
        ["table", "--n", "10", "100", "1000", "--k", "1", "2", "3", "4", "--tau", "1e-3"]
    )
    assert rc == 0
    lines = text.strip().splitlines()
    assert lines[0].split()[:4] == ["n", "k", "tau", "log10_sq"]
    assert len(lines) == 1 + 12
    rc, text = _run(["table", "--n", "10", "1000", "--k", "1", "--tau", "0.1", "--csv"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["n"]) for r in rows] == [10, 1000]
    assert float(rows[1]["log10_sq"]) == pytest.approx(math.log10(1000 * 0.01 / 2))


def test_table_huge_values_finite_in_json():
    rc, text = _run(["table", "--n", "1000000", "--k", "50", "--tau", "1e-3", "--json"])
    r = json.loads(text)["rows"][0]
    assert rc == 0 and math.isfinite(r["log10_sq"]) and r["log10_sq"] > 1e5


def test_table_plot_and_output_file(tmp_path):
    png = tmp_path / "sub" / "table.png"
    out = tmp_path / "table.csv"
    rc, text = _run(
        [
            "table",
            "--n",
            "100",
            "10000",
            "--k",
            "1",
            "3",
            "--tau",
            "0.1",
            "--csv",
            "--output",
            str(out),
            "--plot",
            str(png),
        ]
    )
    assert rc == 0 and text == ""
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.read_text().startswith("n,k,tau,log10_sq")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub", "table.csv"]  # no temp files


def test_fit_command():
    rc, text = _run(
        ["fit", "--k", "1", "3", "--n", "10000", "100000", "1000000", "--tau", "0.1", "--json"]
    )
    rows = json.loads(text)["rows"]
    assert rc == 0
    assert [round(r["last_local_slope"]) for r in rows] == [1, 3]


def test_gd_command_small():
    rc, text = _run(
        [
            "gd",
            "--n",
            "4",
            "--degrees",
            "1",
            "5",
            "--tau",
            "0.05",
            "--steps",
            "100",
            "--width",
            "60",
            "--json",
        ]
    )
    rows = json.loads(text)["rows"]
    assert rc == 0
    assert rows[0]["weights_moved"] == "yes" and rows[1]["weights_moved"] == "no"
    assert rows[1]["oracle_final_error"] == 1.0


@pytest.mark.parametrize(
    "argv,match",
    [
        (["table", "--n", "1", "--k", "1", "--tau", "0.1"], "n must be"),
        (["table", "--n", "10", "--k", "0", "--tau", "0.1"], "k must be"),
        (["table", "--n", "10", "--k", "1", "--tau", "1.5"], "tau must"),
        (["table", "--n", "10", "--k", "1", "--tau", "0"], "tau must"),
    ],
)
def test_errors_are_one_line(argv, match, capsys):
    rc, _ = _run(argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert match in err and err.count("\n") == 1 and "Traceback" not in err


def test_debug_shows_traceback():
    with pytest.raises(ValueError, match="tau must"):
        main(["table", "--n", "10", "--k", "1", "--tau", "2", "--debug"], out=io.StringIO())


def test_module_entry_point_help():
    res = subprocess.run(
        [sys.executable, "-m", "sq_bounds", "--help"], capture_output=True, text=True, check=True
    )
    assert "table" in res.stdout and "examples:" in res.stdout
