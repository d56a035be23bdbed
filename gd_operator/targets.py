"""Target functions on S^{n-1} with exact per-degree energies.

* :func:`ridge_target` -- f*(x) = sum_j c_j sqrt(N(n,k_j)) P_{k_j,n}(<u_j, x>): each term has unit
  norm (addition theorem), degree k_j exactly, and the per-degree energies are exact:
  ||Pi_k f*||^2 = sum_{j,j': k_j = k_j' = k} c_j c_j' P_{k,n}(<u_j, u_j'>).
* :func:`teacher_network` -- the "teacher network" f*(x) = a^T |W x| of Vempala & Wilmes;
  its degree-k energy is N(n,k) lambda_k(abs)^2 sum_ij a_i a_j |w_i||w_j| P_{k,n}(<w^_i, w^_j>).
* :class:`CallableTarget` -- any function of points; energies by a Monte Carlo U-statistic of
  the addition theorem, ||Pi_k f||^2 = N(n,k) E_{x,y}[f(x) f(y) P_{k,n}(<x,y>)], with a
  standard error.

RidgeTarget and TeacherNetwork are ridge sums (:class:`harmonics.ridge.RidgeSumBase`): their
energies, their degree-wise inner products with a network and their correlations with its units
are the base type's one formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harmonics import dim_harmonics, funk_hecke_eigenvalues, legendre
from harmonics._infra.checks import check_dimension, check_int, check_real_array
from harmonics._infra.deprecation import NOT_GIVEN
from harmonics._infra.rng import as_generator, rng_or_seed
from harmonics.projection import u_statistic_energies
from harmonics.ridge import RidgeSumBase, population_gram

from ._ridge import RidgeCoefficients

# Largest random direction array a target draws (count x n float64, 1 GiB).
_MAX_DRAW_BYTES = 2**30


def _unit_rows(rng, count, n):
    if 8 * count * n > _MAX_DRAW_BYTES:
        raise ValueError(
            f"{count} random directions in dimension n = {n} need {8 * count * n:.3g} bytes, "
            f"above {_MAX_DRAW_BYTES:.3g}; lower n or the number of terms / width"
        )
    g = rng.standard_normal((count, n))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


def _check_points(X, n, name="X"):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"{name} must have shape [N, {n}] (points on S^{n - 1}), got {X.shape}")
    return X


@dataclass
class RidgeTarget(RidgeSumBase):
    """f*(x) = sum_j amplitudes[j] sqrt(N(n, degrees[j])) P_{degrees[j], n}(<directions[j], x>).

    A ridge sum (harmonics.ridge.RidgeSumBase): term j has the profile sqrt(N) P_{k_j,n}, whose
    only eigenvalue is lambda_{k_j} = 1/sqrt(N(n,k_j)).
    """

    n: int
    degrees: tuple
    amplitudes: tuple
    directions: np.ndarray = field(repr=False)

    def __call__(self, X):
        X = _check_points(X, self.n)
        out = np.zeros(X.shape[0])
        for k, c, u in zip(self.degrees, self.amplitudes, self.directions, strict=True):
            t = np.clip(X @ u, -1.0, 1.0)
            out += c * math.sqrt(dim_harmonics(self.n, k)) * legendre(self.n, k, t)
        return out

    @property
    def max_degree(self) -> int:
        return max(self.degrees)

    def ridge(self, K: int) -> RidgeCoefficients:
        eig = np.zeros((len(self.degrees), K + 1))
        for j, k in enumerate(self.degrees):
            if k <= K:
                eig[j, k] = 1.0 / math.sqrt(dim_harmonics(self.n, k))
        return RidgeCoefficients(
            np.asarray(self.directions, float),
            np.asarray(self.amplitudes, float),
            eig,
            max_degree=self.max_degree,
        )

    def ridge_directions(self) -> np.ndarray:
        return np.asarray(self.directions, float)

    def ridge_weights(self, kmax: int) -> np.ndarray:
        return self.ridge(kmax).weights

    def energies(self, K: int) -> np.ndarray:
        """Exact ||Pi_k f*||^2, k = 0..K."""
        return super().energies(K)

    def norm2(self) -> float:
        return float(self.energies(self.max_degree).sum())


def ridge_target(
    n: int, degrees=(1, 2, 4), amplitudes=None, *, rng=0, directions=None, seed=NOT_GIVEN
):
    """Sum of unit-norm ridge Legendre terms, one per entry of ``degrees``.

    f*(x) = sum_j c_j sqrt(N(n,k_j)) P_{k_j,n}(<u_j, x>), with u_j uniform random unit vectors
    (drawn from ``rng``: int seed, default 0, Generator or None) unless ``directions``
    [len(degrees), n] is given; ``amplitudes`` default to 1.  ``seed=`` is the deprecated old
    name of ``rng=``.  This is the target of Cao et al. (2019) with degrees (1, 2, 4).
    """
    rng = rng_or_seed(rng, seed, where="ridge_target", default=0)
    n = check_dimension(n)
    if isinstance(degrees, (str, bytes)) or not hasattr(degrees, "__iter__"):
        raise TypeError(f"degrees must be a sequence of integers >= 0, got {degrees!r}")
    degrees = tuple(check_int(k, "degrees[j]", 0, 10_000) for k in degrees)
    if not degrees:
        raise ValueError("degrees must contain at least one degree")
    if amplitudes is not None:
        amplitudes = tuple(check_real_array(amplitudes, "amplitudes", ndim=1).tolist())
    amplitudes = (1.0,) * len(degrees) if amplitudes is None else amplitudes
    if len(amplitudes) != len(degrees):
        raise ValueError(f"amplitudes has {len(amplitudes)} entries but degrees has {len(degrees)}")
    if not all(math.isfinite(c) for c in amplitudes):
        raise ValueError("amplitudes must be finite")
    if directions is None:
        directions = _unit_rows(as_generator(rng), len(degrees), n)
    else:
        directions = np.asarray(directions, dtype=float)
        if directions.shape != (len(degrees), n):
            raise ValueError(f"directions must have shape {(len(degrees), n)}")
        directions = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    return RidgeTarget(n, degrees, amplitudes, directions)


@dataclass
class TeacherNetwork(RidgeSumBase):
    """f*(x) = sum_i a_i |<w_i, x>| (Vempala & Wilmes' teacher); W [width, n], a [width].

    A ridge sum (harmonics.ridge.RidgeSumBase): term i is a_i |w_i| abs(<w^_i, x>).
    """

    n: int
    W: np.ndarray = field(repr=False)
    a: np.ndarray = field(repr=False)

    def __call__(self, X):
        X = _check_points(X, self.n)
        return np.abs(X @ self.W.T) @ self.a

    def ridge(self, K: int) -> RidgeCoefficients:
        r = np.linalg.norm(self.W, axis=1)
        eig = r[:, None] * funk_hecke_eigenvalues("abs", self.n, K)[None, :]
        return RidgeCoefficients(self.W / r[:, None], np.asarray(self.a, float), eig)

    def ridge_directions(self) -> np.ndarray:
        return self.W / np.linalg.norm(self.W, axis=1)[:, None]

    def ridge_weights(self, kmax: int) -> np.ndarray:
        return self.ridge(kmax).weights

    def energies(self, K: int) -> np.ndarray:
        """Exact ||Pi_k f*||^2, k = 0..K."""
        return super().energies(K)

    def norm2(self) -> float:
        """||f*||^2 = a^T G a in closed form, G the population Gram of abs (harmonics.ridge:
        E[|<u,x>||<v,x>|] = (kappa_1(rho) + kappa_1(-rho)) / n = (2 / (pi n)) (sqrt(1 - rho^2)
        + rho arcsin rho) for unit u, v, times |w_i||w_j|)."""
        G, _ = population_gram("abs", self.W)
        return float(self.a @ G @ self.a)


def teacher_network(n: int, width: int = 5, *, rng=0, W=None, a=None, seed=NOT_GIVEN):
    """The teacher f*(x) = a^T |W x| with W rows uniform on the sphere and a_i = +-1/sqrt(width)
    (drawn from ``rng``, default seed 0; ``seed=`` is its deprecated old name) unless given.
    Only even degrees (and k = 0) carry energy: |t| is even."""
    rng = rng_or_seed(rng, seed, where="teacher_network", default=0)
    n = check_dimension(n)
    rng = as_generator(rng)
    if W is None:
        width = check_int(width, "width", 1)
        W = _unit_rows(rng, width, n)
    W = check_real_array(W, "W")
    if W.ndim != 2 or W.shape[1] != n:
        raise ValueError(f"W must have shape [width, {n}], got {W.shape}")
    if a is None:
        a = rng.choice([-1.0, 1.0], size=W.shape[0]) / math.sqrt(W.shape[0])
    a = check_real_array(a, "a")
    if a.shape != (W.shape[0],):
        raise ValueError(f"a must have shape ({W.shape[0]},), got {a.shape}")
    return TeacherNetwork(n, W, a)


@dataclass
class CallableTarget:
    """A plain function of points X [N, n] -> [N]; energies by Monte Carlo (see module doc)."""

    n: int
    fn: object = field(repr=False)

    def __call__(self, X):
        X = _check_points(X, self.n)
        y = np.asarray(self.fn(X), dtype=float)
        if y.shape != (X.shape[0],):
            raise ValueError(f"target callable must return shape ({X.shape[0]},), got {y.shape}")
        if not np.all(np.isfinite(y)):
            raise ValueError("target callable returned NaN or inf")
        return y

    ridge = None

    def energies_mc(self, K: int, samples: int = 2000, rng=0, *, seed=NOT_GIVEN):
        """(energies, standard errors) of ||Pi_k f||^2 by the U-statistic
        N(n,k)/(M(M-1)) sum_{s != s'} f(x_s) f(x_s') P_k(<x_s, x_s'>) on M = ``samples`` points,
        errors from Hoeffding's variance (harmonics.projection.u_statistic_energies, the one
        implementation).  ``rng``: the sample's seed (default 0) or Generator; ``seed=`` is its
        deprecated name."""
        rng = as_generator(rng_or_seed(rng, seed, where="CallableTarget.energies_mc", default=0))
        X = _unit_rows(rng, samples, self.n)
        return u_statistic_energies(X, self(X), self.n, K)

    def energies(self, K: int):
        return self.energies_mc(K)[0]

    def norm2(self, samples: int = 200_000, rng=0, *, seed=NOT_GIVEN) -> float:
        """||f||^2 by Monte Carlo on ``samples`` points from ``rng`` (seed 0 by default;
        ``seed=`` is its deprecated name)."""
        rng = rng_or_seed(rng, seed, where="CallableTarget.norm2", default=0)
        X = _unit_rows(as_generator(rng), samples, self.n)
        return float(np.mean(self(X) ** 2))


def as_target(target, n: int):
    """Accept a target object or a plain callable; check the dimension."""
    if isinstance(target, (RidgeTarget, TeacherNetwork, CallableTarget)):
        if target.n != n:
            raise ValueError(f"target lives in dimension {target.n}, but n = {n}")
        return target
    if callable(target):
        return CallableTarget(n, target)
    raise TypeError(
        "target must be ridge_target(...), teacher_network(...) or a callable on points [N, n]"
    )
