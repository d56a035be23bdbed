"""Early-stopped full-batch GD on P samples: predicted and simulated learning curves.

The model (kernel regime).  Full-batch GD with step ``lr`` on the empirical loss
(1/2P) sum_i (f(x_i) - y_i)^2 over functions f = sum_i alpha_i K(<x_i, .>), from f_0 = 0:

    f_{t+1} = f_t - (lr/P) sum_i K(<x_i, .>) (f_t(x_i) - y_i),

so the training residual evolves as (I - lr K/P)^t y (K the unnormalized P x P Gram matrix) and

    f_t = k(x)^T alpha_t,  alpha_t = V diag(h_t(w_i/P) / w_i) V^T y,  h_t(w) = 1 - (1 - lr w)^t

with K = V diag(w) V^T: a spectral filter on the eigenvalues w/P of K/P.  As P -> oo, K/P -> the
integral operator with eigenvalues mu_k and this is :func:`gd_operator.predict`'s population
dynamics, r_k(t) = (1 - lr mu_k)^{2t} r_k(0) (``population_mse``).  Stable iff lr w_max/P <= 2.

Theory (:func:`gd_learning_curve`) -- an APPROXIMATION, stated as such: GD at step t is replaced
by kernel ridge regression with the effective ridge

    ridge_t = P / (lr t)        (i.e. lambda_t = 1/(lr t) on K/P),

the ridge whose filter w/(w + lambda) agrees with h_t(w) = lr t w + O(w^2) to first order at
small w (the gradient-flow / ridge correspondence of Ali, Kolter & Tibshirani, AISTATS 2019, "A
continuous-time view of early stopping for least squares": the risk of gradient flow at time t
is at most ~1.69 times that of ridge at lambda = 1/t).  The test error is then the eigenlearning
theory's (:func:`gd_operator.learning_curve` with that ridge, one per (t, P)); no train error is
predicted (the ridge's train error is not GD's).  t = 0: f = 0.  The filters differ at w ~
lambda_t (h_t saturates like 1 - e^{-lr t w}, the ridge filter like w/(w + lambda)), so the
prediction is not exact even as P, N(n,k) -> oo.  Measured against :func:`kernel_gd_regression`
(ReLU output kernel, sphere init, lr = 0.9/max mu, P = 30, 100, 400, 1200, t = 1..10^5, 5 seeds):

* a target with an unlearned remainder (n = 10, degrees 1-4, noise 0.1): |deviation| <= 5 % for
  P >= 100 (one point 9 %), <= 12.6 % at P = 30 (the finite-n error of eigenlearning itself);
* n = 25, degrees 1-2, noise 0.05: <= 11 % for t <= 300 or P <= 100;
* FAILURE REGIME: once a learnable target is essentially learned (P >> N(n, <= max degree),
  lr t mu_k >> 1), GD's residual decays like (1 - lr mu_k)^{2t} but the ridge stand-in's like
  (1 + lr t mu_k)^{-2}: the prediction is far too high -- n = 25, P = 1200, t = 3000: 0.095 vs
  0.038 measured; n = 10, noiseless degrees 1-2, P >= 400, t = 1000: 0.2 vs 0.001.  An exact
  deterministic equivalent for the GD filter (contour integral of two-ridge equivalents) is not
  implemented: its quadrature needs ~lr t w_max nodes per dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harmonics._infra.checks import check_dimension, check_int, check_real
from harmonics._infra.results import ResultMixin

from .learning_curve import (
    _check_energies,
    _check_samples,
    _eigenlearning,
    _log_spectrum,
)
from .regression import sem_over_seeds

MAX_STEPS_ENTRIES = 10**4


def _check_steps(steps) -> np.ndarray:
    if isinstance(steps, (str, bytes, bool, np.bool_)):
        raise TypeError(f"steps must be an integer >= 0 or an array of them, got {steps!r}")
    try:
        arr = np.atleast_1d(np.asarray(steps, dtype=float))
    except (TypeError, ValueError) as exc:
        raise TypeError("steps must be an integer >= 0 or a 1-D array of them") from exc
    if np.asarray(steps).dtype == bool:
        raise TypeError("steps must be integers, not booleans")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"steps must be a non-empty 1-D array of integers, got shape {arr.shape}")
    if arr.size > MAX_STEPS_ENTRIES:
        raise ValueError(f"steps has {arr.size} entries; at most {MAX_STEPS_ENTRIES}")
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise ValueError("steps must be finite integers (numbers of GD steps)")
    if np.any(arr < 0):
        raise ValueError(f"steps must be >= 0, got {float(arr.min()):g}")
    if np.any(arr > 1e15):
        raise ValueError("steps must be <= 1e15")
    return arr


@dataclass(frozen=True, repr=False)
class GDLearningCurve(ResultMixin):
    """Predicted test/train error of early-stopped GD (:mod:`gd_operator.early_stopping`).

    Attributes (T = len(steps), M = len(samples))
    ----------
    n, lr, noise (sigma^2) : inputs;  samples : [M] P;  steps : [T] t
    effective_ridge : [T, M] P/(lr t) (+inf at t = 0)
    kappa : [T, M] eigenlearning's effective regularization at that ridge
    test_mse : [T, M] vs the noiseless target (no train error: the ridge stand-in's train error
        is not GD's -- off by 10-30 % mid-run and orders of magnitude once GD interpolates --
        so none is offered; the simulation measures it)
    population_mse : [T] the P -> oo limit sum_k (1 - lr mu_k)^{2t} v_k (gd_operator.predict)
    """

    n: int
    lr: float
    noise: float
    samples: np.ndarray
    steps: np.ndarray
    effective_ridge: np.ndarray = field(repr=False)
    kappa: np.ndarray = field(repr=False)
    test_mse: np.ndarray = field(repr=False)
    population_mse: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"GDLearningCurve(n={self.n}, lr={self.lr:g}, {self.steps.size} step counts, "
            f"P in [{self.samples.min():g}, {self.samples.max():g}], noise={self.noise:g})"
        )


def gd_learning_curve(
    spectrum, n: int, target_energies, samples, lr, steps, *, noise=0.0, tail_trace=0.0
) -> GDLearningCurve:
    """Approximate test error of full-batch GD after t steps on P samples (module docs).

    Parameters
    ----------
    spectrum : mu_0..mu_kmax (array or ``(sign, log_abs)``), as for :func:`learning_curve`.
    n : int >= 2;  target_energies : [kmax+1] v_k;  samples : P >= 0 (number or 1-D array).
    lr : step size > 0 (on the loss (1/2P) sum (f(x_i) - y_i)^2; the population limit is
        :func:`gd_operator.predict` with the same lr).
    steps : integer t >= 0 or a 1-D array of them (<= 1e4 entries).
    noise : label-noise variance sigma^2;  tail_trace : as for :func:`learning_curve`.

    Returns
    -------
    :class:`GDLearningCurve`: eigenlearning at the effective ridge P/(lr t) (an approximation).

    >>> gd = gd_learning_curve([1.0, 0.1], 3, [0.0, 1.0], [10**9], lr=1.0, steps=[0, 10, 100])
    >>> [round(float(x), 4) for x in gd.test_mse[:, 0]]  # P -> oo: (1 + lr t mu)^(-2)
    [1.0, 0.25, 0.0083]
    >>> [round(float(x), 4) for x in gd.population_mse]  # GD itself: (1 - lr mu)^(2t)
    [1.0, 0.1216, 0.0]
    """
    from .predict import predict

    n = check_dimension(n)
    lr = check_real(lr, "lr", positive=True)
    noise = check_real(noise, "noise", nonnegative=True)
    tail_trace = check_real(tail_trace, "tail_trace", nonnegative=True)
    pos, logmu = _log_spectrum(spectrum)
    v = _check_energies(target_energies, logmu.size)
    P = _check_samples(samples)
    t = _check_steps(steps)
    T, M = t.size, P.size
    with np.errstate(divide="ignore", invalid="ignore"):
        ridge = np.where(t[:, None] == 0, math.inf, P[None, :] / (lr * t[:, None]))  # [T, M]
    test = np.empty((T, M))
    kappa = np.empty((T, M))
    live = t > 0
    if np.any(live):
        Pg = np.broadcast_to(P[None, :], (T, M))[live].ravel()
        out = _eigenlearning(pos, logmu, n, v, Pg, ridge[live].ravel(), noise, tail_trace)
        test[live] = out["test_mse"].reshape(-1, M)
        kappa[live] = out["kappa"].reshape(-1, M)
    test[~live] = float(v.sum())  # f_0 = 0
    kappa[~live] = math.inf
    mu = np.where(pos, np.exp(np.where(pos, logmu, 0.0)), 0.0)
    if float(lr * mu.max()) > 2.0:
        raise ValueError(
            f"lr = {lr:g} makes GD diverge on degree {int(np.argmax(mu))} (lr mu_k = "
            f"{lr * mu.max():.3g} > 2); the population limit needs lr <= {2 / mu.max():.3g}"
        )
    pop = predict(v, mu, lr, t.astype(np.int64)).total
    return GDLearningCurve(
        n=n,
        lr=lr,
        noise=noise,
        samples=P,
        steps=t.astype(np.int64),
        effective_ridge=ridge,
        kappa=kappa,
        test_mse=test,
        population_mse=np.asarray(pop, dtype=float),
    )


# ---------------------------------------------------------------------------- simulation
@dataclass(frozen=True, repr=False)
class KernelGDRegression(ResultMixin):
    """Measured errors of full-batch kernel GD on P points (:func:`kernel_gd_regression`).

    Attributes
    ----------
    n, activation, train, init, lr, noise : the problem;  samples : [M] P;  steps : [T] t
    seeds;  degrees, amplitudes, target_energies : the ridge target (first seed's energies)
    test_mse, train_mse : [seeds, M, T] GD after t steps (test exact by Funk-Hecke, K2
        truncated at kmax as in :func:`gd_operator.kernel_regression`)
    ridge_test_mse : [seeds, M, T] kernel ridge regression on the same points and labels with
        the effective ridge P/(lr t) (the theory's stand-in), to separate the filter
        approximation from eigenlearning's finite-n error
    """

    n: int
    activation: str
    train: str
    init: str
    lr: float
    noise: float
    samples: np.ndarray
    steps: np.ndarray
    seeds: int
    degrees: tuple
    amplitudes: tuple
    target_energies: np.ndarray = field(repr=False)
    test_mse: np.ndarray = field(repr=False)
    train_mse: np.ndarray = field(repr=False)
    ridge_test_mse: np.ndarray = field(repr=False)

    @property
    def test_mean(self) -> np.ndarray:
        """[M, T] mean over seeds."""
        return self.test_mse.mean(axis=0)

    @property
    def test_sem(self) -> np.ndarray:
        """[M, T] standard error of the mean over seeds (NaN for one seed)."""
        return sem_over_seeds(self.test_mse)

    def __repr__(self) -> str:
        return (
            f"KernelGDRegression(n={self.n}, {self.activation}, lr={self.lr:g}, "
            f"P={list(map(int, self.samples))}, {self.steps.size} step counts, seeds={self.seeds})"
        )


def kernel_gd_regression(
    activation,
    n: int,
    samples,
    lr,
    steps,
    *,
    degrees=(1, 2),
    amplitudes=None,
    train: str = "output",
    init: str = "sphere",
    bias=None,
    noise=0.0,
    seeds: int = 5,
    rng=0,
    kmax: int = 60,
    max_points: int = 3000,
) -> KernelGDRegression:
    """Simulate full-batch kernel GD (module docstring) and measure its errors after each t.

    Draws as :func:`gd_operator.kernel_regression` (points, ridge target, labels per seed); the
    GD iterate at every t in ``steps`` is the exact filter alpha_t = V diag(h_t(w/P)/w) V^T y
    (no iteration, so t up to 1e15 costs the same); the test error is exact (Funk-Hecke, K2
    truncated at ``kmax``).  Raises ValueError naming lr when lr w_max/P > 2 (GD diverges on
    the sample).  P <= ``max_points`` (default 3000), checked before allocating.
    """
    from harmonics import sample_sphere
    from harmonics._infra.rng import as_generator

    from .kernels import kernel
    from .regression import _error_forms
    from .spectrum import spectrum as _spectrum
    from .targets import ridge_target

    n = check_dimension(n)
    lr = check_real(lr, "lr", positive=True)
    noise = check_real(noise, "noise", nonnegative=True)
    seeds = check_int(seeds, "seeds", 1, 10_000)
    kmax = check_int(kmax, "kmax", 0, 2000)
    max_points = check_int(max_points, "max_points", 1)
    t = _check_steps(steps)
    P_list = [
        check_int(p, "samples[j]", 1) for p in np.atleast_1d(np.asarray(samples, dtype=object))
    ]
    if not P_list:
        raise ValueError("samples must contain at least one training-set size")
    if max(P_list) > max_points:
        raise ValueError(f"samples: P = {max(P_list)} exceeds max_points = {max_points}")
    if max(P_list) * max(n, kmax + 1) > 5 * 10**7:
        raise ValueError(f"samples x n: P = {max(P_list)}, n = {n} exceed 5e7 point entries")
    kw = dict(train=train, init=init, bias=bias)
    kernel(activation, n, 1.0, **kw)  # validates the kernel options before any work
    if max(int(k) for k in degrees) > kmax:
        raise ValueError(f"kmax = {kmax} must be >= max(degrees)")
    mu = np.asarray(_spectrum(activation, n, kmax, **kw), dtype=float)
    gen = as_generator(rng)
    M, T = len(P_list), t.size
    tst = np.empty((seeds, M, T))
    trn = np.empty((seeds, M, T))
    rdg = np.empty((seeds, M, T))
    target0 = energies = None
    for s in range(seeds):
        target = ridge_target(n, degrees, amplitudes, rng=gen)
        if target0 is None:
            target0 = target
            energies = target.energies(target.max_degree)
        for j, P in enumerate(P_list):
            X = sample_sphere(P, n, rng=gen)
            y = target(X) + math.sqrt(noise) * gen.standard_normal(P)
            K = kernel(activation, n, np.clip(X @ X.T, -1.0, 1.0), **kw)
            w, V = np.linalg.eigh(K)
            w = np.maximum(w, 0.0)
            if lr * float(w.max()) / P > 2.0:
                raise ValueError(
                    f"lr = {lr:g} diverges on this sample (lr w_max/P = "
                    f"{lr * float(w.max()) / P:.3g} > 2); use lr <= {2 * P / float(w.max()):.3g}"
                )
            K2, b, norm2 = _error_forms(X, target, mu, n)
            A = V.T @ K2 @ V  # the test quadratic form in K's eigenbasis
            bt = V.T @ b
            c = V.T @ y
            tiny = w <= P * np.finfo(float).eps * max(float(w.max()), 1e-300)
            x = lr * w / P
            for i, ti in enumerate(t):
                # h_t(x)/w = (1 - (1 - x)^t)/w, as -expm1(t log1p(-x))/w (accurate at small x)
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    h = -np.expm1(ti * np.log1p(-np.minimum(x, 2.0)))
                    h = np.where(x >= 1.0, 1.0 - (1.0 - x) ** ti, h)
                    g = np.where(tiny, lr * ti / P, h / np.where(tiny, 1.0, w))
                coef = c * g
                tst[s, j, i] = norm2 - 2.0 * float(bt @ coef) + float(coef @ A @ coef)
                fit = w * coef  # V^T K alpha
                trn[s, j, i] = float(np.sum((fit - c) ** 2)) / P
                if ti == 0:
                    rdg[s, j, i] = norm2
                    continue
                cr = c / (w + P / (lr * ti))
                rdg[s, j, i] = norm2 - 2.0 * float(bt @ cr) + float(cr @ A @ cr)
    label = (
        activation if isinstance(activation, str) else getattr(activation, "name", repr(activation))
    )
    return KernelGDRegression(
        n=n,
        activation=str(label),
        train=str(train),
        init=str(init),
        lr=lr,
        noise=noise,
        samples=np.array(P_list, dtype=np.int64),
        steps=t.astype(np.int64),
        seeds=seeds,
        degrees=tuple(target0.degrees),
        amplitudes=tuple(target0.amplitudes),
        target_energies=np.asarray(energies, dtype=float),
        test_mse=tst,
        train_mse=trn,
        ridge_test_mse=rdg,
    )


__all__ = ["GDLearningCurve", "KernelGDRegression", "gd_learning_curve", "kernel_gd_regression"]
