"""Generate tests/reference/deep_reference.json: eigenvalues of deep NNGP / NTK kernels.

Independent of the library (imports only mpmath).  Kernels are the closed compositions of the
definitions in docs/conventions.md ("Deep kernels"): Sigma^1 = w rho + b2, Theta^1 = Sigma^1,
Sigma^{l+1} = w E_l[phi] + b2, Theta^{l+1} = Sigma^{l+1} + w Theta^l E_l[phi'],
K_out = E_L[phi], NTK = K_out + Theta^L E_L[phi'], with, at variance q and correlation c,

* ReLU (Cho & Saul 2009):  E[phi phi] = q (sqrt(1 - c^2) + (pi - arccos c) c) / (2 pi),
  E[phi' phi'] = (pi - arccos c) / (2 pi);
* erf (Williams 1997):  E[phi phi] = (2/pi) arcsin(b c), b = 2q/(1 + 2q),
  E[phi' phi'] = (2/pi) b / (q sqrt(1 - b^2 c^2)).

Eigenvalues mu_k = E_{t~nu_n}[K(t) P_{k,n}(t)] by two methods, both in mpmath:

* n <= 10: composite Gauss-Legendre quadrature in theta = arccos t (every kernel here is an
  analytic function of theta on [0, pi]: the compositions are analytic in sqrt(1 -+ t) ~ theta,
  pi - theta), PANELS panels of NODES nodes, P_{k,n}(cos theta) by the three-term recurrence,
  at DPS_QUAD digits (mu_200 ~ 1e-25 at n = 10: ~25 digits cancel);
* n >= 100: Taylor coefficients c_p of K by the Cauchy integral on |rho| = r (trapezoid rule,
  N points; the kernels are analytic in the open unit disc), then the positive sum
  mu_k = sum_p c_p E[t^p P_{k,n}] with E_{nu_n}[t^p P_{k,n}] = p!/(p-k)! E_{nu_{n+2k}}[t^{p-k}] /
  prod_{i<k}(n + 2i) (Rodrigues), truncated at p = 800 (10 x the last terms added to the
  error bound).

Each record carries an absolute error bound per degree (rounding at the working precision:
the quadrature's |terms| sum, the Cauchy coefficients' noise through the positive moments);
erf's eigenvalues fall geometrically and drop below these bounds at high k.
Quadrature accuracy: a 20-node Gauss-Legendre rule on a panel of width pi/150 integrates
P_{200,n}(cos theta) (2/3 of an oscillation per panel) to ~1e-34; the Cauchy coefficients carry
~10^{-DPS} r^{-P} = e^{12} 10^{-45} absolute error and aliasing r^N c_{p+N} ~ e^{-36} c_p.

Run:  python tests/reference/make_deep_reference.py relu   (and erf; one table per activation,
tests/reference/deep_reference_<activation>.json, rewritten after every depth; ~20 min each)
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
NODES = 20
DPS_QUAD = 50
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


def quadrature_nodes(n):
    xs, ws = [], []
    gl_x, gl_w = mp_gauss_legendre(NODES)
    h = mp.pi / PANELS
    for i in range(PANELS):
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
    th, wts = nodes_cache[n]["nodes"]
    table = nodes_cache[n]["table"]
    qs = variances(act, depth, w, b2)
    vals = [kernel(act, depth, w, b2, mp.cos(t), qs) for t in th]
    out = {}
    for idx, name in ((0, "output"), (1, "both")):
        kv = [wt * v[idx] for wt, v in zip(wts, vals, strict=True)]
        mu = [mp.fsum(a * b for a, b in zip(kv, table[k], strict=True)) for k in range(KMAX + 1)]
        # rounding of the terms (|P_k| <= 1) at DPS digits: an absolute bound for every k
        bound = mp.mpf(10) ** (5 - mp.mp.dps) * mp.fsum(abs(x) for x in kv)
        out[name] = (mu, [bound] * (KMAX + 1))
    return out


def cauchy_coefficients(act, depth, w, b2, P, N, r):
    qs = variances(act, depth, w, b2)
    roots = [mp.expjpi(mp.mpf(2 * j) / N) for j in range(N)]
    vals = [kernel(act, depth, w, b2, r * z, qs) for z in roots]
    # absolute error of c_p: rounding of the N terms at the working precision, / r^p
    noise = mp.mpf(10) ** (5 - mp.mp.dps) * max(abs(v[1]) for v in vals)
    coeffs = {"noise": [noise / r**p for p in range(P + 1)]}
    for idx, name in ((0, "output"), (1, "both")):
        # K is real on the real axis: c_p = Re (1/N) sum_j K(r w^j) w^{-jp} / r^p
        re = [mp.re(v[idx]) for v in vals]
        im = [mp.im(v[idx]) for v in vals]
        cr = [mp.re(z) for z in roots]
        ci = [mp.im(z) for z in roots]
        cs = []
        for p in range(P + 1):
            s = mp.fsum(re[j] * cr[(j * p) % N] + im[j] * ci[(j * p) % N] for j in range(N))
            cs.append(s / N / r**p)
        coeffs[name] = cs
    return coeffs


def moment_spectrum(cs, n, noise):
    """(mu_k, absolute error bounds from the coefficients' noise), k = 0..KMAX."""
    P = len(cs) - 1
    out, bounds = [], []
    for k in range(KMAX + 1):
        prod = mp.fprod(n + 2 * i for i in range(k))
        m = n + 2 * k
        terms, bterms = [], []
        ev = mp.mpf(1)  # E_{nu_m}[t^{2i}]
        for i in range(0, (P - k) // 2 + 1):
            p = k + 2 * i
            if i > 0:
                ev *= mp.mpf(2 * i - 1) / (m + 2 * i - 2)
            terms.append(cs[p] * mp.factorial(p) / mp.factorial(2 * i) * ev)
            bterms.append(noise[p] * mp.factorial(p) / mp.factorial(2 * i) * ev)
        total = mp.fsum(terms)
        out.append(total / prod)
        # truncation: the last terms fall at least geometrically from here (ratio < 1 for
        # p > n: E[t^{2i}] ratios (2i-1)/(m+2i-2)), bounded by 10 x the last term
        tail = 10 * (abs(terms[-1]) + (abs(terms[-2]) if len(terms) > 1 else 0))
        bounds.append((mp.fsum(bterms) + tail) / prod)
    return out, bounds


def main(activation):
    t0 = time.time()
    mp.mp.dps = DPS_QUAD
    cache = {}
    for n in SMALL_N:
        nodes = quadrature_nodes(n)
        cache[n] = {
            "nodes": nodes,
            "table": gegenbauer_table(n, [mp.cos(t) for t in nodes[0]]),
        }
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
        P = 800
        cs = cauchy_coefficients(act, depth, w, b2, P, 3 * P, 1 - mp.mpf(12) / P)
        for n in LARGE_N:
            for train in ("output", "both"):
                mu = moment_spectrum(cs[train], n, cs["noise"])
                records.append(_record(act, w, b2, depth, n, train, mu, "cauchy-moments"))
        print(f"{act} depth {depth} large n {time.time() - t0:.0f}s", flush=True)
        _write(path, activation, records)
    print(f"wrote {len(records)} records in {time.time() - t0:.0f}s")


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
