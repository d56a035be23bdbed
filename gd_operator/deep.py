"""Deep NNGP / NTK kernels on S^{n-1}: layer duals, power series, exact per-degree eigenvalues.

Definitions (docs/conventions.md, "Deep kernels").  L = ``depth`` hidden layers of infinite
width, Gaussian init, sigma_w^2 = ``weight_var``, beta = ``bias`` (NTK parametrization, output
weights of variance 1, no output bias).  With rho = <x, y> and E_l[g] = E[g(u) g(v)],
(u, v) ~ N(0, [[q_l, Sigma^l(rho)], [Sigma^l(rho), q_l]]), q_l = Sigma^l(1):

    Sigma^1 = sigma_w^2 rho + beta^2,   Theta^1 = Sigma^1,
    Sigma^{l+1} = sigma_w^2 E_l[phi] + beta^2,
    Theta^{l+1} = Sigma^{l+1} + Theta^l sigma_w^2 E_l[phi'],
    K_out = E_L[phi],   K_hid = Theta^L E_L[phi'],   NTK = K_out + K_hid.

L = 1, sigma_w^2 = 1 is :func:`gd_operator.spectrum` with ``init="gaussian"``.

Layer duals.  With c = Sigma^l / q_l the layer correlation, E_l[phi] = V_q(c) and
E_l[phi'] = V_q'(c) / q (Price's theorem: d/dc E = q E[phi' phi']).  Three families:

* positively p-homogeneous piecewise gates g = sum_a c_a (s_a t)_+^p (relu, leaky relu, abs,
  relu^p, step, sign; p <= 2): V_q = q^p V with V(c) = sum_{a,b} c_a c_b J_p(s_a s_b c) / (2 pi)
  (Cho & Saul 2009) and V^{(p+1)}(c) = C^2 / (2 pi sqrt(1 - c^2)), C = p! sum_a c_a s_a^{p+1}
  (g^{(p+1)} = C delta);
* erf(s t): V_q(c) = (2/pi) arcsin(b c), b = 2 s^2 q / (1 + 2 s^2 q) (Williams 1997);
* any other smooth gate (tanh, gelu, sigmoid, softplus, silu, sin, cos, polynomials, and
  activations registered later): V_q(c) = sum_j h_j^2 c^j with the normalized Hermite
  coefficients of phi(sqrt(q) z) (Mehler; gd_operator._hermite, float Gauss-Hermite).
  Smooth callables take this route too (a float Gauss-Hermite rule; E_l[phi'] by Price's
  theorem from the same coefficients, so no derivative is needed; exact parity zeros where the
  values on the rule's nodes are odd / even to 4 ulps; CoefficientNoiseWarning names the first
  degree the rule's noise may move by 1e-9).  Kinked callables are refused (their Hermite
  series converges algebraically): pass the registered piecewise gate.

Power series.  Every Sigma^l, Theta^l and K has Taylor coefficients >= 0 in rho.  They are
composed layer by layer without cancellation (gd_operator._series): for the first two families
through the positive recurrence of (1 - b^2 c(rho)^2)^{-1/2} followed by p + 1 positive
integrations; for the third by Horner's rule in c - c(0) >= 0 with the Taylor coefficients of
V_q at c(0) (all >= 0).

Eigenvalues.  mu_k = E_{nu_n}[K(t) P_{k,n}(t)] = sum_p c_p E_{nu_n}[t^p P_{k,n}(t)] (positive
moments, gd_operator._hermite).  Smooth gates give a C^infinity kernel whose c_p decay faster
than any power: the series is summed until it has converged.  Piecewise gates give c_p ~ p^{-3/2}
(NTK) and moments ~ p^{-(n-1)/2}, too slow to truncate at small n; there the singular parts of K
at rho = +-1 are subtracted in closed form: K(1 - s^2) = sum_j F_j s^j and K(-1 + u^2) =
sum_j G_j u^j (Puiseux series, composed layer by layer in s and u from the closed expansions
of the V^{(i)} at c = +-1 and their Taylor series inside), and with
S(rho) = sum_{j odd <= J} [F_j (1 - rho)^{j/2} + G_j (1 + rho)^{j/2}],

    mu_k = sum_{p <= P} (c_p - [rho^p] S) E[t^p P_{k,n}] + mu_k(S),
    E_{nu_n}[(1 - t)^a P_{k,n}] = (-a)_k E_{nu_{n+2k}}[(1 - t)^{a-k}] / prod_{i<k} (n + 2i),
    E_{nu_m}[(1 - t)^b] = 2^b B(b + (m-1)/2, (m-1)/2) / B((m-1)/2, (m-1)/2)

(Rodrigues' formula).  The remainder K - S is C^{J/2} at +-1, so its coefficients decay like
p^{-(J+3)/2}; the rounding error of c_p - [rho^p] S is ~1e-16 c_p, i.e. ~1e-16 mu_k in total.
"""

from __future__ import annotations

import math

import numpy as np

from harmonics.arccos import arccos_j

from . import _series as ser
from ._gates import Gate, resolve
from ._hermite import (
    GH_NOISE,
    has_exact_coefficients,
    hermite_series,
    hermite_series_for_kernels,
    log_moment_table,
    mehler_sum,
    positive_moment_sum,
    predicted_series_length,
    resolved_shift_order,
    warn_if_noisy,
    warn_if_truncated,
)

_TRAINS = ("output", "hidden", "both")

#: Largest depth accepted (the series and the Puiseux charts lose one order per layer).
MAX_DEPTH = 50
#: Range of weight variances accepted (kernels scale like weight_var^depth).
MIN_WEIGHT_VAR = 1e-6
MAX_WEIGHT_VAR = 1e3
#: Largest bias accepted with deep kernels.
MAX_DEEP_BIAS = 1e3


# ------------------------------------------------------------------------------ layer duals


