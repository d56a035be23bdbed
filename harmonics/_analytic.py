"""Eigenvalues of steep, saturated or huge-scale analytic gates, and the cost limits of
:func:`harmonics.funk_hecke_eigenvalues` (private; used by harmonics.funk_hecke).

Convention (docs/conventions.md, "Funk-Hecke eigenvalues"): lambda_k(phi) = E_{t~nu_n}[phi(t)
P_{k,n}(t)], uniform probability measure, P_{k,n}(1) = 1.  For an analytic gate phi(s t + b)
(sigmoid, tanh, erf, softplus, gelu) funk_hecke uses its Taylor-moment series (S) where that
series converges fast.  This module decides, before anything runs, what happens elsewhere
(:func:`plan`):

* ``"series"``: the Taylor series.  For sigmoid, tanh and softplus while |s| < 0.8 * (the
  radius of convergence at b); for the entire erf and gelu while the terms stay few and the
  cancellation modest (s^2 <= 300, |b s| <= 3000: e^{s^2} growth of the coefficients).
* ``"saturated"``: the argument s t + b stays beyond +-27.5 (erf) or +-39 (gelu) on [-1, 1],
  where the gate differs from its asymptote (+-1, or the line s t + b, or 0) by less than
  1e-330: the eigenvalues are the asymptote's, exactly in float64 (the others are below 1e-330
  and round to 0.0).  ``log=True`` cannot give their logs and says so.  tanh, sigmoid and
  softplus the same beyond +-1e15 (before, their series keeps the tiny eigenvalues ~e^{-2|b|}).
* ``"limit"``: |s| >= 1e10 (kmax + n + 1): the gate is its step limit (tanh, erf -> sign,
  sigmoid -> step, softplus, gelu -> relu, at the same scale and bias) up to a relative
  ~k (k + n) / s^2 < 1e-20, computed in closed form.
* ``"quadrature"``: otherwise, Gauss-Legendre in theta = arccos t on panels graded
  geometrically towards the steep point t0 = -b/s (down to the distance of the nearest complex
  singularity, ~pi / (2 |s|) for tanh), in mpmath, 24 and 48 nodes per panel compared (the
  48-node rule kept once the two agree to 1e-14: its error is about the square of the 24-node
  one; otherwise the panels are halved), the precision raised until the cancellation between
  the oscillating P_k leaves >= 25 digits.  Its
  cost is estimated first (panels * nodes * degrees); above ``LIMITS["quadrature_ops"]`` it is
  refused with the reason (a ValueError naming scale and bias), never a hang.

Limits (``LIMITS``, a dict: raise an entry to go past it; costs grow as stated):

* ``kmax_piecewise`` = 10^6 (relu, step, relu^p: O(kmax), ~0.3 s at the limit),
  ``kmax_piecewise_terms`` = 3 * 10^4 (gates made of several truncated powers -- abs, sign,
  biased gates -- O(kmax) mpmath values, ~1 s), ``kmax_polynomial`` = 10^5 (O(kmax * degree)),
  ``kmax_series`` = 400 (analytic gates, O(kmax^2) mpmath terms, ~1 s), ``kmax_callable`` =
  4000 (float quadrature, O(kmax^2)), ``polynomial_degree`` = 1000;
* ``quadrature_ops`` = 4 * 10^5 (node-degree pairs of the graded quadrature, panels * 72 *
  (kmax + 8), ~5 us each: ~2 s).
"""

from __future__ import annotations

import cmath
import math

import mpmath

from ._quadrature import log_nu_normalizer

LIMITS = {
    "kmax_piecewise": 10**6,
    "kmax_piecewise_terms": 3 * 10**4,
    "kmax_polynomial": 10**5,
    "polynomial_degree": 1000,
    "kmax_series": 400,
    "kmax_callable": 4000,
    "quadrature_ops": 4 * 10**5,
}

# distance (in the argument x = s t + b) from the transition at x = 0 to the nearest complex
# singularity (poles of tanh at i pi/2, of sigmoid and softplus at i pi), or the width of the
# transition for the entire erf and gelu
_SINGULARITY = {
    "tanh": math.pi / 2,
    "sigmoid": math.pi,
    "softplus": math.pi,
    "erf": 1.0,
    "gelu": 1.0,
    "silu": math.pi,
}
# the step limit of each gate as |s| -> infinity
_LIMIT_GATE = {
    "tanh": "sign",
    "erf": "sign",
    "sigmoid": "step",
    "softplus": "relu",
    "gelu": "relu",
    "silu": "relu",
}
# |x| beyond which erf / gelu equal their asymptote within 1e-330; for tanh, sigmoid and
# softplus the series keeps the tiny eigenvalues (~e^{-2|b|}) far beyond, until their binary
# exponents leave int64 (|b| ~ 3e18): saturated from 1e15 on
SATURATION = {
    "erf": 27.5,
    "gelu": 39.0,
    "tanh": 1e15,
    "sigmoid": 1e15,
    "softplus": 1e15,
    "silu": 1e15,
}
_NODES = (4, 5)  # mpmath GaussLegendre degrees: 24 and 48 nodes per panel
_TARGET_DIGITS = 25


