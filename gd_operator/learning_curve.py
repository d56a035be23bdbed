"""Learning curves of kernel (ridge) regression on S^{n-1} from the kernel's spectrum.

The omniscient-risk / eigenlearning theory (Bordelon, Canatar & Pehlevan, ICML 2020; Canatar,
Bordelon & Pehlevan, Nat. Commun. 12, 2914 (2021); Simon, Dickens, Karkada & DeWeese 2021,
"The eigenlearning framework", arXiv:2110.03922) predicts the test and train error of kernel
ridge regression with P i.i.d. uniform samples from the kernel's eigenvalues alone.  For a
dot-product kernel on S^{n-1} the eigenvalue mu_k on H_k has multiplicity N(n,k) (uniform
probability measure, P_{k,n}(1) = 1; docs/conventions.md, "Learning curves"):

* the predictor is f_hat(x) = k(x)^T (K + ridge I)^{-1} y with the unnormalized P x P Gram
  matrix K_ij = K(<x_i, x_j>) and labels y_i = f*(x_i) + eps_i, Var eps_i = noise (= sigma^2);
* the effective regularization kappa > 0 solves

      sum_k N(n,k) mu_k / (mu_k + kappa) + ridge / kappa = P;

* the learnability of degree k is L_k = mu_k / (mu_k + kappa) (the fraction of a degree-k
  target the mean predictor recovers); dof = sum_k N(n,k) L_k;
* the overfitting factor is E0 = P / (P - sum_k N(n,k) L_k^2), evaluated without cancellation
  as P / (ridge/kappa + sum_k N(n,k) L_k (1 - L_k));
* test error against the noiseless target (v_k = ||Pi_k f*||^2):

      test_mse = E0 sum_k (1 - L_k)^2 v_k + (E0 - 1) sigma^2

  (add sigma^2 for the error on fresh noisy labels: ``test_mse_noisy``);
* train error on the noisy training labels, (1/P) sum_i (f_hat(x_i) - y_i)^2:

      train_mse = (ridge / (P kappa))^2 E0 (sum_k (1 - L_k)^2 v_k + sigma^2)

  (Canatar et al. 2021, Methods, "training error"; Simon et al. 2021, eq. for the train MSE).
  Derivation: the training residual is y - K(K + ridge I)^{-1} y = ridge (K + ridge I)^{-1} y,
  and the theory's deterministic equivalent (K + ridge I)^{-1} ~ (P kappa)^{-1}
  (I - K-projection) gives (ridge/(P kappa))^2 times the test error on noisy labels.  Note
  ridge/(P kappa) = 1 - dof/P.  Checked against simulated kernel regression in
  tests/test_learning_curve.py.

Ridgeless (ridge = 0).  Let R = sum_{k: mu_k > 0} N(n,k) be the rank of the (truncated)
kernel.  For P < R, kappa > 0 solves the equation with ridge = 0 and train_mse = 0
(interpolation).  For P >= R there is no positive solution: the returned kappa is 0 (the limit
ridge -> 0+), L_k = 1 on every degree with mu_k > 0, E0 = P/(P - R) (+inf at P = R), and
train_mse = (1 - R/P)(sum_k (1 - L_k)^2 v_k + sigma^2), the ridge -> 0 limit (ridge/kappa ->
P - R), which is the least-squares residual on R features.  P = 0 gives kappa = +inf, L = 0,
E0 = 1, test_mse = sum_k v_k and train_mse = NaN (no training points).  At P = R, E0 = +inf
and test_mse is +inf, except 0 when the target lies in the kernel's span and noise = 0.

Truncation.  Degrees above kmax count as mu_k = 0 (they are not in the rank).  The eigenvalues
of a truncated tail with mu_k << kappa act as an extra ridge: pass their trace
``tail_trace = sum_{k > kmax} N(n,k) mu_k = K(1) - sum_{k <= kmax} N(n,k) mu_k``; it is added to
the ridge in the kappa equation and in E0, not in the train error's ridge/(P kappa) (the tail's
diagonal sits in the fitted values on the training points).

Numerics.  Everything runs in log space from the exact integer multiplicities: log N(n,k) =
math.log of the exact Python int (any size, 10^300 and beyond), log mu_k from a ``(sign,
log_abs)`` pair (``gd_operator.spectrum(..., log=True)``) down to far below 1e-300.  The
equation is solved for s = log kappa: G(s) = log(sum_k N mu_k/(mu_k + e^s) + ridge e^{-s}) -
log P is strictly decreasing, with the analytic bracket
s_hi = log(sum_k N mu_k + ridge) - log P (G <= 0) and s_lo = log(ridge) - log P (ridge > 0) or
log(mu_min) + log(R - P) - log P (ridge = 0, P < R) (G >= 0), widened by 1; Newton steps on G
safeguarded by bisection, vectorized over all P, until |ds| <= 4 ulp(s) or |G| is at its
rounding level 8 eps (1 + |log P|) (relative accuracy of kappa ~1e-15 max(1, |log kappa|) /
|dG/ds|, dG/ds in [-1, 0); measured <= 1e-13 against a 60-digit solution).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from harmonics import dim_harmonics
from harmonics._infra.checks import check_dimension, check_real
from harmonics._infra.results import ResultMixin

MAX_ITER = 400


@functools.lru_cache(maxsize=64)
def _log_multiplicities(n: int, kmax: int) -> tuple:
    """(log N(n,k) for k = 0..kmax, exact Python-int N(n,k)) -- logs of exact integers."""
    ints = tuple(dim_harmonics(n, k) for k in range(kmax + 1))
    return tuple(math.log(N) for N in ints), ints


def log_multiplicities(n: int, kmax: int) -> np.ndarray:
    """log N(n,k), k = 0..kmax, from the exact integers (finite for N far above 1e308)."""
    n = check_dimension(n)
    return np.array(_log_multiplicities(n, int(kmax))[0])


def _log_spectrum(spectrum, name: str = "spectrum"):
    """Return (positive mask, log mu) from an array mu_0..mu_K or a ``(sign, log_abs)`` pair."""
    if isinstance(spectrum, tuple):
        if len(spectrum) != 2:
            raise ValueError(
                f"{name} given as a tuple must be a (sign, log_abs) pair, got {len(spectrum)} items"
            )
        try:
            sign = np.asarray(spectrum[0], dtype=float)
            logabs = np.asarray(spectrum[1], dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} (sign, log_abs) must hold real numbers") from exc
        if sign.ndim != 1 or logabs.shape != sign.shape or sign.size == 0:
            raise ValueError(
                f"{name} (sign, log_abs) must be two non-empty 1-D arrays of equal length, got "
                f"shapes {sign.shape} and {logabs.shape}"
            )
        if np.any(np.isnan(sign)) or np.any(np.isnan(logabs)):
            raise ValueError(f"{name} contains NaN")
        if np.any(~np.isin(sign, (-1.0, 0.0, 1.0))):
            raise ValueError(f"{name} signs must be -1, 0 or 1")
        if np.any(sign < 0):
            k = int(np.flatnonzero(sign < 0)[0])
            raise ValueError(
                f"{name} must be >= 0 (a positive semi-definite kernel); mu_{k} is negative"
            )
        pos = sign > 0
        if np.any(np.isposinf(logabs[pos])) or np.any(np.isneginf(logabs[pos])):
            raise ValueError(f"{name} log_abs must be finite where sign is 1")
        logmu = np.where(pos, logabs, -np.inf)
        return pos, logmu
    if isinstance(spectrum, (str, bytes)) or isinstance(spectrum, bool):
        raise TypeError(f"{name} must be an array of eigenvalues or a (sign, log_abs) pair")
    try:
        mu = np.asarray(spectrum, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be an array of eigenvalues mu_0..mu_kmax or a (sign, log_abs) pair"
        ) from exc
    if mu.ndim != 1 or mu.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array (mu_k for k = 0..kmax)")
    if np.any(np.isnan(mu)):
        raise ValueError(f"{name} contains NaN")
    if np.any(np.isinf(mu)):
        raise ValueError(f"{name} must be finite")
    if np.any(mu < 0):
        k = int(np.flatnonzero(mu < 0)[0])
        raise ValueError(f"{name} must be >= 0 (a positive semi-definite kernel); mu_{k} < 0")
    pos = mu > 0
    with np.errstate(divide="ignore"):
        logmu = np.log(mu)
    return pos, logmu


def _check_energies(v, size: int) -> np.ndarray:
    if isinstance(v, (str, bytes, bool)):
        raise TypeError("target_energies must be an array of real numbers")
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError("target_energies must be an array of real numbers") from exc
    if arr.ndim != 1:
        raise ValueError(
            f"target_energies must be 1-D (v_k for k = 0..kmax), got shape {arr.shape}"
        )
    if arr.size != size:
        raise ValueError(
            f"target_energies has {arr.size} entries but spectrum has {size} (k = 0..{size - 1})"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("target_energies must be finite (no NaN or inf)")
    if np.any(arr < 0):
        k = int(np.flatnonzero(arr < 0)[0])
        raise ValueError(f"target_energies must be >= 0 (energies ||Pi_k f*||^2); v_{k} < 0")
    return arr


def _check_samples(samples) -> np.ndarray:
    if isinstance(samples, (str, bytes, bool, np.bool_)):
        raise TypeError(f"samples must be a number or an array of numbers >= 0, got {samples!r}")
    try:
        arr = np.asarray(samples, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError("samples must be a number or an array of numbers >= 0") from exc
    if np.asarray(samples).dtype == bool:
        raise TypeError("samples must be numbers, not booleans")
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"samples must be a number or a 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("samples must be finite (no NaN or inf)")
    if np.any(arr < 0):
        raise ValueError(f"samples (P) must be >= 0, got {float(arr.min())}")
    return arr


def _logsumexp(a: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=axis)) + np.squeeze(m, axis=axis)
    return out


def _log_diff_int_float(R: int, p: float) -> float:
    """log(R - p) for an exact int R > p >= 0 of any size."""
    fl = math.floor(p)
    d = R - int(fl)  # exact integer >= 1
    frac = p - fl
    if d == 1:
        return math.log1p(-frac) if frac else 0.0
    return math.log(d) + math.log1p(-frac / d) if d < 2**1000 else math.log(d)


def solve_log_kappa(a, logmu, logP, log_ridge, s_lo, s_hi):
    """Solve G(s) = LSE_k(a_k - logaddexp(logmu_k, s), log_ridge - s) - logP = 0 for s, per P.

    a [K] = log N_k + log mu_k (positive degrees only), logmu [K]; logP, s_lo, s_hi [M];
    log_ridge a number or [M].
    Safeguarded Newton: the Newton step is taken when it stays inside the current
    bracket, else bisection.  Returns s [M].
    """
    lo = np.array(s_lo, dtype=float)
    hi = np.array(s_hi, dtype=float)
    log_ridge = np.broadcast_to(np.asarray(log_ridge, dtype=float), lo.shape)
    # a good start: the large-kappa asymptote G ~ log(T + ridge) - s - logP is s_hi - 1
    s = np.clip(hi - 1.0, lo, hi)
    active = np.ones(s.shape, bool)
    for _ in range(MAX_ITER):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        sa = s[idx][:, None]
        la = np.logaddexp(logmu[None, :], sa)  # log(mu + kappa)
        terms = a[None, :] - la
        rterm = (log_ridge[idx] - s[idx])[:, None]
        allt = np.concatenate([terms, rterm], axis=1)
        lse = _logsumexp(allt, axis=1)
        g = lse - logP[idx]
        w = np.exp(allt - lse[:, None])
        q = np.exp(sa - la)  # kappa / (mu + kappa)
        dg = -(np.sum(w[:, :-1] * q, axis=1) + w[:, -1])
        # update the bracket (G decreasing)
        pos = g > 0
        lo[idx] = np.where(pos, s[idx], lo[idx])
        hi[idx] = np.where(pos, hi[idx], s[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = s[idx] - g / dg
        ok = np.isfinite(newton) & (newton >= lo[idx]) & (newton <= hi[idx])
        new = np.where(ok, newton, 0.5 * (lo[idx] + hi[idx]))
        new = np.where(g == 0, s[idx], new)
        step = np.abs(new - s[idx])
        tol = 4 * np.spacing(np.maximum(np.abs(new), 1.0))
        # |G| at its rounding level (a few eps of the logs summed) is as converged as it gets
        flat = np.abs(g) <= 8 * np.finfo(float).eps * (1.0 + np.abs(logP[idx]))
        done = (step <= tol) | flat | (hi[idx] - lo[idx] <= 16 * tol)
        s[idx] = new
        active[idx[done]] = False
    else:  # pragma: no cover - bisection halves a finite bracket: 400 halvings always suffice
        raise RuntimeError("learning_curve: the kappa equation did not converge")
    return s


@dataclass(frozen=True, repr=False)
class LearningCurve(ResultMixin):
    """Predicted learning curve of kernel ridge regression (see :mod:`gd_operator.learning_curve`).

    Shapes: M = len(samples), K = kmax.

    Attributes
    ----------
    n : ambient dimension;  samples : [M] P (numbers of training points)
    ridge, noise (sigma^2), tail_trace : inputs
    log_spectrum : [K+1] log mu_k (-inf where mu_k = 0);  target_energies : [K+1] v_k
    kappa : [M] effective regularization (0 ridgeless at P >= rank, +inf at P = 0; underflows
        to 0 below ~1e-308: use log_kappa);  log_kappa : [M] natural log of kappa (finite there)
    learnability : [M, K+1] L_k = mu_k/(mu_k + kappa)
    dof : [M] sum_k N(n,k) L_k (effective degrees of freedom)
    e0 : [M] overfitting factor P/(P - sum_k N(n,k) L_k^2)
    test_mse : [M] E0 sum_k (1-L_k)^2 v_k + (E0 - 1) sigma^2 (vs the noiseless target)
    train_mse : [M] (ridge/(P kappa))^2 E0 (sum_k (1-L_k)^2 v_k + sigma^2) (noisy labels)
    rank : sum_{mu_k > 0} N(n,k) as a float (inf beyond float range)
    test_mse_by_degree : [M, K+1] the test error split by degree, ||Pi_k (f_hat - f*)||^2:
        (1 - L_k)^2 v_k + (N(n,k) L_k^2 / sum_j N(n,j) L_j^2) (E0 - 1)(sum_j (1 - L_j)^2 v_j +
        sigma^2) -- the mean predictor's bias on degree k plus degree k's share of the variance
        (the eigenlearning per-mode error, Canatar et al. 2021 eq. (4); rows sum to test_mse;
        not E0 (1 - L_k)^2 v_k, which puts the whole variance on the target's degrees)

    ``test_mse_noisy`` = test_mse + sigma^2; ``to_dict()``, ``to_json()``, ``save``, ``load``.
    """

    n: int
    samples: np.ndarray
    ridge: float
    noise: float
    tail_trace: float
    log_spectrum: np.ndarray = field(repr=False)
    target_energies: np.ndarray = field(repr=False)
    kappa: np.ndarray = field(repr=False)
    log_kappa: np.ndarray = field(repr=False)
    learnability: np.ndarray = field(repr=False)
    dof: np.ndarray = field(repr=False)
    e0: np.ndarray = field(repr=False)
    test_mse: np.ndarray = field(repr=False)
    train_mse: np.ndarray = field(repr=False)
    rank: float = math.inf
    test_mse_by_degree: np.ndarray | None = field(default=None, repr=False)

    @property
    def kmax(self) -> int:
        return self.log_spectrum.size - 1

    @property
    def test_mse_noisy(self) -> np.ndarray:
        """[M] expected error on fresh noisy labels, test_mse + sigma^2."""
        return self.test_mse + self.noise

    def __repr__(self) -> str:
        P = self.samples
        return (
            f"LearningCurve(n={self.n}, kmax={self.kmax}, P in [{P.min():g}, {P.max():g}] "
            f"({P.size} values), ridge={self.ridge:g}, noise={self.noise:g}, "
            f"test_mse in [{np.nanmin(self.test_mse):.3g}, {np.nanmax(self.test_mse):.3g}])"
        )


def learning_curve(
    spectrum, n: int, target_energies, samples, *, ridge=0.0, noise=0.0, tail_trace=0.0
) -> LearningCurve:
    """Eigenlearning prediction of the test/train error of kernel ridge regression on S^{n-1}.

    Parameters
    ----------
    spectrum : array mu_0..mu_kmax (>= 0) or a ``(sign, log_abs)`` pair as returned by
        ``gd_operator.spectrum(..., log=True)``; mu_k is the kernel's eigenvalue on H_k
        (multiplicity N(n,k), uniform probability measure).  Degrees above kmax count as 0.
    n : int >= 2, ambient dimension.
    target_energies : [kmax+1] v_k = ||Pi_k f*||^2 >= 0.
    samples : P >= 0 (number or 1-D array; need not be integer -- the theory is smooth in P).
    ridge : >= 0, the ridge in f_hat = k(x)^T (K + ridge I)^{-1} y (unnormalized Gram matrix).
    noise : >= 0, the label-noise variance sigma^2.
    tail_trace : >= 0, sum_{k > kmax} N(n,k) mu_k of the omitted degrees (acts as a ridge).

    Returns
    -------
    :class:`LearningCurve` (formulas and the ridgeless / P = 0 conventions: module docstring).

    >>> lc = learning_curve([1.0, 0.1, 0.01], 3, [0.0, 1.0, 0.0], [0, 9, 1000], ridge=0.0)
    >>> [round(float(x), 6) for x in lc.test_mse]  # P = 0: nothing learned; P >= rank 1+3+5
    [1.0, 0.0, 0.0]
    """
    n = check_dimension(n)
    ridge = check_real(ridge, "ridge", nonnegative=True)
    noise = check_real(noise, "noise", nonnegative=True)
    tail_trace = check_real(tail_trace, "tail_trace", nonnegative=True)
    pos, logmu = _log_spectrum(spectrum)
    v = _check_energies(target_energies, logmu.size)
    P = _check_samples(samples)
    out = _eigenlearning(pos, logmu, n, v, P, np.full(P.size, ridge), noise, tail_trace)
    return LearningCurve(
        n=n,
        samples=P,
        ridge=ridge,
        noise=noise,
        tail_trace=tail_trace,
        log_spectrum=logmu,
        target_energies=v,
        **out,
    )


def _eigenlearning(pos, logmu, n, v, P, ridge, noise, tail_trace) -> dict:
    """The eigenlearning quantities for validated inputs, one ridge per P (ridge [M] >= 0).

    Returns a dict of the LearningCurve arrays kappa, log_kappa, learnability, dof, e0,
    test_mse, train_mse and rank.
    """
    kmax = logmu.size - 1
    logN_all, N_int = _log_multiplicities(n, kmax)
    logN_all = np.asarray(logN_all)
    M = P.size
    K1 = kmax + 1

    delta = ridge + tail_trace  # [M] the ridge of the kappa equation
    with np.errstate(divide="ignore"):
        log_delta = np.log(delta)
    idx = np.flatnonzero(pos)
    lm = logmu[idx]
    a = logN_all[idx] + lm
    R = sum(N_int[k] for k in idx)  # exact rank
    rank_f = float(R) if R < 2**1023 else math.inf

    s = np.full(M, np.nan)
    zero = P == 0
    under = np.array([float(p) >= R for p in P], dtype=bool) & ~zero & (delta == 0)
    solve = ~zero & ~under
    if idx.size == 0:
        # zero kernel, no ridge: nothing is learned (kappa = 0 below)
        under = ~zero & (delta == 0)
        solve = solve & ~under
    if np.any(solve):
        Ps = P[solve]
        logP = np.log(Ps)
        ld = log_delta[solve]
        la_sum = float(_logsumexp(a[None, :], axis=1)[0]) if idx.size else -math.inf
        s_hi = np.logaddexp(la_sum, ld) - logP + 1.0
        lmin = float(lm.min()) if idx.size else 0.0
        s_lo = np.array(
            [
                d - lp - 1.0 if d > -math.inf else lmin + _log_diff_int_float(R, float(p)) - lp - 1
                for d, p, lp in zip(ld, Ps, logP, strict=True)
            ]
        )
        s[solve] = solve_log_kappa(a, lm, logP, ld, s_lo, s_hi)
    s[zero] = math.inf
    s[under] = -math.inf
    kappa = np.exp(s)

    # learnabilities and their complements, in logs
    L = np.zeros((M, K1))
    log_one_minus = np.zeros((M, K1))  # log(1 - L_k); 0 where mu_k = 0
    if np.any(solve):
        ss = s[solve][:, None]
        la = np.logaddexp(lm[None, :], ss)
        L_s = np.zeros((int(solve.sum()), K1))
        lom = np.zeros((int(solve.sum()), K1))
        L_s[:, idx] = np.exp(lm[None, :] - la)
        lom[:, idx] = ss - la
        L[solve] = L_s
        log_one_minus[solve] = lom
    if np.any(under):
        L[np.ix_(under, idx)] = 1.0
        log_one_minus[np.ix_(under, idx)] = -np.inf
    bias = np.sum(np.exp(2 * log_one_minus) * v[None, :], axis=1)  # sum (1 - L)^2 v
    with np.errstate(divide="ignore"):
        logL = np.log(L)
    dof = np.exp(_logsumexp(logN_all[None, :] + logL, axis=1)) if K1 else np.zeros(M)

    e0 = np.ones(M)
    e0m1 = np.zeros(M)  # E0 - 1
    train_factor = np.full(M, np.nan)  # ridge / (P kappa)
    if np.any(solve):
        ss = s[solve]
        lN = logN_all[None, :]
        lL = logL[solve]
        lom = log_one_minus[solve]
        log_den = _logsumexp(
            np.concatenate([(log_delta[solve] - ss)[:, None], lN + lL + lom], axis=1), axis=1
        )
        log_sq = _logsumexp(lN + 2 * lL, axis=1)
        logP = np.log(P[solve])
        e0[solve] = np.exp(logP - log_den)
        e0m1[solve] = np.exp(log_sq - log_den)
        with np.errstate(divide="ignore"):
            log_r = np.log(ridge[solve])
        train_factor[solve] = np.exp(log_r - ss - logP)
    if np.any(under):
        Pu = P[under]
        with np.errstate(divide="ignore", invalid="ignore"):
            e0[under] = np.where(Pu > rank_f, Pu / (Pu - rank_f), math.inf)
            e0m1[under] = np.where(Pu > rank_f, rank_f / (Pu - rank_f), math.inf)
        if R == 0:
            e0[under], e0m1[under] = 1.0, 0.0
    with np.errstate(invalid="ignore"):
        test = np.where(bias > 0, e0 * bias, 0.0) + np.where(noise > 0, e0m1 * noise, 0.0)
        # the test error split by degree: the mean predictor's (1 - L_k)^2 v_k plus degree k's
        # share N(n,k) L_k^2 / sum_j N(n,j) L_j^2 of the variance (E0 - 1)(bias + sigma^2)
        # (so the degrees add up to test_mse)
        log_sq_all = _logsumexp(logN_all[None, :] + 2 * logL, axis=1)
        share = np.exp(logN_all[None, :] + 2 * logL - log_sq_all[:, None])
        share = np.where(np.isfinite(share), share, 0.0)
        var = np.where(bias + noise > 0, e0m1 * (bias + noise), 0.0)
        by_degree = np.exp(2 * log_one_minus) * v[None, :] + share * var[:, None]
        train = train_factor**2 * np.where(bias + noise > 0, e0 * (bias + noise), 0.0)
    if np.any(under):
        # the ridge -> 0+ limit (1 - R/P)(bias + sigma^2): least squares on R features
        Pu = P[under]
        train[under] = np.maximum(1.0 - rank_f / Pu, 0.0) * (bias[under] + noise)
    train[zero] = math.nan
    test[zero] = float(v.sum())
    by_degree[zero] = v
    return dict(
        test_mse_by_degree=by_degree,
        kappa=kappa,
        log_kappa=s,
        learnability=L,
        dof=dof,
        e0=e0,
        test_mse=test,
        train_mse=train,
        rank=rank_f,
    )


def _spectrum_tail(activation, n: int, spectrum, **kernel_options) -> float:
    """K(1) - sum_{k <= kmax} N(n,k) mu_k >= 0: the trace of the degrees a truncated spectrum
    omits (its ``tail_trace`` for :func:`learning_curve`), from the kernel's closed form
    ``gd_operator.kernel(activation, n, 1.0, **kernel_options)`` and exact multiplicities.
    Clipped at 0 (rounding: ~1e-16 K(1) absolute)."""
    from .kernels import kernel

    pos, logmu = _log_spectrum(spectrum)
    logN = np.asarray(_log_multiplicities(n, logmu.size - 1)[0])
    head = float(np.sum(np.exp(logN[pos] + logmu[pos])))
    return max(float(kernel(activation, n, 1.0, **kernel_options)) - head, 0.0)


def staircase(
    activation,
    n_values,
    degrees=(1, 2, 3),
    *,
    kmax: int | None = None,
    ridge=0.0,
    noise=0.0,
    train: str = "both",
    init: str = "gaussian",
    exponents=None,
    plot: bool = True,
    ax=None,
):
    """Test error vs log P / log n for several n: the staircase of kernel regression.

    For each n, the kernel ``spectrum(activation, n, kmax, train=, init=, log=True)`` and a
    target of unit energy on each of ``degrees`` give :func:`learning_curve` on the grid
    P = n^x, x in ``exponents`` (default 200 values in [0, max(degrees) + 1]).  As n grows the
    curve develops plateaus ending near P ~ sum_{k <= l} N(n,k) ~ n^l / l!, where degree l is
    learned (dotted lines when plotted).  ``kmax`` defaults to max(degrees) + 8; the degrees
    above it enter as their trace (``tail_trace`` = K(1) - sum_{k <= kmax} N(n,k) mu_k, an
    extra ridge: ``spectrum_tail``).

    Returns
    -------
    (exponents, {n: LearningCurve}, ax) -- ax is None when ``plot`` is False.
    """
    from harmonics._infra.checks import check_bool, check_int

    from .spectrum import spectrum as _spectrum

    plot = check_bool(plot, "plot")
    if isinstance(degrees, (str, bytes)) or not hasattr(degrees, "__iter__"):
        raise TypeError(f"degrees must be a sequence of integers >= 0, got {degrees!r}")
    degrees = tuple(check_int(k, "degrees[j]", 0) for k in degrees)
    if not degrees or min(degrees) < 0:
        raise ValueError("degrees must be a non-empty sequence of degrees >= 0")
    kmax = max(degrees) + 8 if kmax is None else check_int(kmax, "kmax", 0)
    if kmax < max(degrees):
        raise ValueError(f"kmax = {kmax} must be >= max(degrees) = {max(degrees)}")
    x = (
        np.linspace(0.0, max(degrees) + 1.0, 200)
        if exponents is None
        else np.asarray(exponents, float)
    )
    curves = {}
    if isinstance(n_values, (str, bytes)) or not hasattr(n_values, "__iter__"):
        raise TypeError(f"n_values must be a sequence of dimensions n >= 2, got {n_values!r}")
    for n in n_values:
        try:
            n = check_dimension(n)
            if n > 10**15:  # the eigenvalues' limit (harmonics.funk_hecke_eigenvalues)
                raise ValueError(f"n must be <= 1e15, got {n}")
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"n_values: {exc}") from exc
        sp = _spectrum(activation, n, kmax, train=train, init=init, log=True)
        v = np.zeros(kmax + 1)
        v[list(degrees)] = 1.0
        tail = _spectrum_tail(activation, n, sp, train=train, init=init)
        curves[n] = learning_curve(
            sp, n, v, np.exp(x * math.log(n)), ridge=ridge, noise=noise, tail_trace=tail
        )
    if not plot:
        return x, curves, None
    from harmonics._infra.figures import new_axes

    _, ax = new_axes(ax)
    for n, lc in curves.items():
        (line,) = ax.plot(x, lc.test_mse, label=f"n = {n}")
        logN = np.array(_log_multiplicities(n, kmax)[0])
        for ell in sorted(set(degrees)):
            cum = float(_logsumexp(logN[None, : ell + 1], axis=1)[0]) / math.log(n)
            ax.axvline(cum, color=line.get_color(), ls=":", lw=0.8)
    ax.set_xlabel(r"$\log P / \log n$")
    ax.set_ylabel("test error (theory)")
    ax.set_title(f"{activation} kernel ({train}, {init}), ridge = {ridge:g}")
    ax.legend(fontsize="small")
    return x, curves, ax


__all__ = ["LearningCurve", "learning_curve", "log_multiplicities", "staircase"]
