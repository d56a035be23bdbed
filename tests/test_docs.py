"""The documentation site (docs/, Sphinx + numpydoc + autosummary + myst-nb) builds without a
warning, and its API reference has a page for every public name.

``test_docs_build`` runs ``sphinx-build -W --keep-going`` (a docstring that fails to render, a
cross-reference to a name without a page, a broken include are errors) into a scratch folder and
then checks the pages.  It is marked slow (about 40 s of CPU without executing the notebooks);
``.ci/run`` runs it with ``FUNKHECKE_DOCS_EXECUTE=1``, which executes the notebooks during the
build (myst-nb + jupyter-cache) and also checks that their figures are in the pages.  Without
that variable the notebooks are rendered as committed (tests/test_notebooks.py executes them).
The fast tests check the parts that need no build: the notebooks' install cell and the README's
build command.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
REQUIRED_API = ("harmonics", "harmonics.symbolic", "gd_operator", "sq_bounds", "funkhecke")


def _conf():
    import runpy

    return runpy.run_path(str(DOCS / "conf.py"))  # no side effects at import (builder-inited)


def test_the_api_reference_covers_every_package():
    pytest.importorskip("funkhecke")
    documented = [name for name, _ in _conf()["API_MODULES"]]
    assert set(REQUIRED_API) <= set(documented), documented


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_opens_with_an_install_cell(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = next(c for c in cells if c["cell_type"] == "code")
    source = "".join(code["source"])
    assert re.search(r"^# *%?pip install .*funkhecke", source, re.M), (
        f"{path.name}: the first code cell should be the commented install command"
    )


def test_readme_says_how_to_build_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'pip install -e ".[docs]"' in readme
    assert "python -m sphinx -W --keep-going -b html docs docs/_build/html" in readme


@pytest.mark.slow
def test_docs_build(tmp_path):
    for module in ("sphinx", "numpydoc", "myst_nb", "furo"):
        pytest.importorskip(module, reason='the docs need: pip install -e ".[docs]"')
    execute = os.environ.get("FUNKHECKE_DOCS_EXECUTE", "0")
    out = tmp_path / "html"
    env = dict(os.environ, FUNKHECKE_DOCS_EXECUTE=execute)
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-20000:]

    conf = _conf()
    generated = out / "api" / "generated"
    missing = []
    for module, _ in conf["API_MODULES"]:
        own, moved = conf["_public_names"](module)
        missing += [
            f"{module}.{n}" for n in own if not (generated / f"{module}.{n}.html").is_file()
        ]
        for name, sub in moved.items():  # documented once, on the submodule's page
            assert (generated / f"{sub}.{name}.html").is_file(), (sub, name)
    assert not missing, f"public names without an API page: {missing}"
    page = (generated / "harmonics.funk_hecke_eigenvalues.html").read_text(encoding="utf-8")
    assert "Parameters" in page and "Returns" in page  # numpydoc sections rendered

    for nb in NOTEBOOKS:
        html = out / "notebooks" / f"{nb.stem}.html"
        assert html.is_file(), html
        if execute != "0":  # executed at build time: outputs, figures included, are shown
            text = html.read_text(encoding="utf-8")
            assert "cell_output" in text, f"{nb.name}: no outputs in the rendered page"
    if execute != "0":
        assert list((out / "_images").glob("*.png")), "no notebook figure in the site"
    for figure in DOCS.glob("demo_*.png"):
        assert (out / "_images" / figure.name).is_file(), figure.name
    for page in ("getting_started", "conventions", "architecture", "accuracy", "reproductions"):
        assert (out / f"{page}.html").is_file(), page
    conventions = (out / "conventions.html").read_text(encoding="utf-8")
    assert "Conversions to the papers" in conventions


def test_the_conversions_stated_in_the_conventions():
    """docs/conventions.md, "The same objects in other normalizations": each row against an
    independent computation -- the defining integrals by mpmath's tanh-sinh quadrature at 30
    digits (split at relu's kink; the (1 - t^2)^{(n-3)/2} endpoint singularities are what
    tanh-sinh handles), scipy's Gegenbauer polynomials, exact binomials.  Tolerance 1e-12
    relative: float64 eigenvalues (~1e-14) against 30-digit integrals."""
    import math

    import mpmath as mp
    from scipy.special import eval_gegenbauer

    import harmonics as hm

    text = (DOCS / "conventions.md").read_text(encoding="utf-8")
    assert "The same objects in other normalizations" in text
    mp.mp.dps = 30

    def area(d):  # |S^{d-1}|, the surface area of the unit sphere in R^d
        return 2 * mp.pi ** (mp.mpf(d) / 2) / mp.gamma(mp.mpf(d) / 2)

    for n in (3, 5, 8):
        kmax = 5
        lam = hm.funk_hecke_eigenvalues("relu", n, kmax)
        alpha = mp.mpf(n - 2) / 2
        for k in range(kmax + 1):
            # surface measure: |S^{n-2}| int_{-1}^{1} relu(t) P_{k,n}(t) (1-t^2)^{(n-3)/2} dt
            c1 = mp.gegenbauer(k, alpha, 1)
            power = mp.mpf(n - 3) / 2

            def integrand(t, k=k, c1=c1, alpha=alpha, e=power):
                return t * mp.gegenbauer(k, alpha, t) / c1 * (1 - t * t) ** e

            lam_surface = area(n - 1) * mp.quad(integrand, [0, 1])
            assert float(lam_surface) == pytest.approx(float(area(n)) * lam[k], rel=1e-12)
            # Gegenbauer normalization and coefficient
            assert math.comb(k + n - 3, k) == int(mp.nint(c1))
            assert eval_gegenbauer(k, float(alpha), 1.0) == pytest.approx(float(c1), rel=1e-14)
            a_k = hm.dim_harmonics(n, k) * lam[k] / math.comb(k + n - 3, k)
            assert a_k == pytest.approx((2 * k + n - 2) * lam[k] / (n - 2), rel=1e-14)
    # the circle: Fourier cosine coefficients c_k = (2/pi) int_0^pi relu(cos th) cos(k th) dth
    lam2 = hm.funk_hecke_eigenvalues("relu", 2, 6)
    for k in range(7):
        c_k = 2 / mp.pi * mp.quad(lambda th, k=k: mp.cos(th) * mp.cos(k * th), [0, mp.pi / 2])
        assert float(c_k) == pytest.approx(2 * lam2[k], rel=1e-12, abs=1e-15)
