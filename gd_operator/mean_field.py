"""Feature learning: two-layer networks in mean-field scaling, on Gaussian inputs or the sphere.

Model.  f(x) = (1/m) sum_{i<m} a_i phi(<w_i, x> + b_i), x ~ N(0, I_d) (docs/conventions.md,
"Gaussian inputs, Hermite polynomials and mean-field scaling").  The 1/m output scale
(instead of the lazy regime's 1/sqrt m of gd_operator.simulate) makes the network's output
at initialization O(1/sqrt m) (small initialization) and, with the learning rate multiplied
by m, every unit moves by O(1): the first layer learns features instead of staying near its
initialization (Mei, Montanari & Nguyen, PNAS 2018; Chizat & Bach 2018).

Training.  Squared loss L = (1/2B) sum_s (f(x_s) - y_s)^2, y_s = f*(x_s) (+ optional noise),
and the mean-field step for each layer theta in {W, b, a} with its own rate

    theta <- theta - lr_theta (m dL/dtheta + weight_decay theta)

(gradients: gd_operator._mean_field_kernels).  Methods:

* ``'online'``  -- online SGD: each step draws a fresh batch (the front end owns the rng and
  draws chunks of steps at once); samples used = steps x batch;
* ``'full_batch'`` -- GD on one training set of ``samples`` points (chunked gradient sums);
* ``'layerwise'`` -- Damian, Lee & Soltanolkotabi (COLT 2022): phase 1 trains W (and b) with
  a frozen at a symmetric initialization (pairs a_i = -a_{i+m/2}, w_i = w_{i+m/2}, so f = 0 at
  init) for ``steps`` full-batch steps on ``samples`` points (the paper: one step with
  weight_decay = 1/lr); phase 2 fits a by ridge regression on the learned features with
  ``samples`` fresh points, min_a (1/2N) sum_s (f(x_s) - y_s)^2 + (ridge/2) |a|^2 / m.

``spherical=True`` renormalizes each w_i to the unit sphere after every step (projected
spherical SGD of Ben Arous, Gheissari & Jagannath, JMLR 2021).

Domains.  A Gaussian target (gd_operator.gaussian) means x ~ N(0, I_d), init w_i ~
N(0, init_scale^2 I_d / d); a ridge sum on the sphere (harmonics.RidgeSum,
gd_operator.ridge_target, ...) means x uniform on S^{d-1}, init w_i ~ N(0, init_scale^2 I_d);
either way <w_i, x> ~ N(0, init_scale^2) at initialization.  On the sphere the per-degree
energies are exact spherical-harmonic energies (:func:`sphere_network_energies`, Funk-Hecke
per unit) instead of Hermite ones.

Measurements, every ``record_every`` steps: the test error on one fixed test set of
``test_size`` fresh Gaussian points with its standard error (mean of (f - f*)^2 and
std/sqrt(test_size)); the alignment of the first layer with the target subspace span(U)
(q_i = |U w_i| / |w_i|; ``alignment`` = the |a_i| |w_i|-weighted mean of q_i, ``max_alignment``
= max_i q_i; chance level sqrt(r/d) for r target directions); at the end (and every
``energy_every`` records) the Hermite energies of the learned function, exactly from the
network's ridge-sum form (gd_operator.gaussian: each unit is z -> phi(|w_i| z + b_i)).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from harmonics import Activation, get_activation
from harmonics._infra.checks import check_bool, check_int, check_real
from harmonics._infra.results import ResultMixin
from harmonics._infra.rng import as_generator

from .gaussian import GaussianRidgeSum, HermitePolynomialTarget

METHODS = ("online", "full_batch", "layerwise")
#: Largest width, dimension and per-chunk array (float64 entries) accepted.
MAX_WIDTH = 65536
MAX_DIM = 20000
MAX_CHUNK_ENTRIES = 2**25  # 256 MiB of float64
MAX_SAMPLES_DRAWN = 10**11  # total samples of one run (steps x batch)
MAX_TEST_SIZE = 10**6
MAX_ENERGY_DEGREE = 40
MAX_STEPS = 10**9  # training steps of one run


class MeanFieldInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`train_mean_field`; ``.result`` holds the records so far
    (``partial=True``)."""

    def __init__(self, result):
        super().__init__("train_mean_field interrupted")
        self.result = result


