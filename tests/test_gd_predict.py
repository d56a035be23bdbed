"""gd_operator.predict and the target-energy helpers.

References: the closed form r_k(t) = (1 - lr mu_k)^{2t} r_k(0) iterated step by step (a direct
simulation of the diagonal linear recursion), Parseval for the teacher network's energies, the
targets module's independent ridge-sum computation, and float quadrature for ridge energies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gd_operator import predict, ridge_energies, spectrum, teacher_energies
from harmonics import legendre, nu_quadrature


def test_matches_iterated_recursion():
    # The residual of GD on a diagonal operator, iterated explicitly: c_k <- (1 - lr mu_k) c_k.
    mu = spectrum("relu", 5, 8, train="both", init="gaussian")
    e0 = np.linspace(1.0, 0.1, 9)
    lr = 1.7 / mu.max()
    p = predict(e0, mu, lr, 50)
    c = np.sqrt(e0)
    for t in range(51):
        np.testing.assert_allclose(p.residual[t], c**2, rtol=1e-12, atol=0)
        c = (1 - lr * mu) * c
    assert p.residual.shape == (51, 9)
    np.testing.assert_allclose(p.total, p.residual.sum(axis=1))
    # unlearnable degrees (mu_k = 0, odd k >= 3) keep their energy
    assert np.all(p.residual[:, 3] == e0[3])


def test_time_to_fraction_is_first_crossing():
    mu = np.array([0.5, 0.1, 1e-3, 0.0, 2.0])
    e0 = np.array([1.0, 2.0, 3.0, 4.0, 0.0])
    p = predict(e0, mu, 0.9, 10)
    t = p.time_to_fraction(0.01)
    for k in range(3):
        tk = int(t[k])
        r = p.at([tk - 1, tk])
        assert r[1, k] <= 0.01 * e0[k] < r[0, k]
    assert math.isinf(t[3])  # mu = 0: never learned
    assert t[4] == 0.0  # no energy to remove
    assert p.time_to_fraction(1.0)[1] == 0.0
    # lr mu = 1 removes the degree in one step
    assert predict([1.0], [2.0], 0.5, 1).time_to_fraction(1e-9)[0] == 1.0
    # total time: the first t with sum_k r_k(t) <= q sum_k r_k(0), found by bisection
    q = 0.5
    tt = int(p.total_time_to_fraction(q))
    tot = p.at([tt - 1, tt]).sum(axis=1)
    assert tot[1] <= q * e0.sum() < tot[0]
    # the stuck degree (4.0 of 10.0) makes q < 0.4 unreachable
    assert math.isinf(p.total_time_to_fraction(0.3))


def test_edge_of_stability():
    # lr mu = 2: |1 - lr mu| = 1, GD oscillates without decay: allowed, never converges.
    p = predict([1.0, 1.0], [1.0, 0.5], 2.0, 4)
    np.testing.assert_allclose(p.residual[:, 0], 1.0)
    assert math.isinf(p.time_to_fraction(0.5)[0])


def test_steps_array_and_repr_and_dict():
    p = predict([1.0, 0.5], [0.3, 0.1], 1.0, np.array([0, 10, 100]))
    assert p.residual.shape == (3, 2)
    np.testing.assert_allclose(p.residual[1], [0.7**20, 0.5 * 0.9**20], rtol=1e-13)
    d = p.to_dict()
    assert d["steps"] == [0, 10, 100] and len(d["residual"]) == 3
    assert "lr=1" in repr(p) and "steps to halve" in repr(p)


@pytest.mark.parametrize(
    "args, exc, match",
    [
        (([1.0, 1.0], [0.5, 0.1], 0.0, 5), ValueError, "lr must be > 0"),
        (([1.0, 1.0], [0.5, 0.1], -1.0, 5), ValueError, "lr must be > 0"),
        (([1.0, 1.0], [0.5, 3.0], 1.0, 5), ValueError, "diverges on degree k = 1"),
        (([1.0, -1.0], [0.5, 0.1], 1.0, 5), ValueError, "target_energies must be >= 0"),
        (([1.0, 1.0], [0.5, -0.1], 1.0, 5), ValueError, "spectrum must be >= 0"),
        (([1.0, 1.0, 1.0], [0.5, 0.1], 1.0, 5), ValueError, "3 entries but spectrum has 2"),
        (([1.0, np.nan], [0.5, 0.1], 1.0, 5), ValueError, "finite"),
        (([1.0, 1.0], [0.5, 0.1], 1.0, -2), ValueError, "steps must be an integer >= 0"),
        (([1.0, 1.0], [0.5, 0.1], 1.0, 2.5), TypeError, "steps"),
        (([1.0, 1.0], [0.5, 0.1], 1.0, True), TypeError, "steps"),
        (([], [], 1.0, 5), ValueError, "non-empty"),
    ],
)
def test_bad_inputs(args, exc, match):
    with pytest.raises(exc, match=match):
        predict(*args)


def test_bad_fraction():
    p = predict([1.0], [0.1], 1.0, 3)
    for q in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="fraction"):
            p.time_to_fraction(q)


def test_ridge_energies_vs_quadrature():
    # f(x) = sum_k c_k P_{k,n}(<u,x>): ||Pi_k f||^2 = c_k^2 E[P_k^2], E over t ~ nu_n by Gauss
    # quadrature (exact for these polynomials).
    n = 6
    c = np.array([0.3, -1.0, 2.0, 0.0, 0.7])
    t, w = nu_quadrature(n, 20)
    ref = [ck**2 * np.dot(w, legendre(n, k, t) ** 2) for k, ck in enumerate(c)]
    np.testing.assert_allclose(ridge_energies(c, n), ref, rtol=1e-13, atol=1e-16)


def test_teacher_energies_parseval_and_targets_module():
    # Parseval: sum_k e_k -> ||f||^2, with ||f||^2 = sum_ij a_i a_j |w_i||w_j| E|<u_i,x>||<u_j,x>|
    # in closed form (Gaussian absolute-value kernel / n).  Truncation bound: with
    # tau = E_nu[t^2] - sum_{k<=K} N(n,k) lambda_k(abs)^2 (the Parseval tail of |t|) and
    # |P_k| <= 1, 0 <= ||f||^2 - sum_{k<=K} e_k <= tau (sum_i |a_i| |w_i|)^2.
    rng = np.random.default_rng(3)
    n, m = 6, 5
    W = rng.standard_normal((m, n)) * rng.uniform(0.5, 2.0, size=(m, 1))
    a = rng.standard_normal(m)
    e = teacher_energies(a, W, 200)
    r = np.linalg.norm(W, axis=1)
    U = W / r[:, None]
    rho = np.clip(U @ U.T, -1, 1)
    K = 2 / (math.pi * n) * (np.sqrt(1 - rho**2) + rho * np.arcsin(rho))
    total = float((a * r) @ K @ (a * r))
    from harmonics import dim_harmonics, funk_hecke_eigenvalues

    lam = funk_hecke_eigenvalues("abs", n, 200)
    tau = 1 / n - sum(dim_harmonics(n, k) * lam[k] ** 2 for k in range(201))
    gap = total - e.sum()
    assert -1e-13 <= gap <= tau * np.sum(np.abs(a) * r) ** 2 + 1e-13
    assert gap < 1e-5 * total
    assert np.all(e[3::2] == 0)  # |t| is even: no odd energy beyond k = 1
    assert e[1] == 0
    # the simulation issue's targets module computes the same energies by another route
    targets = pytest.importorskip("gd_operator.targets")
    teacher = targets.teacher_network(n, W=W, a=a)
    np.testing.assert_allclose(teacher.energies(12), e[:13], rtol=1e-10, atol=1e-16)


def test_predict_accepts_target_objects():
    targets = pytest.importorskip("gd_operator.targets")
    tgt = targets.ridge_target(5, degrees=(1, 2, 4), rng=0)
    mu = spectrum("relu", 5, 6)
    p = predict(tgt, mu, 1 / mu.max(), 10)
    np.testing.assert_allclose(p.initial, tgt.energies(6))


def test_plot_returns_axes(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    p = predict([1.0, 0.5, 0.2], [0.3, 0.1, 0.01], 1.0, 20)
    ax = p.plot()
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 4  # three degrees + total
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_teacher_bad_inputs():
    with pytest.raises(ValueError, match="a must have shape"):
        teacher_energies([1.0], np.ones((2, 3)), 4)
    with pytest.raises(ValueError, match="nonzero"):
        teacher_energies([1.0, 1.0], np.array([[1.0, 0, 0], [0, 0, 0]]), 4)
