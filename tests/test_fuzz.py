"""Fuzz harness: every public function of harmonics, harmonics.symbolic, gd_operator, sq_bounds
(the names in each package's ``__all__``) and every CLI subcommand, called with a mix of valid
values, boundary values, wrong types, NaN/inf, huge and negative numbers and extreme-but-valid
values, each call under a time budget.

The project standard (the "trust" issue): bad input gets a clear ValueError/TypeError naming the
argument within a second -- never a hang, a MemoryError, a NaN, or a traceback from deep inside
numpy/numba/sympy/mpmath; booleans are booleans; size and cost limits are checked before
allocating or looping; no NaN/inf on valid input.

Every call is classified as

* ``ok``        -- returned, no NaN (and no inf unless the function documents it: log pairs);
* ``clean``     -- ValueError/TypeError (or a documented subclass) raised from our own code,
                   whose message names the argument (one of the bad ones, if any);
* ``unclean``   -- any other exception, or a ValueError/TypeError raised inside a dependency
                   or not naming an argument;
* ``accepted``  -- a value labelled bad (e.g. ``log=2``) was accepted;
* ``memory``    -- MemoryError (an allocation nobody checked);
* ``hang``      -- the call exceeded its time budget (SIGALRM);
* ``nan``       -- NaN or an undocumented inf in the result.

Only ``ok`` and ``clean`` pass.  The default run draws a fixed, derandomized number of examples
per target (plus the explicit extreme cases of each target) and takes well under a minute; the
``slow`` test draws ten times as many.  ``python tests/test_fuzz.py [--slow] [NAME ...]`` prints
the outcome counts per target and per class (used for the before/after report).

Memory: during each call the address space is capped (RLIMIT_AS, current size + 4 GiB), so an
unchecked huge allocation fails fast as a MemoryError instead of swapping the machine.  Calls stuck
in compiled code cannot be interrupted by SIGALRM; a faulthandler watchdog ends the process after
60 s with a traceback in that case (a failure too).
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import io
import math
import os
import re
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as tests/conftest.py, for direct runs

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

try:  # not on every platform
    import resource
except ImportError:  # pragma: no cover
    resource = None

NAN, INF = float("nan"), float("inf")
OUR_PACKAGES = ("harmonics", "gd_operator", "sq_bounds", "funkhecke")
DEPENDENCIES = ("numpy", "scipy", "sympy", "mpmath", "numba", "llvmlite", "argparse", "dask")
CLASSES = ("ok", "clean", "unclean", "accepted", "memory", "hang", "nan")
PASSING = ("ok", "clean")


class _Timeout(BaseException):
    """Raised by SIGALRM in the call (a BaseException: ``except Exception`` cannot swallow it)."""


# --------------------------------------------------------------------------- parameter specs


@dataclass
class Param:
    """One parameter: a strategy of valid values, bad values, extreme-but-valid values.

    ``optional``: may be left out (the function's default).  ``names``: words an error message
    may use for it (default: the parameter's name).
    """

    valid: object
    bad: tuple = ()
    extreme: tuple = ()
    optional: bool = False
    names: tuple = ()


@dataclass
class Spec:
    """A fuzz target: ``call(**kwargs)`` with kwargs drawn from ``params``.

    ``cases``: explicit kwargs always run (extreme valid inputs, known failures; each a dict,
    values taken as valid unless listed in the dict's ``"__bad__"`` tuple).  ``allowed``:
    exception classes that are documented outcomes (counted as clean if their message is
    clear).  ``allow_inf``: -inf/+inf may appear in results (log pairs).
    """

    name: str
    call: object
    params: dict
    cases: tuple = ()
    examples: int = 25
    budget: float = 2.0
    allowed: tuple = ()
    allow_inf: bool = False
    nan_fields: tuple = ()  # result fields where NaN is documented ("undefined / not recorded")
    cli: bool = False
    warmup: object = None


@dataclass
class Outcome:
    target: str
    cls: str
    kwargs: dict
    bad: tuple
    detail: str = ""
    seconds: float = 0.0

    def __str__(self):
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.kwargs.items())
        return (
            f"[{self.cls}] {self.target}({args}) bad={self.bad} {self.seconds:.2f}s: {self.detail}"
        )


def _short(v, limit=60):
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------- common value sets

BAD_INT = ("3", None, True, 2.5, NAN, INF, -INF, [[3]], 1 + 2j)
BAD_DEGREES = tuple(x for x in BAD_INT if x != [[3]]) + ([1.5], ["2"])  # arrays of k are fine
BAD_REAL = ("0.5", None, True, NAN, INF, -INF, [[0.5]], 1 + 2j)
BAD_BOOL = ("False", "True", 2, 0, 1, None, 1.0, [True])
BAD_STR = (3, None, True, "", "no-such-thing", ["x"])
BAD_RNG = (-1, "0", 1.5, True, [0], object())
BAD_ARRAY = ("x", None, [[0.5, "a"]], [[1.0], [1.0, 2.0]], NAN, INF, [NAN], {"a": 1})
HUGE_INTS = (10**6, 10**9, 10**18, 2**63, 10**30)


def _no_none(values):
    """A bad-value list for a parameter whose default is None (None is valid there)."""
    return tuple(v for v in values if v is not None)


def ints(lo, hi, *, extreme=(), bad_low=True, cap=None):
    """Valid ints in [lo, hi] (small, for speed); bad: wrong types and values below ``lo``
    (and above ``cap`` when the function has a documented maximum)."""
    bad = list(BAD_INT)
    if bad_low:
        bad += [lo - 1, lo - 10, -(10**18)]
    if cap is not None:
        bad += [cap + 1]
    return Param(st.integers(lo, hi), tuple(bad), tuple(extreme))


def reals(lo, hi, *, extreme=(), bad=(), positive=False):
    vals = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if positive:
        vals = vals.filter(lambda x: x > 0)
    return Param(vals, tuple(BAD_REAL) + tuple(bad), tuple(extreme))


def flag():
    return Param(st.booleans(), BAD_BOOL, (np.True_, np.False_), optional=True)


def choice(values, *, bad=BAD_STR, optional=True):
    return Param(st.sampled_from(values), tuple(bad), (), optional=optional)


def rng_param():
    return Param(
        st.one_of(st.integers(0, 2**32), st.just(None)),
        BAD_RNG,
        (np.random.default_rng(1), 2**63 - 1),
        optional=True,
    )


def opt(param):
    """The parameter as an optional one whose default is None (None is then not bad)."""
    return dataclasses.replace(param, optional=True, bad=_no_none(param.bad))


# ------------------------------------------------------------------- running and classifying


def _vm_bytes() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover
        pass
    return 0


@contextlib.contextmanager
def _limits(budget: float):
    """_Timeout after ``budget`` seconds of CPU time (SIGPROF: the machine is shared, so wall
    time would depend on the other processes) or 10x that of wall time (SIGALRM: a call that
    waits without computing); address space capped at current + 4 GiB; a watchdog."""

    def on_alarm(signum, frame):
        raise _Timeout()

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_prof = signal.signal(signal.SIGPROF, on_alarm)
    old_rlimit = None
    if resource is not None and _vm_bytes():
        old_rlimit = resource.getrlimit(resource.RLIMIT_AS)
        cap = _vm_bytes() + 4 * 2**30
        hard = old_rlimit[1]
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    faulthandler.dump_traceback_later(10 * budget + 60, exit=True, file=sys.__stderr__)
    signal.setitimer(signal.ITIMER_PROF, budget)
    signal.setitimer(signal.ITIMER_REAL, 10 * budget)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, old_handler)
        signal.signal(signal.SIGPROF, old_prof)
        if old_rlimit is not None:
            resource.setrlimit(resource.RLIMIT_AS, old_rlimit)


def _raised_in_dependency(exc: BaseException) -> str | None:
    """The dependency whose frame raised ``exc`` (innermost frame), or None."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    if last is None:
        return None
    parts = re.split(r"[\\/]", last)
    if any(p in OUR_PACKAGES for p in parts):
        return None
    for dep in DEPENDENCIES:
        if dep in parts or parts[-1] == f"{dep}.py":
            return dep
    return None


def _names_in(message: str, names) -> bool:
    low = message.lower()
    for name in names:
        w = str(name).lower().lstrip("-")
        if not w:
            continue
        variants = {w, w.replace("_", "-"), w.replace("-", "_")}
        for v in variants:
            if re.search(rf"(?<![a-z0-9_]){re.escape(v)}(?![a-z0-9_])", low):
                return True
    return False


def _has_bad_numbers(obj, allow_inf: bool, depth=0, nan_fields=()) -> str | None:
    """'nan' / 'inf' if the result holds NaN (or an undocumented inf), else None."""
    if depth > 6:
        return None
    if isinstance(obj, (bool, np.bool_, str, bytes, type(None))):
        return None
    if isinstance(obj, (float, np.floating, complex, np.complexfloating)):
        if obj != obj:
            return "nan"
        if not allow_inf and math.isinf(abs(obj)):
            return "inf"
        return None
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc":
            if obj.size and np.isnan(obj).any():
                return "nan"
            if not allow_inf and obj.size and np.isinf(obj).any():
                return "inf"
        elif obj.dtype == object:
            for x in obj.flat[:1000]:
                r = _has_bad_numbers(x, allow_inf, depth + 1)
                if r:
                    return r
        return None
    if isinstance(obj, dict):
        for v in list(obj.values())[:1000]:
            r = _has_bad_numbers(v, allow_inf, depth + 1)
            if r:
                return r
        return None
    if isinstance(obj, (list, tuple)):
        for v in obj[:1000]:
            r = _has_bad_numbers(v, allow_inf, depth + 1)
            if r:
                return r
        return None
    try:
        import sympy

        if isinstance(obj, sympy.Basic):
            return "nan" if obj.has(sympy.nan, sympy.zoo) else None
    except ImportError:  # pragma: no cover
        pass
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name in nan_fields:
                continue
            # log_* fields hold -inf for exact zeros (docs/conventions.md, "Argument order and
            # naming": log=True pairs)
            inf_ok = allow_inf or f.name.startswith("log")
            r = _has_bad_numbers(getattr(obj, f.name, None), inf_ok, depth + 1)
            if r:
                return r
    return None


def run_one(spec: Spec, kwargs: dict, bad: tuple) -> Outcome:
    """Call ``spec`` with ``kwargs`` under the budget and classify the outcome."""
    # the message must name an argument: the bad one, or another one (combinations of valid
    # values can be refused too, e.g. coeffs= with a non-polynomial activation)
    names = []
    for b in spec.params:
        p = spec.params[b]
        names += list(p.names) if p.names else [b]
    stderr = io.StringIO()
    t0 = time.process_time()
    result = exc = None
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stderr(stderr),
            _limits(spec.budget),
        ):
            warnings.simplefilter("ignore")
            result = spec.call(**kwargs)
    except _Timeout:
        return Outcome(spec.name, "hang", kwargs, bad, f"> {spec.budget} s", spec.budget)
    except MemoryError as e:  # includes subclasses that are not also ValueErrors
        if isinstance(e, (ValueError, TypeError)) and _names_in(str(e), names):
            exc = e
        else:
            return Outcome(
                spec.name, "memory", kwargs, bad, repr(e)[:300], time.process_time() - t0
            )
    except SystemExit as e:  # argparse
        if e.code in (0, None):
            result = 0
        else:
            msg = stderr.getvalue().strip().splitlines()
            msg = msg[-1] if msg else f"SystemExit({e.code})"
            cls = "clean" if (_names_in(msg, names) or "argument" in msg) else "unclean"
            return Outcome(spec.name, cls, kwargs, bad, msg[:300], time.process_time() - t0)
    except BaseException as e:  # noqa: BLE001 - classified below
        if isinstance(e, KeyboardInterrupt):
            raise
        exc = e
    seconds = time.process_time() - t0
    if exc is not None:
        detail = f"{type(exc).__name__}: {str(exc)[:300]}"
        dep = _raised_in_dependency(exc)
        if dep is not None:
            frames = traceback.extract_tb(exc.__traceback__)[-1]
            detail += f"  (raised in {dep}: {os.path.basename(frames.filename)}:{frames.lineno})"
            return Outcome(spec.name, "unclean", kwargs, bad, detail, seconds)
        if isinstance(exc, (ValueError, TypeError) + tuple(spec.allowed)):
            if _names_in(str(exc), names):
                return Outcome(spec.name, "clean", kwargs, bad, detail, seconds)
            return Outcome(
                spec.name, "unclean", kwargs, bad, "no argument named: " + detail, seconds
            )
        return Outcome(spec.name, "unclean", kwargs, bad, detail, seconds)
    if bad:
        return Outcome(spec.name, "accepted", kwargs, bad, _short(result, 120), seconds)
    if spec.cli:
        text = result if isinstance(result, str) else ""
        if re.search(r"(?<![a-z])nan(?![a-z])", text.lower()):
            return Outcome(spec.name, "nan", kwargs, bad, "nan in output", seconds)
        return Outcome(spec.name, "ok", kwargs, bad, "", seconds)
    log_flag = kwargs.get("log")
    allow_inf = spec.allow_inf or (isinstance(log_flag, (bool, np.bool_)) and bool(log_flag))
    verdict = _has_bad_numbers(result, allow_inf, nan_fields=spec.nan_fields)
    if verdict:
        return Outcome(
            spec.name, "nan", kwargs, bad, f"{verdict} in {_short(result, 200)}", seconds
        )
    return Outcome(spec.name, "ok", kwargs, bad, "", seconds)


def _draw_call(data, spec: Spec):
    """kwargs and the names of the parameters given a bad value (at most one per call)."""
    names = list(spec.params)
    mode = data.draw(st.sampled_from(("valid", "bad", "bad", "extreme")), label="mode")
    target = None
    if mode == "bad":
        cands = [p for p in names if spec.params[p].bad]
        target = data.draw(st.sampled_from(cands), label="bad param") if cands else None
    elif mode == "extreme":
        cands = [p for p in names if spec.params[p].extreme]
        target = data.draw(st.sampled_from(cands), label="extreme param") if cands else None
    kwargs, bad = {}, ()
    for p in names:
        param = spec.params[p]
        if p == target and mode == "bad":
            kwargs[p] = data.draw(st.sampled_from(param.bad), label=p)
            bad = (p,)
        elif p == target:
            kwargs[p] = data.draw(st.sampled_from(param.extreme), label=p)
        elif param.optional and data.draw(st.booleans(), label=f"omit {p}"):
            continue
        else:
            kwargs[p] = data.draw(param.valid, label=p)
    return kwargs, bad


_WARMED = set()


def run_spec(spec: Spec, examples: int, on_outcome=None) -> list:
    if spec.warmup is not None and spec.name not in _WARMED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.warmup()
        _WARMED.add(spec.name)
    outcomes = []

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def inner(data):
        kwargs, bad = _draw_call(data, spec)
        outcomes.append(run_one(spec, kwargs, bad))
        if on_outcome is not None:
            on_outcome(outcomes[-1])

    inner()
    for case in spec.cases:
        case = dict(case)
        bad = tuple(case.pop("__bad__", ()))
        outcomes.append(run_one(spec, case, bad))
        if on_outcome is not None:
            on_outcome(outcomes[-1])
    return outcomes


# --------------------------------------------------------------------------------- targets

DIMS = st.sampled_from([2, 3, 4, 5, 7, 10, 30, 100, 1000])
SMALL_DIMS = st.sampled_from([2, 3, 4, 5, 8])
DEGREES = st.integers(0, 12)
N_PARAM = Param(DIMS, BAD_INT + (1, 0, -1, -(10**18)), HUGE_INTS)
# deep kernels (gd_operator.deep): depth in [1, 50], weight_var in (0, 1e3]
DEPTH_PARAM = Param(st.integers(1, 3), BAD_INT + (0, -1, 51), (50,), optional=True)
WEIGHT_VAR_PARAM = Param(
    st.sampled_from([1.0, 2.0, 0.5]),
    BAD_REAL + (0.0, -1.0, 1e4, 1e-300),
    (1e3, 1e-6),
    optional=True,
)
K_PARAM = Param(DEGREES, BAD_DEGREES + (-1, -(10**18)), (200, 10**4, 10**6, 10**9, 10**18))
T_PARAM = Param(
    st.one_of(
        st.floats(-1, 1, allow_nan=False),
        st.lists(st.floats(-1, 1, allow_nan=False), min_size=0, max_size=5),
    ),
    BAD_ARRAY + (1.5, -1.0000001, "0.5", [2.0]),
    (1e-300, -1e-300, 5e-324, 1.0, -1.0, 0.0, -0.0, 1 - 1e-16, np.linspace(-1, 1, 7)),
)
ACT_NAMES = (
    "relu",
    "step",
    "sign",
    "abs",
    "relu2",
    "sigmoid",
    "tanh",
    "erf",
    "softplus",
    "gelu",
    "identity",
    "leaky_relu",
    "leaky_step",
    "silu",
    "swish",
    "sin",
    "cos",
)
# "poly" stands for a polynomial gate with coefficients (the wrappers below fill them in)
ACT_PARAM = Param(st.sampled_from(ACT_NAMES + ("poly",)), BAD_STR + ("polynomial",), ())
SCALE_PARAM = Param(
    st.floats(-2.0, 2.0, allow_nan=False).filter(lambda x: abs(x) > 1e-3),
    BAD_REAL,
    (0.0, 1e-300, 5.0, 50.0, 1e4, 1e300, -1e300),
    optional=True,
)
BIAS_PARAM = Param(
    st.floats(-1.5, 1.5, allow_nan=False), BAD_REAL, (1e6, -1e6, 1e300, 0.999999), optional=True
)
POWER_PARAM = Param(st.just(None), _no_none(BAD_INT) + (-1,), (), optional=True)
COEFFS_PARAM = Param(
    st.just(None),
    ("x", [], [NAN], [INF], [[1.0]], ["a"], 3),
    ([0.0] * 40 + [1.0], [1e300, 1e300]),
    optional=True,
)


def _act(activation, kw):
    """Map the harness's "poly" to a polynomial gate with coefficients."""
    if activation == "poly":
        kw.setdefault("coeffs", [0.3, 1.0, -0.5])
        if kw["coeffs"] is None:
            kw["coeffs"] = [0.3, 1.0, -0.5]
        return "polynomial"
    return activation


def _pts(N, n, seed=0):
    from harmonics import sample_sphere

    return sample_sphere(N, n, rng=seed)


def _mk_points(n, N):
    if isinstance(n, int) and isinstance(N, int) and 2 <= n <= 50 and 0 <= N <= 50:
        return _pts(N, n)
    return n


def _harmonics_specs():
    import harmonics

    H = harmonics

    def fhe(activation, n, kmax, **kw):
        return H.funk_hecke_eigenvalues(_act(activation, kw), n, kmax, **kw)

    specs = [
        Spec(
            "harmonics.legendre",
            lambda n, k, t: H.legendre(n, k, t),
            {"n": N_PARAM, "k": K_PARAM, "t": T_PARAM},
            cases=(
                {"n": 3, "k": 10**7, "t": 0.5},
                {"n": 3, "k": 10**9, "t": 0.5},
                {"n": 3, "k": 10**5, "t": np.linspace(-1, 1, 10**5)},
            ),
        ),
        Spec(
            "harmonics.legendre_log",
            lambda n, k, t: H.legendre_log(n, k, t),
            {"n": N_PARAM, "k": K_PARAM, "t": T_PARAM},
            allow_inf=True,
            cases=({"n": 100, "k": 75, "t": 1e-300}, {"n": 3, "k": 10**8, "t": 0.1}),
        ),
        Spec(
            "harmonics.legendre_rows",
            lambda n, kmax, t: _consume(H.legendre_rows(n, kmax, t)),
            {"n": N_PARAM, "kmax": K_PARAM, "t": T_PARAM},
        ),
        Spec(
            "harmonics.Activation",
            lambda name, **kw: H.Activation(name, **kw),
            {
                "name": Param(st.sampled_from(ACT_NAMES), BAD_STR + ("relu2",), ()),
                "scale": SCALE_PARAM,
                "bias": BIAS_PARAM,
                "power": Param(st.just(None), _no_none(BAD_INT) + (-1, 100), (), optional=True),
                "coeffs": Param(st.just(None), ((NAN,), ("x",), (INF,)), (), optional=True),
            },
        ),
        Spec(
            "harmonics.gegenbauer",
            lambda k, alpha, t, **kw: H.gegenbauer(k, alpha, t, **kw),
            {
                "k": K_PARAM,
                "alpha": reals(
                    -0.49, 50.0, bad=(-0.5, 0.0, -3.0), extreme=(1e6, 1e9, 1e12, 1e15, 1e300)
                ),
                "t": T_PARAM,
                "log": flag(),
            },
            allowed=(OverflowError,),
            cases=(
                {"k": 5, "alpha": 1e15, "t": 0.5},
                {"k": 5, "alpha": 1e300, "t": 0.5, "log": True},
                {"k": 3, "alpha": 1e300, "t": 0.5},
            ),
        ),
        Spec(
            "harmonics.dim_harmonics",
            lambda n, k: H.dim_harmonics(n, k),
            {"n": N_PARAM, "k": K_PARAM},
            cases=({"n": 10**18, "k": 10**18},),
        ),
        Spec(
            "harmonics.funk_hecke_eigenvalues",
            fhe,
            {
                "activation": ACT_PARAM,
                "n": Param(st.sampled_from([2, 3, 5, 10, 100]), N_PARAM.bad, HUGE_INTS),
                "kmax": Param(st.integers(0, 10), K_PARAM.bad, (200, 10**5, 10**9)),
                "log": flag(),
                "scale": SCALE_PARAM,
                "bias": BIAS_PARAM,
                "power": POWER_PARAM,
                "coeffs": COEFFS_PARAM,
                "kinks": Param(st.just(()), ("x", [NAN], [2.0], None, 3), (), optional=True),
            },
            examples=40,
            cases=tuple(
                [
                    {"activation": a, "n": 300000, "kmax": 10, "bias": 0.3}
                    for a in ("relu", "step", "abs", "relu2")
                ]
                + [
                    {"activation": a, "n": 100000, "kmax": 10, "bias": -0.3}
                    for a in ("relu", "step", "abs", "relu2")
                ]
                + [
                    {"activation": "tanh", "n": 3, "kmax": 20, "scale": 50.0},
                    {"activation": "tanh", "n": 3, "kmax": 20, "scale": 5.0},
                    {"activation": "sigmoid", "n": 3, "kmax": 20, "scale": 1e4},
                    {"activation": "gelu", "n": 3, "kmax": 6, "bias": 1e6},
                    {"activation": "erf", "n": 3, "kmax": 10, "scale": 1e4},
                    {"activation": "relu2", "n": 5, "kmax": 6, "scale": 1e300},
                    {"activation": "softplus", "n": 10, "kmax": 10, "scale": 100.0},
                    {"activation": "relu", "n": 10**9, "kmax": 5},
                    {"activation": "relu", "n": 10, "kmax": 10**9},
                    {"activation": "polynomial", "n": 3, "kmax": 3, "coeffs": [1e300, 1e300]},
                    {"activation": "polynomial", "n": 3, "kmax": 3, "coeffs": [0.0] * 40 + [1.0]},
                    {"activation": "relu_power", "n": 3, "kmax": 3, "power": 50},
                    {"activation": "relu_power", "n": 3, "kmax": 3, "power": 10**6},
                    {
                        "activation": "relu_power",
                        "n": 3,
                        "kmax": 3,
                        "power": 2.5,
                        "__bad__": ("power",),
                    },
                    {
                        "activation": "polynomial",
                        "n": 3,
                        "kmax": 3,
                        "coeffs": [NAN],
                        "__bad__": ("coeffs",),
                    },
                    {
                        "activation": "polynomial",
                        "n": 3,
                        "kmax": 3,
                        "coeffs": "x",
                        "__bad__": ("coeffs",),
                    },
                    {
                        "activation": "polynomial",
                        "n": 3,
                        "kmax": 3,
                        "coeffs": [],
                        "__bad__": ("coeffs",),
                    },
                    {"activation": "relu", "n": 3, "kmax": 4, "log": 2, "__bad__": ("log",)},
                ]
            ),
        ),
        Spec(
            "harmonics.expand",
            lambda activation, n, kmax, **kw: H.expand(_act(activation, kw), n, kmax, **kw),
            {
                "activation": ACT_PARAM,
                "n": Param(st.sampled_from([2, 3, 5, 10]), N_PARAM.bad, HUGE_INTS),
                "kmax": Param(st.integers(0, 8), K_PARAM.bad, (200, 10**9)),
                "scale": SCALE_PARAM,
                "bias": BIAS_PARAM,
            },
        ),
        Spec(
            "harmonics.get_activation",
            lambda activation, **kw: H.get_activation(_act(activation, kw), **kw),
            {
                "activation": Param(st.sampled_from(ACT_NAMES + ("poly",)), BAD_STR, ()),
                "scale": SCALE_PARAM,
                "bias": BIAS_PARAM,
                "power": POWER_PARAM,
                "coeffs": COEFFS_PARAM,
                "negative_slope": Param(
                    st.just(None), ("x", NAN, INF, [0.1]), (1e300,), optional=True
                ),
            },
        ),
        Spec(
            "harmonics.Activation.__call__",
            lambda activation, t, **kw: H.get_activation(_act(activation, kw), **kw)(t),
            {
                "activation": ACT_PARAM,
                "t": Param(
                    st.floats(-5, 5, allow_nan=False),
                    ("x", None, [[1.0], [1.0, 2.0]]),
                    (1e300, -1e300, np.linspace(-1, 1, 5)),
                ),
                "scale": SCALE_PARAM,
                "bias": BIAS_PARAM,
            },
            allow_inf=True,  # a gate evaluated far outside [-1, 1] may overflow (numpy semantics)
        ),
        Spec(
            "harmonics.gauss_legendre",
            lambda order: H.gauss_legendre(order),
            {"order": ints(1, 200, extreme=(10**4, 10**6, 10**9, 10**18))},
        ),
        Spec(
            "harmonics.legendre_zeros",
            lambda n, k: H.legendre_zeros(n, k),
            {"n": N_PARAM, "k": Param(st.integers(1, 30), K_PARAM.bad, (10**4, 10**6, 10**9))},
        ),
        Spec(
            "harmonics.log_nu_normalizer",
            lambda n: H.log_nu_normalizer(n),
            # any real n > 1 is valid here (the bias routes use n + 1)
            {
                "n": Param(
                    DIMS, ("3", None, True, NAN, INF, -INF, [[3]], 1 + 2j, 1, 0.5, -1), HUGE_INTS
                )
            },
        ),
        Spec(
            "harmonics.nu_quadrature",
            lambda n, num, **kw: H.nu_quadrature(n, num, **kw),
            {
                "n": N_PARAM,
                "num": ints(1, 100, extreme=(10**4, 10**6, 10**9)),
                "log": flag(),
            },
        ),
        Spec(
            "harmonics.gauss_rule",
            lambda diag, off, **kw: H.gauss_rule(diag, off, **kw),
            {
                "diag": Param(
                    st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=6),
                    BAD_ARRAY,
                    (np.zeros(5000),),
                ),
                "off": Param(
                    st.lists(st.floats(0.01, 1, allow_nan=False), min_size=0, max_size=5),
                    BAD_ARRAY + ([-1.0],),
                    (),
                ),
                "log_mu0": Param(st.floats(-5, 5), BAD_REAL, (1e300,), optional=True),
                "symmetric": flag(),
                "newton": Param(st.integers(0, 3), BAD_INT + (-1,), (10**9,), optional=True),
                "log": flag(),
            },
            allow_inf=True,
        ),
        Spec(
            "harmonics.sample_sphere",
            lambda N, n, **kw: H.sample_sphere(N, n, **kw),
            {
                "N": ints(0, 50, extreme=(10**9, 10**18)),
                "n": Param(SMALL_DIMS, N_PARAM.bad, (10**9, 10**18)),
                "rng": rng_param(),
            },
        ),
        Spec(
            "harmonics.SphericalHarmonics",
            lambda n, k, N=5, **kw: H.SphericalHarmonics(n, k)(_mk_points(n, N), **kw),
            {
                "n": Param(SMALL_DIMS, N_PARAM.bad, (10**6, 10**18)),
                "k": Param(st.integers(0, 6), K_PARAM.bad, (10**4, 10**9)),
                "N": Param(st.integers(0, 20), (), (), optional=True),
                "normalize": flag(),
                "max_bytes": Param(st.just(2**31), BAD_INT + (-1,), (1,), optional=True),
            },
        ),
        Spec(
            "harmonics.RidgeSum",
            lambda activation, W, kmax, **kw: H.RidgeSum(_act(activation, kw), W, **kw).eigenvalues(
                kmax
            ),
            {
                "activation": ACT_PARAM,
                "W": Param(
                    st.sampled_from([_pts(3, 3), _pts(1, 2), _pts(4, 5)]),
                    BAD_ARRAY + (np.zeros((2, 3)), np.ones(3), np.ones((2, 0)), np.ones((0, 3))),
                    (_pts(2000, 3),),
                ),
                "kmax": Param(st.integers(0, 8), K_PARAM.bad, (10**6, 10**9)),
                "scale": SCALE_PARAM,
                "bias": BIAS_PARAM,
            },
        ),
        Spec(
            "harmonics.RidgeSum.__call__",
            lambda X, **kw: H.RidgeSum("relu", _pts(3, 3), bias=0.2)(X, **kw),
            {
                "X": Param(
                    st.sampled_from([_pts(4, 3), _pts(0, 3)]),
                    BAD_ARRAY + (np.ones((2, 4)), np.full((2, 3), np.nan)),
                    (_pts(10**4, 3),),
                ),
                "normalize": flag(),
            },
        ),
        Spec(
            "harmonics.RidgeSum.eigenvalues",
            lambda kmax, **kw: H.RidgeSum("tanh", _pts(3, 3)).eigenvalues(kmax, **kw),
            {"kmax": Param(st.integers(0, 10), K_PARAM.bad, (400, 10**4)), "log": flag()},
        ),
        Spec(
            "harmonics.population_gram",
            lambda activation, W, **kw: (
                H.population_gram(_act(activation, {}), W, **kw)
                if activation != "poly"
                else H.population_gram(H.get_activation("polynomial", coeffs=[0.3, 1.0]), W, **kw)
            ),
            {
                "activation": ACT_PARAM,
                "W": Param(
                    st.sampled_from([_pts(3, 3), _pts(2, 2), _pts(4, 5)]),
                    BAD_ARRAY + (np.zeros((2, 3)), np.ones(3)),
                    (_pts(300, 3), np.ones((0, 3))),  # no units: an empty Gram matrix
                ),
                "rtol": Param(st.just(1e-14), BAD_REAL + (-1.0, 0.0), (1e-300, 0.5), optional=True),
                "kmax_limit": Param(st.just(400), BAD_INT + (-1,), (10**9,), optional=True),
                "atol": Param(st.just(1e-12), BAD_REAL + (-1.0,), (0.0,), optional=True),
            },
        ),
        Spec(
            "harmonics.project",
            lambda f, n, kmax, **kw: H.project(_target_fn(f), n, kmax, **kw),
            {
                "f": Param(st.sampled_from(["x0", "x0x1", "const"]), ("notcallable", None, 3), ()),
                "n": Param(st.sampled_from([2, 3, 4]), N_PARAM.bad, (10**6, 10**18)),
                "kmax": Param(st.integers(0, 6), K_PARAM.bad, (200, 10**6)),
                "method": choice(("auto", "quadrature", "montecarlo")),
                "degree": Param(st.just(None), _no_none(BAD_INT) + (-1,), (10**6,), optional=True),
                "num_samples": Param(
                    st.integers(2, 200), BAD_INT + (-1, 0, 1), (10**9,), optional=True
                ),
                "rng": rng_param(),
                "max_coefficients": Param(
                    st.integers(0, 100), BAD_INT + (-1,), (10**18,), optional=True
                ),
                "max_nodes": Param(st.just(200000), BAD_INT + (-1, 0), (10**18,), optional=True),
            },
            cases=({"f": "x0", "n": 3, "kmax": 200},),
        ),
    ]
    return specs


def _bias_and_a(W):
    """(b, a) for network_ridge: zeros and ones of W's length (None when W is not a matrix)."""
    try:
        m = len(W) if np.ndim(W) == 2 else None
    except ValueError:  # ragged nested lists
        m = None
    return (None, None) if m is None else (np.zeros(m), np.ones(m))


def _consume(rows, limit=2000):
    """The last row of a generator of rows, reading at most ``limit`` (the caller's loop)."""
    last = None
    for i, row in enumerate(rows):
        last = row
        if i >= limit:
            break
    return last


def _target_fn(name):
    if name == "x0":
        return lambda X: X[:, 0]
    if name == "x0x1":
        return lambda X: X[:, 0] * X[:, 1]
    if name == "const":
        return lambda X: np.ones(len(X))
    return name


def _symbolic_specs():
    import harmonics.symbolic as S

    nsym = Param(
        st.one_of(st.integers(2, 8), st.just(S.n)),
        _no_none(BAD_INT) + (1, 0, -1, "n", 2.5),  # None: the symbolic n (the default)
        (10**6, 10**18),
    )
    ksym = Param(st.integers(0, 5), BAD_INT + (-1,), (60, 10**6, 10**18))
    return [
        Spec(
            "symbolic.legendre",
            lambda n, k, **kw: S.legendre(n, k, **kw),
            # an exact polynomial: any real t is fine (2.0 too)
            {
                "n": nsym,
                "k": ksym,
                "t": Param(st.just(S.t), (NAN, "t", [1.0]), (0.5, 1.0, 2.0), optional=True),
            },
        ),
        Spec(
            "symbolic.dim_harmonics",
            lambda n, k: S.dim_harmonics(n, k),
            {"n": nsym, "k": ksym},
        ),
        Spec(
            "symbolic.funk_hecke_eigenvalue",
            lambda activation, n, k, **kw: S.funk_hecke_eigenvalue(activation, n, k, **kw),
            {
                "activation": Param(
                    st.sampled_from(("relu", "step", "sign", "abs", "identity")),
                    BAD_STR + ("tanh",),
                    (),
                ),
                "n": Param(st.integers(2, 6), nsym.bad, (10**6, 10**18)),
                "k": Param(st.integers(0, 4), ksym.bad, (60, 10**6)),
                "scale": Param(st.sampled_from([1, 2]), BAD_REAL + (0,), (10**300,), optional=True),
                "bias": Param(st.sampled_from([0, 1]), BAD_REAL, (10**300,), optional=True),
            },
            examples=15,
            budget=4.0,
        ),
        Spec(
            "symbolic.kernel_eigenvalue",
            lambda kernel, n, k, **kw: S.kernel_eigenvalue(kernel, n, k, **kw),
            {
                "kernel": Param(
                    st.sampled_from(("arccos", "relu_output", "relu_hidden", "relu_ntk")),
                    BAD_STR,
                    (),
                ),
                "n": Param(st.integers(2, 6), nsym.bad, (10**6,)),
                "k": Param(st.integers(0, 4), ksym.bad, (60, 10**6)),
                "degree": Param(st.integers(0, 2), BAD_INT + (-1, 3), (), optional=True),
            },
            examples=15,
            budget=4.0,
        ),
        Spec(
            "symbolic.arccos_kernel",
            lambda degree, **kw: S.arccos_kernel(degree, **kw),
            {
                "degree": ints(0, 3, extreme=(50, 10**6)),
                "rho": Param(st.just(S.rho), (NAN, "rho", 2.0, [0.5]), (0.5, 1, -1), optional=True),
            },
        ),
        Spec(
            "symbolic.relu_kernel",
            lambda kind="ntk", **kw: S.relu_kernel(kind, **kw),
            {
                "kind": choice(("ntk", "output", "hidden")),
                "rho": Param(st.just(S.rho), (NAN, "rho", 2.0, [0.5]), (0.5, 1, -1), optional=True),
            },
        ),
    ]


def _gd_specs():
    import gd_operator as G

    train = choice(("output", "hidden", "both"))
    init = choice(("sphere", "gaussian"))
    act = Param(st.sampled_from(("relu", "step", "abs", "tanh", "erf", "relu2")), BAD_STR, ())
    n_small = Param(st.sampled_from([2, 3, 5, 10]), N_PARAM.bad, HUGE_INTS)
    k_small = Param(st.integers(0, 8), K_PARAM.bad, (200, 10**6, 10**9))

    def sim(**kw):
        target = G.ridge_target(kw.pop("n_target", 3), (1, 2))
        return G.simulate(target, **kw)

    def sim_warm():  # compiles the numba kernels outside the timed calls
        return G.simulate(G.ridge_target(3, (1, 2)), "relu", m=8, steps=2, lr=0.1, progress=False)

    return [
        Spec(
            "gd_operator.spectrum",
            lambda activation, n, kmax, **kw: G.spectrum(activation, n, kmax, **kw),
            {
                "activation": act,
                "n": n_small,
                "kmax": k_small,
                "train": train,
                "init": init,
                "bias": Param(
                    st.sampled_from([None, 0.5]),
                    _no_none(BAD_REAL) + (-1.0,),
                    (1e6, 1e300),
                    optional=True,
                ),
                "log": flag(),
                "method": choice(("auto", "closed", "mehler", "radial")),
                "depth": DEPTH_PARAM,
                "weight_var": WEIGHT_VAR_PARAM,
            },
            examples=40,
            budget=5.0,  # method='radial' on analytic gates: up to ~4 s by its cost limit
        ),
        Spec(
            "gd_operator.power_series",
            lambda activation, order, **kw: G.power_series(activation, order, **kw),
            {
                "activation": act,
                "order": Param(st.integers(0, 60), BAD_INT + (-1,), (4000, 20001, 10**9)),
                "train": train,
                "depth": DEPTH_PARAM,
                "weight_var": WEIGHT_VAR_PARAM,
                "bias": Param(
                    st.sampled_from([None, 0.5]),
                    _no_none(BAD_REAL) + (-1.0,),
                    (1e6, 1e100),
                    optional=True,
                ),
            },
        ),
        Spec(
            "gd_operator.kernel",
            lambda activation, n, rho, **kw: G.kernel(activation, n, rho, **kw),
            {
                "activation": act,
                "n": n_small,
                "rho": Param(
                    st.floats(-1, 1), BAD_ARRAY + (1.5,), (1.0, -1.0, np.linspace(-1, 1, 5))
                ),
                "train": train,
                "init": init,
                "bias": Param(
                    st.sampled_from([None, 0.5]),
                    _no_none(BAD_REAL) + (-1.0,),
                    (1e6,),
                    optional=True,
                ),
                "depth": DEPTH_PARAM,
                "weight_var": WEIGHT_VAR_PARAM,
            },
        ),
        Spec(
            "gd_operator.alpha_k",
            lambda activation, n, k, **kw: G.alpha_k(activation, n, k, **kw),
            # k is passed on as the eigenvalues' kmax (the limit messages say kmax)
            {
                "activation": act,
                "n": n_small,
                "k": dataclasses.replace(k_small, names=("k", "kmax")),
                "scale": SCALE_PARAM,
            },
        ),
        Spec(
            "gd_operator.vw_bounds",
            lambda activation, n, k, eps, **kw: G.vw_bounds(activation, n, k, eps, **kw),
            {
                "activation": act,
                "n": n_small,
                "k": Param(st.integers(1, 6), K_PARAM.bad, (200, 10**6), names=("k", "kmax")),
                "eps": reals(1e-6, 1.0, positive=True, bad=(0.0, -1.0), extreme=(1e-300, 1e300)),
                "delta": Param(
                    st.floats(0.01, 0.5), BAD_REAL + (0.0, 1.0, -0.1, 2.0), (1e-300,), optional=True
                ),
                "energies": Param(
                    st.just(None),
                    _no_none(BAD_ARRAY) + ([-1.0, 1.0],),
                    ([1.0] * 10,),
                    optional=True,
                ),
            },
            allow_inf=True,  # counts beyond float64 are +inf (documented: n = 10^30)
        ),
        Spec(
            "gd_operator.best_approximation_error",
            lambda target, k, **kw: G.best_approximation_error(target, k, **kw),
            {
                "target": Param(
                    st.lists(st.floats(0, 1), min_size=1, max_size=6),
                    BAD_ARRAY + ([-1.0],),
                    ([1e300] * 5,),
                ),
                "k": Param(st.integers(0, 8), K_PARAM.bad, (10**18,)),
                "total_energy": Param(
                    st.just(None), _no_none(BAD_REAL) + (-1.0,), (1e300,), optional=True
                ),
            },
        ),
        Spec(
            "gd_operator.finite_width_spectrum",
            lambda activation, n, m, kmax, **kw: G.finite_width_spectrum(
                activation, n, m, kmax, **kw
            ),
            {
                "activation": act,
                "n": n_small,
                # m <= 3000 is documented (O(K m^3): ~9 s at 3000); 1500 keeps the draw ~1 s
                "m": ints(1, 30, extreme=(1500, 10**6), cap=3000),
                "kmax": Param(st.integers(0, 5), K_PARAM.bad, (10**4, 10**9)),
                "rng": rng_param(),
                "init": init,
            },
        ),
        Spec(
            "gd_operator.deep_finite_width",
            lambda activation, n, widths, kmax, **kw: G.deep_finite_width(
                activation, n, widths, kmax, **kw
            ),
            {
                "activation": Param(st.sampled_from(("relu", "tanh", "erf")), BAD_STR, ()),
                "n": n_small,
                "widths": Param(
                    st.sampled_from([[4], [8, 16]]), (["a"], [0], "x", [2.5]), ([10**5],)
                ),
                "kmax": Param(st.integers(0, 4), K_PARAM.bad, (41, 10**9)),
                "depth": Param(st.integers(1, 3), BAD_INT + (0, 11), (10,), optional=True),
                "train": train,
                "weight_var": WEIGHT_VAR_PARAM,
                "points": Param(st.integers(10, 30), BAD_INT + (9,), (5001,), optional=True),
                "seeds": Param(st.integers(1, 2), BAD_INT + (0,), (101,), optional=True),
                "rng": rng_param(),
            },
        ),
        Spec(
            "gd_operator.predict",
            lambda target_energies, spectrum, lr, steps: G.predict(
                target_energies, spectrum, lr, steps
            ),
            {
                "target_energies": Param(
                    st.just([0.0, 1.0, 1.0]), BAD_ARRAY + ([-1.0, 1.0, 1.0],), ()
                ),
                "spectrum": Param(
                    st.just([0.5, 0.25, 0.0]), BAD_ARRAY + ([-1.0, 0.1, 0.1],), ([1e300, 0, 0],)
                ),
                "lr": reals(0.01, 2.0, positive=True, bad=(0.0, -1.0), extreme=(1e-300, 1e300)),
                "steps": Param(
                    st.integers(0, 50), BAD_INT + (-1, [-1, 2], [1.5]), (10**9, 10**18, [0, 10**18])
                ),
            },
        ),
        Spec(
            "gd_operator.ridge_energies",
            lambda coeffs, n: G.ridge_energies(coeffs, n),
            {
                "coeffs": Param(
                    st.lists(st.floats(-2, 2), min_size=0, max_size=6), BAD_ARRAY, ([1e300] * 3,)
                ),
                "n": N_PARAM,
            },
        ),
        Spec(
            "gd_operator.teacher_energies",
            lambda a, W, kmax: G.teacher_energies(a, W, kmax),
            {
                "a": Param(st.just(np.ones(3)), BAD_ARRAY + (np.ones(2),), ()),
                "W": Param(
                    st.sampled_from([_pts(3, 3), _pts(3, 5)]), BAD_ARRAY + (np.zeros((3, 3)),), ()
                ),
                "kmax": Param(st.integers(0, 8), K_PARAM.bad, (10**6, 10**9)),
            },
        ),
        Spec(
            "gd_operator.ridge_target",
            lambda n, **kw: G.ridge_target(n, **kw).energies(6),
            {
                "n": n_small,
                "degrees": Param(
                    st.sampled_from([(1, 2), (0,), (3,)]),
                    BAD_ARRAY + ((-1,), (1.5,), ()),
                    ((10**6,), (10**18,)),
                    optional=True,
                ),
                "amplitudes": Param(
                    st.just(None), _no_none(BAD_ARRAY) + ((1.0, 2.0, 3.0, 4.0),), (), optional=True
                ),
                "rng": rng_param(),
            },
        ),
        Spec(
            "gd_operator.teacher_network",
            lambda n, **kw: G.teacher_network(n, **kw).energies(4),
            {
                "n": n_small,
                "width": Param(
                    st.integers(1, 10), BAD_INT + (0, -1), (10**9, 10**18), optional=True
                ),
                "rng": rng_param(),
            },
        ),
        Spec(
            "gd_operator.learning_curve",
            lambda spectrum, n, target_energies, samples, **kw: G.learning_curve(
                spectrum, n, target_energies, samples, **kw
            ),
            {
                "spectrum": Param(
                    st.sampled_from([[0.5, 0.2, 0.05], [1.0, 0.0, 0.1]]),
                    BAD_ARRAY + ([-1.0, 0.1, 0.1],),
                    ([1e300, 1e-300, 0.0],),
                ),
                "n": Param(st.sampled_from([2, 3, 10]), N_PARAM.bad, HUGE_INTS),
                "target_energies": Param(
                    st.sampled_from([[0.0, 1.0, 1.0], [1.0, 0.5, 0.0]]),
                    BAD_ARRAY + ([-1.0, 1.0, 1.0],),
                    ([1e300, 1e300, 1e300],),
                ),
                "samples": Param(
                    st.one_of(st.integers(0, 1000), st.just([1, 10, 100])),
                    BAD_ARRAY + (-1, [-5]),
                    (10**18, 1e300, [0, 10**12]),
                ),
                "ridge": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300, 1e-300), optional=True
                ),
                "noise": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300,), optional=True
                ),
                "tail_trace": Param(st.just(0.0), BAD_REAL + (-1.0,), (1e300,), optional=True),
            },
            allow_inf=True,  # kappa = +inf at P = 0 (documented)
            nan_fields=("train_mse",),  # NaN at P = 0: no training points (documented)
        ),
        Spec(
            "gd_operator.kernel_regression",
            lambda activation, n, samples, **kw: G.kernel_regression(activation, n, samples, **kw),
            {
                "activation": Param(st.sampled_from(("relu", "tanh")), BAD_STR, ()),
                "n": Param(st.sampled_from([2, 3, 5]), N_PARAM.bad, HUGE_INTS),
                "samples": Param(
                    st.sampled_from([5, [4, 8]]), BAD_ARRAY + (0, -1, [0]), (10**6, 10**18)
                ),
                "seeds": Param(st.integers(1, 2), BAD_INT + (0, -1), (10**9,), optional=True),
                "test_points": Param(
                    st.sampled_from([50, 200]), BAD_INT + (0, -1), (10**12,), optional=True
                ),
                "ridge": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300,), optional=True
                ),
                "noise": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300,), optional=True
                ),
                "test": choice(("exact", "montecarlo")),
                "kmax": Param(st.sampled_from([10, 30]), BAD_INT + (-1,), (10**9,), optional=True),
                "max_points": Param(st.just(6000), BAD_INT + (0, -1), (10**18,), optional=True),
                "rng": rng_param(),
            },
            budget=3.0,
            examples=15,
            # NaN by design with test="montecarlo" (the split by degree is exact-only; documented)
            nan_fields=("test_mse_by_degree",),
        ),
        Spec(
            "gd_operator.staircase",
            lambda activation, n_values, **kw: G.staircase(activation, n_values, plot=False, **kw),
            {
                "activation": Param(st.sampled_from(("relu", "tanh")), BAD_STR, ()),
                "n_values": Param(
                    st.sampled_from([(5, 10), (3,)]), BAD_ARRAY + ((1, 5),), ((10**6,), (10**18,))
                ),
                "degrees": Param(
                    st.sampled_from([(1, 2), (1,)]),
                    BAD_ARRAY + ((-1,), (1.5,)),
                    ((10**6,),),
                    optional=True,
                ),
                "kmax": Param(st.just(None), _no_none(BAD_INT) + (-1,), (10**6,), optional=True),
                "ridge": Param(st.just(0.0), BAD_REAL + (-1.0,), (1e300,), optional=True),
            },
            examples=15,
        ),
        Spec(
            "gd_operator.random_features_curve",
            lambda spectrum, n, target_energies, samples, width, **kw: G.random_features_curve(
                spectrum, n, target_energies, samples, width, **kw
            ),
            {
                "spectrum": Param(
                    st.sampled_from([[0.5, 0.2, 0.05], [1.0, 0.0, 0.1]]),
                    BAD_ARRAY + ([-1.0, 0.1, 0.1],),
                    ([1e300, 1e-300, 0.0],),
                ),
                "n": Param(st.sampled_from([2, 3, 10]), N_PARAM.bad, HUGE_INTS),
                "target_energies": Param(
                    st.sampled_from([[0.0, 1.0, 1.0], [1.0, 0.5, 0.0]]),
                    BAD_ARRAY + ([-1.0, 1.0, 1.0],),
                    ([1e300, 1e300, 1e300],),
                ),
                "samples": Param(
                    st.one_of(st.integers(0, 1000), st.just([1, 10, 100])),
                    BAD_ARRAY + (-1, [-5]),
                    (10**18, 1e300, [0, 10**12]),
                ),
                "width": Param(st.integers(1, 500), BAD_INT + (0, -1), HUGE_INTS),
                "ridge": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300, 1e-300), optional=True
                ),
                "noise": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300,), optional=True
                ),
            },
            allow_inf=True,  # E0 = +inf at the interpolation thresholds P = m, P = rank
            nan_fields=("train_mse",),  # NaN at P = 0: no training points (documented)
        ),
        Spec(
            "gd_operator.random_features_regression",
            lambda activation, n, samples, width, **kw: G.random_features_regression(
                activation, n, samples, width, **kw
            ),
            {
                "activation": Param(st.sampled_from(("relu", "tanh")), BAD_STR, ()),
                "n": Param(st.sampled_from([2, 3, 5]), N_PARAM.bad, HUGE_INTS),
                "samples": Param(
                    st.sampled_from([5, [4, 8]]), BAD_ARRAY + (0, -1, [0]), (10**6, 10**18)
                ),
                "width": Param(st.sampled_from([3, 20]), BAD_INT + (0, -1), (10**6, 10**18)),
                "seeds": Param(st.integers(1, 2), BAD_INT + (0, -1), (10**9,), optional=True),
                "ridge": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300,), optional=True
                ),
                "noise": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300,), optional=True
                ),
                "rng": rng_param(),
            },
            budget=3.0,
            examples=15,
        ),
        Spec(
            "gd_operator.gd_learning_curve",
            lambda spectrum, n, target_energies, samples, lr, steps, **kw: G.gd_learning_curve(
                spectrum, n, target_energies, samples, lr, steps, **kw
            ),
            {
                "spectrum": Param(
                    st.sampled_from([[0.5, 0.2, 0.05], [1.0, 0.0, 0.1]]),
                    BAD_ARRAY + ([-1.0, 0.1, 0.1],),
                    ([1.0, 1e-300, 0.0],),
                ),
                "n": Param(st.sampled_from([2, 3, 10]), N_PARAM.bad, HUGE_INTS),
                "target_energies": Param(
                    st.sampled_from([[0.0, 1.0, 1.0], [1.0, 0.5, 0.0]]),
                    BAD_ARRAY + ([-1.0, 1.0, 1.0],),
                    ([1e300, 1e300, 1e300],),
                ),
                "samples": Param(
                    st.one_of(st.integers(0, 1000), st.just([1, 10, 100])),
                    BAD_ARRAY + (-1, [-5]),
                    (10**18, 1e300, [0, 10**12]),
                ),
                "lr": Param(st.sampled_from([0.5, 1.0]), BAD_REAL + (0.0, -1.0, 1e300), (1e-300,)),
                "steps": Param(
                    st.sampled_from([0, 10, [0, 1, 100]]),
                    BAD_ARRAY + (-1, 1.5, [10**16]),
                    (10**15, list(range(10**4))),
                ),
                "noise": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300,), optional=True
                ),
            },
            allow_inf=True,  # kappa and the effective ridge are +inf at t = 0 (documented)
        ),
        Spec(
            "gd_operator.kernel_gd_regression",
            lambda activation, n, samples, lr, steps, **kw: G.kernel_gd_regression(
                activation, n, samples, lr, steps, **kw
            ),
            {
                "activation": Param(st.sampled_from(("relu", "tanh")), BAD_STR, ()),
                "n": Param(st.sampled_from([2, 3, 5]), N_PARAM.bad, HUGE_INTS),
                "samples": Param(
                    st.sampled_from([5, [4, 8]]), BAD_ARRAY + (0, -1, [0]), (10**6, 10**18)
                ),
                "lr": Param(st.sampled_from([0.5, 1.0]), BAD_REAL + (0.0, -1.0, 1e300), ()),
                "steps": Param(st.sampled_from([0, [1, 10]]), BAD_ARRAY + (-1, 1.5), (10**15,)),
                "seeds": Param(st.integers(1, 2), BAD_INT + (0, -1), (10**9,), optional=True),
                "kmax": Param(st.sampled_from([4, 10]), BAD_INT + (-1,), (10**9,), optional=True),
                "rng": rng_param(),
            },
            budget=3.0,
            examples=15,
        ),
        Spec(
            "gd_operator.network_ridge",
            lambda W, K, **kw: G.network_ridge(W, *_bias_and_a(W), "relu", 3, K, **kw),
            {
                "W": Param(
                    st.sampled_from([_pts(3, 3), _pts(5, 3)]),
                    BAD_ARRAY + (np.zeros((2, 3)),),
                    (_pts(2000, 3),),
                ),
                # K is passed on as the eigenvalues' kmax (the limit messages say kmax)
                "K": Param(st.integers(0, 8), K_PARAM.bad, (10**4, 10**9), names=("K", "kmax")),
                "atol": Param(st.just(1e-12), BAD_REAL + (-1.0,), (0.0,), optional=True),
            },
        ),
        Spec(
            "gd_operator.simulate",
            sim,
            {
                "activation": Param(
                    st.sampled_from(("relu", "tanh", "abs")), BAD_STR, (), optional=True
                ),
                "m": Param(
                    st.integers(1, 16), BAD_INT + (0, -1), (10**5, 10**9, 10**18), optional=True
                ),
                "steps": Param(st.integers(0, 5), BAD_INT + (-1,), (10**18,)),
                "lr": reals(0.01, 1.0, positive=True, bad=(0.0, -1.0)),
                "train": train,
                "init": init,
                "samples": Param(
                    st.sampled_from([None, 50]),
                    _no_none(BAD_INT) + (0, -1),
                    (10**9,),
                    optional=True,
                ),
                "bias": Param(
                    st.sampled_from([None, 0.5]), _no_none(BAD_REAL) + (-1.0,), (), optional=True
                ),
                "rng": rng_param(),
                "record_every": Param(
                    st.sampled_from([None, 1]),
                    _no_none(BAD_INT) + (0, -1),
                    (10**18,),
                    optional=True,
                ),
                "kmax": Param(
                    st.sampled_from([None, 4]), _no_none(BAD_INT) + (-1,), (10**6,), optional=True
                ),
                "progress": Param(st.just(False), BAD_BOOL, (), optional=False),
                "energies": flag(),
                "symmetric": flag(),
                "stop_loss": Param(
                    st.just(None), _no_none(BAD_REAL) + (-1.0,), (0.0,), optional=True
                ),
            },
            warmup=sim_warm,
            budget=3.0,
            # NaN = not recorded (energies=False) or undefined (no kernel prediction, e.g. a
            # bias with sphere init): SimulationResult's documented values
            nan_fields=("residual_energy", "predicted", "spectrum", "train_loss"),
            allowed=(G.DivergenceError,),
            cases=(
                {"m": 10**5, "steps": 1, "lr": 0.1, "progress": False},
                {
                    "m": 8,
                    "steps": 1,
                    "lr": 0.1,
                    "progress": False,
                    "symmetric": "False",
                    "__bad__": ("symmetric",),
                },
            ),
        ),
        Spec(
            "gd_operator.simulate_batch",
            lambda runs=2, **kw: G.simulate_batch(
                [G.ridge_target(3, (k,)) for k in range(1, runs + 1)], **kw
            ),
            {
                "runs": Param(st.integers(1, 3), (), (), optional=True),
                "activation": Param(st.sampled_from(("relu", "tanh")), BAD_STR, (), optional=True),
                "m": Param(st.integers(1, 16), BAD_INT + (0, -1), (10**9,), optional=True),
                "steps": Param(st.integers(0, 5), BAD_INT + (-1,), (10**18,)),
                "lr": reals(0.01, 1.0, positive=True, bad=(0.0, -1.0)),
                "train": train,
                "samples": Param(
                    st.sampled_from([None, 50]),
                    _no_none(BAD_INT) + (0, -1),
                    (10**9,),
                    optional=True,
                ),
                # a list of one seed per run is valid (rng=[0] with runs=1); five never match
                "rng": dataclasses.replace(
                    rng_param(),
                    bad=tuple(b for b in BAD_RNG if b != [0]) + ([0, 1, 2, 3, 4],),
                ),
                "progress": Param(st.just(False), BAD_BOOL, (), optional=False),
                "stop_loss": Param(
                    st.just(None), _no_none(BAD_REAL) + (-1.0,), (0.0,), optional=True
                ),
            },
            warmup=sim_warm,
            budget=3.0,
            nan_fields=("residual_energy", "predicted", "spectrum", "train_loss"),
            allowed=(G.DivergenceError,),
        ),
    ]


