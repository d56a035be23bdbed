"""Learning curves of random-features ridge regression on S^{n-1}: theory and simulation.

The model (Vempala-Wilmes "train the output layer" at finite width m).  m directions w_i drawn
uniformly on S^{n-1} (init="sphere"), features F_ij = phi(<x_i, w_j>) / sqrt(m), so that
E_w[F F^T] = K, the kernel ``gd_operator.kernel(activation, n, ., train="output",
init="sphere")`` with eigenvalues mu_k = lambda_k(phi)^2 on H_k (multiplicity N(n,k)).  Ridge
regression on the features with the same ridge convention as :func:`gd_operator.learning_curve`:
f_hat(x) = k_m(x)^T (K_m + ridge I)^{-1} y with the unnormalized random-features Gram matrix
K_m = F F^T, i.e. output weights a = argmin ||F a - y||^2 + ridge ||a||^2.

Theory: the random-feature eigenframework of Simon, Karkada, Ghosh & Belkin, "More is better in
modern machine learning: when infinite overparameterization is optimal and overfitting is
obligatory", ICLR 2024 (arXiv:2311.14646), Section 4 (the RF eigenframework; the same
deterministic equivalent as Bach, SIAM J. Math. Data Sci. 2024, "High-dimensional analysis of
double descent for linear regression with random projections", and Defilippis, Loureiro &
Misiakiewicz 2024, arXiv:2405.15699, Sec. 3).  With P samples, m features and ridge delta, the
two effective regularizations gamma, kappa >= 0 solve

    P = sum_k N(n,k) mu_k/(mu_k + gamma) + delta/kappa,                              (RF1)
    m = sum_k N(n,k) mu_k/(mu_k + gamma) + m kappa/gamma.                            (RF2)

With L_k = mu_k/(mu_k + gamma), z = sum_k N(n,k) L_k and q = sum_k N(n,k) L_k^2 the estimate is

    E0 = 1/(1 - (q (m - 2z) + z^2)/(P (m - q))),
    b_k = (1 - L_k) - (kappa/(mu_k + gamma)) L_k m/(m - q),
    test error on noisy labels = E0 (sum_k b_k v_k + sigma^2),

(v_k = ||Pi_k f*||^2, sigma^2 = ``noise``), as in the authors' reference implementation
(``rf_krr_risk_theory``); ``test_mse`` is that minus sigma^2 (against the noiseless target, as
``LearningCurve.test_mse``).  The train error is taken as (delta/(P kappa))^2 times the noisy
test error, the kernel identity (Canatar et al. 2021) carried over; checked against simulation
in tests/test_learning_curve_rf.py.  As m -> oo, kappa -> gamma and this is the
:func:`gd_operator.learning_curve` of the kernel (b_k -> (1 - L_k)^2).

Cancellation-free forms used here (algebra on (RF1)-(RF2), exact): kappa = gamma (m - z)/m,
b_k = (1 - L_k)(1 - L_k (m - z)/(m - q)) > 0 and

    E0 = P (m - q)/D,   E0 - 1 = (q (m - z) + z (z - q))/D,
    D = (delta/kappa)(m - q) + (m - z)(z - q),

with z - q = sum N L (1 - L) and m - z = (gamma - gamma_m) sum_k N mu_k/((mu_k + gamma_m)(mu_k +
gamma)) where gamma_m solves z(gamma_m) = m (m < rank R), or m - z = (m - R) + gamma sum_k
N/(mu_k + gamma) (m >= R): sums of positive terms, in logs from the exact integer
multiplicities.  (RF2) eliminates kappa; (RF1) becomes F(gamma) = z + delta m/(gamma (m - z)) =
P, strictly decreasing on gamma > gamma_m (d(gamma (m - z))/dgamma = m - q > 0), solved for
by bisection, to 1e-15 relative in the unknown: for m < R the unknown is t = log(gamma -
gamma_m) (so m - z and kappa keep their relative accuracy when gamma is close to gamma_m, as
at P >> m), on [log(delta m/(gamma_hi P S_m)) - 1, log gamma_hi] with S_m = sum N mu/(mu +
gamma_m)^2 (from m - z >= delta m/(gamma P) and m - z <= (gamma - gamma_m) S_m); for m >= R it
is log gamma on [log(delta/P), log gamma_hi]; gamma_hi = max(2T/P, 4 delta/P, 2T/m), T = sum N
mu (F(gamma_hi) <= P).

Ridgeless (delta = 0), R the rank: P < min(m, R): z(gamma) = P, kappa = gamma (m - P)/m, train
0, E0 -> oo at P = m (double descent); P >= m with m <= R (more samples than features): gamma =
gamma_m, kappa = 0, delta/kappa -> P - m, E0 = P/(P - m), b_k = 1 - L_k (the error of the best
fit in the span of m random features), train = (1 - m/P)(sum b_k v_k + sigma^2); P >= R < m:
gamma = 0, the span is learned, E0 = P/(P - R).  P = 0: nothing learned (test = sum v_k).

Simulation (:func:`random_features_regression`): exact test error by Funk-Hecke, no truncation:
with f_hat = sum_j a_j phi(<w_j, .>)/sqrt(m), ||f_hat||^2 = a^T K(W W^T) a / m (K between the
directions: E_x phi(<w_i,x>) phi(<w_j,x>) = K(<w_i, w_j>)) and <f_hat, f*> = sum_j a_j/sqrt(m)
sum_terms c sqrt(N(n,k)) lambda_k P_{k,n}(<w_j, u>) (signed lambda_k =
``harmonics.funk_hecke_eigenvalues``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harmonics import dim_harmonics, funk_hecke_eigenvalues, get_activation, legendre, sample_sphere
from harmonics._infra.checks import check_dimension, check_int, check_real
from harmonics._infra.results import ResultMixin
from harmonics._infra.rng import as_generator

from .learning_curve import (
    _check_energies,
    _check_samples,
    _log_diff_int_float,
    _log_multiplicities,
    _log_spectrum,
    _logsumexp,
    solve_log_kappa,
)
from .regression import sem_over_seeds

MAX_FEATURE_ENTRIES = 5 * 10**7  # P * m entries of the feature matrix (400 MB of float64)
_BISECT = 200


def _lse(*arrays):
    """log(sum exp) over the last axis of the arrays concatenated (broadcast to 2-D)."""
    return _logsumexp(np.concatenate(arrays, axis=1), axis=1)


@dataclass(frozen=True, repr=False)
class RandomFeaturesCurve(ResultMixin):
    """Predicted learning curve of random-features ridge regression (module docstring).

    Attributes (M = len(samples), K = kmax)
    ----------
    n, width (m), ridge, noise (sigma^2) : inputs;  samples : [M] P
    log_spectrum : [K+1] log mu_k;  target_energies : [K+1] v_k
    gamma, log_gamma : [M] the eigenvalue-side regularization of (RF1)-(RF2) (+inf at P = 0)
    kappa, log_kappa : [M] the sample-side one, kappa = gamma (m - z)/m (0 ridgeless at P >= m)
    learnability : [M, K+1] L_k = mu_k/(mu_k + gamma)
    bias_coefficients : [M, K+1] b_k = (1 - L_k)(1 - L_k (m - z)/(m - q))
    e0 : [M] overfitting factor;  test_mse : [M] E0 sum b_k v_k + (E0 - 1) sigma^2 (noiseless
    target);  train_mse : [M] (ridge/(P kappa))^2 E0 (sum b_k v_k + sigma^2) (noisy labels)
    rank : sum_{mu_k > 0} N(n,k) as a float

    ``test_mse_noisy`` = test_mse + sigma^2.
    """

    n: int
    width: int
    samples: np.ndarray
    ridge: float
    noise: float
    log_spectrum: np.ndarray = field(repr=False)
    target_energies: np.ndarray = field(repr=False)
    gamma: np.ndarray = field(repr=False)
    log_gamma: np.ndarray = field(repr=False)
    kappa: np.ndarray = field(repr=False)
    log_kappa: np.ndarray = field(repr=False)
    learnability: np.ndarray = field(repr=False)
    bias_coefficients: np.ndarray = field(repr=False)
    e0: np.ndarray = field(repr=False)
    test_mse: np.ndarray = field(repr=False)
    train_mse: np.ndarray = field(repr=False)
    rank: float = math.inf

    @property
    def test_mse_noisy(self) -> np.ndarray:
        return self.test_mse + self.noise

    def __repr__(self) -> str:
        P = self.samples
        return (
            f"RandomFeaturesCurve(n={self.n}, width={self.width}, P in [{P.min():g}, "
            f"{P.max():g}] ({P.size} values), ridge={self.ridge:g}, noise={self.noise:g})"
        )


def _log_m_minus_z(s, a, lm, logN, m: int, R: int, s_m: float):
    """log(m - z(gamma)) at s = log gamma [M] as a sum of positive terms (module docstring)."""
    s = s[:, None]
    if m < R:  # (gamma - gamma_m) sum N mu / ((mu + gamma_m)(mu + gamma))
        t = a[None, :] - np.logaddexp(lm, s_m)[None, :] - np.logaddexp(lm[None, :], s)
        with np.errstate(divide="ignore"):
            gap = s[:, 0] + np.log(-np.expm1(s_m - s[:, 0]))
        return gap + _logsumexp(t, axis=1)
    t = s + logN[None, :] - np.logaddexp(lm[None, :], s)  # gamma N/(mu + gamma)
    if m > R:
        extra = np.full((s.shape[0], 1), _log_diff_int_float(m, float(R)))
        t = np.concatenate([t, extra], axis=1)
    return _logsumexp(t, axis=1)


def random_features_curve(
    spectrum, n: int, target_energies, samples, width: int, *, ridge=0.0, noise=0.0
) -> RandomFeaturesCurve:
    """Deterministic-equivalent learning curve of ridge regression on ``width`` random features.

    Parameters
    ----------
    spectrum : mu_0..mu_kmax >= 0 (array or ``(sign, log_abs)`` pair) of the features' kernel
        E_w[phi(<w,x>) phi(<w,y>)], e.g. ``spectrum(act, n, kmax, train="output",
        init="sphere", log=True)``; degrees above kmax count as mu_k = 0.
    n : int >= 2;  target_energies : [kmax+1] v_k;  samples : P >= 0 (number or 1-D array).
    width : int m >= 1, the number of random features.
    ridge : >= 0, as in f_hat = k_m(x)^T (K_m + ridge I)^{-1} y, K_m = F F^T unnormalized.
    noise : >= 0, label-noise variance sigma^2.

    Returns
    -------
    :class:`RandomFeaturesCurve` (equations (RF1), (RF2) and the risk: module docstring;
    Simon, Karkada, Ghosh & Belkin, ICLR 2024, Sec. 4).

    >>> from gd_operator import learning_curve
    >>> mu, v = [1.0, 0.1, 0.01], [0.0, 1.0, 0.0]
    >>> rf = random_features_curve(mu, 3, v, [5, 100], 10**9, ridge=1e-3)
    >>> kr = learning_curve(mu, 3, v, [5, 100], ridge=1e-3)
    >>> bool(np.allclose(rf.test_mse, kr.test_mse, rtol=1e-6))  # m -> oo: kernel regression
    True
    """
    n = check_dimension(n)
    m = check_int(width, "width", 1)
    ridge = check_real(ridge, "ridge", nonnegative=True)
    noise = check_real(noise, "noise", nonnegative=True)
    pos, logmu = _log_spectrum(spectrum)
    kmax = logmu.size - 1
    v = _check_energies(target_energies, kmax + 1)
    P = _check_samples(samples)
    logN_all = np.asarray(_log_multiplicities(n, kmax)[0])
    N_int = _log_multiplicities(n, kmax)[1]
    idx = np.flatnonzero(pos)
    lm = logmu[idx]
    logN = logN_all[idx]
    a = logN + lm
    R = sum(N_int[k] for k in idx)
    rank_f = float(R) if R < 2**1023 else math.inf
    M, K1 = P.size, kmax + 1
    log_m = math.log(m)

    # gamma_m: z(gamma_m) = m (the ridgeless kernel equation at "P" = m), if m < R
    s_m = -math.inf
    if m < R:
        lmin = float(lm.min())
        lt = float(_logsumexp(a[None, :], axis=1)[0])
        s_m = float(
            solve_log_kappa(
                a,
                lm,
                np.array([log_m]),
                -math.inf,
                np.array([lmin + _log_diff_int_float(R, float(m)) - log_m - 1.0]),
                np.array([lt - log_m + 1.0]),
            )[0]
        )

    s = np.full(M, np.nan)  # log gamma
    log_mz = np.full(M, np.nan)  # log(m - z)
    log_dk = np.full(M, -math.inf)  # log(delta / kappa)
    zero = P == 0
    s[zero] = math.inf
    kind = np.zeros(M, dtype=np.int8)  # 0 solved, 1 P = 0, 2 P >= m (ridgeless), 3 span
    kind[zero] = 1
    live = ~zero
    if idx.size == 0:  # zero kernel: nothing is learned
        kind[live] = 3
        s[live] = -math.inf
    elif ridge == 0:
        c = [min(float(p), float(m)) for p in P]
        under = np.array([float(p) >= m and m <= R for p in P]) & live
        span = np.array([ci >= R for ci in c]) & live & ~under
        kind[under], kind[span] = 2, 3
        s[under], s[span] = s_m, -math.inf
        solve = live & ~under & ~span  # P < min(m, R): z(gamma) = P
        if np.any(solve):
            Ps = P[solve]
            logP = np.log(Ps)
            lmin = float(lm.min())
            lt = float(_logsumexp(a[None, :], axis=1)[0])
            s_lo = np.array([lmin + _log_diff_int_float(R, float(p)) for p in Ps]) - logP - 1.0
            s[solve] = solve_log_kappa(a, lm, logP, -math.inf, s_lo, lt - logP + 1.0)
            log_mz[solve] = [_log_diff_int_float(m, float(p)) for p in Ps]
    else:
        solve = live
        Ps = P[solve]
        logP = np.log(Ps)
        log_d = math.log(ridge)
        lt = float(_logsumexp(a[None, :], axis=1)[0])
        hi = np.logaddexp.reduce(
            np.stack(
                [
                    np.full(Ps.size, math.log(2) + lt) - logP,
                    np.full(Ps.size, math.log(4) + log_d) - logP,
                    np.full(Ps.size, math.log(2) + lt - log_m),
                ]
            ),
            axis=0,
        )
        if m < R:
            # unknown t = log(gamma - gamma_m): m - z = e^t S(gamma) without cancellation, so
            # kappa = gamma (m - z)/m keeps its relative accuracy when gamma is near gamma_m
            la_m = np.logaddexp(lm, s_m)
            log_Sm = float(_logsumexp((a - 2 * la_m)[None, :], axis=1)[0])
            lo = log_d + log_m - hi - logP - log_Sm - 1.0
            hi = hi + 0.0
            for _ in range(_BISECT):
                mid = 0.5 * (lo + hi)
                sg = np.logaddexp(s_m, mid)  # log gamma
                la = np.logaddexp(lm[None, :], sg[:, None])
                lz = _logsumexp(a[None, :] - la, axis=1)
                lmz = mid + _logsumexp(a[None, :] - la_m[None, :] - la, axis=1)
                lF = np.logaddexp(lz, log_d + log_m - sg - lmz)
                big = lF > logP
                lo = np.where(big, mid, lo)
                hi = np.where(big, hi, mid)
                if np.all(hi - lo <= 1e-15 * np.maximum(1.0, np.abs(mid))):
                    break
            t = 0.5 * (lo + hi)
            s[solve] = np.logaddexp(s_m, t)
            la = np.logaddexp(lm[None, :], s[solve][:, None])
            log_mz[solve] = t + _logsumexp(a[None, :] - la_m[None, :] - la, axis=1)
        else:
            lo = np.minimum(log_d - logP, hi)
            for _ in range(_BISECT):
                mid = 0.5 * (lo + hi)
                lz = _logsumexp(a[None, :] - np.logaddexp(lm[None, :], mid[:, None]), axis=1)
                lmz = _log_m_minus_z(mid, a, lm, logN, m, R, s_m)
                lF = np.logaddexp(lz, log_d + log_m - mid - lmz)
                big = lF > logP  # F > P: gamma too small
                lo = np.where(big, mid, lo)
                hi = np.where(big, hi, mid)
                if np.all(hi - lo <= 1e-15 * np.maximum(1.0, np.abs(mid))):
                    break
            s[solve] = 0.5 * (lo + hi)
            log_mz[solve] = _log_m_minus_z(s[solve], a, lm, logN, m, R, s_m)
        log_kap = s[solve] + log_mz[solve] - log_m
        log_dk[solve] = log_d - log_kap

    # learnabilities on the positive degrees, in logs
    L = np.zeros((M, K1))
    lL = np.full((M, K1), -math.inf)
    l1mL = np.zeros((M, K1))  # log(1 - L)
    fin = np.isfinite(s)
    if np.any(fin) and idx.size:
        ss = s[fin][:, None]
        la = np.logaddexp(lm[None, :], ss)
        sub_L = np.full((int(fin.sum()), K1), -math.inf)
        sub_1 = np.zeros((int(fin.sum()), K1))
        sub_L[:, idx] = lm[None, :] - la
        sub_1[:, idx] = ss - la
        lL[fin], l1mL[fin] = sub_L, sub_1
    minus = np.isneginf(s)  # gamma = 0: L = 1 on every positive degree
    if np.any(minus) and idx.size:
        lL[np.ix_(minus, idx)] = 0.0
        l1mL[np.ix_(minus, idx)] = -math.inf
    L = np.exp(lL)
    with np.errstate(invalid="ignore"):
        lz = _logsumexp(logN_all[None, :] + lL, axis=1)
        lq = _logsumexp(logN_all[None, :] + 2 * lL, axis=1)
        lzq = _logsumexp(logN_all[None, :] + lL + l1mL, axis=1)  # log(z - q)
        log_mq = np.logaddexp(log_mz, lzq)  # log(m - q) = log((m - z) + (z - q)); kind 0 only

    bias_c = np.exp(2 * l1mL)  # kinds 1, 3 and the m -> oo shape; overwritten below
    e0 = np.ones(M)
    e0m1 = np.zeros(M)
    train_factor = np.full(M, np.nan)
    sol = kind == 0
    if np.any(sol):
        ratio = np.exp(log_mz[sol] - log_mq[sol])[:, None]  # (m - z)/(m - q)
        bias_c[sol] = np.exp(l1mL[sol]) * (1.0 - L[sol] * ratio)
        log_D = np.logaddexp(log_dk[sol] + log_mq[sol], log_mz[sol] + lzq[sol])
        e0[sol] = np.exp(np.log(P[sol]) + log_mq[sol] - log_D)
        e0m1[sol] = np.exp(np.logaddexp(lq[sol] + log_mz[sol], lz[sol] + lzq[sol]) - log_D)
        if ridge > 0:
            log_kap = s[sol] + log_mz[sol] - log_m
            train_factor[sol] = np.exp(math.log(ridge) - log_kap - np.log(P[sol]))
        else:
            train_factor[sol] = 0.0
    und = kind == 2
    if np.any(und):
        bias_c[und] = np.exp(l1mL[und])
        Pu = P[und]
        with np.errstate(divide="ignore", invalid="ignore"):
            e0[und] = np.where(Pu > m, Pu / (Pu - m), math.inf)
            e0m1[und] = np.where(Pu > m, m / (Pu - m), math.inf)
    spn = kind == 3
    if np.any(spn):
        Pu = P[spn]
        with np.errstate(divide="ignore", invalid="ignore"):
            e0[spn] = np.where(Pu > rank_f, Pu / (Pu - rank_f), math.inf)
            e0m1[spn] = np.where(Pu > rank_f, rank_f / (Pu - rank_f), math.inf)
        if R == 0:
            e0[spn], e0m1[spn] = 1.0, 0.0
    B = np.sum(bias_c * v[None, :], axis=1)
    with np.errstate(invalid="ignore"):
        test = np.where(B > 0, e0 * B, 0.0) + np.where(noise > 0, e0m1 * noise, 0.0)
        train = train_factor**2 * np.where(B + noise > 0, e0 * (B + noise), 0.0)
    if np.any(und):
        train[und] = np.maximum(1.0 - m / P[und], 0.0) * (B[und] + noise)
    if np.any(spn):
        train[spn] = np.maximum(1.0 - rank_f / P[spn], 0.0) * (B[spn] + noise)
    test[zero] = float(v.sum())
    train[zero] = math.nan
    bias_c[zero] = 1.0
    log_kappa = np.where(kind == 0, s + log_mz - log_m, -math.inf)
    log_kappa[zero] = math.inf
    return RandomFeaturesCurve(
        n=n,
        width=m,
        samples=P,
        ridge=ridge,
        noise=noise,
        log_spectrum=logmu,
        target_energies=v,
        gamma=np.exp(s),
        log_gamma=s,
        kappa=np.exp(log_kappa),
        log_kappa=log_kappa,
        learnability=L,
        bias_coefficients=bias_c,
        e0=e0,
        test_mse=test,
        train_mse=train,
        rank=rank_f,
    )


# ---------------------------------------------------------------------------- simulation
@dataclass(frozen=True, repr=False)
class RandomFeaturesRegression(ResultMixin):
    """Measured random-features ridge regression errors, one row per seed.

    Attributes
    ----------
    n, activation, width (m), ridge, noise : the problem;  samples : [M] P;  seeds
    degrees, amplitudes, target_energies : the ridge target (first seed's energies)
    test_mse, train_mse : [seeds, M] (test exact by Funk-Hecke against the noiseless target;
    train on the noisy labels)

    Properties ``test_mean``, ``test_sem``, ``train_mean``, ``train_sem`` ([M]).
    """

    _layout = (
        "n",
        "activation",
        "width",
        "ridge",
        "noise",
        "samples",
        "seeds",
        "degrees",
        "amplitudes",
        "target_energies",
        "test_mse",
        "train_mse",
        "test_mean",
        "test_sem",
        "train_mean",
        "train_sem",
    )

    n: int
    activation: str
    width: int
    ridge: float
    noise: float
    samples: np.ndarray
    seeds: int
    degrees: tuple
    amplitudes: tuple
    target_energies: np.ndarray = field(repr=False)
    test_mse: np.ndarray = field(repr=False)
    train_mse: np.ndarray = field(repr=False)

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
        s = self.train_mse.shape[0]
        if s < 2:
            return np.full(self.train_mse.shape[1], np.nan)
        return self.train_mse.std(axis=0, ddof=1) / math.sqrt(s)

    def __repr__(self) -> str:
        return (
            f"RandomFeaturesRegression(n={self.n}, {self.activation}, width={self.width}, "
            f"ridge={self.ridge:g}, noise={self.noise:g}, P={list(map(int, self.samples))}, "
            f"seeds={self.seeds})"
        )


_CLOSED = ("relu", "step", "sign", "abs", "relu2")  # closed-form kernels (gd_operator.kernel)
_SERIES_KMAX = 192


def _direction_kernel(activation, n, G, phi, kernel):
    """K(<w_i, w_j>) = E_x phi(<w_i,x>) phi(<w_j,x>): closed form for the homogeneous gates, else
    the Funk-Hecke series sum_k N(n,k) lambda_k^2 P_{k,n} up to the degree where the omitted
    energy E[phi^2] - sum_k N lambda_k^2 is <= 1e-13 E[phi^2] (|P_{k,n}| <= 1 bounds the
    truncation error by it), else ``gd_operator.kernel`` (quadrature per entry, slow)."""
    if activation in _CLOSED:
        return kernel(activation, n, G, train="output", init="sphere")
    from harmonics import legendre_rows, nu_quadrature

    t, w = nu_quadrature(n, 2 * _SERIES_KMAX)
    energy = float(w @ phi(t) ** 2)
    K = 24
    while True:  # double the degree until the omitted energy is negligible
        lam = np.asarray(funk_hecke_eigenvalues(activation, n, K), dtype=float)
        terms = np.array([dim_harmonics(n, k) * lam[k] ** 2 for k in range(K + 1)])
        ok = np.flatnonzero(energy - np.cumsum(terms) <= 1e-13 * energy)
        if ok.size or K >= _SERIES_KMAX:
            break
        K *= 2
    if ok.size == 0:
        return kernel(activation, n, G, train="output", init="sphere")
    out = np.zeros_like(G)
    for k, row in legendre_rows(n, int(ok[0]), G):
        out += terms[k] * row
    return out


def _fit_features(F: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """a = (F^T F + ridge I)^{-1} F^T y by the SVD (minimum-norm least squares at ridge 0)."""
    U, sv, Vt = np.linalg.svd(F, full_matrices=False)
    c = U.T @ y
    if ridge > 0:
        return Vt.T @ (c * sv / (sv**2 + ridge))
    cutoff = max(F.shape) * np.finfo(float).eps * (float(sv.max()) if sv.size else 0.0)
    inv = np.where(sv > cutoff, 1.0 / np.where(sv > cutoff, sv, 1.0), 0.0)
    return Vt.T @ (c * inv)


def random_features_regression(
    activation,
    n: int,
    samples,
    width: int,
    *,
    degrees=(1, 2),
    amplitudes=None,
    ridge=0.0,
    noise=0.0,
    seeds: int = 5,
    rng=0,
    max_entries: int = MAX_FEATURE_ENTRIES,
) -> RandomFeaturesRegression:
    """Simulate ridge regression on ``width`` random features phi(<w_j, x>), w_j uniform on S^{n-1}.

    Per seed: a ridge target (``gd_operator.ridge_target(n, degrees, amplitudes)``) and m
    directions (shared by the seed's P values); per P: P uniform points, labels f*(X) +
    sqrt(noise) eps, F = phi(X W^T)/sqrt(m), a = (F^T F + ridge I)^{-1} F^T y (SVD;
    minimum-norm at ridge 0).  Test error exact (module docstring); train error on the noisy
    labels.  ``activation`` is a registered name of ``harmonics.get_activation``.

    Size limit: max(P m, m^2, (P + m) n) <= ``max_entries`` (default 5e7), checked before
    anything is allocated.
    The theory is :func:`random_features_curve` with ``spectrum(activation, n, kmax,
    train="output", init="sphere")``.
    """
    from .kernels import kernel
    from .targets import ridge_target

    n = check_dimension(n)
    m = check_int(width, "width", 1)
    ridge = check_real(ridge, "ridge", nonnegative=True)
    noise = check_real(noise, "noise", nonnegative=True)
    seeds = check_int(seeds, "seeds", 1, 10_000)
    max_entries = check_int(max_entries, "max_entries", 1)
    if isinstance(activation, str):
        phi = get_activation(activation)
    else:
        raise TypeError(f"activation must be a registered name, got {activation!r}")
    P_list = [
        check_int(p, "samples[j]", 1) for p in np.atleast_1d(np.asarray(samples, dtype=object))
    ]
    if not P_list:
        raise ValueError("samples must contain at least one training-set size")
    Pmax = max(P_list)
    if max(Pmax * m, m * m, (Pmax + m) * n) > max_entries:
        raise ValueError(
            f"samples x width: P = {Pmax}, m = {m}, n = {n} exceed max_entries = {max_entries} "
            "(the P x m feature matrix, the m x m kernel between directions and the (P + m) x n "
            "points); lower them or raise max_entries"
        )
    deg = tuple(int(k) for k in degrees)
    kdeg = max(deg) if deg else 0
    lam = np.asarray(funk_hecke_eigenvalues(activation, n, kdeg), dtype=float)
    gen = as_generator(rng)
    M = len(P_list)
    tst = np.empty((seeds, M))
    trn = np.empty((seeds, M))
    energies = None
    target0 = None
    for s in range(seeds):
        target = ridge_target(n, deg, amplitudes, rng=gen)
        if target0 is None:
            target0 = target
            energies = target.energies(target.max_degree)
        W = sample_sphere(m, n, rng=gen)
        KW = _direction_kernel(activation, n, np.clip(W @ W.T, -1.0, 1.0), phi, kernel)
        proj = np.zeros(m)  # sum_terms c sqrt(N) lambda_k P_k(<w_j, u>)
        for k, c, u in zip(target.degrees, target.amplitudes, target.directions, strict=True):
            proj += (
                c
                * math.sqrt(dim_harmonics(n, k))
                * lam[k]
                * legendre(n, k, np.clip(W @ u, -1.0, 1.0))
            )
        for j, P in enumerate(P_list):
            X = sample_sphere(P, n, rng=gen)
            y = target(X) + math.sqrt(noise) * gen.standard_normal(P)
            F = phi(np.clip(X @ W.T, -1.0, 1.0)) / math.sqrt(m)
            coef = _fit_features(F, y, ridge)
            trn[s, j] = float(np.mean((F @ coef - y) ** 2))
            b = coef / math.sqrt(m)
            tst[s, j] = target.norm2() - 2.0 * float(b @ proj) + float(b @ KW @ b)
    return RandomFeaturesRegression(
        n=n,
        activation=str(activation),
        width=m,
        ridge=ridge,
        noise=noise,
        samples=np.array(P_list, dtype=np.int64),
        seeds=seeds,
        degrees=tuple(target0.degrees),
        amplitudes=tuple(target0.amplitudes),
        target_energies=np.asarray(energies, dtype=float),
        test_mse=tst,
        train_mse=trn,
    )


__all__ = [
    "RandomFeaturesCurve",
    "RandomFeaturesRegression",
    "random_features_curve",
    "random_features_regression",
]
