"""Generate tests/reference/deep_reference_tanh.json: eigenvalues of deep tanh NNGP / NTK kernels.

Independent of the library (imports only mpmath, gmpy2 if installed, and the moment sum and
record format of make_deep_reference.py).  The definitions are those of docs/conventions.md
("Deep kernels"), weight_var 1, no bias: Sigma^1 = rho, Theta^1 = Sigma^1, q_l = Sigma^l(1),
Sigma^{l+1} = E_l[phi], Theta^{l+1} = Sigma^{l+1} + Theta^l E_l[phi'], K_out = E_L[phi],
K_hid = Theta^L E_L[phi'] (from its own terms), NTK = K_out + K_hid.

tanh has no closed-form dual, so the kernels are built as Taylor series in rho:

* Mehler:  E_l[phi] = V_l(r_l) and E_l[phi'] = D_l(r_l), r_l = Sigma^l / q_l, with
  V_l(c) = sum_j f_j c^j, f_j = h_j^2, D_l(c) = sum_j (j + 1) f_{j+1} / q_l c^j, where
  h_j = E[tanh(sqrt(q_l) Z) He_j(Z)] / sqrt(j!).  For odd j (even j: 0, tanh is odd), from
  tanh x = int_0^inf sin(w x) csch(pi w / 2) dw (Gradshteyn & Ryzhik 3.981.1),
  h_j^2 = q^j / j! * I_j^2, I_j = int_0^inf w^j csch(pi w / 2) e^{-q w^2 / 2} dw > 0,
  summed at DPS digits by the trapezoidal rule with step 2 pi / H_STEP_DIGITS (the integrand is
  even and analytic in |Im w| < 2: error ~ e^{-H_STEP_DIGITS} relative).  Self-checks, stored
  in the table ("coefficient_check"): I_j for several j against mpmath's adaptive quad, h_j for
  j <= 9 against the direct definition (quadrature of tanh(sqrt q z) He_j(z) phi(z)), and
  sum_j f_j against E[tanh(sqrt q Z)^2] by quadrature (the truncation deficit, tiny).
* Series arithmetic in fixed point: coefficients are integers scaled by 2^-BITS (every
  coefficient is >= 0 -- Mehler: h_j^2 >= 0, and sums, products and compositions keep it -- and
  <= the kernel's value at rho = 1, so absolute accuracy 2^-BITS is relative accuracy for all
  coefficients that matter).  Products by Kronecker substitution (one big-integer product,
  GMP's FFT through gmpy2 when installed), composition V(r) by Paterson & Stockmeyer
  (sqrt(P) baby powers of r, Horner in r^s), all mod rho^(P+1) (r has no constant term: the
  kernels are odd / their r starts at rho, so j <= P suffices and the first P + 1 coefficients
  are exact).  Checked at rho = 1/2 against the layer recursion of scalar Mehler sums
  ("composition_check").
* mu_k = sum_p c_p E_{nu_n}[t^p P_{k,n}] by make_deep_reference.moment_spectrum (positive
  terms, Rodrigues moments), truncated at p = P with its tail bound; the coefficient noise
  (ROUNDING_FACTOR x 2^-BITS) enters the bound too.

One chain of layers gives depths 1, 2, 3, 5, 10.  Run:
python tests/reference/make_deep_reference_tanh.py  (~10 min on one core with gmpy2)
"""

from __future__ import annotations

import math
import os
import sys
import time

import mpmath as mp

sys.path.insert(0, os.path.dirname(__file__))
from make_deep_reference import (  # noqa: E402
    LARGE_N,
    SMALL_N,
    TRAINS,
    _record,
    _write,
    moment_spectrum,  # noqa: E402
)

try:  # GMP's products: ~40x faster than Python's Karatsuba at these sizes (~2.7 Mbit)
    import gmpy2

    _big = gmpy2.mpz
except ImportError:  # pragma: no cover
    _big = int