class _Homogeneous:
    """Dual of g = sum_a c_a (s_a t)_+^p at unit variance: V(c) = E[g(u) g(v)]."""

    smooth = False

    def __init__(self, act):
        terms, poly = act.truncated_powers()
        p = terms[0].p
        if any(t.p != p or t.t0 != 0 for t in terms):
            raise ValueError(f"{act!r} is not positively homogeneous")
        terms = [(t.coef, t.side) for t in terms]
        poly = [float(x) for x in poly]
        if any(poly):
            nz = [j for j, x in enumerate(poly) if x != 0]
            if nz != [p]:
                raise ValueError(f"{act!r} is not positively homogeneous")
            e = poly[p]  # e t^p = e (t)_+^p + e (-1)^p (-t)_+^p
            terms += [(e, 1), (e * (-1) ** p, -1)]
        if p > 2:
            raise ValueError(
                f"deep kernels of relu^p are implemented for p <= 2 (closed arc-cosine forms), "
                f"got p = {p}"
            )
        self.p = p
        pairs: dict = {}
        for ca, sa in terms:
            for cb, sb in terms:
                pairs[sa * sb] = pairs.get(sa * sb, 0.0) + ca * cb
        self.pairs = tuple(pairs.items())  # (sigma = s_a s_b, sum of c_a c_b)
        c_sum = math.factorial(p) * sum(ca * sa ** (p + 1) for ca, sa in terms)
        self.c2 = c_sum * c_sum / (2 * math.pi)  # V^{(p+1)} = c2 / sqrt(1 - c^2)

    def vi(self, i: int, c):
        """V^{(i)}(c) for 0 <= i <= p (closed arc-cosine forms)."""
        p = self.p
        f = (math.factorial(p) / math.factorial(p - i)) ** 2
        out = 0.0
        for sigma, coef in self.pairs:
            out = out + coef * sigma**i * f * arccos_j(p - i, sigma * np.asarray(c, dtype=float))
        return out / (2 * math.pi)

    def values(self, q, c, need_der):
        p = self.p
        e = q**p * self.vi(0, c)
        ed = q ** (p - 1) * self.vi(1, c) if need_der else None
        return e, ed

    def variance(self, q):
        return q**self.p * float(self.vi(0, 1.0))

    def taylor(self, q, c, need_der):
        """(E[phi phi], E[phi' phi']) as Taylor series in rho, c = the correlation series."""
        order = c.size - 1
        c0 = float(c[0])
        dc = np.concatenate([ser.derivative(c), [0.0]])
        w = self.c2 * ser.inv_sqrt_compose(c, 1.0)  # V^{(p+1)}(c(rho))
        w1 = None
        for i in range(self.p, -1, -1):
            w = ser.integrate(ser.mul(w, dc, order), float(self.vi(i, c0)), order)
            if i == 1:
                w1 = w
        e = q**self.p * w
        ed = q ** (self.p - 1) * w1 if need_der else None
        return e, ed

    def _chain(self, const_at, t_series, sign, length):
        """[V^{(0)}, V^{(1)}] at c = end -+ v^2 as series in v (end = +1: sign -1)."""
        w = self.c2 * 2 * t_series  # 2 v V^{(p+1)}(end - sign... ) = 2 c2 (2 - v^2)^{-1/2}
        w = ser.pintegrate(w, const_at(self.p), sign)
        out = {self.p: w}
        two_v = np.zeros(length)
        two_v[1] = 2.0
        for i in range(self.p - 1, -1, -1):
            w = ser.pintegrate(ser.pmul(two_v, w), const_at(i), sign)
            out[i] = w
        return out

    def puiseux(self, q, end, var, need_der):
        """E[phi phi], E[phi' phi'] as series in v when c = end - sign v'^2, v' = var(v)."""
        length = var.size
        t_series = ser.inv_sqrt_two_minus_sq(length)
        sign = -1.0 if end > 0 else 1.0
        chain = self._chain(lambda i: float(self.vi(i, end)), t_series, sign, length)
        e = q**self.p * ser.pcompose(chain[0], var)
        ed = q ** (self.p - 1) * ser.pcompose(chain[1], var) if need_der else None
        return e, ed

    def interior(self, q, c0, x, need_der):
        """Series in v of the duals at c = c0 + x(v), |c0| < 1, x[0] = 0."""
        length = x.size
        w = self.c2 * ser.inv_sqrt_taylor(c0, length)
        chain = {}
        for i in range(self.p, -1, -1):
            w = ser.pintegrate(w, float(self.vi(i, c0)), 1.0)
            chain[i] = w
        e = q**self.p * ser.pcompose(chain[0], x)
        ed = q ** (self.p - 1) * ser.pcompose(chain[1], x) if need_der else None
        return e, ed


class _Arcsine:
    """erf(s t): V_q(c) = (2/pi) arcsin(b c), b = 2 s^2 q / (1 + 2 s^2 q)."""

    smooth = True

    def __init__(self, act):
        self.s2 = act.scale**2

    def _b(self, q):
        return 2 * self.s2 * q / (1 + 2 * self.s2 * q)

    def values(self, q, c, need_der):
        b = self._b(q)
        c = np.asarray(c, dtype=float)
        e = 2 / math.pi * np.arcsin(b * c)
        ed = 2 / math.pi * b / np.sqrt((1 - b * c) * (1 + b * c)) / q if need_der else None
        return e, ed

    def variance(self, q):
        return 2 / math.pi * math.asin(self._b(q))

    def taylor(self, q, c, need_der):
        order = c.size - 1
        b = self._b(q)
        dc = np.concatenate([ser.derivative(c), [0.0]])
        w1 = 2 / math.pi * b * ser.inv_sqrt_compose(c, b * b)  # V_q'(c(rho))
        e = ser.integrate(ser.mul(w1, dc, order), 2 / math.pi * math.asin(b * c[0]), order)
        return e, (w1 / q if need_der else None)


