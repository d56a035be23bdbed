"""Generate hermite_coefficients.json: h_j = E[g(s z + b) He_j(z)] / sqrt(j!), z ~ N(0, 1).

Independent of the library: mpmath quadrature at 30 digits, split at the kink z0 = -b/s, with
mpmath's own Hermite polynomials (physicists' H_j(z / sqrt 2) 2^{-j/2} = He_j(z)).
Run: python tests/reference/make_hermite_coefficients.py
"""

import json
import pathlib

import mpmath as mp

CASES = [
    ("relu", 1.0, 0.0),
    ("relu", 1.7, -0.4),
    ("abs", -0.6, 0.3),
    ("step", 2.0, 0.5),
    ("sign", 1.0, 0.2),
    ("relu3", 0.8, 0.1),
    ("tanh", 1.0, 0.0),
    ("gelu", 1.2, 0.3),
]
JMAX = 9
F = {
    "relu": lambda x: max(x, 0),
    "abs": abs,
    "step": lambda x: 1 if x > 0 else 0,
    "sign": lambda x: mp.sign(x),
    "relu3": lambda x: max(x, 0) ** 3,
    "tanh": mp.tanh,
    "gelu": lambda x: x * mp.ncdf(x),
}


def main():
    mp.mp.dps = 30
    out = []
    for name, s, b in CASES:
        f = F[name]
        z0 = -mp.mpf(b) / s
        vals = []
        for j in range(JMAX + 1):
            v = mp.quad(
                lambda z, f=f, s=s, b=b, j=j: (
                    f(s * z + b)
                    * mp.hermite(j, z / mp.sqrt(2))
                    * 2 ** (-mp.mpf(j) / 2)
                    * mp.npdf(z)
                ),
                [-mp.inf, z0, mp.inf],
            ) / mp.sqrt(mp.factorial(j))
            vals.append(mp.nstr(v, 25))
        out.append({"name": name, "scale": s, "bias": b, "h": vals})
    path = pathlib.Path(__file__).with_name("hermite_coefficients.json")
    path.write_text(json.dumps({"dps": 30, "cases": out}, indent=1) + "\n")


if __name__ == "__main__":
    main()
