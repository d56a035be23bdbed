"""gd_operator.simulate_batch: R independent runs in one batched kernel.

Reference: R separate :func:`gd_operator.simulate` calls with the same arguments.  The batched
kernels split the work into (run, block of units) tasks whose arithmetic does not depend on
the other runs, so the comparison is bit for bit (np.array_equal), not to a tolerance: any
difference is a bug in the batching.
"""

import numpy as np
import pytest

from gd_operator import (
    DivergenceError,
    SimulationInterrupted,
    _gd_kernels,
    ridge_target,
    simulate,
    simulate_batch,
    teacher_network,
)
from harmonics import get_activation, sample_sphere


def _assert_same(batched, single):
    assert batched.settings == single.settings
    np.testing.assert_array_equal(batched.steps, single.steps)
    np.testing.assert_array_equal(batched.loss, single.loss)
    np.testing.assert_array_equal(batched.residual_energy, single.residual_energy)
    for key in ("W", "b", "a"):
        np.testing.assert_array_equal(batched.params[key], single.params[key])
        assert batched.params[key].dtype == single.params[key].dtype
    for key, val in single.train_record.items():
        np.testing.assert_array_equal(batched.train_record[key], val)


CASES = [
    # ReLU, both layers, different targets and seeds, exact energies recorded
    dict(act="relu", n=4, m=24, kw=dict(train="both", samples=90, steps=12, lr=0.5)),
    # hidden layer with trained biases (NTK parametrization), symmetric init, stop_loss:
    # runs leave the batch at different steps
    dict(
        act="relu",
        n=2,
        m=40,
        kw=dict(
            train="hidden",
            init="gaussian",
            samples=101,
            steps=60,
            lr=2.0,
            bias=1.0,
            bias_init="zero",
            symmetric=True,
            stop_loss=0.02,
            energies=False,
            record_every=1,
        ),
    ),
    # smooth activation, output layer, Monte Carlo energies, residual record
    dict(
        act="tanh",
        n=7,
        m=18,
        kw=dict(train="output", samples=70, steps=9, lr=0.7, record_residual=True),
    ),
    # parametrized base function (relu^3), float32 parameters, n > 4 (several coordinate passes)
    dict(
        act="relu3",
        n=9,
        m=33,
        kw=dict(train="both", samples=64, steps=7, lr=0.3, dtype=np.float32, bias=0.4),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c["act"] for c in CASES])
def test_batch_equals_separate_runs_bit_for_bit(case):
    n, m, kw = case["n"], case["m"], case["kw"]
    # degrees 1, 2, 5: different default kmax per run (the records differ in length)
    targets = [ridge_target(n, (k,), rng=k) for k in (1, 2, 5)]
    seeds = [5, 0, 11]
    batch = simulate_batch(targets, case["act"], n, m, rng=seeds, progress=False, **kw)
    assert len(batch) == 3
    for tg, seed, res in zip(targets, seeds, batch, strict=True):
        single = simulate(tg, case["act"], n, m, rng=seed, progress=False, **kw)
        _assert_same(res, single)
    if kw.get("stop_loss"):
        # the runs stopped at different steps: the batch really carried finished runs along
        assert len({int(r.steps[-1]) for r in batch}) > 1


def test_one_target_many_seeds_and_population_runs():
    # one target broadcast over seeds; population loss (samples=None) runs one after another
    tg = teacher_network(3, 2, rng=0)
    kw = dict(steps=6, lr=1.0, samples=80, train="both", progress=False)
    batch = simulate_batch(tg, "relu", 3, 16, rng=[1, 2], **kw)
    for seed, res in zip([1, 2], batch, strict=True):
        _assert_same(res, simulate(tg, "relu", 3, 16, rng=seed, **kw))
    rt = ridge_target(3, (1, 2), rng=0)
    pop = simulate_batch(rt, "relu", 3, 20, rng=[0, 3], steps=5, lr=1.0, progress=False)
    for seed, res in zip([0, 3], pop, strict=True):
        _assert_same(res, simulate(rt, "relu", 3, 20, rng=seed, steps=5, lr=1.0, progress=False))


def test_batched_kernels_equal_single_kernels_for_a_subset_of_runs():
    # forward_batch / gradients_batch on runs [2, 0] of 3: those rows equal the one-run
    # kernels bit for bit, the untouched run keeps its (sentinel) values.
    rng = np.random.default_rng(2)
    R, n, N, m = 3, 6, 77, 41
    W = rng.standard_normal((R, m, n))
    b, a = rng.normal(0, 0.3, (R, m)), rng.standard_normal((R, m))
    XT = np.stack([np.ascontiguousarray(sample_sphere(N, n, rng).T) for _ in range(R)])
    g = get_activation("gelu")
    out = np.full((R, N), -7.0)
    runs = np.array([2, 0])
    _gd_kernels.forward_batch(W, b, a, XT, g.kernel_code, out, g.kernel_params, runs)
    res = rng.standard_normal((R, N))
    ga, gW, gb = np.full((R, m), -7.0), np.full((R, m, n), -7.0), np.full((R, m), -7.0)
    _gd_kernels.gradients_batch(W, b, a, XT, g.kernel_code, res, ga, gW, gb, True, runs=runs)
    for r in (0, 2):
        f = np.empty(N)
        _gd_kernels.forward(W[r], b[r], a[r], XT[r], g.kernel_code, f, g.kernel_params)
        assert np.array_equal(out[r], f)
        ga1, gW1, gb1 = np.zeros(m), np.zeros((m, n)), np.zeros(m)
        _gd_kernels.gradients(W[r], b[r], a[r], XT[r], g.kernel_code, res[r], ga1, gW1, gb1, True)
        assert np.array_equal(ga[r], ga1) and np.array_equal(gW[r], gW1)
        assert np.array_equal(gb[r], gb1)
    assert (out[1] == -7.0).all() and (ga[1] == -7.0).all() and (gW[1] == -7.0).all()


