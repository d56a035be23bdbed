"""Deep NNGP / NTK eigenvalues (gd_operator.spectrum, depth >= 1) against the independent table.

Reference: tests/reference/deep_reference_<activation>.json (relu, erf, gelu), written by
tests/reference/make_deep_reference.py, which imports only mpmath (checked below).  It evaluates
the closed layer compositions of docs/conventions.md ("Deep kernels") -- ReLU by the arc-cosine
duals of Cho & Saul 2009, erf by Williams' 1997 arcsine, GELU by the closed form of Tsuchida et
al. 2021 (derived there from orthant moments and asserted against 2-D quadrature and the Mehler
series before the table is written; residuals stored in the table) -- and projects them on
P_{k,n}:

* relu, n in {2, 3, 5, 10}: composite Gauss-Legendre quadrature in theta = arccos t at 50
  digits (every kernel here is analytic in theta on [0, pi]), 150 panels x 20 nodes, checked
  against 180 panels;
* relu, n in {100, 1000, 10^4}: Taylor coefficients c_0..c_4000 by the Cauchy integral on
  |rho| = 0.997 (16384-point trapezoid rule by an mpmath FFT, 45 digits), then the positive
  moment sum mu_k = sum_p c_p E[t^p P_{k,n}] (Rodrigues);
* erf and gelu, every n: the same on |rho| = 0.994 R, R the radius of convergence (erf
  1.42..1.5, gelu 1.97..2; 65536 points); at n <= 10 it agrees with the quadrature to the 25
  stored digits where the latter is sharp (k <~ 35..80; test_cauchy_route_agrees_...).

* tanh, every n (tests/reference/make_deep_reference_tanh.py; no closed-form dual): Taylor
  series of every layer built exactly in 106-digit fixed point -- Mehler coefficients
  h_j(q_l)^2 from the Fourier integral of tanh by a 110-digit trapezoid rule (checked against
  mpmath's adaptive quad and the direct definition at every layer), compositions by
  Paterson-Stockmeyer with big-integer (Kronecker) products, c_0..c_4000 -- then the same
  positive moment sum, with the truncation tail in the bound.

None of it shares code or method with the library (which composes float Taylor series and
subtracts Puiseux parts at rho = +-1; gelu by float Gauss-Hermite coefficients).  Cases: relu,
erf and gelu with weight_var 1, no bias, depths 1, 2, 3, 5, 10, and relu with weight_var 2,
bias 0.1 at depths 2 and 5; train "output" (NNGP), "hidden" (Theta^L E_L[phi'], computed by
the generator from its own terms, not as a difference) and "both" (NTK); k = 0..200.

Tolerance.  Each record stores an absolute error bound per degree: the rounding at the working
precision, the |difference| of the two quadrature rules (relu, n <= 10), and the Cauchy
coefficients' rounding and aliasing plus a truncation tail of the moment sum (the Cauchy
route).  An eigenvalue passes if

    |mu_api - mu_ref| <= 1e-12 |mu_ref| + bound_k,

the issue's 1e-12 relative requirement wherever the reference is that accurate, and it is
everywhere: relu bounds are below 1e-13 |mu_ref| (largest 6e-14: the aliasing bound of the
trapezoid rule at n = 100, k ~ 200), erf's and gelu's below 4e-34 |mu_ref|, so the check is
1e-12 relative throughout.  The comparison is made on ``log=True`` output (values reach
~1e-473 at n = 10^4); a float64 log of magnitude L carries an absolute rounding ~L eps
(~2.4e-13 at L = 1090), inside the 1e-12.  Parity zeros (relu and gelu at depth 1: odd k >= 3;
erf without bias: even k, every depth; every train) must be exact: sign 0 and log -inf from the
library, |mu_ref| <= bound in the table.

gelu: the library's Hermite coefficients of gelu were float Gauss-Hermite values (absolute error
~1e-15 each) and met 1e-12 only up to k ~ 20..30 (up to 1.5e61 relative at k = 200: mu_k falls
geometrically, mu_200 ~ 1e-116 at n = 2); with the closed-form h_j (gd_operator/_hermite.py,
_log_h2_gelu) every gelu record meets it (max 2.3e-13).
tanh: with float Gauss-Hermite h_j and 400 Taylor terms mu_k was off by 1e-10 at k = 50 and by
~100 % at k = 199 (n = 2); with the Fourier-integral h_j (gd_operator/_hermite_tanh.py) and the
series grown until its last fifth carries < 1e-15 of every mu_k, max 1.25e-13 (n = 10^4).
Measured (all k <= 200): relu <= 8.2e-13 (hidden 2.9e-13; deep relu at n <= 10 was
1.0e-12 .. 6.2e-11 in 24 records before the fixes in gd_operator/deep.py: long-double binomial
series and Gegenbauer moments, the rho-rescaling of the float Taylor series, and a second pass
with 2 P terms where the estimate exceeds 1e-12), erf <= 2.3e-13 (every train).

Speed: ~0.02-0.5 s per spectrum call (one call per record, shared by the gelu tests); the
depth-10 records and the generator's gelu self-check (~40 s) are marked slow.  Default run ~40 s,
with -m slow ~100 s.
"""

