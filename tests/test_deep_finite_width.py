"""Finite-width deep networks: the empirical NNGP/NTK projected per degree converges to the
infinite-width mu_k of gd_operator.spectrum(depth=...) (issue 15).

Reference: the infinite-width kernel (gd_operator.kernel, tested against closed arc-cosine
compositions in test_deep_spectrum.py) projected on the same pairs of points, so the sampling
error of the points cancels and what remains is the finite-width error (~1/sqrt(m)).
"""

from __future__ import annotations

import numpy as np
import pytest

from gd_operator import DeepFiniteWidth, deep_finite_width


def test_converges_with_width():
    """Depth-2 ReLU NTK on S^2: mean per-degree deviation falls by > 3x from m = 16 to 1024
    (expected ~8x = sqrt(64); measured 0.90 -> 0.044)."""
    r = deep_finite_width("relu", 3, [16, 1024], 3, depth=2, points=120, seeds=3, rng=1)
    dev = r.relative_deviation().mean(axis=1)
    assert dev[1] < dev[0] / 3, dev


def test_ntk_hidden_output_add_up():
    """K_NTK = K_out + K_hid holds for the empirical kernels of the same networks (same seed):
    per-degree estimates add up to rounding."""
    kw = dict(depth=3, points=40, seeds=2, rng=5)
    both = deep_finite_width("tanh", 4, [64], 2, train="both", **kw)
    out = deep_finite_width("tanh", 4, [64], 2, train="output", **kw)
    hid = deep_finite_width("tanh", 4, [64], 2, train="hidden", **kw)
    np.testing.assert_allclose(both.estimate, out.estimate + hid.estimate, rtol=1e-10, atol=1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match="max_work"):
        deep_finite_width("relu", 3, [10**5], 2, depth=5)
    with pytest.raises(TypeError, match="widths"):
        deep_finite_width("relu", 3, ["a"], 2)
    with pytest.raises(ValueError, match="derivative"):
        deep_finite_width("step", 3, [8], 2, train="both")
    assert isinstance(
        deep_finite_width("relu", 3, 8, 1, points=10, seeds=1, rng=0), DeepFiniteWidth
    )


def test_deep_smooth_kernel_on_all_pairs():
    """tanh at depth 10 on every pair of the points (the exact kernel of deep_finite_width: it
    summed each layer's Mehler series as a [pairs, J] array, 5 s of CPU, a fuzz hang; now by
    Horner's rule, _hermite.mehler_sum).  Reference for the sum: mpmath at 30 digits, term by
    term.  Tolerance 1e-15 absolute: the Horner bound 2 J eps sum_j coef_j with J = 201,
    sum_j coef_j ~ 0.6 is 5e-14; measured ~1e-16."""
    import mpmath as mp

    from gd_operator._hermite import mehler_sum

    r = deep_finite_width("tanh", 2, [8, 16], 4, depth=10, train="hidden", weight_var=2.0, seeds=1)
    assert np.all(np.isfinite(r.on_points)) and np.all(np.isfinite(r.limit))
    log_coef = np.log(np.arange(1.0, 202.0) ** -3.0)
    log_coef[::2] = -np.inf  # odd series, as tanh's
    x = np.linspace(-1.0, 1.0, 21)
    with mp.workdps(30):
        ref = [
            float(mp.fsum(mp.mpf(j + 1) ** -3 * mp.mpf(v) ** j for j in range(1, 201, 2)))
            for v in x
        ]
    np.testing.assert_allclose(mehler_sum(log_coef, x), ref, rtol=0, atol=1e-15)


def test_smooth_callable_network_matches_the_registered_gate():
    """A callable runs the same networks (same draws): its phi' is a central difference, so the
    empirical NTK agrees with tanh's exact derivative to ~1e-11 (tolerance 1e-9 of the largest
    estimate: truncation d^2 |phi'''| / 6 and rounding eps / d with d = 1e-5 are ~1e-11 per
    unit, summed over layers); the infinite-width sides agree to the callable's Hermite-rule
    accuracy.  Parity zeros of tanh (even k) give finite deviations (scaled by max mu_k)."""
    import warnings

    kw = dict(depth=3, points=60, seeds=2, rng=3, train="both")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CoefficientNoiseWarning: not reached at kmax = 3
        got = deep_finite_width(np.tanh, 3, [32, 256], 3, **kw)
    ref = deep_finite_width("tanh", 3, [32, 256], 3, **kw)
    np.testing.assert_allclose(got.estimate, ref.estimate, rtol=0, atol=1e-9 * ref.limit.max())
    np.testing.assert_allclose(got.limit, ref.limit, rtol=1e-12, atol=1e-15)
    dev = got.relative_deviation()
    assert np.all(np.isfinite(dev)) and ref.limit[0] == 0 and ref.limit[2] == 0


def test_callable_rule_noise_zeros_do_not_blow_up_the_deviation():
    """sigmoid as a callable is neither odd nor even, so its parity zeros (k = 0, 2, 4 of the
    hidden kernel) come out as ~1e-31 rule noise instead of 0; dividing by them gave deviations
    ~1e26.  Below 1e-12 max mu_k the deviation is relative to max mu_k, as for exact zeros:
    it must then equal the registered sigmoid's (same networks, same points) to 1e-6."""
    import warnings

    sig = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    kw = dict(depth=1, train="hidden", points=40, seeds=2, rng=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CoefficientNoiseWarning names the noisy zeros
        got = deep_finite_width(sig, 3, [32, 128], 4, **kw).relative_deviation()
    ref = deep_finite_width("sigmoid", 3, [32, 128], 4, **kw).relative_deviation()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)
