"""Generate tests/reference/deep_reference_quadrature.json: deep NNGP / NTK by 2-D quadrature.

Independent of the library (imports only mpmath, the standard library, tests/reference/_refio.py
and, for one self-check, the closed GELU dual of make_deep_reference.py).  Definitions of
docs/conventions.md ("Deep kernels"), w = weight_var, beta = bias: Sigma^1 = w rho + beta^2,
Theta^1 = Sigma^1, q_l = Sigma^l(1); for l < L: Sigma^{l+1} = w E_l[phi] + beta^2,
Theta^{l+1} = Sigma^{l+1} + Theta^l w E_l[phi']; K_out = E_L[phi] ("output", NNGP),
K_hid = Theta^L E_L[phi'] ("hidden", from its own terms), NTK = K_out + K_hid ("both").  One chain
of layers gives every depth (1, 2, 3, 5).

Every layer expectation E[g(u) g(v)], (u, v) ~ N(0, q [[1, c], [c, 1]]), is a 2-D integral,
written with a = sqrt((1 + c) / 2), b = sqrt((1 - c) / 2) as

    u = sqrt(q) (a Z1 + b Z2),  v = sqrt(q) (a Z1 - b Z2),  Z1, Z2 ~ N(0, 1) independent

(the same law as u = sqrt q Z1, v = sqrt q (c Z1 + sqrt(1 - c^2) Z2), rotated by 45 degrees, so
that the two directions see the activation's singularities at distances D / (sqrt(q) a) and
D / (sqrt(q) b), never closer than the unrotated D / sqrt(q) and far wider for c -> +-1), and
summed by the product trapezoidal rule on the disc Z1^2 + Z2^2 <= X^2 (the Gaussian mass
outside is < exp(-X^2 / 2), X from the digit target), folded by the symmetry Z2 -> -Z2.  Step
sizes (function step()): for an integrand analytic in the strip |Im Z| < d, growing at most
like exp(kappa Im(Z)^2) there (kappa = 1/2 from the Gaussian weight plus 2 gamma q a^2 from
two activation factors growing like exp(gamma Im(z)^2)), the trapezoid rule's error is
~ exp(-(2 pi d / h - kappa d^2)), maximised over d below the strip width:
exp(-pi^2 / (kappa h^2)) if the strip is wide (the Gaussian limit), else
exp(-(2 pi d_max / h - kappa d_max^2)), and h is chosen to make this e^-T, T = (digits + 3)
ln 10 (d_max taken 2 % inside the singularity).  Singularities: tanh poles at z = i pi / 2
(D = pi / 2), sigmoid and silu poles and softplus branch points at z = i pi (D = pi), phi' the
same;
erf and gelu are entire (D = inf) and grow like exp(Im(z)^2) (erf, erf') and exp(Im(z)^2 / 2)
(gelu, gelu').  The steps are then shortened so that sqrt(q) a h1 and sqrt(q) b h2 are integer
multiples m1, m2 of one lattice step delta: every argument sqrt(q) (a Z1 +- b Z2) is then
delta (m1 i +- m2 j), and phi, phi' are evaluated once per lattice point used (a cache), not
once per grid point.  At c = +-1 (rho = +-1 without bias) the integral is 1-D (same rule).

Error estimates.  Each chain is run with three rules: FINE (50 digits targeted, DPS 60 working
digits; the stored kernel values), COARSE (40 digits) and EIG (42 digits, used for the
eigenvalues).  A kernel value's error_bound is |FINE - COARSE| (COARSE's error, ~1e-40; FINE's is
~1e-10 of it), at least 1e-(DPS - 8) |K| for rounding.  Values with error_bound >= 1e-14 |K|
would be dropped (none is).

Eigenvalues mu_k = E_{t ~ nu_n}[K(t) P_{k,n}(t)], n in {3, 10}, k <= 15, depths 1..3: the
Clenshaw-Curtis rule in theta = arccos t, i.e. int_0^pi F(theta) sin^{n-2}(theta) dtheta with
F = K(cos theta) P_{k,n}(cos theta) interpolated by its cosine series at theta_j = j pi / N
and the exact moments int_0^pi cos(m theta) sin^p(theta) dtheta = pi cos(m pi / 2) p! /
(2^p Gamma(1 + (p + m)/2) Gamma(1 + (p - m)/2)), normalised by the m = 0 moment; P_{k,n} by the
three-term recurrence.  The kernels of sigmoid, tanh and softplus are C^infinity but not
analytic at rho = 1 (their Mehler coefficients h_j^2 fall like exp(-C sqrt j): radius 1 in c),
so F's cosine coefficients fall like exp(-(3/2) (C m)^(2/3)), not geometrically; the rule is
run with N = EIG_NODES and (on every other node, nested) N / 2, and error_bound is
|mu_N - mu_{N/2}| plus the EIG rule's kernel error (10 x its largest measured relative
|EIG - FINE| over the kernel-value table) x sum_j |w_j P_{k,n}(t_j) K(t_j)| and rounding.
Degrees with error_bound >= 1e-14 |mu_k| are dropped (and listed); parity zeros (a kernel odd
in rho: tanh / erf without bias; none of the cases here) would be too.

Self-checks (stored in "checks", asserted < 1e-35): the 2-D rule against the erf closed form
E[erf erf] = (2/pi) arcsin(2 s / (1 + 2 q)), E[erf' erf'] = (4/pi) / sqrt((1 + 2q)^2 - 4 s^2)
(s = q c) and against the closed GELU dual (make_deep_reference.gelu_layer) at several (q, c),
c from -0.9999 to 0.9999, and the identity sigmoid = (1 + tanh(z / 2)) / 2 between the sigmoid
and tanh rules (different singularities, steps and lattices).

Cases (activation, weight_var, bias): (sigmoid, 1, 0), (softplus, 1, 0), (sigmoid, 2, 0.1),
(tanh, 2, 0.1), (erf, 1, 0.3), (gelu, 1.5, 0.2), (softplus, 2, 0.5), (silu, 1, 0), (silu, 2,
0.3); kernel values at
RHOS for depths 1, 2, 3, 5 and trains output / hidden / both; eigenvalues for depths 1..3.

Run:  python tests/reference/make_deep_reference_quadrature.py  (the table is
rewritten after every case; 559 s in total on one core, of it ~5 s the self-check; see
"runtime_seconds" in the table).
"""