from __future__ import annotations

import ast
import functools
import json
import os

import mpmath as mp
import numpy as np
import pytest

import gd_operator as gdo

HERE = os.path.dirname(__file__)
REFERENCE = os.path.join(HERE, "reference")
GENERATOR = os.path.join(REFERENCE, "make_deep_reference.py")
ACTIVATIONS = ("relu", "erf", "gelu", "tanh")
TRAINS = ("output", "hidden", "both")
TOL = 1e-12
DEPTHS = [1, 2, 3, 5, 10]
DIMENSIONS = [2, 3, 5, 10, 100, 1000, 10**4]
KMAX = 200
# depth 10 (91 records) runs with -m slow; the default run takes ~40 s, everything ~100 s
SLOW_DEPTHS = {10}


@functools.cache
def _file(activation):
    with open(os.path.join(REFERENCE, f"deep_reference_{activation}.json")) as fh:
        return json.load(fh)


def _table(activation):
    return _file(activation)["records"]


def _key(rec):
    return (
        rec["activation"],
        rec["weight_var"],
        rec["bias"],
        rec["depth"],
        rec["n"],
        rec["train"],
    )


def _ident(key):
    act, w, b, depth, n, train = key
    extra = "" if (w, b) == (1.0, 0.0) else f"-w{w:g}-b{b:g}"
    return f"{act}{extra}-L{depth}-n{n}-{train}"


def _records():
    return {_key(r): r for act in ACTIVATIONS for r in _table(act)}


def _params():
    out = []
    for key in _records():
        marks = [pytest.mark.slow] if key[3] in SLOW_DEPTHS else []
        out.append(pytest.param(key, marks=marks, id=_ident(key)))
    return out


def _parity_zeros(rec):
    """Degrees whose eigenvalue vanishes by symmetry: relu and gelu at depth 1 (phi = x/2 + an
    even function: the NNGP is a constant + rho + even powers, the hidden kernel rho (1/4 + odd):
    odd k >= 3); erf and tanh without bias (odd kernels at every depth: even k)."""
    k = np.arange(KMAX + 1)
    if rec["bias"] != 0.0:
        return np.zeros(KMAX + 1, dtype=bool)
    if rec["activation"] in ("erf", "tanh"):
        return k % 2 == 0
    if rec["depth"] == 1:  # relu, gelu: x/2 + even (h_j = 0 for odd j >= 3), every train
        return (k % 2 == 1) & (k >= 3)
    return np.zeros(KMAX + 1, dtype=bool)


@functools.cache
def _api_cached(key):
    return _api(_records()[key])


def _api(rec):
    return gdo.spectrum(
        rec["activation"],
        rec["n"],
        KMAX,
        train=rec["train"],
        init="gaussian",
        depth=rec["depth"],
        weight_var=rec["weight_var"],
        bias=rec["bias"] or None,
        log=True,
    )


@functools.cache
def _reference_arrays(key):
    """(log|mu_ref|, bound / |mu_ref|) as float arrays (inf where mu_ref = 0), from 25 digits."""
    rec = _records()[key]
    log_ref = np.full(KMAX + 1, -np.inf)
    rel_bound = np.full(KMAX + 1, np.inf)
    with mp.workdps(40):
        for k in range(KMAX + 1):
            ref, bound = mp.mpf(rec["mu"][k]), mp.mpf(rec["error_bound"][k])
            if ref > 0:
                log_ref[k] = float(mp.log(ref))
                rel_bound[k] = float(bound / ref)
    return log_ref, rel_bound


def _compare(rec, sign, log_abs, below=KMAX + 1):
    """(failures, max relative error where bound <= 1e-13 |mu_ref|, informative count), over the
    degrees k < below."""
    sign, log_abs = sign[:below], log_abs[:below]
    zeros = _parity_zeros(rec)[:below]
    log_ref, rel_bound = (a[:below] for a in _reference_arrays(_key(rec)))
    bad = []
    for k in np.nonzero(zeros)[0]:
        if not (sign[k] == 0 and log_abs[k] == -np.inf):
            bad.append(f"k={k}: parity zero returned as sign {sign[k]}, log {log_abs[k]}")
        if abs(mp.mpf(rec["mu"][k])) > mp.mpf(rec["error_bound"][k]):
            bad.append(f"k={k}: table {rec['mu'][k]} above its bound {rec['error_bound'][k]}")
    live = ~zeros
    for k in np.nonzero(live & (sign != 1))[0]:
        bad.append(f"k={k}: sign {sign[k]} (table {rec['mu'][k]})")
    live &= sign == 1
    # relative accuracy where the reference is known to better than 1e-3 (every relu entry)
    sharp = live & (rel_bound <= 1e-3)
    with np.errstate(invalid="ignore"):
        rel = np.abs(np.expm1(log_abs - log_ref))
    for k in np.nonzero(sharp & ~(rel <= TOL + rel_bound))[0]:
        bad.append(f"k={k}: relative error {rel[k]:.3g}")
    # the rest (erf far below the reference's rounding): |mu - mu_ref| <= 1e-12 |mu_ref| + bound
    with mp.workdps(40):
        for k in np.nonzero(live & ~sharp)[0]:
            ref, bound = mp.mpf(rec["mu"][k]), mp.mpf(rec["error_bound"][k])
            gap = abs(mp.exp(mp.mpf(float(log_abs[k]))) - ref)
            if gap > TOL * abs(ref) + bound:
                bad.append(f"k={k}: {mp.nstr(gap, 3)} from the table, bound {mp.nstr(bound, 3)}")
    informative = live & (rel_bound <= 1e-13)
    worst = float(np.max(rel[informative], initial=0.0))
    return bad, worst, int(np.sum(informative))