def _mean_field_warm():
    """Compile train_mean_field's numba kernels (each method, spherical or not, Gaussian and
    sphere targets, with energies) outside the timed calls: on a fresh install the first call
    of each compiles for seconds (CI timed two such calls out)."""
    import gd_operator as G

    targets = (G.single_index_target(4, 2, rng=0), G.ridge_target(4, (1,), rng=0))
    for target in targets:
        for method in ("online", "full_batch", "layerwise"):
            for spherical in (False, True):
                for act in ("relu", ("hermite", 2)):
                    G.train_mean_field(
                        target,
                        width=4,
                        steps=2,
                        method=method,
                        batch=8,
                        activation=act,
                        spherical=spherical,
                        test_size=100,
                        energy_degree=2,
                        rng=0,
                    )


def _sq_specs():
    import sq_bounds as Q

    n_sq = Param(st.sampled_from([2, 3, 10, 100, 10**4]), N_PARAM.bad, HUGE_INTS)
    k_sq = Param(st.integers(1, 8), K_PARAM.bad + (0,), (200, 10**4, 10**6, 10**18))
    tau = reals(1e-4, 0.99, positive=True, bad=(0.0, 1.0, -0.1, 2.0), extreme=(1e-300, 1 - 1e-16))
    delta = Param(
        st.floats(0, 0.99),
        _no_none(BAD_REAL) + (1.0, -0.1, 2.0),
        (1e-300, 1 - 1e-16),
        optional=True,
    )
    # functions taking delta as a float or an array of them: [[0.5]] is fine there
    delta_array = Param(
        st.one_of(st.floats(0, 0.99), st.just([[0.5, 0.1]])),
        tuple(v for v in BAD_REAL if v != [[0.5]]) + (1.0, -0.1, [2.0]),
        (1e-300, 1 - 1e-16),
    )
    fam = choice(("best", "gv", "random", "basis"))
    mfs = Param(
        st.sampled_from([None, "dim", 100]), ("x", -1, 0, 2.5, NAN, True), (10**300,), optional=True
    )
    lt = lambda n=3, k=2: Q.LegendreTarget(np.eye(n)[0], k)  # noqa: E731
    return [
        Spec(
            "sq_bounds.correlation",
            lambda n, k, inner, **kw: Q.correlation(n, k, inner, **kw),
            {"n": n_sq, "k": k_sq, "inner": T_PARAM, "log": flag()},
            allow_inf=False,
        ),
        Spec(
            "sq_bounds.max_correlation",
            lambda n, k, delta, **kw: Q.max_correlation(n, k, delta, **kw),
            {"n": n_sq, "k": k_sq, "delta": delta_array, "log": flag()},
        ),
        Spec(
            "sq_bounds.query_lower_bound",
            lambda n, k, tau, **kw: Q.query_lower_bound(n, k, tau, **kw),
            {
                "n": n_sq,
                "k": k_sq,
                "tau": tau,
                "delta": delta,
                "family_bound": fam,
                "max_family_size": mfs,
            },
        ),
        Spec(
            "sq_bounds.statistical_dimension",
            lambda n, k, tau, **kw: Q.statistical_dimension(n, k, tau, **kw),
            {
                "n": n_sq,
                "k": k_sq,
                "tau": tau,
                "delta": delta,
                "family_bound": fam,
                "max_family_size": mfs,
            },
        ),
        Spec(
            "sq_bounds.information_theoretic_bound",
            lambda n, k, **kw: Q.information_theoretic_bound(n, k, **kw),
            {"n": n_sq, "k": k_sq, "tau": opt(tau), "max_family_size": mfs},
        ),
        Spec(
            "sq_bounds.fit_exponent",
            lambda n_values, k, **kw: Q.fit_exponent(n_values, k, **kw),
            {
                "n_values": Param(
                    st.sampled_from([(10, 100, 1000), (3, 30), (10,)]),
                    BAD_ARRAY + ((1, 10), ("10", 100)),
                    ((10**6, 10**18),),
                ),
                "k": k_sq,
                "tau": opt(tau),
                "tau_exponent": Param(
                    st.just(None), _no_none(BAD_REAL) + (-1.0,), (1e300,), optional=True
                ),
                "max_family_size": mfs,
                "family_bound": fam,
            },
        ),
        Spec(
            "sq_bounds.family_size_bound",
            lambda n, delta, **kw: Q.family_size_bound(n, delta, **kw),
            {"n": n_sq, "delta": dataclasses.replace(delta, optional=False), "bound": fam},
        ),
        Spec(
            "sq_bounds.log_cap_measure",
            lambda n, delta: Q.log_cap_measure(n, delta),
            {"n": n_sq, "delta": delta_array},
            allow_inf=True,
        ),
        Spec(
            "sq_bounds.direction_family",
            lambda n, **kw: Q.direction_family(n, **kw),
            {
                "n": Param(st.sampled_from([2, 3, 4, 8, 16]), N_PARAM.bad, HUGE_INTS),
                "size": Param(
                    st.integers(1, 20), _no_none(BAD_INT) + (0, -1), (10**9, 10**18), optional=True
                ),
                "delta": Param(
                    st.sampled_from([None, 0.5, 0.9]),
                    _no_none(BAD_REAL) + (1.0, -0.1),
                    (1e-300,),
                    optional=True,
                ),
                "method": choice(("random", "orthonormal", "hadamard")),
                "rng": rng_param(),
                "max_candidates": Param(
                    st.sampled_from([None, 100]),
                    _no_none(BAD_INT) + (0, -1),
                    (10**18,),
                    optional=True,
                ),
                "max_bytes": Param(st.just(2**30), BAD_INT + (-1,), (1,), optional=True),
            },
        ),
        Spec(
            "sq_bounds.max_coherence",
            lambda vectors, **kw: Q.max_coherence(vectors, **kw),
            {
                "vectors": Param(
                    st.sampled_from([_pts(5, 3), _pts(1, 3), _pts(0, 3)]),
                    BAD_ARRAY + (np.ones(3), np.ones((2, 0))),
                    (_pts(3000, 3),),
                ),
                "block_bytes": Param(st.just(2**26), BAD_INT + (0, -1), (1, 10**18), optional=True),
            },
        ),
        Spec(
            "sq_bounds.LegendreTarget",
            lambda u, k, N=4: Q.LegendreTarget(u, k)(
                _pts(N, len(u)) if np.ndim(u) == 1 and np.size(u) in range(2, 9) else u
            ),
            {
                "u": Param(
                    st.sampled_from([np.ones(3), np.eye(4)[0]]),
                    BAD_ARRAY + (np.zeros(3), np.ones(1), np.ones((2, 2))),
                    (),
                ),
                "k": Param(st.integers(1, 6), K_PARAM.bad + (0,), (10**6, 10**9)),
            },
        ),
        Spec(
            "sq_bounds.ToleranceOracle",
            lambda tau, **kw: Q.ToleranceOracle(lt(), tau, **kw).correlational_query(
                lambda X: X[:, 0]
            ),
            {
                "tau": Param(st.floats(0, 0.9), BAD_REAL + (1.0, -0.1), ()),
                "adversary": Param(
                    st.sampled_from([None, "zero", "random"]),
                    (3, "", "evil", True),
                    (),
                    optional=True,
                ),
                "rng": rng_param(),
                "num_samples": Param(
                    st.integers(1, 2000), BAD_INT + (0, -1), (10**12, 10**18), optional=True
                ),
                "record": flag(),
                "max_bytes": Param(st.just(2**30), BAD_INT + (-1,), (1,), optional=True),
            },
        ),
        Spec(
            "sq_bounds.oracle_gradient_descent",
            lambda tau, **kw: Q.oracle_gradient_descent(lt(), tau=tau, **kw),
            {
                "tau": Param(st.floats(0, 0.5), BAD_REAL + (1.0, -0.1), ()),
                "adversary": Param(
                    st.sampled_from([None, "zero", "random"]), (3, "", "evil"), (), optional=True
                ),
                "width": Param(
                    st.integers(1, 20), BAD_INT + (0, -1), (10**6, 10**18), optional=True
                ),
                "steps": Param(st.integers(0, 20), BAD_INT + (-1,), (10**9, 10**18), optional=True),
                "lr": Param(
                    st.sampled_from([None, 0.5]),
                    _no_none(BAD_REAL) + (0.0, -1.0),
                    (1e300,),
                    optional=True,
                ),
                "activation": Param(
                    st.sampled_from(["erf", "tanh"]), BAD_STR + ("relu",), (), optional=True
                ),
                "scale": Param(st.floats(0.5, 3), BAD_REAL, (1e300, 0.0), optional=True),
                "bias": Param(st.floats(-1, 1), BAD_REAL, (1e300,), optional=True),
                "rng": rng_param(),
            },
        ),
        Spec(
            "sq_bounds.population_gradient_descent",
            lambda **kw: Q.population_gradient_descent(lt(), **kw),
            {
                "width": Param(
                    st.integers(1, 20), BAD_INT + (0, -1), (10**6, 10**18), optional=True
                ),
                "steps": Param(st.integers(0, 20), BAD_INT + (-1,), (10**9, 10**18), optional=True),
                "lr": Param(
                    st.sampled_from([None, 0.5]),
                    _no_none(BAD_REAL) + (0.0, -1.0),
                    (1e300,),
                    optional=True,
                ),
                "activation": Param(
                    st.sampled_from(["erf", "tanh"]), BAD_STR + ("relu",), (), optional=True
                ),
                "scale": Param(st.floats(0.5, 3), BAD_REAL, (1e300, 0.0), optional=True),
                "bias": Param(st.floats(-1, 1), BAD_REAL, (1e300,), optional=True),
                "rng": rng_param(),
            },
        ),
    ]