def _too_many(what: str, kmax: int, limit_key: str, why: str):
    limit = LIMITS[limit_key]
    return ValueError(
        f"kmax = {kmax} is above the limit for {what} (kmax <= {limit}: {why}); raise "
        f"harmonics.funk_hecke.LIMITS[{limit_key!r}] to go past it"
    )


def check_kmax(kind: str, kmax: int, *, terms: int = 1, degree: int = 0) -> None:
    """Refuse a kmax above the cost limit of the method (before anything is allocated)."""
    if kind == "piecewise":
        key = "kmax_piecewise" if terms == 1 else "kmax_piecewise_terms"
        if kmax > LIMITS[key]:
            raise _too_many(
                "this piecewise gate", kmax, key, "O(kmax) time and memory, ~1 s at the limit"
            )
    elif kind == "polynomial":
        if degree > LIMITS["polynomial_degree"]:
            raise ValueError(
                f"the polynomial has degree {degree}, above the limit "
                f"{LIMITS['polynomial_degree']} (len(coeffs) - 1: O(degree^2) mpmath terms); raise "
                "harmonics.funk_hecke.LIMITS['polynomial_degree'] to go past it"
            )
        if kmax > LIMITS["kmax_polynomial"]:
            raise _too_many("polynomials", kmax, "kmax_polynomial", "O(kmax * degree) mpmath")
    elif kind == "series":
        if kmax > LIMITS["kmax_series"]:
            raise _too_many(
                "analytic gates (sigmoid, tanh, erf, softplus, gelu)",
                kmax,
                "kmax_series",
                "the Taylor-moment series costs O(kmax^2) mpmath terms, ~1 s at the limit",
            )
    elif kind == "callable":
        if kmax > LIMITS["kmax_callable"]:
            raise _too_many(
                "callables", kmax, "kmax_callable", "float quadrature, O(kmax^2), ~1.5 s"
            )


# ------------------------------------------------------------------------------------ plan


def plan(act, n: int, kmax: int):
    """("series" | "saturated" | "limit" | "quadrature", info) for an analytic gate (see the
    module docstring); raises ValueError when the quadrature would exceed its cost limit."""
    from .activations import _ANALYTIC

    name, s, b = act.name, float(act.scale), float(act.bias)
    if s == 0.0:
        return "series", None
    radius = _ANALYTIC[name].radius(b)
    x_lo, x_hi = b - abs(s), b + abs(s)
    saturated = x_lo >= SATURATION[name] or x_hi <= -SATURATION[name]
    if name in ("erf", "gelu"):
        if s * s <= 300.0 and abs(b * s) <= 3000.0:
            return "series", None
        if saturated:
            return "saturated", x_lo > 0
    elif saturated:
        return "saturated", x_lo > 0
    elif abs(s) < 0.8 * radius:
        return "series", None
    if abs(s) >= 1e10 * (kmax + n + 1):
        return "limit", None
    # the quadrature costs more than the series' O(kmax^2): the same kmax limit, checked before
    # the panels (their number grows with kmax) are built
    check_kmax("series", kmax)
    panels = _panels(act, n, kmax)
    ops = len(panels) * 72 * (kmax + 8)
    if ops > LIMITS["quadrature_ops"]:
        t0 = -b / s
        raise ValueError(
            f"{name}(scale * t + bias) with scale = {s:g}, bias = {b:g}: too steep for its "
            f"Taylor series (convergence radius {radius:.3g} at bias) and the graded quadrature "
            f"around t0 = {t0:.3g} would cost ~{ops:.2g} mpmath operations for kmax = {kmax}, "
            f"n = {n} (limit {LIMITS['quadrature_ops']:.2g}, ~2 s); lower kmax, or |scale| <= "
            f"~{0.8 * radius:.3g} (series) or >= {1e10 * (kmax + n + 1):.3g} (step limit), or "
            "raise harmonics.funk_hecke.LIMITS['quadrature_ops']"
        )
    return "quadrature", panels