def test_callback_divergence_and_interrupt():
    tg = [ridge_target(3, (1,), rng=0), ridge_target(3, (2,), rng=0)]
    kw = dict(steps=4, lr=1.0, samples=50, train="both", progress=False)
    seen = []
    simulate_batch(tg, "relu", 3, 8, rng=0, callback=lambda j, s, lo: seen.append((j, s)), **kw)
    assert seen == [(j, s) for s in range(5) for j in (0, 1)]
    with pytest.raises(DivergenceError, match="run 0 of the batch"):
        simulate_batch(tg, "relu", 3, 8, rng=0, **{**kw, "lr": 1e9, "steps": 50})

    def stop(j, step, loss):
        if step == 2:
            raise KeyboardInterrupt

    with pytest.raises(SimulationInterrupted) as info:
        simulate_batch(tg, "relu", 3, 8, rng=[0, 1], callback=stop, **kw)
    partial = info.value.partial
    assert len(partial) == 2 and all(p.interrupted for p in partial)
    assert list(partial[0].steps) == [0, 1, 2]


@pytest.mark.parametrize(
    ("kwargs", "exc", "msg"),
    [
        (dict(targets=ridge_target(3, (1,), rng=0), rng=0), TypeError, "list of targets"),
        (dict(targets=[ridge_target(3, (1,), rng=0)] * 2, rng=[0, 1, 2]), ValueError, "length"),
        (dict(targets=[], rng=0), ValueError, "1..10000 runs"),
        (dict(targets=[ridge_target(3, (1,), rng=0)], rng=0, seed=1), TypeError, "rng="),
        (dict(targets=[ridge_target(3, (1,), rng=0)], rng=0, widht=3), TypeError, "widht"),
        (dict(targets=[ridge_target(3, (1,), rng=0)], rng=0, callback=3), TypeError, "callable"),
        (dict(targets=[ridge_target(3, (1,), rng=0)], rng=[-1]), ValueError, "rng"),
        (
            dict(targets=[ridge_target(3, (1,), rng=0)] * 5000, rng=0, samples=10**5),
            ValueError,
            "max_bytes",
        ),
    ],
)
def test_bad_input(kwargs, exc, msg):
    kwargs = {"steps": 2, "lr": 1.0, "progress": False, **kwargs}
    targets = kwargs.pop("targets")
    with pytest.raises(exc, match=msg):
        simulate_batch(targets, "relu", 3, 1000, **kwargs)


def test_callback_ends_a_run_and_on_finish_sees_each_result():
    # a true callback return ends that run at this step (recorded); the history is the prefix
    # of the full run's (same bits), and on_finish receives each run's complete result.
    tg = [ridge_target(3, (k,), rng=0) for k in (1, 2, 3)]
    kw = dict(steps=10, lr=0.5, samples=60, train="both", progress=False, record_every=3)
    finished = {}
    batch = simulate_batch(
        tg,
        "relu",
        3,
        12,
        rng=0,
        callback=lambda j, step, loss: j == 1 and step == 4,
        on_finish=lambda j, res: finished.setdefault(j, res),
        **kw,
    )
    assert sorted(finished) == [0, 1, 2] and all(finished[j] is not None for j in finished)
    assert list(batch[1].steps) == [0, 3, 4] and batch[1].complete
    full = simulate(tg[1], "relu", 3, 12, rng=0, **{**kw, "record_every": 1})
    np.testing.assert_array_equal(batch[1].loss, full.loss[[0, 3, 4]])
    for j in (0, 2):
        _assert_same(batch[j], simulate(tg[j], "relu", 3, 12, rng=0, **kw))
        np.testing.assert_array_equal(finished[j].params["W"], batch[j].params["W"])


@pytest.mark.parametrize("bias", [0.0, 1.0, 3.0])
def test_circle_kernels_match_the_direct_kernels(bias):
    # ReLU on the circle (n = 2): the arc kernels (prefix sums, O(m log N + N)) vs the direct
    # O(m N) kernels, including units with |b| > |w| (all or no samples active) and w = 0.
    # Difference: rounding of the prefix sums, ~eps * sum |terms| (bound 1e-13 relative).
    rng = np.random.default_rng(7)
    R, N, m = 2, 301, 400
    XT = np.stack([np.ascontiguousarray(sample_sphere(N, 2, rng).T) for _ in range(R)])
    W, b = rng.standard_normal((R, m, 2)), rng.normal(0, bias, (R, m))
    a = rng.standard_normal((R, m))
    W[0, 0] = 0.0
    b[0, 1], b[0, 2] = 5.0, -5.0
    layout = _gd_kernels.circle_layout(XT)
    f1, f2 = np.empty((R, N)), np.empty((R, N))
    _gd_kernels.forward_batch(W, b, a, XT, 0, f1)
    _gd_kernels.forward_circle(W, b, a, layout, f2)
    np.testing.assert_allclose(f2, f1, rtol=0, atol=1e-13 * np.abs(f1).max())
    res = rng.standard_normal((R, N))
    g1 = [np.zeros((R, m)), np.zeros((R, m, 2)), np.zeros((R, m))]
    g2 = [np.zeros((R, m)), np.zeros((R, m, 2)), np.zeros((R, m))]
    _gd_kernels.gradients_batch(W, b, a, XT, 0, res, *g1, True)
    _gd_kernels.gradients_circle(W, b, a, layout, res, *g2, True)
    for x, y in zip(g1, g2, strict=True):
        np.testing.assert_allclose(y, x, rtol=0, atol=1e-13 * np.abs(x).max())