# ------------------------------------------------------------------------------ CLI targets

CLI_INT = ("abc", "", "2.5", "nan", "-1", "1e18")
CLI_REAL = ("abc", "", "nan", "inf", "-inf")


def _cli_call(prefix, flags):
    """A target running ``funkhecke PREFIX ... --debug`` through funkhecke.cli.main."""

    def call(**kw):
        from funkhecke.cli import main

        argv = list(prefix)
        for name, value in kw.items():
            flag_ = flags.get(name, f"--{name.replace('_', '-')}")
            if flag_ is None:  # positional
                argv.append(str(value))
            elif value is True:
                argv.append(flag_)
            elif value is False:
                continue
            elif isinstance(value, (list, tuple)):
                argv += [flag_] + [str(v) for v in value]
            else:
                argv += [flag_, str(value)]
        argv.append("--debug")
        out = io.StringIO()
        code = main(argv, out=out)
        if code not in (0, None):
            raise RuntimeError(f"exit code {code}")
        return out.getvalue()

    return call


def _cli_specs():
    cp = lambda valid, bad, extreme=(), optional=False, name=None: Param(  # noqa: E731
        valid, tuple(bad), tuple(extreme), optional, (name,) if name else ()
    )
    act = cp(
        st.sampled_from(("relu", "tanh", "step", "sigmoid", "relu2")),
        ("nope", "", "--n"),
        name="activation",
    )
    n = cp(
        st.sampled_from(["2", "3", "10", "100"]),
        CLI_INT + ("1", "0"),
        ("1000000000", "1000000000000000000"),
        name="n",
    )
    kmax = cp(st.sampled_from(["0", "3", "8"]), CLI_INT, ("1000000000",), name="kmax")
    scale = cp(
        st.sampled_from(["1.0", "0.5", "-2"]),
        CLI_REAL,
        ("1e300", "50"),
        optional=True,
        name="scale",
    )
    bias = cp(st.sampled_from(["0.0", "0.3"]), CLI_REAL, ("1e300",), optional=True, name="bias")
    fmt = cp(st.sampled_from([False, True]), (), (), optional=True)
    specs = [
        Spec(
            "cli.harmonics.eigenvalues",
            _cli_call(["harmonics", "eigenvalues"], {"activation": None}),
            {
                "activation": act,
                "n": n,
                "kmax": kmax,
                "scale": scale,
                "bias": bias,
                "log": fmt,
                "json": fmt,
            },
            cli=True,
        ),
        Spec(
            "cli.harmonics.expand",
            _cli_call(["harmonics", "expand"], {"activation": None}),
            {"activation": act, "n": n, "kmax": kmax, "scale": scale, "bias": bias, "csv": fmt},
            cli=True,
        ),
        Spec(
            "cli.harmonics.legendre",
            _cli_call(["harmonics", "legendre"], {}),
            {
                "n": n,
                "k": cp(st.sampled_from(["0", "3", "10"]), CLI_INT, ("1000000000",), name="k"),
                "t": cp(
                    st.sampled_from([["0.5"], ["-1", "0", "1"]]),
                    (["2"], ["nan"], ["x"], ["inf"]),
                    (["1e-300"],),
                    name="t",
                ),
            },
            cli=True,
        ),
        Spec(
            "cli.harmonics.dim",
            _cli_call(["harmonics", "dim"], {}),
            {
                "n": n,
                "k": cp(
                    st.sampled_from([["0"], ["3", "4"]]),
                    (["-1"], ["x"], ["2.5"]),
                    (["1000000000000000000"],),
                    name="k",
                ),
            },
            cli=True,
        ),
        Spec(
            "cli.spectrum",
            _cli_call(["spectrum"], {"activation": None}),
            {
                "activation": act,
                "n": n,
                "kmax": kmax,
                "train": cp(
                    st.sampled_from(["output", "hidden", "both"]),
                    ("x",),
                    (),
                    optional=True,
                    name="train",
                ),
                "init": cp(
                    st.sampled_from(["sphere", "gaussian"]), ("x",), (), optional=True, name="init"
                ),
                "bias": cp(
                    st.sampled_from(["0.5"]),
                    CLI_REAL + ("-1",),
                    ("1e300",),
                    optional=True,
                    name="bias",
                ),
                "depth": cp(
                    st.sampled_from(["1", "2", "3"]),
                    CLI_INT + ("0",),
                    ("50",),
                    optional=True,
                    name="depth",
                ),
                "weight_var": cp(
                    st.sampled_from(["1", "2"]),
                    CLI_REAL + ("0", "-1"),
                    ("1000",),
                    optional=True,
                    name="weight-var",
                ),
                "log": cp(st.sampled_from([False, True]), (), (), optional=True),
                "json": fmt,
            },
            cli=True,
        ),
        Spec(
            "cli.sq.table",
            _cli_call(["sq", "table"], {}),
            {
                "n": cp(
                    st.sampled_from([["10"], ["10", "100"]]),
                    (["1"], ["x"], ["-5"]),
                    (["1000000000000000000"],),
                    name="n",
                ),
                "k": cp(
                    st.sampled_from([["1"], ["2", "3"]]),
                    (["0"], ["x"], ["-1"]),
                    (["1000000"],),
                    name="k",
                ),
                "tau": cp(
                    st.sampled_from(["0.1", "0.001"]),
                    CLI_REAL + ("0", "1", "-0.5", "2"),
                    ("1e-300",),
                    name="tau",
                ),
                "json": fmt,
            },
            cli=True,
        ),
        Spec(
            "cli.sq.fit",
            _cli_call(["sq", "fit"], {}),
            {
                "n": cp(
                    st.sampled_from([["10", "100", "1000"], ["10"]]),
                    (["1", "10"], ["x"]),
                    (),
                    name="n",
                ),
                "k": cp(
                    st.sampled_from([["1"], ["2", "3"]]), (["0"], ["x"]), (["100000"],), name="k"
                ),
                "tau": cp(st.sampled_from(["0.1"]), CLI_REAL + ("0", "1"), (), name="tau"),
            },
            cli=True,
        ),
        Spec(
            "cli.sq.gd",
            _cli_call(["sq", "gd"], {}),
            {
                "n": cp(
                    st.sampled_from(["3", "4"]),
                    CLI_INT + ("1",),
                    ("1000000000",),
                    optional=True,
                    name="n",
                ),
                "degrees": Param(
                    st.sampled_from([["1", "2"]]),
                    (["0"], ["x"], ["-1"]),
                    (["1000000"],),
                    True,
                    ("degrees", "degree", "k"),
                ),
                "tau": cp(
                    st.sampled_from(["0.05"]), CLI_REAL + ("-1", "1"), (), optional=True, name="tau"
                ),
                "width": cp(
                    st.sampled_from(["5", "10"]), CLI_INT + ("0",), ("1000000000",), name="width"
                ),
                "steps": cp(
                    st.sampled_from(["3", "10"]), CLI_INT, ("1000000000000",), name="steps"
                ),
                "scale": cp(
                    st.sampled_from(["1.0", "3.0"]),
                    CLI_REAL,
                    ("1e300",),
                    optional=True,
                    name="scale",
                ),
                "activation": cp(
                    st.sampled_from(["erf", "tanh"]),
                    ("nope", "relu"),
                    (),
                    optional=True,
                    name="activation",
                ),
            },
            cli=True,
        ),
        Spec(
            "cli.spectral-bias",
            _cli_call(["spectral-bias"], {}),
            {
                "setup": cp(st.sampled_from(["nope", "", "VW"]), (), (), name="setup"),
                "out": cp(st.just(os.devnull), ("",), (), optional=True, name="out"),
            },
            cli=True,
        ),
        Spec(
            "cli.demo",
            _cli_call(["demo"], {}),
            {
                "out": cp(st.sampled_from([os.path.join(os.devnull, "x")]), (), (), name="out"),
                "no_progress": cp(st.just(True), (), (), optional=True),
            },
            cli=True,
            examples=3,
        ),
    ]
    # every spectral-bias / demo example here is invalid: they must fail fast and cleanly
    for s in specs[-2:]:
        for p in s.params.values():
            p.bad = p.bad or ()
    specs[-2].cases = ({"setup": "nope", "__bad__": ("setup",)},)
    specs[-1].cases = ({"out": os.path.join(os.devnull, "x"), "__bad__": ("out",)},)
    return specs + [_sweep_spec()]


