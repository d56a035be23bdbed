"""One CLI convention on every program and subcommand: --version, --quiet, the JSON document
(version, command, inputs, rows/result), harmonics --shift (--bias deprecated), did-you-mean."""

import io
import json

import pytest

import funkhecke
from funkhecke.cli import gd_operator_main, harmonics_main, main, sq_bounds_main

PROGRAMS = {
    "funkhecke": main,
    "harmonics": harmonics_main,
    "gd_operator": gd_operator_main,
    "sq_bounds": sq_bounds_main,
}

# (program, subcommand argv) for every subcommand; the fast ones run in the tests below.
SUBCOMMANDS = [
    ("harmonics", ["eigenvalues", "relu", "--n", "3", "--kmax", "3"]),
    ("harmonics", ["expand", "sigmoid", "--n", "3", "--kmax", "3"]),
    ("harmonics", ["legendre", "--k", "2", "--n", "3", "--t", "0.5"]),
    ("harmonics", ["dim", "--n", "5", "--k", "1", "2"]),
    ("gd_operator", ["spectrum", "relu", "--n", "3", "--kmax", "3"]),
    ("gd_operator", ["learning-curve", "relu", "--n", "5", "--degrees", "1", "--no-simulation"]),
    ("sq_bounds", ["table", "--n", "10", "--k", "2", "--tau", "0.1"]),
    ("sq_bounds", ["fit", "--n", "100", "1000", "--k", "1", "--tau", "0.1"]),
    ("sq_bounds", ["gd", "--n", "3", "--degrees", "1", "--steps", "5", "--width", "10"]),
    ("funkhecke", ["harmonics", "dim", "--n", "5", "--k", "2"]),
    ("funkhecke", ["sq", "table", "--n", "10", "--k", "2", "--tau", "0.1"]),
    ("funkhecke", ["spectrum", "relu", "--n", "3", "--kmax", "3"]),
]
SLOW_SUBCOMMANDS = [
    ["demo"],
    ["spectral-bias", "--setup", "vw"],
    ["sweep", "x.toml", "--out", "o"],
    ["beyond-kernels", "--setup", "staircase"],
]
ALL_NAMES = [a[0] if p != "funkhecke" or a[0] == "spectrum" else a[1] for p, a in SUBCOMMANDS]


def _run(program, argv):
    out = io.StringIO()
    code = PROGRAMS[program](argv, out=out)
    return code, out.getvalue()


def _id(case):
    return "-".join([case[0], *case[1][:2]])


