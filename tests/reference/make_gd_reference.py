"""Generate tests/reference/gd_reference.json: kernel eigenvalues by direct mpmath quadrature.

Independent of the library: every value is mu_k = E_{t~nu_n}[K(t) P_{k,n}(t)] integrated in
mpmath (Gauss-Legendre/tanh-sinh on panels in theta = arccos t, where every kernel below is
analytic) with the kernels written from their textbook closed forms:

* ReLU, Gaussian init (Cho & Saul 2009): K_out = kappa_1/2, K' = kappa_0/2, NTK = K_out + t K';
  sphere init: K_out = kappa_1/(2n) (E|w|^2 = n for w ~ N(0, I_n)), K' = kappa_0/2.
* ReLU with bias b ~ N(0, beta^2), Gaussian init: K_out = (1+beta^2) kappa_1(t_b)/2,
  hidden (t + beta^2) kappa_0(t_b)/2, t_b = (t + beta^2)/(1 + beta^2).
* erf, Gaussian init (Williams 1997): K_out = (2/pi) arcsin(q t_b), q = 2 s^2/(1 + 2 s^2),
  s^2 = 1 + beta^2; hidden = t_b d/dt_b K_out = (2/pi) q t_b / sqrt(1 - q^2 t_b^2).
* lambda_k(tanh') on the sphere: E_{nu_n}[tanh'(t) P_{k,n}(t)].

P_{k,n} = C_k^{((n-2)/2)} / C_k^{((n-2)/2)}(1) (mpmath.gegenbauer; Legendre for n = 3).
Run:  python tests/reference/make_gd_reference.py   (about a minute)
"""

from __future__ import annotations

import json
import os
import tempfile

import mpmath as mp

DPS = 40


def c_n(n):
    return mp.gamma(mp.mpf(n) / 2) / (mp.sqrt(mp.pi) * mp.gamma(mp.mpf(n - 1) / 2))


def legendre_nk(k, n, t):
    if n == 3:
        return mp.legendre(k, t)
    a = mp.mpf(n - 2) / 2
    return mp.gegenbauer(k, a, t) / mp.gegenbauer(k, a, 1)


def eig(kernel, n, kmax, panels=16):
    """mu_k = int_0^pi c_n K(cos th) P_{k,n}(cos th) sin^{n-2} th d th."""
    cn = c_n(n)
    pts = mp.linspace(0, mp.pi, panels + 1)
    out = []
    for k in range(kmax + 1):

        def f(th, k=k):
            t = mp.cos(th)
            return cn * kernel(t) * legendre_nk(k, n, t) * mp.sin(th) ** (n - 2)

        out.append(mp.quad(f, pts))
    return out


def kappa0(t):
    th = mp.acos(t)
    return (mp.pi - th) / mp.pi


def kappa1(t):
    th = mp.acos(t)
    return (mp.sin(th) + (mp.pi - th) * mp.cos(th)) / mp.pi


def relu_kernels(beta, n, init):
    b2 = mp.mpf(beta) ** 2

    def tb(t):
        return (t + b2) / (1 + b2)

    norm = n if init == "sphere" else 1

    def out(t):
        return (1 + b2) * kappa1(tb(t)) / 2 / norm

    def hid(t):
        return (t + b2) * kappa0(tb(t)) / 2

    return out, hid


def erf_kernels(beta):
    b2 = mp.mpf(beta) ** 2
    s2 = 1 + b2
    q = 2 * s2 / (1 + 2 * s2)

    def tb(t):
        return (t + b2) / (1 + b2)

    def out(t):
        return 2 / mp.pi * mp.asin(q * tb(t))

    def hid(t):
        x = tb(t)
        return 2 / mp.pi * q * x / mp.sqrt(1 - (q * x) ** 2)

    return out, hid


def case(name, n, kmax, out, hid, params):
    mu_out = eig(out, n, kmax)
    mu_hid = eig(hid, n, kmax)
    return {
        "name": name,
        "n": n,
        "params": params,
        "output": [mp.nstr(x, 30) for x in mu_out],
        "hidden": [mp.nstr(x, 30) for x in mu_hid],
        "both": [mp.nstr(a + b, 30) for a, b in zip(mu_out, mu_hid, strict=True)],
    }


def main():
    mp.mp.dps = DPS
    cases = []
    for n in (3, 10):
        for init in ("gaussian", "sphere"):
            o, h = relu_kernels(0, n, init)
            cases.append(
                case(
                    f"relu-{init}-n{n}",
                    n,
                    12,
                    o,
                    h,
                    {"activation": "relu", "init": init, "bias": None},
                )
            )
        o, h = relu_kernels(0.5, n, "gaussian")
        cases.append(
            case(
                f"relu-bias0.5-n{n}",
                n,
                12,
                o,
                h,
                {"activation": "relu", "init": "gaussian", "bias": 0.5},
            )
        )
        for beta in (None, 0.5):
            o, h = erf_kernels(beta or 0)
            cases.append(
                case(
                    f"erf-bias{beta}-n{n}",
                    n,
                    10,
                    o,
                    h,
                    {"activation": "erf", "init": "gaussian", "bias": beta},
                )
            )
    # high dimension: values far below the kernel's scale need the working precision
    mp.mp.dps = 60
    o, h = relu_kernels(0, 100, "gaussian")
    cases.append(
        case(
            "relu-gaussian-n100",
            100,
            16,
            o,
            h,
            {"activation": "relu", "init": "gaussian", "bias": None},
        )
    )
    mp.mp.dps = DPS
    tanh_der = {}
    for n in (3, 10):
        cn = c_n(n)
        vals = []
        for k in range(9):

            def f(th, k=k, n=n, cn=cn):
                t = mp.cos(th)
                return cn * (1 - mp.tanh(t) ** 2) * legendre_nk(k, n, t) * mp.sin(th) ** (n - 2)

            vals.append(mp.nstr(mp.quad(f, mp.linspace(0, mp.pi, 9)), 30))
        tanh_der[str(n)] = vals
    doc = {
        "generator": "tests/reference/make_gd_reference.py",
        "mpmath_dps": DPS,
        "convention": "mu_k = E_{t~nu_n}[K(t) P_{k,n}(t)], P_{k,n}(1) = 1, uniform probability "
        "measure; Gaussian init w ~ N(0, I_n); ReLU Gaussian K_out = kappa_1/2",
        "cases": cases,
        "lambda_tanh_derivative_sphere": tanh_der,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gd_reference.json")
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=1)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