from __future__ import annotations

import os
import sys
import time

import mpmath as mp

sys.path.insert(0, os.path.dirname(__file__))
from _refio import write_atomic  # noqa: E402

DPS = 60
# (name, digits targeted by the trapezoid rule)
RULES = {"fine": 50, "coarse": 40, "eig": 42}
REFINE = 4  # lattice step = min(sqrt(q) a h1, sqrt(q) b h2) / REFINE (<= 25 % extra nodes)
RHOS = ("-1", "-0.9", "-0.5", "0", "0.3", "0.7", "0.95", "0.99", "0.999", "1")
DEPTHS = (1, 2, 3, 5)
EIG_DEPTHS = (1, 2, 3)
EIG_N = (3, 10)
KMAX = 15
EIG_NODES = 256  # Clenshaw-Curtis in theta, checked against the nested EIG_NODES / 2 rule
TRAINS = ("output", "hidden", "both")
CASES = (
    ("sigmoid", "1", "0"),
    ("softplus", "1", "0"),
    ("sigmoid", "2", "0.1"),
    ("tanh", "2", "0.1"),
    ("erf", "1", "0.3"),
    ("gelu", "1.5", "0.2"),
    ("softplus", "2", "0.5"),
    ("silu", "1", "0"),
    ("silu", "2", "0.3"),
)
REL_KEEP = mp.mpf("1e-14")
OUT = os.path.join(os.path.dirname(__file__), "deep_reference_quadrature.json")


# ------------------------------------------------------------------------- activations


