"""Generate tests/reference/deep_reference_<activation>.json: eigenvalues of deep NNGP / NTK.

Independent of the library (imports only mpmath).  Kernels are the closed compositions of the
definitions in docs/conventions.md ("Deep kernels"): Sigma^1 = w rho + b2, Theta^1 = Sigma^1,
Sigma^{l+1} = w E_l[phi] + b2, Theta^{l+1} = Sigma^{l+1} + w Theta^l E_l[phi'],
K_out = E_L[phi], NTK = K_out + Theta^L E_L[phi'], with, at variance q and correlation c,

* ReLU (Cho & Saul 2009):  E[phi phi] = q (sqrt(1 - c^2) + (pi - arccos c) c) / (2 pi),
  E[phi' phi'] = (pi - arccos c) / (2 pi);
* erf (Williams 1997):  E[phi phi] = (2/pi) arcsin(b c), b = 2q/(1 + 2q),
  E[phi' phi'] = (2/pi) b / (q sqrt(1 - b^2 c^2)).

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
* erf, every n: the same Cauchy route on |rho| = R (1 - 24/TERMS), R > 1 the radius of
  convergence (erf_radius; ERF_FFT_POINTS points): its c_p fall geometrically, the moment sum is
  positive, so every mu_k (down to 1e-463 at n = 10^4, k = 199) gets ~35 digits.  The
  quadrature is still run at n <= 10 and its agreement stored as "quadrature_check" (largest
  relative difference where both bounds are < 1e-20 |mu|: the quadrature cancels ~50 digits
  and is sharp only to k ~ 55..80 there).

Each record carries an absolute error bound per degree: rounding at the working precision (the
quadrature's |terms| sum; the Cauchy coefficients' noise ~10^{5-DPS} r^{-p} max|K| through the
positive moments), the two quadrature rules' |difference|, the trapezoid rule's aliasing
(<= K(r2) r2^{-p} x / (1 - x), x = (r/r2)^N, per coefficient, since 0 <= c_m r2^m <= K(r2);
r2 = 1 for relu, R (1 - 12/TERMS) for erf) and the moment sum's truncation tail (module function
moment_spectrum).  A 20-node Gauss-Legendre rule on a panel of width pi/150 integrates the
analytic P_{200,n}(cos theta) K sin^{n-2} to ~1e-45 (Bernstein ellipse of half-height ~0.2:
e^{200 x 0.2} (0.8 x 150/pi)^{-40}).

Run:  python tests/reference/make_deep_reference.py relu   (and erf; one table per activation,
tests/reference/deep_reference_<activation>.json, rewritten after every depth; relu 574 s,
erf 671 s on one core)
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
CASES = (("relu", 1, 0), ("erf", 1, 0))
EXTRA = (("relu", 2, mp.mpf("0.01")),)  # weight_var 2, bias 0.1: depths 2 and 5 only


def layer(act, q, c):
    if act == "relu":
        phi = mp.pi - mp.acos(c)
        return q * (mp.sqrt(1 - c * c) + phi * c) / (2 * mp.pi), phi / (2 * mp.pi)
    b = 2 * q / (1 + 2 * q)
    e = 2 / mp.pi * mp.asin(b * c)
    return e, 2 / mp.pi * b / (q * mp.sqrt(1 - b * b * c * c))


def variances(act, depth, w, b2):
    qs = [w + b2]
    for _ in range(depth - 1):
        qs.append(w * layer(act, qs[-1], mp.mpf(1))[0] + b2)
    return qs


def kernel(act, depth, w, b2, rho, qs):
    """(K_out, K_NTK) at rho (real or complex, |rho| < 1 or in [-1, 1])."""
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
            return e, e + theta * ed


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
        for idx, name in ((0, "output"), (1, "both")):
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


def erf_radius(depth, w, b2):
    """Radius of convergence R > 1 of the erf kernels' Taylor series: every coefficient is >= 0,
    so (Pringsheim) R is the first rho > 0 where some layer's b_l c_l(rho) reaches 1 (arcsin's
    branch point); on |rho| <= r < R every |b_l c_l| <= b_l c_l(r) < 1 (positive coefficients),
    so the principal branches below are the analytic function.  Bisection on rho in [1, 4]."""
    qs = variances("erf", depth, w, b2)

    def inside(rho):
        sig = w * rho + b2
        for q in qs:
            b = 2 * q / (1 + 2 * q)
            if b * sig / q >= 1:
                return False
            sig = w * 2 / mp.pi * mp.asin(b * sig / q) + b2
        return True

    lo, hi = mp.mpf(1), mp.mpf(4)
    assert inside(lo) and not inside(hi)
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if inside(mid) else (lo, mid)
    return lo


def cauchy_coefficients(act, depth, w, b2, P, N, r, r2):
    """c_0..c_P of K_out and K_NTK: trapezoid rule for the Cauchy integral on |rho| = r with N
    points (N a power of 2, summed by the FFT); r < r2 <= R, K(r2) finite."""
    qs = variances(act, depth, w, b2)
    vals = [kernel(act, depth, w, b2, r * mp.expjpi(mp.mpf(2 * j) / N), qs) for j in range(N)]
    # absolute error of c_p: rounding of the N terms at the working precision (the FFT adds
    # ~log2 N roundings per term), / r^p; plus aliasing: the rule returns
    # c_p + sum_{j>=1} c_{p+jN} r^{jN}, and 0 <= c_m r2^m <= K(r2) (the NTK's >= the NNGP's)
    noise = mp.mpf(10) ** (5 - mp.mp.dps) * max(abs(v[1]) for v in vals)
    x = (r / r2) ** N
    alias = kernel(act, depth, w, b2, r2, qs)[1] * x / (1 - x)
    coeffs = {"noise": [noise / r**p + alias / r2**p for p in range(P + 1)]}
    for idx, name in ((0, "output"), (1, "both")):
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
        _write(path, activation, records)
        mp.mp.dps = 45
        if act == "erf":
            # analytic beyond |rho| = 1: the Cauchy route near the radius of convergence gives
            # every c_p (geometric) and every mu_k (a positive sum) to ~30 digits at all n
            R = erf_radius(depth, w, b2)
            r, r2, N = R * (1 - mp.mpf(24) / TERMS), R * (1 - mp.mpf(12) / TERMS), ERF_FFT_POINTS
        else:
            r, r2, N = 1 - mp.mpf(12) / TERMS, mp.mpf(1), FFT_POINTS
        cs = cauchy_coefficients(act, depth, w, b2, TERMS, N, r, r2)
        for n in (SMALL_N + LARGE_N) if act == "erf" else LARGE_N:
            for train in ("output", "both"):
                mu = moment_spectrum(cs[train], n, cs["noise"])
                rec = _record(act, w, b2, depth, n, train, mu, "cauchy-moments")
                if n in SMALL_N:  # replaces the quadrature record, checked against it
                    i = next(i for i, q in enumerate(records) if _same(q, rec))
                    rec["quadrature_check"] = _agreement(records[i], rec)
                    records[i] = rec
                else:
                    records.append(rec)
        print(f"{act} depth {depth} large n {time.time() - t0:.0f}s", flush=True)
        _write(path, activation, records)
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


def _write(path, activation, records):
    write_atomic(
        path,
        {
            "description": f"mu_0..mu_{KMAX} of deep NNGP ('output') and NTK ('both') "
            f"kernels of {activation}, Gaussian init; see make_deep_reference.py",
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