# --------------------------------------------------------------------------------- the table


def test_generator_is_independent():
    """The generators (and their _refio helper) import only mpmath, the standard library and
    gmpy2 (mpmath's own backend; used for big-integer products when installed)."""
    imported = set()
    for name in (
        "make_deep_reference.py",
        "make_deep_reference_tanh.py",
        "make_deep_reference_quadrature.py",
        "_refio.py",
    ):
        with open(os.path.join(REFERENCE, name)) as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").split(".")[0] if node.level == 0 else ".")
    allowed = {"__future__", "json", "os", "sys", "tempfile", "time", "math", "mpmath", "_refio"}
    assert imported <= allowed | {"gmpy2", "make_deep_reference"}


def test_table_covers_the_requirement():
    """Depths 1, 2, 3, 5, 10 x n in {2, ..., 10^4} x NNGP / hidden / NTK, k = 0..200, per
    activation (plus relu with weight_var 2, bias 0.1 at depths 2 and 5)."""
    recs = _records()
    for act in ACTIVATIONS:
        for depth in DEPTHS:
            for n in DIMENSIONS:
                for train in TRAINS:
                    rec = recs[(act, 1.0, 0.0, depth, n, train)]
                    assert len(rec["mu"]) == len(rec["error_bound"]) == KMAX + 1
    for depth in (2, 5):
        for n in DIMENSIONS:
            for train in TRAINS:
                assert (("relu", 2.0, 0.1, depth, n, train)) in recs
    # every nonzero eigenvalue is known far beyond 1e-12, so the test is 1e-12 relative
    for key, rec in recs.items():
        zeros = _parity_zeros(rec)
        with mp.workdps(40):
            for k in range(KMAX + 1):
                ref, bound = mp.mpf(rec["mu"][k]), mp.mpf(rec["error_bound"][k])
                if not zeros[k]:
                    assert bound <= 1e-13 * abs(ref), (_ident(key), k, rec["mu"][k])


def test_cauchy_route_agrees_with_the_quadrature():
    """erf and gelu at n <= 10: the Cauchy-moment records (stored) against the independent
    theta-quadrature, where both are sharp to 1e-20 (k up to ~55..80)."""
    for act in ("erf", "gelu"):
        for key, rec in _records().items():
            if key[0] == act and key[4] <= 10:
                check = rec["quadrature_check"]
                assert float(check["max_relative_difference"]) < 1e-20, (_ident(key), check)
                assert check["degrees"] >= 15, (_ident(key), check)


def test_gelu_dual_was_checked():
    """The generator asserts its gelu closed form against 2-D quadrature, the orthant moments
    and the Mehler series before writing; the residuals are stored with the table."""
    residuals = _file("gelu")["gelu_dual_check"]
    assert set(residuals) == {"quadrature_2d", "variance_1d", "orthant", "mehler_series"}
    assert max(float(v) for v in residuals.values()) < 1e-20, residuals


def test_tanh_series_was_checked():
    """The tanh generator asserts its Fourier-integral Hermite coefficients against adaptive
    quadrature (and the direct definition for j <= 9) at every layer, and its fixed-point series
    composition against the scalar layer recursion at rho = 1/2; the residuals are stored."""
    checks = _file("tanh")["checks"]
    layers = [v for k, v in checks.items() if k.startswith("layer_")]
    assert len(layers) == 10
    for v in layers:
        assert float(v["fourier_vs_quad"]) < 1e-50 and float(v["direct"]) < 1e-40, v
    for depth in DEPTHS:
        assert float(checks[f"depth_{depth}"]["composition_check_rho_half"]) < 1e-60


@pytest.mark.slow
def test_gelu_dual_self_check():
    """Re-run the generator's self-check of the gelu closed form (~40 s, mpmath only)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_deep_reference", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    residuals = module.check_gelu_dual()
    assert max(residuals.values()) < 1e-20, residuals


# ----------------------------------------------------------------------------- the API


@pytest.mark.parametrize("key", _params())
def test_deep_spectrum_matches_reference(key):
    rec = _records()[key]
    sign, log_abs = _api_cached(key)
    bad, worst, informative = _compare(rec, sign, log_abs)
    assert not bad, f"{_ident(key)} beyond {TOL}: {bad[:8]} ({len(bad)} degrees)"
    assert worst <= TOL, worst