def _sigmoid(z):
    e = mp.exp(-z)
    return 1 / (1 + e), e / (1 + e) ** 2


def _tanh(z):
    return mp.tanh(z), mp.sech(z) ** 2


def _softplus(z):
    if z > 0:
        e = mp.exp(-z)
        return z + mp.log1p(e), 1 / (1 + e)
    e = mp.exp(z)
    return mp.log1p(e), e / (1 + e)


def _silu(z):
    sig, dsig = _sigmoid(z)
    return z * sig, sig + z * dsig


def _erf(z):
    return mp.erf(z), 2 / mp.sqrt(mp.pi) * mp.exp(-z * z)


def _gelu(z):
    cdf = mp.ncdf(z)
    return z * cdf, cdf + z * mp.npdf(z)


# name -> (phi and phi' at z, distance D of the nearest singularity from the real axis,
# growth gamma: |phi(x + i y)|, |phi'(x + i y)| <~ exp(gamma y^2))
ACTIVATIONS = {
    "sigmoid": (_sigmoid, mp.pi, 0),
    "tanh": (_tanh, mp.pi / 2, 0),
    "softplus": (_softplus, mp.pi, 0),
    "silu": (_silu, mp.pi, 0),
    "erf": (_erf, mp.inf, 1),
    "gelu": (_gelu, mp.inf, mp.mpf(1) / 2),
}


# ------------------------------------------------------------------------- the 2-D rule


def _target(digits):
    return (digits + 3) * mp.log(10)


def step(d_max, kappa, T):
    """Largest h with trapezoid error ~exp(-max_{d <= d_max} (2 pi d / h - kappa d^2)) <= e^-T."""
    if d_max == mp.inf or d_max >= mp.sqrt(T / kappa):
        return mp.pi / mp.sqrt(kappa * T)
    d = d_max * mp.mpf("0.98")
    return 2 * mp.pi * d / (T + kappa * d * d)


def _half_width(digits):
    # Gaussian mass beyond X (and outside the disc of radius X) ~ exp(-X^2 / 2) << 10^-digits,
    # with 4 digits to spare for the integrands' polynomial growth (softplus, gelu)
    return mp.sqrt(2 * (digits + 4) * mp.log(10))


def expect_1d(act, q, sign, digits):
    """(E[phi(u) phi(sign u)], E[phi'(u) phi'(sign u)]), u ~ N(0, q), sign = +-1."""
    f, D, gamma = ACTIVATIONS[act]
    T = _target(digits)
    sq = mp.sqrt(q)
    h = step(D / sq, mp.mpf(1) / 2 + 2 * gamma * q, T)
    N = int(mp.ceil(_half_width(digits) / h))
    e = ed = mp.mpf(0)
    for i in range(-N, N + 1):
        x = i * h
        w = mp.exp(-x * x / 2)
        p, dp = f(sq * x)
        if sign > 0:
            e += w * p * p
            ed += w * dp * dp
        else:
            pm, dpm = f(-sq * x)
            e += w * p * pm
            ed += w * dp * dpm
    norm = h / mp.sqrt(2 * mp.pi)
    return e * norm, ed * norm


