"""Kernel floors: the error no rotation-invariant kernel method can beat with P samples.

Theorem (Ghorbani, Mei, Misiakiewicz & Montanari, "Linearized two-layers neural networks in
high dimension", Ann. Statist. 49(2), 1029-1054, 2021; Theorem 4 for kernel ridge regression,
Theorems 1 and 2 for random features and the neural tangent model).  Let x be uniform on the
sphere S^{n-1}(sqrt n), f* in L^2 with degree decomposition f* = sum_k Pi_k f*, labels
y = f*(x) + eps (Var eps = sigma^2), and fix l in N, delta > 0.  If the sample size satisfies
n^{l + delta} <= P <= n^{l + 1 - delta}, then for every inner-product kernel
K(x, y) = h(<x, y>/n) satisfying the paper's regularity assumptions (h smooth enough near 0
with h^(k)(0) > 0 for k <= l, so that degrees <= l can be fit; bounded kernel diagonal) and
every ridge lambda in [0, lambda*], the kernel ridge regression estimator f_hat satisfies

    ||f* - f_hat||^2 = ||P_{>l} f*||^2 + o_{n,P}(1) (||f*||^2 + sigma^2),

i.e. KRR learns exactly the degree-<= l part and nothing of the rest.  Random features with
N = n^{l + delta} neurons (P = infinity) and the neural tangent model with N n parameters
~ n^{l + delta} have the same floor ||P_{>l} f*||^2 (Theorems 1, 2).  Every rotation-invariant
kernel is an inner-product kernel on the sphere, so ||P_{>l} f*||^2 with l = floor(log P / log n)
is the floor of all of them in the polynomial regime.  The theorem is asymptotic (n -> infinity
at fixed l, delta); at finite n the learning-curve theory (gd_operator.learning_curve) gives
the error of a specific kernel at P, and both are reported here.

Gaussian inputs.  For x ~ N(0, I_d) the degree decomposition is the Hermite (Wiener-chaos)
one of :mod:`gd_operator.gaussian`, and the floor is the energy above Hermite degree l.  The
sphere theorem transfers to this setting for inner-product kernels (|x| concentrates at sqrt d
and the degree-k spherical energies of f*(sqrt d theta) converge to the Hermite ones; Mei,
Misiakiewicz & Montanari, ACHA 59, 2022, treat the general hypercontractive case); Li, Ma &
Zhang's Omega(1/d) lower bound for a^T |W* x| is this floor (|t| has Hermite energy at every
even degree).  The specific-kernel predictions for Gaussian targets use the sphere spectrum at
n = d with the Hermite energies (an approximation that becomes exact as d grows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harmonics._infra.checks import check_dimension, check_int, check_real, check_real_array
from harmonics._infra.results import ResultMixin

from .gaussian import GaussianRidgeSum, HermitePolynomialTarget

#: kernel names and the layer they train (gd_operator.spectrum's ``train``)
KERNELS = {"nngp": "output", "ntk": "both", "hidden": "hidden"}
#: largest kmax of the kernels' spectra and the target's energies
MAX_KMAX = 200
#: largest number of sample sizes
MAX_SAMPLES = 10_000


@dataclass(repr=False)
class KernelFloor(ResultMixin):
    """Kernel floors and specific-kernel predictions for one target (module docstring).

    Attributes (M = len(samples), K = kmax)
    ----------
    domain : 'gaussian' or 'sphere';  n : dimension;  samples : [M] P
    energies : [K+1] per-degree target energies v_k (Hermite or spherical)
    norm_squared : ||f*||^2 (the energy above kmax is norm_squared - sum v_k)
    level : [M] l = floor(log P / log n) (degrees learnable in the polynomial regime)
    floor : [M] ||P_{>l} f*||^2, the GMMM floor of every rotation-invariant kernel
    activation : the network activation of the NNGP / NTK kernels
    predicted : {kernel name: [M] learning-curve test error at P} (ridgeless unless ``ridge``)
    """

    _layout = (
        "domain",
        "n",
        "samples",
        "energies",
        "norm_squared",
        "level",
        "floor",
        "activation",
        "ridge",
        "predicted",
    )

    domain: str
    n: int
    samples: np.ndarray
    energies: np.ndarray
    norm_squared: float
    level: np.ndarray
    floor: np.ndarray
    activation: str = "relu"
    ridge: float = 0.0
    predicted: dict = field(default_factory=dict)

    @property
    def kmax(self) -> int:
        return self.energies.size - 1

    def __repr__(self) -> str:
        return (
            f"KernelFloor(domain={self.domain!r}, n={self.n}, {self.samples.size} sample sizes, "
            f"floor in [{self.floor.min():.3g}, {self.floor.max():.3g}], "
            f"kernels={sorted(self.predicted)})"
        )


def _target_energies(target, n, kmax, norm_squared):
    if isinstance(target, (GaussianRidgeSum, HermitePolynomialTarget)):
        if n is not None and n != target.dim:
            raise ValueError(
                f"n = {n} does not match the target's dimension d = {target.dim} (pass n=None)"
            )
        v = target.hermite_energies(kmax)
        total = target.norm_squared() if norm_squared is None else norm_squared
        return "gaussian", target.dim, v, total
    from harmonics.ridge import RidgeSumBase

    if isinstance(target, RidgeSumBase):
        dim = int(target.ridge_directions().shape[1])
        if n is not None and n != dim:
            raise ValueError(f"n = {n} does not match the target's dimension {dim} (pass n=None)")
        v = np.asarray(target.energies(kmax), dtype=float)
        if norm_squared is None:
            norm_squared = _sphere_norm(target, v)
        return "sphere", dim, v, norm_squared
    if isinstance(target, (str, bytes)) or target is None:
        raise TypeError(
            "target must be a Gaussian target (gd_operator.gaussian_ridge_sum, "
            "hermite_polynomial_target, ...), a sphere ridge sum (harmonics.RidgeSum, "
            f"gd_operator.ridge_target, ...) or an array of energies, got {target!r}"
        )
    v = check_real_array(target, "target (energies)", ndim=1, nonnegative=True)
    if v.size < 1 or v.size > MAX_KMAX + 1:
        raise ValueError(f"target energies must have 1..{MAX_KMAX + 1} entries, got {v.size}")
    if not np.all(np.isfinite(v)):
        raise ValueError("target energies must be finite")
    if n is None:
        raise ValueError("n (the dimension) is required when target is an array of energies")
    total = float(v.sum()) if norm_squared is None else norm_squared
    return "sphere", n, v, total


def _sphere_norm(target, v) -> float:
    """||f||^2 of a sphere ridge sum: population Gram for harmonics.RidgeSum, the finite degree
    sum for polynomial targets (gd_operator.ridge_target)."""
    from harmonics import RidgeSum, population_gram

    if isinstance(target, RidgeSum) and target.params is not None:
        G, _ = population_gram(target.gate, target.W)
        return float(target.a @ G @ target.a)
    max_degree = getattr(target, "max_degree", None)
    if max_degree is not None and int(max_degree) < v.size:
        return float(v.sum())
    raise ValueError(
        "norm_squared is needed for this ridge sum (its energy above kmax is unknown); pass "
        "norm_squared=E[f*^2]"
    )


def kernel_floor(
    target,
    samples,
    *,
    n: int | None = None,
    kmax: int | None = None,
    kernels=("ntk", "nngp"),
    activation="relu",
    ridge: float = 0.0,
    norm_squared: float | None = None,
    bias=None,
) -> KernelFloor:
    """The GMMM kernel floor ||P_{>l} f*||^2, l = floor(log P / log n), and kernel predictions.

    Parameters
    ----------
    target : a Gaussian target (:func:`gd_operator.gaussian_ridge_sum`,
        :func:`gd_operator.hermite_polynomial_target`, :func:`gd_operator.lmz_target`, ...:
        Hermite energies), a sphere ridge sum (:class:`harmonics.RidgeSum`,
        :func:`gd_operator.ridge_target`, :func:`gd_operator.teacher_network`: spherical
        energies), or an array of per-degree energies v_0..v_K (sphere; then ``n`` is needed).
    samples : P >= 1 (number or 1-D array, at most 10^4 values).
    n : dimension (checked against the target's; required for an energy array).
    kmax : highest degree of the energies and kernel spectra (default max(level) + 6, <= 200);
        energy above kmax is counted in every floor and prediction as unlearned.
    kernels : names among 'ntk' (train both layers), 'nngp' (output layer: the random-features
        kernel), 'hidden'; () for the floor only.  Their eigenvalues: gd_operator.spectrum of
        ``activation`` at dimension n (sphere, Gaussian initialization).
    ridge : >= 0, ridge of the predicted kernel regressions (gd_operator.learning_curve).
    bias : None or the std of a Gaussian bias of the kernels' network (gd_operator.spectrum's
        ``bias``).  Without a bias the ReLU NTK / NNGP have mu_k = 0 at odd k >= 3 (Bietti &
        Mairal 2019): such degrees are never learned, whatever P.
    norm_squared : ||f*||^2 when the target cannot supply it (arbitrary sphere ridge sums).

    Returns
    -------
    :class:`KernelFloor` (``floor``, ``level``, ``predicted[name]``, all [len(samples)]).

    >>> from gd_operator import gaussian_ridge_sum
    >>> f = gaussian_ridge_sum(("hermite", 2), [[1.0, 0.0, 0.0, 0.0]])   # He_2 / sqrt 2
    >>> r = kernel_floor(f, [3, 40], kernels=())        # P = 4^0.8: nothing; 4^2.7: degree 2
    >>> [int(x) for x in r.level], [round(float(x), 12) for x in r.floor]
    ([0, 2], [1.0, 0.0])
    """
    from .learning_curve import learning_curve
    from .spectrum import spectrum

    if n is not None:
        n = check_dimension(n)
    if norm_squared is not None:
        norm_squared = check_real(norm_squared, "norm_squared", nonnegative=True)
    ridge = check_real(ridge, "ridge", nonnegative=True)
    P = check_real_array(samples, "samples", nonnegative=True)
    P = np.atleast_1d(P).astype(float)
    if P.ndim != 1 or P.size < 1 or P.size > MAX_SAMPLES:
        raise ValueError(f"samples must be a number or a 1-D array of 1..{MAX_SAMPLES} values")
    if not np.all(np.isfinite(P)) or np.any(P < 1) or np.any(P > 1e300):
        raise ValueError("samples must be finite numbers in [1, 1e300]")
    if isinstance(kernels, str):
        kernels = (kernels,)
    if not isinstance(kernels, (tuple, list)):
        raise TypeError(
            f"kernels must be a tuple of names such as ('ntk', 'nngp'), got {kernels!r}"
        )
    kernels = tuple(kernels)
    for name in kernels:
        if name not in KERNELS:
            raise ValueError(f"kernels must be names among {sorted(KERNELS)}, got {name!r}")
    dim = n
    if dim is None and hasattr(target, "dim"):
        dim = int(target.dim)
    if dim is None and hasattr(target, "ridge_directions"):
        dim = int(target.ridge_directions().shape[1])
    if dim is None:
        raise ValueError("n (the dimension) is required when target is an array of energies")
    level = np.floor(np.log(P) / math.log(dim) + 1e-12).astype(np.int64)
    if kmax is None:
        kmax = min(int(level.max()) + 6, MAX_KMAX)
    kmax = check_int(kmax, "kmax", 0, MAX_KMAX)
    domain, dim, v, total = _target_energies(target, n, kmax, norm_squared)
    if v.size != kmax + 1:  # an energy array sets kmax
        kmax = v.size - 1
    total = max(float(total), float(v.sum()))
    cum = np.cumsum(v)
    floor = np.array([total - (cum[min(int(lv), kmax)]) for lv in level])
    floor = np.maximum(floor, 0.0)
    beyond = max(total - float(v.sum()), 0.0)
    predicted = {}
    for name in kernels:
        spec = spectrum(
            activation, dim, kmax, train=KERNELS[name], init="gaussian", bias=bias, log=True
        )
        lc = learning_curve(spec, dim, v, P, ridge=ridge)
        predicted[name] = np.asarray(lc.test_mse, dtype=float) + beyond
    act_label = activation if isinstance(activation, str) else repr(activation)
    return KernelFloor(domain, int(dim), P, v, total, level, floor, act_label, ridge, predicted)


__all__ = ["KernelFloor", "kernel_floor"]
