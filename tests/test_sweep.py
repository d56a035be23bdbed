"""gd_operator.sweep: grid specs, resumable result files, serial / processes / dask.distributed.

References: the direct calls (simulate, spectrum, query_lower_bound with the same arguments)
for what a run computes -- compared bit for bit, since a run is the same deterministic code;
the serial sweep for every parallel scheduler (bit for bit: same seeds, and the numba
reductions use a fixed blocking independent of the thread count); hand-written expectations
(line numbers, keys, counts of runs) for validation and resumption; exact exponential decays
for the learning-time interpolation (log-linear interpolation is exact on them, so 1e-12).

One LocalCluster (2 worker processes x 1 thread) is shared by the module; simulations are
tiny (n = 3, m = 16, steps = 5) so that the scheduling, not the numerics, is what is tested.
"""

import json
import math
import os
import textwrap

import numpy as np
import pytest

from funkhecke.sweeps import SweepFolderError, sweep
from funkhecke.sweeps.runs import run_simulate
from funkhecke.sweeps.spec import SpecError, load_spec
from funkhecke.sweeps.tables import _crossing

distributed = pytest.importorskip("distributed")

TINY = {
    "kind": "simulate",
    "grid": {"k": [1, 2], "seed": [0, 1, 2]},
    "fixed": {"n": 3, "m": 16, "steps": 5, "lr": 0.5},
}


