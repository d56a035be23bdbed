"""Eigenvalues mu_k of the kernels of gradient descent on one-hidden-layer networks.

Conventions (docs/conventions.md, "Kernel conventions").  The network is
f(x) = (1/sqrt(m)) sum_i a_i g(<w_i, x> + b_i) on inputs x in S^{n-1}; every kernel below is a
dot-product kernel K(<x, y>) with K(t) = sum_k N(n,k) mu_k P_{k,n}(t), mu_k = E_{t~nu_n}[K(t)
P_{k,n}(t)] its eigenvalue on H_k (multiplicity N(n,k)) under the uniform *probability* measure.

* ``train="output"`` (random features; hidden layer frozen): K_out(x,y) = E_w[g(<w,x>) g(<w,y>)].
* ``train="hidden"`` (output weights frozen with a_i^2 = 1, e.g. +-1, or E[a^2] = 1 for
  a_i ~ N(0,1); the setting of Basri et al. 2019): K_hid(rho) = rho K'(rho),
  K'(x,y) = E_w[g'(<w,x>) g'(<w,y>)] (the gradient of f in w_i is a_i g'(<w_i,x>) x / sqrt(m)).
* ``train="both"``: the neural tangent kernel K_out + K_hid (Jacot, Gabriel & Hongler 2018).

Initializations: ``init="sphere"`` (Vempala-Wilmes): w ~ uniform on S^{n-1}, so mu_k(K_out) =
lambda_k(g)^2 with lambda_k the Funk-Hecke eigenvalue of harmonics; ``init="gaussian"``:
w ~ N(0, I_n), so <w,x> ~ N(0,1) and K_out(rho) = E[g(u) g(v)] for a standard bivariate normal
pair with correlation rho.  For ReLU this is the arc-cosine kernel kappa_1/2 and K' = kappa_0/2
(Cho & Saul 2009); papers that omit the 1/2 (e.g. Bietti & Mairal 2019) report twice our values.

The factor rho acts on degrees through t P_{k,n} = (k P_{k-1,n} + (k+n-2) P_{k+1,n})/(2k+n-2)
and the symmetry N(n,k+1)(k+1)/(2k+n) = N(n,k)(k+n-2)/(2k+n-2), which give

    mu_k(rho K') = [(k + n - 2) mu'_{k+1} + k mu'_{k-1}] / (2k + n - 2)   (k >= 1),
    mu_0(rho K') = mu'_1,

a sum of non-negative terms.  (Check, n = 2: hidden-layer ReLU gives (k^2+1)/(pi^2 (k^2-1)^2)
for even k >= 2 and 0 for odd k >= 3, the result of Basri et al. 2019.)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from harmonics import dim_harmonics, funk_hecke_eigenvalues
from harmonics._infra.checks import check_bool, check_degree, check_dimension, check_real

from ._bias import relu_bias_log_eigenvalues
from ._gates import Gate, derivative_gate, log_chi_moment, resolve
from ._hermite import (
    has_exact_coefficients,
    hermite_series,
    mehler_log_eigenvalues,
    noise_log_eigenvalues,
    predicted_series_length,
    relative_error_bound,
    warn_if_noisy,
    warn_if_truncated,
)
from ._radial import default_nodes, radial_log_eigenvalues, radial_rows

TRAINS = ("output", "hidden", "both")
INITS = ("sphere", "gaussian")
METHODS = ("auto", "closed", "mehler", "radial")


def _check_choice(value, name: str, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def _check_bias(bias, init: str) -> float:
    """beta >= 0 (None or 0 means no bias); sphere init does not support a bias."""
    if bias is None:
        return 0.0

    beta = check_real(bias, "bias", nonnegative=True)
    if beta > 1e100:  # the kernels grow like bias^2 (relu: (1 + bias^2) kappa_1 / 2)
        raise ValueError(f"bias must be <= 1e100 (the kernels scale like bias^2), got {beta:g}")
    if beta > 0 and init != "gaussian":
        raise ValueError(
            "bias (b ~ N(0, bias^2)) is supported for init='gaussian' only: there the biased "
            "network is an unbiased one on the augmented inputs (x, bias); for init='sphere' "
            "use bias=None"
        )
    return beta


def _log_sq(sign, log_abs) -> np.ndarray:
    """log lambda^2 with -inf at exact zeros."""
    return np.where(np.asarray(sign) != 0, 2 * np.asarray(log_abs), -np.inf)


def _log_lambda(gate_or_fn, n: int, kmax: int, kinks=()):
    if isinstance(gate_or_fn, Gate):
        arg = gate_or_fn.eigen_arg()
        kinks = gate_or_fn.kinks
    else:
        arg = gate_or_fn
    sign, log_abs = funk_hecke_eigenvalues(arg, n, kmax, log=True, kinks=kinks)
    return _log_sq(sign, log_abs)


def three_term_log(log_mu_der: np.ndarray, n: int, kmax: int) -> np.ndarray:
    """log mu_k(rho K') for k = 0..kmax from log mu'_0..mu'_{kmax+1} (see module docstring)."""
    out = np.full(kmax + 1, -np.inf)
    out[0] = log_mu_der[1]
    for k in range(1, kmax + 1):
        denom = 2 * k + n - 2
        up = math.log((k + n - 2) / denom) + log_mu_der[k + 1]
        down = math.log(k / denom) + log_mu_der[k - 1]
        out[k] = np.logaddexp(up, down)
    return out


# ----------------------------------------------------------------------- derivative spectra


def _log_der_sphere(gate: Gate, n: int, kmax: int) -> np.ndarray:
    """log lambda_k(g')^2, k = 0..kmax, for w uniform on the sphere."""
    mapped = derivative_gate(gate)
    if mapped is not None:
        act, c = mapped
        return _log_lambda(Gate(act, None), n, kmax) + 2 * math.log(abs(c))
    act = gate.act
    if n >= 4:
        # lambda_k^{(n)}(g') = (n-2) lambda_{k+1}^{(n-2)}(g)  (Rodrigues' formula in both
        # dimensions: both equal E_{nu_{n+2k}}[g^{(k+1)}] / prod_{j<k}(n+2j)).
        return _log_lambda(gate, n - 2, kmax + 1)[1:] + 2 * math.log(n - 2)
    # n = 2, 3: float quadrature of the derivative (absolute accuracy ~1e-15 only).
    return _log_lambda(act.derivative, n, kmax)


def _log_der_scaled(gate: Gate, r: float, n: int, kmax: int) -> np.ndarray:
    """log lambda_k(t -> g'(r t))^2 (radial route)."""
    mapped = derivative_gate(gate)
    if mapped is not None:
        act, c = mapped
        return _log_lambda(Gate(act, None).rescaled(r), n, kmax) + 2 * math.log(abs(c))
    if n >= 4:
        # G(t) = g(r t): G' = r g'(r t), so lambda_k(g'(r .)) = (n-2) lambda_{k+1}^{(n-2)}(G) / r
        return _log_lambda(gate.rescaled(r), n - 2, kmax + 1)[1:] + 2 * math.log((n - 2) / r)
    act = gate.act
    return _log_lambda(lambda t: act.derivative(r * t), n, kmax)


# ---------------------------------------------------------------------------------- routes


#: absolute accuracy of harmonics' float64 quadrature eigenvalues of a callable, in units of
#: sqrt(E_nu[g^2]) (harmonics.funk_hecke_eigenvalues: "~1e-14 sqrt(E[phi^2]) absolutely")
_CALLABLE_NOISE = 1e-14


def _warn_if_callable_noisy(rows, log_w, n, kmax, label):
    """CoefficientNoiseWarning for mu_k = sum_q w_q lambda_k(q)^2 built from a callable's float
    eigenvalues (rows [num, kmax+1] of log lambda^2; one row of weight 1 at sphere init): each
    lambda_k(q) errs by delta_qk = _CALLABLE_NOISE sqrt(E[g_q^2] / N(n,k)), E[g_q^2] estimated
    by Parseval over the computed degrees, so |mu_k error| <= sum_q w_q (2 |lambda_k(q)|
    delta_qk + delta_qk^2)."""
    log_dims = np.array([math.log(dim_harmonics(n, k)) for k in range(kmax + 1)])
    log_e = logsumexp(rows + log_dims, axis=1)
    # the quadrature sum of g P_k errs by ~eps sum |w g P_k| <= eps sqrt(E[g^2] E[P_k^2]),
    # E_nu[P_{k,n}^2] = 1 / N(n,k): the bound shrinks with the degree's multiplicity (without
    # it the estimate overshot by up to 36 orders at n = 100)
    log_delta = math.log(_CALLABLE_NOISE) + 0.5 * (log_e[:, None] - log_dims[None, :])
    with np.errstate(invalid="ignore"):
        err_rows = np.logaddexp(math.log(2.0) + log_delta + 0.5 * rows, 2 * log_delta)
    log_err = logsumexp(err_rows + log_w[:, None], axis=0)
    log_mu = logsumexp(rows + log_w[:, None], axis=0)
    remedy = "pass a registered activation name for exact eigenvalues, or lower kmax"
    rel = relative_error_bound(log_mu, log_err)
    warn_if_noisy(rel, f"spectrum of {label}", "quadrature", remedy)


def _sphere(gate, n, kmax, need_out, need_hid):
    out = _log_lambda(gate, n, kmax) if need_out else None
    if out is not None and gate.act is None:
        _warn_if_callable_noisy(out[None, :], np.zeros(1), n, kmax, gate.label)
    hid = three_term_log(_log_der_sphere(gate, n, kmax + 1), n, kmax) if need_hid else None
    return out, hid


def _gaussian_closed(gate, n, kmax, need_out, need_hid):
    p = gate.homogeneous_degree
    out = hid = None
    if need_out:
        out = _log_lambda(gate, n, kmax) + log_chi_moment(n, p)
    if need_hid:
        act, c = derivative_gate(gate)
        der = (
            _log_lambda(Gate(act, None), n, kmax + 1)
            + 2 * math.log(abs(c))
            + log_chi_moment(n, p - 1)
        )
        hid = three_term_log(der, n, kmax)
    return out, hid


def _gaussian_radial(gate, n, kmax, need_out, need_hid, num):
    num = default_nodes(kmax) if num is None else num
    # one set of Funk-Hecke eigenvalues per radial node: O(kmax) each for piecewise gates and
    # callables, an mpmath series (O(kmax^2), ~0.2 s at kmax = 50) for analytic ones
    per_node = 2 * 10**4 + (kmax + 1) ** 2 * 100 if gate.kind == "analytic" else kmax + 100
    if num * per_node > _RADIAL_WORK:
        raise ValueError(
            f"method='radial' for {gate.label} at kmax = {kmax}: {num} radial nodes, each with "
            f"its own eigenvalues, cost ~{num * per_node:.2g} (limit {_RADIAL_WORK:.0e}, "
            "~2 s); lower kmax, or use method='mehler' (analytic gates) / 'closed' "
            "(homogeneous ones)"
        )
    out = hid = None
    if need_out:
        if gate.act is None:
            fn = gate  # the Gate: elementwise float values, non-finite ones a ValueError
            kinks = gate.kinks

            def at(r):
                scaled = tuple(x / r for x in kinks if abs(x / r) <= 1)
                return _log_lambda(lambda t: fn(r * t), n, kmax, kinks=scaled)
        else:

            def at(r):
                return _log_lambda(gate.rescaled(r), n, kmax)

        rows, log_w = radial_rows(at, n, num)
        out = logsumexp(rows + log_w[:, None], axis=0)
        if gate.act is None:
            _warn_if_callable_noisy(rows, log_w, n, kmax, gate.label)
    if need_hid:
        der = radial_log_eigenvalues(
            lambda r: _log_der_scaled(gate, r, n, kmax + 1), n, kmax + 1, num
        )
        hid = three_term_log(der, n, kmax)
    return out, hid


# Hermite terms the Mehler route may use (harmonics' Gauss-Hermite rule of 2 J + 200 nodes).
_MEHLER_JCAP = 6000
#: Hermite terms at most for exact coefficients (closed forms, tanh's Fourier integrals: checked
#: to j = 16001); tanh at n = 2, k <= 1000 needs ~10^4 (at 6000 degrees >= 601 were reported)
_MEHLER_EXACT_JCAP = 16000


def check_mehler_width(gate, sigma: float, beta: float) -> None:
    """Refuse at once a Hermite series the Mehler route cannot sum: g(scale sigma z) turns on a
    scale 1/(scale sigma), so its Hermite energies need ~60 (scale sigma)^2 terms (erf: ratio
    2 s^2 / (1 + 2 s^2) per term); beyond the cap the series used to fail after seconds."""
    scale = abs(gate.act.scale) if gate.act is not None else 1.0
    if gate.kind == "analytic" and 60 * (scale * sigma) ** 2 > _MEHLER_JCAP:
        raise ValueError(
            f"init='gaussian' with bias = {beta:g} and scale = {scale:g}: {gate.label} at "
            f"width sigma = sqrt(1 + bias^2) = {sigma:.3g} needs ~{60 * (scale * sigma) ** 2:.2g} "
            f"Hermite terms (the Mehler route stops at {_MEHLER_JCAP}: scale * sigma <= 10); "
            "use a smaller bias or scale, or init='sphere'"
        )


# Cost limit of the radial route (nodes * per-node work, see _gaussian_radial).
_RADIAL_WORK = 3 * 10**6


def _gaussian_mehler(gate, n, kmax, need_out, need_hid, beta):
    if kmax > _MEHLER_JCAP:
        raise ValueError(
            f"kmax = {kmax}: the Hermite (Mehler) route sums at most {_MEHLER_JCAP} terms "
            "(kmax <= that); lower kmax"
        )
    sigma = math.sqrt(1 + beta * beta)
    check_mehler_width(gate, sigma, beta)
    # Exact coefficients (closed forms: erf, sin, cos, gelu; Fourier integrals: tanh, sigmoid,
    # softplus) carry no noise, so the series runs until its last fifth moves no eigenvalue by
    # 1e-15 relative (positive_moment_sum's gap), from J >= 2 kmax + 100: at small n the terms
    # h_j^2 E[t^j P_k] of the top degrees peak near j ~ 1.3 k, and J = 2 kmax left 9e-12 at
    # erf, n = 2, k = 199; tanh's h_j^2 ~ exp(-a sqrt j) need J ~ 2000 there (J = 400 gave
    # mu_199 wrong by 100 %; tests/test_deep_reference.py).  Gauss-Hermite ones (non-polynomial
    # gates with a fixed shift) grow until every degree's tail is below its noise bound (the
    # coefficients' rounding through the same positive sums, noise_log_eigenvalues), and the
    # degrees whose bound exceeds NOISE_TOLERANCE are reported (CoefficientNoiseWarning); J =
    # max(kmax + 200, 2 kmax) without that check cut tanh's series at n = 3 where mu_199 was
    # e^34-fold too large.
    exact = has_exact_coefficients(gate.act)
    cap = _MEHLER_EXACT_JCAP if exact else _MEHLER_JCAP
    jmin = min(kmax + 50, cap) if exact else kmax
    a = 1 / (1 + beta * beta)
    b = beta * beta * a
    while True:
        log_h2, energy, _ = hermite_series(gate, sigma, jmin, jcap=cap)
        j = np.arange(log_h2.size)
        out = hid = None
        if need_hid and (gate.act is None or gate.act.discontinuous):
            derivative_gate(gate)  # raises the informative error
        series = []  # NNGP h_j^2 and hidden-layer j h_j^2, against one moment table
        if need_out:
            series.append(log_h2)
        if need_hid:
            with np.errstate(divide="ignore"):
                series.append(log_h2 + np.log(j))
        logs, shares = mehler_log_eigenvalues(np.array(series), n, kmax, a, b, per_degree=True)
        if need_out:
            out = logs[0]
        if need_hid:
            hid = logs[-1]
        shares = np.max(shares, axis=0)
        noise = np.zeros(kmax + 1)
        if not exact:
            with np.errstate(divide="ignore"):
                for log_mu, weight in ((out, None), (hid, np.log(j))):
                    if log_mu is not None:
                        err = noise_log_eigenvalues(log_h2, energy, n, kmax, a, b, weight)
                        noise = np.maximum(noise, relative_error_bound(log_mu, err))
        capped = log_h2.size > cap
        if np.all(shares <= np.maximum(1e-15, noise)) or capped:
            where = f"spectrum of {gate.label} (Mehler)"
            if exact and capped:
                warn_if_truncated(shares, log_h2.size, where, "lower kmax")
            if not exact:
                remedy = (
                    "lower kmax, or pass a registered activation without a fixed shift "
                    "(exact coefficients for tanh, sigmoid, softplus, silu, erf, gelu, sin, cos)"
                )
                rel = np.maximum(noise, shares if capped else 0.0)
                warn_if_noisy(rel, where, "hermite", remedy)
            return out, hid
        # hermite_series returns J = 2 jmin terms (jmin >= 200): exact coefficients without
        # a bias grow to the length where the tail is predicted negligible (as the deep route),
        # at least 1.25x the last pass; others 1.5x (a bias's shift a t + b changes the decay
        # the prediction fits; rule-based gates stop at their noise, not at 1e-15).
        # J <= cap + 1 (the moment table and the bias shift are J-sized)
        J = log_h2.size
        grow = 3 * J // 4 + 1
        if exact and b == 0.0:
            guess = predicted_series_length(series[-1], n, kmax, shares, cap)
            grow = max(guess // 2 + 1, 5 * J // 8 + 1)
        jmin = min(grow, cap // 2)


def _gaussian_relu_bias(gate, n, kmax, need_out, need_hid, beta):
    log_out, log_der = relu_bias_log_eigenvalues(n, kmax + 1, float(beta))
    s2 = 2 * math.log(abs(gate.act.scale))
    out = log_out[: kmax + 1] + s2 if need_out else None
    hid = None
    if need_hid:
        der = log_der + s2
        # (rho + beta^2) K'(rho): the bias is trained with the hidden weights (NTK
        # parametrization b = beta * b~, gradient in b~ contributes beta^2 K').
        hid = np.logaddexp(three_term_log(der, n, kmax), der[: kmax + 1] + 2 * math.log(beta))
    return out, hid


def _log_spectrum(
    gate: Gate, n: int, kmax: int, train: str, init: str, beta: float, method, radial_nodes=None
):
    need_out = train in ("output", "both")
    need_hid = train in ("hidden", "both")
    if gate.act is None and init == "gaussian" and (need_hid or beta > 0):
        # A smooth callable needs no derivative here: by Price's theorem E[g'(u) g'(v)] has the
        # Hermite coefficients j h_j^2 of g itself, so the deep engine at depth 1
        # (Sigma^1 = rho + beta^2) gives every train, with or without a bias.
        if method != "auto":
            raise ValueError(
                f"method={method!r}: a callable's hidden-layer or biased kernel uses its Hermite "
                "coefficients (method='auto')"
            )
        from .deep import check_deep_bias, deep_log_spectrum

        check_deep_bias(beta)
        return deep_log_spectrum(gate, n, kmax, 1, 1.0, beta * beta, train)[0]
    if need_hid and gate.act is None:
        derivative_gate(gate)  # raises: callables have no derivative
    if need_hid and gate.act.discontinuous:
        derivative_gate(gate)  # raises: the derivative is a Dirac delta
    if init == "sphere":
        if method not in ("auto", "closed"):
            raise ValueError(
                f"method={method!r} applies to init='gaussian'; sphere init uses the Funk-Hecke "
                "eigenvalues of harmonics (method='auto')"
            )
        out, hid = _sphere(gate, n, kmax, need_out, need_hid)
    else:
        p = gate.homogeneous_degree
        kind = gate.kind
        if beta > 0:
            if gate.name == "relu" and p is not None and method in ("auto", "closed"):
                out, hid = _gaussian_relu_bias(gate, n, kmax, need_out, need_hid, beta)
            elif kind in ("analytic", "polynomial") and method in ("auto", "mehler"):
                out, hid = _gaussian_mehler(gate, n, kmax, need_out, need_hid, beta)
            else:
                raise ValueError(
                    "a Gaussian bias is supported for relu (closed form) and for the smooth "
                    "registered activations sigmoid, tanh, erf, softplus, gelu, silu, sin, cos and "
                    f"polynomials (Hermite/Mehler route); got {gate.label} with method={method!r}"
                )
        elif method == "radial":
            if gate.kind == "piecewise" and p is None:
                raise ValueError(_DETERMINISTIC_BIAS)
            out, hid = _gaussian_radial(gate, n, kmax, need_out, need_hid, radial_nodes)
        elif method == "closed" or (method == "auto" and p is not None):
            if p is None:
                raise ValueError(
                    "method='closed' needs a positively homogeneous activation (relu, relu^p, "
                    f"step, sign, abs without a fixed bias); got {gate.label}"
                )
            out, hid = _gaussian_closed(gate, n, kmax, need_out, need_hid)
        elif method == "mehler" or (method == "auto" and kind in ("analytic", "polynomial")):
            if gate.act is None:
                raise ValueError("method='mehler' needs a registered activation")
            out, hid = _gaussian_mehler(gate, n, kmax, need_out, need_hid, 0.0)
        elif kind == "callable":
            out, hid = _gaussian_radial(gate, n, kmax, need_out, need_hid, radial_nodes)
        else:
            raise ValueError(_DETERMINISTIC_BIAS)
    if out is None:
        return hid
    if hid is None:
        return out
    return np.logaddexp(out, hid)


_DETERMINISTIC_BIAS = (
    "piecewise activations with a fixed shift (e.g. relu(t + 0.1)) are not supported with "
    "init='gaussian'; use a random bias (bias=beta) or init='sphere'"
)


def spectrum(
    activation,
    n: int,
    kmax: int,
    *,
    train: str = "output",
    init: str = "sphere",
    bias=None,
    log: bool = False,
    method: str = "auto",
    power=None,
    coeffs=None,
    scale: float = 1.0,
    kinks=(),
    depth: int = 1,
    weight_var: float = 1.0,
):
    """Eigenvalues mu_0 .. mu_kmax of the gradient-descent kernel of a network of any depth.

    mu_k is the eigenvalue of the kernel operator r -> E_y[K(<x,y>) r(y)] on the degree-k
    spherical harmonics H_k (multiplicity N(n,k), uniform probability measure on S^{n-1}), i.e.
    mu_k = E_{t~nu_n}[K(t) P_{k,n}(t)] and K(t) = sum_k N(n,k) mu_k P_{k,n}(t).  In the kernel
    regime, full-batch GD with step lr on the population loss 1/2 ||f* - f||^2 multiplies the
    degree-k part of the residual by (1 - lr mu_k) per step (see :func:`predict`).

    Parameters
    ----------
    activation : registered name ("relu", "leaky_relu", "step", "leaky_step", "sign", "abs",
        "relu2"/"relu_power", "sigmoid", "tanh", "erf", "softplus", "gelu", "silu", "sin",
        "cos", "polynomial", "identity"; aliases in ``harmonics.ACTIVATION_ALIASES``), a
        :class:`harmonics.Activation` (e.g. ``get_activation("leaky_relu", negative_slope=0.2)``),
        or a callable on float arrays.  A callable takes train="output" at init="sphere"
        (harmonics' quadrature, ``kinks`` honoured) and at init="gaussian" without a bias (the
        radial route); hidden-layer trains, a bias and deep kernels of a *smooth* callable use
        its float Gauss-Hermite coefficients (E[g'g'] by Price's theorem, no derivative needed;
        kinked callables are refused there, and a CoefficientNoiseWarning names the first
        degree at the rounding floor).
    n : int >= 2, ambient dimension (inputs on S^{n-1}).   kmax : int >= 0, highest degree.
    train : "output" | "hidden" | "both" -- which layer GD trains (kernels K_out, rho K',
        K_out + rho K'; see the module docstring for the normalization, E[a_i^2] = 1).
    init : "sphere" (w uniform on S^{n-1}, Vempala-Wilmes) or "gaussian" (w ~ N(0, I_n)).
    bias : None or beta >= 0 -- biases b_i ~ N(0, beta^2), init="gaussian" only.  The biased
        network is the unbiased one on augmented inputs (x, beta) with (w, b~) ~ N(0, I_{n+1})
        and b = beta b~ trained through b~ (NTK parametrization, Jacot et al. 2018); hence the
        hidden kernel is (rho + beta^2) K'_beta(rho).  For ReLU: K_out(rho) =
        (1+beta^2) kappa_1(rho_beta)/2, K'_beta = kappa_0(rho_beta)/2, rho_beta =
        (rho + beta^2)/(1 + beta^2).  A bias makes mu_k > 0 at the odd k >= 3 where unbiased
        ReLU has mu_k = 0.
    log : if True return ``(sign, log_abs)`` (sign 0 and log -inf for exact zeros; mu_k >= 0
        always since every kernel here is positive semi-definite) -- use it when values fall
        below the float64 range (e.g. large n and k).  Otherwise such values underflow to 0.0.
    method : "auto" (default), "closed", "mehler" or "radial" (init="gaussian" only):
        * closed: positively homogeneous g of degree p (relu, relu^p, abs, step, sign):
          mu_k(K_out) = E[r^{2p}] lambda_k(g)^2 with E[r^{2p}] = prod_{i<p}(n+2i), r ~ chi_n
          (so ReLU: n lambda_k(relu)^2 and lambda_k(step)^2 for K'), exact to ~1e-14 relative
          at every n, k; with a bias (ReLU only) a positive one-dimensional integral of closed
          forms (gd_operator/_bias.py), ~1e-13 relative.
        * mehler: sum_j w_j h_j^2 E[rho_beta^j P_{k,n}] with normalized Hermite coefficients
          h_j (closed forms for erf, gelu, sin, cos; tanh, sigmoid, softplus without bias from
          tanh's Fourier transform, ~1e-14 relative per h_j; float Gauss-Hermite otherwise
          (silu, gates with their own bias), absolute accuracy ~1e-15 per h_j, so mu_k is
          accurate to ~1e-15/|h_j| relative where h_j, j >= k, dominates).  Default for
          analytic and polynomial activations.
        * radial: mu_k = E_{r~chi_n}[lambda_k(g(r .))^2] by Gauss quadrature in r, each
          lambda_k from harmonics (slow for tanh/sigmoid/softplus at large r; the default for
          callables, whose lambda_k are only absolutely accurate).  It uses max(40, kmax/2 + 40)
          Gauss-chi nodes; gates analytic only in a strip converge subexponentially in the
          nodes (tanh NTK, k <= 4: 6e-10 relative; 96 nodes would give 2e-15), so prefer
          "mehler" for registered smooth gates.
    power, coeffs, scale : parameters of registered activations (relu^p, polynomial
        coefficients ascending, input scale g(t) = phi(scale t)).
    kinks : for a callable, the points of [-1, 1] where it is not smooth (passed to
        harmonics' quadrature; without them a kinked callable is only accurate to ~1e-4).
    depth : int in [1, 50], number of hidden layers L (default 1).
    weight_var : sigma_w^2 in (0, 1e3], variance of every weight (default 1).  With depth > 1
        or weight_var != 1 the kernels are the deep NNGP (train="output"), hidden part
        Theta^L E_L[phi'] ("hidden") and NTK ("both") of :mod:`gd_operator.deep`
        (docs/conventions.md, "Deep kernels"); they need init="gaussian" and a registered
        activation, and method="auto".  depth=1, weight_var=1 is the one-hidden-layer case
        above (unchanged).

    Returns
    -------
    ndarray [kmax + 1] of mu_0..mu_kmax (or the ``(sign, log_abs)`` pair).

    Raises
    ------
    ValueError for unknown train/init/method, a bias with init="sphere", hidden-layer training
    of step/sign (their derivative is a Dirac delta) or of callables.

    Warns
    -----
    SeriesTruncationWarning when a positive power series (the Mehler route; deep kernels of
    smooth gates) reaches its term cap (6000 Hermite terms; 8000 Taylor terms at depth > 1)
    while its last fifth still carries more than 1e-12 of some mu_k: the message names the
    first such degree and the share (those mu_k may be too small by about that much).
    CoefficientNoiseWarning when eigenvalues come from float64 ingredients -- a callable's
    quadrature eigenvalues (either init), or the Gauss-Hermite coefficients of a non-polynomial
    gate with a fixed shift (init="gaussian", any depth) -- and some mu_k has an estimated
    relative error above 1e-9 (their rounding through the same positive sums; at depth > 1 the
    spread of spectra with perturbed coefficients): the message names the first such degree.

    >>> import numpy as np
    >>> mu = spectrum("relu", 2, 6, train="hidden")       # Basri et al. 2019 (n = 2)
    >>> k = np.array([2, 4, 6]); bool(np.allclose(mu[k], (k**2 + 1) / (np.pi * (k**2 - 1))**2))
    True
    """

    from .deep import check_deep_bias, check_deep_call, deep_log_spectrum

    n = check_dimension(n)
    kmax = check_degree(kmax, "kmax")
    log = check_bool(log, "log")
    train = _check_choice(train, "train", TRAINS)
    init = _check_choice(init, "init", INITS)
    method = _check_choice(method, "method", METHODS)
    deep, depth, sw2 = check_deep_call(depth, weight_var, init, method)
    beta = _check_bias(bias, init)
    gate = resolve(activation, power=power, coeffs=coeffs, scale=scale, kinks=kinks)
    if deep:
        check_deep_bias(beta)
        log_mu, _ = deep_log_spectrum(gate, n, kmax, depth, sw2, beta * beta, train)
    else:
        log_mu = _log_spectrum(gate, n, kmax, train, init, beta, method)
    sign = np.where(np.isfinite(log_mu), 1.0, 0.0)
    log_mu = np.where(sign != 0, log_mu, -np.inf)
    if log:
        return sign, log_mu
    with np.errstate(under="ignore"):
        return np.where(sign != 0, np.exp(np.where(sign != 0, log_mu, 0.0)), 0.0)
