"""Full-batch gradient descent on a one-hidden-layer network on S^{n-1}, with exact per-degree
residual energies and the infinite-width prediction alongside.

Network (docs/conventions.md, "Kernel conventions"):
f(x) = (1/sqrt m) sum_i a_i phi(<w_i, x> + b_i).
Loss: L = (1/2) E_x (f(x) - f*(x))^2, with E_x the uniform probability measure on S^{n-1}
(``samples=None``: population loss, computed exactly through Funk-Hecke) or the mean over
``samples`` points drawn uniformly (the papers' setting).  Plain GD with step ``lr`` on the
trained parameters (a for train="output"; w and b for "hidden", with a_i = +-1 fixed as in
Basri et al. 2019; all of them for "both").

Per-degree residual energies ||Pi_k (f* - f)||^2 are exact (not Monte Carlo) for ridge-sum and
teacher targets: every network unit is a ridge function, and
<Pi_k f, Pi_k h> = N(n,k) sum_ij alpha_i lambda_k(g_i) beta_j lambda_k(h_j) P_{k,n}(<u_i, v_j>).
They are recomputed at each record (a pair loop with the Legendre recurrence, numba), not at
every step.  The prediction is r_k(t) = (1 - lr mu_k)^{2t} r_k(0) with mu_k the infinite-width
spectrum of the trained layer(s) and r_k(0) the exact initial residual energy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harmonics import (
    Activation,
    dim_harmonics,
    funk_hecke_eigenvalues,
    get_activation,
    legendre_rows,
)
from harmonics._infra.checks import check_bool, check_dimension, check_int, check_real
from harmonics._infra.deprecation import NOT_GIVEN
from harmonics._infra.figures import new_axes
from harmonics._infra.results import ResultMixin
from harmonics._infra.rng import as_generator, rng_or_seed
from harmonics.projection import u_statistic_energies
from harmonics.ridge import (
    RidgeSumBase,
    population_cross_gram,
    population_gram,
)
from harmonics.truncated_power import float_eigenvalues

from . import _gd_kernels
from ._gates import derivative_gate, resolve
from ._ridge import _gate_eigenvalues, exact_network_energies, network_ridge
from .spectrum import spectrum
from .targets import TeacherNetwork, as_target

TRAIN_MODES = ("output", "hidden", "both")
INITS = ("sphere", "gaussian")
#: Activation names simulate accepts (every registered base function its numba kernels evaluate;
#: relu^p also as "relu3", ...; polynomials as harmonics.Activation objects with coeffs).
SIMULATE_ACTIVATIONS = (
    "abs",
    "cos",
    "erf",
    "gelu",
    "identity",
    "relu",
    "relu2",
    "sigmoid",
    "sign",
    "silu",
    "sin",
    "softplus",
    "step",
    "tanh",
)


#: Base-function codes (harmonics.Activation.kernel_code) gd_operator._gd_kernels evaluates.
_KERNEL_CODES = frozenset(range(16))


def fit_decay_rates(steps, energy, lr: float, window: float = 1e-3) -> np.ndarray:
    """Eigenvalue estimates (1 - rho_k) / lr from energy histories ``energy`` [T, K+1] recorded
    at ``steps`` [T]: the fit of :meth:`SimulationResult.measured_rates` (log r_k(t) =
    2 t log rho_k + c over the initial decay, until r_k < ``window`` r_k(0) or the decay stalls).
    NaN for columns without initial energy."""
    energy = np.asarray(energy, dtype=float)
    out = np.full(energy.shape[1], np.nan)
    t_all = np.asarray(steps).astype(float)
    for k in range(energy.shape[1]):
        r = energy[:, k]
        if not r[0] > 1e-14 or len(r) < 2:
            continue
        y = np.log(np.maximum(r, 1e-300))
        s0 = (y[1] - y[0]) / (t_all[1] - t_all[0])
        stop = len(r)
        for i in range(1, len(r)):
            if r[i] < window * r[0]:
                stop = i
                break
            if i >= 2 and s0 < 0:
                local = (y[i] - y[i - 1]) / (t_all[i] - t_all[i - 1])
                if local > s0 / 3:
                    stop = i
                    break
        stop = max(stop, 2)
        slope = np.polyfit(t_all[:stop], y[:stop], 1)[0]
        out[k] = (1 - math.exp(slope / 2)) / lr
    return out


class DivergenceError(ValueError):
    """Gradient descent diverged (loss became non-finite or exploded)."""


@dataclass(repr=False)
class SimulationResult(ResultMixin):
    """History of a GD run.

    Attributes
    ----------
    steps : int array [T] of recorded steps (starting at 0)
    loss : [T] the loss being minimized: exact population loss (1/2)||f* - f||^2 for
        samples=None, the empirical loss on the training sample otherwise
    train_loss : [T] same as ``loss`` (kept for symmetry with sweeps)
    residual_energy : [T, K+1] exact ||Pi_k (f* - f)||^2, k = 0..K
    predicted : [T, K+1] infinite-width prediction (1 - lr mu_k)^{2t} r_k(0)
    spectrum : [K+1] mu_k used for the prediction;  target_energy : [K+1] ||Pi_k f*||^2
    params : final W [m, n], b [m], a [m];  settings : the arguments (JSON-friendly; the
        ``rng`` argument is recorded under "seed")
    interrupted : True only for the partial history carried by :class:`SimulationInterrupted`
        (Ctrl-C propagates; ``simulate`` never returns an interrupted run); ``complete`` is
        its negation
    train_record : with ``record_residual=True`` (empirical loss): ``X`` [N, n] the training
        sample, ``residual`` [T, N] the residual f* - f on it at the recorded steps, and the
        initial parameters ``W0``, ``b0``, ``a0``; empty otherwise (saved, not in ``to_dict()``)

    ``to_dict()`` / ``to_json()``: the history and ``measured_rates()`` (params are left out);
    ``save(path)`` / ``SimulationResult.load(path)`` keep everything, params included.
    """

    _layout = (
        "settings",
        "steps",
        "loss",
        "train_loss",
        "residual_energy",
        "predicted",
        "spectrum",
        "target_energy",
        "measured_rates",
        "energies_exact",
        "interrupted",
    )

    steps: np.ndarray
    loss: np.ndarray
    train_loss: np.ndarray
    residual_energy: np.ndarray
    predicted: np.ndarray
    spectrum: np.ndarray
    target_energy: np.ndarray
    params: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    energies_exact: bool = True
    interrupted: bool = False
    train_record: dict = field(default_factory=dict)

    @property
    def K(self) -> int:
        return self.residual_energy.shape[1] - 1

    @property
    def complete(self) -> bool:
        """False for the partial history of an interrupted run (SimulationInterrupted.partial)."""
        return not self.interrupted

    def measured_rates(self, window: float = 1e-3) -> np.ndarray:
        """Per-degree eigenvalue estimates mu_hat_k = (1 - rho_k) / lr.

        rho_k is the per-step contraction of the degree-k residual, from a least-squares fit of
        log r_k(t) = 2 t log rho_k + c over the initial decay: from step 0 until r_k falls below
        ``window`` * r_k(0) or the decay stalls (local slope less than a third of the first
        interval's).  Finite width and finite samples mix degrees and leave a floor; past it the
        fit would measure the floor, not the eigenvalue.  NaN where the degree carries no
        initial energy; with fewer than two records in the window the first two are used.
        The fit is ``fit_decay_rates`` (usable on any energy history).
        """
        return fit_decay_rates(self.steps, self.residual_energy, self.settings["lr"], window)

    def __repr__(self) -> str:
        s = self.settings
        live = [k for k in range(self.K + 1) if self.residual_energy[0, k] > 1e-14]
        final = ", ".join(f"k={k}: {self.residual_energy[-1, k]:.3g}" for k in live[:6])
        return (
            f"SimulationResult({s['activation']}, n={s['n']}, m={s['m']}, train={s['train']}, "
            f"init={s['init']}, samples={s['samples']}, lr={s['lr']:g}, "
            f"steps={int(self.steps[-1])}{' (interrupted)' if self.interrupted else ''}; "
            f"loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g}; final residual energy {final})"
        )

    def plot(self, ax=None, degrees=None):
        """Measured (solid) and predicted (dashed) residual energy per degree, log scale."""
        fig, ax = new_axes(ax)
        ks = (
            degrees
            if degrees is not None
            else [k for k in range(self.K + 1) if self.residual_energy[0, k] > 1e-12]
        )
        for k in ks:
            (line,) = ax.semilogy(self.steps, self.residual_energy[:, k], label=f"k = {k}")
            ax.semilogy(self.steps, self.predicted[:, k], "--", color=line.get_color(), lw=1)
        ax.set_xlabel("GD step")
        ax.set_ylabel(r"residual energy $\|\Pi_k(f^*-f)\|^2$")
        ax.set_title("measured (solid) vs infinite-width prediction (dashed)")
        ax.legend()
        return ax


# ------------------------------------------------------------------------------- helpers


def _resolve_activation(activation) -> Activation:
    """The ``activation`` argument as an unscaled, unbiased registered gate (ValueError why not)."""
    if isinstance(activation, Activation):
        act = activation
    elif isinstance(activation, str):
        try:
            act = get_activation(activation)
        except ValueError as exc:
            raise ValueError(
                f"activation must be one of {', '.join(SIMULATE_ACTIVATIONS)} (or relu^p as "
                f"'relu3', ..., or a harmonics.Activation such as get_activation('polynomial', "
                f"coeffs=[...])), got {activation!r}: {exc}"
            ) from None
    else:
        raise TypeError(
            "activation must be a registered name or a harmonics.Activation, got "
            f"{type(activation).__name__}"
        )
    if act.kernel_code not in _KERNEL_CODES:
        raise ValueError(
            f"activation must be one of {', '.join(SIMULATE_ACTIVATIONS)} (or relu^p, or a "
            f"polynomial harmonics.Activation): the GD kernels do not evaluate {act!r}"
        )
    if act.scale != 1.0 or act.bias != 0.0:
        raise ValueError(
            f"simulate trains phi(<w, x> + b) with the scale in |w| and the bias in bias=; pass "
            f"the unscaled, unbiased activation, not {act!r}"
        )
    return act


def _population_target_products(target, act: Activation, W, n):
    """t_i = E_x[f*(x) phi(<w_i, x>)] exactly.

    Ridge targets of finite degree: their correlations with the units (harmonics.ridge,
    Funk-Hecke), times |w_i|^p for p-homogeneous phi.  Teacher networks: the arc-cosine cross
    kernel with abs (harmonics.ridge.population_cross_gram; relu, abs)."""
    r = np.linalg.norm(W, axis=1)
    U = W / r[:, None]
    p = act.homogeneous_degree
    if isinstance(target, RidgeSumBase) and target.max_degree is not None:
        out = target.unit_products(U, funk_hecke_eigenvalues(act, n, target.max_degree))
        if p is not None and p != 0:
            out *= r if p == 1 else r**p
        return out
    if isinstance(target, TeacherNetwork):
        try:
            K = population_cross_gram(act, W, "abs", target.W, unit=True)
        except ValueError:
            pass
        else:
            rs = np.linalg.norm(target.W, axis=1)
            return r * (K @ (target.a * rs))
    raise ValueError(
        "population loss (samples=None) needs a ridge_target, or a teacher_network with "
        f"activation relu or abs; got {act!r} and {type(target).__name__}: pass samples=N"
    )


def _mc_residual_energies(residual_values, X, n, K):
    """U-statistic estimates of ||Pi_k r||^2 (harmonics.projection.u_statistic_energies)."""
    return u_statistic_energies(X, residual_values, n, K, stderr=False)


def _default_spectrum(activation, n, K, train, init, bias, bias_init="normal"):
    """mu_k for the prediction, from gd_operator.spectrum (same conventions as this module).

    ``bias_init="zero"``: the biases start at 0, so the kernel is the unbiased one, plus, when
    the hidden layer (and with it b = beta b~) is trained, beta^2 K'(rho), K' = E[g'(u) g'(v)]
    the kernel of the derivative gate (e.g. step for relu)."""
    if bias_init == "zero" and bias is not None:
        mu = np.asarray(spectrum(activation, n, K, train=train, init=init), dtype=float)
        if train in ("hidden", "both"):
            der, c = derivative_gate(resolve(activation))
            mu_der = spectrum(der, n, K, train="output", init=init)
            mu = mu + bias * bias * c * c * np.asarray(mu_der, dtype=float)
        return mu
    return np.asarray(spectrum(activation, n, K, train=train, init=init, bias=bias), dtype=float)


# ----------------------------------------------------------------------- setup (front end)


@dataclass(eq=False)
class _Run:
    """Everything the GD loop needs: validated settings, parameters, data or population pieces,
    and the energy recorder.  Built by :func:`_setup`, which owns the random generator."""

    act: Activation
    n: int
    m: int
    steps: int
    lr: float
    train: str
    init: str
    samples: int | None
    bias: float | None
    record_every: int
    K: int
    dtype: np.dtype
    stop_loss: float | None
    W: np.ndarray
    b: np.ndarray
    a: np.ndarray
    problem: object  # _Empirical or _Population: loss(W, b, a) and step(W, b, a)
    recorder: object  # _ExactEnergies or _MonteCarloEnergies: residual energies, target_energy
    energies: bool
    settings: dict
    record_residual: bool = False
    initial: dict = field(default_factory=dict)


class _Empirical:
    """Empirical loss L = (1/2N) sum_s (f(x_s) - y_s)^2 on the training sample (numba kernels)."""

    def __init__(self, run_args, X, y, dtype):
        self.code, self.params, self.train, self.lr, self.bias, m, n = run_args
        self.X = X
        self.y = y.astype(dtype)
        self.XT = np.ascontiguousarray(X.T.astype(dtype))
        self.f = np.empty(X.shape[0], dtype=dtype)
        self.ga = np.zeros(m, dtype=dtype)
        self.gW = np.zeros((m, n), dtype=dtype)
        self.gb = np.zeros(m, dtype=dtype)
        self.hidden = self.train in ("hidden", "both")
        self.train_bias = self.hidden and self.bias is not None
        self.r = None
        # ReLU on the circle: the arc kernels, O(m log N + N) per step (gd_operator._gd_kernels)
        self.circle = n == 2 and self.code == 0
        self.layout = _gd_kernels.circle_layout(self.XT[None]) if self.circle else None

    def loss(self, W, b, a) -> float:
        if self.circle:
            _gd_kernels.forward_circle(W[None], b[None], a[None], self.layout, self.f[None])
        else:
            _gd_kernels.forward(W, b, a, self.XT, self.code, self.f, self.params)
        self.r = self.f - self.y
        return 0.5 * float(np.mean(self.r.astype(float) ** 2))

    def step(self, W, b, a) -> None:
        """One GD step from the residual of the last :meth:`loss` (in place)."""
        lr, ga, gW, gb = self.lr, self.ga, self.gW, self.gb
        if self.circle:
            _gd_kernels.gradients_circle(
                W[None], b[None], a[None], self.layout, self.r[None], ga[None], gW[None],
                gb[None], self.hidden,
            )  # fmt: skip
        else:
            _gd_kernels.gradients(
                W, b, a, self.XT, self.code, self.r, ga, gW, gb, self.hidden, self.params
            )
        if self.train in ("output", "both"):
            a -= lr * ga
        if self.hidden:
            W -= lr * gW
            if self.train_bias:
                # NTK parametrization b = beta * b~ with b~ trained (as in gd_operator.spectrum):
                # db = -lr beta^2 dL/db.
                b -= (lr * self.bias * self.bias) * gb


class _Population:
    """Exact population loss of the output layer: L(a) = (1/2)(||f*||^2 - 2 a.t/sqrt(m) +
    a^T G a / m), G the population Gram of the units (harmonics.ridge.population_gram; with
    per-unit biases ``_biased_population``) and t_i = E[f* phi(<w_i, x> + b_i)]."""

    def __init__(self, target, act, W, n, lr, dtype, b=None):
        if b is not None and np.any(b != 0):
            self.G, self.t, _ = _biased_population(target, act, W, b, n)
        else:
            # float32 weights are unit vectors to ~1e-7 (their directions are used)
            self.G, _ = population_gram(act, W, atol=1e-12 if dtype == np.float64 else 1e-6)
            self.t = _population_target_products(target, act, W, n)
        self.norm2 = target.norm2()
        self.lr, self.dtype, self.sqrt_m = lr, dtype, math.sqrt(W.shape[0])

    def loss(self, W, b, a) -> float:
        af = a.astype(float)
        m = a.shape[0]
        return 0.5 * (self.norm2 - 2 * af @ self.t / self.sqrt_m + af @ self.G @ af / m)

    def step(self, W, b, a) -> None:
        af = a.astype(float)
        grad = self.G @ af / a.shape[0] - self.t / self.sqrt_m
        a -= (self.lr * grad).astype(self.dtype)


def _biased_population(target, act, W, b, n, *, rtol=1e-5, kmax_limit=256):
    """(G, t, K) of the population loss for relu units with their own biases b_i.

    Unit i is the ridge function g_i(<u_i, x>), u_i = w_i/|w_i|, g_i(t) = relu(|w_i| t + b_i),
    whose Funk-Hecke eigenvalues are closed forms (gd_operator._ridge, truncated powers).  So
    t_i = E[f* g_i] = sum_{k <= deg f*} N(n,k) lambda_k(g_i) <Pi_k f*, P_k(<u_i, .>)> exactly
    (ridge targets), and G_ij = sum_k N(n,k) lambda_k(g_i) lambda_k(g_j) P_{k,n}(<u_i, u_j>)
    (docs/conventions.md, "Ridge functions"), summed to degree K with the diagonal set to the
    exact E[g_i^2] = |w_i|^2 E[(t - t0_i)_+^2].  K doubles from 32 until the largest Parseval
    tail E[g_i^2] - sum_{k<=K} N lambda_k(g_i)^2 is <= ``rtol`` max_i E[g_i^2]; then
    |G_ij - exact| <= sqrt(tail_i tail_j) (Cauchy-Schwarz), and the dynamics feel the error
    through (G - exact)/m, of norm <~ 2 max tail / m.  Cost O(K m^2).
    """
    if act.name != "relu":
        raise ValueError(
            f"the population loss with biases is implemented for relu units, got {act!r}; "
            "pass samples=N"
        )
    if not (isinstance(target, RidgeSumBase) and target.max_degree is not None):
        raise ValueError(
            "the population loss with biases needs a ridge_target (finite degree); got "
            f"{type(target).__name__}: pass samples=N"
        )
    r = np.linalg.norm(W, axis=1)
    U = W / r[:, None]
    t0 = -b / r
    e2 = r * r * float_eigenvalues(t0, 2, n, 0)[:, 0]  # E[g_i^2]
    K = 32
    while True:
        lam = _gate_eigenvalues(act, r, b, n, K)  # [m, K+1]
        dims = np.array([float(dim_harmonics(n, k)) for k in range(K + 1)])
        tail = np.maximum(e2 - (lam * lam) @ dims, 0.0)
        if tail.max() <= rtol * max(float(e2.max()), 1e-300) or K >= kmax_limit:
            break
        K *= 2
    rho = np.clip(U @ U.T, -1.0, 1.0)
    G = np.zeros_like(rho)
    for k, Pk in legendre_rows(n, K, rho):  # the rows feed the recurrence: not in place
        G += (dims[k] * lam[:, k][:, None]) * Pk * lam[:, k][None, :]
    np.fill_diagonal(G, e2)
    deg = target.max_degree
    if deg > K:
        lam = _gate_eigenvalues(act, r, b, n, deg)
    t = target.unit_products(U, lam[:, : deg + 1])
    return G, t, K


class _ExactEnergies:
    """||Pi_k (f* - f)||^2 = ||Pi_k f*||^2 - 2 <Pi_k f*, Pi_k f> + ||Pi_k f||^2, every term by
    the ridge-sum formula of harmonics.ridge (target and network are ridge sums)."""

    exact = True

    def __init__(self, target, act, n, K, atol):
        self.target, self.act, self.n, self.K, self.atol = target, act, n, K, atol
        self.target_energy = target.degree_inner_products(target, K)

    def __call__(self, W, b, a) -> np.ndarray:
        net = network_ridge(
            W.astype(float),
            b.astype(float),
            a.astype(float),
            self.act,
            self.n,
            self.K,
            atol=self.atol,
        )
        cross = self.target.degree_inner_products(net, self.K)
        self_ = net.degree_inner_products(net, self.K)
        return np.maximum(self.target_energy - 2 * cross + self_, 0.0)


class _MonteCarloEnergies:
    """The U-statistic of the addition theorem on 2000 fixed points (their own seed, so the
    run's random stream is untouched): for callable targets and for networks whose units have
    no exact eigenvalues (harmonics.Activation.exact_gates)."""

    exact = False

    def __init__(self, target, act, n, K):
        eval_rng = np.random.default_rng(np.random.SeedSequence(entropy=12345))
        X = eval_rng.standard_normal((2000, n))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        self.X, self.n, self.K = X, n, K
        self.y = target(X)
        self.XT = np.ascontiguousarray(X.T)
        self.code, self.params = act.kernel_code, act.kernel_params
        if isinstance(target, RidgeSumBase):
            self.target_energy = target.degree_inner_products(target, K)
        else:
            self.target_energy = _mc_residual_energies(self.y, X, n, K)

    def __call__(self, W, b, a) -> np.ndarray:
        f = np.empty(self.X.shape[0])
        _gd_kernels.forward(
            W.astype(float), b.astype(float), a.astype(float), self.XT, self.code, f, self.params
        )
        return _mc_residual_energies(self.y - f, self.X, self.n, self.K)


#: Default memory limit of :func:`simulate` (bytes), checked before anything is allocated.
DEFAULT_MAX_BYTES = 4 * 2**30


def _check_memory(m: int, n: int, samples, K: int, max_bytes) -> None:
    """Refuse a run whose arrays would exceed ``max_bytes`` (estimate, float64): the population
    Gram matrix and its temporaries (~5 m^2 values), or the training sample (3 N n) and the
    units (4 m n); the energy records (2000 points x 2m, (K+1) m)."""
    max_bytes = check_int(max_bytes, "max_bytes", 1)
    if samples is None:
        values = 5 * m * m
        what = f"the population Gram matrix ({m} x {m}) and its temporaries"
    else:
        values = 3 * samples * n
        what = f"the training sample ({samples} x {n})"
    values += 4 * m * n + 4000 * m + (K + 1) * m
    need = 8 * values
    if need > max_bytes:
        raise ValueError(
            f"simulate: m = {m}, n = {n}, samples = {samples} need ~{need:.3g} bytes "
            f"({what}), above max_bytes={max_bytes:.3g}; lower m or samples, or pass "
            "max_bytes=N to raise the limit"
        )


def _setup(
    target,
    activation,
    n,
    m,
    *,
    steps,
    lr,
    train,
    init,
    samples,
    bias,
    rng,
    seed,
    record_every,
    kmax,
    dtype,
    energies,
    symmetric,
    stop_loss,
    record_residual=False,
    bias_init="normal",
    max_bytes=None,
) -> _Run:
    """Validate the arguments, build the target and draw the initialization and the sample.

    The one random generator (``rng``) draws, in this order: W, b (with ``bias``), a (hidden
    training), the training sample (``samples``).  Every refusal is a ValueError that says why.
    """
    target_n = getattr(target, "n", None)
    n = check_dimension(n if n is not None else target_n if target_n is not None else 0)
    target = as_target(target, n)
    m = check_int(m, "m", 1)
    steps = check_int(steps, "steps", 0, 10**9)  # 1e9 steps: hours even at m = 1
    lr = check_real(lr, "lr", positive=True)
    energies = check_bool(energies, "energies")
    symmetric = check_bool(symmetric, "symmetric")
    record_residual = check_bool(record_residual, "record_residual")
    if bias_init not in ("normal", "zero"):
        raise ValueError(f"bias_init must be 'normal' or 'zero', got {bias_init!r}")
    if record_residual and samples is None:
        raise ValueError(
            "record_residual=True records the residual on the training sample; pass samples=N"
        )
    rng = rng_or_seed(rng, seed, where="simulate", default=0)
    recorded_seed = rng if isinstance(rng, (int, type(None))) else repr(rng)
    if train not in TRAIN_MODES:
        raise ValueError(f"train must be one of {TRAIN_MODES}, got {train!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    act = _resolve_activation(activation)
    if train != "output" and act.discontinuous:
        raise ValueError(
            f"train={train!r} needs the derivative of the activation, but {act.name!r} jumps: "
            "its derivative is 0 almost everywhere (plus a Dirac delta at the jump), so the "
            "gradients of the hidden layer vanish and it never moves; use train='output'"
        )
    if samples is not None:
        samples = check_int(samples, "samples", 1)
    if bias is not None:
        bias = check_real(bias, "bias", nonnegative=True)
    if stop_loss is not None:
        stop_loss = check_real(stop_loss, "stop_loss", positive=True)
    if record_every is None:
        record_every = max(1, steps // 60)
    record_every = check_int(record_every, "record_every", 1)
    dtype = np.dtype(dtype)
    if dtype not in (np.float64, np.float32):
        raise TypeError(f"dtype must be float64 or float32, got {dtype}")
    tdeg = getattr(target, "max_degree", None)
    tdeg = 4 if tdeg is None else tdeg
    # kmax: the recorded degrees; each record costs O(m^2 kmax) pair sums (and the spectrum
    # prediction needs the eigenvalues up to kmax): at most 1000
    K = check_int(kmax if kmax is not None else max(6, tdeg + 2), "kmax", 0, 1000)
    _check_memory(m, n, samples, K, DEFAULT_MAX_BYTES if max_bytes is None else max_bytes)
    if samples is None and train != "output":
        raise ValueError(
            f"the exact population loss is implemented for train='output' only; for "
            f"train={train!r} pass samples=N (empirical loss on N uniform points)"
        )
    if samples is None and bias is not None and act.name != "relu":
        raise ValueError(
            "the population loss with biases is implemented for relu (closed-form eigenvalues "
            f"of every biased unit), got {act!r}; pass samples=N"
        )
    if samples is None and act.homogeneous_degree is None and init != "sphere":
        raise ValueError(
            f"population loss for {act!r} (not positively homogeneous) needs init='sphere': "
            "with Gaussian weights every unit has its own gate phi(|w| t); pass samples=N"
        )

    rng = as_generator(rng)
    W = rng.standard_normal((m, n))
    if init == "sphere":
        W /= np.linalg.norm(W, axis=1, keepdims=True)
    if bias is not None and bias_init == "normal":
        b = rng.normal(0.0, bias, size=m)
    else:
        b = np.zeros(m)  # no bias, or a trained bias that starts at 0 (bias_init="zero")
    a = np.zeros(m) if train == "output" else rng.choice([-1.0, 1.0], size=m)
    if symmetric and train != "output":
        if m % 2:
            raise ValueError(f"symmetric initialization needs an even width m, got {m}")
        half = m // 2
        W[half:], b[half:], a[half:] = W[:half], b[:half], -a[:half]
    W, b, a = W.astype(dtype), b.astype(dtype), a.astype(dtype)
    initial = {"W0": W.copy(), "b0": b.copy(), "a0": a.copy()} if record_residual else {}

    if samples is not None:
        X = rng.standard_normal((samples, n))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        args = (act.kernel_code, act.kernel_params, train, lr, bias, m, n)
        problem = _Empirical(args, X, target(X), dtype)
    else:
        b_pop = b.astype(float) if bias is not None else None
        problem = _Population(target, act, W.astype(float), n, lr, dtype, b=b_pop)

    exact_net = exact_network_energies(
        act, unit_weights=init == "sphere" and train == "output", biased=bias is not None
    )
    if isinstance(target, RidgeSumBase) and exact_net:
        recorder = _ExactEnergies(target, act, n, K, 1e-12 if dtype == np.float64 else 1e-6)
    else:
        recorder = _MonteCarloEnergies(target, act, n, K)
    settings = {
        "activation": activation if isinstance(activation, str) else repr(act),
        "n": n,
        "m": m,
        "steps": steps,
        "lr": lr,
        "train": train,
        "init": init,
        "samples": samples,
        "bias": bias,
        "bias_init": bias_init,
        "seed": recorded_seed,
        "record_every": record_every,
        "kmax": K,
        "dtype": str(dtype),
        "symmetric": symmetric,
        "stop_loss": stop_loss,
        "record_residual": record_residual,
        "target": repr(target),
    }
    return _Run(
        act=act,
        n=n,
        m=m,
        steps=steps,
        lr=lr,
        train=train,
        init=init,
        samples=samples,
        bias=bias,
        record_every=record_every,
        K=K,
        dtype=dtype,
        stop_loss=stop_loss,
        W=W,
        b=b,
        a=a,
        problem=problem,
        recorder=recorder,
        energies=energies,
        settings=settings,
        record_residual=record_residual,
        initial=initial,
    )


# ---------------------------------------------------------------------------------- loop


@dataclass(eq=False)
class _History:
    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    energy: list = field(default_factory=list)
    train: list = field(default_factory=list)  # residuals f* - f on the training sample
    done: bool = False  # simulate_batch: the run has finished (not part of an interruption)


def _gd_loop(run: _Run, history: _History, *, progress: bool, callback) -> None:
    """Plain GD with step ``lr`` on the run's problem; records every ``record_every`` steps, the
    last one and the step where the loss first falls below ``stop_loss``.  Raises
    DivergenceError; any exception (KeyboardInterrupt included) leaves ``history`` as far as it
    got."""
    W, b, a, problem, K = run.W, run.b, run.a, run.problem, run.K
    bar = None
    if progress:
        from harmonics._infra.extras import progress_bar  # no tqdm: no bar

        bar = progress_bar(total=run.steps, desc="GD", leave=False)
    loss0 = None
    try:
        for step in range(run.steps + 1):
            loss = problem.loss(W, b, a)
            if loss0 is None:
                loss0 = max(loss, 1e-300)
            if not math.isfinite(loss) or loss > 1e8 * loss0:
                raise DivergenceError(
                    f"gradient descent diverged at step {step} (loss {loss:.3g}, "
                    f"initial {loss0:.3g}); use a smaller lr than {run.lr:g}"
                )
            stop_now = run.stop_loss is not None and loss < run.stop_loss
            if step % run.record_every == 0 or step == run.steps or stop_now:
                e = run.recorder(W, b, a) if run.energies else np.full(K + 1, np.nan)
                history.steps.append(step)
                history.energy.append(e)
                history.loss.append(loss)
                if run.record_residual:
                    history.train.append(-problem.r.astype(float))
            if callback is not None:
                callback(step, loss)
            if step == run.steps or stop_now:
                break
            problem.step(W, b, a)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()


# ------------------------------------------------------------------------------- results


def _result(run: _Run, history: _History, *, interrupted: bool = False) -> SimulationResult:
    try:
        mu = _default_spectrum(
            run.act, run.n, run.K, run.train, run.init, run.bias, run.settings["bias_init"]
        )
    except (ImportError, ValueError, NotImplementedError):
        mu = np.full(run.K + 1, np.nan)
    steps_arr = np.array(history.steps, dtype=np.int64)
    energy = np.array(history.energy).reshape(len(history.steps), run.K + 1)
    factor = (1 - run.lr * mu) ** 2
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        if len(history.steps):
            predicted = energy[0][None, :] * factor[None, :] ** steps_arr[:, None]
        else:
            predicted = np.zeros_like(energy)
    return SimulationResult(
        steps=steps_arr,
        loss=np.array(history.loss),
        train_loss=np.array(history.loss),
        residual_energy=energy,
        predicted=predicted,
        spectrum=mu,
        target_energy=np.asarray(run.recorder.target_energy),
        params={"W": run.W, "b": run.b, "a": run.a},
        settings=dict(run.settings),
        energies_exact=run.recorder.exact,
        interrupted=interrupted,
        train_record=(
            {
                "X": run.problem.X,
                "residual": np.array(history.train).reshape(len(history.train), -1),
                **run.initial,
            }
            if run.record_residual
            else {}
        ),
    )


class SimulationInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a KeyboardInterrupt from ``callback``) during :func:`simulate`.

    A KeyboardInterrupt, so it propagates like one (command lines exit with 130); ``partial``
    is the history up to the interruption, a :class:`SimulationResult` with
    ``interrupted=True`` (``complete`` False) -- never returned as if the run were whole.
    From :func:`simulate_batch`, ``partial`` is the list of every run's history (runs that
    had already finished are complete, the others ``interrupted=True``).
    """

    def __init__(self, partial):
        if isinstance(partial, list):  # simulate_batch: one partial history per run
            done = [int(p.steps[-1]) if len(p.steps) else None for p in partial]
            super().__init__(
                f"batched simulation of {len(partial)} runs interrupted (last recorded steps "
                f"{done})"
            )
        else:
            last = int(partial.steps[-1]) if len(partial.steps) else None
            super().__init__(
                f"simulation interrupted (last recorded step {last} of {partial.settings['steps']})"
            )
        self.partial = partial


# --------------------------------------------------------------------------------- main


def simulate(
    target,
    activation="relu",
    n: int | None = None,
    m: int = 1024,
    *,
    steps: int,
    lr: float,
    train: str = "output",
    init: str = "sphere",
    samples: int | None = None,
    bias: float | None = None,
    rng=0,
    record_every: int | None = None,
    kmax: int | None = None,
    progress: bool = True,
    dtype=np.float64,
    energies: bool = True,
    symmetric: bool = False,
    stop_loss: float | None = None,
    callback=None,
    record_residual: bool = False,
    bias_init: str = "normal",
    max_bytes: int = DEFAULT_MAX_BYTES,
    seed=NOT_GIVEN,
) -> SimulationResult:
    """Train f(x) = (1/sqrt m) sum_i a_i phi(<w_i,x> + b_i) by full-batch GD; see module doc.

    Parameters
    ----------
    target : ridge_target(...), teacher_network(...) or a callable on points [N, n] -> [N]
        (callables: residual energies by a Monte Carlo U-statistic on 2000 fixed points).
    activation : a registered name (``SIMULATE_ACTIVATIONS``: relu, abs, step, sign, relu2
        (and relu3, ...), identity, sigmoid, tanh, erf, softplus, gelu) or an unscaled,
        unbiased harmonics.Activation (e.g. get_activation("polynomial", coeffs=[0, 1, 0.5])).
        step and sign jump (zero derivative almost everywhere): train="output" only.
    n : dimension (defaults to the target's);  m : width (hidden units).
    steps : GD steps;  lr : step size > 0.
    train : "output" (a, from a = 0), "hidden" (w and, with bias, b; a_i = +-1 fixed) or
        "both" (a_i = +-1 initially, all trained).
    init : "sphere" (w_i uniform on S^{n-1}, Vempala-Wilmes) or "gaussian" (w_i ~ N(0, I_n)).
    samples : None for the exact population loss (output layer; without bias any activation
        with sphere init, positively homogeneous ones -- relu, abs, step, sign, relu^p,
        identity -- with any init; with ``bias``, relu: ``_biased_population``), or N
        points drawn uniformly (empirical loss).
    bias : std beta of random biases b_i ~ N(0, beta^2) (None: no bias).
    bias_init : "normal" (default: b_i ~ N(0, bias^2)) or "zero": the biases start at 0 and,
        when the hidden layer is trained, are trained with step lr * bias^2 (the NTK
        parametrization b = bias * b~ with b~ starting at 0; Basri et al.'s code trains a bias
        from 0 with the step of the weights: bias=1).  The prediction then uses the unbiased
        kernel plus bias^2 K' (K' = E[g'(u) g'(v)]) for hidden-layer training.
    rng : int seed >= 0 (default 0: reproducible), numpy Generator or None (fresh entropy):
        draws weights, biases and samples.  ``seed=`` is its deprecated old name.
    record_every : record every this many steps (default: about 60 records).
    kmax : highest degree of the recorded energies (default: target degree + 2, at least 6).
    progress : tqdm progress bar.  dtype : float64 (default) or float32 for the parameters.
    energies : record the per-degree residual energies (False: NaN, for runs that only need the
        loss; the per-record pair loop costs O(m^2 K)).  They are exact when the target is a
        ridge sum and every unit's gate has exact eigenvalues (harmonics.Activation.exact_gates:
        relu, abs, step, sign always; relu^p, identity without bias; the others with sphere init,
        output layer only, no bias); otherwise a Monte Carlo U-statistic on 2000 fixed points
        (``energies_exact`` False).
    symmetric : antisymmetric initialization (train="hidden"/"both"): units come in pairs with
        equal (w, b) and opposite a, so f = 0 at initialization (m must be even); the kernel is
        unchanged.  Used for the Basri et al. reproduction to remove the random initial function.
    stop_loss : stop as soon as the loss is below this value (that step is recorded).
    callback : None or callback(step, loss), called at every step after the loss is computed
        (and recorded), before the update; whatever it raises propagates.
    Biases, when trained (train="hidden"/"both" with ``bias``), follow the NTK parametrization
    of gd_operator.spectrum: b = beta b~ with b~ trained, i.e. b <- b - lr beta^2 dL/db.

    Same rng seed -> same numbers, bit for bit, on the same machine (fixed thread count).
    Ctrl-C (KeyboardInterrupt) propagates as :class:`SimulationInterrupted`, a KeyboardInterrupt
    whose ``partial`` attribute holds the history so far (``interrupted=True``).

    record_residual : with ``samples``, record the residual f* - f on the training sample at
        every recorded step (``SimulationResult.train_record``: the sample X, the residuals
        [T, N] and the initial parameters), e.g. to measure, as Cao et al. (2019) do, how the
        training residual projects on each degree.
    max_bytes : memory limit, checked before anything is allocated (default 4 GiB): the
        population Gram matrix needs ~40 m^2 bytes with its temporaries (m = 10^5: 400 GB,
        refused), an empirical run ~24 N n + 32 m n bytes.  Raise it for larger runs.

    Structure: :func:`_setup` (validation, target, initialization; owns the random generator),
    :func:`_gd_loop` (iterations and records), kernels in gd_operator._gd_kernels (numba).
    """
    progress = check_bool(progress, "progress")
    run = _setup(
        target,
        activation,
        n,
        m,
        steps=steps,
        lr=lr,
        train=train,
        init=init,
        samples=samples,
        bias=bias,
        rng=rng,
        seed=seed,
        record_every=record_every,
        kmax=kmax,
        dtype=dtype,
        energies=energies,
        symmetric=symmetric,
        stop_loss=stop_loss,
        record_residual=record_residual,
        bias_init=bias_init,
        max_bytes=max_bytes,
    )
    history = _History()
    try:
        _gd_loop(run, history, progress=progress, callback=callback)
    except KeyboardInterrupt as exc:
        raise SimulationInterrupted(_result(run, history, interrupted=True)) from exc
    return _result(run, history)


# ------------------------------------------------------------------------ batched runs

#: Most runs :func:`simulate_batch` takes in one call.
MAX_BATCH = 10_000


def _broadcast_runs(targets, rng):
    """(targets, rngs) as two lists of the same length R: a list of targets and a list of
    seeds pair up; a single target (not a list/tuple) or a single rng is used for every run."""
    many_t = isinstance(targets, (list, tuple))
    many_r = isinstance(rng, (list, tuple, range))
    if not many_t and not many_r:
        raise TypeError(
            "simulate_batch needs a list of targets or a list of rng seeds (one per run); for "
            "a single run use simulate"
        )
    t_list = list(targets) if many_t else None
    r_list = list(rng) if many_r else None
    if t_list is not None and r_list is not None and len(t_list) != len(r_list):
        raise ValueError(
            f"targets and rng must have the same length (one of each per run), got "
            f"{len(t_list)} targets and {len(r_list)} rngs"
        )
    R = len(t_list) if t_list is not None else len(r_list)
    if not 1 <= R <= MAX_BATCH:
        raise ValueError(f"simulate_batch runs 1..{MAX_BATCH} runs, got {R}")
    return (t_list or [targets] * R), (r_list or [rng] * R)


def simulate_batch(
    targets,
    activation="relu",
    n: int | None = None,
    m: int = 1024,
    *,
    steps: int,
    lr: float,
    rng=0,
    progress: bool = True,
    callback=None,
    on_finish=None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    **options,
) -> list:
    """R independent GD runs of the same architecture in one batched kernel.

    Run r is exactly ``simulate(targets[r], activation, n, m, steps=steps, lr=lr,
    rng=rng[r], **options)``: same initialization and sample (each run has its own
    generator), same history, same final parameters -- bit for bit (tested): the batched
    kernels (gd_operator._gd_kernels.forward_batch / gradients_batch) split the work into
    tasks (run, block of units) whose arithmetic does not depend on the other runs, and a
    single :func:`simulate` is the batch of one.

    Parameters
    ----------
    targets : a list of R targets (one per run), or one target for every run.
    rng : a list of R seeds / Generators (one per run), or one seed for every run (then
        ``targets`` must be a list).  At least one of the two must be a list.
    activation, n, m, steps, lr, max_bytes : as :func:`simulate`, shared by every run.
    options : any other keyword of :func:`simulate` (train, init, samples, bias, bias_init,
        record_every, kmax, dtype, energies, symmetric, stop_loss, record_residual), shared
        by every run.  With ``stop_loss`` a run leaves the batch when its loss falls below it.
    progress : one progress bar over the GD steps of all runs.
    callback : None or callback(index, step, loss), called for run ``index`` at every step
        after its loss is computed (and recorded), before the update.  A true return value
        ends that run at this step (recorded), like ``stop_loss`` does: e.g. a rule that the
        threshold cannot be reached within ``steps``.  (:func:`simulate` ignores it.)
    on_finish : None or on_finish(index, result), called with run ``index``'s complete
        :class:`SimulationResult` as soon as it leaves the batch (to save finished runs of a
        long batch as they come).

    Returns
    -------
    list of R :class:`SimulationResult`, in the order of the runs.

    The batch is what makes repeated runs of one architecture (frequencies x seeds,
    amplitudes) cheap: one kernel call per step for all runs instead of R, both cores busy on
    independent tasks (no per-run thread hand-off on a loaded machine).  Empirical losses
    (``samples=N``) are batched; population runs (``samples=None``, a Gram-matrix product per
    step) are run one after the other.  A DivergenceError names the run.  Ctrl-C raises
    :class:`SimulationInterrupted` with the list of partial histories.  Memory: R times one
    run's, checked against ``max_bytes`` before anything is allocated.

    Examples
    --------
    >>> from gd_operator import ridge_target, simulate, simulate_batch
    >>> tg = [ridge_target(3, (k,), rng=0) for k in (1, 2)]
    >>> kw = dict(steps=5, lr=1.0, samples=50, train="both", progress=False)
    >>> batch = simulate_batch(tg, "relu", 3, 16, rng=[0, 1], **kw)
    >>> one = simulate(tg[1], "relu", 3, 16, rng=1, **kw)
    >>> bool((batch[1].loss == one.loss).all() and (batch[1].params["W"] == one.params["W"]).all())
    True
    """
    progress = check_bool(progress, "progress")
    t_list, r_list = _broadcast_runs(targets, rng)
    R = len(t_list)
    max_bytes = check_int(max_bytes, "max_bytes", 1)
    if "seed" in options:
        raise TypeError("simulate_batch takes rng= (a list of seeds), not seed=")
    known = {
        "train", "init", "samples", "bias", "record_every", "kmax", "dtype", "energies",
        "symmetric", "stop_loss", "record_residual", "bias_init",
    }  # fmt: skip
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"simulate_batch got unexpected keyword(s) {unknown}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable(index, step, loss), got {callback!r}")
    if on_finish is not None and not callable(on_finish):
        raise TypeError(f"on_finish must be callable(index, result), got {on_finish!r}")
    defaults = dict(
        train="output", init="sphere", samples=None, bias=None, record_every=None, kmax=None,
        dtype=np.float64, energies=True, symmetric=False, stop_loss=None, record_residual=False,
        bias_init="normal",
    )  # fmt: skip
    kw = {**defaults, **options}
    samples = kw["samples"]
    if samples is not None:
        samples = check_int(samples, "samples", 1)
        nn = check_dimension(n if n is not None else getattr(t_list[0], "n", None) or 0)
        mm = check_int(m, "m", 1)
        # the stacked batch arrays (each run's own arrays are checked by _setup): samples and
        # XT, outputs, residuals; W, gW, b, a and their gradients
        need = 8 * R * (2 * samples * nn + 3 * samples + 2 * mm * nn + 4 * mm)
        if need > max_bytes:
            raise ValueError(
                f"simulate_batch: {R} runs of m = {mm}, n = {nn}, samples = {samples} need "
                f"~{need:.3g} bytes, above max_bytes={max_bytes:.3g}; run fewer at once, or "
                "pass max_bytes=N to raise the limit"
            )
    runs = [
        _setup(t, activation, n, m, steps=steps, lr=lr, rng=r_, seed=NOT_GIVEN,
               max_bytes=max_bytes, **kw)
        for t, r_ in zip(t_list, r_list, strict=True)
    ]  # fmt: skip
    histories = [_History() for _ in runs]
    try:
        if samples is None:
            for j, (run, hist) in enumerate(zip(runs, histories, strict=True)):
                cb = None if callback is None else (lambda st, lo, j=j: callback(j, st, lo))
                _gd_loop(run, hist, progress=progress, callback=cb)
                hist.done = True
                if on_finish is not None:
                    on_finish(j, _result(run, hist))
        else:
            done = None
            if on_finish is not None:
                done = lambda r: on_finish(r, _result(runs[r], histories[r]))  # noqa: E731
            _gd_loop_batch(runs, histories, progress=progress, callback=callback, on_finish=done)
    except KeyboardInterrupt as exc:
        partial = [
            _result(run, hist, interrupted=not hist.done)
            for run, hist in zip(runs, histories, strict=True)
        ]
        raise SimulationInterrupted(partial) from exc
    return [_result(run, hist) for run, hist in zip(runs, histories, strict=True)]


def _gd_loop_batch(runs, histories, *, progress: bool, callback, on_finish=None) -> None:
    """:func:`_gd_loop` for R empirical runs at once: the same per-run arithmetic (loss,
    records, stopping, updates), the kernels called once per step for every active run.
    Each run's W, b, a become views into the batch arrays while it runs and its own copies
    when it finishes."""
    first = runs[0]
    probs = [run.problem for run in runs]
    p0 = probs[0]
    W = np.stack([run.W for run in runs])  # [R, m, n]
    b = np.stack([run.b for run in runs])  # [R, m]
    a = np.stack([run.a for run in runs])  # [R, m]
    XT = np.stack([p.XT for p in probs])  # [R, n, N]
    layout = _gd_kernels.circle_layout(XT) if p0.circle else None
    Y = np.stack([p.y for p in probs])  # [R, N]
    F = np.empty_like(Y)  # outputs f [R, N]
    Res = np.empty_like(Y)  # residuals f - y [R, N]
    ga, gW, gb = np.zeros_like(a), np.zeros_like(W), np.zeros_like(b)
    for r, run in enumerate(runs):
        run.W, run.b, run.a = W[r], b[r], a[r]
    R = len(runs)
    lr, code, prm = first.lr, p0.code, p0.params
    out_layer, hidden, train_bias = first.train in ("output", "both"), p0.hidden, p0.train_bias
    bias_step = (lr * first.bias * first.bias) if train_bias else 0.0
    steps, every, stop = first.steps, first.record_every, first.stop_loss
    active = list(range(R))
    loss0 = [None] * R
    bar = None
    if progress:
        from harmonics._infra.extras import progress_bar  # no tqdm: no bar

        bar = progress_bar(total=steps * R, desc=f"GD ({R} runs)", leave=False)

    def finish(r):
        run = runs[r]
        run.W, run.b, run.a = W[r].copy(), b[r].copy(), a[r].copy()
        histories[r].done = True
        if on_finish is not None:
            on_finish(r)

    nan_rows = {}  # energies=False: one NaN row per K, shared by the records

    def record(r, step, loss):
        run, hist = runs[r], histories[r]
        if run.energies:
            e = run.recorder(W[r], b[r], a[r])
        else:
            e = nan_rows.setdefault(run.K, np.full(run.K + 1, np.nan))
        hist.steps.append(step)
        hist.energy.append(e)
        hist.loss.append(loss)
        if run.record_residual:
            hist.train.append(-Res[r].astype(float))

    try:
        for step in range(steps + 1):
            idx = np.array(active, dtype=np.int64)
            whole = len(active) == R  # every run active: whole-array operations
            if layout is not None:
                _gd_kernels.forward_circle(W, b, a, layout, F, idx)
            else:
                _gd_kernels.forward_batch(W, b, a, XT, code, F, prm, idx)
            # the arithmetic of _Empirical.loss, row by row (elementwise, and numpy's mean of
            # a row is the same reduction as the mean of that row alone)
            if whole:
                np.subtract(F, Y, out=Res)
                sub = Res
            else:
                sub = F[idx] - Y[idx]
                Res[idx] = sub
            losses = 0.5 * np.mean(sub.astype(float) ** 2, axis=1)
            for j, r in enumerate(active):
                if loss0[r] is None:
                    loss0[r] = max(float(losses[j]), 1e-300)
            bad = ~np.isfinite(losses) | (losses > 1e8 * np.array([loss0[r] for r in active]))
            if bad.any():
                j = int(np.argmax(bad))
                r = active[j]
                raise DivergenceError(
                    f"run {r} of the batch: gradient descent diverged at step {step} (loss "
                    f"{losses[j]:.3g}, initial {loss0[r]:.3g}); use a smaller lr than {lr:g}"
                )
            stops = losses < stop if stop is not None else np.zeros(len(active), dtype=bool)
            regular = step % every == 0 or step == steps
            leaving = []
            for j, r in enumerate(active):
                stop_now = bool(stops[j])
                loss = float(losses[j])
                recorded = regular or stop_now
                if recorded:
                    record(r, step, loss)
                if callback is not None and callback(r, step, loss):
                    stop_now = True  # the callback ends this run here
                    if not recorded:
                        record(r, step, loss)
                if step == steps or stop_now:
                    leaving.append(r)
            for r in leaving:
                finish(r)
            if leaving:
                active = [r for r in active if r not in leaving]
                if not active:
                    break
                idx = np.array(active, dtype=np.int64)
                whole = False
            if layout is not None:
                _gd_kernels.gradients_circle(W, b, a, layout, Res, ga, gW, gb, hidden, idx)
            else:
                _gd_kernels.gradients_batch(W, b, a, XT, code, Res, ga, gW, gb, hidden, prm, idx)
            # the updates of _Empirical.step (elementwise: the same bits run by run)
            if whole:
                if out_layer:
                    a -= lr * ga
                if hidden:
                    W -= lr * gW
                    if train_bias:
                        b -= bias_step * gb
            else:
                if out_layer:
                    a[idx] -= lr * ga[idx]
                if hidden:
                    W[idx] -= lr * gW[idx]
                    if train_bias:
                        b[idx] -= bias_step * gb[idx]
            if bar is not None:
                bar.update(len(active))
    finally:
        if bar is not None:
            bar.close()
        for r in active:  # interrupted or raised: the runs still in the batch keep their state
            runs[r].W, runs[r].b, runs[r].a = W[r].copy(), b[r].copy(), a[r].copy()
