"""sq_bounds: statistical-query lower bounds for learning degree-k polynomials on the sphere.

Convention (docs/conventions.md, "The sphere, its measure, and the law of one coordinate"):
uniform probability measure on S^{n-1}, P_{k,n}(1) = 1.  The hard family
is f_u(x) = sqrt(N(n,k)) P_{k,n}(<u, x>), with <f_u, f_v> = P_{k,n}(<u, v>)
(Vempala & Wilmes, COLT 2019).  Bounds are reported in log10 so that huge values stay finite.

Public API
----------
correlation, LegendreTarget                       -- the family and its correlations
direction_family, DirectionFamily, max_coherence  -- nearly orthogonal directions
family_size_bound, log_cap_measure                -- analytic family sizes (log scale)
max_correlation, statistical_dimension, query_lower_bound, information_theoretic_bound,
fit_exponent, SQBound, StatisticalDimension, ExponentFit  -- the bounds
ToleranceOracle, oracle_gradient_descent, population_gradient_descent, GDRun -- SQ simulation
FamilyTooLargeError                               -- raised before allocating a huge family
"""

from .bounds import (
    ExponentFit,
    SQBound,
    StatisticalDimension,
    fit_exponent,
    information_theoretic_bound,
    max_correlation,
    query_lower_bound,
    statistical_dimension,
)
from .correlation import LegendreTarget, correlation
from .families import (
    DirectionFamily,
    FamilyTooLargeError,
    direction_family,
    family_size_bound,
    log_cap_measure,
    max_coherence,
)
from .oracle import (
    GDRun,
    ToleranceOracle,
    oracle_gradient_descent,
    population_gradient_descent,
)

__all__ = [
    "DirectionFamily",
    "ExponentFit",
    "FamilyTooLargeError",
    "GDRun",
    "LegendreTarget",
    "SQBound",
    "StatisticalDimension",
    "ToleranceOracle",
    "correlation",
    "direction_family",
    "family_size_bound",
    "fit_exponent",
    "information_theoretic_bound",
    "log_cap_measure",
    "max_coherence",
    "max_correlation",
    "oracle_gradient_descent",
    "population_gradient_descent",
    "query_lower_bound",
    "statistical_dimension",
]
