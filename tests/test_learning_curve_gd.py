"""gd_operator.early_stopping: the GD spectral-filter learning curve and kernel-GD simulation.

References, one per test group:
* the simulation's closed-form filter alpha_t = V diag((1 - (1 - lr w/P)^t)/w) V^T y against
  GD iterated step by step, alpha <- alpha + (lr/P)(y - K alpha), with the test error from
  kernel_regression's Funk-Hecke formula (gd_operator.regression._exact_test_error);
* the theory's P -> oo limit: the ridge P/(lr t) gives kappa -> 1/(lr t), so the test error ->
  sum_k v_k / (1 + lr t mu_k)^2 (closed form); population_mse is gd_operator.predict's total;
* theory vs simulation (the approximation): ReLU output kernel, n = 10, 4 seeds; tolerance 3
  standard errors + 10 % (measured deviations <= 8.5 %, module docstring).
"""

from __future__ import annotations

import numpy as np
import pytest

import gd_operator as gdo
import harmonics as hm
from gd_operator.early_stopping import gd_learning_curve, kernel_gd_regression
from gd_operator.regression import _exact_test_error

KW = dict(train="output", init="sphere")


def test_filter_equals_iterated_gd():
    n, P, kmax = 5, 15, 20
    mu = np.asarray(gdo.spectrum("relu", n, kmax, **KW))
    lr = 0.8 / mu.max()
    steps = [0, 1, 2, 7, 40]
    sim = kernel_gd_regression(
        "relu", n, [P], lr, steps, degrees=(1, 2), seeds=1, rng=3, kmax=kmax, noise=0.1, **KW
    )
    gen = np.random.default_rng(3)  # the same draws as the simulation
    target = gdo.ridge_target(n, (1, 2), None, rng=gen)
    X = hm.sample_sphere(P, n, rng=gen)
    y = target(X) + np.sqrt(0.1) * gen.standard_normal(P)
    K = gdo.kernel("relu", n, np.clip(X @ X.T, -1, 1), **KW)
    alpha = np.zeros(P)
    for t in range(41):
        if t in steps:
            i = steps.index(t)
            test, _ = _exact_test_error(alpha, X, target, mu, n)
            assert sim.test_mse[0, 0, i] == pytest.approx(test, rel=1e-10, abs=1e-13)
            assert sim.train_mse[0, 0, i] == pytest.approx(np.mean((K @ alpha - y) ** 2), 1e-10)
        alpha = alpha + (lr / P) * (y - K @ alpha)


def test_theory_large_P_limit_and_population():
    mu = np.array([0.5, 0.2, 0.05, 0.0])
    v = np.array([0.3, 1.0, 0.5, 0.2])
    lr, steps = 1.5, np.array([0, 1, 5, 50, 500])
    gd = gd_learning_curve(mu, 4, v, [1e13], lr, steps)
    expect = [v.sum()] + [float(np.sum(v / (1 + lr * t * mu) ** 2)) for t in steps[1:]]
    np.testing.assert_allclose(gd.test_mse[:, 0], expect, rtol=1e-9)
    pred = gdo.predict(v, mu, lr, steps)
    np.testing.assert_allclose(gd.population_mse, pred.total, rtol=1e-14)
    assert np.all(gd.effective_ridge[1:, 0] == 1e13 / (lr * steps[1:]))


def test_bad_input():
    mu, v = [0.5, 0.2], [0.0, 1.0]
    with pytest.raises(ValueError, match="lr"):
        gd_learning_curve(mu, 3, v, [10], 5.0, [1])  # lr mu_0 = 2.5 > 2
    with pytest.raises(ValueError, match="steps"):
        gd_learning_curve(mu, 3, v, [10], 1.0, [-1])
    with pytest.raises(ValueError, match="steps"):
        gd_learning_curve(mu, 3, v, [10], 1.0, [1.5])
    with pytest.raises(TypeError, match="steps"):
        gd_learning_curve(mu, 3, v, [10], 1.0, True)
    with pytest.raises(ValueError, match="lr"):
        kernel_gd_regression("relu", 5, [20], 1e6, [1], seeds=1, kmax=4)


def test_theory_matches_simulated_gd():
    """The regime the approximation covers: a target with an unlearned remainder (degrees 1-4
    of which the ReLU output kernel cannot learn degree 3), noise 0.1, n = 10.  The failure
    regime (fully learnable target, late times) is documented in the module docstring."""
    n, kmax = 10, 30
    mu = np.asarray(gdo.spectrum("relu", n, kmax, **KW))
    lr = 0.9 / mu.max()
    P, steps = [100, 400], [1, 10, 100, 1000]
    sim = kernel_gd_regression(
        "relu", n, P, lr, steps, degrees=(1, 2, 3, 4), noise=0.1, seeds=4, rng=1, kmax=kmax, **KW
    )
    spl = gdo.spectrum("relu", n, 200, log=True, **KW)
    v = np.zeros(201)
    v[: sim.target_energies.size] = sim.target_energies
    th = gd_learning_curve(spl, n, v, P, lr, steps, noise=0.1).test_mse.T  # [M, T]
    tol = 3 * sim.test_sem + 0.10 * th
    assert np.all(np.abs(sim.test_mean - th) <= tol), (sim.test_mean, th)
