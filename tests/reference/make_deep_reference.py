"""Generate tests/reference/deep_reference_<activation>.json: eigenvalues of deep NNGP / NTK.

Independent of the library (imports only mpmath).  Kernels are the closed compositions of the
definitions in docs/conventions.md ("Deep kernels"): Sigma^1 = w rho + b2, Theta^1 = Sigma^1,
Sigma^{l+1} = w E_l[phi] + b2, Theta^{l+1} = Sigma^{l+1} + w Theta^l E_l[phi'],
K_out = E_L[phi] (train "output"), K_hid = Theta^L E_L[phi'] ("hidden"), NTK = K_out + K_hid
("both"; kernel() forms K_hid from its own terms, never as NTK - K_out), with, at variance q and
correlation c,

* ReLU (Cho & Saul 2009):  E[phi phi] = q (sqrt(1 - c^2) + (pi - arccos c) c) / (2 pi),
  E[phi' phi'] = (pi - arccos c) / (2 pi);
* erf (Williams 1997):  E[phi phi] = (2/pi) arcsin(b c), b = 2q/(1 + 2q),
  E[phi' phi'] = (2/pi) b / (q sqrt(1 - b^2 c^2));
* GELU phi(x) = x Phi(x) (Tsuchida et al. 2021, "Avoiding kernel fixed points: computing with
  ELU and GELU infinite networks", at equal variances):  with s = q c, a = 1 + q, r = s / a,
  D = sqrt(a^2 - s^2),
  E[phi phi] = s/4 + s asin(r) / (2 pi) + (q^2 (a^2 - s^2) + s^2) / (2 pi a^2 D),
  E[phi' phi'] = d/ds E[phi phi] = 1/4 + asin(r) / (2 pi) + s (a + 2 D^2) / (2 pi a D^3)
  (Price's theorem), derived from the orthant moments of (u - Z1, v - Z2) (gelu_layer) and
  asserted at start by check_gelu_dual: against a 2-D Gauss-Legendre rule at real (q, c), a 1-D
  rule at c = 1, the orthant moments by 1-D rules, and the Mehler series sum_j h_j^2 c^j / j!
  (h_j = E[phi(sqrt q Z) He_j(Z)] by a 1-D rule) at complex c; the residuals (all < 1e-28) are
  stored in the table as "gelu_dual_check".  Branch points r = +-1 (c = +-(1 + 1/q)).

Eigenvalues mu_k = E_{t~nu_n}[K(t) P_{k,n}(t)] by two methods, both in mpmath:

* relu, n <= 10: composite Gauss-Legendre quadrature in theta = arccos t (every kernel here is
  an analytic function of theta on [0, pi]: the compositions are analytic in sqrt(1 -+ t) ~
  theta, pi - theta), PANELS panels of NODES nodes, P_{k,n}(cos theta) by the three-term
  recurrence, at DPS_QUAD digits (mu_200 ~ 1e-25 at n = 10: ~25 digits cancel); repeated with
  PANELS_CHECK panels, the |difference| entering the bound;
* relu, n >= 100: Taylor coefficients c_0..c_TERMS of K by the Cauchy integral on
  |rho| = r = 1 - 12/TERMS (trapezoid rule on FFT_POINTS points, summed by a radix-2 FFT; the
  kernels are analytic in the open unit disc), then the positive sum
  mu_k = sum_p c_p E[t^p P_{k,n}] with E_{nu_n}[t^p P_{k,n}] = p!/(p-k)! E_{nu_{n+2k}}[t^{p-k}] /
  prod_{i<k}(n + 2i) (Rodrigues), truncated at p = TERMS;
* erf and gelu, every n: the same Cauchy route on |rho| = R (1 - 24/TERMS), R > 1 the radius
  of convergence (radius(): bisection for the first layer whose argument reaches its branch
  point; erf R = 1.42..1.5, gelu R = 1.97..2 at depths 1..10; ERF_FFT_POINTS points): the c_p
  fall geometrically, the moment sum is positive, so every mu_k (down to 1e-463 at n = 10^4,
  k = 199) gets ~35 digits.  Every Taylor coefficient is >= 0 (Mehler: h_j^2 >= 0, and sums,
  products and compositions keep it), which is what makes R the first real singularity
  (Pringsheim) and the principal branches valid on the circle.  The quadrature is still run at
  n <= 10 and its agreement stored as "quadrature_check" (largest relative difference where
  both bounds are < 1e-20 |mu|: the quadrature cancels ~50 digits and is sharp only to
  k ~ 35..80 there; the two agree to the 25 stored digits).

Each record carries an absolute error bound per degree: rounding at the working precision (the
quadrature's |terms| sum; the Cauchy coefficients' noise ~10^{5-DPS} r^{-p} max|K_NTK| through
the positive moments: the NTK bounds the other two kernels' coefficients), the two quadrature
rules' |difference|, the trapezoid rule's aliasing (<= K_NTK(r2) r2^{-p} x / (1 - x),
x = (r/r2)^N, per coefficient, since 0 <= c_m r2^m <= K_NTK(r2); r2 = 1 for relu,
R (1 - 12/TERMS) for erf and gelu) and the moment sum's truncation tail (module function
moment_spectrum).  A 20-node Gauss-Legendre rule on a panel of width pi/150 integrates the
analytic P_{200,n}(cos theta) K sin^{n-2} to ~1e-45 (Bernstein ellipse of half-height ~0.2:
e^{200 x 0.2} (0.8 x 150/pi)^{-40}).

Run:  python tests/reference/make_deep_reference.py relu   (and erf, gelu; one table per
activation, tests/reference/deep_reference_<activation>.json, rewritten after every depth;
relu 295 s, erf 443 s, gelu 595 s (40 s of it the self-check) on one core)
"""

