"""Batched dask tasks of the sweeps (funkhecke.sweeps.engine): several runs per task give the
same records as serial runs, and a worker dying inside a batch loses no run (the batch's runs
are re-run one at a time; only a run that kills its worker alone is recorded as failed).

The references are serial sweeps of the same spec in this process (bit-for-bit equal results:
every run is a pure function of its settings).  TASKS_PER_WORKER = 1 makes the 6-run spec
three runs per task on two workers.
"""

from __future__ import annotations

import os

import pytest

distributed = pytest.importorskip("distributed")

from funkhecke.sweeps import engine, sweep  # noqa: E402
from funkhecke.sweeps.runs import run_simulate  # noqa: E402

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
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    yield c
    c.close()


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return sweep(
        TINY, tmp_path_factory.mktemp("serial"), scheduler="serial", progress=False, figure=False
    )


@pytest.fixture
def batched(monkeypatch):
    monkeypatch.setattr(engine, "TASKS_PER_WORKER", 1)
    assert engine.batch_size(6, 2) == 3


def _results(res):
    return {r.hash: res.records[r.hash]["result"] for r in res.runs}


def test_batch_size():
    assert engine.batch_size(6, 2) == 1  # small grids: one run per task, as before
    assert engine.batch_size(32, 2) == 2
    assert engine.batch_size(10**6, 2) == engine.MAX_BATCH
    assert engine.batch_size(0, 2) == 1


def test_batched_tasks_equal_serial(serial, cluster, batched, tmp_path):
    res = sweep(
        TINY, tmp_path / "b", scheduler=cluster.scheduler_address, progress=False, figure=False
    )
    assert res.ran == 6 and not res.failed
    assert _results(res) == _results(serial)
    pids = {res.records[r.hash]["pid"] for r in res.runs}
    assert os.getpid() not in pids


def _dying_runner(marker_dir):
    def runner(settings):
        if settings["k"] == 1 and settings["seed"] == 2:
            marker = os.path.join(marker_dir, "died-once")
            if not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(1)
        return run_simulate(settings)

    return runner


def test_worker_dying_inside_a_batch_loses_no_run(serial, cluster, batched, tmp_path):
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
    assert (marker / "died-once").exists()
    assert res.ran == 6 and not res.failed
    assert _results(res) == _results(serial)


def _always_dying_runner(settings):
    if settings["k"] == 2 and settings["seed"] == 0:
        os._exit(1)
    return run_simulate(settings)


@pytest.mark.slow  # its own LocalCluster, a worker killed twice: ~20 s on a loaded machine
def test_only_the_killing_run_of_a_batch_is_failed(serial, batched, tmp_path):
    res = sweep(
        TINY,
        tmp_path / "always",
        scheduler="local",
        workers=2,
        retries=1,
        progress=False,
        figure=False,
        _runner=_always_dying_runner,
    )
    assert len(res.failed) == 1
    bad = res.failed[0]
    assert (bad["settings"]["k"], bad["settings"]["seed"]) == (2, 0)
    assert bad["error"].startswith("KilledWorker")
    good = {h: v for h, v in _results(res).items() if h != bad["hash"]}
    assert good == {h: v for h, v in _results(serial).items() if h != bad["hash"]}


@pytest.mark.slow  # its own LocalCluster: ~15 s on a loaded machine
def test_local_cluster_workers_start_without_malloc_threshold(tmp_path):
    # the embedded LocalCluster's workers run without dask's MALLOC_TRIM_THRESHOLD_ (it made
    # every simulate run 8-20 % slower); the runner reports the worker's environment
    def runner(settings):
        out = run_simulate(settings)
        out["malloc_env"] = os.environ.get("MALLOC_TRIM_THRESHOLD_")
        return out

    spec = dict(TINY, grid={"k": [1], "seed": [0, 1]})
    res = sweep(spec, tmp_path / "env", scheduler="local", workers=2, progress=False,
                figure=False, _runner=runner)  # fmt: skip
    assert not res.failed
    assert {res.records[r.hash]["result"]["malloc_env"] for r in res.runs} == {None}