@dataclass(repr=False)
class MeanFieldResult(ResultMixin):
    """Records of one mean-field training run (module docstring).

    Attributes (R = number of records)
    ----------
    method, activation, width, dim, batch, samples, lr (dict per layer), weight_decay
    steps : [R] step counts of the records;  samples_seen : [R] samples drawn up to each record
    test_mse, test_mse_se : [R] test error on the fixed test set and its standard error
    train_loss : [R] (1/2B) sum r^2 of the last batch (online) / training set (full batch)
    alignment, max_alignment : [R] first-layer alignment with the target subspace
    chance_alignment : sqrt(r/d)
    energies : [E, J+1] Hermite energies of the learned function at ``energy_steps`` [E]
    residual_energies : [E, J+1] per-degree residual ||Pi_j (f - f*)||^2 at ``energy_steps``
    target_energies : [J+1] the target's Hermite energies;  target_norm : E[f*^2]
    escape_step : first recorded step with max_alignment >= escape_threshold (-1 if never)
    W, b, a : final parameters;  seconds : wall time;  partial : interrupted (Ctrl-C)
    """

    _layout = (
        "domain",
        "method",
        "activation",
        "width",
        "dim",
        "batch",
        "samples",
        "lr",
        "weight_decay",
        "steps",
        "samples_seen",
        "test_mse",
        "test_mse_se",
        "train_loss",
        "alignment",
        "max_alignment",
        "chance_alignment",
        "energy_steps",
        "energies",
        "residual_energies",
        "target_energies",
        "target_norm",
        "escape_threshold",
        "escape_step",
        "seconds",
        "partial",
    )

    method: str
    activation: str
    width: int
    dim: int
    batch: int
    samples: int
    lr: dict
    weight_decay: float
    steps: np.ndarray
    samples_seen: np.ndarray
    test_mse: np.ndarray
    test_mse_se: np.ndarray
    train_loss: np.ndarray
    alignment: np.ndarray
    max_alignment: np.ndarray
    chance_alignment: float
    energy_steps: np.ndarray
    energies: np.ndarray
    residual_energies: np.ndarray
    target_energies: np.ndarray
    target_norm: float
    escape_threshold: float
    escape_step: int
    W: np.ndarray = field(default=None, repr=False)
    b: np.ndarray = field(default=None, repr=False)
    a: np.ndarray = field(default=None, repr=False)
    seconds: float = 0.0
    partial: bool = False
    domain: str = "gaussian"

    @property
    def final_test_mse(self) -> float:
        return float(self.test_mse[-1])

    def __repr__(self) -> str:
        return (
            f"MeanFieldResult(method={self.method!r}, d={self.dim}, m={self.width}, "
            f"{self.steps.size} records to step {int(self.steps[-1])}, "
            f"test_mse {self.test_mse[-1]:.4g} +- {self.test_mse_se[-1]:.2g}, "
            f"alignment {self.max_alignment[-1]:.3f}{', partial' if self.partial else ''})"
        )


# ------------------------------------------------------------------------------ front end


def _resolve_student(activation):
    """(label, kernel code, params, profile for the Hermite energies)."""
    from ._mean_field_kernels import HERMITE

    if isinstance(activation, tuple):
        if len(activation) != 2 or activation[0] != "hermite":
            raise ValueError(f"activation tuples must be ('hermite', k), got {activation!r}")
        k = check_int(activation[1], "activation degree k", 1, 64)
        return f"hermite{k}", HERMITE, np.array([float(k)]), ("hermite", k)
    if not isinstance(activation, (str, Activation)):
        raise TypeError(
            "activation must be a registered name, a harmonics.Activation or ('hermite', k), "
            f"got {type(activation).__name__}"
        )
    act = get_activation(activation)
    if act.scale != 1.0 or act.bias != 0.0:
        raise ValueError("the network's activation must be unscaled and unbiased (b_i is trained)")
    if act.discontinuous:
        raise ValueError(
            f"activation {act.name!r} has a jump: its gradient vanishes almost everywhere"
        )
    return act.name, act.kernel_code, np.ascontiguousarray(act.kernel_params), act