from __future__ import annotations

import os
import sys
import time

import mpmath as mp

sys.path.insert(0, os.path.dirname(__file__))
from _refio import write_atomic  # noqa: E402

KMAX = 200
DEPTHS = (2, 10, 5, 1, 3)  # most informative first (the table is rewritten after each)
SMALL_N = (2, 3, 5, 10)
LARGE_N = (100, 1000, 10000)
PANELS = 150
# a second rule with more panels: |difference| (~ the error of the PANELS rule) joins the bound
PANELS_CHECK = 180
NODES = 20
DPS_QUAD = 50
# Cauchy route (n >= 100): Taylor terms kept and trapezoid points on |rho| = 1 - 12 / TERMS.
# At n = 100, k = 200 the positive moment terms peak at p ~ k + k^2/n ~ 600 and the term at
# p = 4000 is ~4e-24 of the peak (at p = 800 it was 0.1: bounds of 1e-2 above k ~ 105)
TERMS = 4000
FFT_POINTS = 16384  # aliasing <= K(1) r^N ~ 4e-22 K(1) per coefficient
# erf: radius r = R (1 - 24 / TERMS), aliasing <= K(r2) r2^-p (r / r2)^N ~ e^-196 K(r2) r2^-p,
# r2 = R (1 - 12 / TERMS)
ERF_FFT_POINTS = 65536
# (activation, weight_var, bias^2) cases
CASES = (("relu", 1, 0), ("erf", 1, 0), ("gelu", 1, 0))
EXTRA = (("relu", 2, mp.mpf("0.01")),)  # weight_var 2, bias 0.1: depths 2 and 5 only


def layer(act, q, c):
    """(E[phi(u) phi(v)], E[phi'(u) phi'(v)]), (u, v) ~ N(0, q [[1, c], [c, 1]]); principal
    branches, analytic in c on the disc of each closed form's radius (1 for relu, 1 / b for erf,
    1 + 1/q for gelu)."""
    if act == "relu":
        phi = mp.pi - mp.acos(c)
        return q * (mp.sqrt(1 - c * c) + phi * c) / (2 * mp.pi), phi / (2 * mp.pi)
    if act == "gelu":
        return gelu_layer(q, c)
    b = 2 * q / (1 + 2 * q)
    e = 2 / mp.pi * mp.asin(b * c)
    return e, 2 / mp.pi * b / (q * mp.sqrt(1 - b * b * c * c))


