"""Exact (sympy) Funk-Hecke eigenvalues, Legendre polynomials, dimensions and ReLU kernels.

Convention (MATH.md): uniform probability measure on S^{n-1} (n = ambient dimension), t = <x, e>
has law nu_n with density c_n (1 - t^2)^{(n-3)/2}, c_n = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)),
P_{k,n}(1) = 1, and the Funk-Hecke eigenvalue is lambda_k(phi) = E_{t~nu_n}[phi(t) P_{k,n}(t)], so
phi(t) = sum_k N(n,k) lambda_k(phi) P_{k,n}(t).

Every result is a sympy expression.  Pass ``n=None`` (the default) for a closed form in the
symbol :data:`n` (an integer symbol; substitute with ``expr.subs(symbolic.n, 7)``), a Python
int for an exact number, or your own sympy expression for n (e.g. ``2*m + 1``).

How it is computed (no ``sympy.integrate`` anywhere, so nothing can hang):

(R) Rodrigues' formula P_{k,n}(t)(1-t^2)^{(n-3)/2} = (-1)^k / prod_{j<k}(n-1+2j)
    * d^k/dt^k (1-t^2)^{k+(n-3)/2} and k integrations by parts give
        lambda_k(phi) = E_{t~nu_{n+2k}}[phi^{(k)}(t)] / prod_{j<k} (n + 2j),
    phi^{(k)} the distributional derivative (boundary terms vanish for every n >= 2).
(M) Moments: E_{nu_m}[t^{2i}] = prod_{l<i} (2l+1)/(m+2l), odd moments vanish, and
    E_{nu_m}[t_+^q] = Gamma(m/2) Gamma((q+1)/2) / (2 sqrt(pi) Gamma((m+q)/2)).
(G) Unbiased truncated powers: (R) and (M), continued analytically in the exponent s, give
        lambda_k(t_+^s) = Gamma(s+1) Gamma(n/2) / (2^{s+1} Gamma(1+(s-k)/2) Gamma((n+s+k)/2)),
    which is 0 when k > s and k - s is even (1/Gamma at a pole).  ReLU in n = 3: 1/4, 1/6, 1/16,
    0, -1/96; lambda_2(ReLU) = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2) (n-1)(n+1)).
(T) Biased truncated powers (t - t0)_+^p, integer p >= 0, |t0| < 1, k > p: phi^{(k)} is
    p! delta^{(k-1-p)}(t - t0) and Rodrigues once more (in dimension n + 2 + 2p) gives
        lambda_k = p! (1 - t0^2)^{(n-1)/2 + p} P_{k-1-p, n+2+2p}(t0)
                   * Gamma(n/2) / (sqrt(pi) 2^{p+1} Gamma((n+1)/2 + p)).
    For k <= p, (R) leaves E_{nu_{n+2k}}[p!/(p-k)! (t - t0)_+^{p-k}]: elementary at integer n
    (arccos t0 and sqrt(1 - t0^2) appear when n is even), a 2F1 at t0^2 for symbolic n.

relu, step, sign, abs and relu^p (and their gates phi(scale * t + bias)) are sums of these terms
(sign = 2 step - 1, abs(x) = 2 relu(x) - x; t -> -t multiplies lambda_k by (-1)^k), and
polynomials use (R) + (M) directly.  All formulas hold for every integer n >= 2 (n = 2 included;
no exceptions), and the symbolic results reduce to the integer-n results on substitution
(tested for n = 2..12).

Exact numbers at large n: an exact value carries Gamma(n/2)/Gamma((n+1)/2), a ratio of
integers with about n log10(n)/2 digits; fine up to n ~ 10^4, slow beyond.  For floats at large
n use :func:`harmonics.funk_hecke_eigenvalues`.

References: Atkinson & Han, "Spherical Harmonics and Approximations on the Unit Sphere",
Springer LNM 2044 (2012), sec. 2.7-2.8 (Rodrigues, Funk-Hecke); Cho & Saul, "Kernel Methods for
Deep Learning", NIPS 2009 (arc-cosine kernels).
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from functools import lru_cache

import sympy as sp
from sympy.polys.rings import ring

from ._validation import check_degree, check_int

__all__ = [
    "arccos_kernel",
    "dim_harmonics",
    "funk_hecke_eigenvalue",
    "kernel_eigenvalue",
    "legendre",
    "n",
    "relu_kernel",
    "rho",
    "t",
]

#: Default dimension symbol (integer, positive); results with ``n=None`` are expressions in it.
n = sp.Symbol("n", integer=True, positive=True)
#: Variable of :func:`legendre` and of polynomial activations given as sympy expressions.
t = sp.Symbol("t", real=True)
#: Variable (the correlation <x, y>) of :func:`arccos_kernel` and :func:`relu_kernel`.
rho = sp.Symbol("rho", real=True)

_HALF = sp.Rational(1, 2)
_SUPPORTED = ("relu", "step", "sign", "abs", "relu_power", "polynomial", "identity")
_NUMERIC_HINT = (
    "for numerical eigenvalues of any activation (sigmoid, tanh, erf, softplus, gelu, "
    "callables) use harmonics.funk_hecke_eigenvalues(activation, n, kmax)"
)
_KERNELS = ("arccos", "relu_output", "relu_hidden", "relu_ntk")


# ----------------------------------------------------------------------------- argument checks


def _dimension(value):
    """(nn, exact): the dimension as a sympy expression, and whether it is an integer."""
    if value is None:
        return n, False
    if isinstance(value, sp.Basic):
        if value.is_Number:
            if not value.is_Integer:
                raise TypeError(f"n must be an integer >= 2 or a sympy expression, got {value!r}")
            value = int(value)
        else:
            if not isinstance(value, sp.Expr) or not value.free_symbols:
                raise TypeError(f"n must be an integer >= 2 or a sympy expression, got {value!r}")
            if not value.is_polynomial(*value.free_symbols):
                raise TypeError(f"a symbolic n must be polynomial in its symbols, got {value!r}")
            return value, False
    return sp.Integer(check_int(value, "n", 2)), True


def _exact(value, name: str):
    """A real parameter as an exact sympy number or expression (floats read as their repr)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number or sympy expression, got {value!r}")
    if isinstance(value, sp.Basic):
        if not isinstance(value, sp.Expr) or value.is_real is False:
            raise TypeError(f"{name} must be a real number or sympy expression, got {value!r}")
        if value.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return value
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, numbers.Real):
        x = float(value)
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"{name} must be finite, got {value!r}")
        # The decimal the float prints as (0.1 -> 1/10); pass sympy.Rational for other values.
        return sp.Rational(repr(x))
    raise TypeError(f"{name} must be a real number or sympy expression, got {value!r}")