def _sweep_spec():
    """``funkhecke sweep SPEC --dry-run`` with a spec file holding one fuzzed value."""
    base = {"n": 3, "k": 1, "m": 8, "steps": 2, "lr_scale": 1.0}
    values = {
        "n": (st.sampled_from([3, 5]), ("x", -1, 1, 2.5, True, 10**18)),
        "k": (st.sampled_from([1, 2]), ("x", -1, 2.5, 10**18)),
        "m": (st.sampled_from([4, 8]), ("x", 0, -1, 2.5, 10**18)),
        "steps": (st.sampled_from([1, 2]), ("x", -1, 2.5, 10**18)),
        "lr_scale": (st.sampled_from([1.0]), ("x", 0.0, -1.0, "nan")),
    }

    def call(field_, value):
        import json

        from funkhecke.cli import main

        spec = dict(base)
        spec[field_] = value
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "spec.yaml")
            doc = {"kind": "simulate", "grid": {"seed": [0]}, "fixed": spec}
            with open(path, "w") as fh:
                fh.write(json.dumps(doc) + "\n")
            code = main(
                ["sweep", path, "--out", os.path.join(d, "out"), "--dry-run", "--debug"],
                out=io.StringIO(),
            )
        if code not in (0, None):
            raise RuntimeError(f"exit code {code}")
        return ""

    return Spec(
        "cli.sweep",
        call,
        {
            "field_": Param(st.sampled_from(sorted(values)), (), (), names=tuple(values)),
            "value": Param(st.sampled_from([3]), ("x", -1, None), (10**18,), names=()),
        },
        cli=True,
        cases=tuple(
            {"field_": f, "value": v, "__bad__": ("value",)}
            for f, (_, bad) in values.items()
            for v in bad
            if v != 10**18
        )
        + tuple({"field_": f, "value": 10**18} for f in values),
        examples=5,
    )