def gelu_layer(q, c):
    """GELU phi(x) = x Phi(x) at variance q, correlation c: covariance s = q c, a = 1 + q,
    r = s / a, D = a sqrt(1 - r^2) = sqrt(a^2 - s^2),

        E[phi phi]   = s / 4 + s asin(r) / (2 pi) + (q^2 (a^2 - s^2) + s^2) / (2 pi a^2 D),
        E[phi' phi'] = d/ds E[phi phi] = 1/4 + asin(r) / (2 pi) + s (a + 2 D^2) / (2 pi a D^3).

    Derivation: Phi(u) = P(Z1 <= u | u), Z1, Z2 ~ N(0, 1) independent of (u, v), so with
    A = u - Z1, B = v - Z2 (variance a, correlation r) E[phi(u) phi(v)] = E[u v 1{A, B >= 0}];
    E[(u, v) | A, B] is linear in (A, B) and Cov(u, v | A, B) constant, leaving the orthant
    moments P = P(A, B >= 0) = 1/4 + asin(r) / (2 pi), E[AB 1] = a (r P + sqrt(1 - r^2) / (2 pi)),
    E[A^2 1] = a (P + r sqrt(1 - r^2) / (2 pi)); the P-terms collect to s P.  This is the GELU
    kernel of Tsuchida et al. 2021 at equal variances (their arctan(s / D) is asin(r)).  Price's
    theorem gives the second line.  Checked numerically by check_gelu_dual."""
    a = q + 1
    s = q * c
    r = s / a
    d2 = a * a - s * s
    d = a * mp.sqrt(1 - r * r)  # sqrt(a^2 - s^2) on the principal branch, Re(1 - r^2) > 0
    asr = mp.asin(r)
    e = s / 4 + s * asr / (2 * mp.pi) + (q * q * d2 + s * s) / (2 * mp.pi * a * a * d)
    ed = mp.mpf(1) / 4 + asr / (2 * mp.pi) + s * (a + 2 * d2) / (2 * mp.pi * a * d**3)
    return e, ed


def _gelu(x):
    return x * mp.ncdf(x)


def _gelu_prime(x):
    return mp.ncdf(x) + x * mp.npdf(x)


def _normal_rule(half_width, panels):
    """(node, weight) pairs of E[f(Z)], Z ~ N(0, 1): composite 20-node Gauss-Legendre on
    [-half_width, half_width] times the density (tail mass ~ exp(-half_width^2 / 2))."""
    gl_x, gl_w = mp_gauss_legendre(NODES)
    h = mp.mpf(2 * half_width) / panels
    rule = []
    for i in range(panels):
        for x, wt in zip(gl_x, gl_w, strict=True):
            z = -half_width + h * (i + (x + 1) / 2)
            rule.append((z, wt * h / 2 * mp.npdf(z)))
    return rule


