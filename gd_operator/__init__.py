"""gd_operator: gradient descent on one-hidden-layer networks on S^{n-1} as a linear operator.

In the kernel (infinite-width, lazy) regime full-batch GD multiplies the degree-k part of the
residual by (1 - lr mu_k) per step; mu_k are the eigenvalues of the random-features kernel,
the hidden-layer kernel or the NTK on the spherical harmonics H_k (Funk-Hecke).  Conventions:
uniform probability measure on S^{n-1}, P_{k,n}(1) = 1 (docs/conventions.md).
"""

from typing import TYPE_CHECKING

from ._hermite import CoefficientNoiseWarning, SeriesTruncationWarning
from ._ridge import network_ridge
from .finite_width import FiniteWidthSpectrum, finite_width_spectrum
from .kernels import kernel
from .learning_curve import LearningCurve, learning_curve, staircase
from .predict import Prediction, predict, ridge_energies, teacher_energies
from .spectrum import spectrum
from .vw_bounds import AlphaK, VWBounds, alpha_k, best_approximation_error, vw_bounds

# The simulation side (numba kernels) is imported on first use, so `import gd_operator` stays
# light: gd_operator.simulate, ridge_target, ... resolve through __getattr__ below.
_LAZY = {
    "power_series": ("deep", "power_series"),  # numba series kernels
    "deep_finite_width": ("finite_width", "deep_finite_width"),
    "DeepFiniteWidth": ("finite_width", "DeepFiniteWidth"),
    "simulate": ("simulation", "simulate"),
    "simulate_batch": ("simulation", "simulate_batch"),
    "SimulationResult": ("simulation", "SimulationResult"),
    "DivergenceError": ("simulation", "DivergenceError"),
    "SimulationInterrupted": ("simulation", "SimulationInterrupted"),
    # beyond the kernel regime: Gaussian targets, kernel floors, mean-field training
    "GaussianRidgeSum": ("gaussian", "GaussianRidgeSum"),
    "HermitePolynomialTarget": ("gaussian", "HermitePolynomialTarget"),
    "gaussian_ridge_sum": ("gaussian", "gaussian_ridge_sum"),
    "hermite_coefficients": ("gaussian", "hermite_coefficients"),
    "hermite_polynomial_target": ("gaussian", "hermite_polynomial_target"),
    "lmz_target": ("gaussian", "lmz_target"),
    "single_index_target": ("gaussian", "single_index_target"),
    "staircase_target": ("gaussian", "staircase_target"),
    "KernelFloor": ("floors", "KernelFloor"),
    "kernel_floor": ("floors", "kernel_floor"),
    "MeanFieldInterrupted": ("mean_field", "MeanFieldInterrupted"),
    "MeanFieldResult": ("mean_field", "MeanFieldResult"),
    "network_hermite_energies": ("mean_field", "network_hermite_energies"),
    "sphere_network_energies": ("mean_field", "sphere_network_energies"),
    "train_mean_field": ("mean_field", "train_mean_field"),
    "ridge_target": ("targets", "ridge_target"),
    "teacher_network": ("targets", "teacher_network"),
    "RidgeTarget": ("targets", "RidgeTarget"),
    "TeacherNetwork": ("targets", "TeacherNetwork"),
    "kernel_regression": ("regression", "kernel_regression"),
    "KernelRegression": ("regression", "KernelRegression"),
    "random_features_curve": ("random_features", "random_features_curve"),
    "RandomFeaturesCurve": ("random_features", "RandomFeaturesCurve"),
    "random_features_regression": ("random_features", "random_features_regression"),
    "RandomFeaturesRegression": ("random_features", "RandomFeaturesRegression"),
    "gd_learning_curve": ("early_stopping", "gd_learning_curve"),
    "GDLearningCurve": ("early_stopping", "GDLearningCurve"),
    "kernel_gd_regression": ("early_stopping", "kernel_gd_regression"),
    "KernelGDRegression": ("early_stopping", "KernelGDRegression"),
}


if TYPE_CHECKING:  # the names __getattr__ resolves, for type checkers (not run)
    from .deep import power_series
    from .early_stopping import (
        GDLearningCurve,
        KernelGDRegression,
        gd_learning_curve,
        kernel_gd_regression,
    )
    from .finite_width import DeepFiniteWidth, deep_finite_width
    from .floors import KernelFloor, kernel_floor
    from .gaussian import (
        GaussianRidgeSum,
        HermitePolynomialTarget,
        gaussian_ridge_sum,
        hermite_coefficients,
        hermite_polynomial_target,
        lmz_target,
        single_index_target,
        staircase_target,
    )
    from .mean_field import (
        MeanFieldInterrupted,
        MeanFieldResult,
        network_hermite_energies,
        sphere_network_energies,
        train_mean_field,
    )
    from .random_features import (
        RandomFeaturesCurve,
        RandomFeaturesRegression,
        random_features_curve,
        random_features_regression,
    )
    from .regression import KernelRegression, kernel_regression
    from .simulation import (
        DivergenceError,
        SimulationInterrupted,
        SimulationResult,
        simulate,
        simulate_batch,
    )
    from .targets import RidgeTarget, TeacherNetwork, ridge_target, teacher_network


def __getattr__(name):
    import importlib

    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value  # resolve once; later lookups skip __getattr__
        return value
    moved = importlib.import_module("._moved", __name__)
    if name in moved.MOVED:  # deprecated: moved to the application layer (not cached)
        return moved.resolve(name)
    raise AttributeError(f"module 'gd_operator' has no attribute {name!r}")


__all__ = [
    "AlphaK",
    "GaussianRidgeSum",
    "HermitePolynomialTarget",
    "SeriesTruncationWarning",
    "CoefficientNoiseWarning",
    "KernelFloor",
    "MeanFieldInterrupted",
    "MeanFieldResult",
    "gaussian_ridge_sum",
    "hermite_coefficients",
    "hermite_polynomial_target",
    "kernel_floor",
    "lmz_target",
    "network_hermite_energies",
    "single_index_target",
    "sphere_network_energies",
    "staircase_target",
    "train_mean_field",
    "KernelRegression",
    "LearningCurve",
    "kernel_regression",
    "learning_curve",
    "RandomFeaturesCurve",
    "RandomFeaturesRegression",
    "random_features_curve",
    "random_features_regression",
    "GDLearningCurve",
    "KernelGDRegression",
    "gd_learning_curve",
    "kernel_gd_regression",
    "staircase",
    "DivergenceError",
    "RidgeTarget",
    "SimulationInterrupted",
    "SimulationResult",
    "TeacherNetwork",
    "ridge_target",
    "simulate",
    "simulate_batch",
    "teacher_network",
    "FiniteWidthSpectrum",
    "Prediction",
    "VWBounds",
    "alpha_k",
    "best_approximation_error",
    "finite_width_spectrum",
    "kernel",
    "power_series",
    "deep_finite_width",
    "DeepFiniteWidth",
    "network_ridge",
    "predict",
    "ridge_energies",
    "spectrum",
    "teacher_energies",
    "vw_bounds",
]
