"""Registry of named activation functions and their structure (kinks, Taylor series).

An :class:`Activation` is the gate t -> phi(scale * t + bias) on [-1, 1], where phi is one of the
registered base functions.  Besides numpy evaluation it knows its structure, which is what lets
:func:`harmonics.funk_hecke_eigenvalues` compute eigenvalues in closed form or by convergent series
instead of by cancelling quadrature:

* piecewise polynomials (relu, leaky_relu, step, leaky_step, sign, abs, relu^p, and their
  biased/scaled gates) are sums of truncated powers c (side (t - t0))_+^p plus a polynomial;
* analytic activations (sigmoid, tanh, erf, softplus, gelu, silu, sin, cos) provide exact
  Taylor-coefficient recurrences at any expansion point and the radius of convergence there
  (sin and cos also have closed-form eigenvalues through Bessel functions,
  harmonics/_bessel.py);
* polynomials carry their coefficients (ascending powers of the base variable).

Names: every base function has one canonical name (``REGISTERED``); the other spellings that
:func:`get_activation` accepts are listed in the one table ``ACTIVATION_ALIASES`` (used by every
caller that resolves names, and by the "did you mean" of the command lines).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np
from scipy import special as _sp

from ._infra.checks import check_int, check_real

# ----------------------------------------------------------------------------- base functions


def _relu(x):
    return np.maximum(x, 0.0)


def _step(x):
    # Heaviside with H(0) = 1/2; the value at a single point does not affect any eigenvalue.
    return np.heaviside(x, 0.5)


def _sigmoid(x):
    return _sp.expit(x)


def _softplus(x):
    return np.logaddexp(0.0, x)


def _gelu(x):
    return x * _sp.ndtr(x)


def _silu(x):
    return x * _sp.expit(x)


def _d_sigmoid(x):
    s = _sp.expit(x)
    return s * (1 - s)


def _d_tanh(x):
    return 1.0 - np.tanh(x) ** 2


def _d_erf(x):
    return 2.0 / math.sqrt(math.pi) * np.exp(-(x**2))


def _d_gelu(x):
    return _sp.ndtr(x) + x * np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)


def _d_silu(x):
    # (x sigma(x))' = sigma(x) + x sigma(x) sigma(-x)
    return _sp.expit(x) * (1 + x * _sp.expit(-x))


def _d_cos(x):
    return -np.sin(x)


# Taylor coefficients c_j of phi(b + h) = sum_j c_j h^j, computed in an mpmath context ``ctx``
# by exact recurrences (no numerical differentiation).


def _taylor_tanh(ctx, b, J):
    if b == 0:
        # tanh x = sum_{m>=1} 2^{2m} (2^{2m} - 1) B_{2m} x^{2m-1} / (2m)!  (DLMF 4.33.3)
        c = [ctx.zero] * (J + 1)
        for m in range(1, J // 2 + 2):
            if 2 * m - 1 <= J:
                four = ctx.mpf(4) ** m
                c[2 * m - 1] = four * (four - 1) * ctx.bernoulli(2 * m) / ctx.factorial(2 * m)
        return c
    if abs(b) >= 1:
        # tanh(b + t) = sign(b) (1 - u(|b| + sign(b) t)) with u = 1 - tanh: the coefficients
        # from tanh(b) itself lose ~0.87 |b| digits (1 - tanh^2 cancels; all of them beyond
        # |b| ~ 35 at 30 digits: exact zeros where lambda_k ~ e^{-2|b|})
        d = _taylor_tanh_complement(ctx, abs(b), J)
        if b > 0:
            return [1 - d[0]] + [-d[j] for j in range(1, J + 1)]
        return [d[0] - 1] + [d[j] if j % 2 == 0 else -d[j] for j in range(1, J + 1)]
    # y = tanh, y' = 1 - y^2  =>  (j+1) c_{j+1} = [j = 0] - sum_{i<=j} c_i c_{j-i}
    # (the convolution is symmetric: sum over i < j/2 twice plus the middle term)
    c = [ctx.tanh(b)] + [ctx.zero] * J
    for j in range(J):
        half = ctx.fsum(c[i] * c[j - i] for i in range((j + 1) // 2))
        conv = 2 * half + (c[j // 2] ** 2 if j % 2 == 0 else 0)
        c[j + 1] = ((1 if j == 0 else 0) - conv) / (j + 1)
    return c


def _taylor_tanh_complement(ctx, a, J):
    """Taylor coefficients at a > 0 of u = 1 - tanh = 2 / (1 + e^{2x}): u' = -2u + u^2, so
    (j+1) d_{j+1} = -2 d_j + sum_{i<=j} d_i d_{j-i}; no cancellation (all terms ~ e^{-2a})."""
    d = [2 / (1 + ctx.exp(2 * a))] + [ctx.zero] * J
    for j in range(J):
        half = ctx.fsum(d[i] * d[j - i] for i in range((j + 1) // 2))
        conv = 2 * half + (d[j // 2] ** 2 if j % 2 == 0 else 0)
        d[j + 1] = (conv - 2 * d[j]) / (j + 1)
    return d


def _taylor_sigmoid(ctx, b, J):
    # sigmoid(x) = (1 + tanh(x/2)) / 2
    if b <= -2:
        # 1 + tanh(b/2 + t/2) = u(|b|/2 - t/2): keep sigmoid(b) ~ e^{b} instead of 1 - 1
        d = _taylor_tanh_complement(ctx, -b / 2, J)
        return [(d[j] if j % 2 == 0 else -d[j]) / 2 / ctx.mpf(2) ** j for j in range(J + 1)]
    c = _taylor_tanh(ctx, b / 2, J)
    out = [c[j] / 2 / ctx.mpf(2) ** j for j in range(J + 1)]
    out[0] += ctx.mpf(1) / 2
    return out


def _taylor_gauss(ctx, b, J):
    # g = exp(-x^2), g' = -2 x g  =>  (j+1) g_{j+1} = -2 (b g_j + g_{j-1})
    g = [ctx.exp(-b * b)] + [ctx.zero] * J
    for j in range(J):
        prev = g[j - 1] if j >= 1 else ctx.zero
        g[j + 1] = -2 * (b * g[j] + prev) / (j + 1)
    return g


def _taylor_erf(ctx, b, J):
    g = _taylor_gauss(ctx, b, J)
    k = 2 / ctx.sqrt(ctx.pi)
    return [ctx.erf(b)] + [k * g[j] / (j + 1) for j in range(J)]


def _taylor_gelu(ctx, b, J):
    # gelu(x) = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2
    r = 1 / ctx.sqrt(2)
    e = _taylor_erf(ctx, b * r, J)
    phi = [e[j] * r**j / 2 for j in range(J + 1)]
    # Phi(b) = erfc(-b / sqrt 2) / 2: (1 + erf) / 2 would cancel to 0 for b <~ -12
    phi[0] = ctx.erfc(-b * r) / 2
    return [b * phi[j] + (phi[j - 1] if j >= 1 else ctx.zero) for j in range(J + 1)]


def _taylor_softplus(ctx, b, J):
    s = _taylor_sigmoid(ctx, b, J)
    return [ctx.log1p(ctx.exp(b)) if b < 0 else b + ctx.log1p(ctx.exp(-b))] + [
        s[j] / (j + 1) for j in range(J)
    ]


def _taylor_silu(ctx, b, J):
    # silu(x) = x sigmoid(x): c_j = b s_j + s_{j-1} with s_j the coefficients of the sigmoid
    sg = _taylor_sigmoid(ctx, b, J)
    return [b * sg[j] + (sg[j - 1] if j >= 1 else ctx.zero) for j in range(J + 1)]


def _taylor_sin(ctx, b, J):
    # sin(b + h) = sum_j sin(b + j pi/2) h^j / j!
    sb, cb = ctx.sin(b), ctx.cos(b)
    cyc = (sb, cb, -sb, -cb)
    return [cyc[j % 4] / ctx.factorial(j) for j in range(J + 1)]


def _taylor_cos(ctx, b, J):
    # cos(b + h) = sum_j cos(b + j pi/2) h^j / j!
    sb, cb = ctx.sin(b), ctx.cos(b)
    cyc = (cb, -sb, -cb, sb)
    return [cyc[j % 4] / ctx.factorial(j) for j in range(J + 1)]


def _mp_functions(ctx):
    return {
        "sigmoid": lambda x: 1 / (1 + ctx.exp(-x)),
        "tanh": ctx.tanh,
        "erf": ctx.erf,
        "softplus": lambda x: ctx.log1p(ctx.exp(x)) if x < 0 else x + ctx.log1p(ctx.exp(-x)),
        "gelu": lambda x: x * (1 + ctx.erf(x / ctx.sqrt(2))) / 2,
        "silu": lambda x: x / (1 + ctx.exp(-x)),
        "sin": ctx.sin,
        "cos": ctx.cos,
    }


@dataclass(frozen=True)
class _Analytic:
    base: object
    derivative: object
    taylor: object
    # distance from the real expansion point b to the nearest complex singularity
    radius: object
    odd_part: str  # "odd", "even" or "" when phi - phi(0) has a parity (for documentation)


_ANALYTIC = {
    "sigmoid": _Analytic(
        _sigmoid, _d_sigmoid, _taylor_sigmoid, lambda b: math.hypot(b, math.pi), ""
    ),
    "tanh": _Analytic(np.tanh, _d_tanh, _taylor_tanh, lambda b: math.hypot(b, math.pi / 2), "odd"),
    "erf": _Analytic(_sp.erf, _d_erf, _taylor_erf, lambda b: math.inf, "odd"),
    "softplus": _Analytic(
        _softplus, _sigmoid, _taylor_softplus, lambda b: math.hypot(b, math.pi), ""
    ),
    "gelu": _Analytic(_gelu, _d_gelu, _taylor_gelu, lambda b: math.inf, ""),
    # silu = x sigmoid(x): the poles of the sigmoid at x = +-i pi
    "silu": _Analytic(_silu, _d_silu, _taylor_silu, lambda b: math.hypot(b, math.pi), ""),
    "sin": _Analytic(np.sin, np.cos, _taylor_sin, lambda b: math.inf, "odd"),
    "cos": _Analytic(np.cos, _d_cos, _taylor_cos, lambda b: math.inf, "even"),
}

_PIECEWISE = ("relu", "leaky_relu", "step", "leaky_step", "sign", "abs", "relu_power")

#: The one table of activation names: canonical name -> the other spellings get_activation
#: accepts (case-insensitive; spaces dropped, "-" read as "_").  ``<p>`` stands for a
#: non-negative integer exponent (relu2, relu^3, relu**4, relu_power5 are relu_power with
#: power = p).  Every caller that resolves a name (harmonics, gd_operator, the command lines'
#: "did you mean") goes through get_activation and this table.
ACTIVATION_ALIASES = {
    "abs": ("absolute",),
    "cos": ("cosine",),
    "identity": ("linear",),
    "leaky_relu": ("leakyrelu", "lrelu"),
    "polynomial": ("poly",),
    "relu_power": ("relu<p>", "relu^<p>", "relu**<p>", "relu_power<p>"),
    "sigmoid": ("logistic",),
    "silu": ("swish",),
    "sin": ("sine",),
    "step": ("heaviside",),
}
_ALIASES = {
    alias: name
    for name, aliases in ACTIVATION_ALIASES.items()
    for alias in aliases
    if "<p>" not in alias
}

REGISTERED = tuple(sorted(set(_PIECEWISE) | set(_ANALYTIC) | {"polynomial", "identity"}))


def activation_names() -> tuple:
    """Every literal spelling get_activation accepts: the canonical names (``REGISTERED``) and
    their aliases (``ACTIVATION_ALIASES``; relu_power's pattern written as relu2), sorted.

    >>> "swish" in activation_names() and "relu2" in activation_names()
    True
    """
    return tuple(sorted(set(REGISTERED) | set(_ALIASES) | {"relu2"}))


#: Integer code of each base function for compiled evaluation: the numba kernels of
#: gd_operator (forward pass and gradients) dispatch on ``Activation.kernel_code`` and read the
#: parameters of the base function from ``Activation.kernel_params`` (the exponent of relu^p,
#: the coefficients of a polynomial, the negative slope of leaky_relu / leaky_step).  identity is
#: the polynomial with coefficients (0, 1).
KERNEL_CODES = {
    "relu": 0,
    "sigmoid": 1,
    "tanh": 2,
    "erf": 3,
    "softplus": 4,
    "gelu": 5,
    "abs": 6,
    "relu_power": 7,
    "step": 8,
    "sign": 9,
    "polynomial": 10,
    "identity": 10,
    "leaky_relu": 11,
    "leaky_step": 12,
    "silu": 13,
    "sin": 14,
    "cos": 15,
}

# Positive homogeneity degree p of the base function, phi(c x) = c^p phi(x) for c > 0 (relu_power:
# its power; polynomials: monomials only, decided from the coefficients).
_HOMOGENEOUS = {
    "relu": 1,
    "leaky_relu": 1,
    "abs": 1,
    "step": 0,
    "leaky_step": 0,
    "sign": 0,
    "identity": 1,
}
# Base functions with jumps: their derivative is a Dirac delta (zero almost everywhere).
_DISCONTINUOUS = ("step", "leaky_step", "sign")
# Piecewise base functions whose rescaled and shifted gates phi(r t + b) all have closed-form
# eigenvalues in float64 (truncated powers of order <= 1; see Activation.exact_gates).
_LOW_ORDER = ("relu", "leaky_relu", "step", "leaky_step", "sign", "abs")
# Base functions with the parameter negative_slope (a): leaky_relu(x) = x for x > 0, a x for
# x < 0; leaky_step(x) = 1 for x > 0, a for x < 0 (the derivative of leaky_relu).
_SLOPED = ("leaky_relu", "leaky_step")
#: Default negative slope of leaky_relu (PyTorch's torch.nn.LeakyReLU).
DEFAULT_NEGATIVE_SLOPE = 0.01


@dataclass(frozen=True)
class TruncatedPower:
    """The term coef * (side * (t - t0))_+^p on [-1, 1] (p >= 0; p = 0 is a unit step)."""

    coef: float
    t0: float
    p: int
    side: int  # +1 or -1


@dataclass(frozen=True)
class Activation:
    """The gate t -> phi(scale * t + bias) for a registered base function phi.

    Calling it evaluates the gate on numpy arrays; ``derivative`` is d/dt of the gate,
    i.e. scale * phi'(scale * t + bias) (distributional parts such as the step's delta are
    omitted).  ``power`` is the exponent of relu^p, ``coeffs`` the ascending coefficients of a
    polynomial phi(x) = sum_j coeffs[j] x^j, ``negative_slope`` the slope a of leaky_relu
    (x for x > 0, a x for x < 0) and the lower level of leaky_step (1 for x > 0, a for x < 0).
    """

    name: str
    scale: float = 1.0
    bias: float = 0.0
    power: int | None = None
    coeffs: tuple | None = field(default=None)
    negative_slope: float | None = None

    def __post_init__(self):
        # get_activation normalizes; a directly built Activation is checked the same way
        if not isinstance(self.name, str) or self.name not in REGISTERED:
            raise ValueError(
                f"Activation name must be one of {', '.join(REGISTERED)}, got {self.name!r} "
                "(get_activation also accepts aliases such as 'relu2')"
            )
        check_real(self.scale, "scale")
        check_real(self.bias, "bias")
        if self.power is not None:
            check_int(self.power, "power", 0, 64)
        if self.coeffs is not None:
            for i, c in enumerate(self.coeffs):
                if isinstance(c, bool) or not isinstance(c, numbers.Real) or not math.isfinite(c):
                    raise ValueError(f"coeffs[{i}] must be a finite real number, got {c!r}")
        if self.name in _SLOPED and self.negative_slope is None:
            object.__setattr__(self, "negative_slope", DEFAULT_NEGATIVE_SLOPE)
        if self.negative_slope is not None and self.name not in _SLOPED:
            raise ValueError(
                f"negative_slope applies to leaky_relu and leaky_step only, not {self.name!r}"
            )
        if self.negative_slope is not None:
            check_real(self.negative_slope, "negative_slope")
        _check_range(self.name, self.scale, self.bias, self.power, self.coeffs, self.negative_slope)

    def with_gate(self, scale: float = 1.0, bias: float = 0.0) -> Activation:
        """The same base function (power, coeffs, negative_slope kept) as the gate
        phi(scale * t + bias); ``with_gate()`` is the unscaled, unbiased phi itself."""
        return Activation(self.name, scale, bias, self.power, self.coeffs, self.negative_slope)

    # -- evaluation ------------------------------------------------------------------------
    def base(self, x):
        """phi(x) (the un-gated base function)."""
        x = np.asarray(x, dtype=float)
        if self.name == "relu":
            return _relu(x)
        if self.name == "leaky_relu":
            return np.where(x > 0, x, self.negative_slope * x)
        if self.name == "step":
            return _step(x)
        if self.name == "leaky_step":
            a = self.negative_slope
            return a + (1.0 - a) * _step(x)
        if self.name == "sign":
            return np.sign(x)
        if self.name == "abs":
            return np.abs(x)
        if self.name == "relu_power":
            return _relu(x) ** self.power if self.power > 0 else _step(x)
        if self.name in ("polynomial", "identity"):
            return np.polynomial.polynomial.polyval(x, np.asarray(self.coeffs, dtype=float))
        return _ANALYTIC[self.name].base(x)

    def base_derivative(self, x):
        """phi'(x), with the classical derivative away from kinks."""
        x = np.asarray(x, dtype=float)
        if self.name == "relu":
            return _step(x)
        if self.name == "leaky_relu":
            a = self.negative_slope
            return a + (1.0 - a) * _step(x)
        if self.name in ("step", "leaky_step", "sign"):
            return np.zeros_like(x)
        if self.name == "abs":
            return np.sign(x)
        if self.name == "relu_power":
            p = self.power
            return p * _relu(x) ** (p - 1) if p > 1 else (_step(x) if p == 1 else np.zeros_like(x))
        if self.name in ("polynomial", "identity"):
            d = np.polynomial.polynomial.polyder(np.asarray(self.coeffs, dtype=float))
            return np.polynomial.polynomial.polyval(x, d)
        return _ANALYTIC[self.name].derivative(x)

    def __call__(self, t):
        return self.base(self.scale * _as_points(t) + self.bias)

    def derivative(self, t):
        return self.scale * self.base_derivative(self.scale * _as_points(t) + self.bias)

    # -- structure ---------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        if self.name in _PIECEWISE:
            return "piecewise"
        if self.name in _ANALYTIC:
            return "analytic"
        return "polynomial"

    @property
    def kinks(self) -> tuple:
        """Points of [-1, 1] where the gate is not smooth."""
        if self.kind != "piecewise":
            return ()
        t0 = -self.bias / self.scale
        return (t0,) if -1 < t0 < 1 else ()

    def truncated_powers(self):
        """Decomposition of a piecewise gate: (list of TruncatedPower, polynomial coefficients).

        relu(s t + b) = |s| (side (t - t0))_+ with t0 = -b/s and side = sign(s); likewise
        (s t + b)_+^p = |s|^p (side (t - t0))_+^p; sign = step(x) - step(-x);
        abs = relu(x) + relu(-x); leaky_relu = relu(x) - slope relu(-x);
        leaky_step = step(x) + slope step(-x).
        """
        s, b = self.scale, self.bias
        t0, side, a = -b / s, (1 if s > 0 else -1), abs(s)
        if self.name == "relu":
            return [TruncatedPower(a, t0, 1, side)], ()
        if self.name == "leaky_relu":
            slope = self.negative_slope
            return [TruncatedPower(a, t0, 1, side), TruncatedPower(-slope * a, t0, 1, -side)], ()
        if self.name == "leaky_step":
            slope = self.negative_slope
            return [TruncatedPower(1.0, t0, 0, side), TruncatedPower(slope, t0, 0, -side)], ()
        if self.name == "relu_power":
            return [TruncatedPower(a**self.power, t0, self.power, side)], ()
        if self.name == "step":
            return [TruncatedPower(1.0, t0, 0, side)], ()
        if self.name == "sign":
            return [TruncatedPower(1.0, t0, 0, side), TruncatedPower(-1.0, t0, 0, -side)], ()
        if self.name == "abs":
            return [TruncatedPower(a, t0, 1, side), TruncatedPower(a, t0, 1, -side)], ()
        raise ValueError(f"{self.name} is not piecewise")

    @property
    def parity(self) -> int:
        """+1 if the gate is even in t, -1 if odd, 0 otherwise (exact, from the structure)."""
        if self.bias != 0.0:
            return 0
        if self.name in ("sign", "tanh", "erf", "sin"):
            return -1
        if self.name in ("abs", "cos"):
            return 1
        if self.kind == "polynomial":
            c = np.asarray(self.coeffs, dtype=float)
            if not np.any(c[1::2]):
                return 1
            if not np.any(c[0::2]):
                return -1
        return 0

    @property
    def homogeneous_degree(self) -> int | None:
        """p with g(r t) = r^p g(t) for every r > 0 (g the gate), or None.

        Needs bias = 0; then relu and abs have p = 1, step and sign p = 0, relu^p its power,
        identity 1 and a polynomial that is a single monomial c x^d has p = d.  Any scale.
        """
        return None if self.bias != 0.0 else self._base_degree()

    def _base_degree(self) -> int | None:
        """Homogeneity degree of the base function phi (ignoring this gate's bias)."""
        if self.name == "relu_power":
            return int(self.power)
        if self.name == "polynomial":
            nonzero = [j for j, c in enumerate(self.coeffs) if c != 0]
            return nonzero[0] if len(nonzero) == 1 else None
        return _HOMOGENEOUS.get(self.name)

    @property
    def discontinuous(self) -> bool:
        """True if the base function jumps (step, sign): its derivative is a Dirac delta, zero
        almost everywhere, so gradients through it vanish and kernels of phi' do not exist."""
        return self.name in _DISCONTINUOUS

    def derivative_gate(self):
        """(h, c) with d/dt gate(t) = c * h(t) for a registered gate h, or None.

        relu -> scale * step, leaky_relu -> scale * leaky_step (same slope), abs -> scale * sign,
        relu^p -> p * scale * relu^{p-1}, sin -> scale * cos, cos -> -scale * sin,
        polynomials -> their derivative (same scale and bias); None for the other analytic base
        functions (no registered derivative: callers use the identity
        lambda_k^{(n)}(g') = (n - 2) lambda_{k+1}^{(n-2)}(g) or ``derivative``).
        Raises ValueError for step and sign, whose derivative is a Dirac delta.
        """
        s, b = self.scale, self.bias
        if self.discontinuous:
            raise ValueError(
                f"the derivative of {self.name!r} is a Dirac delta: the hidden-layer kernel "
                "E[phi'(u) phi'(v)] does not exist; use train='output'"
            )
        if self.name == "relu":
            return get_activation("step", scale=s, bias=b), s
        if self.name == "leaky_relu":
            slope = self.negative_slope
            return get_activation("leaky_step", scale=s, bias=b, negative_slope=slope), s
        if self.name == "sin":
            return get_activation("cos", scale=s, bias=b), s
        if self.name == "cos":
            return get_activation("sin", scale=s, bias=b), -s
        if self.name == "abs":
            return get_activation("sign", scale=s, bias=b), s
        if self.name == "relu_power":
            p = int(self.power)
            name = "relu" if p == 2 else "relu_power"
            power = None if p == 2 else p - 1
            return get_activation(name, scale=s, bias=b, power=power), p * s
        if self.kind == "polynomial":
            c = np.polynomial.polynomial.polyder(np.asarray(self.coeffs, dtype=float))
            if c.size == 0:
                c = np.zeros(1)
            return get_activation("polynomial", coeffs=[float(x) for x in c], scale=s, bias=b), s
        return None

    @property
    def exact_gates(self) -> str:
        """Which gates t -> phi(r t + b) (r > 0; a network unit with |w| = r and bias b seen on
        the sphere) have exact Funk-Hecke eigenvalues cheap enough for every unit of a network:

        * ``"all"``: every gate, in closed form vectorized over the units (truncated powers of
          order <= 1: relu, leaky_relu, step, leaky_step, sign, abs);
        * ``"unbiased"``: b = 0 only, lambda_k(phi(r .)) = r^p lambda_k(phi) (positively
          homogeneous: relu^p, identity, monomials);
        * ``"unit-scale"``: only r = 1, b = 0, where all units share phi (the analytic base
          functions and other polynomials; other gates need a series per unit).
        """
        if self.name in _LOW_ORDER:
            return "all"
        if self._base_degree() is not None:
            return "unbiased"
        return "unit-scale"

    @property
    def kernel_code(self) -> int:
        """The integer code of the base function in compiled kernels (``KERNEL_CODES``)."""
        return KERNEL_CODES[self.name]

    @property
    def kernel_params(self) -> np.ndarray:
        """float64 parameters of the base function for compiled kernels: [p] for relu^p, the
        ascending coefficients for polynomials (identity: [0, 1]), [negative_slope] for
        leaky_relu and leaky_step, else [0] (unused)."""
        if self.name == "relu_power":
            return np.array([float(self.power)])
        if self.negative_slope is not None:
            return np.array([float(self.negative_slope)])
        if self.coeffs is not None:
            return np.array([float(c) for c in self.coeffs])
        return np.zeros(1)

    def __repr__(self) -> str:
        extra = []
        if self.power is not None and self.name == "relu_power":
            extra.append(f"power={self.power}")
        if self.coeffs is not None and self.name == "polynomial":
            extra.append(f"coeffs={list(self.coeffs)}")
        if self.negative_slope is not None:
            extra.append(f"negative_slope={self.negative_slope:g}")
        if self.scale != 1.0:
            extra.append(f"scale={self.scale:g}")
        if self.bias != 0.0:
            extra.append(f"bias={self.bias:g}")
        return f"Activation({self.name!r}{', ' if extra else ''}{', '.join(extra)})"