# ------------------------------------------------------------------------------ Gamma ratios


def _rising(nn, c: int, m: int):
    """prod_{i<m} (nn + c + 2i) for m >= 0 (so Gamma((nn+c)/2 + m) = Gamma((nn+c)/2) * this/2^m)."""
    out = sp.Integer(1)
    for i in range(m):
        out *= nn + c + 2 * i
    return out


def _gamma_ratio(nn, c1, c2):
    """Gamma((nn + c1)/2) / Gamma((nn + c2)/2) for rational c1, c2.

    For c1 - c2 even this is a product of linear factors; for integer c1, c2 of different parity
    it is reduced to Gamma(nn/2)/Gamma((nn+1)/2) times such products (a canonical form that
    sympy then evaluates exactly at integer nn).
    """
    c1, c2 = sp.sympify(c1), sp.sympify(c2)
    if not (c1.is_Rational and c2.is_Rational):
        return sp.gamma((nn + c1) / 2) / sp.gamma((nn + c2) / 2)
    d = c1 - c2
    if d.is_integer and d % 2 == 0:
        m = int(d) // 2
        if m >= 0:
            return _rising(nn, c2, m) / 2**m
        return 2 ** (-m) / _rising(nn, c1, -m)
    if c1.is_integer and c2.is_integer:
        e1, e2 = int(c1) % 2, int(c2) % 2
        base = sp.gamma((nn + e1) / 2) / sp.gamma((nn + e2) / 2)
        return base * _gamma_ratio(nn, c1, e1) / _gamma_ratio(nn, c2, e2)
    return sp.gamma((nn + c1) / 2) / sp.gamma((nn + c2) / 2)