def expect_2d(act, q, c, digits):
    """(E[phi(u) phi(v)], E[phi'(u) phi'(v)]), (u, v) ~ N(0, q [[1, c], [c, 1]]), |c| <= 1."""
    if c == 1 or c == -1:
        return expect_1d(act, q, int(c), digits)
    f, D, gamma = ACTIVATIONS[act]
    T = _target(digits)
    sq = mp.sqrt(q)
    a, b = mp.sqrt((1 + c) / 2), mp.sqrt((1 - c) / 2)
    h1 = step(D / (sq * a), mp.mpf(1) / 2 + 2 * gamma * q * a * a, T)
    h2 = step(D / (sq * b), mp.mpf(1) / 2 + 2 * gamma * q * b * b, T)
    s1, s2 = sq * a * h1, sq * b * h2  # lattice steps of the two directions in z
    delta = min(s1, s2) / REFINE
    m1, m2 = int(mp.floor(s1 / delta)), int(mp.floor(s2 / delta))
    h1, h2 = m1 * delta / (sq * a), m2 * delta / (sq * b)
    X = _half_width(digits)
    X2 = X * X
    N1 = int(mp.floor(X / h1))
    N2 = int(mp.floor(X / h2))
    wy = [mp.exp(-((j * h2) ** 2) / 2) for j in range(N2 + 1)]
    cache = {}

    def val(m):
        v = cache.get(m)
        if v is None:
            v = cache[m] = f(delta * m)
        return v

    e = ed = mp.mpf(0)
    for i in range(-N1, N1 + 1):
        x = i * h1
        rem = X2 - x * x
        jmax = min(N2, int(mp.floor(mp.sqrt(rem) / h2)))
        p0, dp0 = val(m1 * i)
        si, sdi = wy[0] * p0 * p0 / 2, wy[0] * dp0 * dp0 / 2
        for j in range(1, jmax + 1):
            p, dp = val(m1 * i + m2 * j)
            pm, dpm = val(m1 * i - m2 * j)
            si += wy[j] * p * pm
            sdi += wy[j] * dp * dpm
        wx = mp.exp(-x * x / 2)
        e += wx * si
        ed += wx * sdi
    norm = 2 * h1 * h2 / (2 * mp.pi)
    return e * norm, ed * norm


# ------------------------------------------------------------------------- kernels


def variances(act, w, b2, depth, digits):
    qs = [w + b2]
    for _ in range(depth - 1):
        qs.append(w * expect_1d(act, qs[-1], 1, digits)[0] + b2)
    return qs


def chain(act, w, b2, rho, qs, digits):
    """{depth: (K_out, K_hid, K_NTK)} for depth = 1..len(qs); rho = 1 (and c = -1) exactly."""
    sig = w * rho + b2
    theta = sig
    out = {}
    for layer, q in enumerate(qs, start=1):
        c = mp.mpf(1) if rho == 1 else sig / q  # Sigma^l(1) = q_l exactly
        e, ed = expect_2d(act, q, c, digits)
        hid = theta * ed
        out[layer] = (e, hid, e + hid)
        new = w * e + b2
        theta = new + theta * w * ed
        sig = new
    return out


# ------------------------------------------------------------------------- self-checks


def self_check():
    """Largest relative residuals of the 2-D rule against closed forms, at the FINE rule."""
    sys.path.insert(0, os.path.dirname(__file__))
    from make_deep_reference import gelu_layer

    digits = RULES["fine"]
    pts = [("1", "0.3"), ("0.4", "-0.9999"), ("2.5", "0.9999"), ("1.09", "-0.8"), ("0.3", "0")]
    erf_res = gelu_res = mp.mpf(0)
    for q, c in pts:
        q, c = mp.mpf(q), mp.mpf(c)
        s = q * c
        e, ed = expect_2d("erf", q, c, digits)
        ref = 2 / mp.pi * mp.asin(2 * s / (1 + 2 * q))
        dref = 4 / mp.pi / mp.sqrt((1 + 2 * q) ** 2 - 4 * s * s)
        erf_res = max(erf_res, abs(e - ref) / abs(ref) if ref else abs(e), abs(ed - dref) / dref)
        e, ed = expect_2d("gelu", q, c, digits)
        ref, dref = gelu_layer(q, c)
        gelu_res = max(gelu_res, abs(e - ref) / abs(ref), abs(ed - dref) / abs(dref))
    e, ed = expect_1d("erf", mp.mpf("0.7"), 1, digits)
    erf_res = max(erf_res, abs(e - 2 / mp.pi * mp.asin(mp.mpf("1.4") / mp.mpf("2.4"))) / e)
    # sigmoid(z) = (1 + tanh(z / 2)) / 2: E[s s] = 1/4 + E[tanh(u/2) tanh(v/2)] / 4 (odd tanh),
    # E[s' s'] = E[tanh'(u/2) tanh'(v/2)] / 16; tanh at variance q / 4
    sig_res = mp.mpf(0)
    for q, c in (("1", "0.3"), ("2.01", "-0.95"), ("0.27", "0.9995")):
        q, c = mp.mpf(q), mp.mpf(c)
        e, ed = expect_2d("sigmoid", q, c, digits)
        t, dt = expect_2d("tanh", q / 4, c, digits)
        sig_res = max(sig_res, abs(e - (1 + t) / 4) / e, abs(ed - dt / 16) / ed)
    res = {"erf_closed_form": erf_res, "gelu_closed_form": gelu_res, "sigmoid_vs_tanh": sig_res}
    assert max(res.values()) < mp.mpf("1e-35"), res
    return res


