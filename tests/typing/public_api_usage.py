"""Type-checked uses of the public API (mypy, run by tests/test_typing.py; never executed).

Each line is a documented call (README, docstrings); mypy checks it against the annotated
signatures and return types of the public functions and result classes.  A signature whose
hints contradict its documented use (a wrong return type, an ``int`` hint for a parameter that
takes arrays, a missing ``| None``) fails the check.
"""

from __future__ import annotations

import pathlib

import numpy as np

import funkhecke
import gd_operator as gdo
import harmonics as hm
import sq_bounds as sq
from harmonics import symbolic


def harmonics_api() -> None:
    count: int = hm.dim_harmonics(100, 6)
    p2 = hm.legendre(3, 2, 0.5)
    table = hm.legendre(3, np.arange(5), np.linspace(-1.0, 1.0, 7))
    lam = hm.funk_hecke_eigenvalues("relu", 3, 4)
    sign, log_abs = hm.funk_hecke_eigenvalues("relu", 10**4, 200, log=True)
    e: hm.GegenbauerExpansion = hm.expand("sigmoid", 10, 12)
    fractions = e.cumulative_energy_fraction
    X: np.ndarray = hm.sample_sphere(100, 5, rng=0)
    act: hm.Activation = hm.get_activation("tanh", scale=2.0, bias=0.5)
    proj: hm.Projection = hm.project(lambda x: x[:, 0], 3, 4)
    zeros: np.ndarray = hm.legendre_zeros(5, 3)
    basis = hm.SphericalHarmonics(3, 2)
    names: tuple = hm.activation_names()
    expr = symbolic.funk_hecke_eigenvalue("relu", symbolic.n, 2)
    exact = symbolic.kernel_eigenvalue("relu_output", 3, 1)
    version: str = funkhecke.__version__


def gd_operator_api() -> None:
    mu = gdo.spectrum("relu", 10, 6, train="both", init="gaussian")
    target: gdo.RidgeTarget = gdo.ridge_target(5, (1, 2, 4))
    res: gdo.SimulationResult = gdo.simulate(target, "relu", 5, m=1000, steps=200, lr=50.0)
    rates = res.measured_rates()
    alpha: gdo.AlphaK = gdo.alpha_k("relu", 5, 3)
    bounds: gdo.VWBounds = gdo.vw_bounds("relu", 5, 3, 0.1)
    finite: gdo.FiniteWidthSpectrum = gdo.finite_width_spectrum("relu", 5, 100, 4, rng=0)
    energies = gdo.ridge_energies(np.ones(3), 5)
    prediction: gdo.Prediction = gdo.predict(energies, mu, 0.5, np.arange(10))
    curve: gdo.LearningCurve = gdo.learning_curve(mu, 10, energies, [10, 100])
    k = gdo.kernel("relu", 10, np.linspace(-1.0, 1.0, 5), train="both", init="gaussian")


def sq_bounds_api() -> None:
    bound: sq.SQBound = sq.query_lower_bound(10, 3, 0.1)
    dimension: sq.StatisticalDimension = sq.statistical_dimension(10, 3, 0.1)
    fit: sq.ExponentFit = sq.fit_exponent([10, 100, 1000], 3, 0.1)
    family: sq.DirectionFamily = sq.direction_family(10, 20, rng=0)
    info: sq.SQBound = sq.information_theoretic_bound(10, 3)
    coherence: float = sq.max_coherence(np.eye(3))
    size: float = sq.family_size_bound(10, 0.5)


def results_round_trip(folder: pathlib.Path) -> None:
    res = gdo.simulate(gdo.ridge_target(5, (1, 2)), "relu", 5, m=100, steps=10, lr=1.0)
    res.save(folder / "run.json")
    again: gdo.SimulationResult = gdo.SimulationResult.load(folder / "run.json")
    bound = sq.SQBound.load(str(folder / "bound.json"))
    log10_queries: float | None = bound.log10_queries
