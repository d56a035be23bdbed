"""Lean core, honest extras: setup.cfg's extras, the one-line error of a missing extra, and
progress bars that degrade to no bar without tqdm."""

import configparser
import io
import pathlib
import re
import subprocess
import sys

import pytest

from harmonics._infra import extras

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORE = {"numpy", "scipy", "sympy", "mpmath", "numba", "tomli"}
OPTIONAL = ("matplotlib", "tqdm", "dask", "distributed", "yaml", "pyarrow", "gmpy2")


def _reqs(text):
    names = set()
    for line in text.strip().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[<>=;\[ ]", line, maxsplit=1)[0].lower())
    return names


def _cfg():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return cfg


def test_core_requirements_are_lean():
    assert _reqs(_cfg()["options"]["install_requires"]) == CORE


def test_extras_table():
    ex = {k: _reqs(v) for k, v in _cfg()["options.extras_require"].items()}
    assert ex["plot"] == {"matplotlib"} and ex["progress"] == {"tqdm"}
    assert ex["sweep"] == {"dask", "pyyaml"} and ex["fast"] == {"gmpy2"}
    assert ex["parquet"] == {"pyarrow"}
    assert ex["all"] == ex["plot"] | ex["progress"] | ex["sweep"] | ex["fast"]
    assert ex["all"] < ex["test"] and {"pytest", "hypothesis", "nbmake"} <= ex["test"]
    assert "pyarrow" not in ex["test"]  # heavy; its test skips without it
    for extra in extras.EXTRAS:
        assert extra in ex


def test_require_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError) as err:
        extras.require("matplotlib", "plot", "plotting")
    assert str(err.value) == 'plotting needs matplotlib: pip install "funkhecke[plot]"'
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ImportError, match=r'needs pyyaml: pip install "funkhecke\[sweep\]"; or'):
        extras.require("yaml", "sweep", "a YAML spec", alternative="write it in TOML")


def test_new_axes_without_matplotlib(monkeypatch):
    from harmonics._infra.figures import new_axes

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"^plotting needs matplotlib: pip install"):
        new_axes()


def test_cli_plot_without_matplotlib_is_one_line(monkeypatch, capsys, tmp_path):
    from funkhecke.cli import harmonics_main

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    argv = ["expand", "relu", "--n", "3", "--kmax", "2", "--plot", str(tmp_path / "x.png")]
    code = harmonics_main(argv, out=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2
    assert err == 'error: plotting needs matplotlib: pip install "funkhecke[plot]"\n'


def test_progress_bar_degrades_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    assert extras.progress_bar(total=3) is None


def test_simulate_progress_without_tqdm(monkeypatch):
    from gd_operator import simulate
    from gd_operator.targets import ridge_target

    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    res = simulate(ridge_target(3, (1,), rng=0), "relu", 3, 16, steps=2, lr=0.1, progress=True)
    assert res.residual_energy.shape[0] >= 2


def test_sweep_without_dask_names_the_extra(monkeypatch):
    from funkhecke.sweeps import engine

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"funkhecke\[sweep\]\"; or use scheduler='serial'"):
        engine._need("distributed", "local")


_BLOCKER = """
import importlib.abc, sys
BLOCK = %r
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
"""


def test_core_works_without_any_extra():
    """The libraries and the non-plotting CLI with every optional package unimportable."""
    code = _BLOCKER % (OPTIONAL,) + (
        "import harmonics, gd_operator, sq_bounds, funkhecke.cli as cli\n"
        "print(harmonics.legendre(5, 3, 0.2))\n"
        "print(gd_operator.spectrum('relu', 5, 3)[2])\n"
        "assert cli.harmonics_main(['dim', '--n', '5', '--k', '3']) == 0\n"
        "assert cli.gd_operator_main(['spectrum', 'relu', '--n', '5', '--kmax', '3']) == 0\n"
        "assert cli.sq_bounds_main(['table', '--n', '10', '--k', '2', '--tau', '0.1']) == 0\n"
        "assert cli.gd_operator_main(['demo', '--out', '/nonexistent/x']) == 2\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert p.returncode == 0, p.stderr
    assert "the demo's figures needs matplotlib" in p.stderr
