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

from harmonics import dim_harmonics, expand, funk_hecke_eigenvalues, legendre
from harmonics._arccos import arccos_kappa
from harmonics._infra.checks import check_bool, check_dimension, check_int, check_real
from harmonics._infra.deprecation import NOT_GIVEN
from harmonics._infra.results import ResultMixin
from harmonics._infra.rng import as_generator, rng_or_seed

from . import _gd_kernels
from ._ridge import degree_inner_products, network_ridge
from .targets import CallableTarget, RidgeTarget, TeacherNetwork, as_target

TRAIN_MODES = ("output", "hidden", "both")
INITS = ("sphere", "gaussian")


class DivergenceError(ValueError):
    """Gradient descent diverged (loss became non-finite or exploded)."""


@dataclass(repr=False)
class SimulationResult(ResultMixin):
    """History of a GD run.

    steps : int array [T] of recorded steps (starting at 0)
    loss : [T] the loss being minimized: exact population loss (1/2)||f* - f||^2 for
        samples=None, the empirical loss on the training sample otherwise
    train_loss : [T] same as ``loss`` (kept for symmetry with sweeps)
    residual_energy : [T, K+1] exact ||Pi_k (f* - f)||^2, k = 0..K
    predicted : [T, K+1] infinite-width prediction (1 - lr mu_k)^{2t} r_k(0)
    spectrum : [K+1] mu_k used for the prediction;  target_energy : [K+1] ||Pi_k f*||^2
    params : final W [m, n], b [m], a [m];  settings : the arguments (JSON-friendly; the
        ``rng`` argument is recorded under "seed")
    interrupted : True if stopped early by Ctrl-C (history so far is kept)

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

    @property
    def K(self) -> int:
        return self.residual_energy.shape[1] - 1

    def measured_rates(self, window: float = 1e-3) -> np.ndarray:
        """Per-degree eigenvalue estimates mu_hat_k = (1 - rho_k) / lr.

        rho_k is the per-step contraction of the degree-k residual, from a least-squares fit of
        log r_k(t) = 2 t log rho_k + c over the initial decay: from step 0 until r_k falls below
        ``window`` * r_k(0) or the decay stalls (local slope less than a third of the first
        interval's).  Finite width and finite samples mix degrees and leave a floor; past it the
        fit would measure the floor, not the eigenvalue.  NaN where the degree carries no
        initial energy; with fewer than two records in the window the first two are used.
        """
        lr = self.settings["lr"]
        out = np.full(self.K + 1, np.nan)
        t_all = self.steps.astype(float)
        for k in range(self.K + 1):
            r = self.residual_energy[:, k]
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
        from harmonics._infra.figures import new_axes

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


def _kappa1(rho):
    """Arc-cosine kernel kappa_1 (Cho & Saul 2009) of harmonics._arccos, the one implementation."""
    return arccos_kappa(1, rho)


def _population_gram(activation, W, n, series_kmax=200):
    """G_ij = E_x[phi(<w_i,x>) phi(<w_j,x>)] (x uniform on S^{n-1}).

    ReLU: |w_i||w_j| kappa_1(rho_ij) / (2n) (arc-cosine kernel; x = g/|g|, E|g|^2 = n).
    Others (unit w): the Funk-Hecke series sum_{k<=K} N(n,k) lambda_k^2 P_{k,n}(rho), truncated
    where the Parseval tail E[phi^2] - sum N lambda^2 is below 1e-12 E[phi^2] (checked)."""
    r = np.linalg.norm(W, axis=1)
    U = W / r[:, None]
    rho = np.clip(U @ U.T, -1.0, 1.0)
    if activation == "relu":
        return np.outer(r, r) * _kappa1(rho) / (2 * n)
    e = expand(activation, n, series_kmax)
    if e.tail_energy > 1e-12 * e.second_moment:
        raise ValueError(
            f"the Funk-Hecke series of {activation!r} in n = {n} has not converged at degree "
            f"{series_kmax} (tail {e.tail_energy:.2e}); use samples=N"
        )
    G = np.zeros_like(rho)
    coef = e.coefficients * e.eigenvalues  # N(n,k) lambda_k^2
    from harmonics._recurrence import legendre_rows

    for k, row in legendre_rows(series_kmax, n, rho):
        if coef[k] != 0.0:
            G += coef[k] * row
    return G


def _population_target_products(target, activation, W, n):
    """t_i = E_x[f*(x) phi(<w_i, x>)] exactly (ridge targets: Funk-Hecke; ReLU teacher: closed
    form)."""
    r = np.linalg.norm(W, axis=1)
    U = W / r[:, None]
    if isinstance(target, RidgeTarget):
        lam = (
            funk_hecke_eigenvalues(activation, n, target.max_degree)
            if activation != "relu"
            else funk_hecke_eigenvalues("relu", n, target.max_degree)
        )
        out = np.zeros(W.shape[0])
        for k, c, u in zip(target.degrees, target.amplitudes, target.directions, strict=True):
            out += (
                c * math.sqrt(dim_harmonics(n, k)) * lam[k] * legendre(n, k, np.clip(U @ u, -1, 1))
            )
        if activation == "relu":
            out *= r
        return out
    if isinstance(target, TeacherNetwork) and activation == "relu":
        rs = np.linalg.norm(target.W, axis=1)
        V = target.W / rs[:, None]
        rho = np.clip(U @ V.T, -1.0, 1.0)
        # |s| = relu(s) + relu(-s): E[relu(u.x) |v.x|] = (kappa_1(rho) + kappa_1(-rho)) / (2n)
        K = (_kappa1(rho) + _kappa1(-rho)) / (2 * n)
        return r * (K @ (target.a * rs))
    raise ValueError(
        "population loss (samples=None) needs a ridge_target, or a teacher_network with "
        "activation='relu'; for other targets pass samples=N"
    )


def _mc_residual_energies(residual_values, X, n, K):
    M = X.shape[0]
    w = np.repeat(residual_values[:, None], K + 1, axis=1)
    out = np.zeros(K + 1)
    _gd_kernels.degree_gram_sums(X, w, X, w, float(n), K, out)
    diag = (residual_values**2).sum()
    dims = np.array([float(dim_harmonics(n, k)) for k in range(K + 1)])
    return dims * (out - diag) / (M * (M - 1))


def _default_spectrum(activation, n, K, train, init, bias):
    """mu_k for the prediction, from gd_operator.spectrum (same conventions as this module)."""
    from .spectrum import spectrum

    return np.asarray(spectrum(activation, n, K, train=train, init=init, bias=bias), dtype=float)


# --------------------------------------------------------------------------------- main


def simulate(
    target,
    activation: str = "relu",
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
    seed=NOT_GIVEN,
) -> SimulationResult:
    """Train f(x) = (1/sqrt m) sum_i a_i phi(<w_i,x> + b_i) by full-batch GD; see module doc.

    Parameters
    ----------
    target : ridge_target(...), teacher_network(...) or a callable on points [N, n] -> [N]
        (callables: residual energies by a Monte Carlo U-statistic on 2000 fixed points).
    activation : relu, sigmoid, tanh, erf, softplus, gelu, abs or relu2.
    n : dimension (defaults to the target's);  m : width (hidden units).
    steps : GD steps;  lr : step size > 0.
    train : "output" (a, from a = 0), "hidden" (w and, with bias, b; a_i = +-1 fixed) or
        "both" (a_i = +-1 initially, all trained).
    init : "sphere" (w_i uniform on S^{n-1}, Vempala-Wilmes) or "gaussian" (w_i ~ N(0, I_n)).
    samples : None for the exact population loss (output layer: any activation with sphere
        init, ReLU with any init; hidden/both: pass samples), or N points drawn uniformly.
    bias : std beta of random biases b_i ~ N(0, beta^2) (None: no bias).
    rng : int seed >= 0 (default 0: reproducible), numpy Generator or None (fresh entropy):
        draws weights, biases and samples.  ``seed=`` is its deprecated old name.
    record_every : record every this many steps (default: about 60 records).
    kmax : highest degree of the recorded energies (default: target degree + 2, at least 6).
    progress : tqdm progress bar.  dtype : float64 (default) or float32 for the parameters.
    energies : record the per-degree residual energies (False: NaN, for runs that only need the
        loss; the per-record pair loop costs O(m^2 K)).
    symmetric : antisymmetric initialization (train="hidden"/"both"): units come in pairs with
        equal (w, b) and opposite a, so f = 0 at initialization (m must be even); the kernel is
        unchanged.  Used for the Basri et al. reproduction to remove the random initial function.
    stop_loss : stop as soon as the loss is below this value (that step is recorded).
    Biases, when trained (train="hidden"/"both" with ``bias``), follow the NTK parametrization
    of gd_operator.spectrum: b = beta b~ with b~ trained, i.e. b <- b - lr beta^2 dL/db.

    Same rng seed -> same numbers, bit for bit, on the same machine (fixed thread count).
    Ctrl-C stops the run and returns the history so far (``interrupted=True``).
    """
    target_n = getattr(target, "n", None)
    n = check_dimension(n if n is not None else target_n if target_n is not None else 0)
    target = as_target(target, n)
    m = check_int(m, "m", 1)
    steps = check_int(steps, "steps", 0)
    lr = check_real(lr, "lr", positive=True)
    progress = check_bool(progress, "progress")
    energies = check_bool(energies, "energies")
    symmetric = check_bool(symmetric, "symmetric")
    rng = rng_or_seed(rng, seed, where="simulate", default=0)
    recorded_seed = rng if isinstance(rng, (int, type(None))) else repr(rng)
    if train not in TRAIN_MODES:
        raise ValueError(f"train must be one of {TRAIN_MODES}, got {train!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if activation not in _gd_kernels.ACTIVATION_CODES and activation != "relu2":
        raise ValueError(
            f"activation must be one of {sorted(_gd_kernels.ACTIVATION_CODES)}, got {activation!r}"
        )
    code = _gd_kernels.ACTIVATION_CODES["relu_power2" if activation == "relu2" else activation]
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
    tdeg = getattr(target, "max_degree", 4)
    K = check_int(kmax if kmax is not None else max(6, tdeg + 2), "kmax", 0)
    if samples is None and train != "output":
        raise ValueError(
            f"the exact population loss is implemented for train='output' only; for "
            f"train={train!r} pass samples=N (empirical loss on N uniform points)"
        )
    if samples is None and bias is not None:
        raise ValueError("population loss with biases has no closed form here; pass samples=N")
    if samples is None and activation != "relu" and init != "sphere":
        raise ValueError("population loss for non-ReLU activations needs init='sphere'")

    rng = as_generator(rng)
    W = rng.standard_normal((m, n))
    if init == "sphere":
        W /= np.linalg.norm(W, axis=1, keepdims=True)
    b = rng.normal(0.0, bias, size=m) if bias is not None else np.zeros(m)
    a = np.zeros(m) if train == "output" else rng.choice([-1.0, 1.0], size=m)
    if symmetric and train != "output":
        if m % 2:
            raise ValueError(f"symmetric initialization needs an even width m, got {m}")
        half = m // 2
        W[half:], b[half:], a[half:] = W[:half], b[:half], -a[:half]
    W, b, a = W.astype(dtype), b.astype(dtype), a.astype(dtype)
    train_hidden = train in ("hidden", "both")
    train_bias = train_hidden and bias is not None

    # --- data / population pieces
    if samples is not None:
        X = rng.standard_normal((samples, n))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        y = target(X).astype(dtype)
        XT = np.ascontiguousarray(X.T.astype(dtype))
        f_buf = np.empty(samples, dtype=dtype)
    else:
        G = _population_gram(activation, W.astype(float), n)
        tvec = _population_target_products(target, activation, W.astype(float), n)
        tnorm2 = target.norm2()

    exact = not isinstance(target, CallableTarget)
    if exact:
        t_ridge = target.ridge(K)
        t_energy = degree_inner_products(t_ridge, t_ridge, n)
    else:
        eval_rng = np.random.default_rng(np.random.SeedSequence(entropy=12345))
        X_eval = eval_rng.standard_normal((2000, n))
        X_eval /= np.linalg.norm(X_eval, axis=1, keepdims=True)
        y_eval = target(X_eval)
        XT_eval = np.ascontiguousarray(X_eval.T)
        t_energy = _mc_residual_energies(y_eval, X_eval, n, K)

    def residual_energies():
        if not energies:
            return np.full(K + 1, np.nan)
        if exact:
            net = network_ridge(W.astype(float), b.astype(float), a.astype(float), activation, n, K)
            cross = degree_inner_products(t_ridge, net, n)
            self_ = degree_inner_products(net, net, n)
            return np.maximum(t_energy - 2 * cross + self_, 0.0)
        f_eval = np.empty(X_eval.shape[0])
        _gd_kernels.forward(
            W.astype(float), b.astype(float), a.astype(float), XT_eval, code, f_eval
        )
        return _mc_residual_energies(y_eval - f_eval, X_eval, n, K)

    ga = np.zeros(m, dtype=dtype)
    gW = np.zeros((m, n), dtype=dtype)
    gb = np.zeros(m, dtype=dtype)

    rec_steps, rec_loss, rec_train, rec_energy = [], [], [], []
    interrupted = False
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc="GD", leave=False)
    loss0 = None
    try:
        for step in range(steps + 1):
            if samples is not None:
                _gd_kernels.forward(W, b, a, XT, code, f_buf)
                r = f_buf - y
                train_loss = 0.5 * float(np.mean(r.astype(float) ** 2))
            else:
                af = a.astype(float)
                train_loss = 0.5 * (tnorm2 - 2 * af @ tvec / math.sqrt(m) + af @ G @ af / m)
            if loss0 is None:
                loss0 = max(train_loss, 1e-300)
            if not math.isfinite(train_loss) or train_loss > 1e8 * loss0:
                raise DivergenceError(
                    f"gradient descent diverged at step {step} (loss {train_loss:.3g}, "
                    f"initial {loss0:.3g}); use a smaller lr than {lr:g}"
                )
            stop_now = stop_loss is not None and train_loss < stop_loss
            if step % record_every == 0 or step == steps or stop_now:
                e = residual_energies()
                rec_steps.append(step)
                rec_energy.append(e)
                rec_train.append(train_loss)
                rec_loss.append(train_loss)
            if step == steps or stop_now:
                break
            if samples is not None:
                _gd_kernels.gradients(W, b, a, XT, code, r, ga, gW, gb, train_hidden)
                if train in ("output", "both"):
                    a -= lr * ga
                if train_hidden:
                    W -= lr * gW
                    if train_bias:
                        # NTK parametrization b = beta * b~ with b~ trained (as in
                        # gd_operator.spectrum): db = -lr beta^2 dL/db.
                        b -= (lr * bias * bias) * gb
            else:
                af = a.astype(float)
                grad = G @ af / m - tvec / math.sqrt(m)
                a -= (lr * grad).astype(dtype)
            if bar is not None:
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()

    try:
        mu = _default_spectrum(activation, n, K, train, init, bias)
    except (ImportError, ValueError, NotImplementedError):
        mu = np.full(K + 1, np.nan)
    steps_arr = np.array(rec_steps, dtype=np.int64)
    energy = np.array(rec_energy)
    factor = (1 - lr * mu) ** 2
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        predicted = energy[0][None, :] * factor[None, :] ** steps_arr[:, None]
    settings = {
        "activation": activation,
        "n": n,
        "m": m,
        "steps": steps,
        "lr": lr,
        "train": train,
        "init": init,
        "samples": samples,
        "bias": bias,
        "seed": recorded_seed,
        "record_every": record_every,
        "kmax": K,
        "dtype": str(dtype),
        "symmetric": symmetric,
        "stop_loss": stop_loss,
        "target": repr(target),
    }
    return SimulationResult(
        steps=steps_arr,
        loss=np.array(rec_loss),
        train_loss=np.array(rec_train),
        residual_energy=energy,
        predicted=predicted,
        spectrum=mu,
        target_energy=np.asarray(t_energy),
        params={"W": W, "b": b, "a": a},
        settings=settings,
        energies_exact=exact,
        interrupted=interrupted,
    )
