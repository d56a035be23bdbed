"""Execution back ends of :func:`gd_operator.sweep`: serial, dask's multiprocessing scheduler,
and dask.distributed (an embedded LocalCluster, a running scheduler, or a given Client).

Every back end calls ``on_record(record)`` in the calling process as each run finishes, so the
caller writes result files as they arrive: an interrupted sweep keeps every finished run.
Tasks never raise for a failing run (``_sweep_runs.execute`` records the error); what the back
ends handle is the infrastructure failing: a worker process dying.  Both parallel back ends
then re-run the runs that were in flight, and finally re-run the remaining suspects one at a
time, so that only a run that kills its worker by itself is recorded as failed.

KeyboardInterrupt (Ctrl-C) and SystemExit are never caught here: they stop the sweep at once
(the ``processes`` pool's workers are terminated rather than waited for, a LocalCluster is
closed, pending dask tasks are cancelled); records of runs finished before it are on disk,
complete, and the runs in flight are re-run by the next sweep.  Every run executes under
:func:`funkhecke.sweeps.runs.run_threads` (one BLAS thread, ``threads`` numba threads) on
every back end, serial included, so the back ends agree bit for bit.

Throughput on dask (measured with benchmarks/bench_sweep.py):

* dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``
  (``distributed.nanny.pre-spawn-environ``).  Setting any malloc threshold switches off glibc's
  dynamic mmap threshold, so every temporary array above 128 KiB is a fresh mmap whose pages
  fault in again at each GD step: a simulate run cost 8-20 % more CPU time in such a process
  (the "runs take longer inside a worker" of issue 18).  The embedded LocalCluster starts its
  workers without it, and a task on any other worker first restores the thresholds through
  mallopt (:func:`_restore_malloc`, once per process).
* the embedded cluster's background work (ticks, monitors, work stealing, the workers' stack
  profiler) is slowed down to ~2 % of a core (LOCAL_CLUSTER_CONFIG; 12 % by default): on two
  cores the client and scheduler share the cores with the runs.
* runs are sent in batches (:func:`batch_size`: about eight tasks per worker, at most 16
  runs each), so the per-task cost of dask (scheduler round trip, serialization, the client's
  bookkeeping, all sharing the two cores with the runs) is paid per batch.  A batch returns
  its runs' records together; a worker death loses the batch in flight, whose runs are then
  re-run one at a time like any suspect.
"""

from __future__ import annotations

import contextlib
import os
import uuid

from .runs import execute, failure_record


def _need(module: str, scheduler: str):
    from harmonics._infra.extras import require

    return require(
        module, "sweep", f"scheduler={scheduler!r}", alternative="use scheduler='serial'"
    )


_SINGLE_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def run_serial(todo, kind, runner, threads, on_record) -> None:
    """In this process, one run after the other (execute() pins the threads as workers do)."""
    for run in todo:
        on_record(execute(kind, run.settings_json, run.hash, runner, threads))


@contextlib.contextmanager
def _single_threaded_env():
    """Child processes started inside get one BLAS/OpenMP thread each (as dask's nanny does)."""
    saved = {k: os.environ.get(k) for k in _SINGLE_THREAD_ENV}
    os.environ.update({k: "1" for k in _SINGLE_THREAD_ENV})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _noop():
    return os.getpid()


def _new_pool(workers: int):
    """A spawn ProcessPoolExecutor whose processes are started now, with one BLAS/OpenMP
    thread each."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with _single_threaded_env():
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        )
        for f in [pool.submit(_noop) for _ in range(workers)]:
            f.result()
    return pool


def _kill_pool(pool) -> None:
    """Stop a ProcessPoolExecutor now: terminate its workers (their runs are lost, not
    recorded), do not wait for the runs in flight."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    procs = list((getattr(pool, "_processes", None) or {}).values())
    if terminate is not None:
        terminate()
    else:
        for p in procs:
            with contextlib.suppress(Exception):
                p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(timeout=5)


def _execute_blob(kind, settings_json, run_hash, runner_blob, threads):
    """execute() with the runner shipped by cloudpickle (closures, functions of __main__)."""
    runner = None
    if runner_blob is not None:
        import pickle

        runner = pickle.loads(runner_blob)
    return execute(kind, settings_json, run_hash, runner, threads)


