"""Every docstring example (``>>>``) of harmonics, gd_operator, sq_bounds and funkhecke runs.

One test per module of the four packages (``__main__`` entry points excepted: importing them
runs the program).  Modules are found on disk, not imported, so collection stays light
(nothing pulls in matplotlib, dask, numba or sympy before a test runs); each test imports its
module, runs doctest on the docstrings of the objects defined there and fails with doctest's
report.  Options: ELLIPSIS and NORMALIZE_WHITESPACE, nothing else -- an example shows what a
user actually sees.  An example that is wrong is fixed in the docstring; one that exposes a bug
is fixed in the code.
"""

from __future__ import annotations

import doctest
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("harmonics", "gd_operator", "sq_bounds", "funkhecke")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "__main__.py" or "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return names


MODULES = _module_names()


def _doctests(name: str):
    module = importlib.import_module(name)
    found = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    return sorted((t for t in found if t.examples), key=lambda t: t.name)


def test_the_packages_have_examples():
    with_examples = [m for m in MODULES if "\n>>> " in _source(m) or "    >>> " in _source(m)]
    assert len(with_examples) >= 10, with_examples


def _source(name: str) -> str:
    path = ROOT.joinpath(*name.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    tests = _doctests(name)
    if ">>> " in _source(name):
        assert tests, f"{name} has '>>>' lines but doctest finds no examples in its docstrings"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    for test in tests:
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