def check_gelu_dual():
    """Assert gelu_layer against (1) a 2-D product Gauss-Legendre rule for E[phi(u) phi(v)] and
    E[phi'(u) phi'(v)] at real (q, c), |c| < 1, and a 1-D rule at c = 1, (2) the orthant moments
    by 1-D rules over X >= 0 of the conditional moments of Y given X, (3) the Mehler
    series sum_j h_j^2 c^j / j! (and its d/ds) at complex c, |c| < 1 + 1/q, with
    h_j = E[phi(sqrt(q) Z) He_j(Z)] by a 1-D rule.  Returns the largest relative residuals."""
    with mp.workdps(40):
        rule = _normal_rule(12, 16)
        two_d = mp.mpf(0)
        for q, c in (("1", "0.3"), ("0.425", "-0.7"), ("2.5", "0.95")):
            q, c = mp.mpf(q), mp.mpf(c)
            sq, sc = mp.sqrt(q), mp.sqrt(1 - c * c)
            e, ed = gelu_layer(q, c)
            for f, ref in ((_gelu, e), (_gelu_prime, ed)):
                total = mp.fsum(
                    wx * f(sq * x) * mp.fsum(wy * f(sq * (c * x + sc * y)) for y, wy in rule)
                    for x, wx in rule
                )
                two_d = max(two_d, abs(total - ref) / abs(ref))
        # c = 1: E[phi(u)^2] (the variance map), and the orthant moments of a standard pair
        # (X, Y = r X + sqrt(1 - r^2) Z) as 1-D integrals over X >= 0 of E_Z[. | X]
        rule = _normal_rule(14, 56)
        one_d = mp.mpf(0)
        for q in (mp.mpf("0.01"), mp.mpf(1), mp.mpf(7)):
            e, ed = gelu_layer(q, mp.mpf(1))
            for f, ref in ((_gelu, e), (_gelu_prime, ed)):
                total = mp.fsum(w * f(mp.sqrt(q) * x) ** 2 for x, w in rule)
                one_d = max(one_d, abs(total - ref) / abs(ref))
        orthant = mp.mpf(0)
        for r in (mp.mpf("0.4"), mp.mpf("-0.6"), mp.mpf("0.9")):
            sr = mp.sqrt(1 - r * r)
            p = mp.mpf(1) / 4 + mp.asin(r) / (2 * mp.pi)
            closed = (p, r * p + sr / (2 * mp.pi), p + r * sr / (2 * mp.pi))
            sums = [mp.mpf(0)] * 3
            for x, w in rule:
                # 0 is a panel end: the x > 0 nodes integrate over X >= 0;
                # P(Y >= 0 | X) = Phi(r X / sr), E[Y 1{Y >= 0} | X] = r X Phi + sr phi
                if x > 0:
                    cdf, pdf = mp.ncdf(r * x / sr), mp.npdf(r * x / sr)
                    sums[0] += w * cdf
                    sums[1] += w * x * (r * x * cdf + sr * pdf)
                    sums[2] += w * x * x * cdf
            orthant = max(orthant, *(abs(u - v) / v for u, v in zip(sums, closed, strict=True)))
        # Mehler series at complex c
        rule = _normal_rule(20, 40)
        jmax = 70
        series = mp.mpf(0)
        for q, c in (
            (mp.mpf(1), mp.mpf("0.7") * mp.expj(mp.mpf("1.1"))),
            (mp.mpf("0.425"), mp.mpf("1.2") * mp.expj(mp.mpf("-0.7"))),
            (mp.mpf(3), mp.mpf("0.45") * mp.expj(mp.mpf("2.5"))),
        ):
            sq = mp.sqrt(q)
            h = [mp.mpf(0)] * (jmax + 1)
            for x, w in rule:
                f = w * _gelu(sq * x)
                p0, p1 = mp.mpf(1), x
                h[0] += f
                for j in range(1, jmax + 1):
                    h[j] += f * p1
                    p0, p1 = p1, x * p1 - j * p0
            e, ed = gelu_layer(q, c)
            s_e = mp.fsum(h[j] ** 2 * c**j / mp.factorial(j) for j in range(jmax + 1))
            s_ed = mp.fsum(
                h[j] ** 2 * j * c ** (j - 1) / mp.factorial(j) for j in range(1, jmax + 1)
            )
            series = max(series, abs(s_e - e) / abs(e), abs(s_ed / q - ed) / abs(ed))
            # h_0 = q / sqrt(2 pi (1 + q)), h_1 = sqrt(q) / 2, h_3 = h_5 = 0
            series = max(series, abs(h[0] - q / mp.sqrt(2 * mp.pi * (1 + q))) / h[0])
            series = max(series, abs(h[1] - sq / 2) / h[1], abs(h[3]) / h[1], abs(h[5]) / h[1])
    residuals = {"quadrature_2d": two_d, "variance_1d": one_d, "orthant": orthant}
    residuals["mehler_series"] = series
    assert max(residuals.values()) < 1e-20, residuals
    return residuals


def variances(act, depth, w, b2):
    qs = [w + b2]
    for _ in range(depth - 1):
        qs.append(w * layer(act, qs[-1], mp.mpf(1))[0] + b2)
    return qs


def kernel(act, depth, w, b2, rho, qs):
    """(K_out, K_hid, K_NTK) at rho (real or complex, inside the radius of convergence or in
    [-1, 1]); K_hid = Theta^L E_L[phi'] and K_NTK = K_out + K_hid, each from its own terms."""
    sig = w * rho + b2
    theta = sig
    for layer_index in range(depth):
        q = qs[layer_index]
        e, ed = layer(act, q, sig / q)
        if layer_index < depth - 1:
            new = w * e + b2
            theta = new + w * theta * ed
            sig = new
        else:
            hid = theta * ed
            return e, hid, e + hid


TRAINS = ("output", "hidden", "both")  # the index of each in kernel()'s tuple


