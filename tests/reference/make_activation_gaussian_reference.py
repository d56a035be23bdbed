"""Generate tests/reference/activation_gaussian_reference.json: Gaussian-init kernels of the
activations added in issue 19 (leaky_relu, silu, sin, cos), to >= 18 digits.

For (u, v) standard bivariate normal with correlation rho (w ~ N(0, I_n), unit inputs with
<x, y> = rho; docs/conventions.md, "Kernel conventions"):

    K_out(rho) = E[g(u) g(v)],    K_hid(rho) = rho E[g'(u) g'(v)].

Computed WITHOUT the funkhecke packages and without their formulas (Mehler series, the
closed forms of gd_operator._hermite, truncated powers):

* smooth gates (silu, sin, cos, scaled and shifted): the 2-D Gaussian integral by the
  tensor Gauss-Hermite rule of mpmath (``mpmath.gauss_quadrature(m, "hermite")``, weight
  e^{-x^2}, u = sqrt2 x1, v = sqrt2 (rho x1 + sqrt(1 - rho^2) x2)) at 40 digits, with m = 90 and
  m = 120 nodes; the two must agree to 18 digits (``verified_digits`` per record: the entire
  sin/cos agree to > 30, silu -- poles at x = +-i pi slow Gauss-Hermite down -- to ~22);
* leaky_relu (kinked, where Gauss-Hermite converges slowly): from leaky(x) = (1 - a) relu(x) +
  a x, E[relu(u) relu(v)] = J_1(theta)/(2 pi) (Cho & Saul 2009; J_1 = sin th + (pi - th) cos th)
  and E[relu(u) v] = rho/2, E[u v] = rho: K_out = (1-a)^2 J_1/(2 pi) + a rho, and for
  g' = a + (1 - a) step: E[g'(u) g'(v)] = (1-a)^2 (pi - th)/(2 pi) + a (1 - a) + a^2, in mpmath;
  checked against a nested mpmath.quad of the definition at rho = 0.3.

Usage: python tests/reference/make_activation_gaussian_reference.py [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import mpmath
from _refio import write_atomic  # noqa: E402  (script directory is on sys.path)

DPS = 40
DIGITS = 30
RHOS = ["-0.6", "0.3", "0.9"]
# (id, API name, API parameters, g, g') as mpmath functions of x
SMOOTH = [
    (
        "sin_s1.5",
        "sin",
        {"scale": 1.5},
        lambda x: mpmath.sin(1.5 * x),
        lambda x: 1.5 * mpmath.cos(1.5 * x),
    ),
    (
        "cos_s2_b0.3",
        "cos",
        {"scale": 2.0, "bias": 0.3},
        lambda x: mpmath.cos(2 * x + mpmath.mpf("0.3")),
        lambda x: -2 * mpmath.sin(2 * x + mpmath.mpf("0.3")),
    ),
    (
        "silu",
        "silu",
        {},
        lambda x: x / (1 + mpmath.exp(-x)),
        lambda x: 1 / (1 + mpmath.exp(-x)) + x * mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2,
    ),
    (
        "silu_s0.7_b0.4",
        "silu",
        {"scale": 0.7, "bias": 0.4},
        lambda x: (0.7 * x + 0.4) / (1 + mpmath.exp(-(0.7 * x + 0.4))),
        lambda x: (
            0.7
            * (
                1 / (1 + mpmath.exp(-(0.7 * x + 0.4)))
                + (0.7 * x + 0.4)
                * mpmath.exp(-(0.7 * x + 0.4))
                / (1 + mpmath.exp(-(0.7 * x + 0.4))) ** 2
            )
        ),
    ),
]
LEAKY = [("leaky_relu", {}, "0.01"), ("leaky_relu_a0.2", {"negative_slope": 0.2}, "0.2")]


def _tensor(f, g, rho, nodes):
    xs, ws = nodes
    r = mpmath.sqrt(1 - rho * rho)
    s2 = mpmath.sqrt(2)
    total = mpmath.mpf(0)
    for x1, w1 in zip(xs, ws, strict=True):
        fx = f(s2 * x1)
        inner = mpmath.fsum(w2 * g(s2 * (rho * x1 + r * x2)) for x2, w2 in zip(xs, ws, strict=True))
        total += w1 * fx * inner
    return total / mpmath.pi


def _leaky(a, rho):
    th = mpmath.acos(rho)
    j1 = mpmath.sin(th) + (mpmath.pi - th) * mpmath.cos(th)
    out = (1 - a) ** 2 * j1 / (2 * mpmath.pi) + a * rho
    der = (1 - a) ** 2 * (mpmath.pi - th) / (2 * mpmath.pi) + a * (1 - a) + a * a
    return out, rho * der


def _leaky_check(a, rho):
    """Nested mpmath.quad of E[g(u) g(v)] (split at the kinks) at 20 digits."""
    with mpmath.workdps(20):
        r = mpmath.sqrt(1 - rho * rho)

        def g(x):
            return x if x > 0 else a * x

        def phi(x):
            return mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)

        def inner(x1):
            kink = -rho * x1 / r
            return mpmath.quad(lambda x2: phi(x2) * g(rho * x1 + r * x2), [-14, kink, 14])

        return mpmath.quad(lambda x1: phi(x1) * g(x1) * inner(x1), [-14, 0, 14])


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "activation_gaussian_reference.json"))
    args = parser.parse_args(argv)
    t0 = time.time()
    mpmath.mp.dps = DPS
    rules = {m: mpmath.gauss_quadrature(m, "hermite") for m in (90, 120)}
    print(f"Gauss-Hermite nodes in {time.time() - t0:.0f} s", file=sys.stderr)
    records = []
    for ident, api, params, g, dg in SMOOTH:
        for rho_s in RHOS:
            rho = mpmath.mpf(rho_s)
            vals = {}
            for what, f in (("output", g), ("hidden_derivative", dg)):
                a, b = (_tensor(f, f, rho, rules[m]) for m in (90, 120))
                agree = -float(mpmath.log10(abs(a - b) / abs(b))) if a != b else 99.0
                if agree < 18:
                    raise RuntimeError(f"{ident} rho={rho_s} {what}: rules agree to {agree:.1f}")
                vals[what] = (b, agree)
            out, hid = vals["output"][0], rho * vals["hidden_derivative"][0]
            records.append(
                {
                    "activation": ident,
                    "api_name": api,
                    "params": params,
                    "rho": rho_s,
                    "output": mpmath.nstr(out, DIGITS),
                    "hidden": mpmath.nstr(hid, DIGITS),
                    "verified_digits": round(min(v[1] for v in vals.values()), 1),
                }
            )
            print(f"{ident} rho={rho_s}: {time.time() - t0:.0f} s", file=sys.stderr)
    for ident, params, a_s in LEAKY:
        a = mpmath.mpf(a_s)
        for rho_s in RHOS:
            rho = mpmath.mpf(rho_s)
            out, hid = _leaky(a, rho)
            records.append(
                {
                    "activation": ident,
                    "api_name": "leaky_relu",
                    "params": params,
                    "rho": rho_s,
                    "output": mpmath.nstr(out, DIGITS),
                    "hidden": mpmath.nstr(hid, DIGITS),
                    "verified_digits": DIGITS,
                }
            )
        check = _leaky_check(a, mpmath.mpf("0.3"))
        ref = _leaky(a, mpmath.mpf("0.3"))[0]
        if abs(check - ref) > 1e-15 * abs(ref):
            raise RuntimeError(f"{ident}: closed form {ref} vs nested quad {check}")
    write_atomic(
        args.out,
        {
            "description": (
                "Gaussian-init kernels K_out = E[g(u) g(v)] and K_hid = rho E[g'(u) g'(v)], "
                "(u, v) standard normal with correlation rho, as decimal strings"
            ),
            "generator": "tests/reference/make_activation_gaussian_reference.py",
            "mpmath_version": mpmath.__version__,
            "records": records,
        },
    )
    print(f"wrote {args.out} in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
