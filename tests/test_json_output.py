"""Every to_json() and --json output is standard JSON: no NaN / Infinity tokens.

Reference: RFC 8259 (JSON has no non-finite numbers); Python's json module would accept them,
so the parser here rejects them explicitly.  Values that are undefined or infinite (a degree
that is never learned, energies that were not recorded) must come out as null.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

import funkhecke.reproductions
import gd_operator as gdo
import harmonics as hm
import sq_bounds as sq


def _strict_loads(text):
    def reject(token):
        raise AssertionError(f"non-standard JSON token {token!r}")

    return json.loads(text, parse_constant=reject)


def test_to_value_maps_non_finite_to_null():
    from harmonics._infra.jsonio import json_dumps

    doc = {"a": float("nan"), "b": [np.inf, -np.inf, 1.5], "c": np.array([np.nan, 2.0]), "d": 3}
    assert _strict_loads(json_dumps(doc)) == {
        "a": None,
        "b": [None, None, 1.5],
        "c": [None, 2.0],
        "d": 3,
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda: hm.expand("relu", 10, 12),
        lambda: gdo.simulate(
            gdo.ridge_target(3, (1, 3)),
            "relu",
            3,
            m=16,
            steps=3,
            lr=1.0,
            energies=False,
            progress=False,
        ),
        lambda: funkhecke.reproductions.basri_et_al(kappas=(2, 3, 4), m=50, samples=41, cap=5),
        lambda: sq.query_lower_bound(100, 3, 0.1),
        lambda: sq.information_theoretic_bound(100, 3),
    ],
    ids=["expansion", "simulation", "reproduction", "sq_bound", "it_bound"],
)
def test_result_objects_write_strict_json(make):
    result = make()
    doc = _strict_loads(result.to_json())
    assert isinstance(doc, dict)


def test_simulation_without_energies_reports_null_not_nan():
    res = gdo.simulate(
        gdo.ridge_target(3, (1,)), "relu", 3, m=8, steps=2, lr=1.0, energies=False, progress=False
    )
    assert np.isnan(res.residual_energy).all()  # in memory: NaN = "not recorded"
    doc = _strict_loads(res.to_json())
    flat = json.dumps(doc)
    assert "null" in flat


@pytest.mark.parametrize(
    ("module", "argv"),
    [
        ("harmonics", ["eigenvalues", "relu", "--n", "5", "--kmax", "6", "--json"]),
        ("gd_operator", ["spectrum", "relu", "--n", "5", "--kmax", "6", "--json"]),
        ("sq_bounds", ["table", "--n", "10", "100", "--k", "1", "3", "--tau", "0.001", "--json"]),
    ],
)
def test_cli_json_is_strict(module, argv):
    cli = __import__(f"funkhecke.cli.{module}_cli", fromlist=["main"])
    out = io.StringIO()
    assert cli.main(argv, out=out) == 0
    _strict_loads(out.getvalue())


def test_finite_width_deviation_is_finite_at_parity_zeros():
    fw = gdo.finite_width_spectrum("relu", 5, 60, 4, rng=0)
    dev = fw.max_relative_deviation()
    assert np.all(np.isfinite(dev)) and dev[3] == 0.0  # mu_3 = 0 and sigma = 0 exactly
    with pytest.raises(ValueError, match="mu_k = 0"):
        fw.ratios(3)
    assert math.isfinite(fw.frobenius_deviation(1))