def _check_target(target, dim):
    """(target, domain): Gaussian targets of gd_operator.gaussian, or sphere ridge sums."""
    from harmonics.ridge import RidgeSumBase

    if isinstance(target, (GaussianRidgeSum, HermitePolynomialTarget)):
        tdim, domain = target.dim, "gaussian"
    elif isinstance(target, RidgeSumBase):
        tdim, domain = int(target.ridge_directions().shape[1]), "sphere"
    else:
        raise TypeError(
            "target must be a Gaussian target (gd_operator.gaussian_ridge_sum, "
            "hermite_polynomial_target, single_index_target, staircase_target, lmz_target) "
            "or a ridge sum on the sphere (harmonics.RidgeSum, gd_operator.ridge_target), "
            f"got {type(target).__name__}"
        )
    if dim is not None and dim != tdim:
        raise ValueError(f"d = {dim} does not match the target's dimension {tdim}")
    return target, domain


def _target_basis(target, domain):
    if domain == "gaussian":
        return target.directions
    D = np.asarray(target.ridge_directions(), dtype=float)
    q, r = np.linalg.qr(D.T)
    keep = np.abs(np.diag(r)) > 1e-12 * max(1.0, float(np.max(np.abs(r))))
    return np.ascontiguousarray(q[:, keep].T)


def sphere_network_energies(W, b, a, activation, target, kmax: int):
    """Exact per-degree energies on S^{d-1} of f = (1/m) sum_i a_i phi(<w_i,x> + b_i) and of
    the residual f - f* for a sphere ridge sum f*: ``(||Pi_k f||^2, ||Pi_k (f - f*)||^2)``,
    k = 0..kmax, from the network's ridge form (gd_operator.network_ridge: Funk-Hecke per unit,
    exact for relu-type units with biases and for unit-norm unbiased units) and the base
    ridge-sum formula <Pi_k f, Pi_k h> = N(n,k) sum_ij c_i lambda_k(g_i) d_j lambda_k(h_j)
    P_{k,n}(<u_i, v_j>).  ValueError where the network has no exact ridge form.
    """
    from ._ridge import network_ridge

    W, b, a = _check_network(W, b, a)
    kmax = check_int(kmax, "kmax", 0, MAX_ENERGY_DEGREE)
    _resolve_student(activation)  # TypeError / ValueError naming the activation
    if isinstance(activation, tuple):
        raise ValueError("activation ('hermite', k) has no exact ridge form on the sphere here")
    target, domain = _check_target(target, W.shape[1])
    if domain != "sphere":
        raise TypeError("sphere_network_energies needs a sphere ridge sum as target")
    m, d = W.shape
    net = network_ridge(W, b, a / math.sqrt(m), activation, d, kmax)
    e_net = net.energies(kmax)
    cross = net.degree_inner_products(target, kmax)
    res = np.maximum(e_net - 2 * cross + target.energies(kmax), 0.0)
    return e_net, res


def _unit_coefficients(W, b, a, activation, jmax):
    """(C [m, J+1] = (a_i/m) h_j of z -> phi(|w_i| z + b_i), unit directions U [m, d])."""
    from .gaussian import hermite_coefficients

    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    a = np.asarray(a, dtype=float)
    m = W.shape[0]
    _, _, _, prof = _resolve_student(activation)
    r = np.linalg.norm(W, axis=1)
    C = np.zeros((m, jmax + 1))
    for i in range(m):
        if r[i] == 0.0:  # a constant unit
            if isinstance(prof, tuple):
                C[i, 0] = _psi_scalar(prof[1], b[i])
            else:
                C[i, 0] = prof(np.array([b[i]]))[0]
            continue
        if isinstance(prof, tuple):
            if abs(b[i]) > 0 or abs(r[i] - 1.0) > 1e-12:
                C[i] = _hermite_unit_poly(prof[1], r[i], b[i], jmax)  # exact quadrature
            else:
                C[i] = hermite_coefficients(prof, jmax)
        else:
            gate = get_activation(
                prof.name,
                scale=float(r[i]),
                bias=float(b[i]),
                power=prof.power,
                coeffs=prof.coeffs,
            )
            C[i] = hermite_coefficients(gate, jmax)
    C *= (a / m)[:, None]
    U = W / np.where(r > 0, r, 1.0)[:, None]
    return C, U


def _psi_scalar(k, z):
    from .gaussian import hermite_profile_values

    return hermite_profile_values(k, np.array([z]))[0]


def _check_network(W, b, a):
    from harmonics._infra.checks import check_real_array

    W = check_real_array(W, "W")
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 2 or W.shape[0] > MAX_WIDTH:
        raise ValueError(
            f"W must have shape [m, d] with 1 <= m <= {MAX_WIDTH}, d >= 2, got {W.shape}"
        )
    b = check_real_array(b, "b")
    a = check_real_array(a, "a")
    if b.shape != (W.shape[0],) or a.shape != (W.shape[0],):
        raise ValueError(f"b and a must have shape ({W.shape[0]},) to match W")
    for name, arr in (("W", W), ("b", b), ("a", a)):
        if not np.all(np.isfinite(arr)) or (arr.size and np.max(np.abs(arr)) > 1e100):
            raise ValueError(f"{name} must be finite with entries <= 1e100 in size")
    return W, b, a