# ------------------------------------------------------------------------- eigenvalues


def cc_rule(N, p):
    """Clenshaw-Curtis weights in theta_j = j pi / N, j = 0..N, for
    int_0^pi F(theta) sin^p(theta) dtheta / int_0^pi sin^p(theta) dtheta."""
    moments = [
        mp.pi * mp.cospi(mp.mpf(m) / 2) * mp.factorial(p) / 2**p
        * mp.rgamma(1 + mp.mpf(p + m) / 2) * mp.rgamma(1 + mp.mpf(p - m) / 2)
        for m in range(N + 1)
    ]  # fmt: skip
    cosines = [mp.cospi(mp.mpf(i) / N) for i in range(2 * N)]
    weights = []
    for j in range(N + 1):
        total = mp.mpf(0)
        for m in range(N + 1):
            term = cosines[(m * j) % (2 * N)] * moments[m]
            total += term / 2 if m in (0, N) else term
        wj = 2 * total / N
        weights.append(wj / 2 if j in (0, N) else wj)
    return [wt / moments[0] for wt in weights]


def gegenbauer(n, t):
    """P_{k,n}(t), k = 0..KMAX (P_{k,n}(1) = 1)."""
    out = [mp.mpf(1), t]
    for k in range(1, KMAX):
        out.append(((2 * k + n - 2) * t * out[k] - k * out[k - 1]) / (k + n - 2))
    return out


def eigenvalues(values, rules, kernel_rel_err):
    """{(depth, n, train): (mu, bound)} from kernel values at theta_j = j pi / EIG_NODES."""
    out = {}
    ts = [mp.cospi(mp.mpf(j) / EIG_NODES) for j in range(EIG_NODES + 1)]
    for n in EIG_N:
        fine, coarse = rules[n]
        ps = [gegenbauer(n, t) for t in ts]
        for depth in EIG_DEPTHS:
            for idx, train in enumerate(TRAINS):
                mus, bounds = [], []
                for k in range(KMAX + 1):
                    terms = [w * ps[j][k] * values[j][depth][idx] for j, w in enumerate(fine)]
                    mu = mp.fsum(terms)
                    mu2 = mp.fsum(
                        w * ps[2 * j][k] * values[2 * j][depth][idx] for j, w in enumerate(coarse)
                    )
                    mag = mp.fsum(abs(x) for x in terms)
                    bound = abs(mu - mu2) + (10 * kernel_rel_err + mp.mpf(10) ** (8 - DPS)) * mag
                    mus.append(mu)
                    bounds.append(bound)
                out[(depth, n, train)] = (mus, bounds)
    return out


# ------------------------------------------------------------------------- driver