P = 4000  # Taylor terms (the moment sums' tails bound what is left out)
BITS = 352  # fixed-point fraction bits (~106 digits)
SLOT = 2 * BITS + 64  # Kronecker slot: products of entries < 2^(BITS + 16), P of them summed
DPS = 110  # digits of the Hermite coefficients (> BITS log10 2)
H_STEP_DIGITS = 280.0  # trapezoid step 2 pi / this: e^-280 relative discretization error
DEPTH_MAX = 10
RECORD_DEPTHS = (1, 2, 3, 5, 10)
ROUNDING_FACTOR = 10**6  # a generous count of roundings per coefficient (products, compositions)


# ------------------------------------------------------------------ fixed-point series


def to_fixed(x):
    return int(mp.nint(x * mp.mpf(2) ** BITS))


def pack(series):
    nbytes = SLOT // 8
    return _big(
        int.from_bytes(b"".join(int(c).to_bytes(nbytes, "little") for c in series), "little")
    )


def unpack(big, length, shift):
    nbytes = SLOT // 8
    raw = int(big).to_bytes((length + 1) * nbytes + 8, "little", signed=False)[: length * nbytes]
    half = 1 << (shift - 1) if shift else 0
    return [
        (int.from_bytes(raw[i * nbytes : (i + 1) * nbytes], "little") + half) >> shift
        for i in range(length)
    ]


def _truncate(big):
    return big & ((_big(1) << (SLOT * (P + 1))) - 1)


def mul(a, b):
    """(a b) mod rho^(P+1) for fixed-point series (lists of P + 1 non-negative ints)."""
    return unpack(_truncate(pack(a) * pack(b)), P + 1, BITS)


def compose(coeffs_list, r):
    """[sum_j f_j r^j for f in coeffs_list] mod rho^(P+1), r[0] == 0, f fixed-point ints."""
    assert r[0] == 0
    s = math.isqrt(P) + 1
    one = [1 << BITS] + [0] * P
    baby = [one, r]
    for _ in range(2, s):
        baby.append(mul(baby[-1], r))
    giant = pack(mul(baby[-1], r))
    baby_packed = [pack(x) for x in baby]
    blocks = (P + 1 + s - 1) // s
    out = []
    for f in coeffs_list:
        f = list(f) + [0] * (blocks * s - len(f))
        acc = None
        for t in range(blocks - 1, -1, -1):
            block = _big(0)
            for i in range(s):
                c = f[t * s + i]
                if c:
                    block += baby_packed[i] * c
            block = _big(_truncate(block) >> 0)
            block = pack(unpack(block, P + 1, BITS))
            acc = block if acc is None else pack(mul_packed(acc, giant)) + block
        out.append(unpack(acc, P + 1, 0))
    return out


def mul_packed(a, b):
    return unpack(_truncate(a * b), P + 1, BITS)


def scale(series, x):
    """series * x (x an mpf >= 0) in fixed point."""
    xf = to_fixed(x)
    half = 1 << (BITS - 1)
    return [(c * xf + half) >> BITS for c in series]


def add(a, b):
    return [x + y for x, y in zip(a, b, strict=True)]


def to_mp(series):
    return [mp.mpf(c) / mp.mpf(2) ** BITS for c in series]


# ------------------------------------------------------------------ Hermite coefficients


def log_integrand_peak(j, q):
    """Float estimate of log max_w w^j csch(pi w / 2) e^{-q w^2 / 2} and its width."""
    hp = math.pi / 2
    if j <= 1:  # f_1 decreases from f_1(0) = 2 / pi
        return 0.0, math.log(2 / math.pi), 1.0
    w = 2.0 * j / (hp + math.sqrt(hp * hp + 4 * q * j))
    for _ in range(60):
        g = j / w - hp / math.tanh(hp * w) - q * w
        curv = (hp / math.sinh(hp * w)) ** 2 if hp * w < 300 else 0.0  # sinh overflows
        dg = -j / w**2 + curv - q
        w = max(w - g / dg, w / 2)
    val = (
        j * math.log(w)
        - (hp * w + math.log1p(-math.exp(-math.pi * w)) - math.log(2))
        - q * w * w / 2
    )
    return w, val, 1 / math.sqrt(j / w**2 + q)