def run_processes(todo, kind, runner, threads, workers, retries, on_record) -> None:
    """A local pool of ``workers`` spawned processes (the semantics of dask's "processes"
    scheduler, built directly on concurrent.futures to isolate failures).

    At most ``workers`` runs are in flight.  A worker process dying breaks the pool and every
    in-flight run with it: those runs become suspects, the pool is rebuilt and the grid goes
    on; at the end each suspect is re-run alone in a one-process pool (up to ``retries`` + 1
    times), so only a run that kills its worker by itself is recorded as failed.  (dask's own
    multiprocessing scheduler aborts the whole computation when its pool breaks.)
    """
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    blob = None
    if runner is not None:
        import cloudpickle

        blob = cloudpickle.dumps(runner)

    def submit(pool, r):
        return pool.submit(_execute_blob, kind, r.settings_json, r.hash, blob, threads)

    queue = list(todo)
    queue.reverse()  # pop() from the end = grid order
    suspects, running = [], {}
    pool = _new_pool(workers)
    try:
        while queue or running:
            while queue and len(running) < workers:
                r = queue.pop()
                running[submit(pool, r)] = r
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for f in done:
                r = running.pop(f)
                try:
                    rec = f.result()
                except BrokenProcessPool:
                    broken = True
                    suspects.append(r)
                    continue
                except Exception as exc:  # e.g. an unpicklable result
                    rec = failure_record(kind, r.hash, r.settings, exc)
                on_record(rec)
            if broken:
                suspects.extend(running.values())
                running.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                pool = _new_pool(workers)
    except BaseException:  # Ctrl-C, or on_record failing: stop now, do not wait for runs
        _kill_pool(pool)
        raise
    pool.shutdown(wait=True, cancel_futures=True)

    pool = None
    try:
        for r in suspects:  # alone in the pool: a death now is this run's own
            for _ in range(retries + 1):
                pool = pool or _new_pool(1)
                try:
                    rec = submit(pool, r).result()
                    break
                except BrokenProcessPool as exc:
                    rec = failure_record(kind, r.hash, r.settings, exc)
                    pool.shutdown(wait=True)
                    pool = None
                except Exception as exc:
                    rec = failure_record(kind, r.hash, r.settings, exc)
                    break
            on_record(rec)
    except BaseException:
        if pool is not None:
            _kill_pool(pool)
        raise
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def distributed_client(scheduler, workers, retries):
    """Yield a dask.distributed Client for "local" (embedded LocalCluster, one thread per worker
    process), an address such as "tcp://host:8786", a Client, or a (Local)Cluster object."""
    _need("distributed", str(scheduler))
    from distributed import Client

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if hasattr(scheduler, "scheduler_address"):  # a cluster object
        with Client(scheduler, set_as_default=False) as client:
            yield client
        return
    if scheduler == "local":
        cluster = local_cluster(workers, retries)
        try:
            with Client(cluster, set_as_default=False) as client:
                yield client
        finally:
            cluster.close()
        return
    with Client(scheduler, set_as_default=False, timeout="20s") as client:
        yield client


#: dask settings of the embedded LocalCluster (module docstring): workers without dask's malloc
#: threshold; the background work of an idle cluster (event-loop ticks every 20 ms, memory and
#: system monitors, work stealing every 100 ms, the workers' 10 ms stack profiler) made 12 % of
#: a core on the development machine, 2 % with these intervals.  Heartbeats are unchanged.
LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "2s",
    "distributed.scheduler.work-stealing-interval": "1s",
    "distributed.worker.profile.enabled": False,
}