class _Hermite:
    """Any smooth registered gate: V_q(c) = sum_j h_j(q)^2 c^j (Mehler)."""

    smooth = True

    def __init__(self, gate, noise: int = 0):
        self.gate = gate
        # +1 / -1: every |h_j| moved up / down by the Gauss-Hermite rounding bound (the spread
        # of the resulting spectra estimates the noise of rule-based coefficients)
        self.noise = noise
        self._cache: dict = {}

    def series(self, q, jmin):
        key = (q, jmin)
        if key not in self._cache:
            try:
                log_h2, energy, _ = hermite_series(self.gate, math.sqrt(q), jmin)
            except ValueError as exc:
                # method='radial' (hermite_series' hint) is not available for deep kernels
                what = str(exc).split("; use method=")[0]
                if self.gate.act is None:
                    what += (
                        " (a callable's hidden-layer, biased or deep kernel uses its Hermite "
                        "series: the callable must be smooth -- for kinked gates pass the "
                        "registered 'relu', 'abs', 'relu^p' or a harmonics.Activation)"
                    )
                raise ValueError(
                    f"{what}: a layer of the deep kernel sees phi(sqrt(q) z) with variance "
                    f"q = {q:.4g}, set by weight_var and bias (q_1 = weight_var + bias^2); "
                    "lower weight_var or bias, or use a registered piecewise activation"
                ) from None
            log_h2 = self._parity_zeros(log_h2)
            if self.noise:
                delta = GH_NOISE * math.sqrt(energy)
                with np.errstate(divide="ignore"):
                    h = np.maximum(np.exp(0.5 * log_h2) + self.noise * delta, 0.0)
                    log_h2 = np.where(np.isfinite(log_h2), 2 * np.log(h), -np.inf)
            self._cache[key] = (log_h2, energy)
        return self._cache[key]

    def _parity_zeros(self, log_h2):
        """log h_j^2 with the exact zeros of an odd / even gate (tanh, sin, cos) imposed."""
        act = self.gate.act
        parity = act.parity if act is not None else 0  # callables: _hermite._callable_parity
        if not parity:
            return log_h2
        log_h2 = log_h2.copy()
        log_h2[(0 if parity < 0 else 1) :: 2] = -np.inf
        return log_h2

    def log_h2(self, q, jmin):
        return self.series(q, jmin)[0]

    def _value_series(self, q, need_der):
        """log h_j^2 long enough for kernel values, derivative included
        (hermite_series_for_kernels), parity zeros imposed."""
        key = ("values", q, need_der)
        if key not in self._cache:
            log_h2, _ = hermite_series_for_kernels(self.gate, math.sqrt(q), need_der)
            self._cache[key] = self._parity_zeros(log_h2)
        return self._cache[key]

    def values(self, q, c, need_der):
        log_h2 = self._value_series(q, need_der)
        e = mehler_sum(log_h2, c)
        ed = None
        if need_der:
            j = np.arange(1, log_h2.size)
            ed = mehler_sum(log_h2[1:] + np.log(j), c) / q
        return e, ed

    def variance(self, q):
        return float(self.series(q, 0)[1])  # E[phi(sqrt(q) z)^2] by the Gauss-Hermite rule

    def taylor(self, q, c, need_der):
        order = c.size - 1
        c0 = float(c[0])
        # J = max(jmin + 200, 2 jmin) Hermite terms (hermite_series).  Without a constant term
        # (c0 = 0) V(H) to order P needs h_j for j <= P only: jmin = P / 2 + 1 (J >= P + 1).
        # The shift V(c0 + H) needs sum_{j >= i} C(j, i) c0^(j-i) h_j^2 for i <= P: jmin = P
        # (J = 2 P).  Was max(P / 2, P - 200), J = P at P = 400 and 1.2 P at 500: the top
        # shifted coefficients came out too small, and so did the tail shares that stop the
        # series -- softplus, weight_var 2, depth 5, n = 1000 stopped at P = 500 with mu_165
        # 7e-12 low; J = 2 P agrees with 4x and 16x more terms.
        jmin = order // 2 + 1 if c0 == 0.0 else order
        log_h2 = self.log_h2(q, jmin)
        while (
            c0 > 0
            and log_h2.size < _SHIFT_TERMS_FACTOR * order  # J = 2 P, then 4 P: no more
            and resolved_shift_order(log_h2, min(c0, 1.0), order) < order
        ):
            # the shift needs more terms (c_j ~ r^j: up to j ~ order / (1 - c0 r)).  Only up
            # to 4 P: near the ordered fixed point (c0 -> 1: deep sigmoid, softplus) full
            # resolution of the top orders took J ~ 8e4 (sigmoid n = 3, depth 5: 0.3 -> 5 s)
            # and moved no eigenvalue (k <= 200, n = 2..10, depth 5: bit-identical); those
            # top coefficients weigh (H / s)^i with i near P, beyond the degrees asked for.
            jmin = 2 * jmin
            log_h2 = self.log_h2(q, jmin)
        h = c.copy()
        h[0] = 0.0
        # V(c0 + H) = sum_i d_i H^i with d_i = V^(i)(c0) / i! ~ (1 - c0)^-i: overflow past
        # i ~ 709 / -log(1 - c0) (bias 0.3, ~3000 terms).  Composed as sum_i d_i (1 - c0)^i
        # (H / (1 - c0))^i instead: the scaled d_i are <= V(1), H / (1 - c0) sums to <= 1.
        # The scale is H(1) = sum_p h_p, which equals 1 - c0 up to truncation and rounding but
        # carries no cancellation: deep sigmoid layers drive the correlation to its fixed point
        # 1 (depth 15: 1 - c0 ~ 1e-19 rounds to 0, and c0 may round past 1).
        shrink = 1.0
        if c0 > 0:
            # H == 0 (a constant kernel): any scale composes to V(c0) and V'(c0)
            shrink = float(np.sum(h)) or 1.0
            # V(c0 + H) needs d_i for i <= order only (H^i starts at rho^i); d_i shrink^i are
            # the coefficients of V(c0 + shrink y), from V's scaled by its largest
            top = float(np.max(log_h2))
            with np.errstate(under="ignore"):
                scaled = np.exp(log_h2 - top)
            g = ser.taylor_shift(scaled, min(c0, 1.0), shrink, order) * math.exp(top)
            h /= shrink
        else:
            g = np.exp(log_h2)
        if not need_der:
            return ser.compose_positive_many([g], h, order)[0], None
        gd = g[1:] * np.arange(1, g.size)
        e, ed = ser.compose_positive_many([g, gd], h, order)
        return e, ed / (q * shrink)


def _dual(gate: Gate):
    act = gate.act
    if act is None:
        # a smooth callable: Mehler series from float Gauss-Hermite coefficients (Price's
        # theorem gives E[phi' phi'] from them, no derivative of the callable needed)
        return _Hermite(gate)
    if act.kind == "piecewise":
        if act.bias != 0.0:
            raise ValueError(
                "piecewise activations with a fixed shift (e.g. relu(t + 0.1)) have no deep "
                "kernel here; use a random bias (bias=beta)"
            )
        return _Homogeneous(act)
    if act.name == "erf" and act.bias == 0.0:
        return _Arcsine(act)
    return _Hermite(gate)


# ------------------------------------------------------------------------- the recursion


def _variances(dual, depth, sw2, b2):
    """q_l = Sigma^l(1), l = 1..depth; refused outside [1e-250, 1e250] (kernel values and
    their products in the Theta recursion must stay finite)."""
    qs = [sw2 + b2]
    for _ in range(depth - 1):
        try:  # q^p of relu^p overflows a Python float before the range check (relu2, depth 50)
            qs.append(sw2 * dual.variance(qs[-1]) + b2)
        except OverflowError:
            qs.append(math.inf)
        if not 1e-250 <= qs[-1] <= 1e250:
            raise ValueError(
                f"the layer variances Sigma^l(1) leave [1e-250, 1e250] by layer {len(qs)} "
                f"(weight_var = {sw2:g}, bias^2 = {b2:g}); lower the depth or move weight_var "
                "toward its critical value (2 for relu)"
            )
    return qs


def _recurse(dual, depth, sw2, b2, train, start, step, mul, add_const):
    """Run the layer recursion on one representation (values, Taylor series or a chart).

    start: Sigma^1; step(l, sigma) -> (E_l[phi], E_l[phi']); mul(a, b): product.
    """
    need_der = train != "output"
    sig = start
    theta = sig
    for layer in range(depth):
        e, ed = step(layer, sig, need_der)
        if layer < depth - 1:
            new = add_const(sw2 * e, b2)
            if need_der:
                theta = new + mul(theta, sw2 * ed)
            sig = new
        else:
            out = e
            hid = mul(theta, ed) if need_der else None
    if train == "output":
        return out
    if train == "hidden":
        return hid
    return out + hid


def _add_const(a, b):
    a = np.array(a, dtype=float, copy=True)
    if a.ndim == 0:
        return a + b
    a[0] += b
    return a


def kernel_values(dual, depth, sw2, b2, train, rho):
    qs = _variances(dual, depth, sw2, b2)

    def step(layer, sig, need_der):
        q = qs[layer]
        c = np.clip(sig / q, -1.0, 1.0)
        return dual.values(q, c, need_der)

    return _recurse(
        dual, depth, sw2, b2, train, sw2 * rho + b2, step, lambda a, b: a * b, lambda a, b: a + b
    )


def taylor_coefficients(dual, depth, sw2, b2, train, order):
    """c_0..c_order of K(rho) (all >= 0)."""
    qs = _variances(dual, depth, sw2, b2)
    start = np.zeros(order + 1)
    start[0] = b2
    if order >= 1:
        start[1] = sw2

    def step(layer, sig, need_der):
        return dual.taylor(qs[layer], sig / qs[layer], need_der)

    return _recurse(
        dual, depth, sw2, b2, train, start, step, lambda a, b: ser.mul(a, b, order), _add_const
    )


