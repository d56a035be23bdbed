"""sq_bounds.oracle: the tolerance-tau SQ oracle and gradient descent through it."""

import math

import numpy as np
import pytest

from harmonics import funk_hecke_eigenvalues, get_activation
from sq_bounds import (
    LegendreTarget,
    ToleranceOracle,
    oracle_gradient_descent,
    population_gradient_descent,
)
from sq_bounds.oracle import _Features

GD = {"width": 60, "steps": 150, "activation": "erf", "scale": 3.0, "bias": 0.5}


def _unit(rng, n):
    v = rng.standard_normal(n)
    return v / np.linalg.norm(v)


def _sphere(rng, N, n):
    X = rng.standard_normal((N, n))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


@pytest.mark.parametrize("adversary", [None, "zero", "random"])
@pytest.mark.parametrize("tau", [0.0, 0.01, 0.3])
def test_answers_never_outside_tolerance(adversary, tau):
    rng = np.random.default_rng(1)
    n = 5
    target = LegendreTarget(_unit(rng, n), 3)
    orc = ToleranceOracle(target, tau, adversary, rng=2, num_samples=20_000, record=True)
    phi = get_activation("tanh", bias=0.3)
    for _ in range(5):
        W = _sphere(rng, 30, n)
        orc.ridge_query(W, phi)
        v = _unit(rng, n)
        orc.correlational_query(lambda X, v=v: np.tanh(X @ v))
        orc.query(lambda X, y, v=v: np.clip(0.5 * y * (X @ v), -1, 1))
        orc.query(lambda X, y: np.cos(3 * X[:, 0]) * 0.9)  # target-independent query
    assert orc.num_queries == 5 * (30 + 3)
    for _, truth, answer in orc.history:
        assert np.all(np.abs(answer - truth) <= tau * (1 + 1e-15))
    assert orc.max_deviation <= tau
    if adversary == "random" and tau > 0:
        assert orc.max_deviation > 0.5 * tau  # the noise is really used


def test_zero_adversary_answers_as_if_target_were_zero():
    rng = np.random.default_rng(4)
    n = 6
    target = LegendreTarget(_unit(rng, n), 2)
    W = _sphere(rng, 200, n)
    phi = get_activation("erf", scale=2.0, bias=0.5)
    truth = ToleranceOracle(target, 0.0, None).ridge_query(W, phi)
    tau = float(np.median(np.abs(truth)))
    answer = ToleranceOracle(target, tau, "zero").ridge_query(W, phi)
    small = np.abs(truth) <= tau
    assert np.all(answer[small] == 0.0)  # the zero target's answer is allowed
    np.testing.assert_allclose(answer[~small], truth[~small] - tau * np.sign(truth[~small]))
    # target-independent general query: the zero adversary returns E[q(x, 0)] exactly
    orc = ToleranceOracle(target, 0.2, "zero", rng=1, num_samples=10_000)
    q = lambda X, y: 0.5 * np.sin(X[:, 0]) + 0.1 * np.tanh(y)  # noqa: E731
    X = orc._sample()[0]
    ans = orc.query(q)
    assert ans == pytest.approx(np.mean(0.5 * np.sin(X[:, 0])), abs=1e-15)


def test_ridge_truth_is_exact_funk_hecke_vs_monte_carlo():
    # Exact answers (tau = 0) vs the oracle's own Monte Carlo path for a plain callable with
    # the same values: agree within 4.5 standard errors (400k samples).
    rng = np.random.default_rng(8)
    n, k = 4, 3
    target = LegendreTarget(_unit(rng, n), k)
    W = _sphere(rng, 5, n)
    phi = get_activation("erf", scale=3.0, bias=0.5)
    exact = ToleranceOracle(target, 0.0, None).ridge_query(W, phi)
    mc = ToleranceOracle(lambda X: target(X), 0.0, None, rng=3, n=n, num_samples=400_000)
    est = mc.ridge_query(W, phi)
    assert np.all(np.abs(est - exact) < 4.5 * mc.last_standard_error)
    lam = funk_hecke_eigenvalues(phi, n, k)[k]
    np.testing.assert_allclose(
        exact, math.sqrt(target.dim) * lam * np.asarray(target(W)) / target.scale, rtol=1e-13
    )


