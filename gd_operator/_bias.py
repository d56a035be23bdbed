"""ReLU and step kernels with a Gaussian bias, Gaussian init: eigenvalues to full relative
precision (private).

Augmented-input picture.  With w ~ N(0, I_n), b = beta * b~, b~ ~ N(0, 1), the pre-activation is
<w, x> + b = <omega, x~> with omega = (w, b~) ~ N(0, I_{n+1}) and x~ = (x, beta).  Write
omega = R omega^ (R ~ chi_{n+1}) and omega^ = (sqrt(1 - h^2) w^, h) with h ~ nu_{n+1} the last
coordinate of a uniform point of S^n and w^ uniform on S^{n-1}.  Since relu is 1-homogeneous
and step 0-homogeneous,

    E[relu(<w,x>+b) relu(<w,y>+b)] = E[R^2] E_h E_{w^}[g_h(<w^,x>) g_h(<w^,y>)],
    g_h(t) = relu(sqrt(1-h^2) t + beta h) = sqrt(1-h^2) (t - t0)_+,  t0 = -beta h / sqrt(1-h^2),

and Funk-Hecke for each h gives, with E[R^2] = n + 1,

    mu_k(K_out) = (n + 1) E_h[(1 - h^2) lambda_k((. - t0)_+)^2],
    mu_k(K')    =         E_h[lambda_k(step(. - t0))^2].

For |h| >= 1/sqrt(1+beta^2) the gate has no kink on [-1, 1] (it is 0 or linear there, only
lambda_0, lambda_1 survive).  Elsewhere we change variables to t0 in (-1, 1): h = -t0 /
sqrt(beta^2 + t0^2), 1 - h^2 = beta^2/(beta^2 + t0^2) and
dnu_{n+1}(h) = c_{n+1} beta^n (beta^2 + t0^2)^{-(n+1)/2} dt0.  The eigenvalues of the truncated
powers are the closed forms of harmonics (Rodrigues' formula, (T) and (R); their one
implementation is harmonics/truncated_power.py, here in log scale: float_log_eigenvalues):

    lambda_k((t - t0)_+)   = C_1 (1 - t0^2)^{(n+1)/2} P_{k-2,n+4}(t0),  k >= 2,
    lambda_k(step(t - t0)) = C_0 (1 - t0^2)^{(n-1)/2} P_{k-1,n+2}(t0),  k >= 1,
    C_p = Gamma(n/2) / (sqrt(pi) 2^{p+1} Gamma((n+1)/2 + p)),

plus lambda_0(step) = T_n(t0), lambda_1((.-t0)_+) = T_{n+2}(t0)/n, lambda_0((.-t0)_+) =
c_n (1-t0^2)^{(n-1)/2}/(n-1) - t0 T_n(t0), T_m(t0) = P_{nu_m}(t > t0).  With t0 = cos(alpha)
every integrand is analytic in alpha on [0, pi] and >= 0, so composite Gauss-Legendre in alpha
(panels graded around alpha = pi/2, where the weight peaks with width ~ beta/sqrt(n)) converges
exponentially and the sums are formed in log scale: relative accuracy is kept even for
eigenvalues far below the float64 range.  The normalized Legendre values come from the
exponent-tracking recurrence of harmonics.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import logsumexp

from harmonics import gauss_legendre, log_nu_normalizer
from harmonics.truncated_power import float_log_eigenvalues

_ORDER = 24


def _alpha_nodes(n: int, beta: float, kmax: int):
    """Gauss-Legendre nodes/weights in alpha in [0, pi], graded around pi/2."""
    # peak width of the integrand: ~beta/sqrt(n) from the bias density, ~1/sqrt(2n) from
    # (1 - t0^2)^{n+1} (the squared eigenvalues)
    width = min(1.0, beta) / math.sqrt(n) / 4
    edges = {0.0, math.pi}
    d = width
    while d < math.pi / 2:
        edges.add(math.pi / 2 - d)
        edges.add(math.pi / 2 + d)
        d *= 2
    edges.add(math.pi / 2)
    # ~1 oscillation of P_k(cos alpha) per 24-point panel: converged to ~1e-13 in log mu_k for
    # k <= 300, n <= 1000, beta in [0.05, 50] (checked against 4x and 8x refined rules)
    uniform = 8 + kmax // 3
    edges.update(np.linspace(0.0, math.pi, uniform + 1).tolist())
    e = np.array(sorted(edges))
    x, wx = gauss_legendre(_ORDER)
    a, b = e[:-1, None], e[1:, None]
    alpha = ((b - a) / 2 * x + (a + b) / 2).ravel()
    w = ((b - a) / 2 * wx).ravel()
    return alpha, w


def _outer(n: int, beta: float, order: int = 64):
    """Nodes in psi in [0, psi_a] (h = cos psi >= 1/sqrt(1+beta^2)) with log weights of nu_{n+1}."""
    psi_a = math.atan(beta)
    x, wx = gauss_legendre(order)
    psi = psi_a / 2 * (x + 1)
    with np.errstate(divide="ignore"):
        logw = log_nu_normalizer(n + 1) + (n - 1) * np.log(np.sin(psi)) + np.log(psi_a / 2 * wx)
    return psi, logw


@lru_cache(maxsize=64)
def relu_bias_log_eigenvalues(n: int, kmax: int, beta: float):
    """(log mu_k(K_out), log mu_k(K')) for k = 0..kmax, ReLU with bias b ~ N(0, beta^2).

    K_out(rho) = E[relu(u) relu(v)], K'(rho) = E[step(u) step(v)] with u = <w,x> + b,
    v = <w,y> + b, w ~ N(0, I_n); see the module docstring.  Returns read-only arrays.
    """
    alpha, wa = _alpha_nodes(n, beta, kmax)
    t0 = np.cos(alpha)
    s2 = np.sin(alpha) ** 2  # 1 - t0^2, accurate near t0 = +-1
    with np.errstate(divide="ignore"):
        log_s2 = np.log(s2)
    log_b2t = np.log(beta * beta + t0 * t0)
    # density of t0 (including d t0 = sin(alpha) d alpha) and 1 - h^2
    log_w = (
        np.log(wa)
        + 0.5 * log_s2
        + log_nu_normalizer(n + 1)
        + n * math.log(beta)
        - (n + 1) / 2 * log_b2t
    )
    log_1mh2 = 2 * math.log(beta) - log_b2t

    # log lambda_k((.-t0)_+)^2 * (1-h^2) and log lambda_k(step(.-t0))^2, [kmax+1, nodes]: the
    # truncated-power formulas of harmonics.truncated_power (their one implementation)
    (_, out), (_, der) = float_log_eigenvalues(t0, (1, 0), n, kmax, log_one_minus_square=log_s2)
    out *= 2
    out += log_1mh2
    der *= 2
    log_out = logsumexp(out + log_w, axis=1) + math.log(n + 1)
    log_der = logsumexp(der + log_w, axis=1)

    # h >= 1/sqrt(1+beta^2): relu(s t + beta h) is linear on [-1, 1], step is 1.
    psi, lw_out = _outer(n, beta)
    h = np.cos(psi)
    add0 = logsumexp(lw_out + 2 * np.log(beta * h)) + math.log(n + 1)
    log_out[0] = np.logaddexp(log_out[0], add0)
    if kmax >= 1:
        add1 = logsumexp(lw_out + 2 * np.log(np.sin(psi)) - 2 * math.log(n)) + math.log(n + 1)
        log_out[1] = np.logaddexp(log_out[1], add1)
    log_der[0] = np.logaddexp(log_der[0], logsumexp(lw_out))
    log_out.setflags(write=False)
    log_der.setflags(write=False)
    return log_out, log_der