def run_case(act, w, b2, rules_cc, t0):
    maxdepth = max(DEPTHS)
    qs = {name: variances(act, w, b2, maxdepth, d) for name, d in RULES.items()}
    records = []
    kernel_rel = {"coarse": mp.mpf(0), "eig": mp.mpf(0)}
    for rho_s in RHOS:
        rho = mp.mpf(rho_s)
        vals = {name: chain(act, w, b2, rho, qs[name], d) for name, d in RULES.items()}
        for depth in DEPTHS:
            for idx, train in enumerate(TRAINS):
                ref = vals["fine"][depth][idx]
                diff = abs(ref - vals["coarse"][depth][idx])
                bound = max(diff, mp.mpf(10) ** (8 - DPS) * abs(ref))
                if ref != 0:  # exact 0: K_hid = Theta^1 E[phi' phi'] at Sigma^1 = 0 (no bias)
                    kernel_rel["coarse"] = max(kernel_rel["coarse"], diff / abs(ref))
                    eig_diff = abs(ref - vals["eig"][depth][idx]) / abs(ref)
                    kernel_rel["eig"] = max(kernel_rel["eig"], eig_diff)
                records.append(
                    {
                        "kind": "kernel",
                        "depth": depth,
                        "train": train,
                        "rho": rho_s,
                        "value": mp.nstr(ref, 30),
                        "error_bound": mp.nstr(bound, 3),
                        "keep": bool(bound < REL_KEEP * abs(ref) or (ref == 0 and bound == 0)),
                    }
                )
    print(f"{act} w={w} b2={b2}: kernel values {time.time() - t0:.0f}s", flush=True)
    # eigenvalues: kernel values at the Clenshaw-Curtis nodes, EIG rule
    digits = RULES["eig"]
    values = []
    for j in range(EIG_NODES + 1):
        rho = mp.mpf(1) if j == 0 else mp.cospi(mp.mpf(j) / EIG_NODES)
        if j == EIG_NODES:
            rho = mp.mpf(-1)
        values.append(chain(act, w, b2, rho, qs["eig"][: max(EIG_DEPTHS)], digits))
    spec = eigenvalues(values, rules_cc, kernel_rel["eig"])
    dropped = []
    for (depth, n, train), (mus, bounds) in spec.items():
        for k, (mu, bound) in enumerate(zip(mus, bounds, strict=True)):
            keep = bool(bound < REL_KEEP * abs(mu))
            if not keep:
                dropped.append(f"L{depth} n{n} {train} k{k}")
            records.append(
                {
                    "kind": "eigenvalue",
                    "depth": depth,
                    "train": train,
                    "n": n,
                    "k": k,
                    "value": mp.nstr(mu, 30),
                    "error_bound": mp.nstr(bound, 3),
                    "keep": keep,
                }
            )
    print(f"{act} w={w} b2={b2}: eigenvalues {time.time() - t0:.0f}s", flush=True)
    return {
        "activation": act,
        "weight_var": float(w),
        "bias": float(mp.sqrt(b2)),
        "variances": [mp.nstr(q, 30) for q in qs["fine"]],
        "kernel_max_rel_coarse_vs_fine": mp.nstr(kernel_rel["coarse"], 3),
        "kernel_max_rel_eig_vs_fine": mp.nstr(kernel_rel["eig"], 3),
        "dropped": dropped,
        "records": records,
    }


def main():
    t0 = time.time()
    mp.mp.dps = DPS
    checks = {k: mp.nstr(v, 3) for k, v in self_check().items()}
    print(f"self-check {checks} {time.time() - t0:.0f}s", flush=True)
    rules_cc = {n: (cc_rule(EIG_NODES, n - 2), cc_rule(EIG_NODES // 2, n - 2)) for n in EIG_N}
    cases = []
    for act, w, b in CASES:
        w, b = mp.mpf(w), mp.mpf(b)
        cases.append(run_case(act, w, b * b, rules_cc, t0))
        write_atomic(
            OUT,
            {
                "description": "deep NNGP ('output'), hidden-layer ('hidden') and NTK ('both') "
                "kernel values K(rho) and eigenvalues mu_k (k <= 15, n in {3, 10}), Gaussian "
                "init, by 2-D trapezoid quadrature in mpmath; see "
                "make_deep_reference_quadrature.py",
                "checks": checks,
                "rules_digits": RULES,
                "eig_nodes": EIG_NODES,
                "runtime_seconds": round(time.time() - t0),
                "cases": cases,
            },
        )
    print(f"done {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
