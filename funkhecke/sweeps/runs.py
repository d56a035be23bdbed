"""What one sweep run computes (per kind), how it becomes table rows, and the summary figure.

Runners take the normalized settings dict of :mod:`funkhecke.sweeps.spec` and return a
JSON-ready dict; they are pure functions of their settings (every random draw is seeded by
``seed`` / ``target_seed``), which is what makes retrying a run on another worker safe and
makes distributed results equal serial ones.

Every run executes under the same thread settings whatever the scheduler (:func:`execute`):
one BLAS thread (OpenBLAS, MKL or BLIS, pinned through their C API for the duration of the run,
and ``OPENBLAS_NUM_THREADS`` etc. = 1 for libraries loaded during it) and ``threads`` numba
threads.  BLAS results can differ in the last bits between thread counts; the numba kernels'
reductions use a fixed blocking, so they do not depend on the numba thread count.

A run's record (what ``runs/<hash>.json`` holds) is sealed with a ``checksum``: SHA-256 of the
canonical JSON (sorted keys, no spaces) of the record without its checksum
(:func:`seal_record`).  :func:`record_problem` says why a stored record cannot be used
(unparsable, wrong checksum, wrong hash/settings/kind for its file, missing fields), or None.
"""

from __future__ import annotations

import contextlib
import hashlib
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


RUNNERS = {"simulate": run_simulate, "spectrum": run_spectrum, "sq": run_sq}


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


# --------------------------------------------------------------------- record checks


