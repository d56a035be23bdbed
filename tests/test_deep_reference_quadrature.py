"""Deep NNGP / NTK kernels of sigmoid, softplus, silu and biased / non-unit-variance tanh, erf,
gelu against an independent 2-D quadrature reference.

Reference: tests/reference/deep_reference_quadrature.json, written by
tests/reference/make_deep_reference_quadrature.py (mpmath and the standard library only; it
imports nothing from harmonics / gd_operator: tests/test_deep_reference.py checks its imports).
It evaluates the layer recursion of docs/conventions.md ("Deep kernels") with every E_l[phi] and
E_l[phi'] a 2-D Gaussian expectation summed by a product trapezoidal rule at 60 working digits
(step chosen from the activation's strip of analyticity: tanh poles at i pi / 2, sigmoid /
softplus at i pi; erf, gelu entire), checked at start against the erf and gelu closed forms
(residuals ~1e-52, stored in "checks"). Kernel values K(rho) at 10 rho in [-1, 1] for depths 1,
2, 3, 5, and eigenvalues mu_k, k <= 15, n in {3, 10}, depths 1..3, by Clenshaw-Curtis in theta =
arccos t (256 nodes, checked against the nested 128-node rule). Cases (activation, weight_var,
bias): (sigmoid, 1, 0), (softplus, 1, 0), (sigmoid, 2, 0.1), (tanh, 2, 0.1), (erf, 1, 0.3),
(gelu, 1.5, 0.2), (softplus, 2, 0.5), (silu, 1, 0), (silu, 2, 0.3); trains output (NNGP), hidden
(Theta^L E_L[phi']) and both (NTK).

Tolerance.  Each stored value carries an absolute error_bound: for kernel values |FINE - COARSE|
of two trapezoid rules targeting 50 and 40 digits (~1e-40 |K|); for eigenvalues the difference
of the 256- and 128-node rules plus the kernel values' quadrature error through the rule's
absolute sum.  The generator keeps ("keep": true) only values whose bound is < 1e-14 |ref|, so

    |ours - ref| <= 1e-12 |ref| + error_bound

is the 1e-12 relative requirement itself (the bound is at most 1 % of it). No absolute term
except at exact zeros: K_hid at rho = 0 without bias (Theta^1 = Sigma^1 = 0, stored as exactly
0.0) must come back as exactly 0; eigenvalues that vanish by parity (sigmoid, softplus and silu
without bias at depth 1: sigmoid - 1/2 is odd, softplus - x/2 and silu - x/2 even; the reference
gets ~1e-40 from the quadrature, bound >= value, so not kept) must satisfy |mu_k| <= 1e-15
mu_max, the rounding level of a float64 spectrum whose largest entry is mu_max.

Found by this table: tanh at weight_var = 2 had hidden-layer / NTK kernel values near rho = 1
off by up to 1.48e-11 (the Mehler series was cut by its energy, not by the j-weighted sum of
the derivative kernel; fixed by _hermite.hermite_series_for_kernels).

Speed: one kernel() call per (case, depth, train) (all 10 rho at once) and one spectrum() call
per (case, depth, n, train): a few seconds in total.
"""

from __future__ import annotations

import functools
import json
import os

import mpmath as mp
import numpy as np
import pytest

import gd_operator as gdo

HERE = os.path.dirname(__file__)
REFERENCE = os.path.join(HERE, "reference")
TABLE = os.path.join(REFERENCE, "deep_reference_quadrature.json")
GENERATOR = "make_deep_reference_quadrature.py"
TOL = 1e-12
KMAX = 15
RHOS = ("-1", "-0.9", "-0.5", "0", "0.3", "0.7", "0.95", "0.99", "0.999", "1")
REQUIRED = {
    ("sigmoid", 1.0, 0.0),
    ("softplus", 1.0, 0.0),
    ("sigmoid", 2.0, 0.1),
    ("tanh", 2.0, 0.1),
    ("erf", 1.0, 0.3),
    ("gelu", 1.5, 0.2),
    ("softplus", 2.0, 0.5),
    ("silu", 1.0, 0.0),
    ("silu", 2.0, 0.3),
}


@functools.cache
def _file():
    with open(TABLE) as fh:
        return json.load(fh)


def _cases():
    return {(c["activation"], c["weight_var"], c["bias"]): c for c in _file()["cases"]}


def _ident(key):
    act, w, b = key
    return f"{act}-w{w:g}-b{b:g}"


def _case_params():
    return [pytest.param(key, id=_ident(key)) for key in _cases()]