def gegenbauer_table(n, cos_t):
    """P_{k,n}(t) for k = 0..KMAX (P_{k,n}(1) = 1): (k+n-2) P_{k+1} = (2k+n-2) t P_k - k P_{k-1}."""
    rows = [[mp.mpf(1)] * len(cos_t), list(cos_t)]
    for k in range(1, KMAX):
        pk, pm = rows[k], rows[k - 1]
        a = mp.mpf(2 * k + n - 2) / (k + n - 2)
        b = mp.mpf(k) / (k + n - 2)
        rows.append([a * t * x - b * y for t, x, y in zip(cos_t, pk, pm, strict=True)])
    return rows


def quadrature_nodes(n, panels):
    xs, ws = [], []
    gl_x, gl_w = mp_gauss_legendre(NODES)
    h = mp.pi / panels
    for i in range(panels):
        for x, wt in zip(gl_x, gl_w, strict=True):
            th = h * (i + (x + 1) / 2)
            xs.append(th)
            ws.append(wt * h / 2 * mp.sin(th) ** (n - 2))
    total = mp.fsum(ws)
    return xs, [wt / total for wt in ws]


def mp_gauss_legendre(m):
    """Nodes/weights on [-1, 1] by Newton on Legendre P_m (mpmath)."""
    xs, ws = [], []
    for i in range(1, m + 1):
        x = mp.cos(mp.pi * (i - mp.mpf(1) / 4) / (m + mp.mpf(1) / 2))
        for _ in range(100):
            p0, p1 = mp.mpf(1), x
            for j in range(2, m + 1):
                p0, p1 = p1, ((2 * j - 1) * x * p1 - (j - 1) * p0) / j
            dp = m * (x * p1 - p0) / (x * x - 1)
            dx = p1 / dp
            x -= dx
            if abs(dx) < mp.mpf(10) ** (-mp.mp.dps + 5):
                break
        xs.append(x)
        ws.append(2 / ((1 - x * x) * dp * dp))
    return xs, ws


def quad_spectrum(act, depth, w, b2, n, nodes_cache):
    qs = variances(act, depth, w, b2)
    results = []
    for rule in nodes_cache[n]:
        th, wts = rule["nodes"]
        table = rule["table"]
        vals = [kernel(act, depth, w, b2, mp.cos(t), qs) for t in th]
        res = {}
        for idx, name in enumerate(TRAINS):
            kv = [wt * v[idx] for wt, v in zip(wts, vals, strict=True)]
            mu = [
                mp.fsum(a * b for a, b in zip(kv, table[k], strict=True)) for k in range(KMAX + 1)
            ]
            # rounding of the terms (|P_k| <= 1) at DPS digits: an absolute bound for every k
            res[name] = (mu, mp.mpf(10) ** (5 - mp.mp.dps) * mp.fsum(abs(x) for x in kv))
        results.append(res)
    out = {}
    for name, (mu, rounding) in results[0].items():
        check, rounding_check = results[1][name]
        bound = [rounding + rounding_check + abs(a - b) for a, b in zip(mu, check, strict=True)]
        out[name] = (mu, bound)
    return out


def fft(values):
    """sum_j values[j] exp(-2 pi i j p / N), p = 0..N-1 (iterative radix-2, N a power of 2)."""
    N = len(values)
    bits = N.bit_length() - 1
    a = [values[int(format(j, f"0{bits}b")[::-1], 2)] for j in range(N)]
    size = 2
    while size <= N:
        half = size // 2
        roots = [mp.expjpi(-mp.mpf(2 * j) / size) for j in range(half)]
        for start in range(0, N, size):
            for j in range(half):
                u, v = a[start + j], a[start + j + half] * roots[j]
                a[start + j], a[start + j + half] = u + v, u - v
        size *= 2
    return a


def radius(act, depth, w, b2):
    """Radius of convergence R > 1 of the erf or gelu kernels' Taylor series in rho: every
    coefficient is >= 0 (Mehler: h_j^2 >= 0; sums, products and compositions keep it), so
    (Pringsheim) R is the first rho > 0 where some layer's argument reaches its closed form's
    real branch point: b_l c_l(rho) = 1 for erf (arcsin), Sigma^l(rho) = q_l + 1 for gelu
    (asin(r) and 1 / sqrt(1 - r^2), r = Sigma^l / (q_l + 1)).  On |rho| <= r < R every
    |b_l c_l|, |r_l| is at most its value at r (positive coefficients), < 1, so the principal
    branches in layer() are the analytic function.  Bisection on rho in [1, 4]."""
    qs = variances(act, depth, w, b2)

    def inside(rho):
        sig = w * rho + b2
        for q in qs:
            branch = 2 * sig / (1 + 2 * q) if act == "erf" else sig / (q + 1)
            if branch >= 1:
                return False
            sig = w * layer(act, q, sig / q)[0] + b2
        return True

    lo, hi = mp.mpf(1), mp.mpf(4)
    assert inside(lo) and not inside(hi)
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if inside(mid) else (lo, mid)
    return lo