def _prod_n(nn, k: int):
    """prod_{j<k} (nn + 2j), the denominator of (R)."""
    return _rising(nn, 0, k)


def _c_nu(nn, m_shift: int):
    """c_m = Gamma(m/2) / (sqrt(pi) Gamma((m-1)/2)) for m = nn + m_shift."""
    return _gamma_ratio(nn, m_shift, m_shift - 1) / sp.sqrt(sp.pi)


# ------------------------------------------------------------------ Legendre polynomials (exact)


def _legendre_numerators(kmax: int, dim, x, one):
    """Numerators N_k and denominators D_k of P_{k,dim}(x) = N_k / D_k, k = 0..kmax.

    The normalized recurrence (k + dim - 2) P_{k+1} = (2k + dim - 2) x P_k - k P_{k-1} with the
    division postponed: D_{k+1} = D_k (k + dim - 2), so
    N_{k+1} = (2k + dim - 2) x N_k - k (D_k / D_{k-1}) N_{k-1}, D_k / D_{k-1} = k + dim - 3
    (= 1 for k = 1).  Only ring operations, so ``dim`` and ``x`` may live in any exact ring
    (Fractions, polynomials in n and t) and nothing is divided by k + dim - 2 = 0 at dim = 2.
    """
    nums, dens = [one, x], [one, one]
    for k in range(1, kmax):
        ratio = (k + dim - 3) if k >= 2 else one
        nums.append((2 * k + dim - 2) * x * nums[k] - k * ratio * nums[k - 1])
        dens.append(dens[k] * (k + dim - 2))
    return nums[: kmax + 1], dens[: kmax + 1]


@lru_cache(maxsize=1024)
def _legendre_expr(k: int, nn, exact: bool, x):
    """P_{k, nn}(x) as a sympy expression; nn an Integer (exact) or a polynomial in symbols.

    x Rational: a number (exact nn) or one factored rational function of n.  Otherwise a
    polynomial in x with rational (exact nn) or factored rational-function coefficients.
    """
    if k == 0:
        return sp.Integer(1)
    if exact and x.is_Rational:
        fx = Fraction(int(x.p), int(x.q))
        nums, dens = _legendre_numerators(k, int(nn), fx, Fraction(1))
        val = nums[k] / dens[k]
        return sp.Rational(val.numerator, val.denominator)
    syms = [] if exact else sorted(nn.free_symbols, key=str)
    gen = sp.Dummy("x")
    R, *gens = ring([*syms, gen], sp.QQ)
    xr = R(x) if x.is_Rational else gens[-1]
    nums, dens = _legendre_numerators(k, R(nn), xr, R.one)
    num, den = nums[k].as_expr(), dens[k].as_expr()
    if x.is_Rational:
        return sp.factor(num / den)
    poly = sp.Poly(num, gen)
    terms = []
    for (deg,), c in zip(poly.monoms(), poly.coeffs()):
        coef = c / den if exact else sp.factor(c / den)
        terms.append(coef * x**deg)
    return sp.Add(*terms)


def legendre(k: int, n=None, t=None):
    """Legendre polynomial of dimension n, P_{k,n}(t) = C_k^{(alpha)}(t) / C_k^{(alpha)}(1), exact.

    alpha = (n-2)/2, normalized by P_{k,n}(1) = 1 (MATH.md); n = 2 gives the Chebyshev T_k and
    n = 3 the classical Legendre P_k.  Built from the three-term recurrence
    (k + n - 2) P_{k+1,n}(t) = (2k + n - 2) t P_{k,n}(t) - k P_{k-1,n}(t) on exact coefficients
    (polynomials in n and t, a single division at the end), so it is exact for symbolic n and
    never divides by zero at n = 2.  Orthogonality: E_{t~nu_n}[P_{j,n} P_{k,n}] = delta_jk/N(n,k).

    Parameters
    ----------
    k : int >= 0
    n : None (the symbol :data:`n`), an int >= 2, or a sympy expression polynomial in symbols
    t : variable, a sympy expression (default the symbol :data:`t`); a number evaluates exactly

    Returns
    -------
    sympy expression: a degree-k polynomial in ``t`` with rational coefficients (integer n) or
    factored rational functions of n as coefficients.

    >>> legendre(2, 3)
    3*t**2/2 - 1/2
    >>> legendre(2)
    n*t**2/(n - 1) - 1/(n - 1)
    >>> legendre(4, 2)  # Chebyshev T_4
    8*t**4 - 8*t**2 + 1
    """
    k = check_degree(k)
    nn, exact = _dimension(n)
    var = globals()["t"] if t is None else _exact(t, "t")
    return _legendre_expr(k, nn, exact, var)