def _parse_name(name: str):
    key = name.strip().lower().replace(" ", "").replace("-", "_")
    key = _ALIASES.get(key, key)
    power = None
    for prefix in ("relu^", "relu**", "relu_power", "relu"):
        if key.startswith(prefix) and key != "relu":
            rest = key[len(prefix) :]
            if rest == "" and prefix == "relu_power":
                return "relu_power", None
            if rest.isdigit():
                return "relu_power", int(rest)
    return key, power


def _as_points(t) -> np.ndarray:
    """``t`` as a float array (TypeError naming t for None, strings, ragged lists...)."""
    if t is None or isinstance(t, (str, bytes)):
        raise TypeError(f"t must be a real number or an array of them, got {t!r}")
    try:
        return np.asarray(t, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"t must be a real number or an array of them, got {t!r}") from exc


# The gate's values on [-1, 1] must stay inside float64 with their squares (E[phi^2], the
# energies N(n,k) lambda_k^2 of harmonics.expand): below 1e150.
_MAX_LOG10_VALUE = 150.0


def _check_range(name, scale, bias, power, coeffs, negative_slope=None) -> None:
    """Refuse a gate whose values on [-1, 1] reach 1e150 (e.g. relu2 with scale = 1e300: the
    truncated power's coefficient scale^2 overflowed as a raw OverflowError; softplus with
    scale = 1e300 gave E[phi^2] = inf and NaN energy fractions)."""
    x = abs(float(scale)) + abs(float(bias))  # |scale * t + bias| <= x on [-1, 1]
    if name in ("relu", "abs", "softplus", "gelu", "silu", "identity"):
        degrees = {1: 1.0}
    elif name == "leaky_relu":
        degrees = {1: max(1.0, abs(float(negative_slope)))}
    elif name == "leaky_step":
        degrees = {0: max(1.0, abs(float(negative_slope)))}
    elif name == "relu_power":
        degrees = {int(power or 0): 1.0}
    elif name == "polynomial":
        degrees = {j: abs(float(c)) for j, c in enumerate(coeffs or ()) if c != 0}
    else:  # bounded gates
        return
    if not math.isfinite(x) and degrees:
        big = math.inf
    else:
        lx = math.log10(x) if x > 0 else -math.inf
        big = max(
            (math.log10(c) + (j * lx if j else 0.0) for j, c in degrees.items() if c > 0),
            default=-math.inf,
        )
    if big > _MAX_LOG10_VALUE:
        raise ValueError(
            f"{name}(scale * t + bias) with scale = {scale!r}, bias = {bias!r} reaches "
            f"~1e{big:.0f} on [-1, 1]; the gate's values must stay below 1e150 (their squares, "
            "the energies, must be float64 numbers; lower |scale|, |bias| or the coefficients)"
        )


