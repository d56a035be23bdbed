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
scheduler, gives the same numbers bit for bit: every scheduler executes a run under the same
thread settings (one BLAS thread, pinned for the run also in the serial scheduler; the numba
reductions use a fixed blocking that does not depend on the numba thread count; see
:func:`funkhecke.sweeps.runs.run_threads`).

Integrity (what a sweep guarantees about its folder, whatever kills it):

* **One writer.**  A sweep holds an exclusive ``fcntl.flock`` on ``out/.lock`` from before it
  reads the folder until it returns (the kernel drops it when the process dies, even by
  ``kill -9``; the file itself stays and holds the holder's pid while locked).  A second sweep
  on the same folder is refused at once with :class:`SweepBusyError` naming the holder's pid
  and host, or with ``wait=True`` (``--wait``) waits for it and then resumes (typically finding
  every run done).  Every run is executed by one sweep only.  Without ``fcntl`` (Windows) the
  folder is not locked.
* **Tables equal the records.**  When it starts, a sweep removes ``results.csv``,
  ``results.parquet`` and ``summary.png`` first, then writes the manifest (atomically), and
  rebuilds the tables from the records of the manifest's runs only when its runs are done; a
  sweep that is killed or stopped leaves no table rather than a stale one (resume it).
* **Sealed records.**  Records carry a SHA-256 checksum of their canonical JSON
  (:func:`funkhecke.sweeps.records.seal_record`).  A record that does not parse, fails its
  checksum (a flipped byte), has another run's hash, settings or kind, or lacks a field the
  table needs, is *damaged*: it is moved to ``out/runs/damaged/`` (never deleted), a
  :class:`DamagedRecordWarning` names it and the reason, and the run is re-run.  So is a
  directory (or any non-regular file) in place of a record.  Records of format 1 (no
  checksum, written by funkhecke before 0.2.0) count as damaged and are re-run.
* **No orphans.**  Temporary files of atomic writes killed mid-write (``.tmp-*`` in ``out/``
  and ``out/runs/``, older than the sweep's start) are removed when a sweep starts.
* **Limits.**  A spec of more than ``max_runs`` runs (default 10**6) is refused before its
  grid is expanded; see :mod:`funkhecke.sweeps.spec` for YAML aliases and error messages.
* **Ctrl-C** stops the sweep (KeyboardInterrupt propagates; worker processes of the
  ``processes`` scheduler are terminated, a LocalCluster is closed); every record on disk is
  complete, a run in flight has none and is re-run next time.  The CLI exits with code 130.

Schedulers: "local" (default: an embedded dask.distributed LocalCluster, one single-threaded
worker process per core), "processes" (dask's multiprocessing scheduler), "serial" (this
process, no dask), or the address of a running dask scheduler ("tcp://HOST:8786"); a
``distributed.Client`` or cluster object is accepted too.  Conventions of the computed
quantities are those of :func:`gd_operator.simulation.simulate`, :func:`gd_operator.spectrum`
and :func:`sq_bounds.query_lower_bound` (uniform probability measure, P_{k,n}(1) = 1).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import time
import warnings
from dataclasses import dataclass, field

from harmonics._infra.jsonio import atomic_write_bytes, json_dumps

from .spec import MAX_RUNS, SpecError, SweepSpec, load_spec, short_repr, short_text

__all__ = [
    "DamagedRecordWarning",
    "SpecError",
    "SweepBusyError",
    "SweepFolderError",
    "SweepResult",
    "SweepSpec",
    "load_spec",
    "plan",
    "sweep",
]

MANIFEST = "sweep.json"
RUNS_DIR = "runs"
DAMAGED_DIR = "damaged"  # inside RUNS_DIR
LOCK = ".lock"
TMP_PREFIX = ".tmp-"  # harmonics._infra.jsonio.atomic_path's temporary files
TABLE = "results.csv"
PARQUET = "results.parquet"
FIGURE = "summary.png"
SPEC_FILES = ("spec.toml", "spec.yaml")
SCHEDULERS = ("local", "processes", "serial")


class SweepFolderError(ValueError):
    """The output folder holds another sweep (or unrelated files); pass force=True."""


class SweepBusyError(SweepFolderError):
    """Another sweep holds the output folder's lock (the message names its pid and host)."""


class DamagedRecordWarning(UserWarning):
    """A stored run record could not be used; it was moved to runs/damaged/ and is re-run."""


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


def _read_record(out: str, run, kind: str, learned: float = 0.1):
    """(record, problem) for the stored record of ``run``: (None, None) if there is none,
    (record, None) if it can be used, (None, reason) if it is damaged (see the module
    docstring; a directory or other non-regular file in its place included)."""
    from .records import record_problem

    path = _record_path(out, run.hash)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            return None, "a dangling symbolic link"
        return None, None
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    if not stat.S_ISREG(st.st_mode):
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        return None, f"{what} in place of the record"
    try:
        with open(path, "rb") as fh:
            rec = json.loads(fh.read())
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        return None, f"not valid JSON ({short_text(exc, 80)})"
    problem = record_problem(rec, kind, run.hash, run.settings, learned)
    return (None, problem) if problem else (rec, None)


def _move_aside(out: str, run_hash: str, reason: str) -> str:
    """Move the damaged record of ``run_hash`` to runs/damaged/ (a free name), warn, and
    return its new path."""
    src = _record_path(out, run_hash)
    folder = os.path.join(out, RUNS_DIR, DAMAGED_DIR)
    os.makedirs(folder, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    dest = os.path.join(folder, f"{run_hash}.{stamp}.json")
    n = 1
    while os.path.lexists(dest):
        dest = os.path.join(folder, f"{run_hash}.{stamp}-{n}.json")
        n += 1
    os.replace(src, dest)
    warnings.warn(
        f"{src}: damaged record ({reason}); moved to {dest}, the run is re-run",
        DamagedRecordWarning,
        stacklevel=3,
    )
    return dest


def _load_records(out: str, runs: list, kind: str, learned: float, *, move: bool) -> tuple:
    """({hash: usable record}, [hashes of damaged records]); damaged records are moved aside
    when ``move`` (a sweep holding the lock), only reported otherwise (plan)."""
    records, damaged = {}, []
    for r in runs:
        rec, problem = _read_record(out, r, kind, learned)
        if problem is not None:
            damaged.append(r.hash)
            if move:
                _move_aside(out, r.hash, problem)
        elif rec is not None:
            records[r.hash] = rec
    return records, damaged


def _spec_diff(old: dict, new: dict) -> str:
    diffs = []
    for table in ("grid", "fixed"):
        a, b = old.get(table, {}), new.get(table, {})
        if not isinstance(a, dict):
            a = {}
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                was, now = a.get(key, "(unset)"), b.get(key, "(unset)")
                diffs.append(f"[{table}] {key}: {short_repr(was, 60)} -> {short_repr(now, 60)}")
    if old.get("kind") != new.get("kind"):
        diffs.insert(0, f"kind: {short_repr(old.get('kind'), 20)} -> {new.get('kind')}")
    return "; ".join(diffs[:4]) + ("; ..." if len(diffs) > 4 else "")


def _read_manifest(out: str):
    """The manifest of ``out`` as a dict, None if absent ({"spec_hash": None} if unreadable)."""
    path = os.path.join(out, MANIFEST)
    if not os.path.lexists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            old = json.load(fh)
    except (OSError, ValueError, RecursionError):
        old = None
    if not isinstance(old, dict) or not isinstance(old.get("spec", {}), dict):
        return {"spec_hash": None, "spec": {}}
    return old


def _ours(name: str) -> bool:
    """Files a sweep may leave in a folder before its manifest: its lock and temp files."""
    return name == LOCK or name.startswith(TMP_PREFIX)


def _check_folder(out: str, spec: SweepSpec, spec_hash: str, force: bool):
    """Refuse a folder holding another spec's sweep or unrelated files (unless ``force``);
    return its manifest (None if it has none)."""
    if os.path.lexists(out) and not os.path.isdir(out):
        raise SweepFolderError(f"{out} exists and is not a folder; choose another --out")
    old = _read_manifest(out)
    if old is not None:
        if old.get("spec_hash") != spec_hash and not force:
            diff = _spec_diff(old.get("spec", {}), spec.to_dict())
            raise SweepFolderError(
                f"{out} holds results of a different sweep spec ({diff or 'other runs'}); "
                "use --force (force=True) to switch the folder to this spec (finished runs "
                "with identical settings are reused) or choose another --out"
            )
    elif os.path.isdir(out) and not force and any(not _ours(n) for n in os.listdir(out)):
        raise SweepFolderError(
            f"{out} is not empty and holds no {MANIFEST} (not a sweep folder); "
            "use --force (force=True) to write the sweep there anyway, or choose another --out"
        )
    return old


# ------------------------------------------------------------------------ lock, orphans


def _lock_holder(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read(200).strip()
    except OSError:
        text = ""
    return text or "a process that has not written its pid yet"


@contextlib.contextmanager
def _folder_lock(out: str, wait: bool):
    """Hold an exclusive flock on out/.lock (see the module docstring).  Refuses with
    SweepBusyError when another process holds it, or waits for it if ``wait``."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): the folder is not locked
        yield
        return
    path = os.path.join(out, LOCK)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # not inherited by child processes
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(path)
            if not wait:
                raise SweepBusyError(
                    f"{out} is in use by another sweep ({holder}); wait for it to finish, "
                    "use --wait (wait=True) to queue behind it, or choose another --out"
                ) from None
            import sys

            sys.stderr.write(f"waiting for the sweep holding {out} ({holder})\n")
            fcntl.flock(fd, fcntl.LOCK_EX)
        since = time.strftime("%Y-%m-%d %H:%M:%S")
        info = f"pid {os.getpid()} on {socket.gethostname()} since {since}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, (info + "\n").encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # released: no stale pid for the next contender to report
    finally:
        os.close(fd)  # releases the lock


def _clean_orphans(out: str, before: float) -> list:
    """Remove temporary files of interrupted atomic writes (``.tmp-*``, regular files last
    modified before ``before``) from out/ and out/runs/; return their paths."""
    removed = []
    for folder in (out, os.path.join(out, RUNS_DIR)):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            if not e.name.startswith(TMP_PREFIX):
                continue
            try:
                old = e.stat(follow_symlinks=False).st_mtime < before
                if e.is_file(follow_symlinks=False) and old:
                    os.remove(e.path)
                    removed.append(e.path)
            except OSError:
                pass
    return removed


def _invalidate_outputs(out: str, spec: SweepSpec, old_manifest) -> None:
    """Remove the tables and figure (rebuilt when the sweep is done), and, in a folder that
    was a sweep folder, spec files that are not this spec's."""
    for name in (TABLE, PARQUET, FIGURE):
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(out, name))
    if old_manifest is not None:
        keep = _spec_file(spec)
        for name in SPEC_FILES:
            if name != keep:
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    os.remove(os.path.join(out, name))


def _spec_file(spec: SweepSpec):
    if spec.text is None:
        return None
    return "spec.toml" if spec.fmt == "toml" else "spec.yaml"


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


def plan(spec, out, *, retry_failed: bool = True, max_runs: int = MAX_RUNS) -> dict:
    """What a sweep would do: {"runs", "done", "failed", "damaged", "todo"} (lists of Run),
    without running or writing anything (damaged records are listed, not moved)."""
    spec = load_spec(spec, max_runs=max_runs)
    runs = spec.runs()
    out = os.fspath(out)
    records, damaged = _load_records(out, runs, spec.kind, 0.1, move=False)
    done, failed, todo = [], [], []
    for r in runs:
        rec = records.get(r.hash)
        if rec is not None and rec["status"] == "ok":
            done.append(r)
        elif rec is not None and not retry_failed:
            failed.append(r)
        else:
            todo.append(r)
            if rec is not None:
                failed.append(r)
    bad = set(damaged)
    return {
        "runs": runs,
        "done": done,
        "failed": failed,
        "damaged": [r for r in runs if r.hash in bad],
        "todo": todo,
    }


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
    max_runs: int = MAX_RUNS,
    wait: bool = False,
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
    scheduler : "local" (embedded dask LocalCluster, default), "processes" (a local pool of
        spawned processes), "serial", an address "tcp://HOST:PORT" of a running
        ``dask scheduler``, or a distributed.Client / cluster object.
    workers : worker processes for "local" and "processes" (default: the usable cores).
    threads : numba threads per run (default: 1 on parallel schedulers, where runs already
        use every core; numba's default for "serial").  Results do not depend on it; BLAS
        runs single-threaded on every scheduler.
    retries : re-executions of a task that fails outside its run, and (local/processes)
        tolerated worker deaths per run; a run that still cannot finish is recorded as failed.
    retry_failed : re-run runs recorded as failed (default); False keeps their records.
    progress : tqdm progress bar on stderr (runs done, rate, ETA).  figure : write summary.png.
    learned : the fraction defining "learning time": first step at which the degree-k residual
        energy falls below ``learned`` times its initial value (log-linear interpolation
        between records); predicted: ln(learned) / (2 ln|1 - lr mu_k|).
    max_runs : refuse a spec of more runs (counted before the grid is expanded).
    wait : if another sweep holds the folder, wait for it (default: SweepBusyError at once).

    Returns
    -------
    SweepResult.  A failing run does not stop the grid: its record has status "error", the
    exception and traceback, and its table row carries the error message.  Damaged records
    are moved to runs/damaged/ with a DamagedRecordWarning and re-run (module docstring).
    """
    from harmonics._infra.checks import check_bool, check_int, check_real

    force = check_bool(force, "force")
    retry_failed = check_bool(retry_failed, "retry_failed")
    progress = check_bool(progress, "progress")
    figure = check_bool(figure, "figure")
    if figure:  # without matplotlib: one clear line now, not after every run has finished
        from harmonics._infra.extras import require

        require("matplotlib", "plot", "summary.png", alternative="figure=False (--no-figure)")
    wait = check_bool(wait, "wait")
    spec = load_spec(spec, max_runs=max_runs)
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
    _check_folder(out, spec, spec_hash, force)  # before creating anything
    os.makedirs(out, exist_ok=True)
    with _folder_lock(out, wait):
        old = _check_folder(out, spec, spec_hash, force)  # again: it may have changed meanwhile
        _clean_orphans(out, time.time())
        # tables first (they would describe the old records), then the manifest, atomically
        _invalidate_outputs(out, spec, old)
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
        if spec.text is not None:
            _atomic_write(os.path.join(out, _spec_file(spec)), spec.text.encode())
        os.makedirs(os.path.join(out, RUNS_DIR), exist_ok=True)
        return _run_and_gather(
            spec,
            out,
            runs,
            scheduler,
            workers,
            threads,
            retries,
            retry_failed,
            progress,
            figure,
            learned,
            _runner,
        )


def _run_and_gather(
    spec,
    out,
    runs,
    scheduler,
    workers,
    threads,
    retries,
    retry_failed,
    progress,
    figure,
    learned,
    runner,
) -> SweepResult:
    from . import engine
    from .records import record_problem, seal_record
    from .runs import failure_record

    stored, _damaged = _load_records(out, runs, spec.kind, learned, move=True)
    records, todo = {}, []
    for r in runs:
        rec = stored.get(r.hash)
        if rec is not None and (rec["status"] == "ok" or not retry_failed):
            records[r.hash] = rec
        else:
            todo.append(r)
    done_before = len(records)
    by_hash = {r.hash: r for r in todo}

    bar = None
    if progress and todo:
        import sys

        from harmonics._infra.extras import progress_bar  # no tqdm: no bar

        desc = f"sweep {spec.name}" + (f" ({done_before} done before)" if done_before else "")
        bar = progress_bar(total=len(todo), desc=desc, unit="run", file=sys.stderr, smoothing=0.1)

    def on_record(rec):
        run = by_hash[rec["hash"]]
        sealed, text = seal_record(rec)
        problem = record_problem(sealed, spec.kind, run.hash, run.settings, learned)
        if problem is not None:  # e.g. a runner returning an incomplete result
            bad = RuntimeError(f"the run returned an unusable record: {problem}")
            sealed, text = seal_record(failure_record(spec.kind, run.hash, run.settings, bad))
        _atomic_write(_record_path(out, run.hash), text.encode())
        first = run.hash not in records
        records[run.hash] = sealed
        if bar is not None and first:
            bar.update(1)
            if sealed["status"] != "ok":
                bar.set_postfix(failed=sum(v["status"] != "ok" for v in records.values()))

    t0 = time.perf_counter()
    try:
        if not todo:
            pass
        elif scheduler == "serial":
            engine.run_serial(todo, spec.kind, runner, threads, on_record)
        elif scheduler == "processes":
            engine.run_processes(
                todo, spec.kind, runner, threads, min(workers, len(todo)), retries, on_record
            )
        else:
            with engine.distributed_client(scheduler, min(workers, len(todo)), retries) as c:
                engine.run_distributed(todo, spec.kind, runner, threads, c, retries, on_record)
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - t0
    missing = [r.hash for r in runs if r.hash not in records]
    if missing:  # a back end that lost a run: a bug, never a silent hole in the table
        raise RuntimeError(f"the sweep lost {len(missing)} run(s): {', '.join(missing[:5])}")

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

        from .figures import figure as make_figure

        fig = make_figure(spec.kind, result.rows, spec.axes(), spec.name, learned)
        save_figure(fig, os.path.join(out, FIGURE))
        result.paths["figure"] = os.path.join(out, FIGURE)
    return result


def gather(result: SweepResult, learned: float = 0.1) -> list:
    """The tidy rows of every run of the sweep, in grid order (see :func:`sweep`)."""
    from .tables import rows_of

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
    p.add_argument(
        "--max-runs",
        type=int,
        default=MAX_RUNS,
        metavar="N",
        help=f"refuse a spec of more than N runs (default {MAX_RUNS})",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="if another sweep is using --out, wait for it to finish (default: refuse)",
    )
    p.set_defaults(func=_cmd_sweep)
    return p


def _warning_line(message, category, filename, lineno, file=None, line=None):
    import sys

    (file or sys.stderr).write(f"warning: {message}\n")


def _cmd_sweep(args, out):
    with warnings.catch_warnings():
        warnings.showwarning = _warning_line  # one line per damaged record, no source line
        _cmd_sweep_inner(args, out)


def _cmd_sweep_inner(args, out):
    spec = load_spec(args.spec, max_runs=args.max_runs)
    if args.dry_run:
        spec_hash = spec.spec_hash()
        _check_folder(args.out, spec, spec_hash, args.force)
        p = plan(spec, args.out, retry_failed=not args.keep_failed, max_runs=args.max_runs)
        axes = ", ".join(f"{a} ({len(v)})" for a, v in spec.grid.items()) or "none"
        damaged = f", {len(p['damaged'])} damaged" if p["damaged"] else ""
        out.write(
            f"sweep {spec.name!r} ({spec.kind}): {len(p['runs'])} runs over axes {axes}; "
            f"{len(p['done'])} done, {len(p['failed'])} failed{damaged}, "
            f"{len(p['todo'])} to run\n"
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
        max_runs=args.max_runs,
        wait=args.wait,
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
            point = short_text(json.dumps(grid), 200)
            out.write(f"  {rec['hash']} {point}: {short_text(msg, 200)}\n")
        if len(failed) > 10:
            out.write(f"  ... and {len(failed) - 10} more (see the 'error' column)\n")