_END_TOL = 1e-13
_DISCONTINUOUS_DEEP = (
    "deep kernels of discontinuous activations (step, sign) are supported at depth = 1 only: "
    "their dual has a sqrt(1 - c) term, so the next layer's expansion at rho = +-1 is not a "
    "series in sqrt(1 -+ rho)"
)


def _chart(dual, depth, sw2, b2, train, length, end):
    """Series of K(end - sign v^2) in v (end = +1: rho = 1 - s^2; end = -1: rho = -1 + u^2)."""
    qs = _variances(dual, depth, sw2, b2)
    start = np.zeros(length)
    start[0] = sw2 * end + b2
    start[2] = -sw2 * end

    def step(layer, sig, need_der):
        q = qs[layer]
        c = sig / q
        c0 = float(c[0])
        for target in (1.0, -1.0):
            if abs(c0 - target) <= _END_TOL:
                gap = -c if target > 0 else c.copy()  # 1 - c or 1 + c
                gap[0] = 0.0
                if abs(gap[1]) > 1e-12 * max(1.0, np.max(np.abs(gap))):
                    raise ValueError(_DISCONTINUOUS_DEEP)
                root = ser.psqrt(gap[2:])  # v'(v) / v, valid to order length - 3
                var = np.zeros(length)
                var[1 : length - 1] = root
                return dual.puiseux(q, target, var, need_der)
        x = c.copy()
        x[0] = 0.0
        return dual.interior(q, c0, x, need_der)

    return _recurse(dual, depth, sw2, b2, train, start, step, ser.pmul, _add_const)


# ---------------------------------------------------------------------------- eigenvalues


def _log_binom_series(alpha: float, order: int):
    """(sign, log|a_p|) of a_p = [rho^p] (1 - rho)^alpha, p = 0..order (alpha not an integer).

    log|a_p| = sum_{i<p} log|(i - alpha) / (i + 1)| as a prefix sum in long double: the closed
    gammaln(p - alpha) - gammaln(-alpha) - gammaln(p + 1) cancels ~eps |gammaln(p)| (3e-12
    relative at p = 3000), a noise floor in the remainders c_p - [rho^p] S_J that hid their
    decay beyond J ~ 5 from the tail estimate (deep relu at n <= 10 missed 1e-12).
    """
    p = np.arange(order + 1)
    ld = np.longdouble
    i = np.arange(order, dtype=ld)
    log_abs = np.zeros(order + 1, dtype=ld)
    log_abs[1:] = np.cumsum(np.log(np.abs(i - ld(alpha))) - np.log(i + 1))
    # a_p = prod_{i<p} (i - alpha)/(i + 1): sign (-1)^{min(p, ceil(alpha))}
    sign = np.where(np.minimum(p, math.ceil(alpha)) % 2 == 0, 1.0, -1.0)
    return sign, log_abs.astype(float)


# B_{2m} / (2m (2m - 1)), m = 1..8: the Stirling series of log Gamma
_STIRLING = (
    1 / 12,
    -1 / 360,
    1 / 1260,
    -1 / 1680,
    1 / 1188,
    -691 / 360360,
    1 / 156,
    -3617 / 122400,
)


def _log_gamma_ratio(x: float, a: float) -> float:
    """log |Gamma(x + a) / Gamma(x)|, accurate to a few ulps of the result for large x.

    lgamma(x + a) - lgamma(x) loses ~eps |lgamma(x)| (at x = 5000, 4e-12 absolute, i.e. a
    4e-12 relative error of the closed Gegenbauer coefficients at n = 10^4); for x, x + a >= 30
    the Stirling difference (x - 1/2) log1p(a/x) + a (log(x + a) - 1) + sum_m B_2m/(2m(2m-1))
    ((x + a)^{1-2m} - x^{1-2m}) has no such cancellation (truncation < 1e-25 absolute).
    """
    y = x + a
    if min(x, y) < 30.0:
        return math.lgamma(y) - math.lgamma(x)
    out = (x - 0.5) * math.log1p(a / x) + a * (math.log(y) - 1.0)
    for m, b in enumerate(_STIRLING, start=1):
        out += b * (y ** (1 - 2 * m) - x ** (1 - 2 * m))
    return out


def _log_gegenbauer_power(alpha: float, n: int, kmax: int):
    """(sign, log|A_k|), A_k = E_{nu_n}[(1 - t)^alpha P_{k,n}(t)], k = 0..kmax (see module doc).

    A_k = (-alpha)_k / prod_{i<k} (n + 2i) 2^{alpha - k} B(alpha + h_k - k, h_k) / B(h_k, h_k),
    h_k = (n - 1)/2 + k, whose Gamma(alpha + (n - 1)/2) is the same for every k, so that
    A_{k+1} / A_k = (k - alpha) / (k + alpha + n - 1): log|A_k| is log A_0 plus a prefix sum
    in long double.  (Per k, the prefix and the log-Beta part are each ~1e3 at k ~ 200 and
    cancel to ~1e1: in float64 that lost ~2e-13 relative, the floor of deep relu at high k.)
    """
    k = np.arange(kmax + 1)
    sign = np.where(np.minimum(k, math.ceil(alpha)) % 2 == 0, 1.0, -1.0)
    ld = np.longdouble
    i = np.arange(kmax, dtype=ld)
    prefix = np.zeros(kmax + 1, dtype=ld)
    prefix[1:] = np.cumsum(np.log(np.abs(i - ld(alpha))) - np.log(i + ld(alpha) + ld(n - 1)))
    # A_0 = E[(1 - t)^alpha] = 2^alpha Gamma(alpha + h) Gamma(2h) / (Gamma(h) Gamma(alpha + 2h))
    h = (n - 1) / 2
    log_a0 = alpha * math.log(2) + _log_gamma_ratio(h, alpha) - _log_gamma_ratio(2 * h, alpha)
    return sign, (prefix + ld(log_a0)).astype(float)


# Default truncation of the piecewise route: Taylor terms P and odd Puiseux orders <= J.
PIECEWISE_TERMS = 3000
PUISEUX_ORDER = 21


