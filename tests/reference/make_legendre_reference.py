"""Generate tests/reference/legendre_reference.json: P_{k,n}(t) to 35 significant digits.

Reference values are computed with mpmath only (never with the ``harmonics`` package):

* primary:  P_{k,n}(t) = C_k^{(alpha)}(t) / C_k^{(alpha)}(1), alpha = (n - 2)/2, with
  ``mpmath.gegenbauer`` (the terminating hypergeometric series 2F1(-k, k + 2 alpha; alpha + 1/2;
  (1 - t)/2), whose cancellation mpmath detects and beats by raising its working precision);
  for n = 2 (alpha = 0, where C_k^{(0)} vanishes) P_{k,2}(t) = T_k(t) = cos(k arccos t);
* cross-check: the normalized three-term recurrence
  (k + n - 2) P_{k+1,n} = (2k + n - 2) t P_{k,n} - k P_{k-1,n} run in mpmath at 100 digits.
  Every stored value must agree with it to 1e-40 relative to the envelope below, or the script
  stops.

Besides the value (decimal string), the table stores sign, log10|P| (as decimal strings, so
values far below the float64 range, e.g. P_{1000,10^6}(1e-3) ~ 1e-1718, keep full relative
precision) and the Sonine envelope

    E_{k,n}(t) = sqrt(P^2 + (1 - t^2) P'^2 / (k (k + n - 2))),
    P'_{k,n} = k (k + n - 2)/(n - 1) P_{k-1,n+2}          (C_k^{(a)}' = 2a C_{k-1}^{(a+1)}),

the amplitude of the oscillation of P_{k,n} around t (|P| <= E, with equality at the extrema;
E = 1 for n = 2).  It is the natural scale of the float64 rounding errors of the recurrence:
absolute near zeros of P, relative where P is monotone.

Each t is a float64 number and the reference is computed at exactly that binary value.

Usage:  python tests/reference/make_legendre_reference.py [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import mpmath
import numpy as np
from _refio import write_atomic  # noqa: E402  (script directory is on sys.path)

DPS = 60  # working precision of the primary computation (>= 50 digits asked for)
DIGITS = 35  # significant digits stored
CHECK_DPS = 100  # precision of the recurrence cross-check
CHECK_TOL = mpmath.mpf("1e-40")  # required agreement, relative to the envelope

DIMENSIONS = [2, 3, 4, 5, 10, 100, 1000, 10**4, 10**6]
DEGREES = [0, 1, 2, 3, 5, 10, 31, 50, 100, 200, 500, 1000]
SEED = 20240603


def t_grid() -> list[float]:
    """The t values: both ends, near the ends, around 0, plus seeded random points."""
    base = [1.0, 1 - 1e-12, 1 - 1e-6, 0.999, 0.9, 0.5, 0.1, 1e-3, 1e-8]
    ts = set(base) | {-x for x in base} | {0.0}
    rng = np.random.default_rng(SEED)
    ts |= {float(x) for x in rng.uniform(-1.0, 1.0, size=4)}
    # two random points very close to the ends (distance 10^-u, u uniform in [2, 14])
    for sgn, u in zip((1.0, -1.0), rng.uniform(2.0, 14.0, size=2), strict=True):
        ts.add(float(sgn * (1.0 - 10.0 ** (-u))))
    return sorted(ts)


def p_hypergeometric(k: int, n: int, t: mpmath.mpf) -> mpmath.mpf:
    """P_{k,n}(t) from mpmath's hypergeometric Gegenbauer (or cos(k arccos t) for n = 2)."""
    if t == 0 and k % 2 == 1:
        return mpmath.mpf(0)  # odd polynomial at 0: exact zero by parity, not a tiny number
    if n == 2:
        return mpmath.cos(k * mpmath.acos(t))
    alpha = mpmath.mpf(n - 2) / 2
    # maxprec: the series cancels by up to ~2000 digits at n = 10^6, k = 1000, t ~ 0; zeroprec:
    # a few points are exact zeros (e.g. P_{2,4}(1/2) = 0), which mpmath reports as 0 once the
    # sum is below 2^-40000 of its terms -- far beyond any genuine value in this table (the
    # cross-check against the recurrence confirms each such zero).
    num = mpmath.gegenbauer(k, alpha, t, maxprec=400000, zeroprec=40000)
    # C_k^{(alpha)}(1) = (2 alpha)_k / k!
    den = mpmath.rf(2 * alpha, k) / mpmath.factorial(k)
    return num / den


