"""The cross-package conventions of docs/conventions.md hold everywhere.

* ``rng=`` is the one RNG parameter; ``seed=`` is a deprecated alias that warns once per call
  (DeprecationWarning) and gives bit-identical results (the same stream).
* Renamed attributes keep a deprecated alias (``ExponentFit.intercept`` -> ``log10_intercept``).
* Flags are booleans: ``log="False"``, ``log=2``, ``normalize=1`` ... raise TypeError.
* Docstrings, comments and notebooks point to sections of docs/conventions.md that exist.
"""

from __future__ import annotations

import json
import pathlib
import re
import warnings

import numpy as np
import pytest

import funkhecke.reproductions as repro
import gd_operator as gdo
import harmonics as hm
import sq_bounds as sq
from gd_operator.targets import CallableTarget
from harmonics._infra.checks import check_bool

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _one_deprecation(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    dep = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(dep) == 1, [str(w.message) for w in dep]
    assert "seed= is deprecated" in str(dep[0].message) and "rng=" in str(dep[0].message)
    assert dep[0].filename == __file__  # points at the caller's line
    return out


def _target(**kw):
    return gdo.ridge_target(3, (1, 2), **kw)


SEEDED = {
    "ridge_target": (
        lambda **kw: _target(**kw).directions,
        5,
    ),
    "teacher_network": (lambda **kw: gdo.teacher_network(4, 3, **kw).W, 5),
    "simulate": (
        lambda **kw: (
            gdo.simulate(
                _target(rng=1),
                "relu",
                3,
                m=6,
                steps=2,
                lr=0.5,
                samples=30,
                train="both",
                progress=False,
                **kw,
            ).loss
        ),
        7,
    ),
    "finite_width_spectrum": (
        lambda **kw: gdo.finite_width_spectrum("relu", 3, 6, 2, **kw).restricted,
        3,
    ),
    "energies_mc": (
        lambda **kw: CallableTarget(3, lambda X: X[:, 0]).energies_mc(2, 200, **kw)[0],
        4,
    ),
    "norm2": (lambda **kw: CallableTarget(3, lambda X: X[:, 0]).norm2(500, **kw), 4),
    "cao_et_al": (
        lambda **kw: repro.cao_et_al(
            n=3, samples=20, m=8, steps=2, amplitudes=((1, 1, 1),), **kw
        ).rows[0]["mu_measured"],
        2,
    ),
    "vempala_wilmes": (
        lambda **kw: repro.vempala_wilmes(
            n=3, degrees=(1,), m=8, steps=2, samples_bias=20, **kw
        ).rows[0]["mu_measured"],
        2,
    ),
}


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_seed_is_a_deprecated_alias_of_rng(name):
    call, value = SEEDED[name]
    new = call(rng=value)
    old = _one_deprecation(lambda: call(seed=value))
    np.testing.assert_array_equal(np.asarray(old), np.asarray(new))  # same stream, bit for bit
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name never warns
        call(rng=np.random.default_rng(value))
    with pytest.raises(ValueError, match="either seed or rng"), pytest.deprecated_call():
        call(seed=value, rng=value + 1)


def test_rng_accepts_a_seed_a_generator_or_none():
    a = gdo.ridge_target(4, (1,), rng=3).directions
    b = gdo.ridge_target(4, (1,), rng=np.random.default_rng(3)).directions
    np.testing.assert_array_equal(a, b)
    assert gdo.ridge_target(4, (1,), rng=None).directions.shape == (1, 4)
    with pytest.raises(TypeError, match="rng must be"):
        gdo.ridge_target(4, (1,), rng="3")
    with pytest.raises(ValueError, match="rng must be an integer >= 0"):
        gdo.finite_width_spectrum("relu", 3, 4, 1, rng=-1)


def test_settings_record_the_seed_as_data():
    res = gdo.simulate(_target(), "relu", 3, m=4, steps=1, lr=0.5, rng=11, progress=False)
    assert res.settings["seed"] == 11


def test_exponent_fit_intercept_is_a_deprecated_alias():
    fit = sq.fit_exponent(k=2, n_values=[10, 20, 40], tau=0.1)
    assert "log10_intercept" in fit.to_dict() and "intercept" not in fit.to_dict()
    with pytest.deprecated_call(match="log10_intercept"):
        assert fit.intercept == fit.log10_intercept


# ---------------------------------------------------------------------------- booleans


FLAG_CALLS = {
    "funk_hecke_eigenvalues(log=)": lambda v: hm.funk_hecke_eigenvalues("relu", 3, 2, log=v),
    "gegenbauer(log=)": lambda v: hm.gegenbauer(2, 1.5, 0.5, log=v),
    "nu_quadrature(log=)": lambda v: hm.nu_quadrature(3, 4, log=v),
    "gauss_rule(log=)": lambda v: hm.gauss_rule([0.0, 0.0], [0.5], log=v),
    "gauss_rule(symmetric=)": lambda v: hm.gauss_rule([0.0, 0.0], [0.5], symmetric=v),
    "SphericalHarmonics(normalize=)": lambda v: hm.SphericalHarmonics(3, 1)(
        np.array([[0.0, 0.0, 1.0]]), normalize=v
    ),
    "RidgeSum.eigenvalues(log=)": lambda v: hm.RidgeSum("relu", np.eye(3)[:1]).eigenvalues(
        2, log=v
    ),
    "spectrum(log=)": lambda v: gdo.spectrum("relu", 3, 2, log=v),
    "simulate(symmetric=)": lambda v: gdo.simulate(
        _target(),
        "relu",
        3,
        m=4,
        steps=1,
        lr=0.5,
        samples=10,
        train="hidden",
        symmetric=v,
        progress=False,
    ),
    "simulate(energies=)": lambda v: gdo.simulate(
        _target(), "relu", 3, m=4, steps=1, lr=0.5, energies=v, progress=False
    ),
    "simulate(progress=)": lambda v: gdo.simulate(
        _target(), "relu", 3, m=4, steps=1, lr=0.5, progress=v if v is not True else False
    ),
    "max_correlation(log=)": lambda v: sq.max_correlation(n=3, k=2, delta=0.1, log=v),
    "correlation(log=)": lambda v: sq.correlation(n=3, k=2, inner=0.5, log=v),
    "ToleranceOracle(record=)": lambda v: sq.ToleranceOracle(
        sq.LegendreTarget(np.array([1.0, 0.0, 0.0]), 2), 0.1, record=v
    ),
}


@pytest.mark.parametrize("name", sorted(FLAG_CALLS))
@pytest.mark.parametrize("bad", ["False", 2, 1, 0, None, 1.0], ids=repr)
def test_flags_refuse_non_booleans(name, bad):
    with pytest.raises(TypeError, match="must be True or False"):
        FLAG_CALLS[name](bad)


@pytest.mark.parametrize("name", sorted(FLAG_CALLS))
def test_flags_accept_booleans(name):
    for good in (True, False, np.True_):
        FLAG_CALLS[name](good)


def test_check_bool():
    assert check_bool(np.bool_(False), "x") is False and check_bool(True, "x") is True
    with pytest.raises(TypeError, match="x must be True or False, got 'yes'"):
        check_bool("yes", "x")


# ----------------------------------------------------------------------- doc pointers


def _sections() -> set[str]:
    text = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    return {m.group(1).strip() for m in re.finditer(r"^#+ (.+)$", text, flags=re.M)}


def _texts():
    for package in ("harmonics", "gd_operator", "sq_bounds", "funkhecke", "tests", "benchmarks"):
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        yield path, "\n".join("".join(c["source"]) for c in cells)
    for path in (ROOT / "README.md", ROOT / "CHANGELOG.md"):
        if path.exists():
            yield path, path.read_text(encoding="utf-8")


_POINTER = re.compile(r'docs/conventions\.md(?:\]\([^)]*\))?(?:,|\s*\()\s*"([^"]+)"')


def test_doc_pointers_name_existing_sections():
    sections = _sections()
    missing, count = [], 0
    for path, text in _texts():
        flat = re.sub(r"\s*\n\s*(?:#\s*)?", " ", text)  # re-join wrapped lines and comments
        flat = flat.replace('\\"', '"')
        for m in _POINTER.finditer(flat):
            count += 1
            name = re.sub(r"\s+", " ", m.group(1)).strip()
            if name not in sections:
                missing.append(f"{path.relative_to(ROOT)}: {name!r}")
    assert not missing, f"pointers to sections docs/conventions.md does not have: {missing}"
    assert count >= 30


def test_no_pointer_to_a_missing_math_file():
    gone = "MATH" + ".md"
    hits = [str(p.relative_to(ROOT)) for p, text in _texts() if gone in text]
    hits += [
        str(p.relative_to(ROOT))
        for p in (ROOT / "docs").glob("*.md")
        if gone in p.read_text(encoding="utf-8")
    ]
    assert not hits