def _log_spectrum_piecewise(dual, n, kmax, depth, sw2, b2, train, P=None, J=None, label=None):
    """(log mu_k, sign) of a piecewise-gate kernel (_piecewise_pass).  With the default P, a
    pass whose error estimate exceeds _RETRY_ERR at some degree is repeated with 2 P terms (and
    once more with 4 P if still so), and each degree keeps the pass with the smaller estimate.
    Needed by deep relu at n <= 3, low k (depth 10, n = 2: 2.6e-12 at P = 3000, 1.0e-12 at
    6000, 1.2e-14 at 12000): the orders J' >= 7 cancel ~5e3-fold
    against the remainder there, and only J' = 5 with a longer series reaches 1e-12.  The
    tail part of the estimate sums the exact moments (_moment_tail), so at high k it is within
    ~10x of the true error (relu, n = 10, k = 200: ~3e-15; the bound E[|t|^p] it replaced said
    1.4e-12 and sent deep relu at n ~ 10 to the second pass, 75-108 ms instead of 25-36).  Only up
    to depth _RETRY_MAX_DEPTH (the range the accuracy is stated and tested for): deeper, the
    second pass would triple an already long call (depth 50, n = 3: 1.5 s -> 4.5 s)."""
    log_mu, sgn, err = _piecewise_pass(dual, n, kmax, depth, sw2, b2, train, P, J)
    P_next = 2 * max(PIECEWISE_TERMS, 2 * kmax + 200)
    for _ in range(_RETRY_PASSES if P is None and depth <= _RETRY_MAX_DEPTH else 0):
        if not np.max(err, initial=0.0, where=np.isfinite(err)) > _RETRY_ERR:
            break
        log2, sgn2, err2 = _piecewise_pass(dual, n, kmax, depth, sw2, b2, train, P_next, J)
        better = err2 < err
        log_mu = np.where(better, log2, log_mu)
        sgn = np.where(better, sgn2, sgn)
        err = np.minimum(err, err2)
        P_next *= 2
    if label is not None:
        from ._hermite import SeriesTruncationWarning, _warn_degrees

        # past the tested range (n <= 3 at depth 20, abs / relu^2 at n = 2 ... depth 10) the
        # estimate can stay above what the route claims; say so rather than return it silently
        where = f"deep spectrum of {label} (depth {depth})"
        _warn_degrees(
            np.where(np.isfinite(err), err, 0.0),
            _WARN_ERR,
            SeriesTruncationWarning,
            lambda count, first, top: (
                f"{where}: the piecewise route's error estimate stays up to {top:.1e} "
                f"relative for {count} degree(s), first k = {first}, after {P_next // 2} "
                "Taylor terms (the estimate is rough: the true error may be a few times "
                "larger or smaller)"
            ),
        )
    return log_mu, sgn


# Error estimate above which the piecewise route repeats with twice the Taylor terms (half the
# 1e-12 it is held to: relu depth 10 at n = 2, k = 3 estimated 9.9e-13 at P = 6000 and was off
# by 1.0e-12, 1.2e-14 at 12000), at most _RETRY_PASSES times, up to depth _RETRY_MAX_DEPTH.
_RETRY_ERR = 5e-13
_RETRY_PASSES = 2
# Estimate above which a default call warns (SeriesTruncationWarning) after its retries.
_WARN_ERR = 1e-11
_RETRY_MAX_DEPTH = 20


def _piecewise_pass(dual, n, kmax, depth, sw2, b2, train, P=None, J=None):
    """Eigenvalues of a piecewise-gate kernel: positive moments of c_p - [rho^p] S_J plus the
    closed mu_k(S_J), for every odd J' <= J and the plain sum (J' = -1); per degree the J'
    with the smallest error estimate (rounding ~1e-16 * sum |terms| / mu_k, whose growth with
    J' comes from Puiseux coefficients that grow when deep layers shrink the expansion's
    radius, plus the algebraic tail sum_{p > P} estimated from the last terms) is kept."""
    P = PIECEWISE_TERMS if P is None else P
    J = PUISEUX_ORDER if J is None else J
    P = max(P, 2 * kmax + 200)
    c = taylor_coefficients(dual, depth, sw2, b2, train, P)
    length = J + depth + 4
    at_one = _chart(dual, depth, sw2, b2, train, length, 1.0)
    at_minus = _chart(dual, depth, sw2, b2, train, length, -1.0)
    table = log_moment_table(n, kmax, P)  # [K+1, P+1]
    row_max = np.max(table, axis=1, keepdims=True)  # >= the log of every term's moment
    E = np.exp(table - row_max)  # [K+1, P+1] scaled moments in [0, 1]
    parity_p = np.where(np.arange(P + 1) % 2 == 0, 1.0, -1.0)
    parity_k = np.where(np.arange(kmax + 1) % 2 == 0, 1.0, -1.0)
    orders = [-1] + list(range(1, J + 1, 2))
    R = np.empty((P + 1, len(orders)))  # remainders c - [rho^p] S_J', one column per J'
    A = np.zeros((kmax + 1, len(orders)))  # mu_k(S_J') / exp(row_max)
    A_abs = np.zeros_like(A)
    s = np.zeros(P + 1)
    closed = np.zeros(kmax + 1)
    closed_abs = np.zeros(kmax + 1)
    for col, j in enumerate(orders):
        if j > 0 and (at_one[j] != 0.0 or at_minus[j] != 0.0):
            # (1 -+ rho)^{j/2}: one binomial series and one Gegenbauer row serve both sides
            a_sign, a_log = _log_binom_series(j / 2, P)
            a = a_sign * np.exp(a_log)
            g_sign, g_log = _log_gegenbauer_power(j / 2, n, kmax)
            for coef, side in ((at_one[j], 1), (at_minus[j], -1)):
                if coef == 0.0:
                    continue
                s = s + coef * a * (parity_p if side < 0 else 1.0)
                with np.errstate(over="ignore"):
                    val = np.exp(np.minimum(g_log + math.log(abs(coef)) - row_max[:, 0], 700))
                closed = closed + val * g_sign * math.copysign(1.0, coef) * (
                    parity_k if side < 0 else 1.0
                )
                closed_abs = closed_abs + val
        R[:, col] = c - s
        A[:, col] = closed
        A_abs[:, col] = closed_abs
    # The float series is, to first order, K(rho (1 + eta)) with |eta| a few eps: rounding of
    # each layer's constants leaves c_l(1) = 1 + O(eps), which moves the singularity at rho = 1
    # (ReLU layers have slope 1 there, so the shifts add up over the layers), and c_p carries a
    # relative error p eta (+7.0e-16 p for relu weight_var 2, bias 0.1, depth 5: 2.1e-12 at
    # p = 3000, linear in p from p = 1 against mpmath Cauchy coefficients).  At high degrees
    # the moment sum weights p ~ P, and the error reached 1e-12; it also left a floor ~1e-12 c_p
    # under the remainders of the high orders J', which hid their decay from the tail estimate.
    eta = _rescaling(R[:, -1], c)
    if eta:
        R = R + (c * np.expm1(-eta * np.arange(P + 1)))[:, None]
    total = E @ R + A  # [K+1, J'] mu_k / exp(row_max)
    bound = E @ np.abs(R) + A_abs
    half = P // 2
    last = E[:, P, None] * np.abs(R[P]) + E[:, P - 1, None] * np.abs(R[P - 1])
    mid = E[:, half, None] * np.abs(R[half]) + E[:, half - 1, None] * np.abs(R[half - 1])
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # (a) the last terms extrapolated, when they already fall like p^-beta
        beta = np.log(mid / last) / math.log(P / half)
        tail_a = np.where(beta > 1.5, last * P / (2 * (beta - 1)), np.inf)
        # (b) |r_p| ~ p^-gamma summed against the moments E[t^p P_k] themselves (before
        # p ~ k^2 the moments of high degrees still grow, so (a) does not apply there; the
        # bound E[|t|^p] used until 0.2.0 overstated the tail ~50-fold at k ~ 200, n = 10, and
        # sent those calls to the second pass for nothing)
        r_last = np.abs(R[P]) + np.abs(R[P - 1])
        gamma = np.log((np.abs(R[half]) + np.abs(R[half - 1])) / r_last) / math.log(P / half)
        expo = gamma + (n - 1) / 2
        ok = expo > 1.2
        tail_b = np.full_like(total, np.inf)
        if np.any(ok):
            sums = _moment_tail(n, kmax, P, row_max[:, 0], gamma[ok])
            tail_b[:, ok] = sums * (r_last[ok] / 2)
        tail = np.minimum(tail_a, tail_b)
        err = (_ROUNDING * bound + tail) / np.abs(total)
    err = np.where(np.isfinite(err) & (total > 0), err, np.inf)
    best = np.argmin(err, axis=1)
    mu = total[np.arange(kmax + 1), best]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mu = np.where(mu > 0, np.log(np.where(mu > 0, mu, 1.0)), -np.inf) + row_max[:, 0]
    sgn = np.where(mu > 0, 1.0, 0.0)
    sgn = np.where(_parity_zeros(c, kmax), 0.0, sgn)
    return np.where(sgn > 0, log_mu, -np.inf), sgn, err[np.arange(kmax + 1), best]


