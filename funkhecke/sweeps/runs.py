"""What one sweep run computes (per kind), under which thread settings, and its failure record.

Runners take the normalized settings dict of :mod:`funkhecke.sweeps.spec` and return a
JSON-ready dict; they are pure functions of their settings (every random draw is seeded by
``seed`` / ``target_seed``), which is what makes retrying a run on another worker safe and
makes distributed results equal serial ones.

Every run executes under the same thread settings whatever the scheduler (:func:`execute`):
one BLAS thread (OpenBLAS, MKL or BLIS, pinned through their C API for the duration of the run,
and ``OPENBLAS_NUM_THREADS`` etc. = 1 for libraries loaded during it) and ``threads`` numba
threads.  BLAS results can differ in the last bits between thread counts; the numba kernels'
reductions use a fixed blocking, so they do not depend on the numba thread count.

Records are sealed and checked in :mod:`funkhecke.sweeps.records`, turned into table rows in
:mod:`funkhecke.sweeps.tables`, and drawn in :mod:`funkhecke.sweeps.figures`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import socket
import threading
import time
import traceback

# --------------------------------------------------------------------------- runners


def _default_kmax(s: dict) -> int:
    """Highest recorded degree: ``kmax`` or (target degree + 2, at least 6); passed to
    simulate explicitly so that lr_scale and the recorded spectrum use the same degrees."""
    if s["kmax"] is not None:
        return s["kmax"]
    if s["target"] == "ridge":
        tdeg = s["k"] if s["degrees"] is None else max(s["degrees"])
        return max(6, tdeg + 2)
    return 6


def run_simulate(s: dict) -> dict:
    """simulate() on a ridge or teacher target; lr = lr_scale / max_{k<=kmax} mu_k if lr_scale."""
    import numpy as np

    from gd_operator import ridge_target, simulate, spectrum, teacher_network

    n = s["n"]
    if s["target"] == "ridge":
        degrees = [s["k"]] if s["degrees"] is None else s["degrees"]
        target = ridge_target(n, degrees, s["amplitudes"], rng=s["target_seed"])
    else:
        width = 5 if s["teacher_width"] is None else s["teacher_width"]
        target = teacher_network(n, width, rng=s["target_seed"])
    kmax = _default_kmax(s)
    lr = s["lr"]
    if lr is None:
        mu = spectrum(s["activation"], n, kmax, train=s["train"], init=s["init"], bias=s["bias"])
        lr = s["lr_scale"] / float(np.max(mu))
    res = simulate(
        target,
        s["activation"],
        n,
        s["m"],
        steps=s["steps"],
        lr=lr,
        train=s["train"],
        init=s["init"],
        samples=s["samples"],
        bias=s["bias"],
        rng=s["seed"],  # the spec's "seed" setting (data) is simulate's rng= argument
        record_every=s["record_every"],
        kmax=kmax,
        progress=False,
        dtype=s["dtype"],
        energies=s["energies"],
        symmetric=s["symmetric"],
        stop_loss=s["stop_loss"],
    )
    if res.interrupted:  # Ctrl-C inside simulate (serial sweeps): not a finished run
        raise KeyboardInterrupt
    out = res.to_dict()
    out["lr_used"] = lr
    return out


def run_spectrum(s: dict) -> dict:
    """gd_operator.spectrum(..., log=True): mu_k as log10 (exact zeros -> None) and values."""
    from gd_operator import spectrum
    from harmonics import dim_harmonics

    sign, log_mu = spectrum(
        s["activation"],
        s["n"],
        s["kmax"],
        train=s["train"],
        init=s["init"],
        bias=s["bias"],
        method=s["method"],
        power=s["power"],
        coeffs=s["coeffs"],
        scale=s["scale"],
        log=True,
    )
    pairs = list(zip(sign, log_mu, strict=True))
    log10 = [float(v) / math.log(10) if sg != 0 else None for sg, v in pairs]
    mu = [math.exp(float(v)) if sg != 0 else 0.0 for sg, v in pairs]  # exp underflows to 0.0
    dims = [str(dim_harmonics(s["n"], k)) for k in range(s["kmax"] + 1)]
    return {"log10_mu": log10, "mu": mu, "multiplicity": dims}


def run_sq(s: dict) -> dict:
    """sq_bounds.query_lower_bound(n, k, tau, ...).to_dict()."""
    from sq_bounds import query_lower_bound

    b = query_lower_bound(
        s["n"],
        s["k"],
        s["tau"],
        delta=s["delta"],
        family_bound=s["family_bound"],
        max_family_size=s["max_family_size"],
    )
    return b.to_dict()


def run_learning_curve(s: dict) -> dict:
    """gd_operator.learning_curve at the spec's P values (unit energy on each degree, the
    spectrum to kmax = max(degrees) + 40 by default with the rest of K(1) as tail_trace), and
    with ``simulate`` gd_operator.kernel_regression (exact test error, ``seeds`` seeds)."""
    import numpy as np

    from gd_operator import kernel, kernel_regression, learning_curve, spectrum
    from harmonics import dim_harmonics

    n, deg = s["n"], sorted(set(s["degrees"]))
    kmax = s["kmax"] if s["kmax"] is not None else max(deg) + 40
    if kmax < max(deg):
        raise ValueError(f"kmax = {kmax} must be >= max(degrees) = {max(deg)}")
    kw = dict(train=s["train"], init=s["init"])
    mu = np.asarray(spectrum(s["activation"], n, kmax, **kw), dtype=float)
    head = sum(dim_harmonics(n, k) * float(m) for k, m in enumerate(mu))
    tail = max(float(kernel(s["activation"], n, 1.0, **kw)) - head, 0.0)
    v = np.zeros(kmax + 1)
    v[deg] = 1.0
    lc = learning_curve(
        spectrum(s["activation"], n, kmax, log=True, **kw),
        n,
        v,
        s["samples"],
        ridge=s["ridge"],
        noise=s["noise"],
        tail_trace=tail,
    )
    out = {
        "samples": [int(p) for p in s["samples"]],
        "test_theory": lc.test_mse.tolist(),
        "train_theory": lc.train_mse.tolist(),
        "kappa": lc.kappa.tolist(),
        "tail_trace": tail,
        "test_simulated": None,
        "test_sem": None,
    }
    if s["simulate"]:
        sim = kernel_regression(
            s["activation"],
            n,
            s["samples"],
            degrees=tuple(deg),
            ridge=s["ridge"],
            noise=s["noise"],
            seeds=s["seeds"],
            rng=s["seed"],
            kmax=max(deg) + 6,
            **kw,
        )
        out["test_simulated"] = sim.test_mean.tolist()
        out["test_sem"] = sim.test_sem.tolist()
    return out


def _beyond_kernels(setup: str):
    """Runner of one unit of funkhecke.reproductions.beyond_kernels (the dict it returns)."""

    def run(s: dict) -> dict:
        from funkhecke.reproductions.beyond_kernels import run_unit

        row = run_unit(setup, s)
        row.pop("curve", None)  # the lmz curve is figure data, not a table row
        return row

    run.__name__ = f"run_mean_field_{setup.replace('-', '_')}"
    return run


RUNNERS = {
    "simulate": run_simulate,
    "spectrum": run_spectrum,
    "sq": run_sq,
    "learning_curve": run_learning_curve,
    "mean_field_lmz": _beyond_kernels("lmz"),
    "mean_field_escape": _beyond_kernels("single-index"),
    "mean_field_staircase": _beyond_kernels("staircase"),
}


RECORD_FORMAT = 2  # 2: records carry a checksum
ERROR_LIMIT = 1000  # characters of a run's error message kept in its record
TRACEBACK_LIMIT = 20_000  # characters of its traceback (head and tail)


def _cap(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping its head and tail."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... ({len(text) - 2 * half} characters cut) ...\n{text[-half:]}"


def _error_fields(exc: BaseException, tb: str) -> dict:
    return {
        "error": _cap(f"{type(exc).__name__}: {exc}", ERROR_LIMIT),
        "traceback": _cap(tb, TRACEBACK_LIMIT),
    }


# ------------------------------------------------------------------- thread settings

# (set, get) C functions of the BLAS libraries, by the library file's name
_BLAS_API = (
    (
        re.compile(r"openblas", re.I),
        (
            ("openblas_set_num_threads", "openblas_get_num_threads"),
            ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
            ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
        ),
    ),
    (re.compile(r"mkl_rt", re.I), (("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),)),
    (re.compile(r"blis", re.I), (("bli_thread_set_num_threads", "bli_thread_get_num_threads"),)),
)
_BLAS_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS")
_blas_cache: dict = {}  # library path -> (set, get) ctypes functions, or None


_blas_seen = [None, {}]  # [len(sys.modules) at the last scan, its result]


def _blas_controls() -> dict:
    """{path: (set, get)} of the BLAS libraries loaded in this process (Linux: from
    /proc/self/maps; elsewhere none are found and only the environment policy applies).
    BLAS libraries come with extension modules, so the scan is redone only when modules
    were imported since the last one."""
    import sys

    if _blas_seen[0] != len(sys.modules):
        _blas_seen[1] = _scan_blas()
        _blas_seen[0] = len(sys.modules)
    return dict(_blas_seen[1])


def _scan_blas() -> dict:
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            fields = [line.split(None, 5) for line in fh]
    except OSError:
        return {}
    paths = {f[5].strip() for f in fields if len(f) == 6 and f[5].startswith("/")}
    out = {}
    for path in paths:
        name = os.path.basename(path)
        if ".so" not in name and not name.endswith(".dylib"):
            continue
        if path not in _blas_cache:
            _blas_cache[path] = None
            for pattern, pairs in _BLAS_API:
                if not pattern.search(name):
                    continue
                try:
                    lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
                except (OSError, AttributeError):
                    break
                for set_name, get_name in pairs:
                    setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
                    if setter is not None and getter is not None:
                        getter.restype = ctypes.c_int
                        setter.restype = None
                        _blas_cache[path] = (setter, getter)
                        break
                break
        if _blas_cache[path] is not None:
            out[path] = _blas_cache[path]
    return out


_pin_lock = threading.Lock()
_pin_state = {"depth": 0, "env": {}, "blas": {}}  # shared by the runs in flight in a process


def _pin_blas() -> None:
    """First run in flight: save the caller's BLAS settings, set one thread."""
    _pin_state["env"] = {k: os.environ.get(k) for k in _BLAS_ENV}
    os.environ.update({k: "1" for k in _BLAS_ENV})
    saved = {}
    for path, (setter, getter) in _blas_controls().items():
        saved[path] = getter()
        if saved[path] != 1:
            setter(1)
    _pin_state["blas"] = saved