def _options(key, depth, train):
    act, w, b = key
    return {
        "train": train,
        "init": "gaussian",
        "depth": depth,
        "weight_var": w,
        "bias": b or None,
    }


def _groups(case, kind, fields):
    out = {}
    for rec in case["records"]:
        if rec["kind"] == kind:
            out.setdefault(tuple(rec[f] for f in fields), []).append(rec)
    return out


def _check(ours, rec, bad, worst, where):
    """Compare one value; returns the relative error (None for exact / parity zeros)."""
    with mp.workdps(40):
        ref, bound = mp.mpf(rec["value"]), mp.mpf(rec["error_bound"])
        gap = abs(mp.mpf(float(ours)) - ref)
        if rec["keep"]:
            if ref == 0:
                if ours != 0:
                    bad.append(f"{where}: {ours!r}, reference exactly 0")
                return None
            if gap > TOL * abs(ref) + bound:
                rel = mp.nstr(gap / abs(ref), 3)
                bad.append(
                    f"{where}: ours {float(ours)!r}, reference {rec['value']}, bound "
                    f"{rec['error_bound']}, relative {rel}"
                )
            rel = float(gap / abs(ref))
            worst[0] = max(worst[0], rel)
            worst[1] += 1
            return rel
    return None


# --------------------------------------------------------------------------------- the table


def test_table_is_from_the_generator_and_complete():
    data = _file()
    assert GENERATOR in data["description"]
    assert os.path.exists(os.path.join(REFERENCE, GENERATOR))
    assert max(float(v) for v in data["checks"].values()) < 1e-35, data["checks"]
    assert set(_cases()) == REQUIRED
    for key, case in _cases().items():
        kernels = _groups(case, "kernel", ("depth", "train"))
        assert set(kernels) == {(d, t) for d in (1, 2, 3, 5) for t in ("output", "hidden", "both")}
        assert all(len(v) == len(RHOS) and all(r["keep"] for r in v) for v in kernels.values())
        eigs = _groups(case, "eigenvalue", ("depth", "n", "train"))
        assert len(eigs) == 3 * 2 * 3, key
        for recs in eigs.values():
            assert [r["k"] for r in recs] == list(range(KMAX + 1))
            for r in recs:  # every degree kept, or a parity zero (|value| within its bound)
                with mp.workdps(40):
                    v, bound = abs(mp.mpf(r["value"])), mp.mpf(r["error_bound"])
                assert r["keep"] or v <= bound, (key, r)


# ----------------------------------------------------------------------------- the API


@pytest.mark.parametrize("key", _case_params())
def test_kernel_values_match_reference(key):
    case = _cases()[key]
    bad, worst = [], [0.0, 0]
    for (depth, train), recs in _groups(case, "kernel", ("depth", "train")).items():
        rho = np.array([float(r["rho"]) for r in recs])
        ours = gdo.kernel(key[0], 3, rho, **_options(key, depth, train))
        assert tuple(r["rho"] for r in recs) == RHOS
        for value, rec in zip(np.atleast_1d(ours), recs, strict=True):
            _check(value, rec, bad, worst, f"L{depth} {train} rho={rec['rho']}")
    assert not bad, f"{_ident(key)}: {len(bad)} values beyond {TOL}: {bad[:6]}"
    assert worst[1] > 0


@pytest.mark.parametrize("key", _case_params())
def test_eigenvalues_match_reference(key):
    case = _cases()[key]
    bad, worst, zeros = [], [0.0, 0], 0
    for (depth, n, train), recs in _groups(case, "eigenvalue", ("depth", "n", "train")).items():
        ours = gdo.spectrum(key[0], n, KMAX, **_options(key, depth, train))
        mu_max = float(np.max(np.abs(ours)))
        for rec in recs:
            k = rec["k"]
            where = f"L{depth} n={n} {train} k={k}"
            if rec["keep"]:
                _check(ours[k], rec, bad, worst, where)
            elif abs(float(rec["value"])) <= float(rec["error_bound"]):  # a parity zero
                if abs(ours[k]) > 1e-15 * mu_max:
                    bad.append(f"{where}: {ours[k]!r} where the reference is 0 ({rec['value']})")
                zeros += 1
    assert not bad, f"{_ident(key)}: {len(bad)} eigenvalues beyond {TOL}: {bad[:6]}"
    # every degree compared at 1e-12 or checked as a parity zero
    assert worst[1] + zeros == sum(r["kind"] == "eigenvalue" for r in case["records"])