def p_recurrence_all(kmax: int, n: int, t: mpmath.mpf) -> list:
    """P_{0..kmax,n}(t) by the normalized three-term recurrence (current mpmath precision)."""
    out = [mpmath.mpf(1), t]
    for k in range(1, kmax):
        out.append(((2 * k + n - 2) * t * out[k] - k * out[k - 1]) / (k + n - 2))
    return out[: kmax + 1]


def envelope(k: int, n: int, t: mpmath.mpf, p: mpmath.mpf) -> mpmath.mpf:
    if k == 0:
        return mpmath.mpf(1)
    dp = mpmath.mpf(k * (k + n - 2)) / (n - 1) * p_hypergeometric(k - 1, n + 2, t)
    return mpmath.sqrt(p**2 + (1 - t**2) * dp**2 / (k * (k + n - 2)))


def log10_string(x: mpmath.mpf) -> str:
    return mpmath.nstr(mpmath.log10(abs(x)), DIGITS) if x != 0 else "-inf"


def build() -> dict:
    ts = t_grid()
    records = []
    t_start = time.time()
    for n in DIMENSIONS:
        for t in ts:
            with mpmath.workdps(CHECK_DPS):
                rec = p_recurrence_all(max(DEGREES), n, mpmath.mpf(t))
            with mpmath.workdps(DPS):
                tm = mpmath.mpf(t)  # exact binary value of the float64 t
                for k in DEGREES:
                    p = p_hypergeometric(k, n, tm)
                    env = envelope(k, n, tm, p)
                    with mpmath.workdps(CHECK_DPS):
                        gap = abs(rec[k] - p) / env
                    if gap > CHECK_TOL:
                        raise RuntimeError(
                            f"hypergeometric and recurrence disagree at k={k}, n={n}, t={t!r}: "
                            f"{mpmath.nstr(gap, 5)} (relative to the envelope)"
                        )
                    records.append(
                        {
                            "k": k,
                            "n": n,
                            "t": repr(t),
                            "t_hex": float.hex(t),
                            "value": mpmath.nstr(p, DIGITS, strip_zeros=False),
                            "sign": int(mpmath.sign(p)),
                            "log10_abs": log10_string(p),
                            "envelope": mpmath.nstr(env, DIGITS, strip_zeros=False),
                            "log10_envelope": log10_string(env),
                        }
                    )
        print(f"n = {n}: done ({time.time() - t_start:.1f} s)", file=sys.stderr, flush=True)
    return {
        "description": (
            "P_{k,n}(t) = C_k^{(alpha)}(t)/C_k^{(alpha)}(1), alpha=(n-2)/2, at the float64 t "
            "given by t_hex; value/log10_abs to 35 digits; envelope = "
            "sqrt(P^2 + (1-t^2) P'^2/(k(k+n-2))) (Sonine amplitude, the error scale)."
        ),
        "generator": "tests/reference/make_legendre_reference.py",
        "method": (
            f"mpmath.gegenbauer (hypergeometric) at {DPS} digits (cos(k acos t) for n=2), "
            f"cross-checked against the three-term recurrence at {CHECK_DPS} digits to "
            f"{mpmath.nstr(CHECK_TOL, 3)} of the envelope"
        ),
        "mpmath_version": mpmath.__version__,
        "seed": SEED,
        "dimensions": DIMENSIONS,
        "degrees": DEGREES,
        "t_values": [repr(t) for t in ts],
        "records": records,
    }


def main(argv=None) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        default=os.path.join(here, "legendre_reference.json"),
        help="output JSON file (written atomically; default: %(default)s)",
    )
    args = parser.parse_args(argv)
    data = build()
    write_atomic(args.out, data)
    print(f"wrote {len(data['records'])} values to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
