"""A statistical-query oracle with tolerance tau, and gradient descent that only talks to it.

Tolerance model (STAT(tau), Kearns 1998): a query is a function q(x, y) with values in [-1, 1];
the oracle returns any number within tau of E_{x~sigma}[q(x, f*(x))].  A *correlational* query
is h(x) * y with h(x) in [-1, 1] (Bshouty & Feldman 2002); its answer must be within tau of
<h, f*> = E[h f*].  Gradient descent on the square loss is a correlational SQ algorithm: for the
network f_a(x) = (1/sqrt(m)) sum_i a_i phi(<w_i, x>),

    dL/da_i = (1/sqrt(m)) (E[f_a(x) phi(<w_i,x>)] - E[f*(x) phi(<w_i,x>)]),

the first term does not involve the target (the learner computes it itself) and the second is
the correlational query h_i(x) = phi(<w_i, x>) -- one query per coordinate per step.

What "the truth" is here
------------------------
* Ridge queries phi(<w, x>) against a :class:`~sq_bounds.correlation.LegendreTarget` are exact
  by Funk-Hecke: E[f_u(x) phi(<w,x>)] = sqrt(N(n,k)) lambda_k(phi) P_{k,n}(<u,w>), with
  lambda_k(phi) from :func:`harmonics.funk_hecke_eigenvalues` (~1e-15 relative for registered
  activations).
* Every other query is evaluated on one fixed Monte Carlo sample of ``num_samples`` uniform
  points drawn at the first such query; "truth" then means the sample mean, which differs from
  the population expectation by about ``last_standard_error`` (std / sqrt(num_samples)).
The answer is *always* within tau of that truth (tested), whatever the adversary.

Adversaries
-----------
* ``None``: the truth itself.
* ``"zero"``: answers as if the target were the zero function, i.e. the value v0 = E[q(x, 0)]
  (0 for correlational and ridge queries) whenever |v0 - truth| <= tau, and otherwise the
  allowed value closest to v0, truth -/+ tau.  This is the adversary of the SQ lower bounds.
* ``"random"``: truth + U(-tau, tau), drawn from the oracle's own generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harmonics import funk_hecke_eigenvalues, get_activation, sample_sphere
from harmonics._infra.checks import (
    check_bool,
    check_dimension,
    check_int,
    check_real,
    check_real_array,
)
from harmonics._infra.results import ResultMixin
from harmonics._infra.rng import as_generator
from harmonics.ridge import population_gram

from .correlation import LegendreTarget
from .families import DEFAULT_MAX_BYTES

_ADVERSARIES = (None, "zero", "random")
_SLACK = 1e-12


def check_tau(tau, *, allow_zero: bool = False) -> float:
    """Tolerance of a statistical query with values in [-1, 1]: 0 < tau < 1 (0 allowed if asked)."""
    tau = check_real(tau, "tau")
    lo_ok = tau >= 0 if allow_zero else tau > 0
    if not lo_ok or tau >= 1:
        interval = "[0, 1)" if allow_zero else "(0, 1)"
        raise ValueError(
            f"tau must lie in {interval} (a tolerance for queries with values in [-1, 1]; "
            f"tau >= 1 makes every answer trivial), got {tau}"
        )
    return tau


def _check_bounded(values: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} returned non-finite values")
    if values.size and np.max(np.abs(values)) > 1 + _SLACK:
        raise ValueError(
            f"{what} must take values in [-1, 1] (statistical queries are bounded), got a value "
            f"of {values.flat[np.argmax(np.abs(values))]!r}"
        )


class ToleranceOracle:
    """SQ oracle for a target f* on S^{n-1} under the uniform measure, answering within +-tau.

    Parameters
    ----------
    target : a :class:`~sq_bounds.correlation.LegendreTarget` (exact ridge queries) or any
        callable mapping points X: [N, n] to values y: [N].
    tau : tolerance in [0, 1) (0 gives exact answers).
    adversary : None, "zero" (default; answers as if the target were 0 whenever allowed) or
        "random" (uniform noise in [-tau, tau]).
    rng : None, int seed or numpy Generator (Monte Carlo sample and random answers).
    n : ambient dimension, required when the target does not carry ``.n``.
    num_samples : size of the fixed Monte Carlo sample for non-ridge queries (default 2^17).
    record : keep every (truth, answer) pair in ``history`` (for audits and tests).
    max_bytes : refuse a Monte Carlo sample larger than this (raises before allocating).

    Attributes
    ----------
    num_queries : number of scalar queries answered (a batch of m ridge queries counts m).
    last_standard_error : Monte Carlo standard error of the last sample-based truth (0 if exact).
    max_deviation : the largest |answer - truth| so far (never above tau).
    history : list of (kind, truth, answer) arrays if ``record``.
    """

    def __init__(
        self,
        target,
        tau,
        adversary="zero",
        rng=None,
        *,
        n=None,
        num_samples: int = 1 << 17,
        record: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ):
        if not callable(target):
            raise TypeError(f"target must be callable on points X [N, n], got {target!r}")
        self.target = target
        self.tau = check_tau(tau, allow_zero=True)
        if adversary not in _ADVERSARIES:
            raise ValueError(f"adversary must be None, 'zero' or 'random', got {adversary!r}")
        self.adversary = adversary
        tn = getattr(target, "n", None)
        if n is None and tn is None:
            raise ValueError("n (the ambient dimension) is required for a plain callable target")
        if n is not None:
            n = check_dimension(n)
        if n is not None and tn is not None and n != int(tn):
            raise ValueError(f"n={n} disagrees with target.n={tn}")
        self.n = check_dimension(n if n is not None else tn)

        self.num_samples = check_int(num_samples, "num_samples", 2)
        max_bytes = check_int(max_bytes, "max_bytes", 1)
        if 8 * self.num_samples * (self.n + 1) > max_bytes:
            raise ValueError(
                f"num_samples={self.num_samples} points in R^{self.n} need "
                f"{8 * self.num_samples * (self.n + 1):.4g} bytes > max_bytes={max_bytes:.4g}"
            )
        gen = as_generator(rng)
        self._sample_rng, self._noise_rng = gen.spawn(2)
        self._X = None
        self._y = None

        self.record = check_bool(record, "record")
        self.history: list = []
        self.num_queries = 0
        self.last_standard_error = 0.0
        self.max_deviation = 0.0

    # ------------------------------------------------------------------ internals
    def _sample(self):
        if self._X is None:
            self._X = sample_sphere(self.num_samples, self.n, self._sample_rng)
            self._y = np.asarray(self.target(self._X), dtype=float).reshape(-1)
            if self._y.shape != (self.num_samples,) or not np.all(np.isfinite(self._y)):
                raise ValueError("target(X) must return finite values of shape [N]")
        return self._X, self._y

    def _respond(self, kind: str, truth, null):
        truth = np.asarray(truth, dtype=float)
        null = np.broadcast_to(np.asarray(null, dtype=float), truth.shape)
        if self.adversary is None or self.tau == 0.0:
            answer = truth.copy()
        elif self.adversary == "zero":
            answer = np.clip(null, truth - self.tau, truth + self.tau)
        else:
            answer = truth + self._noise_rng.uniform(-self.tau, self.tau, size=truth.shape)
        self.num_queries += int(truth.size)
        if truth.size:
            self.max_deviation = max(self.max_deviation, float(np.max(np.abs(answer - truth))))
        if self.record:
            self.history.append((kind, truth.copy(), answer.copy()))
        return answer

    # ------------------------------------------------------------------ queries
    def query(self, q):
        """General SQ: q(X, y) -> [N] values in [-1, 1]; answers E[q(x, f*(x))] within tau
        (truth on the fixed Monte Carlo sample).  The "zero" adversary's reference is
        E[q(x, 0)] on the same sample."""
        X, y = self._sample()
        vals = np.asarray(q(X, y), dtype=float).reshape(-1)
        _check_bounded(vals, "q(X, y)")
        vals0 = np.asarray(q(X, np.zeros_like(y)), dtype=float).reshape(-1)
        _check_bounded(vals0, "q(X, 0)")
        self.last_standard_error = float(vals.std(ddof=1) / math.sqrt(vals.size))
        return float(self._respond("sq", vals.mean(), vals0.mean()))

    def correlational_query(self, h):
        """Correlational SQ: h(X) -> [N] values in [-1, 1]; answers <h, f*> = E[h f*] within tau
        (truth on the fixed Monte Carlo sample; the "zero" adversary's reference is 0)."""
        X, y = self._sample()
        hv = np.asarray(h(X), dtype=float).reshape(-1)
        _check_bounded(hv, "h(X)")
        prod = hv * y
        self.last_standard_error = float(prod.std(ddof=1) / math.sqrt(prod.size))
        return float(self._respond("csq", prod.mean(), 0.0))

    def ridge_query(self, W, activation, *, lam_k=None):
        """A batch of correlational queries h_i(x) = phi(<w_i, x>), one per row of W: [m, n].

        ``activation`` is an :class:`harmonics.Activation` (or a registered name) with
        |phi| <= 1 on [-1, 1].  Exact by Funk-Hecke for a LegendreTarget (pass ``lam_k`` =
        lambda_k(phi) to skip recomputing it); Monte Carlo otherwise.  Returns [m] answers and
        counts m queries.
        """

        phi = get_activation(activation)
        grid = np.linspace(-1.0, 1.0, 4097)
        _check_bounded(np.asarray(phi(grid)), f"the activation {phi!r}")
        W = np.asarray(W, dtype=float)
        if W.ndim != 2 or W.shape[1] != self.n:
            raise ValueError(f"W must have shape [m, {self.n}], got {W.shape}")
        norms = np.linalg.norm(W, axis=1)
        if np.any(np.abs(norms - 1) > 1e-10):
            raise ValueError("the rows of W must be unit vectors")
        if isinstance(self.target, LegendreTarget):
            truth = self.target.ridge_correlations(W, phi, lam_k=lam_k)
            self.last_standard_error = 0.0
        else:
            X, y = self._sample()
            feats = phi(np.clip(X @ W.T, -1.0, 1.0))
            prod = feats * y[:, None]
            truth = prod.mean(axis=0)
            self.last_standard_error = float(np.max(prod.std(axis=0, ddof=1)) / math.sqrt(len(y)))
        return self._respond("ridge", truth, 0.0)

    def __repr__(self) -> str:
        return (
            f"ToleranceOracle(target={self.target!r}, tau={self.tau:g}, "
            f"adversary={self.adversary!r}, queries={self.num_queries})"
        )


# ------------------------------------------------------------------------- gradient descent


@dataclass(frozen=True)
class GDRun(ResultMixin):
    """Output-layer gradient descent on f_a(x) = (1/sqrt(m)) sum_i a_i phi(<w_i, x>).

    Attributes
    ----------
    a : final output weights [m];  hidden : the fixed hidden weights W [m, n].
    relative_errors : [steps + 1] population error ||f* - f_a||^2 / ||f*||^2 after each step
        (exact for a LegendreTarget; on the oracle's Monte Carlo sample otherwise).
    correlation_scale : max_i |E[f* phi(<w_i, x>)]|, the size of the signal in the queries.
    tau, adversary, num_queries : the oracle ("population" runs: tau = 0, adversary None, 0).
    lr : step size;  gram_truncation : bound on the Funk-Hecke truncation error of each Gram
        entry (see :func:`oracle_gradient_descent`).
    ``to_dict()`` adds final_error, best_error and moved; ``save(path)`` / ``GDRun.load(path)``.
    """

    _layout = (
        "target",
        "activation",
        "tau",
        "adversary",
        "num_queries",
        "lr",
        "gram_truncation",
        "correlation_scale",
        "final_error",
        "best_error",
        "moved",
        "relative_errors",
        "a",
        "hidden",
    )

    a: np.ndarray = field(repr=False)
    hidden: np.ndarray = field(repr=False)
    relative_errors: np.ndarray = field(repr=False)
    correlation_scale: float
    tau: float
    adversary: str | None
    num_queries: int
    lr: float
    gram_truncation: float
    activation: str
    target: str

    @property
    def final_error(self) -> float:
        return float(self.relative_errors[-1])

    @property
    def best_error(self) -> float:
        """min over the run (early stopping): biased answers can make the error grow again
        after an initial decrease, because the oracle's errors are not in the span of G."""
        return float(np.min(self.relative_errors))

    @property
    def moved(self) -> bool:
        """Did the output weights ever leave 0?  (False = the oracle revealed nothing.)"""
        return bool(np.any(self.a != 0.0))

    def __repr__(self) -> str:
        return (
            f"GDRun(target={self.target}, tau={self.tau:g}, adversary={self.adversary!r}, "
            f"steps={len(self.relative_errors) - 1}, correlation_scale={self.correlation_scale:.3g}"
            f", relative error {self.relative_errors[0]:.4g} -> {self.final_error:.4g}, "
            f"best {self.best_error:.4g})"
        )


class _Features:
    """Exact population quantities of the random-features model (Funk-Hecke)."""

    def __init__(self, target, n, W, activation, kmax_limit=400, tail_tol=1e-14):
        self.phi = activation
        m = W.shape[0]
        # G_ij = E[phi(<w_i,x>) phi(<w_j,x>)]: harmonics' one population Gram (Funk-Hecke series
        # to a Parseval tail <= tail_tol E[phi^2], diagonal E[phi^2] exactly; closed forms or the
        # planar reduction for kinked gates); ``truncation`` bounds each entry's error.
        self.G, self.truncation = population_gram(
            activation, W, rtol=tail_tol, kmax_limit=kmax_limit
        )
        self.m = m
        if isinstance(target, LegendreTarget):
            try:
                lam_k = float(funk_hecke_eigenvalues(activation, n, target.k)[target.k])
            except ValueError as exc:  # e.g. a cost limit: say that it is the target's degree
                raise ValueError(
                    f"target degree k = {target.k}: lambda_k of the queries: {exc}"
                ) from exc
            self.b = target.ridge_correlations(W, activation, lam_k=lam_k)
            self.target_norm2 = 1.0
            self.lam_k = lam_k
        else:
            self.b = None
            self.lam_k = None
            self.target_norm2 = None

    def relative_error(self, a, b, norm2):
        m = self.m
        loss2 = norm2 - 2.0 * a @ b / math.sqrt(m) + a @ self.G @ a / m
        return float(loss2 / norm2)


def _setup(target, n, width, activation, scale, bias, rng, hidden):
    if isinstance(target, LegendreTarget):
        if n is not None and check_dimension(n) != target.n:
            raise ValueError(f"n={n} disagrees with target.n={target.n}")
        n = target.n
    elif n is None:
        raise ValueError("n is required for a plain callable target")
    n = check_dimension(n)
    phi = get_activation(activation, scale=scale, bias=bias)
    grid = np.linspace(-1.0, 1.0, 4097)
    _check_bounded(np.asarray(phi(grid)), f"the activation {phi!r}")
    gen = as_generator(rng)
    if hidden is None:
        width = check_int(width, "width", 1, 20000)
        W = sample_sphere(width, n, gen)
    else:
        W = np.array(check_real_array(hidden, "hidden"))
        if W.ndim != 2 or W.shape[1] != n:
            raise ValueError(f"hidden must have shape [m, {n}], got {W.shape}")
        W /= np.linalg.norm(W, axis=1, keepdims=True)
    return n, phi, W, gen


def _default_lr(G, m):
    top = float(np.linalg.eigvalsh(G / m)[-1])
    return 1.0 / top


#: Cost limit of the GD loops: steps * (width^2 + 10^4) (the Gram product per step plus ~100 us
#: of query overhead): ~3 s for the oracle run at the limit.  Raise it to go past.
MAX_GD_WORK = 5 * 10**8


def _check_steps(steps, m: int) -> int:
    steps = check_int(steps, "steps", 0)
    if steps * (m * m + 10**4) > MAX_GD_WORK:
        raise ValueError(
            f"steps = {steps} with width {m} costs ~{steps * (m * m + 10**4):.2g} "
            f"(steps * (width^2 + 1e4)), above sq_bounds.oracle.MAX_GD_WORK = {MAX_GD_WORK:.2g} "
            "(~3 s); lower steps or width, or raise MAX_GD_WORK"
        )
    return steps


def _check_lr(lr, G, m):
    if lr is None:
        return _default_lr(G, m)
    return check_real(lr, "lr", positive=True)


def _diverged(step: int, lr: float, G, m: int):
    top = float(np.linalg.eigvalsh(G / m)[-1]) if m <= 3000 else math.nan
    return ValueError(
        f"gradient descent diverged at step {step}: lr = {lr:g} is too large (stability needs "
        f"lr < 2 / lambda_max(G / m) = {2 / top:.4g}; the default lr is 1 / lambda_max)"
    )


def oracle_gradient_descent(
    target,
    *,
    tau,
    adversary="zero",
    n=None,
    width: int = 100,
    steps: int = 200,
    lr=None,
    activation="erf",
    scale: float = 2.0,
    bias: float = 0.5,
    rng=None,
    hidden=None,
    oracle=None,
) -> GDRun:
    """Output-layer GD on a random-features network whose target-dependent gradient part comes
    from a :class:`ToleranceOracle`.

    Model: f_a(x) = (1/sqrt(m)) sum_i a_i phi(<w_i, x>), phi(t) = activation(scale t + bias)
    (|phi| <= 1 is required, so each phi(<w_i, .>) is a valid correlational query), hidden
    weights w_i uniform on S^{n-1} (seeded), a_0 = 0.  Population loss
    L(a) = 1/2 E[(f* - f_a)^2]; one step is

        a <- a - lr (G a / m - b_hat / sqrt(m)),

    G_ij = E[phi(<w_i,x>) phi(<w_j,x>)] = sum_j N(n,j) lambda_j(phi)^2 P_{j,n}(<w_i,w_j>)
    (Funk-Hecke twice; target-independent, computed by the learner: series truncated where the
    Parseval tail E[phi^2] - sum N lambda_j^2 is < 1e-14 E[phi^2], which bounds each entry's
    error; diagonal E[phi^2] exactly) and b_hat = the oracle's answers to the m queries
    phi(<w_i, .>), i.e. b_i = E[f* phi(<w_i, .>)] up to +-tau.  ``lr`` defaults to
    1/lambda_max(G/m).

    With ``tau=0`` (or ``adversary=None``) this is exactly population GD
    (:func:`population_gradient_descent`).  With the "zero" adversary and tau above the
    correlation scale max_i |b_i|, every answer is 0 and a never moves: the target is not
    learned at all (relative error stays 1), although population GD would reduce it.  For a
    degree-k LegendreTarget the scale is sqrt(N(n,k)) |lambda_k(phi)| max_i |P_{k,n}(<u,w_i>)|,
    which shrinks fast with k -- so a tolerance that lets GD learn degree 1 hides degree 5.

    Pass ``oracle`` to reuse one (its target must be ``target``); otherwise one is made with
    the given tau, adversary and rng.  Returns a :class:`GDRun`.

    Limits: steps * (width^2 + 10^4) <= ``sq_bounds.oracle.MAX_GD_WORK`` (5e8, ~3 s), checked
    before the loop; an lr that makes GD diverge (>= 2 / lambda_max(G/m)) raises ValueError at
    the first non-finite error instead of returning NaN.
    """

    n, phi, W, gen = _setup(target, n, width, activation, scale, bias, rng, hidden)
    steps = _check_steps(steps, W.shape[0])
    if oracle is None:
        oracle = ToleranceOracle(target, tau, adversary, gen, n=n)
    elif oracle.target is not target:
        raise ValueError("oracle.target must be the target being learned")
    feats = _Features(target, n, W, phi)
    if feats.b is None:  # generic target: "population" = the oracle's Monte Carlo sample
        X, y = oracle._sample()
        b_true = (phi(np.clip(X @ W.T, -1.0, 1.0)) * y[:, None]).mean(axis=0)
        norm2 = float(np.mean(y * y))
    else:
        b_true, norm2 = feats.b, feats.target_norm2
    m = W.shape[0]
    lr = _check_lr(lr, feats.G, m)
    a = np.zeros(m)
    errors = [feats.relative_error(a, b_true, norm2)]
    for step in range(steps):
        b_hat = oracle.ridge_query(W, phi, lam_k=feats.lam_k)
        a = a - lr * (feats.G @ a / m - b_hat / math.sqrt(m))
        with np.errstate(over="ignore", invalid="ignore"):  # divergence: checked just below
            errors.append(feats.relative_error(a, b_true, norm2))
        if not math.isfinite(errors[-1]) or errors[-1] > 1e150:
            raise _diverged(step + 1, lr, feats.G, m)
    return GDRun(
        a=a,
        hidden=W,
        relative_errors=np.array(errors),
        correlation_scale=float(np.max(np.abs(b_true))),
        tau=oracle.tau,
        adversary=oracle.adversary,
        num_queries=oracle.num_queries,
        lr=lr,
        gram_truncation=feats.truncation,
        activation=repr(phi),
        target=repr(target),
    )


def population_gradient_descent(
    target,
    *,
    n=None,
    width: int = 100,
    steps: int = 200,
    lr=None,
    activation="erf",
    scale: float = 2.0,
    bias: float = 0.5,
    rng=None,
    hidden=None,
) -> GDRun:
    """Plain population GD for the same model as :func:`oracle_gradient_descent` (same seed ->
    same hidden weights), with the exact b_i = E[f* phi(<w_i, .>)] (Funk-Hecke; LegendreTarget
    only).  Returns a :class:`GDRun` with tau = 0 and no queries."""
    if not isinstance(target, LegendreTarget):
        raise TypeError("population_gradient_descent needs a LegendreTarget (exact b)")

    n, phi, W, _ = _setup(target, n, width, activation, scale, bias, rng, hidden)
    steps = _check_steps(steps, W.shape[0])
    feats = _Features(target, n, W, phi)
    m = W.shape[0]
    lr = _check_lr(lr, feats.G, m)
    a = np.zeros(m)
    errors = [feats.relative_error(a, feats.b, 1.0)]
    for step in range(steps):
        a = a - lr * (feats.G @ a / m - feats.b / math.sqrt(m))
        with np.errstate(over="ignore", invalid="ignore"):  # divergence: checked just below
            errors.append(feats.relative_error(a, feats.b, 1.0))
        if not math.isfinite(errors[-1]) or errors[-1] > 1e150:
            raise _diverged(step + 1, lr, feats.G, m)
    return GDRun(
        a=a,
        hidden=W,
        relative_errors=np.array(errors),
        correlation_scale=float(np.max(np.abs(feats.b))),
        tau=0.0,
        adversary=None,
        num_queries=0,
        lr=lr,
        gram_truncation=feats.truncation,
        activation=repr(phi),
        target=repr(target),
    )