def _moment_tail(n: int, kmax: int, P: int, log_scale, gamma):
    """T[k, c] = sum_{p > P, p = k mod 2} E_{nu_n}[t^p P_{k,n}] e^{-log_scale_k} (p/P)^{-gamma_c}.

    Shapes: log_scale [kmax + 1], gamma [C] with gamma_c + (n - 1)/2 > 1 -> T [kmax + 1, C].
    The moments at real p > P >= kmax in closed form (Rodrigues, as in log_moment_table):
    m_k(p) = p!/(p - k)! 2^-k Gamma(n/2) Gamma(i + 1/2) / (Gamma(1/2) Gamma(i + n/2 + k)),
    i = (p - k)/2; the sum over one parity is (1/2) int_P^inf dp, integrated in u = log(p/P)
    up to 1e6 P with the log of the integrand linear on each step (exact for power laws in p,
    however steep), plus the rest with m_k(p) ~ p^{-(n-1)/2} there.  An error estimate: it
    errs on the high side by ~(gamma_c + (n - 1)/2)/P (the integral starts at p = P).
    """
    from scipy.special import gammaln

    u = np.linspace(0.0, math.log(1e6), 49)  # p = P e^u, step 0.29
    p = P * np.exp(u)
    k = np.arange(kmax + 1, dtype=float)[:, None]
    i = (p[None, :] - k) / 2
    log_m = (
        gammaln(p + 1)
        - gammaln(p - k + 1)
        - k * math.log(2.0)
        + math.lgamma(n / 2)
        + gammaln(i + 0.5)
        - math.lgamma(0.5)
        - gammaln(i + n / 2 + k)
    ) - np.asarray(log_scale, dtype=float)[:, None]  # [K + 1, G]
    g = np.asarray(gamma, dtype=float)
    # log of (1/2) f(p) dp/du = (1/2) m_k(p) (p/P)^-gamma p, [K + 1, G, C]
    L = (log_m + np.log(p / 2))[:, :, None] - u[None, :, None] * g[None, None, :]
    peak = np.max(L, axis=1, keepdims=True)
    a, d = L[:, :-1] - peak, np.diff(L, axis=1)
    h = u[1] - u[0]
    with np.errstate(under="ignore", invalid="ignore", over="ignore"):
        # int_0^h e^{a + d s/h} ds = h e^a (e^d - 1)/d, e^a h where d ~ 0
        ratio = np.where(np.abs(d) > 1e-9, np.expm1(d) / np.where(d == 0, 1.0, d), 1.0)
        body = np.exp(peak[:, 0, :]) * h * np.sum(np.exp(a) * ratio, axis=1)
        # beyond 1e6 P: (1/2) sum f(p_max) (p / p_max)^{-(gamma + (n - 1)/2)}
        rest = (
            np.exp(log_m[:, -1, None] - u[-1] * g[None, :])
            * p[-1]
            / (2 * (g[None, :] + (n - 1) / 2 - 1))
        )
    return body + rest


# Relative rounding per term of the signed sums (a few ulps of each term).
_ROUNDING = 4e-16
# Largest rescaling rho -> rho (1 + eta) of the float Taylor series treated as rounding.
_ETA_MAX = 1e-13


def _rescaling(r, c):
    """eta with r_p ~ eta p c_p on p in [3P/4, P] (r: the remainder of the highest Puiseux
    order, otherwise ~p^{-J/2 - 2} c_p-small), or 0.0 when the fit is not of rounding size or
    the fits on [3P/4, 7P/8] and [7P/8, P] differ by more than 25%.  The [1, 2, 1]/4 filter
    removes the (-1)^p-alternating geometric part left by singularities near rho = -1 (bias:
    ~0.99^p, still 2e-12 p c_p at p = 1500)."""
    P = c.size - 1
    p = np.arange(P + 1, dtype=float)
    x = p * c
    xf = (x[:-2] + 2 * x[1:-1] + x[2:]) / 4  # at p = 1..P-1
    rf = (r[:-2] + 2 * r[1:-1] + r[2:]) / 4
    top = float(np.max(np.abs(xf), initial=0.0))
    if not 0.0 < top < np.inf:
        return 0.0
    xf, rf = xf / top, rf / top  # the fits are ratios; unscaled dots overflow (relu^2, depth 10)
    lo, mid = 3 * P // 4, 7 * P // 8
    fits = []
    for sl in (slice(lo, mid), slice(mid, P - 1)):
        den = float(np.dot(xf[sl], xf[sl]))
        if not den > 0:
            return 0.0
        fits.append(float(np.dot(rf[sl], xf[sl])) / den)
    eta = 0.5 * (fits[0] + fits[1])
    if not abs(eta) <= _ETA_MAX or abs(fits[0] - fits[1]) > 0.25 * abs(eta) + 1e-18:
        return 0.0
    return eta


def _parity_zeros(c, kmax):
    """Degrees k whose eigenvalue is exactly 0: the parity part of K matching k is a
    polynomial of degree < k (its Taylor coefficients are exact zeros beyond some degree; the
    positive compositions keep parity zeros exact)."""
    k = np.arange(kmax + 1)
    zero = np.zeros(kmax + 1, dtype=bool)
    P = c.size - 1
    for par in (0, 1):
        idx = np.nonzero(c[par::2])[0]
        top = par + 2 * idx[-1] if idx.size else -1
        if top < P - 20:  # the parity part is a polynomial of degree top
            zero |= (k % 2 == par) & (k > top)
    return zero