def cauchy_coefficients(act, depth, w, b2, P, N, r, r2):
    """c_0..c_P of K_out, K_hid and K_NTK: trapezoid rule for the Cauchy integral on |rho| = r
    with N points (N a power of 2, summed by the FFT); r < r2 <= R, K(r2) finite."""
    qs = variances(act, depth, w, b2)
    vals = [kernel(act, depth, w, b2, r * mp.expjpi(mp.mpf(2 * j) / N), qs) for j in range(N)]
    # absolute error of c_p: rounding of the N terms at the working precision (the FFT adds
    # ~log2 N roundings per term), / r^p; plus aliasing: the rule returns
    # c_p + sum_{j>=1} c_{p+jN} r^{jN}, and 0 <= c_m r2^m <= K(r2) (the NTK's >= the NNGP's
    # and the hidden kernel's: NTK = K_out + K_hid, coefficients >= 0); max|K_NTK| on the circle
    # bounds the other two there too (it is K_NTK(r))
    noise = mp.mpf(10) ** (5 - mp.mp.dps) * max(abs(v[2]) for v in vals)
    x = (r / r2) ** N
    alias = kernel(act, depth, w, b2, r2, qs)[2] * x / (1 - x)
    coeffs = {"noise": [noise / r**p + alias / r2**p for p in range(P + 1)]}
    for idx, name in enumerate(TRAINS):
        dft = fft([v[idx] for v in vals])
        # K is real on the real axis: c_p = Re (1/N) sum_j K(r w^j) w^{-jp} / r^p
        coeffs[name] = [mp.re(dft[p]) / N / r**p for p in range(P + 1)]
    return coeffs