def network_hermite_energies(W, b, a, activation, jmax: int, *, target=None) -> np.ndarray:
    """Hermite energies ||Pi_j f||^2, j = 0..jmax, of f(x) = (1/m) sum_i a_i phi(<w_i,x> + b_i).

    Each unit is the profile z -> phi(|w_i| z + b_i) along u_i = w_i / |w_i| (exact
    coefficients for relu-type gates, gd_operator.hermite_coefficients), so Mehler gives
    ||Pi_j f||^2 = sum_il C_ij C_lj <u_i, u_l>^j with C_ij = (a_i / m) h_j^(i).  With a Gaussian
    ``target`` f*, returns instead the per-degree residual ||Pi_j (f - f*)||^2 =
    ||Pi_j f||^2 - 2 <Pi_j f, Pi_j f*> + ||Pi_j f*||^2, the cross term from
    psi_j(<u, x>) = sum_{|beta| = j} sqrt(j!/beta!) u^beta prod_r psi_{beta_r}(<e_r, x>)
    (Hermite polynomial target: <u_i, u_r> powers) or from Mehler (ridge-sum target).
    W [m, d], b [m], a [m]; ``activation`` as for :func:`train_mean_field`; jmax <= 40.
    """
    W, b, a = _check_network(W, b, a)
    jmax = check_int(jmax, "jmax", 0, MAX_ENERGY_DEGREE)
    C, U = _unit_coefficients(W, b, a, activation, jmax)
    G = np.clip(U @ U.T, -1.0, 1.0)
    Gj = np.ones_like(G)
    out = np.empty(jmax + 1)
    for j in range(jmax + 1):
        out[j] = max(float(C[:, j] @ Gj @ C[:, j]), 0.0)
        Gj *= G
    if target is None:
        return out
    target, domain = _check_target(target, W.shape[1])
    if domain != "gaussian":
        raise TypeError(
            "network_hermite_energies needs a Gaussian target (sphere: sphere_network_energies)"
        )
    cross = _cross_energies(C, U, target, jmax)
    return np.maximum(out - 2 * cross + target.hermite_energies(jmax), 0.0)


def _cross_energies(C, U, target, jmax):
    """<Pi_j f, Pi_j f*> for j = 0..jmax (module docstring of gd_operator.gaussian)."""
    out = np.zeros(jmax + 1)
    if isinstance(target, HermitePolynomialTarget):
        S = np.clip(U @ target.U.T, -1.0, 1.0)  # [m, R] <u_i, u_r>
        for t in range(target.alpha.shape[0]):
            alpha = target.alpha[t]
            j = int(alpha.sum())
            if j > jmax:
                continue
            log_mult = 0.5 * (math.lgamma(j + 1) - sum(math.lgamma(int(x) + 1) for x in alpha))
            mono = np.prod(S ** alpha[None, :], axis=1)  # [m]
            out[j] += target.coeffs[t] * math.exp(log_mult) * float(C[:, j] @ mono)
        return out
    r = np.linalg.norm(target.W, axis=1)
    V = target.W / r[:, None]
    from .gaussian import hermite_coefficients

    H = (
        np.stack(
            [
                hermite_coefficients(target.profile, jmax, scale=float(ri))
                if not isinstance(target.profile, tuple)
                else hermite_coefficients(target.profile, jmax)
                for ri in r
            ]
        )
        * target.a[:, None]
    )
    S = np.clip(U @ V.T, -1.0, 1.0)
    Sj = np.ones_like(S)
    for j in range(jmax + 1):
        out[j] = float(C[:, j] @ Sj @ H[:, j])
        Sj *= S
    return out


def _hermite_unit_poly(k, r, b, jmax):
    from ._hermite import _gauss_hermite
    from .gaussian import hermite_profile_values

    z, sw = _gauss_hermite(2 * (jmax + k) + 8)
    vals = sw * hermite_profile_values(k, r * z + b)
    out = np.empty(jmax + 1)
    for j in range(jmax + 1):
        out[j] = float(vals @ (sw * hermite_profile_values(j, z)))
    return out