def _log_spectrum_smooth(dual, n, kmax, depth, sw2, b2, train):
    """Positive moment sum of a C^infinity kernel.

    Exact coefficients (erf's dual; Mehler series with closed-form or Fourier-integral h_j:
    gelu, tanh, sigmoid, softplus, sin, cos): the series grows until its last fifth (orders
    0.8 P..P) moves no eigenvalue by 1e-15 relative, each pass to the length at which the tail
    is predicted below 1e-16 (_hermite.predicted_series_length), at least 1.25x the last (the
    composition costs ~P^2.5: one or two long passes, not 4-5 at 1.5x) -- geometric decay (erf,
    gelu) stops at the first P; tanh's c_p ~ exp(-a sqrt p) need P ~ 1600-2400 at n = 2,
    k = 200 (measured against tests/reference/deep_reference_tanh.json: 1.7e-13 at P = 1600,
    1e-8 at 1200, 0.7 at 800).  Gauss-Hermite-rule gates keep P = max(kmax + 200, 2 kmax)
    terms, as the depth-1 Mehler route (their ~1e-15 absolute noise per coefficient is all that
    longer series would add).
    """
    hermite = _uses_hermite_rule(dual)
    P = max(2 * kmax, kmax + 200)
    while True:
        c = taylor_coefficients(dual, depth, sw2, b2, train, P)
        with np.errstate(divide="ignore"):
            log_c = np.where(c > 0, np.log(np.maximum(c, 1e-320)), -np.inf)
        full, shares = positive_moment_sum(log_c, n, kmax, per_degree=True)
        if hermite or np.max(shares) < 1e-15 or P >= _SMOOTH_TERMS_CAP:
            if not hermite and P >= _SMOOTH_TERMS_CAP:
                warn_if_truncated(
                    shares, P + 1, f"deep spectrum (depth {depth})", "lower kmax or depth"
                )
            if hermite:
                _warn_if_rule_noisy(dual, full, shares, n, kmax, depth, sw2, b2, train, P)
            return full, np.where(np.isfinite(full), 1.0, 0.0)
        # the length where the tail is predicted negligible, but at least 1.25x (few passes)
        guess = predicted_series_length(log_c, n, kmax, shares, _SMOOTH_TERMS_CAP)
        P = min(max(guess, int(_SMOOTH_TERMS_MIN_GROWTH * P)), _SMOOTH_TERMS_CAP)


def _warn_if_rule_noisy(dual, full, shares, n, kmax, depth, sw2, b2, train, P):
    """CoefficientNoiseWarning for a deep spectrum built from Gauss-Hermite coefficients (gates
    with a fixed shift): the same spectrum with every |h_j| of every layer moved up and down by
    its rounding bound (_hermite.GH_NOISE sqrt(E[g^2])); the larger relative spread per degree
    is the estimate (the compositions are positive, so the two bracket the effect of noise of
    that size, up to the layers' variance normalization).  The series' tail share (P terms
    without growth for these gates) counts too."""
    spread = np.asarray(shares, dtype=float).copy()
    for sign in (1, -1):
        c = taylor_coefficients(_Hermite(dual.gate, noise=sign), depth, sw2, b2, train, P)
        with np.errstate(divide="ignore"):
            log_c = np.where(c > 0, np.log(np.maximum(c, 1e-320)), -np.inf)
        alt = positive_moment_sum(log_c, n, kmax)[0]
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(np.expm1(alt - full))
        spread = np.maximum(spread, np.where(np.isfinite(full), np.nan_to_num(diff, nan=0.0), 0.0))
    remedy = "lower kmax or depth, or use the unshifted gate with a random bias (bias=beta)"
    if dual.gate.act is None:
        remedy = "lower kmax or depth, or pass a registered activation (exact coefficients)"
    warn_if_noisy(spread, f"deep spectrum of {dual.gate.label} (depth {depth})", "hermite", remedy)


#: a shifted layer takes up to this many times its order in Hermite terms (from 2 P) while
#: resolved_shift_order says its top orders are not yet determined
_SHIFT_TERMS_FACTOR = 4

# Taylor terms of the smooth route at most: tanh at n = 2, k <= 1000 needs ~10^4 (at 8000, degrees
# >= 781 were reported, measured 7e-11 short); 16000 terms at depth 5: 7.7 s, 370 MB.
_SMOOTH_TERMS_CAP = 16000
#: least growth of the term count per pass (the cost grows ~P^2.5)
_SMOOTH_TERMS_MIN_GROWTH = 1.25


def deep_kernel_values(gate: Gate, depth, sw2, b2, train, rho):
    """K(rho) by the layer recursion of the duals' values (validated inputs)."""
    dual = _dual(gate)
    if train != "output" and not dual.smooth and dual.p == 0:
        raise ValueError(
            f"train={train!r} needs the derivative of {gate.label}, a Dirac delta "
            "(no hidden-layer kernel); use train='output'"
        )
    if not dual.smooth and depth > 1 and dual.p == 0:
        raise ValueError(_DISCONTINUOUS_DEEP)
    return kernel_values(dual, depth, sw2, b2, train, rho)


#: largest kmax of a deep spectrum: its Taylor series has >= 2 kmax terms (up to
#: _SMOOTH_TERMS_CAP) and the moment sums a [kmax + 1, terms] table (3001 x 16001 doubles:
#: 384 MB); kmax = 10^6 used to start a composition of 2 * 10^6 terms (an 18 GB table) and hang
DEEP_KMAX = 3000


def deep_log_spectrum(gate: Gate, n, kmax, depth, sw2, b2, train):
    """(log mu_k, sign) for k = 0..kmax (sign 0 marks exact zeros)."""
    if kmax > DEEP_KMAX:
        raise ValueError(
            f"kmax = {kmax}: deep spectra (depth > 1 or weight_var != 1) are computed for "
            f"kmax <= {DEEP_KMAX} (a Taylor series of >= 2 kmax terms and a kmax x terms "
            "moment table); lower kmax"
        )
    dual = _dual(gate)
    if dual.smooth:
        return _log_spectrum_smooth(dual, n, kmax, depth, sw2, b2, train)
    if train != "output" and dual.p == 0:
        raise ValueError(
            f"train={train!r} needs the derivative of {gate.label}, a Dirac delta "
            "(no hidden-layer kernel); use train='output'"
        )
    return _log_spectrum_piecewise(dual, n, kmax, depth, sw2, b2, train, label=gate.label)


# --------------------------------------------------------------------------- public API


def check_depth(depth) -> int:
    from harmonics._infra.checks import check_int

    return check_int(depth, "depth", 1, MAX_DEPTH)


def check_weight_var(weight_var) -> float:
    from harmonics._infra.checks import check_real

    v = check_real(weight_var, "weight_var", positive=True)
    if not MIN_WEIGHT_VAR <= v <= MAX_WEIGHT_VAR:
        raise ValueError(
            f"weight_var must be in [{MIN_WEIGHT_VAR:g}, {MAX_WEIGHT_VAR:g}] (kernels scale "
            f"like weight_var^depth), got {v:g}"
        )
    return v


def check_deep_bias(beta: float) -> float:
    if beta > MAX_DEEP_BIAS:
        raise ValueError(
            f"bias must be <= {MAX_DEEP_BIAS:g} for deep kernels (they scale like "
            f"bias^(2 depth)), got {beta:g}"
        )
    return beta


