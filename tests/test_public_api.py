"""The public names of each package are what users call, whatever was imported before.

A lazy package attribute must never be shadowed by a submodule of the same name (importing
``funkhecke.reproductions`` imports the simulation module; if that module were called
``simulate`` the package attribute ``gd_operator.simulate`` would become the module).  Each
check runs in a fresh interpreter so the import order is the one stated.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

CASES = [
    # (imports done first, expression that must be a function/class, not a module)
    ("import funkhecke.reproductions", "gd_operator.simulate"),
    ("import funkhecke.reproductions", "funkhecke.sweep"),
    ("import funkhecke.sweeps", "funkhecke.sweep"),
    (
        "from funkhecke.cli import gd_operator_cli as cli; cli.build_parser()",
        "gd_operator.simulate",
    ),
    ("import funkhecke.demo", "gd_operator.simulate"),
    ("import funkhecke.demo", "funkhecke.vempala_wilmes"),
    ("", "gd_operator.ridge_target"),
    ("import harmonics.symbolic", "harmonics.legendre"),
    ("", "harmonics.dim_harmonics"),
]


@pytest.mark.parametrize(("before", "name"), CASES)
def test_public_name_is_callable_not_a_module(before, name):
    code = (
        "import types, gd_operator, harmonics, funkhecke\n"
        f"{before}\n"
        f"obj = {name}\n"
        "assert callable(obj) and not isinstance(obj, types.ModuleType), repr(obj)\n"
        f"assert {name} is obj\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("package", ["harmonics", "gd_operator", "sq_bounds", "funkhecke"])
def test_every_name_in_all_resolves(package):
    code = (
        f"import {package} as p, types\n"
        "missing = [n for n in p.__all__ if not hasattr(p, n)]\n"
        "assert not missing, missing\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