def mehler_coefficients(q, jmax):
    """f_j = h_j^2 (j = 0..jmax) of tanh(sqrt(q) z) at DPS digits, trapezoid rule (docstring)."""
    qf = float(q)
    wmax = 10.0
    keep = []  # odd j whose f_j can reach 2^-BITS (the others are set to 0: below the grid)
    for j in range(1, jmax + 1, 2):
        w, val, width = log_integrand_peak(j, qf)
        log_f = (
            j * math.log(qf)
            - math.lgamma(j + 1)
            + 2 * (val + 0.5 * math.log(2 * math.pi) + math.log(width))
        )
        if log_f > -(BITS + 40) * math.log(2):
            keep.append(j)
            wmax = max(wmax, w + 40 * width + 40)
    h = 2 * mp.pi / H_STEP_DIGITS
    M = int(mp.ceil(wmax / h))
    top = keep[-1] if keep else 0
    sums = [mp.mpf(0)] * ((top + 1) // 2)  # sums[i]: j = 2 i + 1
    for m in range(1, M + 1):
        w = h * m
        w2 = w * w
        p = w / mp.sinh(mp.pi * w / 2) * mp.exp(-q * w2 / 2)  # j = 1 term
        for i in range(len(sums)):
            sums[i] += p
            p *= w2
    f = [mp.mpf(0)] * (jmax + 1)
    for j in range(1, top + 1, 2):
        integral = h * (sums[j // 2] + (1 / mp.pi if j == 1 else 0))  # f_1(0) / 2 = 1 / pi
        f[j] = q**j / mp.factorial(j) * integral**2
    return f, h


def check_coefficients(q, f):
    """Largest relative residuals of f_j against adaptive quad of I_j and the direct h_j."""
    worst_fourier, worst_direct = mp.mpf(0), mp.mpf(0)
    with mp.workdps(60):
        for j in (1, 3, 11, 51, 201, 1001):
            if j >= len(f) or f[j] == 0:
                continue
            w, _, width = log_integrand_peak(j, float(q))
            pts = sorted({0, *(max(w + k * width, 0) for k in range(-40, 41, 4))}) + [mp.inf]
            integral = mp.quad(
                lambda x, j=j: x**j * mp.csch(mp.pi * x / 2) * mp.exp(-q * x * x / 2), pts
            )
            ref = q**j / mp.factorial(j) * integral**2
            worst_fourier = max(worst_fourier, abs(f[j] - ref) / ref)
        sq = mp.sqrt(q)
        for j in range(10):
            v = mp.quad(
                lambda z, j=j: (
                    mp.tanh(sq * z)
                    * mp.hermite(j, z / mp.sqrt(2))
                    * 2 ** (-mp.mpf(j) / 2)
                    * mp.npdf(z)
                ),
                [-mp.inf, -4, 0, 4, mp.inf],
            )
            ref = v * v / mp.factorial(j)
            if j % 2 == 0:
                worst_direct = max(worst_direct, abs(f[j] - ref))  # both ~0
            else:
                worst_direct = max(worst_direct, abs(f[j] - ref) / ref)
    sq = mp.sqrt(q)
    energy = mp.quad(lambda z: mp.tanh(sq * z) ** 2 * mp.npdf(z), [-mp.inf, -4, 0, 4, mp.inf])
    deficit = (energy - mp.fsum(f)) / energy
    return {
        "fourier_vs_quad": worst_fourier,
        "direct": worst_direct,
        "energy_deficit": deficit,
    }, energy


# ------------------------------------------------------------------ the chain


def scalar_chain(fs, qs, rho, depth):
    """(K_out, K_hid) at real rho by scalar Mehler sums layer by layer (composition check)."""
    sig = mp.mpf(rho)
    theta = sig
    for layer in range(depth):
        f, q = fs[layer], qs[layer]
        c = sig / q
        e = mp.fsum(fj * c**j for j, fj in enumerate(f))
        ed = mp.fsum((j + 1) * f[j + 1] / q * c**j for j in range(len(f) - 1))
        if layer < depth - 1:
            theta = e + theta * ed
            sig = e
        else:
            return e, theta * ed


def main():
    t0 = time.time()
    mp.mp.dps = DPS
    path = os.path.join(os.path.dirname(__file__), "deep_reference_tanh.json")
    rho = [0, 1 << BITS] + [0] * (P - 1)  # Sigma^1 = rho (weight_var 1, no bias)
    sig, theta = rho, rho
    q = mp.mpf(1)
    qs, fs, checks, records = [], [], {}, []
    for layer in range(1, DEPTH_MAX + 1):
        f, _ = mehler_coefficients(q, P + 1)
        check, energy = check_coefficients(q, f)
        checks[f"layer_{layer}"] = {
            "q": mp.nstr(q, 20),
            **{k: mp.nstr(v, 3) for k, v in check.items()},
        }
        assert (
            check["fourier_vs_quad"] < mp.mpf(10) ** -50 and check["direct"] < mp.mpf(10) ** -40
        ), check
        qs.append(q)
        fs.append(f)
        stamp = f"{time.time() - t0:.0f}s"
        print(f"layer {layer} q={mp.nstr(q, 12)} {stamp} {checks[f'layer_{layer}']}", flush=True)
        r = scale(sig, 1 / q)
        f_fixed = [to_fixed(x) for x in f[: P + 1]]
        d_fixed = [to_fixed((j + 1) * f[j + 1] / q) for j in range(P + 1)]
        e_ser, ed_ser = compose([f_fixed, d_fixed], r)
        hid = mul(theta, ed_ser)
        print(f"layer {layer} composed {time.time() - t0:.0f}s", flush=True)
        if layer in RECORD_DEPTHS:
            out = {"output": to_mp(e_ser), "hidden": to_mp(hid)}
            out["both"] = [a + b for a, b in zip(out["output"], out["hidden"], strict=True)]
            scale_bound = max(1, out["both"][0] + mp.fsum(out["both"]))
            noise = [ROUNDING_FACTOR * scale_bound / mp.mpf(2) ** BITS] * (P + 1)
            with mp.workdps(60):
                half = mp.mpf(1) / 2
                ref = scalar_chain(fs, qs, half, layer)
                got = [
                    mp.fsum(c * half**p for p, c in enumerate(out[t])) for t in ("output", "hidden")
                ]
                comp = max(abs(g - e) / e for g, e in zip(got, ref, strict=True))
                at_one = (energy - mp.fsum(out["output"])) / energy
            checks[f"depth_{layer}"] = {
                "composition_check_rho_half": mp.nstr(comp, 3),
                "output_sum_deficit_rho_one": mp.nstr(at_one, 3),
            }
            assert comp < mp.mpf(10) ** -60, comp
            mp.mp.dps = 45
            for n in SMALL_N + LARGE_N:
                for train in TRAINS:
                    mu = moment_spectrum(out[train], n, noise)
                    records.append(
                        _record("tanh", 1, 0, layer, n, train, mu, "mehler-fourier-series")
                    )
            mp.mp.dps = DPS
            _write(path, "tanh", records, {"checks": checks})
            print(
                f"depth {layer} recorded {time.time() - t0:.0f}s {checks[f'depth_{layer}']}",
                flush=True,
            )
        sig = e_ser
        theta = add(e_ser, hid)
        q = energy  # Sigma^{l+1}(1) = E[tanh(sqrt(q_l) Z)^2]
    print(f"wrote {len(records)} records in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
