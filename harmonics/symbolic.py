"""Exact (sympy) Funk-Hecke eigenvalues, Legendre polynomials, dimensions and ReLU kernels.

Convention (docs/conventions.md, "The sphere, its measure, and the law of one coordinate" and
"Funk-Hecke eigenvalues"): uniform probability measure on S^{n-1} (n = ambient dimension),
t = <x, e>
has law nu_n with density c_n (1 - t^2)^{(n-3)/2}, c_n = Gamma(n/2) / (sqrt(pi) Gamma((n-1)/2)),
P_{k,n}(1) = 1, and the Funk-Hecke eigenvalue is lambda_k(phi) = E_{t~nu_n}[phi(t) P_{k,n}(t)], so
phi(t) = sum_k N(n,k) lambda_k(phi) P_{k,n}(t).

Every result is a sympy expression.  Arguments come in the order dimension n, then degree k
(``legendre(n, k)``, ``dim_harmonics(n, k)``, ``funk_hecke_eigenvalue(activation, n, k)``; until
0.2.0 it was k, n -- see CHANGELOG.md).  Pass the symbol :data:`n` (or ``n=None``, or leave n out
and pass ``k=`` by keyword) for a closed form in n, a Python int for an exact number, or your own
sympy expression for n (e.g. ``2*m + 1``).  Results are expressions in the plain symbols
``Symbol('n')`` and ``Symbol('t')`` (:data:`n`, :data:`t`), so ``expr.subs(symbolic.n, 7)`` and
``expr.subs('n', 7)`` both work.  Symbols are recognized by name: any symbol named ``n`` (whatever
its assumptions) is the dimension and any symbol named ``t`` is the variable (internally the
dimension carries the assumptions integer, positive, so that the closed forms simplify).

How it is computed (no ``sympy.integrate`` anywhere, so nothing can hang)::

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
        (T) and (R) have one implementation, harmonics/truncated_power.py, run here in exact
        arithmetic (and in mpmath / float64 by harmonics.funk_hecke / gd_operator).

relu, step, sign, abs and relu^p (and their gates phi(scale * t + bias)) are sums of these terms
(sign = 2 step - 1, abs(x) = 2 relu(x) - x; t -> -t multiplies lambda_k by (-1)^k), and
polynomials use (R) + (M) directly.  All formulas hold for every integer n >= 2 (n = 2 included;
no exceptions), and the symbolic results reduce to the integer-n results on substitution
(tested at n = 2, 3, 4, 5, 10, 11).

Exact numbers at large n: an exact value carries Gamma(n/2)/Gamma((n+1)/2), a ratio of
integers with about n log10(n)/2 digits; fine up to n ~ 10^4 (~0.15 s), slow beyond.  Caution
when converting to floats: for a biased gate at k <= p (e.g. biased relu, k = 0, 1) the exact
form is A + B sqrt(1 - t0^2) + C arccos(t0) whose terms cancel to ~(1 - t0^2)^{n/2}; sympy's
``float()`` / ``N(expr)`` give up after 100 digits of cancellation and can return a wrong value
(seen at n = 10^4) -- use ``sympy.N(expr, 15, maxn=10**5, strict=True)``.  For floats at large n
use :func:`harmonics.funk_hecke_eigenvalues` (log=True below the float64 range).

References: Atkinson & Han, "Spherical Harmonics and Approximations on the Unit Sphere",
Springer LNM 2044 (2012), sec. 2.7-2.8 (Rodrigues, Funk-Hecke); Cho & Saul, "Kernel Methods for
Deep Learning", NIPS 2009 (arc-cosine kernels).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from functools import lru_cache

import sympy as sp
from sympy.polys.rings import ring

from ._infra.checks import check_degree, check_int
from .truncated_power import closed_form, low_degree

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

#: The dimension symbol (plain ``Symbol('n')``): symbolic-n results are expressions in it.
n = sp.Symbol("n")
#: Variable of :func:`legendre` and of polynomial activations given as sympy expressions.
t = sp.Symbol("t")
#: Variable (the correlation <x, y>) of :func:`arccos_kernel` and :func:`relu_kernel`.
rho = sp.Symbol("rho")
# The dimension while computing: with these assumptions sympy keeps the closed forms simplified
# (Gamma ratios, powers, signs).  It never leaves the module: results are returned in the
# user's symbol named n, by default the plain :data:`n` (so that ``.subs('n', 3)`` works).
_N = sp.Symbol("n", integer=True, positive=True)

_SUPPORTED = ("relu", "step", "sign", "abs", "relu_power", "polynomial", "identity")
_NUMERIC_HINT = (
    "for numerical eigenvalues of any activation (sigmoid, tanh, erf, softplus, gelu, "
    "callables) use harmonics.funk_hecke_eigenvalues(activation, n, kmax)"
)
# Biased gates at k <= p with an irrational or symbolic kink t0 and integer n: elementary
# closed form (cost ~ n^2 symbolic operations) up to this n + 2k, the 2F1 form beyond.
_ELEMENTARY_MAX_DIM = 30
_KERNELS = ("arccos", "relu_output", "relu_hidden", "relu_ntk")


# ----------------------------------------------------------------------------- argument checks


def _named(expr, name: str) -> set:
    """The free symbols of ``expr`` called ``name``, whatever their assumptions (no Dummies)."""
    if not isinstance(expr, sp.Basic):
        return set()
    return {
        s
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy) and s.name == name
    }


def _bind_dimension(expr, nn):
    """``expr`` with every symbol named n replaced by the dimension ``nn``."""
    rep = {s: nn for s in _named(expr, "n")}
    return expr.xreplace(rep) if rep else expr


def _no_variable(value, name: str):
    """Refuse the variable t inside a parameter (scale, bias, power, coeffs, n)."""
    if _named(value, "t"):
        raise ValueError(
            f"{name}={value!r} contains the symbol t, the variable of the activation; "
            f"a parameter cannot depend on it"
        )
    return value


def _dimension(value):
    """(nn, exact, out): the dimension as a sympy expression, whether it is an integer, and the
    symbol named n the results are returned in (the user's own, else the plain :data:`n`).

    Symbols named n inside ``value`` become the internal integer, positive ``_N``.
    """
    if value is None:
        return _N, False, n
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
            _no_variable(value, "n")
            named = _named(value, "n")
            out = next(iter(named)) if len(named) == 1 else n
            return _bind_dimension(value, _N), False, out
    return sp.Integer(check_int(value, "n", 2)), True, n


def _public(expr, out):
    """A result as returned: the internal dimension symbol replaced by ``out``."""
    return expr.xreplace({_N: out}) if out is not _N and isinstance(expr, sp.Basic) else expr


#: Cost limits of the exact functions, checked before sympy starts (raise an entry to go past
#: it): the degree k (``legendre`` with numeric n: 0.2 s at k = 500), k with a symbolic n for
#: everything but ``dim_harmonics`` (``legendre(n, 40)`` takes ~0.6 s, k = 60 takes 2 s, k = 150
#: 30 s), and a numeric n for the eigenvalues (exact Gamma ratios of ~n log n digits: 0.5 s at
#: 10^5).
LIMITS = {"degree": 1000, "degree_symbolic_n": 40, "dimension": 10**5}


def _check_limits(func: str, n_value, exact: bool, k: int) -> None:
    def refuse(what, limit):
        return ValueError(
            f"{func}: {what} is above the limit {limit} of the exact (sympy) computation; raise "
            f"harmonics.symbolic.LIMITS[...] to go past it, or use the float64 "
            f"harmonics.{func if func != 'funk_hecke_eigenvalue' else 'funk_hecke_eigenvalues'}"
        )

    if k > LIMITS["degree"]:
        raise refuse(f"k = {k}", f"k <= {LIMITS['degree']} (LIMITS['degree'])")
    if not exact and func != "dim_harmonics" and k > LIMITS["degree_symbolic_n"]:
        raise refuse(
            f"k = {k} with a symbolic n",
            f"k <= {LIMITS['degree_symbolic_n']} (LIMITS['degree_symbolic_n'])",
        )
    if exact and func in ("funk_hecke_eigenvalue", "kernel_eigenvalue"):
        if int(n_value) > LIMITS["dimension"]:
            raise refuse(f"n = {int(n_value)}", f"n <= {LIMITS['dimension']} (LIMITS['dimension'])")
    if exact and func == "dim_harmonics" and k >= 2:
        import math

        nv = int(n_value)
        digits = (math.lgamma(nv + k) - math.lgamma(k + 1) - math.lgamma(nv)) / math.log(10)
        if digits > 10**5:
            raise refuse(f"N(n, k) with ~{digits:.3g} digits", "10^5 digits")


def _dimension_and_degree(func: str, n_value, k_value, lead: str = ""):
    """(nn, exact, out, k) for a public function's (n, k) pair; the degree k is required.

    Guards the 0.2.0 flip from (k, n) to (n, k): the old one-argument call ``legendre(2)`` (k = 2
    in the symbolic dimension) now binds 2 to n, and must fail instead of reading it as n = 2.
    """
    if k_value is None:
        if n_value is None:
            raise TypeError(f"{func}() missing the degree k: {func}({lead}n, k, ...)")
        raise TypeError(
            f"{func}() got n={n_value!r} but no degree k: the order is {func}({lead}n, k, ...) "
            f"since funkhecke 0.2.0 (it was ({lead}k, n) before; see CHANGELOG.md).  For degree "
            f"{n_value!r} in the symbolic dimension write {func}({lead}symbolic.n, {n_value!r}) "
            f"or {func}({lead}k={n_value!r})"
        )
    k = check_degree(k_value)
    nn, exact, out = _dimension(n_value)
    _check_limits(func, nn, exact, k)
    return nn, exact, out, k


def _exact(value, name: str):
    """A real parameter as an exact sympy number or expression (floats read as their repr);
    exact numbers with more than 100 digits in numerator or denominator are refused (sympy's
    factorizations of them overflowed inside sympy, e.g. scale = 10**300)."""
    out = _exact_value(value, name)
    if isinstance(out, sp.Rational):
        if max(abs(int(out.p)), abs(int(out.q))) > 10**100:
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            raise ValueError(
                f"{name} must have at most 100 digits in numerator and denominator, got {shown}"
            )
    return out


def _exact_value(value, name: str):
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number or sympy expression, got {value!r}")
    if isinstance(value, sp.Basic):
        if not isinstance(value, sp.Expr) or value.is_real is False:
            raise TypeError(f"{name} must be a real number or sympy expression, got {value!r}")
        if value.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise ValueError(f"{name} must be finite, got {value!r}")
        if value.is_Float:  # like Python floats: the decimal it prints as
            return sp.Rational(repr(float(value)))
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


def _factored_ratio(num, den, ring_):
    """num/den (polynomial ring elements) as one factored sympy expression."""
    cn, fn = num.factor_list()
    cd, fd = den.factor_list()
    coeff = ring_.domain.to_sympy(cn) / ring_.domain.to_sympy(cd)
    return sp.Mul(coeff, *[f.as_expr() ** m for f, m in fn], *[f.as_expr() ** -m for f, m in fd])


@lru_cache(maxsize=1024)
def _legendre_expr(k: int, nn, exact: bool, x):
    """P_{k, nn}(x) as a sympy expression; nn an Integer (exact) or a polynomial in symbols.

    x Rational: a number (exact nn) or one factored rational function of n.  Otherwise a
    polynomial in x whose coefficients are rationals (exact nn) or factored rational functions.
    """
    if k == 0:
        return sp.Integer(1)
    if exact and x.is_Rational:
        fx = Fraction(int(x.p), int(x.q))
        nums, dens = _legendre_numerators(k, int(nn), fx, Fraction(1))
        val = nums[k] / dens[k]
        return sp.Rational(val.numerator, val.denominator)
    syms = [] if exact else sorted(nn.free_symbols, key=str)
    if x.is_Rational:  # symbolic n, numeric x: one rational function of n
        R, *_ = ring(syms, sp.QQ)
        nums, dens = _legendre_numerators(k, R(nn), R(x), R.one)
        num, den = nums[k].cancel(dens[k])
        return _factored_ratio(num, den, R)
    gen = sp.Dummy("x")
    R, *gens = ring([*syms, gen], sp.QQ)
    nums, dens = _legendre_numerators(k, R(nn), gens[-1], R.one)
    # Group the numerator by powers of x; coefficients live in QQ[syms].
    if not syms:
        den = sp.Rational(dens[k].as_expr())
        coeffs = {}
        for (deg,), c in nums[k].terms():
            coeffs[deg] = sp.Rational(R.domain.to_sympy(c)) / den
    else:
        R2, *gens2 = ring(syms, sp.QQ)
        den2 = R2.from_dict({mono[:-1]: c for mono, c in dens[k].terms()})
        groups = {}
        for mono, c in nums[k].terms():
            groups.setdefault(mono[-1], {})[mono[:-1]] = c
        coeffs = {}
        for deg, terms in groups.items():
            num, den = R2.from_dict(terms).cancel(den2)
            coeffs[deg] = _factored_ratio(num, den, R2)
    out = sp.Add(*[c * x**deg for deg, c in sorted(coeffs.items(), reverse=True)])
    return sp.expand(out) if exact and not x.is_Symbol else out


def legendre(n=None, k: int | None = None, t=None):
    """Legendre polynomial of dimension n, P_{k,n}(t) = C_k^{(alpha)}(t) / C_k^{(alpha)}(1), exact.

    alpha = (n-2)/2, normalized by P_{k,n}(1) = 1 (docs/conventions.md, "Spherical harmonics and
    Legendre polynomials of dimension n"); n = 2 gives the Chebyshev T_k and
    n = 3 the classical Legendre P_k.  Built from the three-term recurrence
    (k + n - 2) P_{k+1,n}(t) = (2k + n - 2) t P_{k,n}(t) - k P_{k-1,n}(t) on exact coefficients
    (polynomials in n and t, a single division at the end), so it is exact for symbolic n and
    never divides by zero at n = 2.  Orthogonality: E_{t~nu_n}[P_{j,n} P_{k,n}] = delta_jk/N(n,k).

    Parameters
    ----------
    n : the symbol :data:`n` (or None, or omitted with ``k=`` given by keyword: symbolic n), an
        int >= 2, or a sympy expression polynomial in symbols (symbols named n are the dimension)
    k : int >= 0, required (``legendre(2)`` raises TypeError: until 0.2.0 that meant k = 2)
    t : variable, a sympy expression (default the symbol :data:`t`); a number evaluates exactly

    Returns
    -------
    sympy expression: a degree-k polynomial in ``t`` with rational coefficients (integer n) or
    factored rational functions of n as coefficients.

    >>> legendre(3, 2)
    3*t**2/2 - 1/2
    >>> legendre(n, 2)  # or legendre(k=2)
    n*t**2/(n - 1) - 1/(n - 1)
    >>> legendre(2, 4)  # Chebyshev T_4
    8*t**4 - 8*t**2 + 1
    """
    nn, exact, out, k = _dimension_and_degree("legendre", n, k)
    var = globals()["t"] if t is None else _bind_dimension(_exact(t, "t"), nn)
    return _public(_legendre_expr(k, nn, exact, var), out)


def dim_harmonics(n=None, k: int | None = None):
    """N(n, k) = dim H_k = C(n+k-1, k) - C(n+k-3, k-2) as a polynomial in n.

    Same (n, k) order as :func:`harmonics.dim_harmonics` (until 0.2.0 this one took (k, n)); n is
    the symbol :data:`n` (or None, or omitted with ``k=`` by keyword), an int or an expression,
    and k is required.  N(n, 0) = 1 and, for k >= 1,
    N(n, k) = (2k + n - 2) (n - 1) n (n + 1) ... (n + k - 3) / k!, a polynomial of degree k in n,
    returned factored (``sympy.expand`` it if you like); it gives N(2, k) = 2 and N(n, 1) = n.
    With an integer n: the exact :class:`sympy.Integer` ``harmonics.dim_harmonics(n, k)``.

    >>> dim_harmonics(n, 2)  # or dim_harmonics(k=2)
    (n - 1)*(n + 2)/2
    >>> dim_harmonics(100, 6)
    1604922825
    """
    nn, exact, out, k = _dimension_and_degree("dim_harmonics", n, k)
    if exact:
        from .dimensions import dim_harmonics as _dim_int

        return sp.Integer(_dim_int(int(nn), k))
    if k == 0:
        return sp.Integer(1)
    expr = (2 * k + nn - 2) * sp.Mul(*[nn - 2 + i for i in range(1, k)]) / sp.factorial(k)
    return _public(expr, out)


# ------------------------------------------------------------------ eigenvalues: building blocks


def _tidy(expr, exact: bool):
    """Final form: factored (rational functions of n, gamma ratios) for symbolic n."""
    if exact or expr.is_number:
        return expr
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*[(_tidy(e, exact), c) for e, c in expr.args])
    if expr.has(sp.hyper, sp.Piecewise) or any(p.exp.free_symbols for p in expr.atoms(sp.Pow)):
        # factor() would expand the 2F1 terms and split (1 - t0^2)^{(n-1)/2+p}; the pieces
        # were factored where they were built.
        return expr
    return sp.factor(expr)


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
    """int_c^1 t^i (1 - t^2)^a dt, a = (m-3)/2, for an integer m >= 2 and |c| < 1, exactly.

    Integrating d/dt[t^{i+1} (1-t^2)^a] over [c, 1] (a > 0) gives the recursion in a
        I(i, a) = (2a I(i, a-1) - c^{i+1} (1 - c^2)^a) / (i + 1 + 2a),
    started at a = 0 (odd m): I = (1 - c^{i+1})/(i+1), or at a = -1/2 (even m): I = J_i with
    J_0 = arccos c, J_1 = sqrt(1 - c^2), J_j = ((j-1) J_{j-2} + c^{j-1} sqrt(1-c^2)) / j.
    The result is A + B sqrt(1 - c^2) + C arccos(c); O(m) steps.  For rational c = u/v the
    steps run on integers with the denominator v^{i+1+2T} R_T kept apart (no gcd per step), so
    m ~ 10^4 takes well under a second.
    """
    half = m % 2 == 0
    steps = (m - 2) // 2 if half else (m - 3) // 2
    root = sp.sqrt(1 - c**2)
    if half:  # (A, B, C) of J_i
        J = [(0, 0, 1), (0, 1, 0)]
        for jj in range(2, i + 1):
            pa, pb, pc = J[jj - 2]
            cj = c ** (jj - 1)
            J.append(((jj - 1) * pa / jj, ((jj - 1) * pb + cj) / jj, (jj - 1) * pc / jj))
        start = [sp.sympify(x) for x in J[i]]
    else:
        start = [(1 - c ** (i + 1)) / (i + 1), sp.Integer(0), sp.Integer(0)]
    slot = 1 if half else 0  # the c^{i+1} (1-c^2)^a term: times sqrt(1-c^2) iff a half-integer
    if c.is_Rational:
        u, v = int(c.p), int(c.q)
        starts = [sp.Rational(x) for x in start]
        R = 1
        for x in starts:
            R = math.lcm(R, int(x.q))
        X = [int(x.p) * (R // int(x.q)) * v ** (i + 1) for x in starts]
        WR = R  # W * R, W = (v^2 - u^2)^{a or a - 1/2}; only small factors multiply in
        ui = u ** (i + 1)
        vv, d = v * v, v * v - u * u
        a2 = -1 if half else 0
        for t in range(1, steps + 1):
            a2 += 2
            if not half or t > 1:
                WR *= d
            term = ui * WR * (vv if half else 1)
            X = [a2 * vv * x for x in X]
            X[slot] -= term
            R *= i + 1 + a2
            WR *= i + 1 + a2
        Q = v ** (i + 1 + 2 * steps) * R
        A, B, C = (sp.Rational(x, Q) for x in X)
        return A + B * root + C * sp.acos(c)
    A, B, C = start
    a2 = -1 if half else 0
    w = sp.Integer(1)
    ci = c ** (i + 1)
    for t in range(1, steps + 1):
        a2 += 2
        if not half or t > 1:
            w = sp.expand(w * (1 - c**2))
        den = i + 1 + a2
        vals = [sp.expand(a2 * x / den) for x in (A, B, C)]
        vals[slot] = sp.expand(vals[slot] - ci * w / den)
        A, B, C = vals
    return A + B * root + C * sp.acos(c)


def _upper_moment(i: int, k: int, nn, exact: bool, c):
    """U_i = E_{t~nu_m}[t^i 1{t > c}] with m = nn + 2k, |c| < 1."""
    if exact and (c.is_Rational or int(nn) + 2 * k <= _ELEMENTARY_MAX_DIM):
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
    """(G): lambda_k(t_+^s) = Gamma(s+1) Gamma(n/2) / (2^{s+1} Gamma(1+(s-k)/2) Gamma((n+s+k)/2)).

    Zero exactly when 1 + (s-k)/2 is a pole of Gamma (k > s, k - s even).
    """
    g = 1 + (s - k) / 2
    if g.is_integer and g <= 0:
        return sp.Integer(0)
    return sp.gamma(s + 1) * _gamma_ratio(nn, 0, s + k) / (2 ** (s + 1) * sp.gamma(g))


class _SympyOps:
    """Exact sympy arithmetic for the truncated-power formulas of :mod:`harmonics.truncated_power`
    (the one implementation of (T) and (R), shared with the mpmath and float64 paths)."""

    zero = sp.Integer(0)
    sqrt_pi = sp.sqrt(sp.pi)

    def __init__(self, exact: bool):
        self.exact = exact

    @staticmethod
    def half(x):
        return sp.sympify(x) / 2

    @staticmethod
    def gamma_ratio(nn, c1, c2):
        return _gamma_ratio(nn, c1, c2)

    def upper_moment(self, i: int, nn, shift: int, c):
        return _upper_moment(i, shift // 2, nn, self.exact, c)


def _tp_inside(p: int, c, k: int, nn, exact: bool):
    """lambda_k((t - c)_+^p) for |c| < 1: (T) for k > p, the moment form (R) for k <= p
    (harmonics.truncated_power.closed_form / low_degree in exact arithmetic)."""
    ops = _SympyOps(exact)
    if k > p:
        exponent, constant, dim = closed_form(ops, p, nn)
        rest = constant * _legendre_expr(k - 1 - p, dim, exact, c)
        if not exact and not c.free_symbols:
            rest = sp.factor(rest)
        return (1 - c**2) ** exponent * rest
    value = low_degree(ops, p, c, nn, k)
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


# ------------------------------------------------------------------------ activations (gates)


def _unsupported(activation) -> ValueError:
    return ValueError(
        f"no closed form for activation {activation!r} in harmonics.symbolic; supported: "
        f"{', '.join(_SUPPORTED)} (with scale=, bias=; power= for relu_power, e.g. 'relu2'; "
        "coeffs=[a0, a1, ...] for polynomial; or a sympy polynomial in harmonics.symbolic.t); "
        + _NUMERIC_HINT
    )


def _resolve(activation, scale, bias, power, coeffs):
    """(name, scale, bias, power, coeffs) with exact sympy parameters."""
    from .activations import Activation, _parse_name

    if isinstance(activation, Activation):
        if scale != 1 or bias != 0 or power is not None or coeffs is not None:
            raise ValueError("pass scale/bias/power/coeffs when building the Activation, not both")
        name, scale, bias = activation.name, activation.scale, activation.bias
        power, coeffs = activation.power, activation.coeffs
        if name not in _SUPPORTED:
            raise _unsupported(name)
    elif isinstance(activation, sp.Expr):
        if power is not None or coeffs is not None:
            raise ValueError("power= and coeffs= do not apply to a sympy expression activation")
        # The variable is any symbol named t, whatever its assumptions (symbolic.t, or a user's
        # sympy.Symbol('t', real=True)); other free symbols are symbolic coefficients.
        var = sp.Dummy("t")
        tsyms = _named(activation, "t")
        expr = activation.xreplace({s: var for s in tsyms})
        if not tsyms and not _named(expr, "n") >= expr.free_symbols:
            others = ", ".join(sorted(map(str, expr.free_symbols)))
            raise ValueError(
                f"the activation {activation!r} has no symbol named t, the variable (its free "
                f"symbols {others} would be constant coefficients); write it in "
                "harmonics.symbolic.t or sympy.Symbol('t')"
            )
        if not expr.is_polynomial(var):
            raise _unsupported(activation)
        name = "polynomial"
        coeffs = sp.Poly(expr, var).all_coeffs()[::-1] if expr.has(var) else [expr]
    elif isinstance(activation, str):
        name, parsed_power = _parse_name(activation)
        if name not in _SUPPORTED:
            raise _unsupported(activation)
        if name == "relu_power":
            if parsed_power is not None and power is not None and power != parsed_power:
                raise ValueError(f"power={power} conflicts with the name {activation!r}")
            power = parsed_power if parsed_power is not None else power
            if power is None:
                raise ValueError("relu_power needs power=s (a real s >= 0), e.g. 'relu2'")
        elif power is not None:
            raise ValueError(f"power= applies to relu_power only, not {name!r}")
        if name == "polynomial":
            if coeffs is None:
                raise ValueError("polynomial needs coeffs=[a0, a1, ...] (ascending powers of t)")
        elif coeffs is not None:
            raise ValueError(f"coeffs= applies to polynomial only, not {name!r}")
    else:
        raise _unsupported(activation)
    scale = _exact(scale, "scale")
    bias = _exact(bias, "bias")
    if scale.is_zero:
        raise ValueError("scale must be nonzero (a constant gate has only lambda_0)")
    if name == "relu_power":
        power = _exact(power, "power")
        if _truth(power < 0):
            raise ValueError(f"power must be >= 0, got {power}")
    if name == "identity":
        name, coeffs = "polynomial", [sp.Integer(0), sp.Integer(1)]
    if name == "polynomial":
        coeffs = list(coeffs)
        if not coeffs:
            raise ValueError("coeffs must contain at least one coefficient")
        coeffs = [_exact(c, f"coeffs[{i}]") for i, c in enumerate(coeffs)]
    return name, scale, bias, power, coeffs


def _gate_eigenvalue(name, scale, bias, power, coeffs, k: int, nn, exact: bool):
    """lambda_k of phi(scale * t + bias), from truncated powers and a polynomial part."""
    if name == "polynomial":
        var = sp.Dummy("t")
        gate = sp.Add(*[a * (scale * var + bias) ** j for j, a in enumerate(coeffs)])
        poly = sp.Poly(sp.expand(gate), var).all_coeffs()[::-1]
        return _poly_eigenvalue(poly, k, nn, exact)
    positive = _truth(scale > 0)
    if positive is None:
        raise ValueError(
            f"cannot decide the sign of scale={scale}; declare it, e.g. "
            "sympy.Symbol('s', positive=True)"
        )
    a = scale if positive else -scale
    # phi(s t + b) with x = s t + b = |s| (u - c), u = sign(s) t, c = -b/|s|.
    c = sp.simplify(-bias / a) if bias.free_symbols else -bias / a
    reflect = (-1) ** k if not positive else 1
    one = sp.Integer(1)
    if name == "relu":
        p, coef, poly = one, a, []
    elif name == "relu_power":
        p, coef, poly = power, a**power, []
    elif name == "step":
        p, coef, poly = sp.Integer(0), one, []
    elif name == "sign":  # sign = 2 step - 1
        p, coef, poly = sp.Integer(0), sp.Integer(2), [-one]
    else:  # abs(x) = 2 relu(x) - x
        p, coef, poly = one, 2 * a, [-bias, -scale]
    value = coef * reflect * _truncated_power(p, c, k, nn, exact)
    if poly:
        value += _poly_eigenvalue(poly, k, nn, exact)
    return value


def funk_hecke_eigenvalue(
    activation, n=None, k: int | None = None, *, scale=1, bias=0, power=None, coeffs=None
):
    """Exact Funk-Hecke eigenvalue lambda_k(phi) = E_{t~nu_n}[phi(t) P_{k,n}(t)] (sympy).

    phi(t) = activation(scale * t + bias) on [-1, 1]; nu_n has density c_n (1-t^2)^{(n-3)/2}
    (the law of <x, e>, x uniform on S^{n-1}), P_{k,n}(1) = 1, so E_y[phi(<x,y>) Y(y)] =
    lambda_k Y(x) for Y in H_k and phi = sum_k N(n,k) lambda_k P_{k,n} (docs/conventions.md,
    "Funk-Hecke eigenvalues").  Formulas (R),
    (M), (G), (T) of the module docstring; no symbolic integration, so every call returns (k <= 20
    takes milliseconds to ~0.15 s; see benchmarks/bench_symbolic.py).

    Parameters
    ----------
    activation : str, harmonics.Activation, or sympy expression
        relu, step (heaviside), sign, abs, relu_power (power=s; also "relu2", "relu^3"),
        polynomial (coeffs=[a0, a1, ...], ascending; symbolic coefficients allowed), identity,
        or a sympy polynomial in t (e.g. ``t**3 - t``; every symbol named t, whatever its
        assumptions, is the variable, symbols named n are the dimension, other symbols are
        coefficients).  Anything else raises ValueError; use
        :func:`harmonics.funk_hecke_eigenvalues` for numerics of any activation.
    n : the symbol :data:`n` (or None, or omitted with ``k=`` by keyword) for a closed form in n
        (valid for every integer n >= 2, n = 2 included), an int >= 2 for an exact number, or a
        sympy expression in your own symbols.
    k : int >= 0, the degree (required; until 0.2.0 the order was (activation, k, n)).
    scale, bias : exact or float (floats are read as the decimal they print as, 0.1 -> 1/10) or
        sympy expressions (a symbol named n is the dimension, e.g. ``scale=1/sqrt(n)``; t is
        refused).  With bias != 0 the kink sits at t0 = -bias/scale; if sympy cannot
        decide whether |t0| < 1 the result is a ``Piecewise`` over the cases.  The sign of a
        symbolic scale must be decidable (declare the symbol positive or negative).
    power : exponent s >= 0 of relu^s; any real or symbolic s when bias = 0 (formula (G),
        assumed s > -1/2 if symbolic), an integer when bias != 0.
    coeffs : coefficients of a polynomial activation (ascending powers).

    Returns
    -------
    sympy expression: a rational, or rational x pi^{-1/2}, 1/pi, sqrt(...) (and arccos(t0) for
    biased gates at even n) at integer n; gamma functions and rational functions of n for
    symbolic n, in the canonical form (rational function) * Gamma(n/2)/Gamma((n+1)/2) / sqrt(pi)
    when half-integer shifts occur.  Biased gates at k <= p (relu: k <= 1, step: k = 0) with
    symbolic n contain a 2F1 (``sympy.hyper``) at t0^2 (incomplete beta function); so do
    those with an irrational or symbolic t0 at integer n + 2k > 30 (elementary below).  See the
    module docstring before converting large-n exact values to float.

    Examples
    --------
    >>> [funk_hecke_eigenvalue("relu", 3, k) for k in range(5)]
    [1/4, 1/6, 1/16, 0, -1/96]
    >>> funk_hecke_eigenvalue("relu", n, 2)  # or funk_hecke_eigenvalue("relu", k=2)
    gamma(n/2)/(2*sqrt(pi)*(n + 1)*gamma(n/2 + 1/2))
    >>> from sympy import Rational
    >>> funk_hecke_eigenvalue("step", 3, 1, bias=Rational(1, 2))
    3/16
    """
    nn, exact, out, k = _dimension_and_degree("funk_hecke_eigenvalue", n, k, "activation, ")
    name, scale, bias, power, coeffs = _resolve(activation, scale, bias, power, coeffs)
    scale = _bind_dimension(_no_variable(scale, "scale"), nn)
    bias = _bind_dimension(_no_variable(bias, "bias"), nn)
    power = _bind_dimension(_no_variable(power, "power"), nn)
    if coeffs is not None:
        coeffs = [_bind_dimension(_no_variable(c, "coeffs"), nn) for c in coeffs]
    value = _gate_eigenvalue(name, scale, bias, power, coeffs, k, nn, exact)
    return _public(_tidy(value, exact), out)


# -------------------------------------------------------------------------------------- kernels


@lru_cache(maxsize=64)
def _arccos_expr(degree: int, var):
    """kappa_d(rho) = J_d(theta)/pi, J_d = (-1)^d sin^{2d+1} (1/sin d/dtheta)^d ((pi-theta)/sin).

    With rho = cos theta, (1/sin) d/dtheta = -d/drho, so J_d = s^{2d+1} (d/drho)^d (psi/s),
    psi = pi - arccos rho, s = sqrt(1 - rho^2) (dpsi/drho = 1/s, ds/drho = -rho/s).  Writing
    (d/drho)^j (psi/s) = A_j psi / s^{2j+1} + B_j / s^{2j} and differentiating once more:
    A_{j+1} = (1 - rho^2) A_j' + (2j+1) rho A_j,  B_{j+1} = A_j + (1 - rho^2) B_j' + 2j rho B_j,
    A_0 = 1, B_0 = 0; then J_d = A_d psi + B_d s
    (J_1 = rho psi + s, J_2 = (1 + 2 rho^2) psi + 3 rho s).
    """
    r = sp.Dummy("rho")
    A, B = sp.Poly(1, r), sp.Poly(0, r)
    w = sp.Poly(1 - r**2, r)
    x = sp.Poly(r, r)
    for j in range(degree):
        A, B = w * A.diff(r) + (2 * j + 1) * x * A, A + w * B.diff(r) + 2 * j * x * B
    a_expr = A.as_expr().subs(r, var)
    b_expr = B.as_expr().subs(r, var)
    return (a_expr * (sp.pi - sp.acos(var)) + b_expr * sp.sqrt(1 - var**2)) / sp.pi


def arccos_kernel(degree: int, rho=None):
    """Arc-cosine kernel kappa_d(rho) of Cho & Saul (2009), as a sympy expression in rho.

    kappa_d(<x,y>) = 2 E_{w~N(0,I)}[relu(<w,x>)^d relu(<w,y>)^d] for unit x, y, i.e.
    kappa_d = J_d(theta)/pi, theta = arccos rho:
    kappa_0 = (pi - theta)/pi,  kappa_1 = (sin theta + (pi - theta) cos theta)/pi,
    kappa_2 = (3 sin theta cos theta + (pi - theta)(1 + 2 cos^2 theta))/pi.
    In the Gaussian-init convention (docs/conventions.md, "Kernel conventions") the ReLU kernels
    are K_out = kappa_1/2, K' = kappa_0/2
    (see :func:`relu_kernel`); papers without the 1/2 report 2x these values.

    >>> arccos_kernel(1)
    (rho*(pi - acos(rho)) + sqrt(1 - rho**2))/pi
    """
    degree = check_int(degree, "degree", 0, 20)
    return _arccos_expr(degree, _rho_value(rho))


def _rho_value(rho):
    """The variable rho, or an exact number in [-1, 1] (the inner product of unit vectors)."""
    if rho is None:
        return globals()["rho"]
    var = _exact(rho, "rho")
    if not var.free_symbols and ((var < -1) == sp.true or (var > 1) == sp.true):
        raise ValueError(f"rho must lie in [-1, 1] (an inner product of unit vectors), got {rho!r}")
    return var


def relu_kernel(kind: str = "ntk", rho=None):
    """ReLU kernels in rho (docs/conventions.md, "Kernel conventions"; Gaussian init w ~ N(0, I_n)).

    kind="output": K_out(rho) = E[relu(u) relu(v)] = kappa_1(rho)/2 (random features);
    kind="hidden": K'(rho) = E[relu'(u) relu'(v)] = kappa_0(rho)/2;
    kind="ntk": K_NTK(rho) = K_out(rho) + rho K'(rho);
    (u, v) standard bivariate normal with correlation rho = <x, y>.

    >>> relu_kernel("hidden")
    (pi - acos(rho))/(2*pi)
    """
    var = _rho_value(rho)
    if kind == "output":
        return arccos_kernel(1, var) / 2
    if kind == "hidden":
        return arccos_kernel(0, var) / 2
    if kind == "ntk":
        return arccos_kernel(1, var) / 2 + var * arccos_kernel(0, var) / 2
    raise ValueError(f"kind must be one of 'output', 'hidden', 'ntk', got {kind!r}")


def _arccos_eigenvalue(d: int, k: int, nn):
    """mu_k(kappa_d) = 2 E[r^{2d}] lambda_k(t_+^d)^2 = 2 prod_{j<d}(n+2j) lambda_k(t_+^d)^2."""
    lam = _tp_unbiased(sp.Integer(d), k, nn)
    return 2 * _prod_n(nn, d) * lam**2


def kernel_eigenvalue(kernel: str, n=None, k: int | None = None, *, degree=None):
    """Exact eigenvalue mu_k = E_{t~nu_n}[K(t) P_{k,n}(t)] of a dot-product kernel on H_k.

    Convention (docs/conventions.md, "Kernel conventions"): uniform probability measure on
    S^{n-1}, so
    E_y[K(<x,y>) Y(y)] = mu_k Y(x) for Y in H_k (multiplicity N(n,k)) and
    K(t) = sum_k N(n,k) mu_k P_{k,n}(t).

    kernel::

          "arccos" (with degree=d): kappa_d of :func:`arccos_kernel`.  Writing w = r w_hat
          (r ~ chi_n independent of w_hat uniform on S^{n-1}) and using the d-homogeneity of relu^d,
          kappa_d/2 = E[r^{2d}] E_{w_hat}[relu^d relu^d], and Funk-Hecke twice gives
              mu_k(kappa_d) = 2 prod_{j<d} (n + 2j) lambda_k(t_+^d)^2
          (E[r^{2d}] = prod_{j<d}(n+2j); lambda_k from formula (G); checked against quadrature).
          So mu_k(kappa_1/2) = n lambda_k(relu)^2 and mu_k(kappa_0/2) = lambda_k(step)^2.
          "relu_output" = kappa_1/2, "relu_hidden" = kappa_0/2,
          "relu_ntk" = kappa_1/2 + rho kappa_0/2, where rho K' acts through
          t P_k = (k P_{k-1} + (k+n-2) P_{k+1})/(2k+n-2):
              mu_k(rho K') = (k mu_{k-1}(K') + (k+n-2) mu_{k+1}(K')) / (2k+n-2)
          (mu_1(K') at k = 0).

    n : the symbol :data:`n` (or None, or omitted with ``k=`` by keyword), int >= 2, or a sympy
        expression;  k : int >= 0, required (until 0.2.0 the order was (kernel, k, n)).

    >>> [kernel_eigenvalue("relu_output", 3, k) for k in range(3)]
    [3/16, 1/12, 3/256]
    """
    nn, exact, out, k = _dimension_and_degree("kernel_eigenvalue", n, k, "kernel, ")
    return _public(_tidy(_kernel_eigenvalue(kernel, k, nn, degree), exact), out)


def _kernel_eigenvalue(kernel, k: int, nn, degree):
    if kernel == "arccos":
        if degree is None:
            raise ValueError("kernel='arccos' needs degree=d (an integer >= 0)")
        return _arccos_eigenvalue(check_int(degree, "degree", 0, 20), k, nn)
    if degree is not None:
        raise ValueError(f"degree= applies to kernel='arccos' only, not {kernel!r}")
    if kernel == "relu_output":
        return _arccos_eigenvalue(1, k, nn) / 2
    if kernel == "relu_hidden":
        return _arccos_eigenvalue(0, k, nn) / 2
    if kernel == "relu_ntk":
        out = _arccos_eigenvalue(1, k, nn) / 2
        up = _arccos_eigenvalue(0, k + 1, nn) / 2
        if k == 0:
            return out + up
        down = _arccos_eigenvalue(0, k - 1, nn) / 2
        return out + (k * down + (k + nn - 2) * up) / (2 * k + nn - 2)
    raise ValueError(f"kernel must be one of {', '.join(_KERNELS)}, got {kernel!r}")
