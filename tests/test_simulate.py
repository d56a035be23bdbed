"""gd_operator.simulate and its numba kernels.

References: a plain numpy implementation of the network and its gradients (the kernels use
fastmath={'reassoc','contract'}, so agreement is to rounding, 1e-12 relative), central finite
differences, the closed-form harmonics eigenvalues, Monte Carlo estimates with error bars, and
the infinite-width prediction (tolerances derived from the width m).
"""

import math

import numpy as np
import pytest

from gd_operator import _gd_kernels
from gd_operator._ridge import degree_inner_products, network_ridge, relu_gate_eigenvalues
from gd_operator.simulation import DivergenceError, simulate
from gd_operator.targets import CallableTarget, ridge_target, teacher_network
from harmonics import dim_harmonics, funk_hecke_eigenvalues, get_activation, sample_sphere
from harmonics.ridge import degree_pair_sums

ACTS = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "softplus": (lambda z: np.logaddexp(0, z), lambda z: 1 / (1 + np.exp(-z))),
}


def _numpy_network(W, b, a, X, act):
    phi, dphi = ACTS[act]
    Z = X @ W.T + b
    f = phi(Z) @ a / math.sqrt(W.shape[0])
    return f, Z, phi, dphi


@pytest.mark.parametrize("act", list(ACTS))
# n = 2: the fused ReLU sweeps; 3..6, 11: four coordinates per pass, zero-padded when fewer
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 11])
# four units per sweep plus leftover single units: m = 50: forward blocks of 4 units and a last
# one of 2, gradient chunks 32 + 18; m = 301: forward blocks of 4-8 units, the last of 5
@pytest.mark.parametrize("m", [50, 301])
def test_forward_and_gradients_match_numpy(act, n, m):
    rng = np.random.default_rng(0)
    N = 300
    X = sample_sphere(N, n, rng)
    W, b, a = rng.standard_normal((m, n)), rng.normal(0, 0.3, m), rng.standard_normal(m)
    y = rng.standard_normal(N)
    code = get_activation(act).kernel_code
    XT = np.ascontiguousarray(X.T)
    f = np.empty(N)
    _gd_kernels.forward(W, b, a, XT, code, f)
    f_ref, Z, phi, dphi = _numpy_network(W, b, a, X, act)
    np.testing.assert_allclose(f, f_ref, rtol=1e-12, atol=1e-13)
    r = f - y
    ga, gW, gb = np.zeros(m), np.zeros((m, n)), np.zeros(m)
    _gd_kernels.gradients(W, b, a, XT, code, r, ga, gW, gb, True)
    s = 1 / (N * math.sqrt(m))
    np.testing.assert_allclose(ga, s * phi(Z).T @ r, rtol=1e-12, atol=1e-14)
    G = dphi(Z) * r[:, None]  # [N, m]
    np.testing.assert_allclose(gW, s * a[:, None] * (G.T @ X), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(gb, s * a * G.sum(axis=0), rtol=1e-11, atol=1e-14)
    ga_out = np.zeros(m)  # output layer only: its own ReLU loop
    _gd_kernels.gradients(W, b, a, XT, code, r, ga_out, np.zeros((m, n)), np.zeros(m), False)
    np.testing.assert_allclose(ga_out, ga, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("act", ["relu", "tanh", "relu3", "step"])
def test_one_and_two_threads_agree_bit_for_bit(act):
    # Small problems run the (one) parallel compilation on one numba thread, large ones on all;
    # fixed blocking, so sweeps and seeds reproduce across sizes and thread counts.
    import numba

    from harmonics import _projection_kernels as pk
    from harmonics import get_activation

    rng = np.random.default_rng(3)
    n, N, m, K = 5, 257, 70, 6
    X = sample_sphere(N, n, rng)
    XT = np.ascontiguousarray(X.T)
    W, b, a = rng.standard_normal((m, n)), rng.normal(0, 0.3, m), rng.standard_normal(m)
    g = get_activation(act)
    code, prm = g.kernel_code, g.kernel_params
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    c = rng.standard_normal((m, K + 1))
    UT, cT = np.ascontiguousarray(U.T), np.ascontiguousarray(c.T)
    outs = []
    fwd, grd, pair = _gd_kernels._forward_kernel, _gd_kernels._gradients_kernel, pk.pair_sums_kernel
    threads = numba.get_num_threads()
    for nthreads in (1, threads):
        numba.set_num_threads(nthreads)
        f = np.empty((1, N))
        one = np.zeros(1, dtype=np.int64)
        fwd(W[None], b[None], a[None], XT[None], one, code, prm, f)
        ga, gW, gb = np.zeros((1, m)), np.zeros((1, m, n)), np.zeros((1, m))
        grd(W[None], b[None], a[None], XT[None], one, code, prm, f - 0.1, ga, gW, gb, True)
        tot = np.zeros(K + 1)
        empty = np.zeros((1, 1))
        z1 = np.zeros(1)
        pair(U, UT, c, cT, z1, np.zeros(K + 1), float(n), K, tot, empty, empty, z1, True, False)
        R, G2, S = np.zeros((m, K + 1)), np.zeros((m, K + 1)), np.zeros(m)
        dims = np.array([float(dim_harmonics(n, k)) for k in range(K + 1)])
        ones, F2 = np.ones((m, K + 1)), c[:, 0] ** 2
        pair(U, UT, ones, cT, F2, dims, float(n), K, tot.copy(), R, G2, S, False, True)
        outs.append((f, ga, gW, gb, tot, R, G2, S))
    numba.set_num_threads(threads)
    assert threads > 1  # two thread counts were compared (CI machines have 2 cores)
    for x, y in zip(outs[0], outs[1], strict=True):
        assert np.array_equal(x, y)


@pytest.mark.parametrize(("n", "p", "q", "K"), [(2, 7, 5, 0), (3, 40, 33, 1), (10, 64, 90, 8)])
def test_degree_pair_sums_vs_numpy_legendre(n, p, q, K):
    # Reference: inner products by numpy, P_{k,n} by harmonics.legendre (double-double
    # recurrence, ~1 ulp), summed in numpy.  The kernel runs the plain float64 recurrence with
    # reassociated sums: error <= ~1e-13 of the sum of absolute terms.
    from harmonics import legendre

    rng = np.random.default_rng(p)
    U, V = sample_sphere(p, n, rng), sample_sphere(q, n, rng)
    cu, cv = rng.standard_normal((p, K + 1)), rng.standard_normal((q, K + 1))
    got = degree_pair_sums(U, cu, V, cv, n, K)
    T = np.clip(U @ V.T, -1, 1)
    for k in range(K + 1):
        terms = cu[:, k][:, None] * legendre(n, k, T) * cv[:, k][None, :]
        assert abs(got[k] - terms.sum()) <= 1e-13 * np.abs(terms).sum() + 1e-300


def test_gradients_match_finite_differences():
    # L(a, W, b) = (1/2N) sum (f - y)^2 with a smooth activation; central differences with
    # h = 1e-6 are accurate to ~h^2 ~ 1e-12 relative plus rounding ~1e-10.
    rng = np.random.default_rng(1)
    n, N, m = 4, 200, 7
    X = sample_sphere(N, n, rng)
    XT = np.ascontiguousarray(X.T)
    W, b, a = rng.standard_normal((m, n)), rng.normal(0, 0.5, m), rng.standard_normal(m)
    y = rng.standard_normal(N)
    code = get_activation("tanh").kernel_code

    def loss(W, b, a):
        f = np.empty(N)
        _gd_kernels.forward(W, b, a, XT, code, f)
        return 0.5 * np.mean((f - y) ** 2)

    f = np.empty(N)
    _gd_kernels.forward(W, b, a, XT, code, f)
    ga, gW, gb = np.zeros(m), np.zeros((m, n)), np.zeros(m)
    _gd_kernels.gradients(W, b, a, XT, code, f - y, ga, gW, gb, True)
    h = 1e-6
    for i in range(m):
        e = np.zeros(m)
        e[i] = h
        assert abs((loss(W, b, a + e) - loss(W, b, a - e)) / (2 * h) - ga[i]) < 1e-8
        assert abs((loss(W, b + e, a) - loss(W, b - e, a)) / (2 * h) - gb[i]) < 1e-8
        for d in range(n):
            E = np.zeros((m, n))
            E[i, d] = h
            assert abs((loss(W + E, b, a) - loss(W - E, b, a)) / (2 * h) - gW[i, d]) < 1e-8


@pytest.mark.parametrize("n", [2, 3, 7, 30])
def test_relu_gate_eigenvalues_vs_harmonics(n):
    # Vectorized closed forms (float64) vs the mpmath-backed harmonics path, any kink t0.
    t0 = np.array([-1.5, -1.0, -0.7, -0.2, 0.0, 0.35, 0.9, 1.0, 2.0])
    got = relu_gate_eigenvalues(t0, n, 8)
    for i, x in enumerate(t0):
        ref = funk_hecke_eigenvalues("relu", n, 8, bias=-x)
        np.testing.assert_allclose(got[i], ref, rtol=1e-12, atol=1e-15)


def test_exact_energies_vs_monte_carlo_and_parseval():
    # A biased ReLU network: exact ||Pi_k f||^2 (Funk-Hecke + addition theorem) vs the Monte
    # Carlo U-statistic estimate (8 batches; 5 standard errors), and sum_k<=K + tail = ||f||^2
    # with ||f||^2 by a 400k-point Monte Carlo (relative standard error ~2e-3).
    rng = np.random.default_rng(3)
    n, m = 3, 20
    W, b, a = rng.standard_normal((m, n)), rng.normal(0, 0.5, m), rng.standard_normal(m)
    K = 60
    ridge = network_ridge(W, b, a, "relu", n, K)
    exact = degree_inner_products(ridge, ridge, n)

    def f(X):
        return np.maximum(X @ W.T + b, 0) @ a / math.sqrt(m)

    est, se = CallableTarget(n, f).energies_mc(4, samples=4000, rng=5)
    assert np.all(np.abs(est - exact[:5]) <= 5 * se + 1e-12)
    X = sample_sphere(400_000, n, np.random.default_rng(9))
    vals = f(X) ** 2
    total, total_se = vals.mean(), vals.std() / math.sqrt(vals.size)
    assert exact.sum() <= total + 5 * total_se
    assert abs(exact.sum() - total) < 5 * total_se + 1e-3 * total  # tail beyond K=60 is < 1e-3


def test_population_simulation_matches_prediction():
    # Output layer, sphere init, population loss: the finite-width operator deviates from the
    # infinite-width one by O(sqrt(N(n,k)/m)) per degree; at m = 2000 and n = 5 that is <= 10 %
    # for the fitted rates (measured ~3-6 %).  Lower degrees are learned first.
    tg = ridge_target(5, (1, 2, 4), rng=1)
    mu = funk_hecke_eigenvalues("relu", 5, 6) ** 2
    res = simulate(
        tg, "relu", 5, 2000, steps=200, lr=0.5 / mu.max(), rng=2, progress=False, record_every=5
    )
    meas = res.measured_rates()
    for k in (1, 2, 4):
        assert abs(meas[k] / mu[k] - 1) < 0.10, (k, meas[k], mu[k])
    np.testing.assert_allclose(res.spectrum, mu, rtol=1e-12)
    final = res.residual_energy[-1]
    assert final[1] < final[2] < final[4]
    assert res.residual_energy[-1, 3] == pytest.approx(res.residual_energy[0, 3], abs=1e-12)


def test_empirical_converges_to_population():
    # With samples = N the empirical operator approaches the population one as N grows: the
    # final per-degree residual energies move toward the population run (same weights, seed).
    tg = ridge_target(4, (1, 2), rng=0)
    kw = dict(steps=60, lr=40.0, rng=4, progress=False, kmax=3)
    pop = simulate(tg, "relu", 4, 400, **kw).residual_energy[-1]
    errs = []
    for N in (200, 3200):
        emp = simulate(tg, "relu", 4, 400, samples=N, **kw).residual_energy[-1]
        errs.append(np.abs(emp - pop).sum())
    assert errs[1] < errs[0] / 2


def test_same_seed_bit_identical_and_float32():
    tg = teacher_network(4, 3, rng=0)
    kw = dict(steps=20, lr=1.0, samples=300, train="both", rng=7, progress=False)
    r1 = simulate(tg, "relu", 4, 64, **kw)
    r2 = simulate(tg, "relu", 4, 64, **kw)
    np.testing.assert_array_equal(r1.residual_energy, r2.residual_energy)
    np.testing.assert_array_equal(r1.params["W"], r2.params["W"])
    r3 = simulate(tg, "relu", 4, 64, dtype=np.float32, **kw)
    assert r3.params["W"].dtype == np.float32
    np.testing.assert_allclose(r3.loss, r1.loss, rtol=1e-4)


def test_symmetric_init_and_hidden_training():
    tg = ridge_target(2, (2,), rng=0)
    res = simulate(
        tg,
        "relu",
        2,
        200,
        steps=30,
        lr=1.0,
        train="hidden",
        init="gaussian",
        samples=400,
        symmetric=True,
        progress=False,
        kmax=4,
    )
    assert res.loss[0] == pytest.approx(0.5 * tg.norm2(), rel=0.05)  # f = 0 at start (+ sampling)
    assert res.residual_energy[0, 2] == pytest.approx(1.0, abs=1e-12)
    assert res.loss[-1] < res.loss[0]


def test_callable_target_runs_with_mc_energies():
    res = simulate(
        lambda X: X[:, 0] * X[:, 1],
        "relu",
        3,
        50,
        steps=5,
        lr=1.0,
        samples=200,
        progress=False,
        kmax=3,
    )
    assert not res.energies_exact
    assert res.residual_energy.shape == (len(res.steps), 4)


@pytest.mark.parametrize(
    "kwargs,exc,msg",
    [
        (dict(m=0), ValueError, "m must be"),
        (dict(steps=-1), ValueError, "steps must be"),
        (dict(lr=0.0), ValueError, "lr must be > 0"),
        (dict(lr=float("nan")), ValueError, "lr must be finite"),
        (dict(train="all"), ValueError, "train must be one of"),
        (dict(init="uniform"), ValueError, "init must be one of"),
        (dict(activation="mish"), ValueError, "activation must be one of"),
        (dict(train="both"), ValueError, "pass samples=N"),
        (dict(n=4), ValueError, "dimension 3, but n = 4"),
        (dict(samples=0), ValueError, "samples must be"),
        (dict(bias=-1.0), ValueError, "bias must be >= 0"),
    ],
)
def test_bad_input(kwargs, exc, msg):
    tg = ridge_target(3, (1,), rng=0)
    args = dict(activation="relu", n=3, m=10, steps=2, lr=1.0, progress=False)
    args.update(kwargs)
    with pytest.raises(exc, match=msg):
        simulate(tg, **args)


def test_nan_target_and_divergence():
    with pytest.raises(ValueError, match="NaN or inf"):
        simulate(
            lambda X: np.full(X.shape[0], np.nan),
            "relu",
            3,
            10,
            steps=2,
            lr=1.0,
            samples=20,
            progress=False,
        )
    tg = ridge_target(3, (1,), rng=0)
    with pytest.raises(DivergenceError, match=r"diverged at step \d+.*smaller lr"):
        simulate(tg, "relu", 3, 50, steps=200, lr=1e4, samples=100, train="both", progress=False)


# ------------------------------------------------------------ every registered activation


def _mc_loss(res, target, act, n, num=200_000):
    # 0.5 E[(f* - f)^2] at the final parameters by Monte Carlo, with its standard error
    from harmonics import get_activation

    g = act if not isinstance(act, str) else get_activation(act)
    W, b, a = res.params["W"], res.params["b"], res.params["a"]
    X = sample_sphere(num, n, np.random.default_rng(11))
    v = 0.5 * (target(X) - g(X @ W.T + b) @ a / math.sqrt(W.shape[0])) ** 2
    return v.mean(), v.std() / math.sqrt(num)


def _registered_cases():
    from harmonics import REGISTERED_ACTIVATIONS, get_activation

    cases = []
    for name in REGISTERED_ACTIVATIONS:
        if name == "relu_power":
            cases += ["relu2", "relu3"]
        elif name == "polynomial":
            cases.append(get_activation("polynomial", coeffs=[0.2, 1.0, 0.5]))
        else:
            cases.append(name)
    return cases


@pytest.mark.parametrize("act", _registered_cases(), ids=str)
def test_every_registered_activation_simulates_exactly(act):
    # Population loss, output layer, sphere init (exact energies): every registered activation.
    # Before: relu2 and abs raised "Funk-Hecke series ... has not converged at degree 200" for
    # every n, step/sign/identity/polynomials were refused.  References: the population loss at
    # the final weights by a 200k-point Monte Carlo (5 standard errors), the exact energies
    # summed (<= 2 loss, the rest is the tail above kmax), and a decreasing loss.
    n, m = 3, 40
    tg = ridge_target(n, (1, 2), rng=0)
    res = simulate(tg, act, n, m, steps=20, lr=0.5, rng=1, progress=False, kmax=8)
    assert res.energies_exact and res.complete
    assert res.loss[-1] < res.loss[0]
    mc, se = _mc_loss(res, tg, act, n)
    assert abs(res.loss[-1] - mc) < 5 * se
    tail = 2 * res.loss[-1] - res.residual_energy[-1].sum()
    assert -1e-12 < tail < 0.05 * 2 * res.loss[-1]


@pytest.mark.parametrize("act", ["relu", "abs", "step", "sign", "relu2", "identity"])
def test_homogeneous_activations_population_with_gaussian_init(act):
    # g(r t) = r^p g(t): the population Gram and correlations of Gaussian weights are the sphere
    # ones times |w_i|^p |w_j|^p (harmonics.ridge.population_gram), checked by Monte Carlo.
    n, m = 3, 30
    tg = ridge_target(n, (1, 2), rng=0)
    res = simulate(tg, act, n, m, steps=15, lr=0.3, init="gaussian", rng=2, progress=False)
    mc, se = _mc_loss(res, tg, act, n)
    assert abs(res.loss[-1] - mc) < 5 * se


@pytest.mark.parametrize("act", ["abs", "step", "sign", "relu2", "tanh", "identity"])
def test_energies_exact_or_monte_carlo_by_structure(act):
    # Biased units: exact per-unit eigenvalues for relu/abs/step/sign (closed forms), else the
    # Monte Carlo U-statistic (energies_exact False); both agree with a Monte Carlo estimate of
    # the energies of the final residual (8 batches, 5 standard errors).
    from harmonics import get_activation

    n, m = 3, 20
    tg = ridge_target(n, (1, 2), rng=0)
    kw = dict(steps=5, lr=0.3, samples=100, bias=0.4, rng=3, progress=False, kmax=3)
    res = simulate(tg, act, n, m, **kw)
    assert res.energies_exact == (get_activation(act).exact_gates == "all")
    g = get_activation(act)
    W, b, a = res.params["W"], res.params["b"], res.params["a"]
    resid = CallableTarget(n, lambda X: tg(X) - g(X @ W.T + b) @ a / math.sqrt(m))
    est, se = resid.energies_mc(3, samples=4000, rng=5)
    if res.energies_exact:
        assert np.all(np.abs(res.residual_energy[-1] - est) <= 5 * se + 1e-12)
    else:  # two independent Monte Carlo estimates (2000 points vs 4000)
        assert np.all(np.abs(res.residual_energy[-1] - est) <= 5 * se * math.sqrt(3) + 1e-12)


@pytest.mark.parametrize("act", ["step", "sign"])
@pytest.mark.parametrize("train", ["hidden", "both"])
def test_jumps_refuse_hidden_training_with_the_reason(act, train):
    tg = ridge_target(3, (1,), rng=0)
    with pytest.raises(ValueError, match="derivative is 0 almost everywhere"):
        simulate(tg, act, 3, 10, steps=2, lr=1.0, samples=50, train=train, progress=False)
    simulate(tg, act, 3, 10, steps=2, lr=1.0, samples=50, progress=False)  # output layer: fine


@pytest.mark.parametrize(
    ("act", "msg"),
    [
        ("relu_power", "needs power=p"),
        ("polynomial", "needs coeffs"),
        ("mish", "unknown activation"),
    ],
)
def test_unusable_names_are_refused_up_front(act, msg):
    from harmonics import get_activation

    tg = ridge_target(3, (1,), rng=0)
    with pytest.raises(ValueError, match=f"activation must be one of.*{msg}"):
        simulate(tg, act, 3, 10, steps=2, lr=1.0, progress=False)
    with pytest.raises(ValueError, match="unscaled, unbiased"):
        simulate(tg, get_activation("tanh", scale=2.0), 3, 10, steps=2, lr=1.0, progress=False)


def test_new_kernel_codes_match_numpy():
    # step (1/2 at 0), sign, relu^3, polynomials, leaky relu / step, silu, sin, cos: forward
    # pass and the classical derivative
    # against numpy (harmonics.Activation evaluates the same base functions).
    from harmonics import get_activation

    rng = np.random.default_rng(4)
    n, N, m = 5, 120, 262  # forward blocks of 4-8 units (last: 6), gradient chunks 32 x 8 + 6
    X = sample_sphere(N, n, rng)
    XT = np.ascontiguousarray(X.T)
    W, b, a = rng.standard_normal((m, n)), rng.normal(0, 0.3, m), rng.standard_normal(m)
    r = rng.standard_normal(N)
    for g in [
        get_activation("step"),
        get_activation("sign"),
        get_activation("relu3"),
        get_activation("identity"),
        get_activation("polynomial", coeffs=[0.5, -1.0, 0.0, 2.0]),
        get_activation("leaky_relu", negative_slope=0.2),
        get_activation("leaky_step", negative_slope=-0.3),
        get_activation("silu"),
        get_activation("sin"),
        get_activation("cos"),
    ]:
        f = np.empty(N)
        _gd_kernels.forward(W, b, a, XT, g.kernel_code, f, g.kernel_params)
        Z = X @ W.T + b
        np.testing.assert_allclose(f, g(Z) @ a / math.sqrt(m), rtol=1e-12, atol=1e-13)
        ga, gW, gb = np.zeros(m), np.zeros((m, n)), np.zeros(m)
        _gd_kernels.gradients(W, b, a, XT, g.kernel_code, r, ga, gW, gb, True, g.kernel_params)
        s = 1 / (N * math.sqrt(m))
        G = g.derivative(Z) * r[:, None]
        np.testing.assert_allclose(ga, s * g(Z).T @ r, rtol=1e-11, atol=1e-14)
        np.testing.assert_allclose(gW, s * a[:, None] * (G.T @ X), rtol=1e-11, atol=1e-14)


# ------------------------------------------------------------------------------ Ctrl-C


def test_interrupt_propagates_with_the_partial_history():
    # A KeyboardInterrupt inside the loop (here from the callback at step 3) is not swallowed:
    # it propagates as SimulationInterrupted (a KeyboardInterrupt) carrying the partial result,
    # marked interrupted / not complete.  Before: simulate returned the partial data as if whole.
    from gd_operator.simulation import SimulationInterrupted

    def stop_at_3(step, loss):
        if step == 3:
            raise KeyboardInterrupt

    tg = ridge_target(3, (1, 2), rng=0)
    with pytest.raises(KeyboardInterrupt) as info:
        kw = dict(steps=50, lr=1.0, record_every=1, progress=False)
        simulate(tg, "relu", 3, 20, callback=stop_at_3, **kw)
    assert isinstance(info.value, SimulationInterrupted)
    part = info.value.partial
    assert part.interrupted and not part.complete
    assert list(part.steps) == [0, 1, 2, 3] and part.residual_energy.shape == (4, 7)
    assert "(interrupted)" in repr(part) and part.to_dict()["interrupted"] is True


def test_sigint_from_another_thread_propagates():
    # The real Ctrl-C: SIGINT delivered to the main thread while the loop runs (the timer starts
    # at step 0, so the signal cannot arrive before the loop or after a finished run).
    import os
    import signal
    import threading

    from gd_operator.simulation import SimulationInterrupted

    timers = []

    def start_timer(step, loss):
        if step == 0:
            timers.append(threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)))
            timers[0].start()

    tg = ridge_target(3, (1, 2), rng=0)
    with pytest.raises(SimulationInterrupted) as info:
        kw = dict(steps=10**9, lr=0.1, record_every=10**6, progress=False, energies=False)
        simulate(tg, "relu", 3, 50, callback=start_timer, **kw)
    timers[0].join()
    assert info.value.partial.interrupted and info.value.partial.steps[0] == 0


