"""simulate: exact population loss with per-unit random biases (relu), the training-residual
record (record_residual=True) and fit_decay_rates."""

import numpy as np
import pytest

import gd_operator as gdo
from gd_operator.simulation import _biased_population, fit_decay_rates
from harmonics import get_activation, sample_sphere
from harmonics.ridge import population_gram


def _mc_gram(W, b, target, N=400_000, seed=5):
    X = sample_sphere(N, W.shape[1], rng=seed)
    F = np.maximum(X @ W.T + b, 0.0)
    return F.T @ F / N, F.T @ target(X) / N


def test_biased_population_gram_matches_monte_carlo():
    # G_ij = E[relu(<w_i,x>+b_i) relu(<w_j,x>+b_j)] by the Funk-Hecke series of every unit
    n = 5
    tg = gdo.ridge_target(n, (1, 2, 3), rng=1)
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((6, n)), rng.normal(0.0, 0.5, 6)
    G, t, K = _biased_population(tg, get_activation("relu"), W, b, n)
    Gmc, tmc = _mc_gram(W, b, tg)
    assert K >= 32
    np.testing.assert_allclose(G, Gmc, atol=4e-3)  # MC standard error ~1e-3
    np.testing.assert_allclose(t, tmc, atol=8e-3)
    assert np.allclose(G, G.T)


def test_biased_population_tends_to_the_arccos_gram_as_the_bias_vanishes():
    # b -> 0: the unbiased closed form (arc-cosine kernel) of harmonics.ridge.population_gram
    n = 4
    tg = gdo.ridge_target(n, (1, 2), rng=2)
    rng = np.random.default_rng(3)
    W = rng.standard_normal((5, n))
    G, t, _ = _biased_population(tg, get_activation("relu"), W, np.full(5, 1e-12), n)
    G0, _ = population_gram("relu", W)
    np.testing.assert_allclose(G, G0, rtol=0, atol=1e-6 * np.abs(G0).max())


def test_population_loss_with_bias_is_the_population_loss():
    # before: "population loss with biases has no closed form here; pass samples=N"
    n = 5
    tg = gdo.ridge_target(n, (1, 2, 3), rng=1)
    res = gdo.simulate(
        tg, "relu", n, 120, steps=25, lr=2.0, init="gaussian", bias=0.5, progress=False, kmax=30
    )
    assert res.settings["samples"] is None
    # L = (1/2) ||f* - f||^2 = (1/2) sum_k of the exact residual energies (degrees <= 30 carry
    # all but ~1e-6 of it)
    assert res.loss[-1] == pytest.approx(0.5 * res.residual_energy[-1].sum(), rel=1e-5)
    assert res.loss[-1] < res.loss[0]
    # and the rates follow the biased spectrum at the low degrees
    rates = res.measured_rates()
    assert abs(rates[1] / res.spectrum[1] - 1) < 0.3


def test_population_loss_with_bias_refuses_what_it_cannot_do():
    tg = gdo.ridge_target(3, (1,), rng=0)
    with pytest.raises(ValueError, match="implemented for relu"):
        gdo.simulate(tg, "tanh", 3, 4, steps=1, lr=0.1, init="gaussian", bias=0.5, progress=False)


def test_record_residual_keeps_the_training_residual():
    n = 4
    tg = gdo.ridge_target(n, (1, 2), rng=0)
    kw = dict(steps=6, lr=1.0, train="both", init="gaussian", samples=50, progress=False)
    res = gdo.simulate(tg, "relu", n, 16, record_residual=True, record_every=2, **kw)
    rec = res.train_record
    assert rec["X"].shape == (50, n) and rec["residual"].shape == (len(res.steps), 50)
    np.testing.assert_allclose(0.5 * np.mean(rec["residual"] ** 2, axis=1), res.loss)
    np.testing.assert_allclose(rec["residual"][0], tg(rec["X"]) - _forward(rec, n))
    plain = gdo.simulate(tg, "relu", n, 16, record_every=2, **kw)
    np.testing.assert_array_equal(plain.loss, res.loss)  # recording changes nothing
    assert plain.train_record == {}
    with pytest.raises(ValueError, match="pass samples=N"):
        gdo.simulate(tg, "relu", n, 4, steps=1, lr=0.1, progress=False, record_residual=True)


def _forward(rec, n):
    W, b, a = rec["W0"], rec["b0"], rec["a0"]
    return np.maximum(rec["X"] @ W.T + b, 0.0) @ a / np.sqrt(len(a))


def test_fit_decay_rates_recovers_a_geometric_decay():
    steps = np.arange(0, 50, 5)
    lr, mu = 2.0, np.array([0.1, 0.01])
    energy = (1 - lr * mu[None, :]) ** (2 * steps[:, None])
    np.testing.assert_allclose(fit_decay_rates(steps, energy, lr), mu, rtol=1e-10)