def _beyond_kernels_specs():
    """Gaussian targets, kernel floors and mean-field training (issue 17)."""
    import gd_operator as G

    U1 = np.eye(4)[:1]
    tgt = Param(
        st.sampled_from([0, 1, 2]).map(
            lambda i: (
                G.single_index_target(6, 2, rng=0),
                G.lmz_target(4, rng=0),
                G.ridge_target(4, (1,), rng=0),  # a sphere target
            )[i]
        ),
        ("relu", None, 3, np.ones(3)),
        (),
    )
    dims = ints(2, 12, extreme=(20000,), cap=20000)
    dims.bad, dims.extreme = dims.bad + (20001, 10**18), (2000,)
    return [
        Spec(
            "gd_operator.hermite_coefficients",
            lambda profile, jmax, **kw: G.hermite_coefficients(profile, jmax, **kw),
            {
                "profile": Param(
                    st.sampled_from(("relu", "abs", "tanh", "relu2", ("hermite", 3))),
                    BAD_STR + (("hermite", -1), ("x", 2)),
                    (),
                ),
                "jmax": Param(
                    st.integers(0, 30),
                    BAD_INT + (-1,),
                    (2000,),
                ),
                "scale": Param(
                    st.sampled_from([1.0, 0.5, 2.0]),
                    BAD_REAL + (0.0, 1e300),
                    (1e-100,),
                    optional=True,
                ),
            },
        ),
        Spec(
            "gd_operator.gaussian_ridge_sum",
            lambda profile, W, **kw: G.gaussian_ridge_sum(profile, W, **kw).hermite_energies(6),
            {
                "profile": Param(st.sampled_from(("relu", "abs", ("hermite", 2))), BAD_STR, ()),
                "W": Param(st.just(np.eye(3)[:2]), BAD_ARRAY + (np.zeros((2, 3)), [[1.0]]), ()),
                "a": Param(
                    st.just(np.ones(2)), _no_none(BAD_ARRAY) + (np.ones(3),), (), optional=True
                ),
            },
        ),
        Spec(
            "gd_operator.hermite_polynomial_target",
            lambda U, alpha, coeffs: G.hermite_polynomial_target(U, alpha, coeffs).hermite_energies(
                4
            ),
            {
                "U": Param(st.just(U1), BAD_ARRAY + ([[1.0, 1.0]],), ()),
                "alpha": Param(
                    st.sampled_from([[[1]], [[2], [0]]]), BAD_ARRAY + ([[-1]],), ([[2000]],)
                ),
                "coeffs": Param(st.sampled_from([[1.0], [1.0, 2.0]]), BAD_ARRAY, ([1e100],)),
            },
        ),
        Spec(
            "gd_operator.single_index_target",
            lambda d, k, **kw: G.single_index_target(d, k, **kw).hermite_energies(3),
            {"d": dims, "k": ints(1, 5, extreme=(2000,), cap=2000), "rng": rng_param()},
        ),
        Spec(
            "gd_operator.staircase_target",
            lambda d, **kw: G.staircase_target(d, **kw).hermite_energies(3),
            {
                "d": dims,
                "depth": Param(st.integers(1, 2), BAD_INT + (0, 65), (), optional=True),
                "rng": rng_param(),
            },
        ),
        Spec(
            "gd_operator.lmz_target",
            lambda d, **kw: G.lmz_target(d, **kw).hermite_energies(2),
            {"d": ints(2, 12, extreme=(500,), cap=20000), "rng": rng_param()},
        ),
        Spec(
            "gd_operator.kernel_floor",
            lambda target, samples, **kw: G.kernel_floor(target, samples, **kw),
            {
                "target": tgt,
                "samples": Param(
                    st.sampled_from([10, [5, 100, 1000]]),
                    BAD_ARRAY + (0, -1, [0.5]),
                    (1e300, [1, 1e12]),
                ),
                "kernels": Param(
                    st.sampled_from([(), ("ntk",), ("nngp", "ntk")]),
                    (("rbf",), 3, None),
                    (),
                    optional=True,
                ),
                "ridge": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (1e300,), optional=True
                ),
                "kmax": Param(
                    st.sampled_from([4, 8]), _no_none(BAD_INT) + (-1, 201), (200,), optional=True
                ),
            },
        ),
        Spec(
            "gd_operator.network_hermite_energies",
            lambda W, b, a, activation, jmax: G.network_hermite_energies(W, b, a, activation, jmax),
            {
                "W": Param(st.just(np.eye(3)[:2]), (), ()),
                "b": Param(st.just(np.zeros(2)), (), ()),
                "a": Param(st.just(np.ones(2)), (), ()),
                "activation": Param(
                    st.sampled_from(("relu", "tanh", ("hermite", 2))),
                    BAD_STR + (("hermite", 0),),
                    (),
                ),
                "jmax": Param(st.integers(0, 8), BAD_INT + (-1, 41), (40,)),
            },
        ),
        Spec(
            "gd_operator.sphere_network_energies",
            lambda W, b, a, activation, target, kmax: G.sphere_network_energies(
                W, b, a, activation, target, kmax
            ),
            {
                "W": Param(st.just(np.eye(3)[:2] * 1.5), BAD_ARRAY + (np.zeros((2, 3)),), ()),
                "b": Param(st.just(np.array([0.1, -0.2])), BAD_ARRAY + (np.zeros(3),), ()),
                "a": Param(st.just(np.ones(2)), BAD_ARRAY, ()),
                "activation": Param(st.sampled_from(("relu", "abs")), BAD_STR, ()),
                "target": Param(
                    st.just(G.ridge_target(3, (1, 2), rng=0)),
                    ("relu", None, G.single_index_target(3, 2, rng=0)),
                    (),
                ),
                "kmax": Param(st.integers(0, 8), BAD_INT + (-1, 41), (40,)),
            },
        ),
        Spec(
            "gd_operator.train_mean_field",
            lambda target, **kw: G.train_mean_field(target, **kw).test_mse,
            {
                "target": tgt,
                "width": Param(
                    st.integers(2, 8).map(lambda w: 2 * w),
                    BAD_INT + (0, -1),
                    (10**9,),
                    optional=True,
                ),
                # always drawn: the default 1000 full-batch steps are a valid ~20 s run
                "steps": Param(st.integers(1, 5), BAD_INT + (0, -1), (10**12,)),
                "method": choice(("online", "full_batch", "layerwise")),
                "lr": Param(
                    st.sampled_from([0.1, 0.5, {"W": 0.5, "a": 0.1}]),
                    BAD_REAL + (0.0, -1.0, {"V": 1.0}, {"W": 0.0}),
                    (1e6,),
                    optional=True,
                ),
                "batch": Param(st.sampled_from([8, 32]), BAD_INT + (0,), (10**9,), optional=True),
                "samples": Param(
                    st.sampled_from([50, 200]), BAD_INT + (0,), (10**12,), optional=True
                ),
                "activation": Param(
                    st.sampled_from(("relu", "tanh", ("hermite", 2))),
                    BAD_STR + ("step",),
                    (),
                    optional=True,
                ),
                "weight_decay": Param(
                    st.sampled_from([0.0, 0.1]), BAD_REAL + (-1.0,), (), optional=True
                ),
                "spherical": flag(),
                "test_size": Param(
                    st.sampled_from([100, 500]), BAD_INT + (99,), (10**7,), optional=True
                ),
                "energy_degree": Param(
                    st.sampled_from([0, 2]), BAD_INT + (-1, 41), (), optional=True
                ),
                "rng": rng_param(),
            },
            examples=12,
            warmup=_mean_field_warm,
        ),
        Spec(
            "cli.learning-curve",
            _cli_call(["learning-curve"], {"activation": None}),
            {
                "activation": Param(
                    st.sampled_from(["relu", "tanh"]), ("nope", ""), (), names=("activation",)
                ),
                "n": Param(
                    st.sampled_from(["5", "12"]), CLI_INT + ("1", "0"), ("1000000",), names=("n",)
                ),
                "degrees": Param(
                    st.sampled_from(["1", "2"]),
                    CLI_INT + ("-1",),
                    ("100000",),
                    optional=True,
                    names=("degrees",),
                ),
                "ridge": Param(
                    st.sampled_from(["0.001", "0"]),
                    CLI_REAL + ("-1",),
                    ("1e300",),
                    optional=True,
                    names=("ridge",),
                ),
                "no_simulation": Param(st.just(True), (), ()),
                "csv": Param(st.just(True), (), (), optional=True),
            },
            cli=True,
            examples=8,
        ),
        Spec(
            "cli.beyond-kernels",
            _cli_call(["beyond-kernels"], {}),
            {
                "setup": Param(st.sampled_from(["nope", "", "LMZ"]), (), (), names=("setup",)),
                "out": Param(
                    st.just(os.path.join(os.devnull, "x")), (), (), optional=True, names=("out",)
                ),
                "no_progress": Param(st.just(True), (), (), optional=True),
            },
            cases=(
                {"setup": "nope", "__bad__": ("setup",)},
                {"setup": "lmz", "out": os.path.join(os.devnull, "x"), "__bad__": ("out",)},
            ),
            cli=True,
            examples=4,
        ),
    ]


