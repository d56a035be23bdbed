"""Hermite (Mehler) route to Gaussian-init kernels and their Funk-Hecke eigenvalues (private).

For w ~ N(0, I_n) and |x| = |y| = 1, (u, v) = (<w,x>, <w,y>) is standard bivariate normal with
correlation rho.  With a random bias b ~ N(0, beta^2) the pre-activations u + b, v + b have
variance sigma^2 = 1 + beta^2 and correlation rho_beta = (rho + beta^2) / (1 + beta^2).  Writing
g(sigma z) = sum_j h_j He_j(z) / sqrt(j!) (probabilists' Hermite polynomials, normalized
coefficients h_j = E[g(sigma z) He_j(z)] / sqrt(j!)), Mehler's formula gives

    K_out(rho) = E[g(u) g(v)] = sum_j h_j^2 rho_beta^j,
    (rho + beta^2) K'(rho) = sum_j j h_j^2 rho_beta^j       (Stein: the coefficients of g' are
                                                            sqrt(j+1) h_{j+1} / sigma),

so the output, hidden and NTK kernels are sum_j w_j h_j^2 rho_beta^j with w_j = 1, j, 1 + j.
(O'Donnell, "Analysis of Boolean Functions", 2014, section 11.2; Daniely, Frostig & Singer 2016.)
Their degree-k eigenvalues in dimension n follow from the moments (Rodrigues' formula)

    E_{nu_n}[t^j P_{k,n}(t)] = j!/(j-k)! * E_{nu_{n+2k}}[t^{j-k}] / prod_{i<k}(n+2i)   (j >= k,
    j - k even; 0 otherwise),   E_{nu_m}[t^{2i}] = prod_{l<i} (2l+1)/(m+2l),

and, with a bias, the kernel sum_j c_j (a t + b)^j (a = 1/(1+beta^2), b = beta^2/(1+beta^2)) is
first re-expanded in powers of t, d_i = a^i sum_{j>=i} C(j,i) b^{j-i} c_j.  Every term is >= 0,
so the sums are carried out in log scale without cancellation: the eigenvalues keep the
relative accuracy of the h_j^2.

h_j: for erf(s t) exactly, from E[erf(u) erf(v)] = (2/pi) arcsin(2 c / sqrt((1 + 2 s_u^2)(1 +
2 s_v^2))) (Williams 1997): h_{2i+1}^2 = (2/pi) (2i)! / (4^i (i!)^2 (2i+1)) q^{2i+1},
q = 2 s^2 sigma^2 / (1 + 2 s^2 sigma^2).  For sin / cos(s t + b0) exactly, from
E[e^{i(a z + b0)} He_j(z)] = e^{i b0} (i a)^j e^{-a^2/2} (a = s sigma; the generating function
of He_j): h_j = sin (cos) (b0 + j pi/2) a^j e^{-a^2/2} / sqrt(j!), so h_j^2 is Poisson(a^2)
weights, and K_out = e^{-a^2} (sinh(a^2 x) + sin^2 (cos^2) (b0) e^{-a^2 x}) at correlation x
(b0 = 0: E[sin(s u) sin(s v)] = e^{-s^2} sinh(s^2 rho), E[cos cos] = e^{-s^2} cosh(s^2 rho)).
For gelu(s t) = s t Phi(s t) exactly (a = s sigma, v = 1 + a^2): gelu'' = (2 - x^2) phi_N =
phi_N - phi_N'' and E[phi_N^{(2l)}(a z)] = (-1)^l (2l-1)!! v^{-l} / sqrt(2 pi v), so by Stein
E[g He_j] = a^j E[g^{(j)}(a z)]:  h_0^2 = a^4 / (2 pi v), h_1^2 = a^2 / 4, odd j >= 3 zero,
even j >= 2:  h_j^2 = a^{2j} ((j-3)!!)^2 (j - 1 + v)^2 / (v^j 2 pi v j!)  (no cancellation:
the two Gaussian moments have opposite signs), and E[g^2] = a^2/4 + a^2 asin(a^2/v)/(2 pi)
+ a^4 / (pi v sqrt(1 + 2 a^2)) (the dual at c = 1; Tsuchida et al. 2021).
For tanh, sigmoid, softplus and silu (bias0 = 0) from the Fourier transform of tanh: positive
integrals summed by a trapezoidal rule to ~1e-14 relative at any j (_hermite_tanh).
Their geometric decay ((a^2/v)^j) is what float coefficients cannot follow: Gauss-Hermite
values carried 1e-15 absolute noise, which past k ~ 25 exceeded mu_k (1e61-fold at k = 200).
Otherwise by Gauss-Hermite quadrature in float64
(absolute accuracy ~1e-15 sqrt(E[g^2]) per coefficient), with the exact parity zeros of the
registered activations imposed.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
from scipy.special import gammaln, logsumexp

from harmonics import gauss_rule
from harmonics._infra.deprecation import user_stacklevel

from ._hermite_tanh import log_h2_sigmoid, log_h2_silu, log_h2_softplus, log_h2_tanh
from ._series import taylor_shift

# Parity of g minus its affine part, for registered analytic gates with bias0 = 0:
# tanh, erf odd; sigmoid - 1/2 odd; softplus - x/2 even; gelu - x/2 even.
# silu - x/2 = (x/2) tanh(x/2) even.
_AFFINE_PARITY = {"tanh": -1, "erf": -1, "sigmoid": -1, "softplus": 1, "gelu": 1, "silu": 1}


@lru_cache(maxsize=16)
def _gauss_hermite(num: int):
    """Nodes z and square-root weights sqrt(w) of the num-point Gauss rule of N(0, 1).

    The family supplies only its Jacobi matrix (orthonormal He_j / sqrt(j!): zero diagonal,
    off-diagonal sqrt(j)) to the project's Golub & Welsch engine harmonics.gauss_rule, with
    one Newton step on the nodes (their eigenvalue error ~ eps sqrt(num) would otherwise cost
    ~1e-11 relative in the outer weights at num = 2000), exactly symmetric, weights summing to
    1 and taken as exp(log w / 2), so sqrt(w) stays finite where w underflows.  Against 40-digit
    mpmath values this matches or beats scipy's roots_hermitenorm (used before) at the sizes
    used here (num = 2 jmax + 200 >= 600): node errors <= 6e-15 vs 3e-14, weight errors
    <= 5e-13 relative vs 6e-13 (num = 2000); the cost is O(num^2) (~0.1 s at num = 2000).
    """
    z, log_w = gauss_rule(
        np.zeros(num), np.sqrt(np.arange(1.0, num)), symmetric=True, newton=1, log=True
    )
    sw = np.exp(0.5 * log_w)
    z.setflags(write=False)
    sw.setflags(write=False)
    return z, sw


def _log_h2_erf(s: float, sigma: float, jmax: int):
    q = 2 * s * s * sigma * sigma / (1 + 2 * s * s * sigma * sigma)
    out = np.full(jmax + 1, -np.inf)
    lq = math.log(q)
    for j in range(1, jmax + 1, 2):
        i = (j - 1) // 2
        out[j] = (
            math.log(2 / math.pi)
            + math.lgamma(2 * i + 1)
            - i * math.log(4.0)
            - 2 * math.lgamma(i + 1)
            - math.log(2 * i + 1)
            + j * lq
        )
    return out, 2 / math.pi * math.asin(q)


def _log_h2_gelu(s: float, sigma: float, jmax: int):
    """log h_j^2 of z -> gelu(s sigma z) (module docstring) and E[g(sigma z)^2].  The double
    factorials and factorials are prefix sums of logarithms in long double (lgamma differences
    lose ~eps lgamma(j), 1e-12 relative at j ~ 600)."""
    a2 = (s * sigma) ** 2
    v = 1.0 + a2
    ld = np.longdouble
    out = np.full(jmax + 1, -np.inf)
    log_2piv = math.log(2 * math.pi * v)
    out[0] = 2 * math.log(a2) - log_2piv
    if jmax >= 1:
        out[1] = math.log(a2) - math.log(4.0)
    if jmax >= 2:
        j = np.arange(2, jmax + 1, 2)
        log_fact = np.concatenate([[ld(0)], np.cumsum(np.log(np.arange(1, jmax + 1, dtype=ld)))])
        # log (j-3)!! for even j: sum of log(2i - 1), i = 1..(j-2)/2
        odd = np.concatenate(
            [[ld(0)], np.cumsum(np.log(2 * np.arange(1, jmax // 2 + 1, dtype=ld) - 1))]
        )
        vals = (
            j * (ld(math.log(a2)) - ld(math.log(v)))
            + 2 * odd[(j - 2) // 2]
            + 2 * np.log(j - 1 + ld(v))
            - ld(log_2piv)
            - log_fact[j]
        )
        out[j] = vals.astype(float)
    energy = (
        a2 / 4
        + a2 * math.asin(a2 / v) / (2 * math.pi)
        + a2 * a2 / (math.pi * v * math.sqrt(1 + 2 * a2))
    )
    return out, energy


def _trig_levels(name: str, b0: float):
    """sin or cos(b0 + j pi/2) for j = 0, 1, 2, 3 (period 4 in j; exact zeros for b0 = 0)."""
    sb, cb = (0.0, 1.0) if b0 == 0.0 else (math.sin(b0), math.cos(b0))
    return (sb, cb, -sb, -cb) if name == "sin" else (cb, -sb, -cb, sb)


def _log_h2_trig(name: str, s: float, b0: float, sigma: float, jmax: int):
    """log h_j^2 of z -> sin / cos(s sigma z + b0) (module docstring) and E[g(sigma z)^2]."""
    a2 = (s * sigma) ** 2
    levels = _trig_levels(name, b0)
    out = np.full(jmax + 1, -np.inf)
    la2 = 2 * math.log(abs(s) * sigma)  # (a2 itself underflows to 0 for |s| < 1e-154)
    for j in range(jmax + 1):
        c = levels[j % 4]
        if c != 0.0:
            out[j] = -a2 + j * la2 - math.lgamma(j + 1) + 2 * math.log(abs(c))
    # E[sin^2] = (1 - cos(2 b0) e^{-2 a^2}) / 2, E[cos^2] = (1 + cos(2 b0) e^{-2 a^2}) / 2
    sb2 = math.sin(b0) ** 2
    e2 = math.exp(-2 * a2)
    if name == "sin":
        energy = 0.5 * (-math.expm1(-2 * a2) + 2 * sb2 * e2)
    else:
        energy = 0.5 * (1 + e2 - 2 * sb2 * e2)
    return out, energy


def trig_kernels(name: str, s: float, b0: float, sigma: float, x):
    """(E[g(sigma u) g(sigma v)], x d/dx of it) for g = sin / cos(s . + b0) and (u, v) standard
    normal with correlation x (module docstring; x d/dx is the hidden kernel's Mehler sum
    sum_j j h_j^2 x^j)."""
    a2 = (s * sigma) ** 2
    y = a2 * np.asarray(x, dtype=float)
    c2 = math.sin(b0) ** 2 if name == "sin" else math.cos(b0) ** 2
    cos2b = math.cos(2 * b0) if name == "sin" else -math.cos(2 * b0)
    out = math.exp(-a2) * (np.sinh(y) + c2 * np.exp(-y))
    hid = y * math.exp(-a2) * 0.5 * (np.exp(y) + cos2b * np.exp(-y))
    return out, hid


def _h_generic(gate, sigma: float, jmax: int):
    """Normalized Hermite coefficients h_0..h_jmax of z -> g(sigma z) and E[g(sigma z)^2]."""
    num = 2 * jmax + 200
    z, sw = _gauss_hermite(num)
    vals = gate(sigma * z)
    if not np.all(np.isfinite(vals)):
        raise ValueError("activation returned NaN or inf on Gaussian quadrature nodes")
    fz = sw * vals
    energy = float(fz @ fz)
    parity = _callable_parity(vals) if gate.act is None else 0
    h = np.empty(jmax + 1)
    # psi_j = He_j / sqrt(j!) carried as sqrt(w_i) psi_j(z_i): bounded by 1, never overflows.
    p_prev = sw.copy()
    h[0] = fz @ p_prev
    if jmax >= 1:
        p_cur = z * sw
        h[1] = fz @ p_cur
        for j in range(1, jmax):
            p_prev, p_cur = p_cur, (z * p_cur - math.sqrt(j) * p_prev) / math.sqrt(j + 1)
            h[j + 1] = fz @ p_cur
    if parity:
        h[(1 if parity > 0 else 0) :: 2] = 0.0
    return h, energy


def _callable_parity(vals: np.ndarray) -> int:
    """-1 / +1 if a callable's values on the (exactly symmetric) Gauss-Hermite nodes are odd /
    even to within 4 ulps of their largest, else 0.  The other parity's part e then has
    |e| <= 4 eps max|g| on the nodes, so its coefficients are below the rule's own noise
    (GH_NOISE sqrt(E[g^2]) per coefficient); imposing them as exact zeros (np.tanh: h_0^2 ~
    1e-35 otherwise, a spurious mu_0 flagged as noise) changes nothing the noise allows."""
    tol = 4 * np.finfo(float).eps * float(np.max(np.abs(vals)))
    mirrored = vals[::-1]
    if np.all(np.abs(vals + mirrored) <= tol):
        return -1
    if np.all(np.abs(vals - mirrored) <= tol):
        return 1
    return 0


def polynomial_hermite_coefficients(act, sigma: float, jmax: int) -> np.ndarray:
    """Signed normalized Hermite coefficients h_0..h_jmax of z -> p(s sigma z + b0) for a
    polynomial gate, exactly: its coefficients c_m in z (binomial expansion) and
    E[z^m He_j(z)] = m! / (((m - j)/2)! 2^{(m-j)/2}) for m >= j, m - j even (0 otherwise), so
    h_j = sum_m c_m m! / (sqrt(j!) ((m-j)/2)! 2^{(m-j)/2}); h_j = 0 exactly for j > deg and
    where the structure says (no quadrature noise).  E[g^2] = sum_j h_j^2 (a finite sum)."""
    p = np.polynomial.Polynomial(np.asarray(act.coeffs, dtype=float))
    q = p(np.polynomial.Polynomial([act.bias, act.scale * sigma]))  # p(s sigma z + b0)
    c = np.zeros(len(act.coeffs))
    c[: q.coef.size] = q.coef
    deg = c.size - 1
    h = np.zeros(jmax + 1)
    for j in range(min(jmax, deg) + 1):
        acc = 0.0
        for m in range(j, deg + 1, 2):
            i = (m - j) // 2
            acc += c[m] * math.exp(
                math.lgamma(m + 1) - 0.5 * math.lgamma(j + 1) - math.lgamma(i + 1) - i * math.log(2)
            )
        h[j] = acc
    return h


def _log_h2_polynomial(act, sigma: float, jmax: int):
    """(log h_j^2, E[g^2]) of a polynomial gate (polynomial_hermite_coefficients)."""
    h = polynomial_hermite_coefficients(act, sigma, max(jmax, len(act.coeffs) - 1))
    with np.errstate(divide="ignore"):
        log_h2 = np.where(h != 0, 2 * np.log(np.abs(h)), -np.inf)
    return log_h2[: jmax + 1], float(np.sum(h * h))


def has_exact_coefficients(act) -> bool:
    """Whether log_hermite_energies returns exact (closed-form or Fourier-integral) h_j for the
    registered activation ``act`` rather than float Gauss-Hermite ones with ~1e-15 absolute
    noise: the callers then grow their series until it converges instead of stopping where
    the noise would dominate."""
    if act is None:
        return False
    if act.name in ("sin", "cos"):
        return True
    if act.kind == "polynomial":  # closed form at any scale and shift (_log_h2_polynomial)
        return True
    return act.bias == 0.0 and act.name in ("erf", "gelu", "tanh", "sigmoid", "softplus", "silu")


def log_hermite_energies(gate, sigma: float, jmax: int):
    """(log h_j^2 for j = 0..jmax, E[g(sigma z)^2]); log = -inf for exact zeros."""
    act = gate.act
    if act is not None and act.name == "erf" and act.bias == 0.0:
        return _log_h2_erf(act.scale, sigma, jmax)
    if act is not None and act.name in ("sin", "cos"):
        return _log_h2_trig(act.name, act.scale, act.bias, sigma, jmax)
    if act is not None and act.name == "gelu" and act.bias == 0.0:
        return _log_h2_gelu(act.scale, sigma, jmax)
    if act is not None and act.bias == 0.0 and act.name in ("tanh", "sigmoid", "softplus"):
        a = abs(act.scale) * sigma  # h_j^2 and the energy are even in the scale's sign
        if act.name == "tanh":
            return log_h2_tanh(a, jmax)
        if act.name == "sigmoid":
            return log_h2_sigmoid(a, jmax)
        return log_h2_softplus(a, jmax, _gauss_hermite)
    if act is not None and act.bias == 0.0 and act.name == "silu":
        return log_h2_silu(act.scale * sigma, jmax, _gauss_hermite)
    if act is not None and act.kind == "polynomial":
        return _log_h2_polynomial(act, sigma, jmax)
    h, energy = _h_generic(gate, sigma, jmax)
    j = np.arange(jmax + 1)
    parity = 0
    if act is not None and act.bias == 0.0:
        if act.kind == "analytic":
            parity = _AFFINE_PARITY.get(act.name, 0)
        elif act.kind == "polynomial":
            parity = act.parity
            deg = len(act.coeffs) - 1
            h[j > deg] = 0.0
    if parity == -1:
        h[(j % 2 == 0) & (j >= 2)] = 0.0
    elif parity == 1:
        h[(j % 2 == 1) & (j >= 2)] = 0.0
    # affine parity (e.g. sigmoid = 1/2 + odd) leaves h_0 or h_1; a truly odd / even gate
    # (tanh, sin, x^3, cos, ...) has h_0 = 0 / h_1 = 0 exactly, which the float rule only
    # approximates (tanh: h_0^2 = 1.2e-35, a spurious mu_0 of its NNGP / NTK)
    if act is not None and act.bias == 0.0 and act.parity == -1:
        h[0] = 0.0
    if act is not None and act.bias == 0.0 and act.parity == 1:
        h[1] = 0.0
    with np.errstate(divide="ignore"):
        return np.where(h != 0, 2 * np.log(np.abs(h)), -np.inf), energy


def mehler_sum(log_coef, x):
    """sum_j exp(log_coef[j]) x^j for |x| <= 1 (Mehler's series of a kernel from its Hermite
    energies), by Horner's rule, highest degree first; -inf entries are zero coefficients.

    The coefficients are >= 0 with a finite sum (E[phi^2], or E[phi'^2] q), so exp cannot
    overflow and those that underflow are below every representable term; with |x| <= 1 the
    absolute rounding error is <= 2 J eps sum_j coef_j.  J in-place passes over the points, no
    [points, J] array (the depth-10 deep_finite_width on 89700 pairs: 5 s -> ~30 ms).
    Shapes: x any shape, result x's shape.  The one implementation for kernels and deep.
    """
    with np.errstate(under="ignore"):
        live = np.isfinite(log_coef)
        coef = np.where(live, np.exp(np.where(live, log_coef, 0.0)), 0.0)
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for cj in coef[::-1]:
        out *= x
        out += cj
    return out


def hermite_series(gate, sigma: float, jmin: int, *, tol: float = 1e-13, jcap: int = 6000):
    """log h_j^2 up to a J >= jmin at which the energy deficit E[g^2] - sum h_j^2 <= tol E[g^2].

    Raises ValueError if the series has not converged by ``jcap`` (e.g. kinked activations,
    whose Hermite energies decay only algebraically), or as soon as the deficits seen so far,
    extrapolated to ``jcap`` as exp(-a sqrt(j)) (the decay of gates analytic in a strip, the
    slowest of the smooth ones), miss the tolerance by more than ``_HOPELESS``: the rules of the
    last doublings cost O(num^2) (tanh(31.6 z) spent 6.8 s on rules up to 12200 nodes before
    failing at deficit 3e-5; now it stops at j = 1600 after ~0.5 s).
    """
    jmax = max(jmin + 200, 2 * jmin)
    prev = None
    while True:
        log_h2, energy = log_hermite_energies(gate, sigma, jmax)
        kept = float(np.exp(logsumexp(log_h2))) if np.any(np.isfinite(log_h2)) else 0.0
        deficit = energy - kept
        limit = tol * max(energy, 1e-300)
        if deficit <= limit:
            return log_h2, energy, max(deficit, 0.0)
        predicted = None
        if prev is not None and jmax < jcap:
            j0, d0 = prev
            rate = max(math.log(d0 / deficit), 0.0) / (math.sqrt(jmax) - math.sqrt(j0))
            predicted = deficit * math.exp(-rate * (math.sqrt(jcap) - math.sqrt(jmax)))
        if jmax >= jcap or (predicted is not None and predicted > _HOPELESS * limit):
            at = f" (extrapolated to ~{predicted:.3g} at j = {jcap})" if jmax < jcap else ""
            raise ValueError(
                "the Hermite (Mehler) series of this activation converges too slowly "
                f"(energy deficit {deficit:.3g} of {energy:.3g} at j = {jmax}{at}); "
                "use method='radial' or a registered piecewise activation"
            )
        prev = (jmax, deficit)
        jmax = min(2 * jmax, jcap)


def derivative_energy(gate, sigma: float) -> float:
    """sum_{j >= 1} j h_j^2 = sigma^2 E[g'(sigma z)^2] (Stein: g'(sigma z) has the normalized
    coefficients sqrt(j + 1) h_{j+1} / sigma) by the Gauss-Hermite rule -- a smooth moment, not
    a decaying coefficient sequence.  The rule is sized for a derivative analytic in
    |Im z| < pi / (3 a), a = |scale| sigma: tanh' = sech^2 (poles at pi / (2 a)) needed ~220 a^2
    nodes for 1e-15 (measured against mpmath: 400 nodes left 3.8e-10 at a = 2, 800 gave 4e-15;
    2000 gave 1e-15 at a = 3); sigmoid', softplus', silu', gelu', erf', sin, cos are analytic
    in wider strips or entire.  ~1e-15 relative up to a ~ 5 (the rule's 6000-node cap)."""
    from ._hermite_tanh import softplus_rule_size

    act = gate.act
    a = abs(act.scale) * sigma
    z, sw = _gauss_hermite(softplus_rule_size(3.0 * a))
    d = sw * act.derivative(sigma * z)
    return float(sigma * sigma * (d @ d))


def hermite_series_for_kernels(gate, sigma: float, need_der: bool, *, jcap: int = 6000):
    """log h_j^2 (and E[g^2]) for kernel *values*: long enough that both the energy
    sum_j h_j^2 and, with ``need_der``, the derivative energy sum_j j h_j^2 miss at most 1e-13
    of themselves -- at correlation 1, where the series converge slowest, the kernels
    E[g(u) g(v)] and E[g'(u) g'(v)] are exactly these sums.  The energy criterion alone
    (hermite_series) left the derivative sum short by 1.4e-11 for tanh at sigma^2 = 2.01 (its
    tail is weighted by j; tests/test_deep_reference_quadrature.py).  A series still short at
    ``jcap`` terms gives a SeriesTruncationWarning."""
    log_h2, energy, _ = hermite_series(gate, sigma, 0, jcap=jcap)
    if not need_der:
        return log_h2, energy
    if gate.act is None:
        return _callable_series_for_derivative(gate, sigma, log_h2, energy, jcap)
    target = derivative_energy(gate, sigma)
    while True:
        kept = _derivative_sum(log_h2)
        deficit = target - kept
        if deficit <= 1e-13 * target:
            return log_h2, energy
        grown = None
        if log_h2.size <= jcap:  # J = 2 jmin terms (hermite_series), at most jcap + 1
            grown = hermite_series(gate, sigma, min(log_h2.size, jcap // 2), jcap=jcap)
        if grown is None or grown[0].size <= log_h2.size:
            warnings.warn(
                f"Mehler series of {gate.label}: the derivative kernel's series stopped at its "
                f"cap of {log_h2.size} terms still short by {deficit / target:.1e} of its value "
                "at correlation 1: hidden-layer kernel values near rho = 1 may be too small by "
                "about that share (lower weight_var / bias for full accuracy)",
                SeriesTruncationWarning,
                stacklevel=user_stacklevel(),
            )
            return log_h2, energy
        log_h2, energy, _ = grown


def _derivative_sum(log_h2) -> float:
    """sum_j j h_j^2 = sigma^2 E[g'(sigma z)^2] (0.0 for an empty or all-zero series)."""
    live = log_h2[1:]
    if not np.any(np.isfinite(live)):
        return 0.0
    return float(np.exp(logsumexp(live + np.log(np.arange(1, log_h2.size)))))


def _callable_series_for_derivative(gate, sigma, log_h2, energy, jcap):
    """hermite_series_for_kernels for a callable, which has no derivative to integrate: the
    series doubles until the derivative energy sum_j j h_j^2 moves by <= 1e-13 of itself (from
    J to 2 J terms, each from its own rule), else a SeriesTruncationWarning at ``jcap``."""
    kept = _derivative_sum(log_h2)
    while True:
        if log_h2.size > jcap:
            warnings.warn(
                f"Mehler series of {gate.label}: the derivative kernel's series had not "
                f"settled by its cap of {log_h2.size} terms: hidden-layer kernel values near "
                "rho = 1 may be too small (lower weight_var / bias for full accuracy)",
                SeriesTruncationWarning,
                stacklevel=user_stacklevel(),
            )
            return log_h2, energy
        log_h2, energy, _ = hermite_series(gate, sigma, min(log_h2.size, jcap // 2), jcap=jcap)
        grown = _derivative_sum(log_h2)
        if abs(grown - kept) <= 1e-13 * grown:
            return log_h2, energy
        kept = grown


#: hermite_series gives up early when the extrapolated deficit at jcap exceeds its tolerance by
#: this factor (tanh(16 z): 2e-8 extrapolated from j = 800, 1600 against 1e-13).
_HOPELESS = 100.0


# Prefix sums of logarithms are accumulated in extended precision (x86 long double, 64-bit
# mantissa): in float64, lgamma(j + 1) - lgamma(j - k + 1) loses ~eps lgamma(3001) and a running
# sum of ~10^3 logs drifts, which enters every eigenvalue relatively (and the deep piecewise
# route amplifies it by its cancellation).  Measured against mpmath at k <= 200, j <= 3000: log
# table errors 1.4e-12 -> 3e-15 at n = 3, 1.4e-11 -> 2.3e-13 (the float64 ulp of the entries) at
# n = 10^4; ~35 ms more per table.  Where long double is float64 (e.g. arm64 macOS) this is the
# float64 computation.
_LD = np.longdouble


def log_moment_table(n: int, kmax: int, jmax: int) -> np.ndarray:
    """L[k, j] = log E_{nu_n}[t^j P_{k,n}(t)] for k <= kmax, j <= jmax (-inf where it is 0).

    L[k, k + 2i] = log j! - log (j - k)! - log prod_{l<k} (n + 2l) + log E_{nu_{n+2k}}[t^{2i}]
    (Rodrigues), with log E_{nu_{n+2k}}[t^{2i}] = sum_{l<i} log(2l + 1) - log(n + 2(k + l)):
    the last two terms together are sum_{l<i} log(2l + 1) - sum_{s<k+i} log(n + 2s), two
    prefix sums for the whole table (long double) instead of logarithms per degree.
    """
    lg = np.zeros(jmax + 1, dtype=_LD)  # log j!
    if jmax:
        lg[1:] = np.cumsum(np.log(np.arange(1, jmax + 1, dtype=_LD)))
    imax = jmax // 2
    odd = np.zeros(imax + 1, dtype=_LD)  # sum_{l<i} log(2l + 1)
    if imax:
        odd[1:] = np.cumsum(np.log(2 * np.arange(imax, dtype=_LD) + 1))
    span = imax + min(kmax, jmax)
    dim = np.zeros(span + 1, dtype=_LD)  # sum_{l<s} log(n + 2l)
    if span:
        dim[1:] = np.cumsum(np.log(_LD(n) + 2 * np.arange(span, dtype=_LD)))
    table = np.full((kmax + 1, jmax + 1), -np.inf)
    for k in range(min(kmax, jmax) + 1):
        j = np.arange(k, jmax + 1, 2)
        i = (j - k) // 2
        table[k, j] = (lg[j] - lg[j - k] + odd[i] - dim[k + i]).astype(float)
    return table


def resolved_shift_order(log_c: np.ndarray, b: float, imax: int | None = None) -> int:
    """Largest i <= imax (default J = len(log_c) - 1) whose shifted coefficient
    d_i = sum_{j >= i} C(j, i) b^(j-i) c_j (shift_log_coefficients, G(a t + b)) the J + 1
    known c_j determine: its terms, log-concave in j for the gates' coefficients, have fallen
    to e^-40 of their peak by the last nonzero c_j and are still falling there (so the rest
    is < ~1e-17 of d_i).  The peak sits near j ~ i / (1 - b r) for c_j ~ r^j: a shift by b
    needs J well beyond i, and truncated top d_i come out too small -- and so do the tail
    shares that decide a series' length.  -1 if no order is resolved; imax when b = 0."""
    log_c = np.asarray(log_c, dtype=float)
    J = log_c.size - 1
    imax = J if imax is None else min(imax, J)
    if b == 0.0 or imax < 0:
        return imax
    fin = np.nonzero(np.isfinite(log_c))[0]
    if fin.size == 0:
        return imax
    last = int(fin[-1])
    if last < J - 20:  # a polynomial: the coefficients past its degree are exact zeros
        return imax
    lb = math.log(b)

    def resolved(i: int) -> bool:
        j = fin[fin >= i]
        if j.size < 2:
            return False
        t = gammaln(j + 1.0) - gammaln(j - i + 1.0) + (j - i) * lb + log_c[j]
        return bool(t[-1] <= np.max(t) - 40.0 and t[-1] < t[-2])

    if resolved(imax):
        return imax
    lo, hi = -1, imax  # resolved(lo) (or lo = -1), not resolved(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if resolved(mid):
            lo = mid
        else:
            hi = mid
    return lo


def shift_log_coefficients(
    log_c: np.ndarray, a: float, b: float, imax: int | None = None
) -> np.ndarray:
    """Taylor coefficients in t of G(a t + b), G(x) = sum_j c_j x^j, all c_j >= 0, a > 0, b >= 0:

        d_i = a^i sum_{j >= i} C(j, i) b^{j-i} c_j      (log scale; every term >= 0),

    for i <= imax (default: all, i <= len(log_c) - 1).  For a + b = 1 the series of G(a t + b)
    converges on [-1, 1] wherever that of G does, and its coefficients decay faster (the disc
    of convergence in t is larger).  Cost: (imax + 1) x (number of nonzero c_j) terms.
    """
    jmax = log_c.size - 1
    imax = jmax if imax is None else min(imax, jmax)
    if b == 0.0:
        return log_c[: imax + 1] + np.arange(imax + 1) * math.log(a)
    fin = np.isfinite(log_c)
    if np.any(fin):
        # Horner's rule in x = b + a t (taylor_shift: ~J eps relative, J^2/2 multiply-adds
        # instead of as many log-gamma terms and logsumexp; those also round each term's log,
        # ~1e-12 relative at J ~ 3000) when the coefficients, scaled by the largest, stay in
        # float range and so do the results; otherwise the log-domain sum below
        top = float(np.max(log_c[fin]))
        if float(np.min(log_c[fin])) > top - 650:
            d = taylor_shift(np.where(fin, np.exp(log_c - top), 0.0), b, a, imax)
            live = d > 0
            if np.all(d[live] > 1e-280) and np.all(
                live | (_last_nonzero(fin) < np.arange(imax + 1))
            ):
                with np.errstate(divide="ignore"):
                    return np.where(live, np.log(np.where(live, d, 1.0)) + top, -np.inf)
    lg = np.array([math.lgamma(j + 1) for j in range(jmax + 1)])
    i = np.arange(imax + 1)[:, None]
    jj = np.nonzero(np.isfinite(log_c))[0][None, :]  # zero coefficients add nothing
    if jj.size == 0:
        return np.full(imax + 1, -np.inf)
    ok = jj >= i
    with np.errstate(invalid="ignore"):
        terms = np.where(
            ok,
            lg[jj] - lg[i] - lg[np.maximum(jj - i, 0)] + (jj - i) * math.log(b) + log_c[jj],
            -np.inf,
        )
    return logsumexp(terms, axis=1) + np.arange(imax + 1) * math.log(a)


def _last_nonzero(mask: np.ndarray) -> int:
    """Index of the last True entry (-1 if none)."""
    idx = np.nonzero(mask)[0]
    return int(idx[-1]) if idx.size else -1


def positive_moment_sum(log_c: np.ndarray, n: int, kmax: int, *, per_degree: bool = False):
    """(log mu_k, gap) with mu_k = sum_p c_p E_{nu_n}[t^p P_{k,n}] for k <= kmax (positive terms)
    and gap = the largest share of a nonzero mu_k carried by the last fifth of the series
    (orders > 0.8 P): a truncation estimate for coefficients that decay monotonically beyond
    the terms' peak (``per_degree``: the shares of every k instead, 0 where mu_k = 0).  The
    share is a ratio of the two sums, not a difference of two logs: those carry
    ~eps |log mu_k| (1.4e-14 at mu ~ 1e-44), which a 1e-15 test never passes.

    ``log_c`` of shape (R, P + 1): R series against one moment table, results with a leading
    axis R (the gap per series)."""
    log_c = np.asarray(log_c, dtype=float)
    if log_c.ndim == 2:
        table = log_moment_table(n, kmax, log_c.shape[1] - 1)
        rows = [_moment_sums(table + row[None, :]) for row in log_c]
        full = np.array([r[0] for r in rows])
        shares = np.array([r[1] for r in rows])
        return full, (shares if per_degree else np.max(shares, axis=1))
    full, shares = _moment_sums(log_moment_table(n, kmax, log_c.size - 1) + log_c[None, :])
    return full, (shares if per_degree else float(np.max(shares)))


def predicted_series_length(log_c, n: int, kmax: int, shares, cap: int, target=1e-16) -> int:
    """Series length P' in (P, cap] at which positive_moment_sum's tail shares are predicted to
    fall below ``target`` for the degrees whose share (``shares``, per degree, from the
    P + 1 terms ``log_c``) is still above it (the four largest shares and both ends of that
    range); 1.5 P (at most ``cap``) when no prediction can be made.  The coefficients beyond
    P are extrapolated by a least-squares fit log c_p ~ alpha + beta log p + gamma sqrt p on
    p in [P/2, P] (gamma < 0: the stretched-exponential decay of tanh-like kernels,
    exp(-a sqrt p), and a bound for geometric decay),
    each failing degree's terms by the moments E[t^p P_k] (float64 log-gamma form of
    log_moment_table), plus 10% (measured for deep tanh, n = 2..10, depth 2 and 5, kmax = 200:
    the fit from 401 terms is within 0.01-0.09 of log c_p at p = 3000 and the length 2-5% short
    of the shortest passing one, on a grid of 100).  Only a length to try: the caller still
    checks the shares it gets."""
    log_c = np.asarray(log_c, dtype=float)
    P = log_c.size - 1
    fallback = min(cap, max(P + 1, int(1.5 * P)))
    p = np.arange(P // 2, P + 1)
    ok = np.isfinite(log_c[p])
    if P < 40 or np.count_nonzero(ok) < 10:
        return fallback
    x = p[ok].astype(float)
    design = np.stack([np.ones_like(x), np.log(x), np.sqrt(x)], axis=1)
    coef = np.linalg.lstsq(design, log_c[p][ok], rcond=None)[0]
    if not coef[2] < 0:
        return fallback
    bad = np.nonzero(np.asarray(shares) > target)[0]
    if bad.size == 0:
        return min(cap, P + 1)
    if bad.size > 6:  # the largest shares and both ends of the failing range
        top = bad[np.argsort(np.asarray(shares)[bad])[-4:]]
        bad = np.unique(np.concatenate([top, bad[:1], bad[-1:]]))
    # lengths up to 6 P first (one or two passes' worth), the whole cap only if none fits
    for reach in (min(cap, 6 * P), cap):
        need = _predicted_length(log_c, coef, n, bad, reach, target)
        if need is not None or reach == cap:
            break
    return cap if need is None else min(cap, need)


def _predicted_length(log_c, coef, n: int, degrees, reach: int, target: float):
    """predicted_series_length's search over lengths <= reach (None if none fits)."""
    P = log_c.size - 1
    j = np.arange(reach + 1)
    ext = coef[0] + coef[1] * np.log(np.maximum(j, 1)) + coef[2] * np.sqrt(j)
    log_cc = np.concatenate([log_c, ext[P + 1 :]])
    need = P + 1
    for k in degrees:
        jj = j[k::2]  # E[t^j P_k] = 0 unless j >= k, j = k mod 2
        i = (jj - k) // 2
        log_m = (
            gammaln(jj + 1.0)
            - gammaln(jj - k + 1.0)
            + gammaln(2 * i + 1.0)
            - i * math.log(2.0)
            - gammaln(i + 1.0)
            - (k + i) * math.log(2.0)
            - gammaln(n / 2 + k + i)
            + gammaln(n / 2)
        )
        t = log_cc[jj] + log_m
        fin = np.isfinite(t)
        if not np.any(fin):
            continue
        w = np.exp(np.where(fin, t - np.max(t[fin]), -np.inf))
        cum = np.cumsum(w)  # cum[m]: sum over orders jj[0..m]
        # share of (0.8 L, L] at each length L = jj[m]
        lo = np.searchsorted(jj, 0.8 * jj, side="right") - 1
        below = np.where(lo >= 0, cum[np.maximum(lo, 0)], 0.0)
        share = (cum - below) / cum
        fits = np.nonzero((share < target) & (jj > P))[0]
        if fits.size == 0:
            return None
        need = max(need, int(1.1 * jj[fits[0]]))
    return need


def _moment_sums(terms: np.ndarray):
    """(log sum_p exp(terms[k, p]), share of p > 0.8 P) per row k; ``terms`` is overwritten."""
    P = terms.shape[1] - 1
    # log-sum-exp per row, written out (scipy's logsumexp costs ~5x more on these [K, P]
    # tables, which dominated the smooth routes): each row scaled by its largest term
    top = np.max(terms, axis=1)
    live = np.isfinite(top)
    top = np.where(live, top, 0.0)
    terms -= top[:, None]
    with np.errstate(under="ignore"):
        np.exp(terms, out=terms)  # in (0, 1], exactly 1 at each row's largest term
    total = np.sum(terms, axis=1)
    full = np.where(live, top + np.log(np.where(live, total, 1.0)), -np.inf)
    cut = int(P * 0.8)
    shares = np.zeros(terms.shape[0])
    if cut < P:
        shares[live] = np.sum(terms[live, cut + 1 :], axis=1) / total[live]
    return full, shares


class SeriesTruncationWarning(RuntimeWarning):
    """A kernel's power series reached its term cap before its tail became negligible (the
    eigenvalues named in the message may be too small by up to the stated relative amount), or
    a kernel's quadrature rule reached its node cap still moving by the stated amount."""


#: relative tail share above which a capped series is reported (the accuracy the routes claim)
TRUNCATION_TOLERANCE = 1e-12


def warn_if_truncated(shares: np.ndarray, terms: int, where: str, remedy: str) -> None:
    """One SeriesTruncationWarning if a series capped at ``terms`` terms leaves some degree's
    tail share (positive_moment_sum(..., per_degree=True)) above TRUNCATION_TOLERANCE."""
    _warn_degrees(
        shares,
        TRUNCATION_TOLERANCE,
        SeriesTruncationWarning,
        lambda count, first, top: (
            f"{where}: the power series stopped at its cap of {terms} terms with its last "
            f"fifth still carrying up to {top:.1e} of mu_k for {count} degree(s), first k = "
            f"{first}: those eigenvalues may be too small by about that share (the terms are "
            f"positive); {remedy} for full accuracy"
        ),
    )


def _warn_degrees(values, tol: float, category, message) -> None:
    """One warning of ``category`` if some degree's ``values`` exceed ``tol``:
    message(count, first k, largest value) is its text, pointed at the user's line."""
    bad = np.nonzero(values > tol)[0]
    if bad.size:
        text = message(bad.size, int(bad[0]), float(np.max(values)))
        warnings.warn(text, category, stacklevel=user_stacklevel())


class CoefficientNoiseWarning(RuntimeWarning):
    """Eigenvalues from float64 ingredients -- Gauss-Hermite coefficients (gates with a fixed
    shift) or the quadrature eigenvalues of a callable -- whose estimated relative error (their
    rounding through the positive sums, or a series' tail at its cap) exceeds NOISE_TOLERANCE;
    the message names the first such degree."""


#: relative error above which eigenvalues from Gauss-Hermite coefficients are reported
NOISE_TOLERANCE = 1e-9

#: rounding of one Gauss-Hermite coefficient h_j, in units of sqrt(E[g^2]): the rule's dot
#: product sum_i sqrt(w_i) g(z_i) sqrt(w_i) psi_j(z_i) errs by <= eps sum |terms| <=
#: eps sqrt(E[g^2]) (Cauchy-Schwarz, sum_i w_i psi_j^2 = 1), here x 4 for the psi_j recurrence;
#: measured for tanh (sigma = 1, 2; J = 200, 1000) against its exact coefficients: median
#: 5e-18, largest 2.9e-16 at E[g^2] ~ 0.4-0.6 (one low-j outlier of 4e-13 at sigma = 2, J = 200).
GH_NOISE = 4 * 2.220446049250313e-16


def noise_log_eigenvalues(log_h2, energy, n: int, kmax: int, a: float, b: float, log_weight=None):
    """log of a bound on |mu_k error| from coefficient noise delta = GH_NOISE sqrt(E[g^2]):
    sum_j w_j (2 |h_j| delta + delta^2) E_{nu_n}[(a t + b)^j P_{k,n}] -- the same positive sums
    as the eigenvalues (w_j = exp(log_weight), 1 by default).  Coefficients that are exactly 0
    (imposed parity zeros) carry no noise."""
    log_h2 = np.asarray(log_h2, dtype=float)
    log_delta = math.log(GH_NOISE) + 0.5 * math.log(max(float(energy), 1e-300))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_noise = np.logaddexp(math.log(2.0) + log_delta + 0.5 * log_h2, 2 * log_delta)
        log_noise = np.where(np.isneginf(log_h2), -np.inf, log_noise)
        if log_weight is not None:
            log_noise = log_noise + log_weight
    bound, _ = mehler_log_eigenvalues(log_noise, n, kmax, a, b)
    return bound


def relative_error_bound(log_mu, log_err) -> np.ndarray:
    """exp(log_err - log_mu) per degree, 0 where mu_k is exactly 0 (parity zeros)."""
    log_mu = np.asarray(log_mu, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        rel = np.exp(np.asarray(log_err, dtype=float) - log_mu)
    return np.where(np.isneginf(log_mu), 0.0, np.nan_to_num(rel, nan=0.0, posinf=np.inf))


#: what the noise of warn_if_noisy comes from, by route
NOISE_SOURCES = {
    "hermite": "float Gauss-Hermite coefficients (rounding ~1e-16 sqrt(E[g^2]) each)",
    "quadrature": "float64 quadrature eigenvalues of a callable (~1e-14 sqrt(E[g^2]) absolute "
    "each)",
}


def warn_if_noisy(rel: np.ndarray, where: str, source: str, remedy: str) -> None:
    """One CoefficientNoiseWarning if some degree's estimated relative error ``rel`` exceeds
    NOISE_TOLERANCE; ``source`` a key of NOISE_SOURCES."""
    _warn_degrees(
        rel,
        NOISE_TOLERANCE,
        CoefficientNoiseWarning,
        lambda count, first, top: (
            f"{where}: mu_k from {NOISE_SOURCES[source]} carry an estimated relative error "
            f"above {NOISE_TOLERANCE:g} for {count} degree(s), first k = {first} (up to "
            f"{top:.1e}): the noise swamps the small eigenvalues; {remedy}"
        ),
    )


def mehler_log_eigenvalues(
    log_coef, n: int, kmax: int, a: float = 1.0, b: float = 0.0, *, per_degree: bool = False
):
    """(log mu_k, gap) of mu_k = sum_j c_j E_{nu_n}[(a t + b)^j P_{k,n}(t)], c_j =
    exp(log_coef[j]) >= 0 (gap: positive_moment_sum's truncation estimate); ``log_coef`` of
    shape (R, J + 1): R series sharing one moment table, results with a leading axis R."""
    log_coef = np.asarray(log_coef, dtype=float)
    rows = log_coef if log_coef.ndim == 2 else log_coef[None, :]
    # a shift (b > 0) determines only its first orders (resolved_shift_order): the series is
    # cut there, and degrees beyond the cut, which it cannot reach, count as unconverged
    top = min(resolved_shift_order(row, b) for row in rows)
    log_d = np.array([shift_log_coefficients(row, a, b, max(top, 0)) for row in rows])
    full, shares = positive_moment_sum(log_d, n, kmax, per_degree=True)
    if top < kmax:
        shares[:, max(top, 0) + 1 :] = 1.0
    if log_coef.ndim == 1:
        full, shares = full[0], shares[0]
    if per_degree:
        return full, shares
    return full, (np.max(shares, axis=-1) if log_coef.ndim == 2 else float(np.max(shares)))