def dim_harmonics(k: int, n=None):
    """N(n, k) = dim H_k = C(n+k-1, k) - C(n+k-3, k-2) as a polynomial in n.  Note the (k, n) order.

    N(n, 0) = 1 and, for k >= 1, N(n, k) = (2k + n - 2) (n - 1) n (n + 1) ... (n + k - 3) / k!,
    a polynomial of degree k - 1 in n, returned factored (``sympy.expand`` it if you like); it
    gives N(2, k) = 2 and N(n, 1) = n.  With an integer n: the exact :class:`sympy.Integer`
    ``harmonics.dim_harmonics(n, k)`` (whose argument order is (n, k)).

    >>> dim_harmonics(2)
    (n - 1)*(n + 2)/2
    >>> dim_harmonics(6, 100)
    1604922825
    """
    k = check_degree(k)
    nn, exact = _dimension(n)
    if exact:
        from .dimensions import dim_harmonics as _dim_int

        return sp.Integer(_dim_int(int(nn), k))
    if k == 0:
        return sp.Integer(1)
    return (2 * k + nn - 2) * sp.Mul(*[nn - 2 + i for i in range(1, k)]) / sp.factorial(k)


# ------------------------------------------------------------------ eigenvalues: building blocks


def _truth(relation):
    """True / False when sympy can decide ``relation``, else None."""
    if relation is sp.true or relation is True:
        return True
    if relation is sp.false or relation is False:
        return False
    return None


