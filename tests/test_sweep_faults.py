"""Fault injection for funkhecke.sweeps: a sweep never loses, duplicates or misreports a run.

What is injected: a sweep stopped in the middle of a --force switch to another spec; damaged
records (status ok without a result, missing fields, a changed number, truncated JSON, another
run's record, a directory in place of a record, a record without checksum); orphaned temporary
files; two sweeps on one folder (subprocesses); kill -9 mid-grid (serial and processes
schedulers, subprocesses); Ctrl-C (SIGINT, to the process group as a terminal sends it, or to
the parent only); abusive specs (a YAML alias bomb, a 10**9-run grid, values of tens of
megabytes); BLAS thread settings that differ between the test process and the workers.

References: a clean serial sweep of the same spec (records compared exactly), the records on
disk (every results.csv cell compared with the row the record gives), execution logs written
by the runners (O_APPEND lines, one per start and end of a run) for "executed exactly once".
Subprocess runs use kind "sq" (cheap imports, ~30 ms per run) and a runner that sleeps.
"""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from funkhecke.sweeps import (
    DamagedRecordWarning,
    SweepBusyError,
    SweepFolderError,
    driver,
    plan,
    sweep,
)
from funkhecke.sweeps.records import record_checksum, seal_record
from funkhecke.sweeps.runs import ERROR_LIMIT, TRACEBACK_LIMIT, run_simulate, run_sq
from funkhecke.sweeps.spec import SpecError, load_spec, run_hash
from funkhecke.sweeps.tables import rows_of

TINY = {
    "kind": "simulate",
    "grid": {"k": [1, 2], "seed": [0, 1, 2]},
    "fixed": {"n": 3, "m": 16, "steps": 5, "lr": 0.5},
}
SQ = {"kind": "sq", "grid": {"n": [10, 20, 40, 80], "k": [2, 3]}, "fixed": {"tau": 0.01}}
SQ_TOML = """\
kind = "sq"
name = "faults"
[grid]
n = [10, 20, 40, 80]
k = [2, 3]
[fixed]
tau = 0.01
"""


def _sweep(spec, out, **kw):
    kw.setdefault("scheduler", "serial")
    kw.setdefault("progress", False)
    kw.setdefault("figure", False)
    return sweep(spec, out, **kw)


@pytest.fixture(scope="module")
def tiny_ref(tmp_path_factory):
    return _sweep(TINY, tmp_path_factory.mktemp("tiny-ref"))


@pytest.fixture(scope="module")
def sq_ref(tmp_path_factory):
    return _sweep(SQ, tmp_path_factory.mktemp("sq-ref"))


def _results(res):
    return {r.hash: res.records[r.hash]["result"] for r in res.runs}


def _stored_results(out):
    """{hash: result} of the records on disk of the manifest's runs (checksums verified)."""
    out = os.fspath(out)
    manifest = json.load(open(os.path.join(out, "sweep.json")))
    got = {}
    for h in manifest["runs"]:
        path = os.path.join(out, "runs", f"{h}.json")
        if not os.path.exists(path):
            continue
        rec = json.load(open(path))
        assert rec["checksum"] == record_checksum(rec)
        got[h] = rec["result"]
    return got