def moment_spectrum(cs, n, noise):
    """(mu_k, absolute error bounds from the coefficients' noise and truncation), k <= KMAX."""
    P = len(cs) - 1
    out, bounds = [], []
    for k in range(KMAX + 1):
        prod = mp.fprod(n + 2 * i for i in range(k))
        m = n + 2 * k
        terms, bterms = [], []
        f = mp.factorial(k)  # p! / (2i)! E_{nu_m}[t^{2i}], p = k + 2i, by its recurrence in i
        for i in range(0, (P - k) // 2 + 1):
            p = k + 2 * i
            if i > 0:
                f *= mp.mpf(p * (p - 1)) / (2 * i * (m + 2 * i - 2))
            terms.append(cs[p] * f)
            bterms.append(noise[p] * f)
        total = mp.fsum(terms)
        out.append(total / prod)
        # truncation: past the peak (p ~ k + k^2 / n) the terms fall like i^{-beta}, beta >=
        # (n - 1)/2 + 3/2 (c_p = O(p^{-3/2}), E_{nu_m}[t^{2i}] ~ i^{-(m-1)/2}, p!/(2i)! ~ (2i)^k):
        # the tail is < i_last / (beta - 1) x the last term; 10 x the last two terms at least
        i_last = (P - k) // 2
        factor = max(10, mp.mpf(i_last) / ((n - 1) / mp.mpf(2) + mp.mpf(1) / 2))
        tail = factor * (abs(terms[-1]) + (abs(terms[-2]) if len(terms) > 1 else 0))
        bounds.append((mp.fsum(bterms) + tail) / prod)
    return out, bounds


def main(activation):
    t0 = time.time()
    extra = {}
    if activation == "gelu":
        residuals = check_gelu_dual()
        extra["gelu_dual_check"] = {k: mp.nstr(v, 3) for k, v in residuals.items()}
        print(f"gelu dual checked {extra['gelu_dual_check']} {time.time() - t0:.0f}s", flush=True)
    mp.mp.dps = DPS_QUAD
    cache = {}
    for n in SMALL_N:
        cache[n] = []
        for panels in (PANELS, PANELS_CHECK):
            nodes = quadrature_nodes(n, panels)
            table = gegenbauer_table(n, [mp.cos(t) for t in nodes[0]])
            cache[n].append({"nodes": nodes, "table": table})
        print(f"nodes n={n} {time.time() - t0:.0f}s", flush=True)
    records = []
    cases = [(a, w, b2, d) for a, w, b2 in CASES for d in DEPTHS]
    cases += [(a, w, b2, d) for a, w, b2 in EXTRA for d in (2, 5)]
    cases = [c for c in cases if c[0] == activation]
    path = os.path.join(os.path.dirname(__file__), f"deep_reference_{activation}.json")
    for act, w, b2, depth in cases:
        mp.mp.dps = DPS_QUAD
        for n in SMALL_N:
            spec = quad_spectrum(act, depth, w, b2, n, cache)
            for train, mu in spec.items():
                records.append(_record(act, w, b2, depth, n, train, mu, "theta-quadrature"))
        print(f"{act} depth {depth} small n {time.time() - t0:.0f}s", flush=True)
        _write(path, activation, records, extra)
        mp.mp.dps = 45
        if act in ("erf", "gelu"):
            # analytic beyond |rho| = 1: the Cauchy route near the radius of convergence gives
            # every c_p (geometric) and every mu_k (a positive sum) to ~30 digits at all n
            R = radius(act, depth, w, b2)
            r, r2, N = R * (1 - mp.mpf(24) / TERMS), R * (1 - mp.mpf(12) / TERMS), ERF_FFT_POINTS
        else:
            r, r2, N = 1 - mp.mpf(12) / TERMS, mp.mpf(1), FFT_POINTS
        cs = cauchy_coefficients(act, depth, w, b2, TERMS, N, r, r2)
        for n in LARGE_N if act == "relu" else SMALL_N + LARGE_N:
            for train in TRAINS:
                mu = moment_spectrum(cs[train], n, cs["noise"])
                rec = _record(act, w, b2, depth, n, train, mu, "cauchy-moments")
                if n in SMALL_N:  # replaces the quadrature record, checked against it
                    i = next(i for i, q in enumerate(records) if _same(q, rec))
                    rec["quadrature_check"] = _agreement(records[i], rec)
                    records[i] = rec
                else:
                    records.append(rec)
        print(f"{act} depth {depth} large n {time.time() - t0:.0f}s", flush=True)
        _write(path, activation, records, extra)
    print(f"wrote {len(records)} records in {time.time() - t0:.0f}s")


def _same(a, b):
    keys = ("activation", "weight_var", "bias", "depth", "n", "train")
    return all(a[k] == b[k] for k in keys)


def _agreement(quad, cauchy):
    """Largest relative difference of two records where both bounds are < 1e-20 |mu|."""
    worst, count = mp.mpf(0), 0
    for k in range(KMAX + 1):
        a, b = mp.mpf(quad["mu"][k]), mp.mpf(cauchy["mu"][k])
        ea, eb = mp.mpf(quad["error_bound"][k]), mp.mpf(cauchy["error_bound"][k])
        if a != 0 and max(ea, eb) < 1e-20 * abs(a):
            worst, count = max(worst, abs(a - b) / abs(a)), count + 1
    return {"max_relative_difference": mp.nstr(worst, 3), "degrees": count}


def _write(path, activation, records, extra):
    write_atomic(
        path,
        {
            "description": f"mu_0..mu_{KMAX} of deep NNGP ('output'), hidden-layer ('hidden') "
            f"and NTK ('both') kernels of {activation}, Gaussian init; see "
            "make_deep_reference.py",
            **extra,
            "records": records,
        },
    )


def _record(act, w, b2, depth, n, train, mu_and_bound, method):
    mu, bound = mu_and_bound
    return {
        "activation": act,
        "weight_var": float(w),
        "bias": float(mp.sqrt(b2)),
        "depth": depth,
        "n": n,
        "train": train,
        "method": method,
        "mu": [mp.nstr(x, 25) for x in mu],
        # absolute error bound of each mu_k (the tests compare where it is < 1e-14 |mu_k|)
        "error_bound": [mp.nstr(x, 3) for x in bound],
    }


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "relu")
