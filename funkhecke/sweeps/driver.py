"""Sweeps: grids of experiments (simulations, spectra, SQ bounds), resumable, run on this
machine or on a Dask cluster.

A spec file (TOML or YAML) names the ``kind`` of run, the axes of the grid and the settings
shared by every run::

    kind = "simulate"            # or "spectrum", "sq"
    name = "relu-rates"          # optional label
    [grid]                       # every combination of these lists is one run
    n = [3, 5]
    k = [1, 2, 4]                # ridge target of one degree k
    seed = [0, 1]
    [fixed]                      # single values shared by every run
    m = 256
    steps = 200
    lr_scale = 0.5               # lr = lr_scale / max_k mu_k  (or set lr directly)

``sweep(spec, out)`` expands the grid (:func:`load_spec`), runs what is not done yet and writes

* ``out/runs/<hash>.json`` -- one record per run, named by a hash of its full, normalized
  settings, written atomically by the client as the run finishes: the settings, ``status``
  ("ok" or "error" with the message and traceback), the result (for simulations the whole
  history of :meth:`SimulationResult.to_dict`), the time spent;
* ``out/results.csv`` (and ``results.parquet`` if pyarrow is installed) -- one tidy table, the
  settings as columns (one row per run and degree for simulations and spectra);
* ``out/summary.png`` -- simulations: measured vs predicted rates mu_k over every run and
  degree (log-log), and learning time vs degree (log-log); spectra: log10 mu_k vs k; SQ:
  log10 query bound vs n;
* ``out/sweep.json`` -- the manifest (spec and the hashes of its runs); ``out/spec.<ext>``.

Re-running the same spec skips the finished runs and re-runs the missing and failed ones; an
output folder holding another spec's sweep is refused unless ``force=True``.  Runs are pure
functions of their settings (seeded), so a run retried on another worker, or run by another
scheduler, gives the same numbers bit for bit (the numba reductions use a fixed blocking that
does not depend on the thread count; BLAS calls could differ in the last bit between thread
counts, and dask's workers and the ``processes`` pool use one BLAS thread).

Schedulers: "local" (default: an embedded dask.distributed LocalCluster, one single-threaded
worker process per core), "processes" (dask's multiprocessing scheduler), "serial" (this
process, no dask), or the address of a running dask scheduler ("tcp://HOST:8786"); a
``distributed.Client`` or cluster object is accepted too.  Conventions of the computed
quantities are those of :func:`gd_operator.simulation.simulate`, :func:`gd_operator.spectrum`
and :func:`sq_bounds.query_lower_bound` (uniform probability measure, P_{k,n}(1) = 1).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

from harmonics._infra.jsonio import atomic_write_bytes, json_dumps

from .spec import SpecError, SweepSpec, load_spec

__all__ = [
    "SpecError",
    "SweepFolderError",
    "SweepResult",
    "SweepSpec",
    "load_spec",
    "plan",
    "sweep",
]

MANIFEST = "sweep.json"
RUNS_DIR = "runs"
TABLE = "results.csv"
PARQUET = "results.parquet"
FIGURE = "summary.png"
SCHEDULERS = ("local", "processes", "serial")


class SweepFolderError(ValueError):
    """The output folder holds another sweep (or unrelated files); pass force=True."""


@dataclass(repr=False)
class SweepResult:
    """Outcome of :func:`sweep`.

    spec : the SweepSpec;  out : output folder;  runs : list of Run (hash, settings), grid order.
    records : {hash: record dict} (what ``runs/<hash>.json`` holds).
    done_before : runs already finished before this call;  ran : runs executed now.
    rows : the tidy table (list of dicts, as in results.csv);  paths : files written.
    elapsed : wall-clock seconds of the execution (without gathering).
    """

    spec: SweepSpec
    out: str
    runs: list
    records: dict
    done_before: int
    ran: int
    rows: list = field(default_factory=list)
    paths: dict = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def failed(self) -> list:
        """Records of the runs whose status is "error"."""
        return [self.records[r.hash] for r in self.runs if self.records[r.hash]["status"] != "ok"]

    def __repr__(self) -> str:
        return (
            f"SweepResult({self.spec.name!r}, {self.spec.kind}: {len(self.runs)} runs, "
            f"{self.done_before} done before, {self.ran} ran, {len(self.failed)} failed; "
            f"out={self.out!r})"
        )


# ------------------------------------------------------------------------------ files


_atomic_write = atomic_write_bytes  # temp file in the same folder + os.replace


def _write_json(path: str, obj, *, compact: bool = False) -> None:
    # compact: one line, written by json's C encoder (indent forces the pure-Python one, which
    # made the client's record writing the bottleneck of short runs on two cores)
    text = json_dumps(obj, separators=(",", ":")) if compact else json_dumps(obj, indent=1)
    _atomic_write(path, (text + "\n").encode())


def _record_path(out: str, run_hash: str) -> str:
    return os.path.join(out, RUNS_DIR, f"{run_hash}.json")


def _load_record(out: str, run):
    """The stored record of ``run``, or None if absent, unreadable or for other settings."""
    try:
        with open(_record_path(out, run.hash), encoding="utf-8") as fh:
            rec = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("settings") != run.settings:
        return None
    return rec


def _spec_diff(old: dict, new: dict) -> str:
    diffs = []
    for table in ("grid", "fixed"):
        a, b = old.get(table, {}), new.get(table, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                diffs.append(f"[{table}] {key}: {a.get(key, '(unset)')} -> {b.get(key, '(unset)')}")
    if old.get("kind") != new.get("kind"):
        diffs.insert(0, f"kind: {old.get('kind')} -> {new.get('kind')}")
    return "; ".join(diffs[:4]) + ("; ..." if len(diffs) > 4 else "")


def _check_folder(out: str, spec: SweepSpec, spec_hash: str, force: bool) -> None:
    manifest = os.path.join(out, MANIFEST)
    if os.path.exists(manifest):
        try:
            with open(manifest, encoding="utf-8") as fh:
                old = json.load(fh)
        except (OSError, ValueError) as exc:
            old = {"spec_hash": None, "spec": {}, "error": str(exc)}
        if old.get("spec_hash") != spec_hash and not force:
            diff = _spec_diff(old.get("spec", {}), spec.to_dict())
            raise SweepFolderError(
                f"{out} holds results of a different sweep spec ({diff or 'other runs'}); "
                "use --force (force=True) to switch the folder to this spec (finished runs "
                "with identical settings are reused) or choose another --out"
            )
    elif os.path.isdir(out) and os.listdir(out) and not force:
        raise SweepFolderError(
            f"{out} is not empty and holds no {MANIFEST} (not a sweep folder); "
            "use --force (force=True) to write the sweep there anyway, or choose another --out"
        )


# ------------------------------------------------------------------------------ table


def _csv_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


def _columns(rows) -> list:
    cols = {}
    for r in rows:
        for k in r:
            cols.setdefault(k, None)
    return list(cols)


def _write_csv(path: str, rows: list, cols: list) -> None:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_csv_cell(r.get(c)) for c in cols])
    _atomic_write(path, buf.getvalue().encode())


def _arrow_column(values):
    """One typed column: bool, int64, float64 or string (lists as JSON)."""
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.bool_())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if all(-(2**63) <= v < 2**63 for v in present):
            return pa.array(values, type=pa.int64())
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    return pa.array([None if v is None else _csv_cell(v) for v in values], type=pa.string())


def _write_parquet(path: str, rows: list, cols: list) -> bool:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return False
    table = pa.table({c: _arrow_column([r.get(c) for r in rows]) for c in cols})
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    _atomic_write(path, buf.getvalue().to_pybytes())
    return True


# ------------------------------------------------------------------------------- main


def _check_scheduler(scheduler):
    if isinstance(scheduler, str):
        if scheduler in SCHEDULERS or "://" in scheduler:
            return scheduler
        raise ValueError(
            f"scheduler must be one of {', '.join(map(repr, SCHEDULERS))} or the address of a "
            f"running dask scheduler such as 'tcp://127.0.0.1:8786', got {scheduler!r}"
        )
    if hasattr(scheduler, "submit") or hasattr(scheduler, "scheduler_address"):
        return scheduler  # a distributed.Client or a cluster object
    raise TypeError(
        f"scheduler must be a string, a distributed.Client or a cluster, got {scheduler!r}"
    )


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def plan(spec, out, *, retry_failed: bool = True) -> dict:
    """What a sweep would do: {"runs", "done", "failed", "todo"} (lists of Run), without
    running or writing anything."""
    spec = load_spec(spec)
    runs = spec.runs()
    done, failed, todo = [], [], []
    for r in runs:
        rec = _load_record(os.fspath(out), r)
        if rec is not None and rec.get("status") == "ok":
            done.append(r)
        elif rec is not None and not retry_failed:
            failed.append(r)
        else:
            todo.append(r)
            if rec is not None:
                failed.append(r)
    return {"runs": runs, "done": done, "failed": failed, "todo": todo}


def sweep(
    spec,
    out,
    *,
    scheduler="local",
    workers: int | None = None,
    threads: int | None = None,
    force: bool = False,
    retries: int = 2,
    retry_failed: bool = True,
    progress: bool = True,
    figure: bool = True,
    learned: float = 0.1,
    _runner=None,
) -> SweepResult:
    """Run every point of a grid spec that is not finished yet, then gather table and figure.

    Parameters
    ----------
    spec : path to a .toml/.yaml/.yml spec, a dict with the same structure, or a SweepSpec
        (see the module docstring and :func:`load_spec`; settings of each kind are those of
        ``funkhecke.sweeps.spec.SCHEMAS``).
    out : output folder (created).  Refused if it holds another spec's sweep or unrelated
        files, unless ``force``.
    scheduler : "local" (embedded dask LocalCluster, default), "processes" (dask
        multiprocessing scheduler), "serial", an address "tcp://HOST:PORT" of a running
        ``dask scheduler``, or a distributed.Client / cluster object.
    workers : worker processes for "local" and "processes" (default: the usable cores).
    threads : numba threads per run (default: 1 on parallel schedulers, where runs already
        use every core; numba's default for "serial").  Results do not depend on it.
    retries : re-executions of a task that fails outside its run, and (local/processes)
        tolerated worker deaths per run; a run that still cannot finish is recorded as failed.
    retry_failed : re-run runs recorded as failed (default); False keeps their records.
    progress : tqdm progress bar on stderr.  figure : write summary.png.
    learned : the fraction defining "learning time": first step at which the degree-k residual
        energy falls below ``learned`` times its initial value (log-linear interpolation
        between records); predicted: ln(learned) / (2 ln|1 - lr mu_k|).

    Returns
    -------
    SweepResult.  A failing run does not stop the grid: its record has status "error", the
    exception and traceback, and its table row carries the error message.
    """
    from harmonics._infra.checks import check_bool, check_int, check_real

    force = check_bool(force, "force")
    retry_failed = check_bool(retry_failed, "retry_failed")
    progress = check_bool(progress, "progress")
    figure = check_bool(figure, "figure")
    spec = load_spec(spec)
    out = os.fspath(out)
    scheduler = _check_scheduler(scheduler)
    workers = _default_workers() if workers is None else check_int(workers, "workers", 1)
    if threads is not None:
        threads = check_int(threads, "threads", 1)
    elif scheduler != "serial":
        threads = 1
    retries = check_int(retries, "retries", 0)
    learned = check_real(learned, "learned", positive=True)
    if learned >= 1:
        raise ValueError(f"learned must be in (0, 1), got {learned}")

    runs = spec.runs()
    spec_hash = spec.spec_hash()
    _check_folder(out, spec, spec_hash, force)
    os.makedirs(os.path.join(out, RUNS_DIR), exist_ok=True)
    if spec.text is not None:
        _atomic_write(
            os.path.join(out, f"spec.{'toml' if spec.fmt == 'toml' else 'yaml'}"),
            spec.text.encode(),
        )
    _write_json(
        os.path.join(out, MANIFEST),
        {
            "format": 1,
            "spec_hash": spec_hash,
            "spec": spec.to_dict(),
            "source": spec.source,
            "runs": [r.hash for r in runs],
        },
    )

    records, todo = {}, []
    for r in runs:
        rec = _load_record(out, r)
        if rec is not None and (rec.get("status") == "ok" or not retry_failed):
            records[r.hash] = rec
        else:
            todo.append(r)
    done_before = len(records)

    bar = None
    if progress and todo:
        import sys

        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc=f"sweep {spec.name}", unit="run", file=sys.stderr)

    def on_record(rec):
        _write_json(_record_path(out, rec["hash"]), rec, compact=True)
        records[rec["hash"]] = rec
        if bar is not None:
            bar.update(1)
            if rec["status"] != "ok":
                bar.set_postfix(failed=sum(v["status"] != "ok" for v in records.values()))

    from . import engine

    t0 = time.perf_counter()
    try:
        if not todo:
            pass
        elif scheduler == "serial":
            engine.run_serial(todo, spec.kind, _runner, threads, on_record)
        elif scheduler == "processes":
            engine.run_processes(
                todo, spec.kind, _runner, threads, min(workers, len(todo)), retries, on_record
            )
        else:
            with engine.distributed_client(scheduler, min(workers, len(todo)), retries) as c:
                engine.run_distributed(todo, spec.kind, _runner, threads, c, retries, on_record)
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - t0

    result = SweepResult(spec, out, runs, records, done_before, len(todo), elapsed=elapsed)
    result.rows = gather(result, learned)
    cols = _columns(result.rows)
    table = os.path.join(out, TABLE)
    _write_csv(table, result.rows, cols)
    result.paths["table"] = table
    if _write_parquet(os.path.join(out, PARQUET), result.rows, cols):
        result.paths["parquet"] = os.path.join(out, PARQUET)
    if figure:
        from harmonics._infra.figures import save_figure

        from .runs import figure as make_figure

        fig = make_figure(spec.kind, result.rows, spec.axes(), spec.name, learned)
        save_figure(fig, os.path.join(out, FIGURE))
        result.paths["figure"] = os.path.join(out, FIGURE)
    return result


def gather(result: SweepResult, learned: float = 0.1) -> list:
    """The tidy rows of every run of the sweep, in grid order (see :func:`sweep`)."""
    from .runs import rows_of

    rows = []
    for r in result.runs:
        rows.extend(rows_of(result.records[r.hash], learned))
    return rows


# -------------------------------------------------------------------------------- CLI

_CLI_EXAMPLES = """examples:
  python -m gd_operator sweep examples/sweep_small.toml --out sweep-small
  python -m gd_operator sweep spec.toml --out DIR --dry-run          # validate, count runs
  python -m gd_operator sweep spec.toml --out DIR --scheduler processes --workers 2
  dask scheduler & dask worker tcp://127.0.0.1:8786 --nworkers 2 --nthreads 1 &
  python -m gd_operator sweep spec.toml --out DIR --scheduler tcp://127.0.0.1:8786
"""


def register(subparsers, add):
    """Add the ``sweep`` subcommand to the gd_operator CLI (see gd_operator.cli.COMMANDS)."""
    import argparse

    p = add(
        "sweep",
        "run a grid of experiments (simulations, spectra, SQ bounds) from a TOML/YAML spec: "
        "resumable, on this machine or a Dask cluster",
    )
    p.epilog = _CLI_EXAMPLES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("spec", help="grid spec (.toml, .yaml or .yml)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument(
        "--scheduler",
        default="local",
        metavar="{local,processes,serial,tcp://HOST:PORT}",
        help="local: embedded dask LocalCluster (default); processes: dask multiprocessing "
        "scheduler; serial: this process; or the address of a running dask scheduler",
    )
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument(
        "--threads", type=int, default=None, help="numba threads per run (default 1; serial: all)"
    )
    p.add_argument("--retries", type=int, default=2, help="retries per run on worker failure")
    p.add_argument(
        "--force",
        action="store_true",
        help="use an output folder holding another spec's sweep (matching runs are reused)",
    )
    p.add_argument(
        "--keep-failed", action="store_true", help="do not re-run runs recorded as failed"
    )
    p.add_argument(
        "--learned",
        type=float,
        default=0.1,
        help="learning time = steps until a degree's residual energy < LEARNED x initial",
    )
    p.add_argument("--no-figure", action="store_true", help="do not write summary.png")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--dry-run", action="store_true", help="validate the spec and report what would run"
    )
    p.set_defaults(func=_cmd_sweep)
    return p


def _cmd_sweep(args, out):
    spec = load_spec(args.spec)
    if args.dry_run:
        spec_hash = spec.spec_hash()
        _check_folder(args.out, spec, spec_hash, args.force)
        p = plan(spec, args.out, retry_failed=not args.keep_failed)
        axes = ", ".join(f"{a} ({len(v)})" for a, v in spec.grid.items()) or "none"
        out.write(
            f"sweep {spec.name!r} ({spec.kind}): {len(p['runs'])} runs over axes {axes}; "
            f"{len(p['done'])} done, {len(p['failed'])} failed, {len(p['todo'])} to run\n"
        )
        return
    res = sweep(
        spec,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        threads=args.threads,
        force=args.force,
        retries=args.retries,
        retry_failed=not args.keep_failed,
        progress=not args.no_progress,
        figure=not args.no_figure,
        learned=args.learned,
    )
    failed = res.failed
    out.write(
        f"sweep {spec.name!r} ({spec.kind}): {len(res.runs)} runs, {res.done_before} already "
        f"done, {res.ran} ran in {res.elapsed:.1f} s, {len(failed)} failed\n"
    )
    for key in ("table", "parquet", "figure"):
        if key in res.paths:
            out.write(f"{key}: {res.paths[key]}\n")
    if failed:
        out.write("failed runs (re-run the same command to retry them):\n")
        for rec in failed[:10]:
            grid = {a: rec["settings"][a] for a in spec.grid}
            msg = (rec.get("error") or "").splitlines()[0] if rec.get("error") else "?"
            out.write(f"  {rec['hash']} {json.dumps(grid)}: {msg}\n")
        if len(failed) > 10:
            out.write(f"  ... and {len(failed) - 10} more (see the 'error' column)\n")
