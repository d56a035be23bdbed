"""Exact spectrum of the finite-width output-layer operator, restricted to degrees <= K.

With m frozen hidden units, GD on the output layer moves the residual by r <- r - lr K_m r,
K_m(x, y) = (1/m) sum_i g(<w_i, x>) g(<w_i, y>)  (docs/conventions.md, "Kernel conventions").
Funk-Hecke expands each feature:
g(<w, x>) = sum_k N(n,k) lambda_k(g) P_{k,n}(<w, x>) for |w| = 1 (for Gaussian init and a
p-homogeneous g, w = r w^ contributes the factor r^p).  Let psi_i^{(k)} = Pi_k g(<w_i, .>).  By the
addition theorem, E_x[P_k(<u,x>) P_k(<v,x>)] = P_k(<u,v>)/N(n,k), so

    <psi_i^{(k)}, psi_j^{(k)}> = lambda_k^2 N(n,k) r_i^p r_j^p P_{k,n}(<w^_i, w^_j>).

* Per degree: the compression Pi_k K_m Pi_k = (1/m) sum_i psi_i^{(k)} (x) psi_i^{(k)} has the same
  nonzero eigenvalues as the m x m matrix
      G^{(k)} = (lambda_k^2 N(n,k) / m) [r_i^p r_j^p P_{k,n}(<w^_i, w^_j>)]_{ij}
  (A A* and A* A share their nonzero spectrum), at most min(m, N(n,k)) of them.  As m -> oo they
  concentrate at the limit mu_k = E[r^{2p}] lambda_k^2 (N(n,k)-fold).
* Degrees <= K together: Pi_{<=K} K_m Pi_{<=K} has the nonzero eigenvalues of
  G^{(<=K)} = sum_{k<=K} G^{(k)} (the cross-degree inner products vanish), i.e. the degrees
  interact at finite m; the limit is the multiset {mu_k with multiplicity N(n,k)}.

Exact moments (used by the tests): for sphere init, A = (m / (lambda_k^2 N)) G^{(k)} restricted to
its range is the empirical second moment (1/m) sum_i Y(w_i) Y(w_i)^T of an orthonormal basis
vector Y of H_k (E = I, |Y|^2 = N), so with S_k = ||(1/m) sum_i Y_i Y_i^T - I||_F^2 =
sum_l (sigma_l/mu_k - 1)^2 (N eigenvalues, zeros included),
    E[S_k] = (N^2 - N)/m,   Var[S_k] = 2 (m-1) (N^4 E[P_{k,n}^4] - N^2) / m^3
(S_k - E S_k is a degenerate U-statistic with kernel N^2 P_k(<w_i,w_j>)^2 - N).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harmonics import dim_harmonics, funk_hecke_eigenvalues, legendre_rows
from harmonics._infra.checks import check_degree, check_dimension, check_int
from harmonics._infra.deprecation import NOT_GIVEN
from harmonics._infra.figures import new_axes
from harmonics._infra.results import ResultMixin
from harmonics._infra.rng import as_generator, rng_or_seed

from ._gates import log_chi_moment, resolve
from .spectrum import INITS, _check_choice


@dataclass(frozen=True, repr=False)
class FiniteWidthSpectrum(ResultMixin):
    """Finite-width eigenvalues next to their infinite-width limits.

    Attributes
    ----------
    n, m, kmax : dimension, width, highest degree K
    limit : [K+1] mu_k (infinite width);  multiplicity : [K+1] N(n,k) (exact ints, object array)
    per_degree : list of K+1 arrays, the nonzero eigenvalues of G^{(k)}, descending
        (min(m, N(n,k)) values each)
    restricted : eigenvalues of G^{(<=K)} (all degrees <= K together), descending,
        min(m, sum_k N(n,k)) values
    weights : [m, n] the hidden weights used (not in ``to_dict()``; kept by ``save``/``load``)
    """

    _layout = ("n", "m", "kmax", "init", "limit", "multiplicity", "per_degree", "restricted")

    n: int
    m: int
    kmax: int
    init: str
    limit: np.ndarray
    multiplicity: np.ndarray
    per_degree: list
    restricted: np.ndarray
    weights: np.ndarray

    def ratios(self, k: int) -> np.ndarray:
        """sigma / mu_k for the nonzero finite-width eigenvalues of degree k (1 in the limit)."""
        if not self.limit[k] > 0:
            raise ValueError(f"k={k}: mu_k = 0 (an exact zero of the spectrum), no ratio defined")
        return self.per_degree[k] / self.limit[k]

    def max_relative_deviation(self) -> np.ndarray:
        """[K+1] max_l |sigma_l/mu_k - 1| over the degree-k eigenvalues, counting the missing
        ones as 0 when m < N(n,k).  Where mu_k = 0 (a parity zero) the finite-width eigenvalues
        are zero too and the deviation is reported as 0 (inf if some sigma_l were nonzero)."""
        out = np.zeros(self.kmax + 1)
        for k in range(self.kmax + 1):
            if self.limit[k] <= 0:
                out[k] = np.inf if np.any(self.per_degree[k] != 0) else 0.0
            else:
                r = self.ratios(k)
                dev = np.max(np.abs(r - 1)) if r.size else 1.0
                if r.size < self.multiplicity[k]:
                    dev = max(dev, 1.0)
                out[k] = dev
        return out

    def frobenius_deviation(self, k: int) -> float:
        """S_k = sum over the N(n,k) eigenvalues of (sigma/mu_k - 1)^2 (zeros included)."""
        r = self.ratios(k)
        missing = int(self.multiplicity[k]) - r.size
        return float(np.sum((r - 1) ** 2) + max(missing, 0))

    def __repr__(self) -> str:
        dev = self.max_relative_deviation()
        parts = ", ".join(f"k={k}: {d:.3g}" for k, d in enumerate(dev[:6]) if not math.isnan(d))
        return (
            f"FiniteWidthSpectrum(n={self.n}, m={self.m}, K={self.kmax}, init={self.init!r}; "
            f"max |sigma/mu_k - 1|: {parts}{', ...' if self.kmax > 5 else ''})"
        )

    def plot(self, ax=None):
        """Finite-width eigenvalues (dots) and limits (bars) per degree, log y."""
        _, ax = new_axes(ax)
        for k in range(self.kmax + 1):
            if self.limit[k] > 0:
                ev = self.per_degree[k]
                ax.plot(np.full(ev.size, k), ev, ".", color="C0", alpha=0.4, ms=3)
                ax.plot([k - 0.3, k + 0.3], [self.limit[k]] * 2, "-", color="C3", lw=2)
        ax.set_yscale("log")
        ax.set_xlabel("degree k")
        ax.set_ylabel("eigenvalue")
        ax.set_title(f"finite width m = {self.m} (dots) vs limit (bars), n = {self.n}")
        return ax


def finite_width_spectrum(
    activation,
    n: int,
    m: int,
    kmax: int,
    *,
    rng=None,
    init: str = "sphere",
    power=None,
    coeffs=None,
    scale: float = 1.0,
    seed=NOT_GIVEN,
) -> FiniteWidthSpectrum:
    """Eigenvalues of the output-layer operator with m random hidden units, degrees <= kmax.

    Draws w_1..w_m (uniform on S^{n-1} for init="sphere"; N(0, I_n) for init="gaussian", which
    needs a positively homogeneous activation such as relu) from ``rng`` (None, an int seed or
    a numpy Generator; ``seed=`` is its deprecated old name), and returns the nonzero
    eigenvalues of the matrices G^{(k)} and G^{(<=K)} of the module docstring next to the
    limits mu_k = spectrum(activation, n, kmax, init=init).

    Cost: O(K m^2) for the Legendre matrices and O(K m^3) for the eigenvalues (m <= 3000).

    Raises ValueError for m < 1 or m > 3000, an unknown init, or gaussian init with a
    non-homogeneous activation.
    """

    n = check_dimension(n)
    m = check_int(m, "m", 1, 3000)
    kmax = check_degree(kmax, "kmax")
    if 8 * m * n > 2**30:
        raise ValueError(
            f"m = {m} hidden units in dimension n = {n} need {8 * m * n:.3g} bytes of weights, "
            "above 1 GiB; lower m or n"
        )
    init = _check_choice(init, "init", INITS)
    gate = resolve(activation, power=power, coeffs=coeffs, scale=scale)
    rng = as_generator(rng_or_seed(rng, seed, where="finite_width_spectrum"))
    W = rng.standard_normal((m, n))
    r = np.linalg.norm(W, axis=1)
    U = W / r[:, None]
    p = 0
    if init == "gaussian":
        p = gate.homogeneous_degree
        if p is None:
            raise ValueError(
                "finite_width_spectrum with init='gaussian' needs a positively homogeneous "
                f"activation (relu, relu^p, abs, step, sign); got {gate.label}"
            )
        weights = W
        rp = r**p
    else:
        weights = U
        rp = np.ones(m)
    sign, log_abs = funk_hecke_eigenvalues(gate.eigen_arg(), n, kmax, log=True)
    with np.errstate(under="ignore"):
        lam2 = np.where(sign != 0, np.exp(2 * np.where(sign != 0, log_abs, 0.0)), 0.0)
    limit = lam2 * (math.exp(log_chi_moment(n, p)) if p else 1.0)
    dims = np.array([dim_harmonics(n, k) for k in range(kmax + 1)], dtype=object)
    gram = np.clip(U @ U.T, -1.0, 1.0)
    outer = np.outer(rp, rp)
    per_degree = []
    total = np.zeros((m, m))
    for k, Pk in legendre_rows(n, kmax, gram):
        Nk = int(dims[k])
        base = (float(Nk) / m) * outer * Pk  # G^{(k)} / lambda_k^2
        ev = np.linalg.eigvalsh(base)[::-1][: min(m, Nk)]
        per_degree.append(np.maximum(ev, 0.0) * lam2[k])
        if lam2[k] > 0:
            total += lam2[k] * base
    restricted = np.linalg.eigvalsh(total)[::-1]
    d_total = sum(int(dims[k]) for k in range(kmax + 1) if lam2[k] > 0)
    restricted = np.maximum(restricted[: min(m, d_total)], 0.0)
    return FiniteWidthSpectrum(n, m, kmax, init, limit, dims, per_degree, restricted, weights)


# ------------------------------------------------------------------- deep networks (NTK)


@dataclass(frozen=True, repr=False)
class DeepFiniteWidth(ResultMixin):
    """Per-degree projections of the empirical kernel of finite-width deep networks.

    Attributes
    ----------
    n, depth, kmax, points, seeds : dimension, hidden layers, highest degree, sample points M,
        networks averaged
    widths : [W] the widths m
    train : "output" (NNGP), "hidden" or "both" (NTK)
    estimate : [W, K+1] mean over networks of mu^_k(m) = mean_{i != j} K_m(x_i, x_j) P_{k,n}(t_ij)
    estimate_sd : [W, K+1] their standard deviation over networks
    on_points : [K+1] the same projection of the infinite-width kernel on the same pairs
    limit : [K+1] mu_k of :func:`gd_operator.spectrum` (infinite width, exact)
    """

    n: int
    depth: int
    kmax: int
    points: int
    seeds: int
    widths: np.ndarray
    train: str
    estimate: np.ndarray
    estimate_sd: np.ndarray
    on_points: np.ndarray
    limit: np.ndarray

    def relative_deviation(self) -> np.ndarray:
        """[W, K+1] |mu^_k(m) - mu^_k(inf)| / mu_k: the finite-width error on the same pairs.

        At zeros mu_k = 0 (parity zeros), and at mu_k <= 1e-12 max mu_k (a callable's parity
        zeros come out as ~1e-31 rule noise when it is not exactly odd or even, e.g. sigmoid),
        the difference is divided by max_k mu_k instead (both projections are then sampling
        noise of the points)."""
        top = float(np.max(self.limit, initial=0.0))
        live = self.limit > 1e-12 * top
        scale = np.where(live, self.limit, top if top > 0 else 1.0)
        return np.abs(self.estimate - self.on_points[None, :]) / scale[None, :]

    def __repr__(self) -> str:
        dev = self.relative_deviation().max(axis=1)
        body = ", ".join(f"m={m}: {d:.2g}" for m, d in zip(self.widths, dev, strict=True))
        return f"DeepFiniteWidth(n={self.n}, depth={self.depth}, max rel. deviation {body})"


class _CallableGate:
    """A callable as the network's activation: values, and phi' by a central difference.

    phi'(h) ~ (phi(h + d) - phi(h - d)) / (2 d), d = 1e-5 max(1, |h|): truncation
    d^2 |phi^(3)| / 6 and rounding eps |phi| / d, both ~1e-11 relative for smooth gates -- far
    below the 1/sqrt(m) fluctuation of an empirical kernel.  (The infinite-width reference of a
    callable's hidden-layer kernel needs it smooth; kinked callables are refused there.)
    """

    def __init__(self, gate):
        self.gate = gate  # elementwise float values, non-finite ones a ValueError

    def __call__(self, h):
        return self.gate(h)

    def derivative(self, h):
        d = 1e-5 * np.maximum(1.0, np.abs(h))
        return (self(h + d) - self(h - d)) / (2 * d)


def _empirical_ntk(act, X, m, depth, sw, beta, train, rng):
    """K_m on the rows of X [M, n] for one network of width m (NTK parametrization).

    h^1 = sw W^1 x + beta b^1, h^{l+1} = (sw / sqrt m) W^{l+1} phi(h^l) + beta b^{l+1},
    f = a . phi(h^L) / sqrt m, all entries N(0, 1).  With g^l = df/dh^l and
    S^1 = sw^2 <x, y> + beta^2, S^{l+1} = sw^2 <phi(h^l(x)), phi(h^l(y))> / m + beta^2:
    K_out = <phi(h^L(x)), phi(h^L(y))> / m,  K_hid = sum_l <g^l(x), g^l(y)> S^l.
    """
    M, n = X.shape
    S = sw * sw * (X @ X.T) + beta * beta  # [M, M]
    h = sw * X @ rng.standard_normal((n, m)) + beta * rng.standard_normal(m)  # [M, m]
    hs, Ss, Ws = [h], [S], []
    for _ in range(depth - 1):
        a = act(h)
        W = rng.standard_normal((m, m))
        S = sw * sw * (a @ a.T) / m + beta * beta
        h = (sw / math.sqrt(m)) * a @ W + beta * rng.standard_normal(m)
        hs.append(h)
        Ss.append(S)
        Ws.append(W)
    out_w = rng.standard_normal(m)
    phi_l = act(h)
    k_out = phi_l @ phi_l.T / m
    if train == "output":
        return k_out
    g = act.derivative(h) * out_w / math.sqrt(m)  # [M, m] = df/dh^L
    k_hid = (g @ g.T) * Ss[-1]
    for layer in range(depth - 2, -1, -1):
        g = act.derivative(hs[layer]) * ((sw / math.sqrt(m)) * g @ Ws[layer].T)
        k_hid += (g @ g.T) * Ss[layer]
    return k_hid if train == "hidden" else k_out + k_hid


def deep_finite_width(
    activation,
    n: int,
    widths,
    kmax: int,
    *,
    depth: int = 2,
    train: str = "both",
    weight_var: float = 1.0,
    bias=None,
    points: int = 300,
    seeds: int = 4,
    rng=None,
    max_work: float = 2e10,
):
    """Finite-width deep NNGP/NTK, projected per degree, against the infinite-width mu_k.

    For each width m, ``seeds`` networks (Gaussian init, definitions of
    docs/conventions.md, "Deep kernels") give empirical kernels K_m on ``points`` random points
    x_i ~ uniform on S^{n-1}; per degree mu^_k(m) = mean_{i != j} K_m(x_i, x_j) P_{k,n}(<x_i, x_j>)
    estimates E_{x,y}[K_m(x, y) P_{k,n}(<x, y>)] = tr(Pi_k K_m Pi_k) / N(n,k), the mean
    eigenvalue of K_m on H_k, which tends to mu_k as m -> oo.  The same projection of the exact
    kernel on the same pairs (``on_points``) removes the sampling error of the points, so
    :meth:`DeepFiniteWidth.relative_deviation` measures the finite-width error (~1/sqrt(m) per
    network, averaged over seeds).

    Parameters
    ----------
    activation : registered activation (relu, tanh, erf, ...; step/sign for train="output"
        only), or a smooth callable (its derivative by central differences, ~1e-11 relative;
        the infinite-width side takes its Hermite coefficients, see gd_operator.spectrum).
    n : int >= 2.   widths : sequence of ints >= 1.   kmax : int in [0, 40].
    depth : hidden layers (1..10).   train : "output" | "hidden" | "both".
    weight_var, bias : sigma_w^2 and beta of the definitions.
    points : M in [10, 5000].   seeds : networks per width, in [1, 100].   rng : seed/Generator.
    max_work : refuse runs costing more multiply-adds (seeds * sum_m depth * M m (M + m)).

    Returns
    -------
    DeepFiniteWidth

    >>> r = deep_finite_width("relu", 3, [64, 1024], 2, depth=2, points=60, seeds=2, rng=0)
    >>> bool(r.relative_deviation()[1].max() < r.relative_deviation()[0].max() + 0.5)
    True
    """
    from harmonics import sample_sphere

    from .deep import check_deep_bias, check_weight_var
    from .kernels import kernel
    from .spectrum import TRAINS, _check_bias, spectrum

    n = check_dimension(n)
    kmax = check_int(kmax, "kmax", 0, 40)
    depth = check_int(depth, "depth", 1, 10)
    train = _check_choice(train, "train", TRAINS)
    sw2 = check_weight_var(weight_var)
    beta = check_deep_bias(_check_bias(bias, "gaussian"))
    points = check_int(points, "points", 10, 5000)
    seeds = check_int(seeds, "seeds", 1, 100)
    if isinstance(widths, (int, np.integer)) and not isinstance(widths, bool):
        widths = [widths]
    try:
        widths = [check_int(w, "widths", 1, 10**5) for w in widths]
    except TypeError:
        raise TypeError(f"widths must be a sequence of integers >= 1, got {widths!r}") from None
    if not widths:
        raise ValueError("widths must contain at least one width")
    n_eff = min(n, 10**6)
    work = seeds * sum(depth * points * w * (points + w) + points * n_eff * w for w in widths)
    if n > 10**5 or work > max_work:
        raise ValueError(
            f"deep_finite_width would cost ~{work:.2g} multiply-adds (max_work = {max_work:.2g}) "
            f"or n = {n} > 1e5; lower widths, points, seeds or depth"
        )
    gate = resolve(activation)
    act = gate.act if gate.act is not None else _CallableGate(gate)
    if train != "output" and gate.act is not None and act.kind == "piecewise" and act.discontinuous:
        raise ValueError(f"train={train!r} needs the derivative of {activation!r}")
    gen = as_generator(rng)
    X = sample_sphere(points, n, rng=gen)
    t = np.clip(X @ X.T, -1.0, 1.0)
    off = ~np.eye(points, dtype=bool)
    rows = np.array([row for _, row in legendre_rows(n, kmax, t[off])])  # [K+1, M(M-1)]
    kw = dict(train=train, init="gaussian", depth=depth, weight_var=sw2, bias=beta or None)
    if depth == 1 and sw2 == 1.0:
        kw.pop("depth")
        kw.pop("weight_var")
    exact = kernel(activation, n, t[off], **kw)
    on_points = rows @ exact / exact.size
    limit = spectrum(activation, n, kmax, **kw)
    est = np.empty((len(widths), kmax + 1))
    sd = np.empty_like(est)
    sw = math.sqrt(sw2)
    for wi, m in enumerate(widths):
        vals = np.empty((seeds, kmax + 1))
        for s in range(seeds):
            K = _empirical_ntk(act, X, m, depth, sw, beta, train, gen)
            vals[s] = rows @ K[off] / exact.size
        est[wi] = vals.mean(axis=0)
        sd[wi] = vals.std(axis=0, ddof=1) if seeds > 1 else 0.0
    return DeepFiniteWidth(
        n, depth, kmax, points, seeds, np.array(widths), train, est, sd, on_points, limit
    )