def all_specs():
    return (
        _harmonics_specs()
        + _symbolic_specs()
        + _gd_specs()
        + _sq_specs()
        + _cli_specs()
        + _beyond_kernels_specs()
    )


def _spec_names():
    # names only (collection must not import the heavy packages twice; cheap anyway)
    return [s.name for s in all_specs()]


# ----------------------------------------------------------------------------------- tests


def _report(outcomes):
    bad = [o for o in outcomes if o.cls not in PASSING]
    return "\n".join(str(o) for o in bad[:40]) + (
        f"\n... {len(bad) - 40} more" if len(bad) > 40 else ""
    )


@pytest.fixture(scope="module")
def specs():
    return {s.name: s for s in all_specs()}


@pytest.mark.parametrize("name", _spec_names())
def test_fuzz(specs, name):
    """A fixed number of derandomized examples per target plus its explicit extreme cases:
    every outcome is ok or a clean ValueError/TypeError naming the argument."""
    spec = specs[name]
    outcomes = run_spec(spec, spec.examples)
    bad = [o for o in outcomes if o.cls not in PASSING]
    assert not bad, _report(outcomes)


@pytest.mark.slow
@pytest.mark.parametrize("name", _spec_names())
def test_fuzz_large(specs, name):
    """The larger sweep: ten times as many examples per target."""
    spec = specs[name]
    outcomes = run_spec(spec, 10 * spec.examples)
    bad = [o for o in outcomes if o.cls not in PASSING]
    assert not bad, _report(outcomes)