def get_activation(
    activation, *, scale=1.0, bias=0.0, power=None, coeffs=None, negative_slope=None
) -> Activation:
    """Build the gate phi(scale * t + bias) from a registered name (or return an Activation).

    Registered names (canonical; aliases in ``ACTIVATION_ALIASES``): relu, leaky_relu (x for
    x > 0, ``negative_slope`` * x below, default 0.01 as in PyTorch), step (heaviside),
    leaky_step (1 above 0, ``negative_slope`` below: the derivative of leaky_relu), sign, abs,
    relu_power (with ``power=p``; also written "relu2", "relu^3"), sigmoid (logistic), tanh,
    erf, softplus, gelu (x Phi(x)), silu (swish, x sigmoid(x)), sin, cos (the frequency is
    ``scale``: sin(scale * t + bias)), polynomial (with ``coeffs=[a0, a1, ...]``, ascending),
    identity.  Special parameter values give the simpler registered gate: relu_power with
    p = 1, 0 is relu, step; leaky_relu with slope 0, 1, -1 is relu, identity, abs; leaky_step
    with slope 0, -1, 1 is step, sign, the constant 1.

    Raises ValueError for unknown names (listing the known ones) or invalid parameters.

    >>> get_activation("swish"), get_activation("leaky_relu", negative_slope=0.2)
    (Activation('silu'), Activation('leaky_relu', negative_slope=0.2))
    """
    if isinstance(activation, Activation):
        if (
            scale != 1.0
            or bias != 0.0
            or power is not None
            or coeffs is not None
            or negative_slope is not None
        ):
            raise ValueError(
                "pass scale/bias/power/coeffs/negative_slope when building the Activation, not both"
            )
        return activation
    if not isinstance(activation, str):
        raise TypeError(
            "activation must be a registered name or an Activation, "
            f"got {type(activation).__name__}"
        )
    name, parsed_power = _parse_name(activation)
    if name not in REGISTERED:
        raise ValueError(
            f"unknown activation {activation!r}; known: {', '.join(activation_names())} "
            "(relu^p also as relu3, relu^3, ...; or pass any Python callable on [-1, 1] to "
            "funk_hecke_eigenvalues)"
        )
    scale = check_real(scale, "scale")
    bias = check_real(bias, "bias")
    if scale == 0.0:
        raise ValueError("scale must be nonzero (a constant gate has only lambda_0)")
    if name in _SLOPED:
        slope = DEFAULT_NEGATIVE_SLOPE if negative_slope is None else negative_slope
        slope = check_real(slope, "negative_slope")
        special = {"leaky_relu": {0.0: "relu", 1.0: "identity", -1.0: "abs"}}.get(
            name, {0.0: "step", -1.0: "sign"}
        )
        if slope in special:
            return get_activation(special[slope], scale=scale, bias=bias, power=power,
                                  coeffs=coeffs)  # fmt: skip
        if name == "leaky_step" and slope == 1.0:
            if power is not None or coeffs is not None:
                raise ValueError(f"power=/coeffs= do not apply to {name!r}")
            return Activation("polynomial", 1.0, 0.0, None, (1.0,))
        if power is not None or coeffs is not None:
            raise ValueError(f"power=/coeffs= do not apply to {name!r}")
        return Activation(name, scale, bias, None, None, slope)
    if negative_slope is not None:
        raise ValueError(f"negative_slope= applies to leaky_relu and leaky_step only, not {name!r}")
    if name == "relu_power":
        if parsed_power is not None and power is not None and power != parsed_power:
            raise ValueError(f"power={power} conflicts with the name {activation!r}")
        power = parsed_power if parsed_power is not None else power
        if power is None:
            raise ValueError("relu_power needs power=p (an integer >= 0), e.g. 'relu2'")
        power = check_int(power, "power", 0, 64)
        if power == 1:
            name, power = "relu", None
        elif power == 0:
            name, power = "step", None
    elif power is not None:
        raise ValueError(f"power= applies to relu_power only, not {name!r}")
    if name == "identity":
        if coeffs is not None:
            raise ValueError("coeffs= applies to polynomial only, not 'identity'")
        coeffs = (0.0, 1.0)
    elif name == "polynomial":
        if coeffs is None:
            raise ValueError(
                "activation 'polynomial' needs coeffs=[a0, a1, ...] (ascending powers)"
            )
        if isinstance(coeffs, (str, bytes)) or not hasattr(coeffs, "__iter__"):
            raise TypeError(f"coeffs must be a sequence of real numbers, got {coeffs!r}")
        coeffs = tuple(coeffs)
        if len(coeffs) == 0:
            raise ValueError("coeffs must contain at least one coefficient")
        for i, c in enumerate(coeffs):
            if isinstance(c, bool) or not isinstance(c, numbers.Real) or not math.isfinite(c):
                raise ValueError(f"coeffs[{i}] must be a finite real number, got {c!r}")
    elif coeffs is not None and name != "identity":
        raise ValueError(f"coeffs= applies to polynomial only, not {name!r}")
    return Activation(name, scale, bias, power, coeffs)