def _unpin_blas() -> None:
    """Last run in flight: restore the caller's BLAS settings (a library first loaded during
    the runs gets the caller's usual count)."""
    for k, v in _pin_state["env"].items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    saved = _pin_state["blas"]
    usual = max(saved.values(), default=1)
    for path, (setter, _getter) in _blas_controls().items():
        n = saved.get(path, usual)
        if n != 1:
            setter(n)


@contextlib.contextmanager
def run_threads(threads=None):
    """The thread settings every run executes under, on every scheduler: one BLAS thread
    (loaded libraries pinned through their API, libraries loaded meanwhile by the environment
    variables) and ``threads`` numba threads (None: unchanged).  The caller's settings are
    restored afterwards.  BLAS settings are per process: runs in flight in several threads
    (a dask worker with --nthreads > 1) share one pinning, undone when the last one ends."""
    with _pin_lock:
        if _pin_state["depth"] == 0:
            _pin_blas()
        _pin_state["depth"] += 1
    saved_numba = None
    try:
        if threads is not None:
            import numba

            saved_numba = numba.get_num_threads()  # per thread in numba
            numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
        yield
    finally:
        if saved_numba is not None:
            numba.set_num_threads(saved_numba)  # the caller's thread count (serial sweeps)
        with _pin_lock:
            _pin_state["depth"] -= 1
            if _pin_state["depth"] == 0:
                _unpin_blas()