def local_cluster(workers: int, retries: int = 2):
    """The embedded cluster of scheduler="local": ``workers`` processes of one thread each on
    the loopback, started under LOCAL_CLUSTER_CONFIG.  A nanny started earlier in this process
    leaves MALLOC_TRIM_THRESHOLD_ in os.environ, which the workers would inherit: it is held
    back while they start."""
    import logging

    import dask
    from distributed import LocalCluster

    held = os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    try:
        config = dict(LOCAL_CLUSTER_CONFIG)
        config["distributed.scheduler.allowed-failures"] = max(retries, 0)
        with dask.config.set(config):
            return LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                # Loopback only, on a free port: the dashboard must not listen on the
                # machine's external interfaces (it did with ":0"), and scheduler and
                # workers stay on 127.0.0.1 as well.
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.ERROR,
            )
    finally:
        if held is not None:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = held


#: Tasks per worker the runs of a dask sweep are split into, and the most runs in one task.
TASKS_PER_WORKER, MAX_BATCH = 8, 16

_malloc_restored = [False]


def _restore_malloc() -> None:
    """Undo dask's MALLOC_TRIM_THRESHOLD_ (module docstring) in this process, once: fixed
    thresholds of 32 MiB (mmap) and 64 MiB (trim), the ceiling glibc's dynamic threshold
    grows to.  Linux/glibc only; elsewhere (or without the variable) nothing happens."""
    if _malloc_restored[0]:
        return
    _malloc_restored[0] = True
    import sys

    if not os.environ.get("MALLOC_TRIM_THRESHOLD_") or not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's mallopt parameter numbers
        libc.mallopt(m_mmap_threshold, 32 * 2**20)
        libc.mallopt(m_trim_threshold, 64 * 2**20)


def batch_size(runs: int, workers: int) -> int:
    """Runs per dask task: about TASKS_PER_WORKER tasks per worker, 1 to MAX_BATCH runs."""
    return max(1, min(MAX_BATCH, runs // (max(1, workers) * TASKS_PER_WORKER)))


def execute_batch(kind, items, runner, threads) -> list:
    """The records of the runs ``items`` = [(settings_json, hash), ...], one after the other
    in this (worker) process (:func:`funkhecke.sweeps.runs.execute` each)."""
    _restore_malloc()
    return [execute(kind, sj, run_hash, runner, threads) for sj, run_hash in items]


def _workers_of(client) -> int:
    with contextlib.suppress(Exception):
        return max(1, len(client.scheduler_info().get("workers", {})))
    return 1


def run_distributed(todo, kind, runner, threads, client, retries, on_record) -> None:
    """Submit every run, handle results as they complete.

    ``retries`` re-executes a task whose code raised outside the run (the run itself never
    raises).  Worker deaths are retried by the scheduler; but a worker that dies takes down
    every task queued on it, so a run the scheduler gives up on (KilledWorker) may be an
    innocent neighbour of the culprit: such runs are resubmitted one at a time after the
    others, and only a run that kills its worker alone is recorded as failed.
    """
    from distributed import KilledWorker, as_completed

    token = uuid.uuid4().hex[:8]

    def submit(batch, tag=""):
        return client.submit(
            execute_batch,
            kind,
            [(r.settings_json, r.hash) for r in batch],
            runner,
            threads,
            key=f"funkhecke-sweep-{batch[0].hash}-{len(batch)}-{token}{tag}",
            retries=retries,
            pure=False,
        )

    size = batch_size(len(todo), _workers_of(client))
    futures = {}
    for i in range(0, len(todo), size):
        batch = todo[i : i + size]
        fut = submit(batch)
        futures[fut.key] = (fut, batch)
    suspects = []
    try:
        for fut in as_completed([f for f, _ in futures.values()], loop=client.loop):
            batch = futures[fut.key][1]
            try:
                recs = fut.result()
            except KilledWorker:
                suspects.extend(batch)
                continue
            except Exception as exc:
                recs = [failure_record(kind, r.hash, r.settings, exc) for r in batch]
            for rec in recs:
                on_record(rec)
            fut.release()
        for r in suspects:  # alone on the cluster: a death now is this run's own
            fut = submit([r], "-alone")
            futures[fut.key] = (fut, [r])
            try:
                (rec,) = fut.result()
            except Exception as exc:
                rec = failure_record(kind, r.hash, r.settings, exc)
            on_record(rec)
            fut.release()
    finally:
        pending = [f for f, _ in futures.values() if not f.done()]
        if pending:
            client.cancel(pending)