def test_zero_noise_oracle_gd_equals_population_gd():
    # tau = 0 (and adversary None at tau > 0): the oracle returns the exact b, so the
    # iterates must coincide with population GD to rounding.
    rng = np.random.default_rng(5)
    target = LegendreTarget(_unit(rng, 4), 2)
    pop = population_gradient_descent(target, rng=9, **GD)
    for tau, adv in [(0.0, "zero"), (0.0, "random"), (0.2, None)]:
        run = oracle_gradient_descent(target, tau=tau, adversary=adv, rng=9, **GD)
        np.testing.assert_array_equal(run.hidden, pop.hidden)
        np.testing.assert_allclose(run.a, pop.a, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(run.relative_errors, pop.relative_errors, atol=1e-13)
        assert run.num_queries == GD["steps"] * GD["width"]


def test_population_gd_matches_closed_form_linear_recursion():
    # Independent route: a_T = sum_{t<T} (I - lr A)^t lr c with A = G/m, c = b/sqrt(m), solved
    # in the eigenbasis of A, with geometric sums in closed form (expm1/log1p).  Tolerance
    # 1e-9 relative: T = 150 steps of rounding in the iteration.
    rng = np.random.default_rng(6)
    target = LegendreTarget(_unit(rng, 4), 3)
    pop = population_gradient_descent(target, rng=2, **GD)
    phi = get_activation("erf", scale=3.0, bias=0.5)
    feats = _Features(target, 4, pop.hidden, phi)
    m = pop.hidden.shape[0]
    evals, V = np.linalg.eigh(feats.G / m)
    c = V.T @ (feats.b / math.sqrt(m))
    lr, T = pop.lr, GD["steps"]
    r = 1.0 - lr * evals
    # lr = 1/max eigenvalue puts lr * evals at 1 up to rounding: use the power form there
    # (r^T is harmless for |r| <= 1 + eps) and expm1/log1p (accurate) for small lr * evals.
    x = lr * evals
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.where(
            np.abs(x) <= 1e-14,
            T,
            np.where(
                x < 0.5,
                -np.expm1(T * np.log1p(-np.minimum(x, 0.5))) / x,
                (1 - r**T) / x,
            ),
        )
    a_closed = V @ (lr * geo * c)
    assert np.all(np.abs(r) <= 1 + 1e-12)  # stable step size (up to rounding at lr = 1/max)
    np.testing.assert_allclose(pop.a, a_closed, rtol=1e-9, atol=1e-9 * np.max(np.abs(a_closed)))


def test_gram_and_error_against_monte_carlo():
    # G_ij = E[phi_i phi_j] (Funk-Hecke series) and ||f* - f_a||^2 at the final weights, both
    # against 400k-point Monte Carlo within 4.5 standard errors.
    rng = np.random.default_rng(12)
    n = 4
    target = LegendreTarget(_unit(rng, n), 2)
    run = population_gradient_descent(target, rng=1, **{**GD, "width": 12, "steps": 40})
    phi = get_activation("erf", scale=3.0, bias=0.5)
    feats = _Features(target, n, run.hidden, phi)
    assert feats.truncation < 1e-12
    N = 400_000
    X = _sphere(rng, N, n)
    F = phi(np.clip(X @ run.hidden.T, -1, 1))
    for i, j in [(0, 0), (0, 1), (3, 7), (11, 5)]:
        prod = F[:, i] * F[:, j]
        se = prod.std(ddof=1) / math.sqrt(N)
        assert abs(prod.mean() - feats.G[i, j]) < 4.5 * se
    resid = (target(X) - F @ run.a / math.sqrt(12)) ** 2
    se = resid.std(ddof=1) / math.sqrt(N)
    assert abs(resid.mean() - run.final_error) < 4.5 * se


def test_tolerance_above_correlation_scale_hides_high_degree_but_not_low():
    # n = 4, erf(3t + 0.5): degree 5 has correlation scale ~0.04, degree 1 ~0.7.  With
    # tau = 0.05 and the zero adversary every degree-5 answer is 0 -> the weights never move
    # and the error stays exactly 1, while population GD learns part of it; degree 1 is learned.
    rng = np.random.default_rng(0)
    u = rng.standard_normal(4)
    cfg = {**GD, "width": 120, "steps": 600}
    hi = LegendreTarget(u, 5)
    run_hi = oracle_gradient_descent(hi, tau=0.05, rng=1, **cfg)
    pop_hi = population_gradient_descent(hi, rng=1, **cfg)
    assert run_hi.correlation_scale < 0.05
    assert not run_hi.moved and np.all(run_hi.relative_errors == 1.0)
    assert pop_hi.final_error < 0.9
    lo = LegendreTarget(u, 1)
    run_lo = oracle_gradient_descent(lo, tau=0.05, rng=1, **cfg)
    assert run_lo.correlation_scale > 0.05
    assert run_lo.best_error < 0.1
    assert "best" in repr(run_lo)


def test_generic_callable_target_zero_noise_gd():
    # A non-ridge target (x1 x2, degree 2): the oracle's truth is the Monte Carlo mean on its
    # fixed sample; with tau = 0 GD must equal GD run by hand with b computed on that sample.
    n = 3
    f = lambda X: 2.0 * X[:, 0] * X[:, 1]  # noqa: E731
    orc = ToleranceOracle(f, 0.0, None, rng=4, n=n, num_samples=20_000)
    run = oracle_gradient_descent(f, tau=0.0, n=n, rng=7, oracle=orc, **{**GD, "steps": 20})
    X, y = orc._sample()
    phi = get_activation("erf", scale=3.0, bias=0.5)
    W = run.hidden
    b = (phi(X @ W.T) * y[:, None]).mean(axis=0)
    feats = _Features(f, n, W, phi)
    m = W.shape[0]
    a = np.zeros(m)
    for _ in range(20):
        a = a - run.lr * (feats.G @ a / m - b / math.sqrt(m))
    np.testing.assert_allclose(run.a, a, rtol=1e-12, atol=1e-12)
    assert run.final_error < 1.0


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"tau": -0.1}, ValueError, "tau must"),
        ({"tau": 1.0}, ValueError, "tau must"),
        ({"tau": 0.1, "adversary": "evil"}, ValueError, "adversary"),
        ({"tau": 0.1, "num_samples": 1}, ValueError, "num_samples"),
        ({"tau": 0.1, "num_samples": 10**9}, ValueError, "max_bytes"),
    ],
)
def test_oracle_bad_input(kwargs, exc, match):
    target = LegendreTarget(np.ones(3), 2)
    with pytest.raises(exc, match=match):
        ToleranceOracle(target, **kwargs)


def test_oracle_bad_queries():
    target = LegendreTarget(np.ones(3), 2)
    orc = ToleranceOracle(target, 0.1, rng=0, num_samples=1000)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        orc.query(lambda X, y: 2.0 + 0 * y)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        orc.correlational_query(lambda X: 3 * X[:, 0])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        orc.ridge_query(np.eye(3), get_activation("relu", scale=2.0))
    with pytest.raises(ValueError, match="unit vectors"):
        orc.ridge_query(2 * np.eye(3), "tanh")
    with pytest.raises(ValueError, match="shape"):
        orc.ridge_query(np.eye(4), "tanh")
    with pytest.raises(TypeError, match="callable"):
        ToleranceOracle(3.0, 0.1)
    with pytest.raises(ValueError, match="n .*required"):
        ToleranceOracle(lambda X: X[:, 0], 0.1)
    with pytest.raises(ValueError, match="disagrees"):
        ToleranceOracle(target, 0.1, n=4)
    with pytest.raises(ValueError, match="tau must"):
        oracle_gradient_descent(target, tau=1.5)
    with pytest.raises(TypeError, match="LegendreTarget"):
        population_gradient_descent(lambda X: X[:, 0], n=3)
