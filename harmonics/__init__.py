"""harmonics: spherical harmonics, Legendre polynomials of any dimension and Funk-Hecke.

Convention everywhere: uniform probability measure on S^{n-1} (n = ambient dimension),
P_{k,n}(1) = 1, and the Funk-Hecke eigenvalue lambda_k(phi) = E_{t~nu_n}[phi(t) P_{k,n}(t)].
See docs/conventions.md.
"""

from .dimensions import dim_harmonics
from .legendre import gegenbauer, legendre, legendre_log

__all__ = ["dim_harmonics", "gegenbauer", "legendre", "legendre_log"]