def check_deep_call(depth, weight_var, init, method):
    """(deep?, depth, weight_var) for spectrum/kernel: deep unless depth = 1 and weight_var = 1."""
    depth = check_depth(depth)
    sw2 = check_weight_var(weight_var)
    deep = depth != 1 or sw2 != 1.0
    if deep and init != "gaussian":
        raise ValueError(
            f"depth = {depth}, weight_var = {sw2:g}: deep kernels are defined for "
            "init='gaussian' (Gaussian weights in every layer); pass init='gaussian'"
        )
    if deep and method != "auto":
        raise ValueError(
            f"method={method!r} applies to depth = 1, weight_var = 1; deep kernels use "
            "method='auto'"
        )
    return deep, depth, sw2


def power_series(
    activation,
    order: int,
    *,
    train: str = "output",
    depth: int = 1,
    weight_var: float = 1.0,
    bias=None,
    power=None,
    coeffs=None,
    scale: float = 1.0,
    max_work: float = 1e10,
):
    """Taylor coefficients c_0..c_order of the deep kernel K(rho) = sum_p c_p rho^p.

    K is the NNGP (train="output"), the hidden-layer part (``"hidden"``) or the NTK
    (``"both"``) of a depth-``depth`` network with Gaussian init (definitions in
    :mod:`gd_operator.deep` and docs/conventions.md, "Deep kernels").  Every c_p >= 0
    (Schoenberg); they are computed by compositions without cancellation, so each keeps
    ~1e-14 relative accuracy (erf, piecewise gates; Hermite-based gates such as tanh carry the
    ~1e-15 absolute accuracy of their Gauss-Hermite coefficients).  For ReLU the NNGP
    coefficients decay like p^{-5/2} and the NTK's like p^{-3/2} (Murray et al. 2023).

    Parameters
    ----------
    activation : registered activation (name or harmonics.Activation).
    order : int >= 0 (at most 20000; at most 3075 for gates whose Hermite coefficients come
        from Gauss-Hermite quadrature, e.g. tanh, sigmoid, silu: each layer needs the first
        ~2 order of them, from a rule of ~4 order nodes, and the rule is limited to
        harmonics._quadrature.MAX_RULE_SIZE = 12500 nodes).
    train, depth, weight_var, bias, power, coeffs, scale : as in :func:`gd_operator.spectrum`.
    max_work : cost limit in multiply-adds, checked before anything is computed (default
        1e10 ~ 1 s): for Hermite-based gates a Paterson-Stockmeyer composition per layer after
        the first, ~(s - 1) order^2 / 2 + K order^3 / (6 s) with K = 1 (NNGP) or 2 outer
        series and s = sqrt(order K / 3), plus 50 num^2 for a num-node Gauss-Hermite rule
        where one is used; 3 depth order^2 for the others (erf, sin, cos, piecewise).  Raise
        it for larger jobs.

    Returns
    -------
    ndarray [order + 1] of c_0..c_order.

    >>> import numpy as np
    >>> c = power_series("relu", 4)                       # kappa_1 / 2, Cho & Saul 2009
    >>> bool(np.allclose(c, [1/(2*np.pi), 1/4, 1/(4*np.pi), 0, 1/(48*np.pi)]))
    True
    """
    from harmonics._infra.checks import check_int, check_real

    from .spectrum import _check_bias, _check_choice

    order = check_int(order, "order", 0, 20000)
    train = _check_choice(train, "train", _TRAINS)
    depth = check_depth(depth)
    sw2 = check_weight_var(weight_var)
    beta = check_deep_bias(_check_bias(bias, "gaussian"))
    max_work = check_real(max_work, "max_work", positive=True)
    gate = resolve(activation, power=power, coeffs=coeffs, scale=scale)
    dual = _dual(gate)
    if train != "output" and not dual.smooth and dual.p == 0:
        raise ValueError(
            f"train={train!r} needs the derivative of {gate.label}, a Dirac delta; "
            "use train='output'"
        )
    if _uses_hermite_rule(dual) and order > _hermite_max_order():
        raise ValueError(
            f"order must be in [0, {_hermite_max_order()}] for {gate.label} (its Hermite "
            "coefficients come from a Gauss-Hermite rule of ~4 order nodes, limited to "
            f"harmonics._quadrature.MAX_RULE_SIZE), got {order}; the unbiased erf, gelu, "
            "tanh, sigmoid, softplus, silu, sin, cos and the piecewise gates allow order <= 20000"
        )
    work = _power_series_work(dual, order, depth, train)
    if work > max_work:
        top = _hermite_max_order() if _uses_hermite_rule(dual) else 20000
        raise ValueError(
            f"power_series of {gate.label} at order = {order}, depth = {depth}, "
            f"train = {train!r} would cost ~{work:.3g} multiply-adds, above max_work = "
            f"{max_work:.3g} (~1 s per 1e10); lower order (allowed 0..{top} for this "
            "activation) or depth, or pass max_work=N to raise the limit"
        )
    return taylor_coefficients(dual, depth, sw2, beta * beta, train, max(order, 1))[: order + 1]


def _uses_hermite_rule(dual) -> bool:
    """Whether the dual's Hermite coefficients come from a Gauss-Hermite rule (not closed form:
    erf without shift has its own dual, sin / cos closed-form coefficients)."""
    if not isinstance(dual, _Hermite):
        return False
    return not has_exact_coefficients(dual.gate.act)  # callables: False there


def _hermite_rule_size(order: int) -> int:
    """Nodes of the largest Gauss-Hermite rule a Taylor series of ``order`` asks for
    (_Hermite.taylor: jmin = order for a shifted layer, hermite_series: J = max(jmin + 200,
    2 jmin), _h_generic: 2 J + 200 nodes)."""
    return 2 * max(order + 200, 2 * order) + 200


#: The largest Gauss rule harmonics.gauss_rule builds (its private MAX_RULE_SIZE; packages meet
#: at public names, so the number is repeated here and tests/test_deep_spectrum.py checks that
#: the two agree).
GAUSS_RULE_MAX_SIZE = 12_500


def _hermite_max_order() -> int:
    """Largest order whose rules fit in gauss_rule's size limit (3075)."""
    return (GAUSS_RULE_MAX_SIZE - 200) // 4


def _power_series_work(dual, order: int, depth: int, train: str) -> float:
    """Cost of taylor_coefficients(order) in multiply-adds (~1e10 per second; measured: tanh at
    order 4000, depth 3, NTK 0.24 s for a model 2.5e9; relu at 20000, depth 10: 1.5 s for
    1.2e10).  Hermite duals: a Paterson-Stockmeyer composition per layer after the first (the
    first composes with a multiple of rho: free), with K = 1 or 2 outer series and block size
    s = sqrt(P K / 3): (s - 1) P^2 / 2 + K P^3 / (6 s); plus 2 P^2 for a layer's Taylor shift
    and the Gauss-Hermite rule's 50 num^2 where one is used.  Others: 3 depth P^2 (inverse
    square roots and products)."""
    order = max(order, 1)
    if not isinstance(dual, _Hermite):
        return 3.0 * depth * float(order) ** 2
    P = float(order)
    K = 2 if train != "output" else 1
    s = max(2.0, math.floor(math.sqrt(P * K / 3.0)))
    compose = (s - 1) * P * P / 2 + K * P**3 / (6 * s)
    work = (depth - 1) * compose + 2.0 * depth * P * P
    if _uses_hermite_rule(dual):
        work += 50.0 * float(_hermite_rule_size(order)) ** 2
    return work