def _alignment(W, a, U):
    r = np.linalg.norm(W, axis=1)
    ok = r > 0
    q = np.zeros(W.shape[0])
    q[ok] = np.linalg.norm(W[ok] @ U.T, axis=1) / r[ok]
    wts = np.abs(a) * r
    mean = float(q @ wts / wts.sum()) if wts.sum() > 0 else float(q.mean())
    return mean, float(q.max())


def train_mean_field(
    target,
    *,
    width: int = 256,
    steps: int = 1000,
    method: str = "online",
    lr=0.5,
    batch: int = 256,
    samples: int | None = None,
    activation="relu",
    bias: bool = True,
    bias_init: float = 0.0,
    weight_decay: float = 0.0,
    init_scale: float = 1.0,
    output_scale: float = 1.0,
    output_signs: str = "random",
    spherical: bool = False,
    ridge: float = 1e-3,
    noise: float = 0.0,
    test_size: int = 20000,
    record_every: int | None = None,
    energy_degree: int = 6,
    energy_every: int = 10,
    escape_threshold: float = 0.5,
    stop_at_escape: bool = False,
    max_samples: int = 10**9,
    rng=None,
    progress=None,
) -> MeanFieldResult:
    """Train a mean-field two-layer network on a Gaussian-input target (module docstring).

    Parameters
    ----------
    target : a Gaussian target of :mod:`gd_operator.gaussian`, or a ridge sum on S^{d-1}
        (harmonics.RidgeSum, gd_operator.ridge_target; then x is uniform on the sphere).
    width : m >= 1 (even for 'layerwise').   steps : >= 1 training steps (phase 1 for
        'layerwise').   method : 'online' | 'full_batch' | 'layerwise'.
    lr : a number (all layers) or a dict with keys 'W', 'b', 'a' (missing or 0: layer frozen).
    batch : online batch size (>= 1).   samples : training-set size for 'full_batch' /
        'layerwise' (default 4 d width, at most max_samples).
    activation : registered name (no jumps), Activation (unscaled, unbiased) or ('hermite', k).
    bias : train biases -- False keeps b at its initial value.
    bias_init : std of the initial biases, b_i ~ N(0, bias_init^2) (default 0: b = 0; pairs
        b_i = b_{i+m/2} for 'layerwise').  Zero biases make the ReLU / GELU / softplus units'
        odd Hermite coefficients above 1 vanish (phi = linear + even), so a degree-3 feature
        such as z_1 z_2 z_3 has no first-order gradient signal until the biases move.
    weight_decay : >= 0.   init_scale : w_i ~ N(0, init_scale^2 I_d / d) (|w_i| ~ init_scale;
        'spherical' starts from unit rows).   output_scale : a_i = output_scale * (+-1) random
        signs (symmetric pairs for 'layerwise'); ``output_signs='positive'`` starts every
        a_i at +output_scale (e.g. a single spherical neuron matching its target's sign).
    spherical : renormalize rows of W after each step.   ridge : phase-2 ridge ('layerwise').
    noise : label-noise variance.   test_size : fixed test-set size (>= 100).
    record_every : steps between records (default steps // 50).   energy_degree : J of the
        recorded Hermite energies (<= 40; 0 skips them at intermediate records), taken at
        every ``energy_every``-th record (and the last).
    escape_threshold : in (0, 1], the max_alignment that counts as escaped;
        ``stop_at_escape`` ends the run at the first such record.
    max_samples : cap on steps x batch drawn (<= 1e11).   rng : seed or Generator.
    progress : optional callable(step, steps) called after each record.

    Returns
    -------
    :class:`MeanFieldResult`.  Ctrl-C raises :class:`MeanFieldInterrupted` whose ``.result``
    holds the records so far (``partial=True``).
    """
    from . import _mean_field_kernels as K

    target, domain = _check_target(target, None)
    d = int(_target_basis(target, domain).shape[1])
    width = check_int(width, "width", 1, MAX_WIDTH)
    steps = check_int(steps, "steps", 1, MAX_STEPS)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    label, code, prm, prof = _resolve_student(activation)
    lrs = _check_lr(lr)
    batch = check_int(batch, "batch", 1, 10**6)
    bias = check_bool(bias, "bias")
    spherical = check_bool(spherical, "spherical")
    stop_at_escape = check_bool(stop_at_escape, "stop_at_escape")
    weight_decay = check_real(weight_decay, "weight_decay", nonnegative=True)
    bias_init = check_real(bias_init, "bias_init", nonnegative=True)
    init_scale = check_real(init_scale, "init_scale", positive=True)
    output_scale = check_real(output_scale, "output_scale", positive=True)
    if output_signs not in ("random", "positive"):
        raise ValueError(f"output_signs must be 'random' or 'positive', got {output_signs!r}")
    ridge = check_real(ridge, "ridge", positive=True)
    noise = check_real(noise, "noise", nonnegative=True)
    test_size = check_int(test_size, "test_size", 100, MAX_TEST_SIZE)
    max_samples = check_int(max_samples, "max_samples", 1, MAX_SAMPLES_DRAWN)
    energy_degree = check_int(energy_degree, "energy_degree", 0, MAX_ENERGY_DEGREE)
    energy_every = check_int(energy_every, "energy_every", 1, 10**9)
    escape_threshold = check_real(escape_threshold, "escape_threshold", positive=True)
    if escape_threshold > 1:
        raise ValueError(f"escape_threshold must be in (0, 1], got {escape_threshold}")
    record_every = (
        max(1, steps // 50)
        if record_every is None
        else check_int(record_every, "record_every", 1, 10**9)
    )
    if method == "layerwise" and width % 2:
        raise ValueError(
            f"width must be even for method='layerwise' (symmetric pairs), got {width}"
        )
    if method == "online":
        if samples is not None:  # online SGD draws fresh samples: a fixed set would be ignored
            raise ValueError(
                "samples is the fixed training-set size of method='full_batch' or 'layerwise'; "
                f"method='online' draws steps x batch fresh samples (got samples={samples!r})"
            )
        if steps * batch > max_samples:
            raise ValueError(
                f"steps x batch = {steps * batch} samples exceeds max_samples = {max_samples}"
            )
        samples = 0
    else:
        samples = (
            min(4 * d * width, max_samples)
            if samples is None
            else check_int(samples, "samples", 1, max_samples)
        )
    # memory checks before allocating
    rows = batch if method == "online" else min(samples, max(1, MAX_CHUNK_ENTRIES // max(width, d)))
    for what, entries in (
        ("W", width * d),
        ("a batch of pre-activations [batch, width]", rows * width),
        ("the test set [test_size, d]", test_size * d),
        ("a batch of inputs [batch, d]", rows * d),
    ):
        if entries > MAX_CHUNK_ENTRIES:
            raise ValueError(
                f"{what} would hold {entries} float64 values (> {MAX_CHUNK_ENTRIES}); lower "
                "width, d, batch or test_size"
            )
    if method != "online" and samples * d > 4 * MAX_CHUNK_ENTRIES:
        raise ValueError(f"a training set of {samples} x {d} values is above the memory limit")
    g = as_generator(rng)
    start = time.perf_counter()
    # pre-activations <w_i, x> ~ N(0, init_scale^2): x Gaussian (|x| ~ sqrt d) or on the sphere
    w_std = init_scale / math.sqrt(d) if domain == "gaussian" else init_scale

    # ---- initialization (front end owns the rng)
    if method == "layerwise":
        half = width // 2
        Wh = g.standard_normal((half, d)) * w_std
        W = np.ascontiguousarray(np.vstack([Wh, Wh]))
        sg = np.where(g.random(half) < 0.5, -1.0, 1.0)
        a = np.concatenate([sg, -sg]) * output_scale
    else:
        W = g.standard_normal((width, d)) * w_std
        a = np.where(g.random(width) < 0.5, -1.0, 1.0) * output_scale
        if output_signs == "positive":
            a = np.abs(a)
    if spherical:
        W /= np.linalg.norm(W, axis=1, keepdims=True)
    W = np.ascontiguousarray(W)
    b = np.zeros(width)
    if bias_init > 0:
        if method == "layerwise":
            bh = g.standard_normal(width // 2) * bias_init
            b = np.concatenate([bh, bh])
        else:
            b = g.standard_normal(width) * bias_init
    lr_w, lr_b, lr_a = lrs["W"], (lrs["b"] if bias else 0.0), lrs["a"]
    if method == "layerwise":
        lr_a = 0.0

    def inputs(rows):
        if domain == "gaussian":
            return g.standard_normal((rows, d))
        X = g.standard_normal((rows, d))
        X /= np.linalg.norm(X, axis=1, keepdims=True)  # uniform on S^{d-1}
        return X

    Xte = inputs(test_size)
    yte = target(Xte)
    U = _target_basis(target, domain)
    chance = math.sqrt(U.shape[0] / d)
    J = max(energy_degree, 1)
    if domain == "gaussian":
        target_energies = target.hermite_energies(J)
        target_norm = float(target.norm_squared())

        def energies_now():
            return (
                network_hermite_energies(W, b, a, activation, energy_degree),
                network_hermite_energies(W, b, a, activation, energy_degree, target=target),
            )
    else:
        from .floors import _sphere_norm

        target_energies = np.asarray(target.energies(J), dtype=float)
        try:
            target_norm = float(_sphere_norm(target, target_energies))
        except ValueError:
            target_norm = float("nan")

        def energies_now():
            try:
                return sphere_network_energies(W, b, a, activation, target, energy_degree)
            except ValueError:  # no exact ridge form (e.g. biased smooth units)
                nan = np.full(energy_degree + 1, np.nan)
                return nan, nan.copy()

    rec = {k: [] for k in ("steps", "seen", "mse", "se", "loss", "al", "mal")}
    en_steps, en_vals, res_vals = [], [], []
    Zte = np.empty((min(test_size, 8192), width))
    fte = np.empty(test_size)

    def measure(step, seen, loss):
        for lo in range(0, test_size, Zte.shape[0]):
            hi = min(lo + Zte.shape[0], test_size)
            K.forward(Xte[lo:hi], W, b, a, code, prm, Zte[: hi - lo], fte[lo:hi])
        err = (fte - yte) ** 2
        rec["steps"].append(step)
        rec["seen"].append(seen)
        rec["mse"].append(float(err.mean()))
        rec["se"].append(float(err.std(ddof=1) / math.sqrt(test_size)))
        rec["loss"].append(loss)
        al, mal = _alignment(W, a, U)
        rec["al"].append(al)
        rec["mal"].append(mal)
        if energy_degree and ((len(rec["steps"]) - 1) % energy_every == 0):
            en_steps.append(step)
            e_net, e_res = energies_now()
            en_vals.append(e_net)
            res_vals.append(e_res)

    def draw(rows):
        X = inputs(rows)
        y = target(X)
        if noise:
            y = y + math.sqrt(noise) * g.standard_normal(rows)
        return np.ascontiguousarray(X), np.ascontiguousarray(y)

    gW = np.zeros((width, d))
    tmp = np.zeros((width, d))
    gb = np.zeros(width)
    ga = np.zeros(width)
    partial = False
    step = 0
    seen = 0
    try:
        measure(0, 0, float("nan"))
        if method == "online":
            chunk_steps = max(1, min(record_every, MAX_CHUNK_ENTRIES // (batch * d)))
            Z = np.empty((batch, width))
            D = np.empty((batch, width))
            f = np.empty(batch)
            while step < steps:
                t = min(chunk_steps, steps - step, record_every - step % record_every)
                X, y = draw(t * batch)
                loss = np.empty(t)
                K.online_steps(
                    X,
                    y,
                    batch,
                    W,
                    b,
                    a,
                    code,
                    prm,
                    lr_w,
                    lr_b,
                    lr_a,
                    weight_decay,
                    spherical,
                    Z,
                    D,
                    f,
                    gW,
                    gb,
                    ga,
                    tmp,
                    loss,
                )
                if not np.all(np.isfinite(W)) or not np.all(np.isfinite(a)):
                    raise ValueError(f"training diverged at step ~{step + t}; lower lr")
                step += t
                seen += t * batch
                if step % record_every == 0 or step == steps:
                    measure(step, seen, float(loss[-1]))
                    if progress is not None:
                        progress(step, steps)
                    if stop_at_escape and rec["mal"][-1] >= escape_threshold:
                        break
        else:
            Xtr, ytr = draw(samples)
            seen = samples
            crows = max(1, min(samples, MAX_CHUNK_ENTRIES // max(width, d)))
            Z = np.empty((crows, width))
            D = np.empty((crows, width))
            f = np.empty(crows)
            inv = 1.0 / samples
            while step < steps:
                sse = 0.0
                for c, lo in enumerate(range(0, samples, crows)):
                    hi = min(lo + crows, samples)
                    sse += K.accumulate_gradients(
                        Xtr[lo:hi],
                        ytr[lo:hi],
                        W,
                        b,
                        a,
                        code,
                        prm,
                        inv,
                        Z[: hi - lo],
                        D[: hi - lo],
                        f[: hi - lo],
                        gW,
                        gb,
                        ga,
                        tmp,
                        c == 0,
                    )
                K.apply_update(W, b, a, gW, gb, ga, lr_w, lr_b, lr_a, weight_decay, spherical)
                if not np.all(np.isfinite(W)) or not np.all(np.isfinite(a)):
                    raise ValueError(f"training diverged at step {step + 1}; lower lr")
                step += 1
                if step % record_every == 0 or step == steps:
                    measure(step, seen, 0.5 * sse * inv)
                    if progress is not None:
                        progress(step, steps)
            if method == "layerwise":
                X2, y2 = draw(samples)
                seen += samples
                a[:] = _ridge_second_layer(X2, y2, W, b, code, prm, ridge)
                measure(step, seen, float("nan"))
    except KeyboardInterrupt:
        partial = True
    result = _result(
        method,
        label,
        width,
        d,
        batch,
        samples,
        lrs,
        weight_decay,
        rec,
        chance,
        en_steps,
        en_vals,
        target_energies,
        target_norm,
        escape_threshold,
        W,
        b,
        a,
        start,
        partial,
        energy_degree,
        activation,
        energies_now,
        res_vals,
    )
    result.domain = domain
    if partial:
        raise MeanFieldInterrupted(result)
    return result


def _check_lr(lr):
    if isinstance(lr, dict):
        bad = set(lr) - {"W", "b", "a"}
        if bad:
            raise ValueError(f"lr keys must be among 'W', 'b', 'a', got {sorted(bad)}")
        out = {k: check_real(lr.get(k, 0.0), f"lr[{k!r}]", nonnegative=True) for k in "Wba"}
    else:
        v = check_real(lr, "lr", positive=True)
        out = {"W": v, "b": v, "a": v}
    if max(out.values()) > 1e6:
        raise ValueError("lr must be <= 1e6")
    if max(out.values()) == 0:
        raise ValueError("lr must be positive for at least one layer")
    return out


def _ridge_second_layer(X, y, W, b, code, prm, ridge):
    """argmin_a (1/2N) |Phi a / m - y|^2 + (ridge/2) |a|^2 / m (Phi [N, m] the features)."""
    from . import _mean_field_kernels as K

    N, m = X.shape[0], W.shape[0]
    Z = np.empty((N, m))
    f = np.empty(N)
    K.forward(X, W, b, np.zeros(m), code, prm, Z, f)  # Z holds phi after the call
    Phi = Z / m
    A = Phi.T @ Phi / N + (ridge / m) * np.eye(m)
    return np.linalg.solve(A, Phi.T @ y / N)


def _result(
    method,
    label,
    width,
    d,
    batch,
    samples,
    lrs,
    wd,
    rec,
    chance,
    en_steps,
    en_vals,
    target_energies,
    target_norm,
    thr,
    W,
    b,
    a,
    start,
    partial,
    energy_degree,
    activation,
    energies_now,
    res_vals,
):
    steps_arr = np.array(rec["steps"], dtype=np.int64)
    mal = np.array(rec["mal"])
    hit = np.flatnonzero(mal >= thr)
    escape = int(steps_arr[hit[0]]) if hit.size else -1
    if energy_degree and (not en_steps or en_steps[-1] != steps_arr[-1]):
        en_steps.append(int(steps_arr[-1]))
        e_net, e_res = energies_now()
        en_vals.append(e_net)
        res_vals.append(e_res)
    J = max(energy_degree, 1)
    energies = np.array(en_vals) if en_vals else np.zeros((0, J + 1))
    residuals = np.array(res_vals) if res_vals else np.zeros((0, J + 1))
    return MeanFieldResult(
        method,
        label,
        width,
        d,
        batch,
        int(samples),
        dict(lrs),
        wd,
        steps_arr,
        np.array(rec["seen"], dtype=np.int64),
        np.array(rec["mse"]),
        np.array(rec["se"]),
        np.array(rec["loss"]),
        np.array(rec["al"]),
        mal,
        chance,
        np.array(en_steps, dtype=np.int64),
        energies,
        residuals,
        target_energies,
        target_norm,
        thr,
        escape,
        W.copy(),
        b.copy(),
        a.copy(),
        time.perf_counter() - start,
        partial,
    )


__all__ = [
    "MeanFieldInterrupted",
    "MeanFieldResult",
    "network_hermite_energies",
    "sphere_network_energies",
    "train_mean_field",
]
