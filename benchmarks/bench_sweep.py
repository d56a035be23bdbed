"""Benchmark: a 32-run sweep, serial vs a dask LocalCluster of 2 single-threaded workers.

Grid: ReLU random-features GD (output layer, population loss, sphere init), n in {3, 4, 5, 6},
target degree k in {1, 2}, seed in {0..3}: 32 runs of m = 256 units, 200 steps, ~60 records
of the exact per-degree residual energies.

Measured (wall clock, output folders in a temporary directory, no figure):
* serial: this process, numba's default thread count (what ``--scheduler serial`` does), and
  with 1 numba thread (the per-run cost the workers pay);
* LocalCluster, 2 worker processes x 1 thread: the sweep alone (cluster already up, warm) and
  the whole ``--scheduler local`` call (start-up + worker imports + numba cache loads);
* speed-up = serial / cluster (goal >= 1.7x on 2 cores);
* the machine's ceiling: 2 processes vs 1 on a pure-Python busy loop, measured in the same
  run (2.0 on two idle cores; less when other processes share them);
* per-task overhead = (workers x wall - sum of the runs' own time) / runs, and directly from
  a grid of 64 empty runs (steps = 0, energies off): workers x wall / runs;
* the same warm cluster with the runs unbatched (one run per task, TASKS_PER_WORKER huge), and
  a default LocalCluster, unbatched, with dask's MALLOC_TRIM_THRESHOLD_ left in force in the
  workers and dask's default monitor intervals (the behaviour before issue 18);
* CPU time of the workers and of this process (client + scheduler) per variant, against the
  serial sweep's: independent of the load, unlike the wall clock, and the projected speed-up
  on two free cores, serial CPU / ((workers + client) / 2);
* in-worker slowdown = the runs' own time inside the workers / their time in a plain process
  (serial, 1 numba thread), per cluster variant.
The results of serial and cluster runs are checked to be identical bit for bit.

Run:  python benchmarks/bench_sweep.py [--repeat R] [--m 256] [--steps 200]
(--m 512 --steps 400 gives runs of ~0.2 s, where the per-task overhead matters less.)
On a shared machine, wall times depend on the load: the script prints the load average.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time

GRID = {
    "kind": "simulate",
    "name": "bench",
    "grid": {"n": [3, 4, 5, 6], "k": [1, 2], "seed": [0, 1, 2, 3]},
    "fixed": {"m": 256, "steps": 200, "lr_scale": 0.5},
}
EMPTY = {
    "kind": "simulate",
    "name": "empty",
    "grid": {"seed": list(range(64))},
    "fixed": {"n": 3, "k": 1, "m": 4, "steps": 0, "lr": 0.5, "energies": False},
}


def _timed(spec, out, **kw):
    from funkhecke.sweeps import sweep

    t0 = time.perf_counter()
    res = sweep(spec, out, progress=False, figure=False, **kw)
    return time.perf_counter() - t0, res


def _busy(n=4_000_000):
    s = 0
    for i in range(n):
        s += i
    return s


def parallel_ceiling() -> float:
    """Speed-up of 2 processes over 1 on a pure-Python busy loop right now: what the machine
    can give (less than 2 when other processes use the cores)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as ex:
        list(ex.map(_busy, [10, 10]))  # start the processes
        t0 = time.perf_counter()
        _busy()
        _busy()
        t1 = time.perf_counter()
        list(ex.map(_busy, [4_000_000] * 2))
        t2 = time.perf_counter()
    return (t1 - t0) / (t2 - t1)


def _keep_dask_malloc():
    """Worker side: skip the mallopt restore of funkhecke.sweeps.engine (old behaviour)."""
    from funkhecke.sweeps import engine

    engine._malloc_restored[0] = True
    return engine._malloc_restored[0]


CPU = {}  # variant -> (CPU s of the workers, CPU s of this process: client + scheduler)