def _poly_eigenvalue(coeffs, k: int, nn, exact: bool):
    """lambda_k of the polynomial sum_j coeffs[j] t^j, by (R) and (M).

    lambda_k = sum_i a_{k+2i} (k+2i)!/(2i)! (2i-1)!! / prod_{j<k+i} (n + 2j).
    """
    terms = []
    for i in range((len(coeffs) - k + 1) // 2 if len(coeffs) > k else 0):
        a = coeffs[k + 2 * i]
        if a == 0:
            continue
        w = sp.factorial(k + 2 * i) / sp.factorial(2 * i) * sp.factorial2(2 * i - 1)
        terms.append((a, w / _prod_n(nn, k + i)))
    if not terms:
        return sp.Integer(0)
    if exact or not all(a.is_number for a, _ in terms):
        return sp.Add(*[a * w for a, w in terms])
    return sp.factor(sp.Add(*[a * w for a, w in terms]))


def _upper_integral(i: int, m: int, c):
    """int_c^1 t^i (1 - t^2)^{(m-3)/2} dt for an integer m >= 2, in closed form.

    Odd m: (1 - t^2)^a, a = (m-3)/2 >= 0, is a polynomial.  Even m: a = r - 1/2 and, with
    J_j = int_c^1 t^j (1-t^2)^{-1/2} dt, J_0 = arccos c, J_1 = sqrt(1 - c^2),
    J_j = ((j-1) J_{j-2} + c^{j-1} sqrt(1 - c^2)) / j (integrate d/dt[t^{j-1} sqrt(1-t^2)]).
    """
    if m % 2 == 1:
        a = (m - 3) // 2
        return sp.Add(
            *[
                sp.binomial(a, l) * (-1) ** l * (1 - c ** (i + 2 * l + 1)) / (i + 2 * l + 1)
                for l in range(a + 1)
            ]
        )
    r = (m - 2) // 2
    root = sp.sqrt(1 - c**2)
    jmax = i + 2 * r
    J = [sp.acos(c), root]
    for j in range(2, jmax + 1):
        J.append(((j - 1) * J[j - 2] + c ** (j - 1) * root) / j)
    return sp.Add(*[sp.binomial(r, l) * (-1) ** l * J[i + 2 * l] for l in range(r + 1)])


def _upper_moment(i: int, k: int, nn, exact: bool, c):
    """U_i = E_{t~nu_m}[t^i 1{t > c}] with m = nn + 2k, |c| < 1."""
    if exact:
        return _c_nu(nn, 2 * k) * _upper_integral(i, int(nn) + 2 * k, c)
    # int_0^c t^i (1-t^2)^a dt = c^{i+1}/(i+1) 2F1(-a, (i+1)/2; (i+3)/2; c^2), a = (m-3)/2.
    a = (nn + 2 * k - 3) / 2
    half_moment = (
        sp.gamma(sp.Rational(i + 1, 2)) / (2 * sp.sqrt(sp.pi)) * _gamma_ratio(nn, 2 * k, 2 * k + i)
    )
    lower = (
        c ** (i + 1)
        / (i + 1)
        * sp.hyper([-a, sp.Rational(i + 1, 2)], [sp.Rational(i + 3, 2)], c**2)
    )
    return half_moment - _c_nu(nn, 2 * k) * lower


def _tp_unbiased(s, k: int, nn):
    """(G): lambda_k(t_+^s) = Gamma(s+1) Gamma(n/2) / (2^{s+1} Gamma(1+(s-k)/2) Gamma((n+s+k)/2))."""
    g = 1 + (s - k) / 2
    if g.is_integer and g <= 0:
        return sp.Integer(0)
    return sp.gamma(s + 1) * _gamma_ratio(nn, 0, s + k) / (2 ** (s + 1) * sp.gamma(g))


def _tp_inside(p: int, c, k: int, nn, exact: bool):
    """lambda_k((t - c)_+^p) for |c| < 1: (T) for k > p, the moment form (R) for k <= p."""
    if k > p:
        leg = _legendre_expr(k - 1 - p, nn + 2 + 2 * p, exact, c)
        return (
            sp.factorial(p)
            * (1 - c**2) ** ((nn - 1) / 2 + p)
            * leg
            * _gamma_ratio(nn, 0, 1 + 2 * p)
            / (sp.sqrt(sp.pi) * 2 ** (p + 1))
        )
    q = p - k
    moment = sp.Add(
        *[
            sp.binomial(q, i) * (-c) ** (q - i) * _upper_moment(i, k, nn, exact, c)
            for i in range(q + 1)
        ]
    )
    value = sp.factorial(p) / sp.factorial(q) * moment / _prod_n(nn, k)
    return sp.expand(value) if exact else value


def _truncated_power(p, c, k: int, nn, exact: bool):
    """lambda_k((t - c)_+^p) on [-1, 1]; p >= 0 (integer unless c = 0)."""
    if c.is_zero:
        return _tp_unbiased(p, k, nn)
    if not (p.is_Integer and p >= 0):
        raise ValueError(
            f"a biased relu^s needs an integer power s >= 0 for a closed form, got power={p}; "
            + _NUMERIC_HINT
        )
    p = int(p)
    # Outside [-1, 1]: 0 for c >= 1; for c <= -1 the polynomial (t - c)^p.
    below = [sp.binomial(p, j) * (-c) ** (p - j) for j in range(p + 1)]
    if _truth(c >= 1):
        return sp.Integer(0)
    if _truth(c <= -1):
        return _poly_eigenvalue(below, k, nn, exact)
    inside = _tp_inside(p, c, k, nn, exact)
    if _truth(c > -1) and _truth(c < 1):
        return inside
    # Undecidable (symbolic bias or scale): every case, exactly.
    return sp.Piecewise(
        (inside, sp.And(c > -1, c < 1)),
        (_poly_eigenvalue(below, k, nn, exact), c <= -1),
        (sp.Integer(0), True),
    )