def saturated_asymptote(act, positive: bool):
    """The asymptote of a saturated gate as a registered Activation (None for 0): +-1 (erf,
    tanh), 1 or 0 (sigmoid), the line s t + b or 0 (gelu, softplus)."""
    from .activations import get_activation

    if act.name in ("erf", "tanh"):
        return get_activation("polynomial", coeffs=(1.0 if positive else -1.0,))
    if not positive:
        return None
    if act.name == "sigmoid":
        return get_activation("polynomial", coeffs=(1.0,))
    return get_activation("polynomial", coeffs=(0.0, 1.0), scale=act.scale, bias=act.bias)


def saturated_degree(act, positive: bool) -> int:
    """Degree of the asymptote (-1 for the zero asymptote): the eigenvalues it determines."""
    other = saturated_asymptote(act, positive)
    return -1 if other is None else len(other.coeffs) - 1


def limit_gate(act):
    from .activations import get_activation

    return get_activation(_LIMIT_GATE[act.name], scale=act.scale, bias=act.bias)


# ---------------------------------------------------------------------------- quadrature


def _window(n: int, kmax: int):
    """theta range outside which sin^{n-2} theta is negligible for every reported eigenvalue."""
    lo, hi = 0.0, math.pi
    if n > 60:
        # beyond distance d from pi/2 the weight is < exp(-(n-2) d^2 / 2); the eigenvalues
        # reported are >~ n^{-k/2} e^{-2k}, so e^{-100} n^{-kmax/2} e^{-2 kmax} is below them all
        half = math.sqrt(2.0 * (100.0 + kmax * (0.5 * math.log(n) + 2.0)) / (n - 2))
        lo, hi = max(0.0, math.pi / 2 - half), min(math.pi, math.pi / 2 + half)
    return lo, hi


def _panels(act, n: int, kmax: int):
    """Panel edges in theta: geometric grading towards the steep point, widths capped so that
    each panel holds a few oscillations of P_k and a fraction of the weight's width."""
    lo, hi = _window(n, kmax)
    s, b = float(act.scale), float(act.bias)
    d = _SINGULARITY[act.name] / abs(s)
    t0 = -b / s
    # nearest singularity in the theta plane, and its distance to the real segment [lo, hi]
    if abs(t0) < 1e6:
        zp = cmath.acos(complex(t0, d))
        center = min(max(zp.real, lo), hi)
        dist = abs(zp.imag) if lo <= zp.real <= hi else abs(zp - center)
    else:
        center, dist = lo, math.inf
    edges = {lo, hi}
    if dist < (hi - lo) / 4:
        h = dist / 2  # central panel +-dist/2: Bernstein ellipse rho ~ 4.2, 48 nodes ~ 1e-30
        edges |= {min(max(center - h, lo), hi), min(max(center + h, lo), hi)}
        g = 1.0
        while center - h * g > lo or center + h * g < hi:
            g = 2 * g + 1
            edges |= {min(max(center - h * g, lo), hi), min(max(center + h * g, lo), hi)}
    # a few zero spacings of P_{k,n} per panel: ~pi / k for small n, pi / sqrt(k n) for large n
    # (P_{k,n}(cos th) ~ He_k(sqrt(n) cos th) n^{-k/2}), and a fraction of the weight's width
    wmax = min(0.5, 3 * math.pi / math.sqrt((kmax + 1) * (kmax + n)))
    if n > 60:
        wmax = min(wmax, 2.5 / math.sqrt(n))
    edges = sorted(edges)
    out = [edges[0]]
    for a, c in zip(edges[:-1], edges[1:], strict=True):
        if c <= a:
            continue
        pieces = max(1, math.ceil((c - a) / wmax))
        out += [a + (c - a) * (j + 1) / pieces for j in range(pieces)]
    return out


_GL_CACHE: dict = {}


def _standard_nodes(ctx, degree: int):
    key = (degree, ctx.prec)
    nodes = _GL_CACHE.get(key)
    if nodes is None:
        from mpmath.calculus.quadrature import GaussLegendre

        nodes = _GL_CACHE[key] = GaussLegendre(ctx).calc_nodes(degree, ctx.prec)
    return nodes