def _cluster_variant(cluster, spec, out, tasks_per_worker=None, name=None):
    """One sweep on ``cluster`` with engine.TASKS_PER_WORKER overridden: (wall, result); the
    CPU time the workers and this process spent on it is kept in CPU[name] (CPU time does not
    count the waits for a core another process holds: a load-independent account)."""
    from distributed import Client

    from funkhecke.sweeps import engine

    saved = engine.TASKS_PER_WORKER
    if tasks_per_worker is not None:
        engine.TASKS_PER_WORKER = tasks_per_worker
    try:
        with Client(cluster, set_as_default=False) as client:
            w0 = client.run(time.process_time)
            c0 = time.process_time()
            out = _timed(spec, out, scheduler=cluster)
            c1 = time.process_time()
            w1 = client.run(time.process_time)
        if name is not None:
            workers = sum(w1[k] - w0[k] for k in w1 if k in w0)
            CPU[name] = min(CPU.get(name, (math.inf,))[0], workers), c1 - c0
        return out
    finally:
        engine.TASKS_PER_WORKER = saved


def _results(res):
    return {r.hash: res.records[r.hash]["result"] for r in res.runs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="repetitions (best time is kept)")
    ap.add_argument("--m", type=int, default=256, help="hidden units per run (default 256)")
    ap.add_argument("--steps", type=int, default=200, help="GD steps per run (default 200)")
    args = ap.parse_args()
    GRID["fixed"].update(m=args.m, steps=args.steps)

    import logging

    from distributed import LocalCluster

    from funkhecke.sweeps import engine
    from funkhecke.sweeps.runs import run_simulate
    from funkhecke.sweeps.spec import load_spec

    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    runs = load_spec(GRID).runs()
    run_simulate(runs[0].settings)  # warm numba (cache load) in this process

    best = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):

            def d(name, rep=rep):
                return os.path.join(tmp, f"{name}-{rep}")

            c = parallel_ceiling()
            best["ceiling"] = max(best.get("ceiling", c), c)
            t, serial = _timed(GRID, d("serial"), scheduler="serial")
            best["serial"] = min(best.get("serial", t), t)
            c0 = time.process_time()
            t, serial1 = _timed(GRID, d("serial1"), scheduler="serial", threads=1)
            c1 = time.process_time() - c0
            best["serial_cpu"] = min(best.get("serial_cpu", c1), c1)
            best["serial_1thread"] = min(best.get("serial_1thread", t), t)
            task_time = sum(serial1.records[r.hash]["elapsed"] for r in serial1.runs)
            best["task_time"] = min(best.get("task_time", task_time), task_time)

            t0 = time.perf_counter()
            cluster = engine.local_cluster(2)  # the cluster of scheduler="local"
            t_start = time.perf_counter() - t0
            try:
                # first sweep on a fresh cluster: pays the workers' imports and cache loads
                t_first, _ = _timed(EMPTY, d("warm"), scheduler=cluster)
                t, dist = _cluster_variant(cluster, GRID, d("dist"), name="batched")
                best["cluster"] = min(best.get("cluster", t), t)
                dist_task = sum(dist.records[r.hash]["elapsed"] for r in dist.runs)
                best["in_worker"] = min(best.get("in_worker", dist_task), dist_task)
                over = (2 * t - dist_task) / len(runs)
                best["overhead"] = min(best.get("overhead", over), over)
                t, unb = _cluster_variant(cluster, GRID, d("unbatched"), 10**9, "one run per task")
                best["unbatched"] = min(best.get("unbatched", t), t)
                task = sum(unb.records[r.hash]["elapsed"] for r in unb.runs)
                best["in_worker_unbatched"] = min(best.get("in_worker_unbatched", task), task)
                t_empty, _ = _timed(EMPTY, d("empty"), scheduler=cluster)
                best["empty"] = min(best.get("empty", t_empty), t_empty)
                best["cold_extra"] = min(
                    best.get("cold_extra", t_start + t_first), t_start + t_first
                )
            finally:
                cluster.close()
            # the old behaviour: a default LocalCluster (dask's malloc threshold in force in
            # the workers, default monitor intervals), one run per task
            from distributed import Client

            cluster = LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            try:
                with Client(cluster, set_as_default=False) as client:
                    client.run(_keep_dask_malloc)
                _timed(EMPTY, d("warm-old"), scheduler=cluster)
                t, old = _cluster_variant(
                    cluster, GRID, d("old"), 10**9, "default LocalCluster, 1 run per task"
                )
                best["old"] = min(best.get("old", t), t)
                task = sum(old.records[r.hash]["elapsed"] for r in old.runs)
                best["in_worker_old"] = min(best.get("in_worker_old", task), task)
            finally:
                cluster.close()
            t, local = _timed(GRID, d("local"), scheduler="local", workers=2)
            best["local_call"] = min(best.get("local_call", t), t)

            same = (
                _results(serial)
                == _results(dist)
                == _results(local)
                == _results(serial1)
                == _results(unb)
                == _results(old)
            )
            if not same:
                raise SystemExit("results differ between serial and cluster runs")

    n = len(runs)
    base = min(best["serial"], best["serial_1thread"])
    rows = [
        ("serial, numba default threads", best["serial"], ""),
        ("serial, 1 numba thread", best["serial_1thread"], ""),
        ("LocalCluster 2 x 1 thread, warm", best["cluster"], f"{base / best['cluster']:.2f}x"),
        ("  ... one run per task", best["unbatched"], f"{base / best['unbatched']:.2f}x"),
        (
            "  default LocalCluster, 1 run per task",
            best["old"],
            f"{base / best['old']:.2f}x (before issue 18)",
        ),
        (
            "sweep(scheduler='local', workers=2)",
            best["local_call"],
            f"{base / best['local_call']:.2f}x (with cluster start-up)",
        ),
    ]
    print(f"grid: {n} runs (simulate, m={args.m}, {args.steps} steps); best of {args.repeat}")
    for name, t, speed in rows:
        print(f"  {name:38s} {t:7.2f} s  {speed}")
    print(f"  speed-up relative to the faster serial variant ({base:.2f} s)")
    print(f"  machine ceiling now (2 busy-loop processes vs 1): {best['ceiling']:.2f}x")
    print(
        f"  runs' own time (1 thread): {best['task_time']:.2f} s = "
        f"{best['task_time'] / n * 1e3:.0f} ms/run"
    )
    for label, key in (
        ("batched", "in_worker"),
        ("one run per task", "in_worker_unbatched"),
        ("default LocalCluster", "in_worker_old"),
    ):
        print(
            f"  in-worker slowdown ({label}): runs' own time in the workers / in a plain "
            f"process = {best[key] / best['task_time']:.3f}"
        )
    print(f"  CPU time, serial sweep (1 numba thread): {best['serial_cpu']:.2f} s")
    for label, (w, c) in CPU.items():
        proj = best["serial_cpu"] / ((w + c) / 2)
        print(
            f"  CPU time ({label}): workers {w:.2f} s = {w / best['serial_cpu']:.3f} x serial, "
            f"client + scheduler {c:.2f} s; projected speed-up on 2 free cores "
            f"serial CPU / ((workers + client) / 2) = {proj:.2f}x"
        )
    print(f"  cluster start-up + first (empty) sweep: {best['cold_extra']:.2f} s")
    print(f"  per-task overhead, (2 x wall - runs' time) / runs: {best['overhead'] * 1e3:.1f} ms")
    print(
        f"  per-task overhead, 64 empty runs, 2 x wall / runs: "
        f"{2 * best['empty'] / 64 * 1e3:.1f} ms"
    )
    print("  results identical bit for bit: serial == cluster == local")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