@pytest.mark.parametrize("program", PROGRAMS)
def test_version_on_every_program(program, capsys):
    with pytest.raises(SystemExit) as stop:
        PROGRAMS[program](["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"funkhecke {funkhecke.__version__}\n"


@pytest.mark.parametrize("case", SUBCOMMANDS, ids=_id)
def test_version_after_every_subcommand(case, capsys):
    program, argv = case
    with pytest.raises(SystemExit) as stop:
        PROGRAMS[program]([*argv, "--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"funkhecke {funkhecke.__version__}\n"


@pytest.mark.parametrize("argv", SLOW_SUBCOMMANDS, ids=lambda a: a[0])
@pytest.mark.parametrize("program", ["gd_operator", "funkhecke"])
def test_version_on_simulation_subcommands(program, argv, capsys):
    with pytest.raises(SystemExit):
        PROGRAMS[program]([*argv, "--version"])
    assert capsys.readouterr().out == f"funkhecke {funkhecke.__version__}\n"


@pytest.mark.parametrize("case", SUBCOMMANDS, ids=_id)
def test_quiet_keeps_the_results(case, capsys):
    program, argv = case
    code, plain = _run(program, argv)
    assert code == 0
    for quiet in ([*argv, "--quiet"], ["-q", *argv]):
        assert _run(program, quiet) == (0, plain)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        (["demo", "--out", "x"], "funkhecke.demo.run"),
        (["spectral-bias", "--setup", "vw", "--out", "x"], "funkhecke.demo.run"),
        (["sweep", "spec.toml", "--out", "x"], "funkhecke.sweeps.driver.sweep"),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else None,
)
@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_turns_off_progress(monkeypatch, argv, target, where):
    seen = {}

    def fake(*args, progress=True, **kwargs):
        seen["progress"] = progress
        raise RuntimeError("stop here")

    monkeypatch.setattr(target, fake)
    if target.endswith("sweep"):
        monkeypatch.setattr("funkhecke.sweeps.driver.load_spec", lambda *a, **k: None)
    assert gd_operator_main(argv, out=io.StringIO()) == 2
    assert seen["progress"] is True
    quiet = ["--quiet", *argv] if where == "before" else [*argv, "--quiet"]
    assert gd_operator_main(quiet, out=io.StringIO()) == 2
    assert seen["progress"] is False


EXPECTED_INPUTS = {
    "eigenvalues": {"activation": "relu", "n": 3, "kmax": 3, "scale": 1.0, "shift": 0.0},
    "expand": {"activation": "sigmoid", "n": 3, "kmax": 3, "power": None, "coeffs": None},
    "legendre": {"k": 2, "n": 3, "t": [0.5]},
    "dim": {"n": 5},
    "spectrum": {"activation": "relu", "n": 3, "kmax": 3, "train": "output", "bias": None},
    "table": {"n": [10], "k": [2], "tau": 0.1, "family_bound": "best"},
    "fit": {"n": [100, 1000], "k": [1], "tau": 0.1, "tau_exponent": None},
    "gd": {"n": 3, "degrees": [1], "steps": 5, "width": 10, "seed": 0, "activation": "erf"},
    "learning-curve": {"activation": "relu", "n": [5], "degrees": [1], "ridge": 0.001},
}
LIBRARY = {
    "eigenvalues": "harmonics",
    "expand": "harmonics",
    "legendre": "harmonics",
    "dim": "harmonics",
    "spectrum": "gd_operator",
    "learning-curve": "gd_operator",
    "table": "sq_bounds",
    "fit": "sq_bounds",
    "gd": "sq_bounds",
}


@pytest.mark.parametrize("case", SUBCOMMANDS, ids=_id)
def test_json_document_records_inputs_and_version(case):
    program, argv = case
    name = argv[0] if argv[0] in LIBRARY else argv[1]
    code, text = _run(program, [*argv, "--json"])
    assert code == 0
    doc = json.loads(text)
    payload = "result" if name == "spectrum" else "rows"
    assert list(doc) == ["funkhecke_version", "command", "inputs", payload]
    assert doc["funkhecke_version"] == funkhecke.__version__
    assert doc["command"] == f"{LIBRARY[name]} {name}"  # the same under `funkhecke ...`
    inputs = doc["inputs"]
    for key, value in EXPECTED_INPUTS[name].items():
        assert inputs[key] == value, key
    assert not {"json", "csv", "debug", "quiet", "func", "command", "plot"} & set(inputs)
    if payload == "rows":
        assert isinstance(doc["rows"], list) and doc["rows"]
    else:
        assert set(doc["result"]) == {"convention", "k", "multiplicity", "mu", "log10_mu"}


def test_every_subcommand_is_covered():
    from funkhecke.cli import gd_operator_cli, harmonics_cli, sq_bounds_cli

    def names(parser):
        return set(parser.subcommands.choices)

    listed = set(ALL_NAMES) | {a[0] for a in SLOW_SUBCOMMANDS}
    assert names(harmonics_cli.build_parser()) <= listed
    assert names(sq_bounds_cli.build_parser()) <= listed
    assert names(gd_operator_cli.build_parser()) <= listed


@pytest.mark.parametrize("command", ["eigenvalues", "expand"])
def test_harmonics_shift_and_deprecated_bias(command, capsys):
    base = [command, "relu", "--n", "3", "--kmax", "4", "--json"]
    code, shifted = _run("harmonics", [*base, "--shift", "0.3"])
    assert code == 0 and capsys.readouterr().err == ""
    code, aliased = _run("harmonics", [*base, "--bias", "0.3"])
    err = capsys.readouterr().err
    assert code == 0 and aliased == shifted
    assert err.startswith("warning: --bias is deprecated, use --shift") and err.count("\n") == 1
    assert json.loads(shifted)["inputs"]["shift"] == 0.3
    _, unshifted = _run("harmonics", base)
    assert json.loads(unshifted)["rows"] != json.loads(shifted)["rows"]
    code, _ = _run("harmonics", [*base, "--bias", "0.3", "--shift", "0.1"])
    assert code == 2 and "give --shift only" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("program", "argv", "suggestion"),
    [
        ("harmonics", ["eigenvalues", "sigmod", "--n", "3", "--kmax", "2"], "'sigmoid'"),
        ("harmonics", ["expand", "tahn", "--n", "3", "--kmax", "2"], "'tanh'"),
        ("gd_operator", ["spectrum", "relux", "--n", "3"], "'relu'"),
        ("sq_bounds", ["gd", "--activation", "ertf", "--degrees", "1", "--steps", "2"], "'erf'"),
    ],
)
def test_did_you_mean_activation(program, argv, suggestion, capsys):
    assert _run(program, argv)[0] == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"(did you mean {suggestion}?)" in err


@pytest.mark.parametrize(
    ("program", "argv", "suggestion"),
    [
        ("gd_operator", ["spectrum", "relu", "--n", "3", "--train", "bot"], "'both'"),
        ("gd_operator", ["spectrum", "relu", "--n", "3", "--init", "gaussain"], "'gaussian'"),
        ("gd_operator", ["spectral-bias", "--setup", "basr"], "'basri'"),
        ("gd_operator", ["spectrm"], "'spectrum'"),
        ("funkhecke", ["spectrm"], "'spectrum'"),
        ("harmonics", ["eigenvalue", "relu"], "'eigenvalues'"),
        ("sq_bounds", ["tabel"], "'table'"),
        ("sq_bounds", ["gd", "--adversary", "randm"], "'random'"),
        ("sq_bounds", ["table", "--n", "5", "--k", "1", "--tau", "1", "--family-bound", "x"], None),
    ],
)
def test_did_you_mean_choices(program, argv, suggestion, capsys):
    with pytest.raises(SystemExit) as stop:
        PROGRAMS[program](argv, out=io.StringIO())
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err
    if suggestion is None:
        assert "did you mean" not in err
    else:
        assert f"(did you mean {suggestion}?)" in err