# Public names that are not fuzzed as calls, with the reason.
NOT_CALLS = {
    "harmonics": {
        "BasisTooLargeError": "exception class (raised by SphericalHarmonics, fuzzed)",
        "EigenvalueUnderflowWarning": "warning class",
        "REGISTERED_ACTIVATIONS": "a tuple of names (the activation strategies draw from it)",
        "ACTIVATION_ALIASES": "a dict of names (tests/test_activation_structure.py resolves all)",
        "activation_names": "takes no arguments (tests/test_activation_structure.py checks it)",
        "Projection": "result type (made by project, fuzzed; round trips: test_results_contract)",
        "GegenbauerExpansion": "result type (made by expand, fuzzed)",
        "RidgeSumBase": "abstract base of RidgeSum, RidgeTarget, LegendreTarget (all fuzzed)",
    },
    "harmonics.symbolic": {"n": "a sympy Symbol", "t": "a sympy Symbol", "rho": "a sympy Symbol"},
    "gd_operator": {
        "SeriesTruncationWarning": "warning class",
        "CoefficientNoiseWarning": "warning class",
        "AlphaK": "result type (alpha_k)",
        "GaussianRidgeSum": "target type, built by gaussian_ridge_sum / lmz_target (fuzzed)",
        "HermitePolynomialTarget": "target type, built by hermite_polynomial_target (fuzzed)",
        "KernelFloor": "result type (kernel_floor)",
        "MeanFieldInterrupted": "exception class (train_mean_field, Ctrl-C)",
        "MeanFieldResult": "result type (train_mean_field)",
        "KernelRegression": "result type (kernel_regression)",
        "LearningCurve": "result type (learning_curve)",
        "RandomFeaturesCurve": "result type (random_features_curve)",
        "GDLearningCurve": "result type (gd_learning_curve)",
        "KernelGDRegression": "result type (kernel_gd_regression)",
        "RandomFeaturesRegression": "result type (random_features_regression)",
        "DivergenceError": "exception class (simulate)",
        "SimulationInterrupted": "exception class (simulate, Ctrl-C)",
        "SimulationResult": "result type (simulate)",
        "RidgeTarget": "target type, built by ridge_target (fuzzed)",
        "TeacherNetwork": "target type, built by teacher_network (fuzzed)",
        "FiniteWidthSpectrum": "result type (finite_width_spectrum)",
        "DeepFiniteWidth": "result type (deep_finite_width)",
        "Prediction": "result type (predict)",
        "VWBounds": "result type (vw_bounds)",
    },
    "sq_bounds": {
        "DirectionFamily": "result type (direction_family)",
        "ExponentFit": "result type (fit_exponent)",
        "FamilyTooLargeError": "exception class (direction_family)",
        "GDRun": "result type (oracle/population GD)",
        "SQBound": "result type (query_lower_bound)",
        "StatisticalDimension": "result type (statistical_dimension)",
    },
}