def execute(kind: str, settings_json: str, run_hash: str, runner=None, threads=None) -> dict:
    """Run one grid point and return its record (never raises for a failing run: the error and
    traceback are recorded; KeyboardInterrupt and SystemExit propagate).  Runs on the workers
    under :func:`run_threads`; the client seals and writes the record."""
    import json

    t0 = time.perf_counter()
    settings = json.loads(settings_json)
    rec = {"format": RECORD_FORMAT, "kind": kind, "hash": run_hash, "settings": settings}
    with run_threads(threads):
        try:
            result = (runner or RUNNERS[kind])(settings)
            rec.update(status="ok", result=result, error=None, traceback=None)
        except Exception as exc:  # recorded, the grid goes on
            rec.update(status="error", result=None, **_error_fields(exc, traceback.format_exc()))
    rec["elapsed"] = time.perf_counter() - t0
    rec["host"] = socket.gethostname()
    rec["pid"] = os.getpid()
    return rec


def failure_record(kind: str, run_hash: str, settings: dict, exc: BaseException) -> dict:
    """Record of a run the engine could not finish (worker killed too often, lost, ...)."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {
        "format": RECORD_FORMAT,
        "kind": kind,
        "hash": run_hash,
        "settings": settings,
        "status": "error",
        "result": None,
        **_error_fields(exc, tb),
        "elapsed": None,
        "host": None,
        "pid": None,
    }
