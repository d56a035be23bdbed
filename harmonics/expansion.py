"""Gegenbauer (Funk-Hecke) expansion of an activation: phi(t) = sum_k N(n,k) lambda_k P_{k,n}(t)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._infra.checks import check_degree, check_dimension, check_unit_interval
from ._infra.results import ResultMixin, register
from ._quadrature import theta_rule
from ._recurrence import legendre_rows
from .activations import Activation, get_activation
from .dimensions import dim_harmonics
from .funk_hecke import funk_hecke_eigenvalues


def _log_dims(n: int, kmax: int) -> np.ndarray:
    return np.array([math.log(dim_harmonics(n, k)) for k in range(kmax + 1)])


@dataclass(frozen=True, repr=False)
class GegenbauerExpansion(ResultMixin):
    """Truncated Gegenbauer expansion of phi in dimension n (uniform probability measure).

    Attributes
    ----------
    activation : description of phi;  n : dimension;  kmax : highest degree kept.
    sign, log_abs : arrays [kmax+1] with lambda_k = sign * exp(log_abs) (no underflow).
    second_moment : E_{nu_n}[phi^2] (by quadrature; the total of Parseval's identity).

    Derived quantities (Parseval: E[phi^2] = sum_k N(n,k) lambda_k^2):
    ``eigenvalues`` lambda_k, ``coefficients`` N(n,k) lambda_k (the coefficient of P_{k,n}),
    ``energies`` N(n,k) lambda_k^2 = ||Pi_k phi(<e, .>)||^2, ``cumulative_energy_fraction``.
    ``to_dict()`` / ``to_json()`` / ``save(path)`` / ``load(path)``: see harmonics._infra.results.
    """

    _layout = (
        "activation",
        "n",
        "kmax",
        "eigenvalues",
        "sign",
        "log_abs",
        "energies",
        "cumulative_energy_fraction",
        "second_moment",
    )
    _keys = {"log_abs": "log_abs_eigenvalues"}

    activation: object
    n: int
    kmax: int
    sign: np.ndarray
    log_abs: np.ndarray
    second_moment: float

    @property
    def eigenvalues(self) -> np.ndarray:
        with np.errstate(under="ignore"):
            return np.where(self.sign != 0, self.sign * np.exp(self.log_abs), 0.0)

    @property
    def log_energies(self) -> np.ndarray:
        """log(N(n,k) lambda_k^2) (-inf for zero coefficients)."""
        return np.where(self.sign != 0, _log_dims(self.n, self.kmax) + 2 * self.log_abs, -np.inf)

    @property
    def coefficients(self) -> np.ndarray:
        with np.errstate(under="ignore", over="ignore"):
            return np.where(
                self.sign != 0,
                self.sign * np.exp(_log_dims(self.n, self.kmax) + self.log_abs),
                0.0,
            )

    @property
    def energies(self) -> np.ndarray:
        with np.errstate(under="ignore"):
            return np.exp(self.log_energies)

    @property
    def cumulative_energy_fraction(self) -> np.ndarray:
        """sum_{j<=k} N(n,j) lambda_j^2 / E[phi^2] for k = 0..kmax (tends to 1)."""
        return np.cumsum(self.energies) / self.second_moment

    @property
    def tail_energy(self) -> float:
        """E[phi^2] - sum_{k<=kmax} N(n,k) lambda_k^2 (>= 0 up to rounding)."""
        return float(self.second_moment - self.energies.sum())

    def __call__(self, t):
        """The truncated series sum_{k<=kmax} N(n,k) lambda_k P_{k,n}(t), t in [-1, 1]."""
        t = check_unit_interval(t)
        coef = self.coefficients
        out = np.zeros_like(t)
        for k, row in legendre_rows(self.kmax, self.n, t):
            out = out + coef[k] * row
        return out[()] if out.ndim == 0 else out

    def __repr__(self) -> str:
        frac = self.cumulative_energy_fraction
        k_show = min(self.kmax, 5)
        lam = ", ".join(f"{x:.4g}" for x in self.eigenvalues[: k_show + 1])
        return (
            f"GegenbauerExpansion({self.activation!r}, n={self.n}, kmax={self.kmax}: "
            f"lambda_0..{k_show} = [{lam}{', ...' if self.kmax > k_show else ''}], "
            f"E[phi^2] = {self.second_moment:.6g}, energy captured = {frac[-1]:.6f})"
        )

    def plot(self, ax=None, *, kind: str = "eigenvalues"):
        """Plot |lambda_k| (or energies) against k on a log scale; zeros are omitted."""
        from . import plotting as _plotting

        return _plotting.plot_expansion(self, ax=ax, kind=kind)


register(Activation)  # an expansion's activation is saved by its fields, not only its repr


def _second_moment(phi, n: int, kinks) -> float:
    t, w = theta_rule(n, kinks=kinks, panels=64, order=48)
    vals = np.asarray(phi(t), dtype=float)
    return float(np.dot(w, vals * vals))


def expand(activation, n: int, kmax: int, **params) -> GegenbauerExpansion:
    """Gegenbauer expansion of ``activation`` in dimension n up to degree kmax.

    Same arguments as :func:`funk_hecke_eigenvalues` (registered name with scale/bias/power/
    coeffs, or a callable with optional kinks).  E[phi^2] is computed by a kink-aware quadrature
    (composite Gauss-Legendre in theta, ~1e-15 relative), so the cumulative energy fraction shows
    how much of phi lives in degrees <= k.

    >>> e = expand("relu", 3, 4)
    >>> e.coefficients * 96          # N(3,k) lambda_k: 1*24, 3*16, 5*6, 7*0, 9*(-1)
    array([24., 48., 30.,  0., -9.])
    """
    n = check_dimension(n)
    kmax = check_degree(kmax, "kmax")
    sign, log_abs = funk_hecke_eigenvalues(activation, n, kmax, log=True, **params)
    if callable(activation) and not isinstance(activation, Activation):
        phi, kinks, desc = activation, tuple(params.get("kinks", ())), activation
    else:
        phi = get_activation(activation, **{k: v for k, v in params.items() if k != "kinks"})
        kinks, desc = phi.kinks, phi
    return GegenbauerExpansion(desc, n, kmax, sign, log_abs, _second_moment(phi, n, kinks))