def _canonical(obj) -> str:
    import json

    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def record_checksum(rec: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of ``rec`` without its "checksum" field."""
    body = {k: v for k, v in rec.items() if k != "checksum"}
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def seal_record(rec: dict) -> tuple:
    """(sealed record, its file text): the record as strict JSON values (NaN/inf -> null) with
    its checksum, and the canonical JSON that is written (the checksum covers exactly it)."""
    from harmonics._infra.jsonio import to_json_value

    body = to_json_value({k: v for k, v in rec.items() if k != "checksum"})
    text = _canonical(body)
    body["checksum"] = hashlib.sha256(text.encode()).hexdigest()
    return body, _canonical(body) + "\n"


_STATUSES = ("ok", "error")


def record_problem(rec, kind: str, run_hash: str, settings: dict, learned: float = 0.1):
    """Why the stored record ``rec`` (parsed JSON) of the run (kind, run_hash, settings) cannot
    be used, or None if it can: wrong format, no or wrong checksum (a changed byte), another
    run's hash, settings or kind, a status other than ok/error, or missing fields (tried by
    building its table rows)."""
    if not isinstance(rec, dict):
        return f"not a JSON object ({type(rec).__name__})"
    if rec.get("format") != RECORD_FORMAT:
        return f"record format {rec.get('format')!r}, expected {RECORD_FORMAT}"
    if "checksum" not in rec:
        return "no checksum"
    try:
        if rec["checksum"] != record_checksum(rec):
            return "checksum mismatch (the file was changed after it was written)"
    except (TypeError, ValueError) as exc:
        return f"not canonical JSON ({type(exc).__name__})"
    if rec.get("hash") != run_hash:
        return f"hash {str(rec.get('hash'))[:40]!r} does not match its file name"
    if rec.get("kind") != kind:
        return f"kind {str(rec.get('kind'))[:40]!r}, the sweep is {kind!r}"
    if rec.get("settings") != settings:
        return "settings differ from the run's (not this run's record)"
    status = rec.get("status")
    if status not in _STATUSES:
        if "status" not in rec:
            return "no status"
        return f"status {str(status)[:40]!r}, expected 'ok' or 'error'"
    if status == "ok" and not isinstance(rec.get("result"), dict):
        return f"status 'ok' without a result ({type(rec.get('result')).__name__})"
    if status == "error" and not isinstance(rec.get("error"), str):
        return "status 'error' without an error message"
    try:
        rows_of(rec, learned)
    except Exception as exc:  # a field missing or of the wrong type
        return f"incomplete result ({type(exc).__name__}: {str(exc)[:80]})"
    return None


# ------------------------------------------------------------------------------ rows


def _crossing(steps, r, frac):
    """First time r(t) <= frac r(0), log-linear interpolation between records; NaN if never
    (or no initial energy)."""
    r0 = r[0]
    if not (r0 > 1e-14):
        return math.nan
    goal = frac * r0
    for i in range(1, len(r)):
        if r[i] <= goal:
            a, b = r[i - 1], r[i]
            if a <= goal or not (b > 0):
                return float(steps[i])
            t = (math.log(a) - math.log(goal)) / (math.log(a) - math.log(b))
            return float(steps[i - 1] + t * (steps[i] - steps[i - 1]))
    return math.nan


def _num(x):
    return math.nan if x is None else float(x)


def _rows_simulate(rec: dict, learned: float) -> list:
    res = rec["result"]
    lr = res["lr_used"]
    steps = res["steps"]
    E = res["residual_energy"]
    base = {
        "lr_used": lr,
        "loss_initial": res["loss"][0],
        "loss_final": res["loss"][-1],
        "steps_done": steps[-1],
    }
    rows = []
    for k in range(len(res["spectrum"])):
        r = [_num(row[k]) for row in E]
        mu = _num(res["spectrum"][k])
        q = abs(1 - lr * mu) if math.isfinite(mu) else math.nan
        if not (r[0] > 1e-14) or not math.isfinite(q):
            pred = math.nan
        elif mu <= 0 or q >= 1:
            pred = math.inf
        elif q == 0:
            pred = 0.0
        else:
            pred = math.log(learned) / (2 * math.log(q))
        meas = res["measured_rates"][k]
        rows.append(
            dict(
                base,
                degree=k,
                target_energy=_num(res["target_energy"][k]),
                residual_initial=r[0],
                residual_final=r[-1],
                mu_predicted=mu,
                mu_measured=_num(meas),
                learning_time=_crossing(steps, r, learned),
                learning_time_predicted=pred,
            )
        )
    return rows


def _rows_spectrum(rec: dict, learned: float) -> list:
    res = rec["result"]
    return [
        {
            "degree": k,
            "multiplicity": int(d),
            "mu": mu,
            "log10_mu": -math.inf if l10 is None else l10,
        }
        for k, (d, mu, l10) in enumerate(
            zip(res["multiplicity"], res["mu"], res["log10_mu"], strict=True)
        )
    ]


def _rows_sq(rec: dict, learned: float) -> list:
    res = dict(rec["result"])
    row = {"bound_kind": res.pop("kind"), "delta_used": res.pop("delta")}
    for key in ("k", "n", "tau", "family_bound"):
        res.pop(key, None)
    row.update(res)
    return [row]


ROWS = {"simulate": _rows_simulate, "spectrum": _rows_spectrum, "sq": _rows_sq}


def rows_of(rec: dict, learned: float) -> list:
    """Tidy rows of one run: settings columns, then run/status/error, then result columns."""
    from .spec import SCHEMAS

    s = rec["settings"]
    head = {k: s[k] for k in SCHEMAS[rec["kind"]] if k in s}  # schema order, not JSON order
    head.update(run=rec["hash"], status=rec["status"], error=rec.get("error"))
    head["elapsed"] = rec.get("elapsed")
    if rec["status"] != "ok":
        return [head]
    return [dict(head, **r) for r in ROWS[rec["kind"]](rec, learned)]


# ---------------------------------------------------------------------------- figure


_NOT_SERIES = {"seed", "k", "degrees", "amplitudes", "target_seed"}


def _series_key(row, axes, drop):
    return tuple((a, row[a]) for a in axes if a not in drop)


def _label(key) -> str:
    return ", ".join(f"{a}={v}" for a, v in key) or "all runs"


def figure(kind: str, rows: list, axes: list, title: str, learned: float):
    """Summary figure of a sweep (matplotlib Figure, no pyplot state)."""
    from matplotlib.figure import Figure

    ok = [r for r in rows if r["status"] == "ok"]
    if kind == "simulate":
        fig = Figure(figsize=(11, 4.5), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        _fig_rates(ax1, ok)
        _fig_learning(ax2, ok, axes, learned)
    elif kind == "spectrum":
        fig = Figure(figsize=(6.5, 4.5), layout="constrained")
        _fig_spectrum(fig.subplots(), ok, axes)
    else:
        fig = Figure(figsize=(6.5, 4.5), layout="constrained")
        _fig_sq(fig.subplots(), ok)
    failed = len({r["run"] for r in rows if r["status"] != "ok"})
    fig.suptitle(f"{title}" + (f"  ({failed} failed runs omitted)" if failed else ""))
    return fig


def _style(ax):
    ax.grid(True, alpha=0.3, which="both")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _fig_rates(ax, ok):
    import numpy as np

    pts = [
        (r["mu_predicted"], r["mu_measured"], r["degree"])
        for r in ok
        if r["target_energy"] > 1e-14
        and r["mu_predicted"] > 0
        and math.isfinite(r["mu_measured"])
        and r["mu_measured"] > 0
    ]
    _style(ax)
    ax.set_xlabel(r"predicted $\mu_k$ (infinite width)")
    ax.set_ylabel(r"measured rate $\hat\mu_k = (1-\rho_k)/\mathrm{lr}$")
    ax.set_title("measured vs predicted rate, every run and degree")
    if not pts:
        ax.text(0.5, 0.5, "no degree with a measurable rate", ha="center", transform=ax.transAxes)
        return
    x, y, k = (np.array(v, dtype=float) for v in zip(*pts, strict=True))
    sc = ax.scatter(x, y, c=k, cmap="viridis", s=18)
    lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
    ax.plot([lo, hi], [lo, hi], "k:", lw=1, label="measured = predicted")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.figure.colorbar(sc, ax=ax, label="degree k")
    ax.legend(loc="upper left")


def _mean_finite(values) -> float:
    """Mean of the finite values (NaN if none): runs that never learned a degree are left out."""
    vals = [v for v in values if math.isfinite(v)]
    return sum(vals) / len(vals) if vals else math.nan


def _fig_learning(ax, ok, axes, learned):
    import numpy as np

    _style(ax)
    ax.set_xlabel("degree k")
    ax.set_ylabel(f"GD steps until residual energy < {learned:g} x initial")
    ax.set_title("learning time vs degree (points: measured, lines: predicted)")
    groups = {}
    for r in ok:
        if not (r["target_energy"] > 1e-14) or r["degree"] < 1:
            continue
        key = _series_key(r, axes, _NOT_SERIES)
        groups.setdefault(key, {}).setdefault(r["degree"], []).append(
            (r["learning_time"], r["learning_time_predicted"])
        )
    drawn, degrees = 0, set()
    for key, by_k in list(groups.items())[:10]:
        degrees |= set(by_k)
        ks = np.array(sorted(by_k), dtype=float)
        meas = np.array([_mean_finite([m for m, _ in by_k[k]]) for k in sorted(by_k)])
        pred = np.array([_mean_finite([p for _, p in by_k[k]]) for k in sorted(by_k)])
        live = np.isfinite(pred) & (pred > 0)
        (line,) = ax.plot(ks[live], pred[live], "-", lw=1, label=_label(key))
        good = np.isfinite(meas) & (meas > 0)
        ax.plot(ks[good], meas[good], "o", color=line.get_color(), ms=4)
        drawn += int(good.any() or live.any())
    if drawn:
        from matplotlib.ticker import NullFormatter, ScalarFormatter

        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sorted(degrees))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no degree learned within the run", ha="center", transform=ax.transAxes)


def _fig_spectrum(ax, ok, axes):
    import numpy as np

    _style(ax)
    runs = {}
    for r in ok:
        runs.setdefault(r["run"], []).append(r)
    for rs in list(runs.values())[:12]:
        k = np.array([r["degree"] for r in rs])
        y = np.array([r["log10_mu"] for r in rs], dtype=float)
        live = np.isfinite(y)
        ax.plot(k[live], y[live], "o-", ms=3, label=_label(_series_key(rs[0], axes, set())))
    ax.set_xlabel("degree k")
    ax.set_ylabel(r"$\log_{10}\mu_k$ (zeros omitted)")
    ax.set_title("kernel spectrum across the grid")
    if runs:
        ax.legend(fontsize=7)


def _fig_sq(ax, ok):
    import numpy as np

    _style(ax)
    groups = {}
    for r in ok:
        if r["log10_queries"] is not None:
            groups.setdefault((r["k"], r["tau"]), []).append((r["n"], r["log10_queries"]))
    for (k, tau), pts in sorted(groups.items())[:12]:
        pts.sort()
        n, q = (np.array(v, dtype=float) for v in zip(*pts, strict=True))
        ax.plot(n, q, "o-", ms=3, label=f"k={k}, tau={tau:g}")
    ax.set_xscale("log")
    ax.set_xlabel("dimension n")
    ax.set_ylabel(r"$\log_{10}$ (queries) lower bound")
    ax.set_title("SQ lower bounds across the grid")
    if groups:
        ax.legend(fontsize=7)
