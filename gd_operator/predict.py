"""Per-degree predictions of gradient descent in the kernel (infinite-width, lazy) regime.

Full-batch GD with step lr on the population loss 1/2 ||f* - f||^2 (uniform probability measure
on S^{n-1}) updates the residual r = f* - f by r <- r - lr K r.  K is diagonal in the spherical
harmonics with eigenvalue mu_k on H_k (:func:`gd_operator.spectrum`), so the degree-k residual
energy r_k(t) = ||Pi_k r_t||^2 evolves as

    r_k(t) = (1 - lr mu_k)^{2t} r_k(0),

and the time to shrink it to a fraction q of its start is ceil(log q / (2 log|1 - lr mu_k|)).
GD is stable on degree k iff |1 - lr mu_k| <= 1, i.e. lr mu_k <= 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harmonics import dim_harmonics, funk_hecke_eigenvalues, legendre_rows
from harmonics._infra.checks import (
    check_bool,
    check_degree,
    check_dimension,
    check_int,
    check_real,
    check_real_array,
)
from harmonics._infra.figures import new_axes
from harmonics._infra.results import ResultMixin


def _as_float_vector(x, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D array of real numbers") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array (one entry per degree k = 0..K)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _check_nonnegative(arr: np.ndarray, name: str, what: str) -> None:
    bad = np.flatnonzero(arr < 0)
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"{name} must be >= 0 ({what}); got {arr[k]!r} at degree k = {k}")


def _target_energies(target, K: int | None):
    """(energies, total energy or None) from an array or a target object with .energies(K)."""
    if hasattr(target, "energies") and callable(target.energies):
        if K is None:
            raise ValueError("pass the spectrum so the number of degrees is known")
        e = _as_float_vector(target.energies(K), "target energies")
        total = float(target.norm2()) if hasattr(target, "norm2") else None
        return e, total
    return _as_float_vector(target, "target_energies"), None


def _log_factor(lr: float, mu: np.ndarray):
    """log|1 - lr mu| (−inf where it is exactly 0), accurate for small lr mu."""
    x = lr * mu
    with np.errstate(divide="ignore"):
        return np.where(x <= 1.0, np.log1p(-np.minimum(x, 1.0)), np.log(np.maximum(x - 1.0, 0.0)))


@dataclass(frozen=True, repr=False)
class Prediction(ResultMixin):
    """Predicted residual energies r_k(t) = (1 - lr mu_k)^{2t} r_k(0).

    Attributes
    ----------
    initial : [K+1] r_k(0);  spectrum : [K+1] mu_k;  lr : step size
    steps : [T] int times at which ``residual`` is tabulated
    residual : [T, K+1] r_k(t)

    ``to_dict()`` adds ``total``; ``to_json()``, ``save(path)``, ``Prediction.load(path)``.
    """

    _layout = ("lr", "spectrum", "initial", "steps", "residual", "total")

    initial: np.ndarray
    spectrum: np.ndarray
    lr: float
    steps: np.ndarray
    residual: np.ndarray = field(repr=False)

    @property
    def kmax(self) -> int:
        return self.initial.size - 1

    @property
    def total(self) -> np.ndarray:
        """[T] total residual energy sum_k r_k(t) over the tabulated degrees."""
        return self.residual.sum(axis=1)

    @property
    def factor(self) -> np.ndarray:
        """[K+1] per-step energy factor (1 - lr mu_k)^2."""
        return (1 - self.lr * self.spectrum) ** 2

    def at(self, t) -> np.ndarray:
        """r_k(t) at any integer times t >= 0: shape ``[*t.shape, K+1]``."""
        t = np.asarray(t)
        if t.dtype.kind not in "iu" and not (
            t.dtype.kind == "f" and np.all(np.isfinite(t)) and np.all(t == np.round(t))
        ):
            raise TypeError("t must be an integer number of steps (or an array of them)")
        if np.any(t < 0):
            raise ValueError("t must be >= 0")
        lf = _log_factor(self.lr, self.spectrum)
        tt = t.astype(float)[..., None]
        with np.errstate(invalid="ignore", under="ignore"):
            g = np.where(tt == 0, 1.0, np.exp(2 * tt * lf))
        return self.initial * g

    def time_to_fraction(self, fraction: float) -> np.ndarray:
        """[K+1] smallest integer t with r_k(t) <= fraction * r_k(0) (float; inf if never).

        t_k = ceil(log(fraction) / (2 log|1 - lr mu_k|)); 0 where r_k(0) = 0 or fraction >= 1;
        inf where |1 - lr mu_k| = 1 (mu_k = 0: the degree is never learned, or lr mu_k = 2).
        """

        q = check_real(fraction, "fraction", positive=True)
        if q > 1:
            raise ValueError(f"fraction must be in (0, 1], got {q}")
        lf = _log_factor(self.lr, self.spectrum)
        out = np.empty(self.initial.size)
        for k in range(out.size):
            if self.initial[k] == 0 or q == 1.0:
                out[k] = 0.0
            elif lf[k] == -np.inf:
                out[k] = 1.0
            elif lf[k] >= 0.0:
                out[k] = math.inf
            else:
                t = math.ceil(math.log(q) / (2 * lf[k]))
                # guard the rounding of the ceiling
                while t > 1 and 2 * (t - 1) * lf[k] <= math.log(q):
                    t -= 1
                while 2 * t * lf[k] > math.log(q):
                    t += 1
                out[k] = float(t)
        return out

    def total_time_to_fraction(self, fraction: float) -> float:
        """Smallest integer t with sum_k r_k(t) <= fraction * sum_k r_k(0) (inf if never)."""
        q = check_real(fraction, "fraction", positive=True)
        if q > 1:
            raise ValueError(f"fraction must be in (0, 1], got {q}")
        start = float(self.initial.sum())
        goal = q * start
        if start == 0 or q == 1.0:
            return 0.0
        lf = _log_factor(self.lr, self.spectrum)
        stuck = float(self.initial[(lf >= 0) & (self.initial > 0)].sum())
        if stuck > goal:
            return math.inf
        hi = 1
        while float(self.at(hi).sum()) > goal:
            hi *= 2
            if hi > 2**62:
                return math.inf
        lo = hi // 2  # total(lo) > goal (or lo = 0) and total(hi) <= goal; total is nonincreasing
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if float(self.at(mid).sum()) <= goal:
                hi = mid
            else:
                lo = mid
        return float(hi)

    def __repr__(self) -> str:
        t_half = self.time_to_fraction(0.5)
        live = [k for k in range(t_half.size) if self.initial[k] > 0]  # degrees in the target
        parts = ", ".join(
            f"k={k}: {'never' if math.isinf(t_half[k]) else int(t_half[k])}" for k in live[:8]
        )
        more = ", ..." if len(live) > 8 else ""
        return (
            f"Prediction(degrees 0..{self.kmax}, lr={self.lr:g}, steps 0..{int(self.steps[-1])}, "
            f"total {self.total[0]:.4g} -> {self.total[-1]:.4g}; steps to halve: {parts}{more})"
        )

    def plot(self, ax=None, *, degrees=None, total: bool = True):
        """Residual energy per degree vs step (log y).  Returns the matplotlib Axes."""
        total = check_bool(total, "total")
        _, ax = new_axes(ax)
        ks = range(self.kmax + 1) if degrees is None else degrees
        for k in ks:
            if self.initial[k] > 0:
                ax.semilogy(self.steps, self.residual[:, k], label=f"k = {k}")
        if total:
            ax.semilogy(self.steps, self.total, "k--", lw=1, label="total")
        ax.set_xlabel("GD step t")
        ax.set_ylabel(r"residual energy $r_k(t)$")
        ax.set_title(rf"kernel-regime prediction, lr = {self.lr:g}")
        ax.legend(fontsize="small")
        return ax


# Largest residual table [T, K+1] predict() forms (800 MB of float64).
_MAX_TABLE = 10**8


def predict(target_energies, spectrum, lr: float, steps) -> Prediction:
    """Predicted residual energy per degree under full-batch GD in the kernel regime.

    r_k(t) = (1 - lr mu_k)^{2t} r_k(0) for k = 0..K (see the module docstring).

    Parameters
    ----------
    target_energies : [K+1] initial residual energies r_k(0) = ||Pi_k (f* - f_0)||^2 >= 0
        (f_0 = 0 for a zero-initialized output layer), or a target object with an
        ``energies(K)`` method (e.g. :func:`gd_operator.ridge_target`), evaluated at
        K = len(spectrum) - 1; see also :func:`ridge_energies`, :func:`teacher_energies`.
    spectrum : [K+1] kernel eigenvalues mu_k >= 0 (from :func:`gd_operator.spectrum`).
    lr : step size > 0 with lr mu_k <= 2 for every k (else GD diverges on that degree).
    steps : int T >= 0 (tabulate t = 0..T) or a 1-D array of integer times >= 0.

    Returns
    -------
    :class:`Prediction` (``residual`` [T, K+1], ``total``, ``time_to_fraction(q)``,
    ``total_time_to_fraction(q)``, ``to_dict()``, ``plot(ax=None)``).

    >>> p = predict([0.0, 1.0, 1.0], [0.5, 0.25, 0.0], lr=1.0, steps=3)
    >>> p.residual[:, 1]          # (1 - 0.25)^(2t)
    array([1.        , 0.5625    , 0.31640625, 0.17797852])
    >>> p.time_to_fraction(0.5)   # degree 2 has mu = 0: never learned
    array([ 0.,  2., inf])
    """

    mu = _as_float_vector(spectrum, "spectrum")
    _check_nonnegative(mu, "spectrum", "kernel eigenvalues of a positive semi-definite kernel")
    energies, _ = _target_energies(target_energies, mu.size - 1)
    _check_nonnegative(energies, "target_energies", "energies are squared norms")
    if energies.size != mu.size:
        raise ValueError(
            f"target_energies has {energies.size} entries but spectrum has {mu.size}; "
            "both must list degrees k = 0..K"
        )
    lr = check_real(lr, "lr", positive=True)
    over = np.flatnonzero(lr * mu > 2.0)
    if over.size:
        k = int(over[0])
        raise ValueError(
            f"GD diverges on degree k = {k}: |1 - lr*mu_k| = {abs(1 - lr * mu[k]):.6g} > 1 "
            f"(lr = {lr:g}, mu_k = {mu[k]:.6g}); stability needs lr <= 2/max(mu) = "
            f"{2 / mu.max():.6g}"
        )
    if isinstance(steps, (bool, np.bool_)):
        raise TypeError("steps must be an integer >= 0 or an array of integer times")
    if np.ndim(steps) == 0:
        T = check_int(steps, "steps", 0)
        if (T + 1) * mu.size > _MAX_TABLE:
            raise ValueError(
                f"steps = {T} tabulates {T + 1} times x {mu.size} degrees, above "
                f"{_MAX_TABLE:.0e} values; pass an array of the times wanted instead"
            )
        times = np.arange(T + 1)
    else:
        times = np.asarray(steps)
        if times.ndim != 1 or times.size == 0:
            raise ValueError("steps must be an integer >= 0 or a non-empty 1-D array of times")
        if (
            times.dtype.kind == "f"
            and np.all(np.isfinite(times))
            and np.all(times == np.round(times))
        ):
            times = times.astype(np.int64)
        if times.dtype.kind not in "iu":
            raise TypeError("steps must contain integer times")
        if np.any(times < 0):
            raise ValueError("steps must be >= 0")
        if times.size * mu.size > _MAX_TABLE:
            raise ValueError(
                f"steps: {times.size} times x {mu.size} degrees is above {_MAX_TABLE:.0e} values"
            )
    p = Prediction(energies, mu, lr, times, np.empty((0, mu.size)))
    residual = p.at(times)
    object.__setattr__(p, "residual", residual)
    return p


# ------------------------------------------------------------------------ target energies


def ridge_energies(coeffs, n: int) -> np.ndarray:
    """Energies of the ridge sum f(x) = sum_k c_k P_{k,n}(<u, x>), |u| = 1.

    ||Pi_k f||^2 = c_k^2 E_{nu_n}[P_{k,n}^2] = c_k^2 / N(n,k) (orthogonality: docs/conventions.md,
    "Spherical harmonics and Legendre polynomials of dimension n").
    Returns [len(coeffs)] float64.

    >>> ridge_energies([1.0, 3.0], 3)   # N(3,1) = 3
    array([1., 3.])
    """

    n = check_dimension(n)
    c = _as_float_vector(coeffs, "coeffs")
    if c.size and float(np.max(np.abs(c))) > 1e150:
        raise ValueError(
            "coeffs must have |c_k| <= 1e150: the energies c_k^2 / N(n,k) would leave float64"
        )
    return np.array([c[k] ** 2 / dim_harmonics(n, k) for k in range(c.size)])


def teacher_energies(a, W, kmax: int) -> np.ndarray:
    """Degree-k energies of the teacher network f(x) = sum_i a_i |<w_i, x>| (Vempala-Wilmes).

    |<w, x>| = |w| sum_k N(n,k) lambda_k(abs) P_{k,n}(<w^, x>) (Funk-Hecke expansion of |t|,
    w^ = w/|w|), and the addition theorem E_x[P_k(<u,x>) P_k(<v,x>)] = P_k(<u,v>)/N(n,k) give

        ||Pi_k f||^2 = N(n,k) lambda_k(abs)^2 sum_ij a_i a_j |w_i| |w_j| P_{k,n}(<w^_i, w^_j>).

    Only k = 0 and even k carry energy (|t| is even).  a : [m], W : [m, n] (nonzero rows).
    Returns [kmax + 1] float64 (values below the float64 range underflow to 0).
    """

    kmax = check_degree(kmax, "kmax")
    W = check_real_array(W, "W")
    a = check_real_array(a, "a")
    if W.ndim != 2 or W.shape[0] == 0:
        raise ValueError(f"W must have shape [m, n] with m >= 1, got {W.shape}")
    if a.shape != (W.shape[0],):
        raise ValueError(f"a must have shape ({W.shape[0]},) to match W, got {a.shape}")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(a))):
        raise ValueError("a and W must be finite")
    n = W.shape[1]
    r = np.linalg.norm(W, axis=1)
    if np.any(r == 0):
        raise ValueError("the rows of W must be nonzero")
    U = W / r[:, None]
    G = np.clip(U @ U.T, -1.0, 1.0)
    c = a * r
    sign, log_abs = funk_hecke_eigenvalues("abs", n, kmax, log=True)
    out = np.zeros(kmax + 1)
    for k, Pk in legendre_rows(n, kmax, G):
        if sign[k] == 0:
            continue
        quad = float(c @ Pk @ c)  # PSD Gram matrix (addition theorem): >= 0 up to rounding
        if quad > 0:
            with np.errstate(under="ignore"):
                out[k] = math.exp(math.log(dim_harmonics(n, k)) + 2 * log_abs[k]) * quad
    return out
