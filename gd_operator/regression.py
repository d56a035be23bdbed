"""Simulated kernel ridge regression on S^{n-1}: the experiment :func:`learning_curve` predicts.

For each seed and each P: draw P points uniformly on S^{n-1} (``harmonics.sample_sphere``), a
target f* = ``gd_operator.ridge_target(n, degrees, amplitudes)`` (one per seed, shared by all P
of that seed), labels y = f*(X) + sqrt(noise) eps with eps ~ N(0, 1); build the unnormalized
Gram matrix K_ij = K(<x_i, x_j>) with :func:`gd_operator.kernel` (the kernel's closed form, the
same K(t) = sum_k N(n,k) mu_k P_{k,n}(t) whose eigenvalues :func:`gd_operator.spectrum`
returns); fit f_hat(x) = k(x)^T (K + ridge I)^{-1} y; measure

* train_mse = (1/P) sum_i (f_hat(x_i) - y_i)^2 on the noisy training labels;
* test_mse = ||f_hat - f*||^2 against the noiseless target (and, exactly, its split by degree
  ``test_mse_by_degree``, degrees 0..kmax) (as ``LearningCurve.test_mse``),
  either ``test="exact"`` (default) through Funk-Hecke: f_hat = sum_i alpha_i K(<x_i, .>), so
  ||f*||^2 - 2 <f_hat, f*> + ||f_hat||^2 with <f_hat, f*> = sum_{i,j} alpha_i c_j
  sqrt(N(n,k_j)) mu_{k_j} P_{k_j,n}(<x_i, u_j>) (exact) and ||f_hat||^2 = alpha^T K2 alpha,
  K2(t) = sum_{k <= kmax} N(n,k) mu_k^2 P_{k,n}(t) (the kernel composed with itself, truncated
  at ``kmax``: it misses sum_{k > kmax} ||Pi_k f_hat||^2 <= ||alpha||_1^2 sum_{k > kmax}
  N(n,k) mu_k^2, negligible once mu_k has decayed; mu_k from :func:`gd_operator.spectrum`), or
  ``test="montecarlo"``: the mean of (f_hat(x) - f*(x))^2 over ``test_points`` fresh uniform
  points (its sampling error adds to the scatter over seeds).

Solving.  K = V diag(w) V^T by ``numpy.linalg.eigh`` (K is symmetric positive semi-definite);
alpha = V diag(1/(w + ridge)) V^T y.  The numerical cutoff is c = P * eps * max(w) (eps the
float64 machine epsilon): with ridge > 0, min(w) + ridge <= c raises ValueError (K + ridge I is
numerically singular); with ridge = 0 the pseudo-inverse drops the eigenvalues w <= c (the
least-squares / minimum-norm interpolant, as ``numpy.linalg.pinv`` with rcond = P eps).
Near that cutoff alpha is huge and the exact test error's terms cancel: when the result falls
below twice their rounding (eps sum_k w_k |alpha|^T |P_k(G)| |alpha|), and that rounding is
above 1e-6 ||f*||^2, it has no correct digit and a ValueError says so (e.g. tanh, n = 3,
P >= 30 at ridge 0; use a small ridge).

Size limit.  The P x P Gram matrix and its eigenvectors take 16 P^2 bytes; P <= ``max_points``
(default 6000, ~0.6 GB) is checked before anything is allocated.  Test points are evaluated in
blocks of at most 2^22 kernel entries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harmonics import dim_harmonics, legendre, legendre_rows, sample_sphere
from harmonics._infra.checks import check_dimension, check_int, check_real
from harmonics._infra.results import ResultMixin
from harmonics._infra.rng import as_generator

from .kernels import kernel
from .spectrum import spectrum as _spectrum
from .targets import ridge_target

MAX_POINTS = 6000
_BLOCK = 2**22


def sem_over_seeds(values: np.ndarray) -> np.ndarray:
    """Standard error of the mean over axis 0 (the seeds): std(ddof=1) / sqrt(seeds); NaN for
    one seed.  Shape values.shape[1:].  The one definition for every simulated learning curve
    (KernelRegression, RandomFeaturesRegression, KernelGDRegression)."""
    s = values.shape[0]
    if s < 2:
        return np.full(values.shape[1:], np.nan)
    return values.std(axis=0, ddof=1) / math.sqrt(s)


@dataclass(frozen=True, repr=False)
class KernelRegression(ResultMixin):
    """Measured kernel ridge regression errors, one row per seed (:mod:`gd_operator.regression`).

    Attributes
    ----------
    n, activation (label), train, init : the kernel;  ridge, noise (sigma^2) : the problem
    samples : [M] P;  seeds : number of repetitions;  method : "exact" | "montecarlo" (the test
    error);  test_points : fresh points per Monte Carlo estimate
    degrees, amplitudes : the ridge target's terms;  target_energies : [max(degrees)+1] v_k
        (the exact energies of the first seed's target; for distinct degrees v_k = c_k^2)
    test_mse, train_mse : [seeds, M] per-seed measurements
    dropped : [seeds, M] eigenvalues dropped by the ridgeless pseudo-inverse (0 with a ridge)
    test_mse_by_degree : [seeds, M, kmax+1] ||Pi_k (f_hat - f*)||^2 for k <= kmax, exact by
        Funk-Hecke (test="exact"; NaN for "montecarlo"): alpha^T (N mu_k^2 P_k(G)) alpha - 2
        <Pi_k f_hat, f*> + v_k.  Rows sum to test_mse up to the energy of f_hat above kmax
        (the K2 truncation, identical in test_mse) and of f* above kmax (none for a ridge
        target with max(degrees) <= kmax).  Compare with ``LearningCurve.test_mse_by_degree``.

    Properties: ``test_mean``, ``test_sem``, ``train_mean``, ``train_sem`` (mean and standard
    error over seeds, [M]).
    """

    _layout = (
        "n",
        "activation",
        "train",
        "init",
        "ridge",
        "noise",
        "samples",
        "seeds",
        "test_points",
        "method",
        "degrees",
        "amplitudes",
        "target_energies",
        "test_mse",
        "train_mse",
        "dropped",
        "test_mse_by_degree",
        "test_mean",
        "test_sem",
        "train_mean",
        "train_sem",
    )

    n: int
    activation: str
    train: str
    init: str
    ridge: float
    noise: float
    samples: np.ndarray
    seeds: int
    test_points: int
    method: str
    degrees: tuple
    amplitudes: tuple
    target_energies: np.ndarray = field(repr=False)
    test_mse: np.ndarray = field(repr=False)
    train_mse: np.ndarray = field(repr=False)
    dropped: np.ndarray = field(repr=False)
    test_mse_by_degree: np.ndarray | None = field(default=None, repr=False)

    @property
    def test_mean(self) -> np.ndarray:
        return self.test_mse.mean(axis=0)

    @property
    def test_sem(self) -> np.ndarray:
        return sem_over_seeds(self.test_mse)

    @property
    def train_mean(self) -> np.ndarray:
        return self.train_mse.mean(axis=0)

    @property
    def train_sem(self) -> np.ndarray:
        return sem_over_seeds(self.train_mse)

    def __repr__(self) -> str:
        return (
            f"KernelRegression(n={self.n}, {self.activation}, train={self.train!r}, "
            f"init={self.init!r}, ridge={self.ridge:g}, noise={self.noise:g}, "
            f"P={list(map(int, self.samples))}, seeds={self.seeds})"
        )


def _solve(K: np.ndarray, y: np.ndarray, ridge: float):
    """alpha = (K + ridge I)^{-1} y (pseudo-inverse at ridge 0); returns (alpha, dropped)."""
    P = K.shape[0]
    w, V = np.linalg.eigh(K)
    wmax = max(float(w.max()), 0.0)
    cutoff = P * np.finfo(float).eps * wmax
    coef = V.T @ y
    if ridge > 0:
        d = w + ridge
        if float(d.min()) <= cutoff:
            raise ValueError(
                f"K + ridge I is numerically singular (min eigenvalue {float(d.min()):.3g} <= "
                f"P eps max(w) = {cutoff:.3g}); increase ridge or use ridge=0 (pseudo-inverse)"
            )
        return V @ (coef / d), 0
    keep = w > cutoff
    inv = np.zeros_like(w)
    inv[keep] = 1.0 / w[keep]
    return V @ (coef * inv), int(P - keep.sum())


def _exact_test_error(alpha, X, target, mu, n):
    """(||f_hat - f*||^2, [kmax+1] ||Pi_k (f_hat - f*)||^2) from Funk-Hecke (module docstring).

    Degree by degree: ||Pi_k f_hat||^2 = alpha^T (N(n,k) mu_k^2 P_{k,n}(G)) alpha,
    <Pi_k f_hat, f*> from the target's degree-k terms, ||Pi_k f*||^2 its energy; K2 (so the
    total's ||f_hat||^2) is truncated at len(mu) - 1, ||f*||^2 is exact.
    """
    G = np.clip(X @ X.T, -1.0, 1.0)
    kmax = len(mu) - 1
    quad = np.zeros(kmax + 1)
    weights = [dim_harmonics(n, k) * float(mu[k]) ** 2 for k in range(kmax + 1)]
    for k, row in legendre_rows(n, kmax, G):
        if weights[k]:
            quad[k] = weights[k] * float(alpha @ row @ alpha)
    cross = np.zeros(kmax + 1)
    for k, c, u in zip(target.degrees, target.amplitudes, target.directions, strict=True):
        t = np.clip(X @ u, -1.0, 1.0)
        cross[k] += (
            c * math.sqrt(dim_harmonics(n, k)) * float(mu[k]) * float(alpha @ legendre(n, k, t))
        )
    energies = np.zeros(kmax + 1)
    e = np.asarray(target.energies(target.max_degree), dtype=float)
    energies[: min(e.size, kmax + 1)] = e[: kmax + 1]
    by_degree = quad - 2.0 * cross + energies
    total = target.norm2() - 2.0 * float(cross.sum()) + float(quad.sum())
    # The terms cancel when alpha is huge (a ridgeless fit through eigenvalues near the
    # pseudo-inverse's cutoff).  Their rounding is ~eps sum_k w_k |alpha|^T |P_k| |alpha| (first
    # order, one rounding per product); a total below twice that means nothing (tanh, n = 3,
    # ridge 0: 5.95 at P = 30 where 80-bit arithmetic gives 29.4; -5.5e6 at P = 100), so it is
    # refused instead of returned.  At ridge 1e-8, P = 30 the same check passes with 7.78
    # (80-bit: 7.778).
    # (A floor far below ||f*||^2 is harmless: a near-perfect fit is then correct to 1e-6 of
    # the target's energy, e.g. ~1e-20 for a learned low-degree target.)  |P_k| <= 1 bounds
    # |alpha|^T |P_k| |alpha| by ||alpha||_1^2 at no cost; only when that bound cannot clear
    # the result is the sharp scale computed (a second pass over the degrees).
    a = np.abs(alpha)
    eps2 = 2.0 * np.finfo(float).eps
    cross_size = 2.0 * float(np.abs(cross).sum())
    floor = eps2 * (sum(weights) * float(a.sum()) ** 2 + cross_size)
    if total < floor and floor > 1e-6 * target.norm2():
        size = 0.0  # sum_k w_k |alpha|^T |P_k(G)| |alpha|
        for k, row in legendre_rows(n, kmax, G):
            if weights[k]:
                size += weights[k] * float(a @ np.abs(row) @ a)
        floor = eps2 * (size + cross_size)
    if total < floor and floor > 1e-6 * target.norm2():
        raise ValueError(
            f"test error not resolvable in float64 at P = {alpha.size}: ||f_hat - f*||^2 = "
            f"{total:.3g} is below the rounding of its terms ({floor:.3g}; ||alpha||_1 = "
            f"{float(a.sum()):.3g}: a near-singular ridgeless fit); use ridge > 0 (e.g. "
            "ridge=1e-6) or test='montecarlo'"
        )
    return total, by_degree


def _error_forms(X, target, mu, n):
    """(K2 [P, P], b [P], ||f*||^2) with ||f_hat - f*||^2 = ||f*||^2 - 2 b.alpha + alpha^T K2 alpha
    for f_hat = sum_i alpha_i K(<x_i, .>) (the forms of :func:`_exact_test_error`, summed over
    degrees; K2 truncated at len(mu) - 1)."""
    G = np.clip(X @ X.T, -1.0, 1.0)
    K2 = np.zeros_like(G)
    for k, row in legendre_rows(n, len(mu) - 1, G):
        wk = dim_harmonics(n, k) * float(mu[k]) ** 2
        if wk:
            K2 += wk * row
    b = np.zeros(X.shape[0])
    for k, c, u in zip(target.degrees, target.amplitudes, target.directions, strict=True):
        b += (
            c
            * math.sqrt(dim_harmonics(n, k))
            * float(mu[k])
            * legendre(n, k, np.clip(X @ u, -1.0, 1.0))
        )
    return K2, b, target.norm2()


def kernel_regression(
    activation,
    n: int,
    samples,
    *,
    degrees=(1, 2),
    amplitudes=None,
    train: str = "output",
    init: str = "sphere",
    bias=None,
    depth: int = 1,
    weight_var=1.0,
    ridge=0.0,
    noise=0.0,
    seeds: int = 5,
    test_points: int = 2000,
    rng=0,
    test: str = "exact",
    kmax: int = 100,
    max_points: int = MAX_POINTS,
) -> KernelRegression:
    """Simulate kernel ridge regression with the kernel of ``gd_operator.kernel(activation, n, .)``.

    Parameters
    ----------
    activation, train, init, bias, depth, weight_var : the kernel, as in
        :func:`gd_operator.kernel` / :func:`gd_operator.spectrum` (so
        ``learning_curve(spectrum(...), ...)`` predicts it; depth > 1: the deep NNGP/NTK).
    n : int >= 2;  samples : int or sequence of ints P >= 1 (training-set sizes).
    degrees, amplitudes : the ridge target (:func:`gd_operator.ridge_target`).
    ridge >= 0 (ridge = 0: minimum-norm interpolant / least squares, see the module docstring);
    noise >= 0 : label-noise variance sigma^2.
    seeds : repetitions (>= 1).
    test : "exact" (Funk-Hecke, K2 truncated at ``kmax``) or "montecarlo" (``test_points``
        fresh points, >= 1); see the module docstring.
    rng : seed, Generator or None -- everything (points, targets, noise) is drawn from it.
    max_points : the size limit on P (checked before allocating; 16 P^2 bytes).

    Returns
    -------
    :class:`KernelRegression`.
    """
    n = check_dimension(n)
    ridge = check_real(ridge, "ridge", nonnegative=True)
    noise = check_real(noise, "noise", nonnegative=True)
    seeds = check_int(seeds, "seeds", 1, 10_000)  # [seeds, M] results; seeds=1e9 was 8 GB
    test_points = check_int(test_points, "test_points", 1, 10**7)  # [test_points, n] samples
    max_points = check_int(max_points, "max_points", 1)
    P_list = [
        check_int(p, "samples[j]", 1) for p in np.atleast_1d(np.asarray(samples, dtype=object))
    ]
    if not P_list:
        raise ValueError("samples must contain at least one training-set size")
    if max(P_list) > max_points:
        raise ValueError(
            f"samples: P = {max(P_list)} exceeds max_points = {max_points} (the P x P Gram matrix "
            f"and its eigenvectors would take {16 * max(P_list) ** 2 / 1e9:.2f} GB); raise "
            "max_points to allow it"
        )
    if test not in ("exact", "montecarlo"):
        raise ValueError(f"test must be 'exact' or 'montecarlo', got {test!r}")
    kmax = check_int(kmax, "kmax", 0)
    kw = dict(train=train, init=init, bias=bias)
    if depth != 1 or weight_var != 1.0:  # deep kernels (only passed on when asked for)
        kw.update(depth=depth, weight_var=weight_var)
    kernel(activation, n, 1.0, **kw)  # validates the kernel options before any work
    if test == "exact":
        if max(int(k) for k in degrees) > kmax:
            raise ValueError(f"test='exact' needs kmax >= max(degrees), got kmax = {kmax}")
        mu = np.asarray(_spectrum(activation, n, kmax, **kw), dtype=float)
    gen = as_generator(rng)
    M = len(P_list)
    tst = np.empty((seeds, M))
    trn = np.empty((seeds, M))
    dropped = np.zeros((seeds, M), dtype=np.int64)
    by_deg = np.full((seeds, M, kmax + 1), np.nan)  # filled by test="exact"
    energies = None
    target0 = None
    for s in range(seeds):
        target = ridge_target(n, degrees, amplitudes, rng=gen)
        if target0 is None:
            target0 = target
            energies = target.energies(target.max_degree)
        test_seed = int(gen.integers(2**63))  # drawn either way: same training draws
        if test == "montecarlo":
            Xt = sample_sphere(test_points, n, rng=test_seed)
            ft = target(Xt)
        for j, P in enumerate(P_list):
            X = sample_sphere(P, n, rng=gen)
            y = target(X) + math.sqrt(noise) * gen.standard_normal(P)
            K = kernel(activation, n, np.clip(X @ X.T, -1.0, 1.0), **kw)
            alpha, dropped[s, j] = _solve(K, y, ridge)
            trn[s, j] = float(np.mean((K @ alpha - y) ** 2))
            if test == "exact":
                tst[s, j], by_deg[s, j] = _exact_test_error(alpha, X, target, mu, n)
                continue
            rows = max(1, _BLOCK // P)
            err = 0.0
            for i in range(0, test_points, rows):
                Kt = kernel(activation, n, np.clip(Xt[i : i + rows] @ X.T, -1.0, 1.0), **kw)
                err += float(np.sum((Kt @ alpha - ft[i : i + rows]) ** 2))
            tst[s, j] = err / test_points
    label = (
        activation if isinstance(activation, str) else getattr(activation, "name", repr(activation))
    )
    return KernelRegression(
        n=n,
        activation=str(label),
        train=str(train),
        init=str(init),
        ridge=ridge,
        noise=noise,
        samples=np.array(P_list, dtype=np.int64),
        seeds=seeds,
        test_points=test_points,
        degrees=tuple(target0.degrees),
        amplitudes=tuple(target0.amplitudes),
        target_energies=np.asarray(energies, dtype=float),
        test_mse=tst,
        method=test,
        train_mse=trn,
        dropped=dropped,
        test_mse_by_degree=by_deg,
    )


__all__ = ["KernelRegression", "kernel_regression", "MAX_POINTS"]