def test_demo_exits_130_on_interrupt(monkeypatch, tmp_path):
    # python -m gd_operator demo: a Ctrl-C inside a simulation reaches the CLI, which exits 130
    # (before: simulate returned the partial run and the demo went on as if it were whole).
    import io

    from funkhecke import demo
    from funkhecke.cli.gd_operator_cli import main
    from gd_operator import simulation

    monkeypatch.setattr(
        demo,
        "DEMO_SIZES",
        {"vw": dict(n=3, m=60, steps=20, samples_bias=200)},
    )
    calls = []
    original = simulation._Population.step

    def step(self, W, b, a):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, W, b, a)

    monkeypatch.setattr(simulation._Population, "step", step)
    code = main(["demo", "--out", str(tmp_path), "--no-progress"], out=io.StringIO())
    assert code == 130


def test_float32_population_run_of_a_smooth_activation():
    # float32 unit weights are unit to ~1e-7: the shared-profile energies and the population Gram
    # accept them (before: "exact degree energies for 'tanh' need unit hidden weights").
    tg = ridge_target(3, (1, 2), rng=0)
    kw = dict(steps=5, lr=0.5, progress=False)
    r32 = simulate(tg, "tanh", 3, 40, dtype=np.float32, **kw)
    r64 = simulate(tg, "tanh", 3, 40, **kw)
    assert r32.energies_exact
    np.testing.assert_allclose(r32.loss, r64.loss, rtol=1e-5)
    np.testing.assert_allclose(r32.residual_energy, r64.residual_energy, rtol=1e-4, atol=1e-7)