@pytest.fixture(scope="module")
def cluster():
    import logging

    c = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: never collides with a running cluster
        silence_logs=logging.ERROR,
    )
    yield c
    c.close()


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The reference: TINY run serially in this process (also warms the numba cache)."""
    return sweep(
        TINY, tmp_path_factory.mktemp("serial"), scheduler="serial", progress=False, figure=False
    )


def _results(res):
    return {r.hash: res.records[r.hash]["result"] for r in res.runs}


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


# ------------------------------------------------------------------------------ specs


def test_grid_expansion_defaults_and_hash_invariance(tmp_path):
    spec = load_spec(TINY)
    runs = spec.runs()
    # cartesian product in file order, last axis fastest
    assert [(r.settings["k"], r.settings["seed"]) for r in runs] == [
        (1, 0),
        (1, 1),
        (1, 2),
        (2, 0),
        (2, 1),
        (2, 2),
    ]
    s = runs[0].settings
    assert s["m"] == 16 and s["lr"] == 0.5 and isinstance(s["lr"], float)
    assert s["activation"] == "relu" and s["train"] == "output" and s["samples"] is None
    assert len({r.hash for r in runs}) == 6
    # same runs written differently (TOML file, int lr, axis order, single value in grid)
    toml = _write(
        tmp_path,
        "a.toml",
        """
        kind = "simulate"
        [grid]
        seed = [0, 1, 2]
        k = [1, 2]
        m = [16]
        [fixed]
        n = 3
        steps = 5
        lr = 0.5
        """,
    )
    other = load_spec(toml)
    assert {r.hash for r in other.runs()} == {r.hash for r in runs}
    assert other.spec_hash() == spec.spec_hash()
    changed = dict(TINY, fixed=dict(TINY["fixed"], lr=0.25))
    assert load_spec(changed).spec_hash() != spec.spec_hash()


def test_yaml_spec_equals_toml(tmp_path):
    yml = _write(
        tmp_path,
        "a.yaml",
        """
        kind: simulate
        grid:
          k: [1, 2]
          seed: [0, 1, 2]
        fixed:
          n: 3
          m: 16
          steps: 5
          lr: 0.5
          bias: null
        """,
    )
    assert load_spec(yml).spec_hash() == load_spec(TINY).spec_hash()


BAD_TOML = [
    # (text, line, fragments of the message)
    (
        """
        kind = "simulate"
        [grid]
        n = [3]
        k = [1, 2]
        [fixed]
        stepz = 5
        lr = 0.5
        """,
        6,
        ["unknown simulate setting in [fixed] 'stepz'", "did you mean 'steps'"],
    ),
    (
        """
        [grid]
        n = [3]
        k = []
        [fixed]
        steps = 5
        lr = 0.5
        """,
        3,
        ["axis 'k' is empty"],
    ),
    (
        """
        [grid]
        n = [3, "five"]
        k = [1]
        [fixed]
        steps = 5
        lr = 0.5
        """,
        2,
        ["'n', value 2 of 2", "integer >= 2", "str 'five'"],
    ),
    (
        """
        [grid]
        n = [1]
        k = [1]
        [fixed]
        steps = 5
        lr = 0.5
        """,
        2,
        ["must be an integer >= 2, got 1"],
    ),
    (
        """
        [grid]
        n = [3]
        seed = 0
        [fixed]
        k = 1
        steps = 5
        lr = 0.5
        """,
        3,
        ["[grid] 'seed' must be a list", "put single values in [fixed]"],
    ),
    (
        """
        kind = "simulate"
        steps = 5
        [grid]
        n = [3]
        """,
        2,
        ["'steps' is a run setting, not a top-level key"],
    ),
    (
        """
        kind = "simulation"
        [grid]
        n = [3]
        """,
        1,
        ["'kind' must be one of", "did you mean 'simulate'"],
    ),
    (
        """
        [grid]
        n = [3]
        m = [16, 32]
        [fixed]
        m = 16
        """,
        None,
        ["'m' is set in [grid]", "line 3", "line 5"],
    ),
    (
        """
        [grid]
        n = [3]
        [fixed]
        m = true
        """,
        4,
        ["[fixed] 'm' must be an integer >= 1, got bool True"],
    ),
    (
        """
        [grid]
        n = [3]
        m = 16 16
        """,
        3,
        ["TOML syntax error"],
    ),
    (
        """
        [grid]
        n = [3]
        [fixed]
        k = 1
        lr = 0.5
        """,
        None,
        ["simulate runs need 'steps'", "add it to [fixed]"],
    ),
    (
        """
        [grid]
        n = [3]
        lr = [0.5]
        [fixed]
        k = 1
        steps = 5
        lr_scale = 0.5
        """,
        None,
        ["exactly one of 'lr'", "[grid] 'lr' (line 3)", "[fixed] 'lr_scale' (line 7)"],
    ),
    (
        """
        [grid]
        seed = [0, 1, 0]
        [fixed]
        n = 3
        k = 1
        steps = 5
        lr = 0.5
        """,
        2,
        ["axis 'seed' repeats the value 0"],
    ),
    (
        """
        kind = "sq"
        [grid]
        n = [10, 20]
        [fixed]
        k = 2
        tau = 1.5
        """,
        6,
        ["'tau' must be a number > 0 and < 1, got 1.5"],
    ),
]


@pytest.mark.parametrize("text, line, fragments", BAD_TOML)
def test_bad_toml_specs_name_key_and_line(tmp_path, text, line, fragments):
    path = _write(tmp_path, "bad.toml", text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    msg = str(info.value)
    assert msg.startswith(str(path))
    if line is not None:
        assert f"{path}, line {line}:" in msg
    for frag in fragments:
        assert frag in msg


BAD_YAML = [
    (
        """
        grid:
          n: [3]
          acivation: [relu]
        fixed: {k: 1, steps: 5, lr: 0.5}
        """,
        3,
        ["unknown simulate setting in [grid] 'acivation'", "did you mean 'activation'"],
    ),
    (
        """
        grid:
          n: [3]
          n: [4]
        """,
        3,
        ["key 'n' appears twice (first on line 2)"],
    ),
    (
        """
        grid:
          n: [3]
        fixed:
          k: 1
          steps: 5
          lr: 1e-3
        """,
        6,
        ["'lr' must be a number", "write 1.0e-3"],
    ),
    (
        """
        grid:
          n: [3
        fixed: {}
        """,
        None,
        ["YAML syntax error"],
    ),
]


@pytest.mark.parametrize("text, line, fragments", BAD_YAML)
def test_bad_yaml_specs_name_key_and_line(tmp_path, text, line, fragments):
    path = _write(tmp_path, "bad.yml", text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    msg = str(info.value)
    if line is not None:
        assert f"{path}, line {line}:" in msg
    for frag in fragments:
        assert frag in msg


def test_spec_file_type_and_arguments(tmp_path):
    with pytest.raises(SpecError, match=r"must be a \.toml, \.yaml or \.yml file"):
        load_spec(tmp_path / "spec.json")
    with pytest.raises(SpecError, match="cannot read the spec"):
        load_spec(tmp_path / "missing.toml")
    with pytest.raises(TypeError, match="spec must be a path"):
        load_spec(42)
    with pytest.raises(ValueError, match="scheduler must be one of"):
        sweep(TINY, tmp_path / "o", scheduler="thread")
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        sweep(TINY, tmp_path / "o", workers=0)
    with pytest.raises(ValueError, match=r"learned must be in \(0, 1\)"):
        sweep(TINY, tmp_path / "o", learned=1.5)
    with pytest.raises(ValueError, match="retries must be an integer >= 0"):
        sweep(TINY, tmp_path / "o", retries=-1)
    assert not (tmp_path / "o").exists()  # arguments are checked before anything is written


# ------------------------------------------------------------------ what a run computes


def test_runs_equal_direct_calls(serial, tmp_path):
    from gd_operator import spectrum
    from gd_operator.simulation import simulate
    from gd_operator.targets import ridge_target
    from sq_bounds import query_lower_bound

    run = serial.runs[4]  # k = 2, seed = 1
    ref = simulate(
        ridge_target(3, [2], rng=0), "relu", 3, 16, steps=5, lr=0.5, rng=1, kmax=6, progress=False
    )
    got = serial.records[run.hash]["result"]
    assert got["residual_energy"] == ref.residual_energy.tolist()
    assert got["loss"] == ref.loss.tolist()
    assert got["spectrum"] == ref.spectrum.tolist()

    spec = {
        "kind": "spectrum",
        "grid": {"n": [3, 7]},
        "fixed": {"activation": "tanh", "kmax": 6, "init": "gaussian", "train": "both"},
    }
    res = sweep(spec, tmp_path / "spec", scheduler="serial", progress=False, figure=False)
    for r in res.runs:
        sign, log_mu = spectrum("tanh", r.settings["n"], 6, train="both", init="gaussian", log=True)
        got = res.records[r.hash]["result"]
        assert got["mu"] == [math.exp(v) for v in log_mu]  # exp(-inf) = 0.0 at exact zeros
        pairs = zip(sign, log_mu, strict=True)
        assert got["log10_mu"] == [v / math.log(10) if g else None for g, v in pairs]
        assert got["log10_mu"][2] is None  # tanh is odd: mu_k = 0 exactly at even k >= 2
    rows = [row for row in res.rows if row["n"] == 7]
    assert [row["multiplicity"] for row in rows] == [1, 7, 27, 77, 182, 378, 714]  # N(7,k)

    spec = {"kind": "sq", "grid": {"n": [10, 40], "k": [2, 3]}, "fixed": {"tau": 0.01}}
    res = sweep(spec, tmp_path / "sq", scheduler="serial", progress=False, figure=False)
    for r, row in zip(res.runs, res.rows, strict=True):
        ref = query_lower_bound(r.settings["n"], r.settings["k"], 0.01).to_dict()
        assert res.records[r.hash]["result"] == ref
        assert row["log10_queries"] == ref["log10_queries"]


def test_lr_scale_uses_the_spectrum_maximum():
    from gd_operator import spectrum

    spec = load_spec({"grid": {"n": [3]}, "fixed": {"k": 2, "m": 16, "steps": 2, "lr_scale": 0.5}})
    out = run_simulate(spec.runs()[0].settings)
    assert out["lr_used"] == 0.5 / float(np.max(spectrum("relu", 3, 6)))


# ------------------------------------------------------------------------- schedulers


def test_local_cluster_equals_serial_and_workers_use_numba_cache(serial, cluster, tmp_path):
    res = sweep(
        TINY, tmp_path / "dist", scheduler=cluster.scheduler_address, progress=False, figure=False
    )
    assert res.ran == 6 and not res.failed
    assert _results(res) == _results(serial)
    pids = {res.records[r.hash]["pid"] for r in res.runs}
    assert os.getpid() not in pids

    def cache_stats():
        from harmonics import _projection_kernels

        # the pair sums behind the energy records (one compilation, any thread count)
        st = _projection_kernels.pair_sums_kernel.stats
        return sum(st.cache_hits.values()), sum(st.cache_misses.values())

    with distributed.Client(cluster, set_as_default=False) as client:
        stats = client.run(cache_stats)
    used = [s for s in stats.values() if s != (0, 0)]
    assert used, "no worker ran the kernel"
    assert all(misses == 0 and hits > 0 for hits, misses in used)  # loaded, not compiled


def test_processes_scheduler_equals_serial(serial, tmp_path):
    res = sweep(
        TINY, tmp_path / "proc", scheduler="processes", workers=2, progress=False, figure=False
    )
    assert res.ran == 6 and not res.failed
    assert _results(res) == _results(serial)
    assert os.getpid() not in {res.records[r.hash]["pid"] for r in res.runs}


def _raising_runner(bad_seed):
    def runner(settings):
        if settings["k"] == 2 and settings["seed"] == bad_seed:
            raise RuntimeError("injected failure")
        return run_simulate(settings)

    return runner


def _dying_runner(marker_dir):
    """Kills its worker process the first time it meets k = 1, seed = 2."""

    def runner(settings):
        if settings["k"] == 1 and settings["seed"] == 2:
            marker = os.path.join(marker_dir, "died-once")
            if not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(1)
        return run_simulate(settings)

    return runner


def test_failing_run_is_recorded_and_rerun_finishes_only_missing(serial, cluster, tmp_path):
    out = tmp_path / "fail"
    res = sweep(
        TINY,
        out,
        scheduler=cluster.scheduler_address,
        progress=False,
        figure=False,
        _runner=_raising_runner(1),
    )
    assert res.ran == 6 and len(res.failed) == 1
    bad = res.failed[0]
    assert bad["error"] == "RuntimeError: injected failure"
    assert "injected failure" in bad["traceback"]
    assert (bad["settings"]["k"], bad["settings"]["seed"]) == (2, 1)
    on_disk = json.loads((out / "runs" / f"{bad['hash']}.json").read_text())
    assert on_disk["status"] == "error"
    error_rows = [r for r in res.rows if r["status"] == "error"]
    assert len(error_rows) == 1 and error_rows[0]["error"] == "RuntimeError: injected failure"
    assert sum(r["status"] == "ok" for r in res.rows) == 5 * 7  # 5 runs x degrees 0..6

    # lose one finished result as well: the re-run executes exactly that one and the failed one
    lost = res.runs[0].hash
    os.remove(out / "runs" / f"{lost}.json")
    again = sweep(
        TINY,
        out,
        scheduler=cluster.scheduler_address,
        progress=False,
        figure=False,
        retry_failed=False,
    )
    assert (again.done_before, again.ran, len(again.failed)) == (5, 1, 1)
    final = sweep(TINY, out, scheduler=cluster.scheduler_address, progress=False, figure=False)
    assert (final.done_before, final.ran, len(final.failed)) == (5, 1, 0)
    assert _results(final) == _results(serial)
    done = sweep(TINY, out, scheduler="serial", progress=False, figure=False)
    assert (done.done_before, done.ran) == (6, 0)


def test_worker_killed_mid_grid_is_retried(serial, cluster, tmp_path):
    marker = tmp_path / "markers"
    marker.mkdir()
    res = sweep(
        TINY,
        tmp_path / "kill",
        scheduler=cluster.scheduler_address,
        progress=False,
        figure=False,
        _runner=_dying_runner(str(marker)),
    )
    assert (marker / "died-once").exists()  # a worker really died
    assert res.ran == 6 and not res.failed
    assert _results(res) == _results(serial)


def test_processes_pool_rebuilt_after_a_worker_dies(serial, tmp_path):
    marker = tmp_path / "markers"
    marker.mkdir()
    res = sweep(
        TINY,
        tmp_path / "kill",
        scheduler="processes",
        workers=2,
        progress=False,
        figure=False,
        _runner=_dying_runner(str(marker)),
    )
    assert (marker / "died-once").exists()
    assert res.ran == 6 and not res.failed
    assert _results(res) == _results(serial)


def _always_dying_runner(settings):
    if settings["k"] == 2 and settings["seed"] == 0:
        os._exit(1)
    return run_simulate(settings)


@pytest.mark.parametrize("scheduler", ["local", "processes"])
def test_run_that_always_kills_its_worker_is_recorded_as_failed(serial, tmp_path, scheduler):
    # retries = 1: local allows one worker death per run (then KilledWorker); processes
    # rebuilds the pool until two consecutive breaks finish nothing.  Every other run finishes.
    res = sweep(
        TINY,
        tmp_path / scheduler,
        scheduler=scheduler,
        workers=2,
        retries=1,
        progress=False,
        figure=False,
        _runner=_always_dying_runner,
    )
    assert len(res.failed) == 1
    bad = res.failed[0]
    assert (bad["settings"]["k"], bad["settings"]["seed"]) == (2, 0)
    assert bad["error"].startswith("KilledWorker" if scheduler == "local" else "BrokenProcessPool")
    good = {h: v for h, v in _results(res).items() if h != bad["hash"]}
    assert good == {h: v for h, v in _results(serial).items() if h != bad["hash"]}


# -------------------------------------------------------------------- folder and outputs


def test_other_spec_folder_refused_unless_force(serial, tmp_path):
    out = tmp_path / "o"
    sweep(TINY, out, scheduler="serial", progress=False, figure=False)
    more = dict(TINY, grid={"k": [1, 2], "seed": [0, 1, 2, 3]})
    with pytest.raises(SweepFolderError) as info:
        sweep(more, out, scheduler="serial", progress=False, figure=False)
    msg = str(info.value)
    assert "different sweep spec" in msg and "[grid] seed: [0, 1, 2] -> [0, 1, 2, 3]" in msg
    assert "--force" in msg
    res = sweep(more, out, scheduler="serial", progress=False, figure=False, force=True)
    assert (res.done_before, res.ran) == (6, 2)  # the finished runs are reused
    assert json.loads((out / "sweep.json").read_text())["spec"]["grid"]["seed"] == [0, 1, 2, 3]

    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(SweepFolderError, match="not a sweep folder"):
        sweep(TINY, stranger, scheduler="serial", progress=False, figure=False)


def test_table_figure_and_learning_time(tmp_path):
    import csv

    spec = dict(
        TINY, grid={"k": [1, 2]}, fixed=dict(TINY["fixed"], steps=40, lr_scale=1.0, lr=None)
    )
    res = sweep(spec, tmp_path / "t", scheduler="serial", progress=False)
    with open(res.paths["table"]) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 7
    for key in (
        "activation",
        "n",
        "m",
        "k",
        "seed",
        "lr_scale",
        "degree",
        "mu_predicted",
        "mu_measured",
        "learning_time",
        "learning_time_predicted",
        "run",
        "status",
    ):
        assert key in rows[0]
    assert rows[0]["run"] == res.runs[0].hash
    # CSV floats round-trip exactly
    assert [float(r["residual_final"]) for r in rows] == [r["residual_final"] for r in res.rows]
    with open(res.paths["figure"], "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    # predicted learning time: ln(0.1) / (2 ln|1 - lr mu_k|) at the target degree
    for r in res.rows:
        if r["degree"] == r["k"]:
            q = abs(1 - r["lr_used"] * r["mu_predicted"])
            assert r["learning_time_predicted"] == pytest.approx(
                math.log(0.1) / (2 * math.log(q)), rel=1e-15
            )


def test_learning_time_interpolation_is_exact_on_exponentials():
    steps = list(range(0, 101, 10))
    for a in (0.07, 0.5):  # r(t) = exp(-a t) crosses 0.1 at ln(10)/a = 32.9, 4.6
        r = list(np.exp(-a * np.array(steps)))
        assert _crossing(steps, r, 0.1) == pytest.approx(math.log(10) / a, rel=1e-12)
    assert math.isnan(_crossing(steps, list(np.exp(-0.01 * np.array(steps))), 0.1))  # at 230
    assert math.isnan(_crossing([0, 1], [0.0, 0.0], 0.1))  # nothing to learn


def test_parquet_table_when_pyarrow_present(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    spec = {"kind": "spectrum", "grid": {"n": [3, 200]}, "fixed": {"activation": "relu", "kmax": 8}}
    res = sweep(spec, tmp_path / "p", scheduler="serial", progress=False, figure=False)
    table = pq.read_table(res.paths["parquet"]).to_pylist()
    log10 = [r["log10_mu"] for r in res.rows]
    assert log10[3] == -math.inf  # relu: lambda_3 = 0 exactly, log10 mu_3 = -inf
    assert [r["log10_mu"] for r in table] == log10
    assert [r["multiplicity"] for r in table] == [r["multiplicity"] for r in res.rows]


# ------------------------------------------------------------------------------- CLI


def test_cli_sweep(tmp_path, capsys):
    from funkhecke.cli import gd_operator_cli as cli

    spec = _write(
        tmp_path,
        "s.toml",
        """
        name = "tiny"
        [grid]
        k = [1, 2]
        [fixed]
        n = 3
        m = 16
        steps = 5
        lr = 0.5
        """,
    )
    out = tmp_path / "out"
    base = ["sweep", str(spec), "--out", str(out), "--scheduler", "serial", "--no-progress"]
    assert cli.main([*base, "--dry-run"]) == 0
    assert "'tiny' (simulate): 2 runs over axes k (2); 0 done, 0 failed, 2 to run" in (
        capsys.readouterr().out
    )
    assert not out.exists()
    assert cli.main([*base, "--no-figure"]) == 0
    text = capsys.readouterr().out
    assert "2 runs, 0 already done, 2 ran" in text and "0 failed" in text
    assert (out / "results.csv").exists() and (out / "spec.toml").read_text() == spec.read_text()
    assert cli.main([*base, "--no-figure"]) == 0
    assert "2 already done, 0 ran" in capsys.readouterr().out

    bad = _write(
        tmp_path,
        "bad.toml",
        """
        [grid]
        k = [1, 2]
        [fixed]
        n = 3
        steps = 5
        learning_rate = 0.5
        """,
    )
    assert cli.main(["sweep", str(bad), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 6: unknown simulate setting in [fixed] 'learning_rate'" in err

    other = _write(tmp_path, "other.toml", spec.read_text().replace("k = [1, 2]", "k = [3]"))
    assert cli.main(["sweep", str(other), "--out", str(out), "--scheduler", "serial"]) == 2
    assert "different sweep spec" in capsys.readouterr().err
