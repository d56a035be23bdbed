"""harmonics: spherical harmonics, Legendre polynomials of any dimension and Funk-Hecke.

Convention everywhere: uniform probability measure on S^{n-1} (n = ambient dimension),
P_{k,n}(1) = 1, and the Funk-Hecke eigenvalue lambda_k(phi) = E_{t~nu_n}[phi(t) P_{k,n}(t)].
See docs/conventions.md.
"""

from typing import TYPE_CHECKING

from ._quadrature import (
    gauss_legendre,
    gauss_rule,
    legendre_zeros,
    log_nu_normalizer,
    nu_quadrature,
)
from .activations import ACTIVATION_ALIASES, Activation, activation_names, get_activation
from .activations import REGISTERED as REGISTERED_ACTIVATIONS
from .basis import BasisTooLargeError, SphericalHarmonics
from .dimensions import dim_harmonics
from .expansion import GegenbauerExpansion, expand
from .funk_hecke import EigenvalueUnderflowWarning, funk_hecke_eigenvalues
from .legendre import gegenbauer, legendre, legendre_log, legendre_rows
from .projection import Projection, RidgeSum, project
from .ridge import RidgeSumBase, population_gram
from .sampling import sample_sphere

__all__ = [
    "ACTIVATION_ALIASES",
    "Activation",
    "BasisTooLargeError",
    "Projection",
    "RidgeSum",
    "RidgeSumBase",
    "SphericalHarmonics",
    "EigenvalueUnderflowWarning",
    "GegenbauerExpansion",
    "REGISTERED_ACTIVATIONS",
    "activation_names",
    "dim_harmonics",
    "expand",
    "funk_hecke_eigenvalues",
    "gauss_legendre",
    "gauss_rule",
    "gegenbauer",
    "get_activation",
    "legendre",
    "legendre_log",
    "legendre_rows",
    "legendre_zeros",
    "log_nu_normalizer",
    "nu_quadrature",
    "population_gram",
    "project",
    "sample_sphere",
]

if TYPE_CHECKING:  # the submodules __getattr__ loads on first use, for type checkers
    from . import plotting, symbolic  # noqa: F401


def __getattr__(name):
    # harmonics.symbolic (sympy) and harmonics.plotting (matplotlib) load on first use, so that
    # `import harmonics` stays light.
    if name in ("symbolic", "plotting"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'harmonics' has no attribute {name!r}")