def _sums(act, n: int, kmax: int, panels, ctx, degree: int, with_abs: bool):
    """sum_i w_i phi(s t_i + b) P_k(t_i), k = 0..kmax (and, if ``with_abs``, the same with
    absolute values, for the cancellation estimate)."""
    from .activations import _mp_functions

    fn = _mp_functions(ctx)[act.name]
    s, b = ctx.mpf(act.scale), ctx.mpf(act.bias)
    logc = log_nu_normalizer(n, ctx)
    # P_{k+1} = A_k t P_k - B_k P_{k-1}: A_k = (2k+n-2)/(k+n-2), B_k = k/(k+n-2), k >= 1
    A = [ctx.zero] + [ctx.mpf(2 * k + n - 2) / (k + n - 2) for k in range(1, kmax)]
    B = [ctx.zero] + [ctx.mpf(k) / (k + n - 2) for k in range(1, kmax)]
    sums = [ctx.zero] * (kmax + 1)
    absums = [ctx.zero] * (kmax + 1)
    std = _standard_nodes(ctx, degree)
    fabs = ctx.fabs
    for a, c in zip(panels[:-1], panels[1:], strict=True):
        lo, hi = ctx.mpf(a), ctx.mpf(c)
        half, mid = (hi - lo) / 2, (hi + lo) / 2
        for x, w in std:
            th = mid + half * x
            st = ctx.sin(th)
            if st <= 0:
                continue
            t = ctx.cos(th)
            f = fn(s * t + b) * half * w * ctx.exp(logc + (n - 2) * ctx.log(st))
            sums[0] += f
            if with_abs:
                absums[0] += fabs(f)
            if kmax == 0:
                continue
            p_prev, p_cur = f, f * t  # f P_0, f P_1: the recurrence is linear
            sums[1] += p_cur
            if with_abs:
                absums[1] += fabs(p_cur)
            for k in range(1, kmax):
                p_prev, p_cur = p_cur, A[k] * t * p_cur - B[k] * p_prev
                sums[k + 1] += p_cur
                if with_abs:
                    absums[k + 1] += fabs(p_cur)
    return sums, absums


def _initial_digits(act, n: int, kmax: int) -> int:
    """Digits for the first pass: 40 plus the expected cancellation, kmax log10(rho) with rho the
    Bernstein-ellipse parameter of the nearest singularity (lambda_k ~ rho^-k while the
    integrand of each lambda_k is O(1)), plus (k/2) log10(n/k) at large n (lambda_k ~ n^-k while
    |P_{k,n}| ~ n^{-k/2} on the bulk of the weight)."""
    d = _SINGULARITY[act.name] / abs(float(act.scale))
    z = complex(-float(act.bias) / float(act.scale), d)
    w = z + cmath.sqrt(z * z - 1)
    rho = max(abs(w), 1 / abs(w))
    extra = kmax * math.log10(rho) + max(0.0, kmax / 2 * math.log10(n / (kmax + 1)))
    return 40 + min(1000, int(extra))


def quadrature_eigenvalues(act, n: int, kmax: int, panels, zeros=()):
    """lambda_0..lambda_kmax by the graded quadrature (module docstring); returns (ctx, values).

    ``zeros``: degrees that vanish by symmetry (set exactly, excluded from the precision
    control).  Raises ValueError if 48 nodes per panel on twice the panels still disagree with
    24 (an integrand the panels do not resolve).
    """
    dps = _initial_digits(act, n, kmax)
    zeros = set(zeros)
    for _round in range(5):
        ctx = mpmath.MPContext()
        ctx.dps = dps
        for _refine in range(3):
            fine, _ = _sums(act, n, kmax, panels, ctx, _NODES[1], False)
            coarse, absums = _sums(act, n, kmax, panels, ctx, _NODES[0], True)
            floor = ctx.mpf(10) ** (-(dps - 5))
            # Gauss-Legendre error on an analytic integrand falls like rho^{-2N}: 48 nodes square
            # the relative error of 24, so 24 vs 48 agreeing to 1e-14 leaves ~1e-28 in the 48
            half = ctx.mpf(10) ** -(_TARGET_DIGITS // 2 + 2)
            ok = all(
                k in zeros
                or abs(fine[k] - coarse[k]) <= half * abs(fine[k])
                or abs(fine[k] - coarse[k]) <= floor * absums[k]
                for k in range(kmax + 1)
            )
            if ok:
                break
            mids = {(a + c) / 2 for a, c in zip(panels[:-1], panels[1:], strict=True)}
            panels = sorted(set(panels) | mids)
            if len(panels) * 72 * (kmax + 8) > 4 * LIMITS["quadrature_ops"]:
                break
        else:
            ok = False
        if not ok:
            raise ValueError(
                f"{act!r}: the graded quadrature did not converge for kmax = {kmax}, n = {n} "
                "(scale or bias outside the range it resolves); lower kmax or |scale|"
            )
        loss = 0.0
        for k in range(kmax + 1):
            if k in zeros or fine[k] == 0:
                continue
            loss = max(loss, float(ctx.log10(absums[k] / abs(fine[k]))))
        if dps - loss >= _TARGET_DIGITS:
            for k in zeros:
                fine[k] = ctx.zero
            return ctx, fine
        dps = int(loss) + _TARGET_DIGITS + 15
        if dps > 2000:
            break
    raise ValueError(
        f"{act!r}: the eigenvalues up to kmax = {kmax} cancel by more than 2000 digits in the "
        f"quadrature at n = {n}; lower kmax"
    )