def assert_consistent(out):
    """results.csv, if present, is exactly the rows of the records of the manifest's runs
    (cell by cell, as the driver writes them); returns its rows (None if absent)."""
    out = os.fspath(out)
    table = os.path.join(out, "results.csv")
    if not os.path.exists(table):
        return None
    manifest = json.load(open(os.path.join(out, "sweep.json")))
    expected = []
    for h in manifest["runs"]:
        rec = json.load(open(os.path.join(out, "runs", f"{h}.json")))
        assert rec["checksum"] == record_checksum(rec)
        expected.extend(rows_of(rec, 0.1))
    with open(table, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(expected)
    for got, exp in zip(rows, expected, strict=True):
        assert got == {c: driver._csv_cell(exp.get(c)) for c in got}
    return rows


def _no_temp_files(out):
    out = os.fspath(out)
    names = os.listdir(out) + os.listdir(os.path.join(out, "runs"))
    return not [n for n in names if n.startswith(".tmp-")]


def _wait_for(condition, timeout=60.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


# ----------------------------------------------------------- 1. a --force switch stopped


def test_force_switch_stopped_midway_leaves_no_stale_table(sq_ref, tmp_path):
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(
        textwrap.dedent(
            """
            [grid]
            k = [1, 2]
            seed = [0, 1, 2]
            [fixed]
            n = 3
            m = 16
            steps = 5
            lr = 0.5
            """
        )
    )
    out = tmp_path / "o"
    _sweep(spec_file, out)
    assert (out / "results.csv").exists() and (out / "spec.toml").exists()

    calls = []

    def stopped_after_one_run(settings):
        if calls:
            raise KeyboardInterrupt  # the sweep dies after the first run of the new spec
        calls.append(settings)
        return run_sq(settings)

    with pytest.raises(KeyboardInterrupt):
        _sweep(SQ, out, force=True, _runner=stopped_after_one_run)
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["spec_hash"] == load_spec(SQ).spec_hash()  # the new manifest is in place
    assert not (out / "results.csv").exists()  # was: the old spec's table, disagreeing
    assert not (out / "spec.toml").exists()  # the old spec's file does not describe it
    res = _sweep(SQ, out, force=True)
    assert (res.done_before, res.ran) == (1, 7)
    assert _results(res) == _results(sq_ref)
    rows = assert_consistent(out)
    assert [r["run"] for r in rows] == [r.hash for r in res.runs]


# -------------------------------------------------------------------- 2. damaged records


def _reseal(path, rec):
    path.write_text(seal_record(rec)[1])  # a valid checksum over the damaged content


def _damage(path, other, how):
    rec = json.loads(path.read_text())
    if how == "ok_without_result":
        rec["result"] = None
        _reseal(path, rec)
    elif how == "result_field_missing":
        del rec["result"]["loss"]
        _reseal(path, rec)
    elif how == "status_missing":
        del rec["status"]
        _reseal(path, rec)
    elif how == "number_changed":
        rec["result"]["loss"][-1] *= 1 + 1e-9  # checksum not updated
        path.write_text(json.dumps(rec))
    elif how == "truncated":
        path.write_text(path.read_text()[:200])
    elif how == "other_run":
        path.write_text(other.read_text())
    elif how == "no_checksum":
        del rec["checksum"]
        rec["format"] = 1
        path.write_text(json.dumps(rec))
    elif how == "directory":
        path.unlink()
        path.mkdir()
        (path / "inside").write_text("x")
    else:
        raise AssertionError(how)


DAMAGES = {
    "ok_without_result": "status 'ok' without a result",
    "result_field_missing": "incomplete result",
    "status_missing": "no status",
    "number_changed": "checksum mismatch",
    "truncated": "not valid JSON",
    "other_run": "does not match its file name",
    "no_checksum": "record format 1",
    "directory": "a directory in place of the record",
}


@pytest.mark.parametrize("how", list(DAMAGES))
def test_damaged_record_is_moved_aside_and_rerun(tiny_ref, tmp_path, how):
    out = tmp_path / "o"
    res = _sweep(TINY, out)
    victim, other = res.runs[1].hash, res.runs[2].hash
    path = out / "runs" / f"{victim}.json"
    _damage(path, out / "runs" / f"{other}.json", how)

    p = plan(TINY, out)  # reports, moves nothing
    assert [r.hash for r in p["damaged"]] == [victim] and [r.hash for r in p["todo"]] == [victim]
    assert os.path.lexists(path) and not (out / "runs" / "damaged").exists()

    with pytest.warns(DamagedRecordWarning, match=re.escape(DAMAGES[how])):
        again = _sweep(TINY, out)
    assert (again.done_before, again.ran, len(again.failed)) == (5, 1, 0)
    moved = os.listdir(out / "runs" / "damaged")
    assert len(moved) == 1 and moved[0].startswith(victim)  # kept, for inspection
    assert _results(again) == _results(tiny_ref)
    assert _stored_results(out) == _results(tiny_ref)
    assert_consistent(out)
    with _no_warnings():
        assert _sweep(TINY, out).ran == 0  # healed


class _no_warnings:
    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error", DamagedRecordWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_unusable_fresh_record_becomes_a_failed_run(tiny_ref, tmp_path):
    def returns_nothing_once(settings):
        if settings["k"] == 2 and settings["seed"] == 0:
            return None
        return run_simulate(settings)

    res = _sweep(TINY, tmp_path / "o", _runner=returns_nothing_once)  # was: a crash in gather
    assert len(res.failed) == 1 and "unusable record" in res.failed[0]["error"]
    assert_consistent(tmp_path / "o")
    final = _sweep(TINY, tmp_path / "o")
    assert final.ran == 1 and _results(final) == _results(tiny_ref)


def test_cli_prints_one_warning_line_per_damaged_record(tmp_path, capsys):
    from funkhecke.cli import gd_operator_cli as cli

    out = tmp_path / "o"
    res = _sweep(SQ, out)
    (out / "runs" / f"{res.runs[0].hash}.json").write_text("{")
    spec = tmp_path / "spec.toml"
    spec.write_text(SQ_TOML)
    base = ["sweep", str(spec), "--out", str(out), "--scheduler", "serial", "--no-progress"]
    assert cli.main([*base, "--dry-run"]) == 0
    assert "7 done, 0 failed, 1 damaged, 1 to run" in capsys.readouterr().out
    assert cli.main([*base, "--no-figure"]) == 0
    err = capsys.readouterr().err.splitlines()
    warned = [line for line in err if line.startswith("warning: ")]
    assert len(warned) == 1 and "not valid JSON" in warned[0] and "runs/damaged/" in warned[0]


# ------------------------------------------------------------------ 3. orphaned temp files


def test_orphaned_temp_files_are_removed_at_start(tmp_path):
    out = tmp_path / "o"
    _sweep(SQ, out)
    old = time.time() - 3600
    orphans = [out / ".tmp-a1b2c3.json", out / ".tmp-d4e5.csv", out / "runs" / ".tmp-f6g7.json"]
    for p in orphans:
        p.write_text('{"half')
        os.utime(p, (old, old))
    young = out / "runs" / ".tmp-being-written.json"  # not older than the sweep's start
    young.write_text("")
    os.utime(young, (time.time() + 3600,) * 2)
    not_ours = [out / "tmp-notes.json", out / ".tmpnotes", out / "runs" / "x.tmp-1"]
    for p in not_ours:
        p.write_text("mine")
        os.utime(p, (old, old))
    folder = out / ".tmp-folder"
    folder.mkdir()
    _sweep(SQ, out)
    assert not any(p.exists() for p in orphans)
    assert young.exists() and folder.exists() and all(p.exists() for p in not_ours)


def test_folder_left_by_a_killed_first_start_is_accepted(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / ".lock").write_text("")  # killed after locking, before its manifest
    (out / ".tmp-x.json").write_text("")
    assert _sweep(SQ, out).ran == 8


# ----------------------------------------------------------------------------- 4. lock

SCRIPT = r"""
import functools, os, sys, time
from funkhecke.sweeps import driver
from funkhecke.sweeps.runs import run_sq
from funkhecke.sweeps.spec import run_hash

LOG, SLEEP, SLOW_N = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])


def log(event, settings):
    line = f"{event} {run_hash('sq', settings)} {os.getpid()}\n"
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def runner(settings):
    log("start", settings)
    end = time.monotonic() + (60.0 if settings["n"] == SLOW_N else SLEEP)
    while time.monotonic() < end:
        time.sleep(0.01)
    out = run_sq(settings)
    log("end", settings)
    return out


if __name__ == "__main__":
    driver.sweep = functools.partial(driver.sweep, _runner=runner)  # what the CLI calls
    from funkhecke.cli.gd_operator_cli import main

    sys.exit(main(sys.argv[4:], prog="funkhecke"))
"""


@pytest.fixture
def launch(tmp_path):
    """launch(out, *cli_flags, sleep=, slow_n=, log=) -> Popen of the CLI sweep of SQ_TOML
    (a runner sleeping ``sleep`` s per run, 60 s for runs with n = slow_n), in its own
    process group; every process still running at the end is killed."""
    script = tmp_path / "sweep_script.py"
    script.write_text(SCRIPT)
    spec = tmp_path / "faults.toml"
    spec.write_text(SQ_TOML)
    started = []

    def start(out, *flags, sleep=0.2, slow_n=0, log=None, scheduler="serial"):
        log = log or (tmp_path / "log.txt")
        cmd = [sys.executable, str(script), str(log), str(sleep), str(slow_n), "sweep"]
        cmd += [str(spec), "--out", str(out), "--scheduler", scheduler, "--workers", "2"]
        cmd += ["--no-figure", "--no-progress", *flags]
        p = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        started.append(p)
        return p

    yield start
    for p in started:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.communicate()


def _record_files(runs_dir):
    """Names of the records in runs_dir (not the .tmp-*.json of a write in progress)."""
    if not os.path.isdir(runs_dir):
        return []
    return [n for n in os.listdir(runs_dir) if n.endswith(".json") and not n.startswith(".")]


def _log(path):
    if not os.path.exists(path):
        return []
    return [line.split() for line in open(path).read().splitlines()]


def _starts(path):
    counts = {}
    for event, h, _pid in _log(path):
        if event == "start":
            counts[h] = counts.get(h, 0) + 1
    return counts


def test_a_second_sweep_on_a_locked_folder_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    with driver._folder_lock(str(out), False):
        with pytest.raises(SweepBusyError, match=f"in use by another sweep \\(pid {os.getpid()}"):
            _sweep(SQ, out)
    assert isinstance(SweepBusyError("x"), SweepFolderError)
    assert (out / ".lock").read_text() == ""  # released: no stale pid
    assert _sweep(SQ, out).ran == 8


def test_two_processes_on_one_folder_execute_every_run_once(sq_ref, tmp_path, launch):
    out, log = tmp_path / "o", tmp_path / "log.txt"
    a = launch(out, "--wait", log=log)
    b = launch(out, "--wait", log=log)  # started together: one runs, the other waits
    outs = [p.communicate(timeout=120) for p in (a, b)]
    assert [p.returncode for p in (a, b)] == [0, 0], outs
    starts = _starts(log)
    assert sorted(starts) == sorted(r.hash for r in sq_ref.runs)
    assert set(starts.values()) == {1}  # was: 2 (both ran every run)
    said = sorted(re.search(r"\d+ already done, \d+ ran", o).group(0) for o, _ in outs)
    assert said == ["0 already done, 8 ran", "8 already done, 0 ran"]
    assert _stored_results(out) == _results(sq_ref)
    assert len(assert_consistent(out)) == 8


def test_second_process_is_refused_while_the_first_runs(sq_ref, tmp_path, launch):
    out, log = tmp_path / "o", tmp_path / "log.txt"
    a = launch(out, log=log, sleep=0.3)
    _wait_for(lambda: _starts(log), what="the first sweep to start a run")
    b = launch(out, log=log)
    _, err = b.communicate(timeout=60)
    assert b.returncode == 2
    assert f"in use by another sweep (pid {a.pid} on " in err and "--wait" in err
    a.communicate(timeout=120)
    assert a.returncode == 0
    assert set(_starts(log).values()) == {1} and len(_starts(log)) == 8
    assert len(assert_consistent(out)) == 8


# --------------------------------------------------------------------------- 5. kill -9


@pytest.mark.parametrize("scheduler", ["serial", "processes"])
def test_kill_9_mid_grid_then_resume_completes_without_loss_or_duplicates(
    sq_ref, tmp_path, launch, scheduler
):
    out, log = tmp_path / "o", tmp_path / "log.txt"
    a = launch(out, log=log, sleep=0.3, scheduler=scheduler)
    runs_dir = out / "runs"

    def records():
        return {n[:-5] for n in _record_files(runs_dir)}

    _wait_for(lambda: len(records()) >= 3, what="three finished runs")
    os.killpg(a.pid, signal.SIGKILL)  # the sweep and its worker processes
    a.communicate()
    assert a.returncode == -signal.SIGKILL
    finished = records()
    assert 3 <= len(finished) < 8
    assert assert_consistent(out) is None  # no table rather than a stale one

    executed = []

    def counting(settings):
        executed.append(run_hash("sq", settings))
        return run_sq(settings)

    res = _sweep(tmp_path / "faults.toml", out, _runner=counting)
    assert (res.done_before, res.ran) == (len(finished), 8 - len(finished))
    rerun = set(executed)
    assert len(executed) == len(rerun) == 8 - len(finished) and not rerun & finished
    assert _results(res) == _results(sq_ref) == _stored_results(out)
    assert len(assert_consistent(out)) == 8
    assert _no_temp_files(out)


# --------------------------------------------------------------------------- 6. abuse

ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
grid:
  n: *i
"""


def test_yaml_alias_bomb_is_refused_within_a_second(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB)
    t0 = time.perf_counter()
    with pytest.raises(SpecError, match="alias bomb"):
        load_spec(bomb)
    assert time.perf_counter() - t0 < 1.0  # was: 45 s and 2.6 GB, then MemoryError
    recursive = tmp_path / "recursive.yaml"
    recursive.write_text("grid: &g\n  n: [3, *g]\n")
    with pytest.raises(SpecError, match="recursive"):
        load_spec(recursive)
    modest = tmp_path / "modest.yaml"  # a few aliases are fine
    modest.write_text(
        "grid:\n  seed: &s [0, 1]\n  target_seed: *s\nfixed: {n: 3, k: 1, steps: 5, lr: 0.5}\n"
    )
    assert len(load_spec(modest).runs()) == 4


def test_huge_grid_is_counted_not_expanded(tmp_path, capsys):
    big = {
        "kind": "sq",
        "grid": {"n": list(range(2, 1002)), "k": list(range(1, 1001)), "tau": [0.5] * 1000},
    }
    t0 = time.perf_counter()
    with pytest.raises(SpecError, match=r"1000000000 runs .*more than max_runs = 1000000"):
        load_spec(big)  # (refused before the repeated tau values are even looked at)
    assert time.perf_counter() - t0 < 1.0  # was: never returned
    with pytest.raises(SpecError, match="max_runs = 7"):
        load_spec(SQ, max_runs=7)
    assert load_spec(SQ, max_runs=8).n_runs == 8
    with pytest.raises(SpecError, match="max_runs = 7"):
        sweep(load_spec(SQ), tmp_path / "o", max_runs=7)
    assert not (tmp_path / "o").exists()

    from funkhecke.cli import gd_operator_cli as cli

    spec = tmp_path / "s.toml"
    spec.write_text(SQ_TOML)
    base = ["sweep", str(spec), "--out", str(tmp_path / "c"), "--dry-run"]
    assert cli.main([*base, "--max-runs", "5"]) == 2
    assert "more than max_runs = 5" in capsys.readouterr().err
    assert cli.main(base) == 0


def test_error_messages_cap_huge_values(tmp_path):
    huge = "x" * 50_000_000
    cases = [
        {"fixed": {"activation": huge}},  # a bad choice
        {"fixed": {huge: 1}},  # an unknown key
        {"fixed": {"m": [0] * 5_000_000}},  # a list where an integer belongs
        {"fixed": {"m": -(10**5000)}},  # an integer with 5000 digits
        {"kind": huge},
    ]
    for case in cases:
        t0 = time.perf_counter()
        with pytest.raises(SpecError) as info:
            load_spec(dict({"grid": {"n": [3]}}, **case))
        assert time.perf_counter() - t0 < 1.0
        assert len(str(info.value)) < 600, str(info.value)[:300]

    yml = tmp_path / "big_int.yaml"
    yml.write_text("fixed:\n  n: " + "9" * 100_000 + "\n")
    with pytest.raises(SpecError) as info:
        load_spec(yml)
    assert len(str(info.value)) < 600

    seeds = list(range(100_000)) + [17]  # repeated value in a long axis: hashed, not O(n^2)
    t0 = time.perf_counter()
    with pytest.raises(SpecError, match="repeats the value 17"):
        load_spec({"grid": {"seed": seeds}, "fixed": {"n": 3, "k": 1, "steps": 1, "lr": 0.5}})
    assert time.perf_counter() - t0 < 2.0

    out = tmp_path / "o"  # another spec's folder: the diff of a long axis is cut
    _sweep(SQ, out)
    other = dict(SQ, grid={"n": list(range(2, 4000)), "k": [2]})
    with pytest.raises(SweepFolderError) as info:
        _sweep(other, out)
    assert len(str(info.value)) < 600


def test_a_huge_exception_message_is_capped_in_the_record(tmp_path):
    def raises_huge(settings):
        raise ValueError("y" * 10_000_000)

    res = _sweep(dict(SQ, grid={"n": [10], "k": [2]}), tmp_path / "o", _runner=raises_huge)
    rec = res.failed[0]
    assert rec["error"].startswith("ValueError: yyy") and len(rec["error"]) < ERROR_LIMIT + 100
    assert len(rec["traceback"]) < TRACEBACK_LIMIT + 100
    assert os.path.getsize(tmp_path / "o" / "runs" / f"{rec['hash']}.json") < 50_000
    assert len(open(tmp_path / "o" / "results.csv").read()) < 5_000


# ---------------------------------------------------------------- 7. thread settings


def blas_probe_runner(settings):
    """A population-loss simulation, plus what BLAS does in the worker: its thread counts
    and a 10**6-term dot product (OpenBLAS splits it across threads: the last bits depend on
    the thread count)."""
    from funkhecke.sweeps import runs

    out = run_simulate(settings)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 10**6))
    out["blas_threads"] = sorted(get() for _set, get in runs._blas_controls().values())
    out["blas_dot"] = float(x @ y)
    return out


def test_serial_and_processes_run_under_the_same_blas_threads_bit_for_bit(tmp_path):
    from funkhecke.sweeps import runs

    controls = runs._blas_controls()
    if not controls:
        pytest.skip("no BLAS library found to control (not Linux, or an unknown BLAS)")
    saved = {path: get() for path, (_set, get) in controls.items()}
    for setter, _get in controls.values():
        setter(2)  # the caller's BLAS uses two threads (the session's default is one)
    try:
        spec = {
            "kind": "simulate",
            "grid": {"seed": [0]},
            "fixed": {"n": 5, "m": 300, "steps": 30, "k": 2, "lr_scale": 0.5},
        }
        serial = _sweep(spec, tmp_path / "s", _runner=blas_probe_runner)
        assert [get() for _set, get in controls.values()] == [2] * len(controls)  # restored
        procs = _sweep(
            spec, tmp_path / "p", scheduler="processes", workers=1, _runner=blas_probe_runner
        )
    finally:
        for path, (setter, _get) in controls.items():
            setter(saved[path])
    a, b = _results(serial), _results(procs)
    (h,) = a
    assert a[h]["settings"]["samples"] is None  # the population loss
    assert a[h]["blas_threads"] == b[h]["blas_threads"] == [1] * len(a[h]["blas_threads"])
    assert a == b  # bit for bit, the loss history and the dot product included


# ------------------------------------------------------------- 8. progress and Ctrl-C


def test_progress_bar_counts_runs_with_an_eta(tmp_path, capsys):
    _sweep(SQ, tmp_path / "o", progress=True)
    err = capsys.readouterr().err
    assert "sweep sweep" in err and "8/8" in err
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d", err)  # elapsed<remaining


@pytest.mark.parametrize(
    "scheduler, to_group", [("serial", True), ("processes", True), ("processes", False)]
)
def test_ctrl_c_exits_130_promptly_leaving_only_complete_records(
    sq_ref, tmp_path, launch, scheduler, to_group
):
    out, log = tmp_path / "o", tmp_path / "log.txt"
    a = launch(out, log=log, sleep=0.1, slow_n=20, scheduler=scheduler)  # n = 20 runs hang

    def finished():
        return _record_files(out / "runs")

    _wait_for(lambda: len(finished()) == 2 and len(_starts(log)) >= 3, what="the slow runs")
    t0 = time.monotonic()
    if to_group:
        os.killpg(a.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    else:
        os.kill(a.pid, signal.SIGINT)  # the parent only: it must stop its workers itself
    _, err = a.communicate(timeout=30)
    assert a.returncode == 130, err
    assert time.monotonic() - t0 < 10  # not waiting for the 60 s runs in flight
    assert "interrupted" in err
    assert len(finished()) == 2 and _no_temp_files(out)
    stored = _stored_results(out)  # (only complete, sealed records: checked in there)
    done = {h: v for h, v in _results(sq_ref).items() if h in {n[:-5] for n in finished()}}
    assert {h: stored[h] for h in done} == done
    assert assert_consistent(out) is None
    res = _sweep(tmp_path / "faults.toml", out)  # the lock was released
    assert (res.done_before, res.ran) == (2, 6)
    assert len(assert_consistent(out)) == 8
