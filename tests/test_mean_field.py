"""Mean-field two-layer networks (gd_operator.mean_field and its numba kernels).

References: central finite differences of the loss (gradients; tolerance 1e-7 relative: the
O(h^2) truncation at h = 1e-5 plus rounding), a plain numpy implementation of the same steps
(element-wise agreement to 1e-12: the same operations in a different order), exact Hermite
energies of a network whose units are known closed forms, and a fixed-seed single-index run
whose learned direction must be w* (chance alignment sqrt(1/d) = 0.18).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gd_operator as gdo
from gd_operator import _mean_field_kernels as K
from harmonics import get_activation

CODES = [
    ("tanh", get_activation("tanh")),
    ("relu", get_activation("relu")),
    ("gelu", get_activation("gelu")),
]


def _numpy_loss(X, y, W, b, a, phi):
    f = phi(X @ W.T + b) @ a / W.shape[0]
    return 0.5 * np.mean((f - y) ** 2)


def _numpy_grads(X, y, W, b, a, phi, dphi):
    """Plain numpy mean-field gradients m dL/dtheta (autograd-free reference)."""
    m, B = W.shape[0], X.shape[0]
    Zp = X @ W.T + b
    r = phi(Zp) @ a / m - y
    ga = phi(Zp).T @ r / B
    Dl = (r[:, None] * dphi(Zp)) * a[None, :] / B
    return Dl.T @ X, Dl.sum(axis=0), ga


def _scratch(B, m, d):
    return (
        np.empty((B, m)),
        np.empty((B, m)),
        np.empty(B),
        np.empty((m, d)),
        np.empty(m),
        np.empty(m),
        np.empty((m, d)),
    )


@pytest.mark.parametrize("name, act", CODES)
def test_gradients_match_finite_differences_and_numpy(name, act):
    rng = np.random.default_rng(0)
    B, d, m = 40, 6, 5
    X = rng.standard_normal((B, d))
    y = rng.standard_normal(B)
    W = rng.standard_normal((m, d))
    b = rng.standard_normal(m) * 0.3
    a = rng.standard_normal(m)
    Z, D, f, gW, gb, ga, tmp = _scratch(B, m, d)
    K.accumulate_gradients(
        X, y, W, b, a, act.kernel_code, act.kernel_params, 1.0 / B, Z, D, f, gW, gb, ga, tmp, True
    )
    rW, rb, ra = _numpy_grads(X, y, W, b, a, act.base, act.base_derivative)
    for got, ref in ((gW, rW), (gb, rb), (ga, ra)):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    h = 1e-5
    for i in range(m):
        for j in range(d):
            E = np.zeros_like(W)
            E[i, j] = h
            num = (
                _numpy_loss(X, y, W + E, b, a, act.base) - _numpy_loss(X, y, W - E, b, a, act.base)
            ) / (2 * h)
            assert abs(m * num - gW[i, j]) < 1e-7 * (1 + abs(gW[i, j]))
        e = np.zeros(m)
        e[i] = h
        num_a = (
            _numpy_loss(X, y, W, b, a + e, act.base) - _numpy_loss(X, y, W, b, a - e, act.base)
        ) / (2 * h)
        assert abs(m * num_a - ga[i]) < 1e-7 * (1 + abs(ga[i]))


def test_hermite_student_gradient():
    # phi = He_3 / sqrt 6 = (z^3 - 3z)/sqrt 6, phi' = (3 z^2 - 3)/sqrt 6 (closed forms)
    rng = np.random.default_rng(1)
    B, d, m = 30, 4, 3
    X, y = rng.standard_normal((B, d)), rng.standard_normal(B)
    W, b, a = rng.standard_normal((m, d)), np.zeros(m), rng.standard_normal(m)
    Z, D, f, gW, gb, ga, tmp = _scratch(B, m, d)
    K.accumulate_gradients(
        X, y, W, b, a, K.HERMITE, np.array([3.0]), 1.0 / B, Z, D, f, gW, gb, ga, tmp, True
    )
    phi = lambda z: (z**3 - 3 * z) / math.sqrt(6)  # noqa: E731
    dphi = lambda z: (3 * z**2 - 3) / math.sqrt(6)  # noqa: E731
    rW, rb, ra = _numpy_grads(X, y, W, b, a, phi, dphi)
    np.testing.assert_allclose(gW, rW, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ga, ra, rtol=1e-12, atol=1e-13)


def test_online_steps_and_chunked_full_batch_match_numpy():
    act = get_activation("tanh")
    rng = np.random.default_rng(2)
    B, d, m, T = 16, 5, 7, 4
    X = rng.standard_normal((T * B, d))
    y = rng.standard_normal(T * B)
    W0, b0, a0 = rng.standard_normal((m, d)), rng.standard_normal(m), rng.standard_normal(m)
    lr, wd = 0.3, 0.01
    # numpy reference: T online steps with weight decay, then projection onto the sphere
    Wn, bn, an = W0.copy(), b0.copy(), a0.copy()
    for t in range(T):
        sl = slice(t * B, (t + 1) * B)
        gW, gb, ga = _numpy_grads(X[sl], y[sl], Wn, bn, an, act.base, act.base_derivative)
        Wn, bn, an = Wn - lr * (gW + wd * Wn), bn - lr * (gb + wd * bn), an - lr * (ga + wd * an)
        Wn /= np.linalg.norm(Wn, axis=1, keepdims=True)
    W, b, a = W0.copy(), b0.copy(), a0.copy()
    Z, D, f, gW, gb, ga, tmp = _scratch(B, m, d)
    loss = np.empty(T)
    K.online_steps(
        X,
        y,
        B,
        W,
        b,
        a,
        act.kernel_code,
        act.kernel_params,
        lr,
        lr,
        lr,
        wd,
        True,
        Z,
        D,
        f,
        gW,
        gb,
        ga,
        tmp,
        loss,
    )
    for got, ref in ((W, Wn), (b, bn), (a, an)):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13)
    # full batch over all T B points in chunks of 24 vs one numpy gradient
    N = T * B
    Z, D, f, gW, gb, ga, tmp = _scratch(24, m, d)
    for c, lo in enumerate(range(0, N, 24)):
        hi = min(lo + 24, N)
        K.accumulate_gradients(
            X[lo:hi],
            y[lo:hi],
            W0,
            b0,
            a0,
            act.kernel_code,
            act.kernel_params,
            1.0 / N,
            Z[: hi - lo],
            D[: hi - lo],
            f[: hi - lo],
            gW,
            gb,
            ga,
            tmp,
            c == 0,
        )
    rW, rb, ra = _numpy_grads(X, y, W0, b0, a0, act.base, act.base_derivative)
    for got, ref in ((gW, rW), (gb, rb), (ga, ra)):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


def test_network_hermite_energies_of_paired_relus_is_abs():
    # relu(t) + relu(-t) = |t|: units (w, -w) with a = m/2 each give (1/m) sum = |<w,x>|
    w = np.array([[0.6, 0.8, 0.0]])
    W = np.vstack([w, -w])
    e = gdo.network_hermite_energies(W, np.zeros(2), np.array([1.0, 1.0]) * 2, "relu", 6)
    ref = gdo.gaussian_ridge_sum("abs", w).hermite_energies(6)
    np.testing.assert_allclose(e, ref, rtol=1e-13, atol=1e-16)


def test_single_index_alignment_rises_with_fixed_seed():
    d = 32
    f = gdo.single_index_target(d, 1, rng=5)
    r = gdo.train_mean_field(
        f,
        width=16,
        steps=300,
        batch=32,
        lr=0.5,
        activation="relu",
        init_scale=0.1,
        rng=7,
        energy_degree=2,
        test_size=2000,
    )
    wstar = f.directions[0]
    assert r.chance_alignment == pytest.approx(1 / math.sqrt(d))
    assert r.alignment[0] < 0.5 and r.alignment[-1] > 0.9
    # the learned direction: the weighted mean first-layer direction is +-w*
    u = (r.a * np.linalg.norm(r.W, axis=1)) @ (r.W / np.linalg.norm(r.W, axis=1)[:, None])
    assert abs(u @ wstar) / np.linalg.norm(u) > 0.95
    assert r.test_mse[-1] < 0.2 * r.test_mse[0]
    assert r.escape_step > 0


def test_layerwise_and_full_batch_run_and_roundtrip(tmp_path):
    f = gdo.single_index_target(8, 2, rng=0)
    r = gdo.train_mean_field(
        f,
        width=32,
        steps=20,
        method="layerwise",
        samples=2000,
        lr=2.0,
        weight_decay=0.0,
        rng=1,
        energy_degree=3,
        test_size=500,
    )
    assert r.test_mse[-1] < r.test_mse[0]
    g = gdo.train_mean_field(
        f,
        width=8,
        steps=5,
        method="full_batch",
        samples=300,
        lr=0.5,
        rng=1,
        energy_degree=0,
        test_size=200,
    )
    p = tmp_path / "r.json"
    g.save(p)
    back = gdo.MeanFieldResult.load(p)
    np.testing.assert_array_equal(back.test_mse, g.test_mse)


def test_bad_input_is_named():
    f = gdo.single_index_target(8, 2, rng=0)
    with pytest.raises(TypeError, match="target must be a Gaussian target"):
        gdo.train_mean_field("relu")
    with pytest.raises(ValueError, match="method"):
        gdo.train_mean_field(f, method="adam")
    with pytest.raises(ValueError, match="width must be even"):
        gdo.train_mean_field(f, method="layerwise", width=3)
    with pytest.raises(ValueError, match="jump"):
        gdo.train_mean_field(f, activation="step")
    with pytest.raises(ValueError, match="max_samples"):
        gdo.train_mean_field(f, steps=10**6, batch=10**4)
    with pytest.raises(ValueError, match="lr"):
        gdo.train_mean_field(f, lr={"V": 1.0})
    with pytest.raises(ValueError, match="values"):
        gdo.train_mean_field(f, width=60000, batch=10**5)


def test_residual_energies_vanish_when_the_network_is_the_target():
    # relu(t) + relu(-t) = |t| (ridge-sum target: Mehler cross terms) and a He_2 unit along
    # w* (Hermite polynomial target: the multinomial cross terms) reproduce their targets.
    w = np.array([[0.6, 0.8, 0.0]])
    res = gdo.network_hermite_energies(
        np.vstack([w, -w]),
        np.zeros(2),
        np.array([2.0, 2.0]),
        "relu",
        6,
        target=gdo.gaussian_ridge_sum("abs", w),
    )
    np.testing.assert_allclose(res, 0.0, atol=1e-14)
    f = gdo.single_index_target(5, 2, rng=3)
    u = f.directions
    res = gdo.network_hermite_energies(u, np.zeros(1), np.ones(1), ("hermite", 2), 4, target=f)
    np.testing.assert_allclose(res, 0.0, atol=1e-14)
    # a unit at angle theta: degree-2 residual 2 (1 - cos^2 theta) (both have energy 1)
    v = np.cos(0.3) * u[0] + np.sin(0.3) * np.linalg.svd(u)[2][1]
    res = gdo.network_hermite_energies(
        v[None], np.zeros(1), np.ones(1), ("hermite", 2), 2, target=f
    )
    assert res[2] == pytest.approx(2 * (1 - np.cos(0.3) ** 2), rel=1e-12)


def test_sphere_domain_exact_energies_match_the_test_set():
    # x uniform on S^7, a ridge target of degrees 1 and 2: the exact per-degree residuals
    # (Funk-Hecke per relu unit with bias) summed to degree 30 equal the 2e5-point test-set
    # error within 3 standard errors plus the residual beyond degree 30 (bounded by the
    # decay of the last degrees, < 1e-4 here).
    t = gdo.ridge_target(8, (1, 2), rng=0)
    r = gdo.train_mean_field(
        t,
        width=16,
        steps=300,
        batch=32,
        lr=1.0,
        rng=1,
        init_scale=1.0,
        energy_degree=30,
        test_size=200_000,
        record_every=100,
    )
    assert r.domain == "sphere"
    np.testing.assert_allclose(r.target_energies[:3], [0.0, 1.0, 1.0], atol=1e-12)
    for i, step in enumerate(r.energy_steps):
        j = int(np.searchsorted(r.steps, step))
        total = r.residual_energies[i].sum()
        assert abs(total - r.test_mse[j]) < 3 * r.test_mse_se[j] + 1e-4
    assert r.test_mse[-1] < 0.1 * r.test_mse[0]
    e_net, res = gdo.sphere_network_energies(r.W, r.b, r.a, "relu", t, 4)
    np.testing.assert_allclose(res, r.residual_energies[-1][:5], rtol=1e-12, atol=1e-15)


def test_bias_init_draws_gaussian_biases_and_keeps_layerwise_pairs():
    f = gdo.single_index_target(8, 2, rng=0)
    kw = dict(width=4000, steps=1, lr={"W": 1e-12}, bias=False, energy_degree=0, test_size=100)
    r = gdo.train_mean_field(f, bias_init=0.5, rng=3, **kw)
    # bias=False keeps the initial biases: b_i ~ N(0, 0.25)
    assert abs(r.b.std() - 0.5) < 0.03 and abs(r.b.mean()) < 0.03
    assert np.all(gdo.train_mean_field(f, rng=3, **kw).b == 0.0)
    kw["width"] = 400
    lw = gdo.train_mean_field(f, bias_init=0.5, method="layerwise", samples=200, rng=3, **kw)
    np.testing.assert_array_equal(lw.b[:200], lw.b[200:])
    assert lw.b.std() > 0.3
    with pytest.raises(ValueError, match="bias_init"):
        gdo.train_mean_field(f, bias_init=-1.0)


def test_online_refuses_a_fixed_sample_size():
    # samples= is the training-set size of full_batch / layerwise; online SGD draws fresh
    # samples, so a given samples= was silently ignored (the fuzz harness found samples='3').
    tgt = gdo.single_index_target(6, 2)
    with pytest.raises(ValueError, match="samples is the fixed training-set size"):
        gdo.train_mean_field(tgt, steps=2, samples=200, width=4, test_size=100, rng=0)
