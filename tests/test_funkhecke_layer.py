"""The application layer: the ``funkhecke`` program and the deprecated gd_operator aliases.

References: the per-library command lines (the same commands must print the same tables), and
the objects in funkhecke.reproductions / funkhecke.sweeps (the aliases must return them).
"""

from __future__ import annotations

import io
import subprocess
import sys
import warnings

import pytest

from funkhecke.cli import GROUPS, harmonics_cli, main, sq_bounds_cli


def _run(fn, argv):
    out = io.StringIO()
    assert fn(argv, out=out) == 0
    return out.getvalue()


def test_help_text_names_groups(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for name in ("demo", "spectral-bias", "spectrum", "sweep", *GROUPS):
        assert name in text


@pytest.mark.parametrize(
    ("group", "library_main", "argv"),
    [
        ("harmonics", harmonics_cli.main, ["dim", "--n", "10", "--k", "3", "6"]),
        ("harmonics", harmonics_cli.main, ["eigenvalues", "relu", "--n", "3", "--kmax", "4"]),
        ("sq", sq_bounds_cli.main, ["table", "--n", "100", "--k", "2", "--tau", "0.1"]),
    ],
)
def test_groups_print_what_the_library_command_prints(group, library_main, argv):
    assert _run(main, [group, *argv]) == _run(library_main, argv)


def test_debug_before_the_group_is_passed_on():
    assert _run(main, ["--debug", "harmonics", "dim", "--n", "3", "--k", "2"]).split()[-1] == "5"


def test_python_dash_m_funkhecke():
    proc = subprocess.run(
        [sys.executable, "-m", "funkhecke", "harmonics", "dim", "--n", "100", "--k", "6"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-1] == "1604922825"  # N(100, 6), README


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("vempala_wilmes", "funkhecke.reproductions"),
        ("basri_et_al", "funkhecke.reproductions"),
        ("Reproduction", "funkhecke.reproductions"),
        ("sweep", "funkhecke.sweeps"),
        ("SpecError", "funkhecke.sweeps"),
    ],
)
def test_moved_names_warn_once_and_are_the_new_objects(name, home):
    code = (
        "import importlib, warnings, gd_operator\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        f"    a = getattr(gd_operator, {name!r})\n"
        f"    b = getattr(gd_operator, {name!r})\n"
        f"assert a is b is getattr(importlib.import_module({home!r}), {name!r})\n"
        "dep = [x for x in w if issubclass(x.category, DeprecationWarning)]\n"
        "assert len(dep) == 1, [str(x.message) for x in w]\n"
        f"assert {home!r} in str(dep[0].message)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_unknown_gd_operator_name_is_still_an_attribute_error():
    import gd_operator

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="no attribute"):
            gd_operator.no_such_name  # noqa: B018


FORMAT_COMMANDS = [
    ["harmonics", "eigenvalues", "relu", "--n", "3", "--kmax", "4"],
    ["harmonics", "dim", "--n", "10", "--k", "3"],
    ["harmonics", "legendre", "--k", "2", "--n", "3", "--t", "0.5"],
    ["sq", "table", "--n", "100", "--k", "2", "--tau", "0.1"],
    ["spectrum", "relu", "--n", "3", "--kmax", "4"],
]


@pytest.mark.parametrize("fmt", ["--json", "--csv"])
@pytest.mark.parametrize("argv", FORMAT_COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_one_output_convention_on_every_command(tmp_path, argv, fmt):
    # The same flag shape everywhere: FLAG alone -> stdout; FLAG PATH -> the same text in PATH.
    to_stdout = _run(main, [*argv, fmt])
    path = tmp_path / "out.txt"
    assert _run(main, [*argv, fmt, str(path)]) == ""
    assert path.read_text() == to_stdout


def test_sq_output_flag_still_works_but_is_deprecated(tmp_path, capsys):
    path = tmp_path / "t.json"
    argv = ["sq", "table", "--n", "100", "--k", "2", "--tau", "0.1", "--json"]
    assert main([*argv, "--output", str(path)]) == 0
    assert "deprecated" in capsys.readouterr().err
    assert path.read_text() == _run(main, argv)