def test_every_public_name_is_fuzzed_or_listed(specs):
    """Each name in the packages' __all__ has a fuzz target (``package.name...``) or a reason in
    NOT_CALLS; a new public function must get a target."""
    import importlib

    fuzzed = {name.split(".")[0] + "." + name.split(".")[1] for name in specs}
    missing = []
    for pkg in ("harmonics", "harmonics.symbolic", "gd_operator", "sq_bounds"):
        mod = importlib.import_module(pkg)
        short = "symbolic" if pkg == "harmonics.symbolic" else pkg
        for name in mod.__all__:
            if f"{short}.{name}" not in fuzzed and name not in NOT_CALLS.get(pkg, {}):
                missing.append(f"{pkg}.{name}")
    assert not missing, f"public names without a fuzz target: {missing}"


def test_every_cli_subcommand_is_fuzzed(specs):
    from funkhecke.cli import gd_operator_cli, harmonics_cli, sq_bounds_cli

    names = set()
    for prefix, mod in (
        ("cli.harmonics.", harmonics_cli),
        ("cli.sq.", sq_bounds_cli),
        ("cli.", gd_operator_cli),
    ):
        parser = mod.build_parser()
        sub = parser.subcommands if hasattr(parser, "subcommands") else None
        for choice_ in sub.choices if sub is not None else ():
            names.add(prefix + choice_)
    missing = sorted(n for n in names if n not in specs and n not in ("cli.harmonics", "cli.sq"))
    assert not missing, f"CLI subcommands without a fuzz target: {missing}"


def main(argv=None):
    """``python tests/test_fuzz.py [--slow] [--verbose] [--stream] [NAME-SUBSTRING | =NAME ...]``:
    outcome counts per target and class (``--stream``: one ``= class target`` line per call as it
    happens, so that the counts survive a watchdog kill of a call stuck in compiled code)."""
    argv = sys.argv[1:] if argv is None else argv
    factor = 10 if "--slow" in argv else 1
    verbose = "--verbose" in argv
    stream = "--stream" in argv
    filters = [a for a in argv if not a.startswith("--")]
    total = Counter()
    n_calls = 0
    t_start = time.perf_counter()
    for spec in all_specs():
        exact = [f[1:] for f in filters if f.startswith("=")]
        if filters and not (
            spec.name in exact or any(f in spec.name for f in filters if f[0] != "=")
        ):
            continue
        t0 = time.perf_counter()
        hook = (lambda o: print(f"= {o.cls} {o.target}", flush=True)) if stream else None
        outcomes = run_spec(spec, factor * spec.examples, on_outcome=hook)
        counts = Counter(o.cls for o in outcomes)
        total.update(counts)
        n_calls += len(outcomes)
        line = " ".join(f"{c}={counts[c]}" for c in CLASSES if counts[c])
        print(
            f"{spec.name:45s} {len(outcomes):4d} calls {time.perf_counter() - t0:6.1f}s  {line}",
            flush=True,
        )
        if verbose:
            for o in outcomes:
                if o.cls not in PASSING:
                    print("    ", o, flush=True)
    print(
        f"TOTAL {n_calls} calls in {time.perf_counter() - t_start:.1f}s: "
        + " ".join(f"{c}={total[c]}" for c in CLASSES)
    )


if __name__ == "__main__":
    main()
