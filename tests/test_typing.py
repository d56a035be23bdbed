"""mypy on the public API: the packages' __init__ and tests/typing/public_api_usage.py (the
documented calls, checked against the annotated signatures and return types), configured in
pyproject.toml ([tool.mypy]).  Skipped only when mypy is not installed (it is in the ``test``
extra, so CI runs it).  About 10 s of CPU with a cold cache.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("mypy", reason='mypy is in the test extra: pip install -e ".[test]"')

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _mypy(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_public_api_type_checks():
    proc = _mypy()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout


def test_a_contradicting_use_fails_the_check(tmp_path):
    # The reference for "the check can fail": dim_harmonics is annotated -> int, so using its
    # result as a str and passing a str as n are type errors.
    bad = tmp_path / "bad_usage.py"
    bad.write_text(
        "import harmonics as hm\ncount: str = hm.dim_harmonics(10, 3)\nhm.dim_harmonics('10', 3)\n",
        encoding="utf-8",
    )
    proc = _mypy(str(bad))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "bad_usage.py:2: error: Incompatible types in assignment" in proc.stdout
    assert 'bad_usage.py:3: error: Argument 1 to "dim_harmonics"' in proc.stdout


@pytest.mark.parametrize("package", ["gd_operator", "funkhecke"])
def test_lazy_public_names_are_visible_to_type_checkers(package):
    """A name resolved by the package's __getattr__ (its ``_LAZY`` table) is ``Any`` to mypy
    unless the ``if TYPE_CHECKING:`` block of the __init__ imports it too."""
    import ast

    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    lazy, typed = set(), set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "_LAZY":
            lazy = set(ast.literal_eval(node.value))
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            typed |= {
                a.name for imp in node.body if isinstance(imp, ast.ImportFrom) for a in imp.names
            }
    assert lazy, f"{package}/__init__.py has no _LAZY table"
    missing = sorted(lazy - typed)
    assert not missing, (
        f"{package}/__init__.py: add to its 'if TYPE_CHECKING:' block the imports of {missing}"
    )
