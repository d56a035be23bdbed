"""Deep NNGP / NTK kernels (gd_operator.deep, issue 15): values, power series, eigenvalues.

References (each test names its own):
* tests/reference/deep_reference_<activation>.json -- mpmath at 45-50 digits, not importing the
  package (make_deep_reference.py: theta quadrature for n <= 10, Cauchy coefficients + moments
  for n >= 100);
* the closed arc-cosine compositions of Cho & Saul 2009 (numpy, written out here);
* Cauchy integrals of the closed compositions in mpmath (power series);
* the depth-1 routes of gd_operator.spectrum (closed forms / Mehler), which share no code with
  the deep engine's compositions.
"""

from __future__ import annotations

import math
import re

import mpmath as mp
import numpy as np
import pytest

import gd_operator as gdo
from gd_operator._gates import resolve
from gd_operator.deep import deep_log_spectrum
from harmonics import get_activation

# ------------------------------------------------------------------- depth 1 = today


@pytest.mark.parametrize("act", ["relu", "abs", "relu2", "erf", "step"])
@pytest.mark.parametrize("train", ["output", "both"])
@pytest.mark.parametrize("n", [2, 3, 10, 1000])
def test_depth_one_engine_equals_spectrum(act, train, n):
    """The deep engine at depth 1 (compositions, Puiseux charts) against today's closed /
    Mehler routes of spectrum(init='gaussian'): 2e-12 relative (the closed routes are ~1e-14;
    the deep engine's per-degree choice of the Puiseux order reaches 1.2-1.3e-12 at n = 2
    (relu NTK) and n = 1000 (abs), above the issue's 1e-12 target: reported, not hidden)."""
    if act == "step" and train != "output":
        pytest.skip("step has no hidden-layer kernel")
    kmax = 80
    ref_sign, ref_log = gdo.spectrum(act, n, kmax, train=train, init="gaussian", log=True)
    log_mu, sign = deep_log_spectrum(resolve(act), n, kmax, 1, 1.0, 0.0, train)
    np.testing.assert_array_equal(sign, ref_sign)  # exact parity zeros in both
    live = ref_sign > 0
    assert np.max(np.abs(np.expm1(log_mu[live] - ref_log[live]))) <= 2e-12


def test_public_depth_one_is_todays_spectrum():
    """depth=1, weight_var=1 is the unchanged one-hidden-layer route (bit for bit)."""
    for act, train, init, bias in [
        ("relu", "both", "gaussian", 0.3),
        ("tanh", "output", "gaussian", None),
        ("relu", "hidden", "sphere", None),
        ("gelu", "both", "gaussian", None),
    ]:
        a = gdo.spectrum(act, 10, 40, train=train, init=init, bias=bias)
        b = gdo.spectrum(act, 10, 40, train=train, init=init, bias=bias, depth=1, weight_var=1.0)
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------- kernel values: closed forms


def _kappa(p, c):
    th = np.arccos(np.clip(c, -1, 1))
    if p == 0:
        return (np.pi - th) / np.pi
    return (np.sin(th) + (np.pi - th) * np.cos(th)) / np.pi


def _relu_closed(depth, w, b2, rho):
    """Cho & Saul compositions: E[relu relu] = q kappa_1(c)/2, E[step step] = kappa_0(c)/2."""
    sig = w * rho + b2
    q = w + b2
    theta = sig
    for layer in range(depth):
        c = sig / q
        e, ed = q * _kappa(1, c) / 2, _kappa(0, c) / 2
        if layer < depth - 1:
            new = w * e + b2
            theta = new + w * theta * ed
            sig, q = new, w * q / 2 + b2
        else:
            return e, e + theta * ed


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
@pytest.mark.parametrize("w,beta", [(1.0, None), (2.0, 0.1), (0.5, 1.0)])
def test_relu_kernel_values_closed(depth, w, beta):
    """Sigma (NNGP) and Theta (NTK) of deep ReLU against the closed arc-cosine compositions:
    1e-13 relative (both are float64 evaluations of the same closed forms)."""
    rho = np.linspace(-1, 1, 41)
    b2 = 0.0 if beta is None else beta * beta
    nngp, ntk = _relu_closed(depth, w, b2, rho)
    kw = dict(init="gaussian", depth=depth, weight_var=w, bias=beta)
    np.testing.assert_allclose(gdo.kernel("relu", 3, rho, train="output", **kw), nngp, rtol=1e-13)
    np.testing.assert_allclose(gdo.kernel("relu", 3, rho, train="both", **kw), ntk, rtol=1e-13)


def test_erf_kernel_values_closed():
    """Deep erf NNGP against Williams' arcsine composition (1e-14)."""
    rho = np.linspace(-1, 1, 21)
    sig, q = rho.copy(), 1.0
    for _ in range(3):
        b = 2 * q / (1 + 2 * q)
        sig, q = 2 / np.pi * np.arcsin(b * sig / q), 2 / np.pi * math.asin(b)
    got = gdo.kernel("erf", 5, rho, init="gaussian", depth=3)
    np.testing.assert_allclose(got, sig, rtol=1e-14, atol=1e-16)


# ----------------------------------------------------------------------- power series


def _mp_kernel(act, depth, w, b2, z, train):
    sig, q, theta = w * z + b2, mp.mpf(w + b2), w * z + b2
    for layer in range(depth):
        c = sig / q
        if act == "relu":
            phi = mp.pi - mp.acos(c)
            e, ed = q * (mp.sqrt(1 - c * c) + phi * c) / (2 * mp.pi), phi / (2 * mp.pi)
            qn = w * q / 2 + b2
        else:
            b = 2 * q / (1 + 2 * q)
            e, ed = 2 / mp.pi * mp.asin(b * c), 2 / mp.pi * b / (q * mp.sqrt(1 - b * b * c * c))
            qn = w * 2 / mp.pi * mp.asin(b) + b2
        if layer < depth - 1:
            new = w * e + b2
            theta = new + w * theta * ed
            sig, q = new, qn
        else:
            return e if train == "output" else e + theta * ed


@pytest.mark.parametrize(
    "act,depth,w,beta", [("relu", 2, 1, 0), ("relu", 4, 2, 0.5), ("erf", 3, 1, 0)]
)
@pytest.mark.parametrize("train", ["output", "both"])
def test_power_series_against_cauchy(act, depth, w, beta, train):
    """c_0..c_40 against mpmath Cauchy integrals of the closed compositions (trapezoid rule on
    |rho| = 1/2 with 256 points: aliasing 2^-256; 40 digits): relative 1e-13 per coefficient."""
    mp.mp.dps = 40
    N, r, order = 256, mp.mpf(1) / 2, 40
    vals = [
        _mp_kernel(act, depth, w, mp.mpf(beta) ** 2, r * mp.expjpi(mp.mpf(2 * j) / N), train)
        for j in range(N)
    ]
    ref = [
        float(
            mp.re(mp.fsum(v * mp.expjpi(-mp.mpf(2 * j * p) / N) for j, v in enumerate(vals)))
            / N
            / r**p
        )
        for p in range(order + 1)
    ]
    got = gdo.power_series(act, order, train=train, depth=depth, weight_var=w, bias=beta or None)
    ref = np.array(ref)
    live = np.abs(ref) > 1e-30
    np.testing.assert_allclose(got[live], ref[live], rtol=1e-13)
    assert np.all(got >= 0)


def test_relu_ntk_coefficients_decay_like_p_to_minus_three_halves():
    """Murray et al. 2023: ReLU NTK coefficients ~ C p^{-3/2} (the sqrt(1 - rho) singularity);
    local exponent over p in [2000, 4000] within 1 % of -3/2 (corrections O(1/p))."""
    c = gdo.power_series("relu", 4000, train="both", depth=3)
    p = np.array([2000, 4000])
    slope = np.diff(np.log(c[p] + c[p - 1])) / np.diff(np.log(p))
    assert abs(slope[0] + 1.5) < 0.015


# ------------------------------------------------------------------------ eigenvalues


@pytest.mark.parametrize("n", [3, 5, 10])
def test_deep_equals_shallow_decay(n):
    """Bietti & Bach 2021: the deep ReLU NTK decays like the shallow one, mu_k ~ k^{-n} on
    S^{n-1}.  Exponents fitted over k in [200, 400] (even k; the shallow odd k vanish) agree
    within 2 % (depth 4 vs depth 1) and both lie within 2 % of -n."""
    k = np.arange(200, 401, 2)

    def exponent(depth):
        _, log_mu = (
            gdo.spectrum(
                "relu", n, 400, train="both", init="gaussian", depth=depth, log=True, weight_var=1.0
            )
            if depth > 1
            else gdo.spectrum("relu", n, 400, train="both", init="gaussian", log=True)
        )
        return np.polyfit(np.log(k), log_mu[k], 1)[0]

    deep, shallow = exponent(4), exponent(1)
    assert abs(deep / shallow - 1) < 0.02, (deep, shallow)
    assert abs(deep / -n - 1) < 0.02, deep


@pytest.mark.parametrize("n", [2, 3, 10, 1000])
def test_positive_with_bias(n):
    """With a bias every eigenvalue of the deep ReLU NNGP and NTK is > 0 (no parity zeros)."""
    for train in ("output", "both"):
        sign, log_mu = gdo.spectrum(
            "relu", n, 200, train=train, init="gaussian", depth=3, bias=0.2, log=True
        )
        assert np.all(sign == 1.0) and np.all(np.isfinite(log_mu))


@pytest.mark.parametrize("act,zero_parity", [("erf", 0), ("tanh", 0), ("abs", 1), ("sin", 0)])
def test_parity_zeros_exact(act, zero_parity):
    """Odd gates without bias: K_out is odd, mu_k = 0 exactly at even k; even gates (abs): at
    odd k.  (Exact zeros, not tiny numbers.)"""
    sign, _ = gdo.spectrum(act, 5, 40, init="gaussian", depth=3, log=True)
    k = np.arange(41)
    assert np.all(sign[k % 2 == zero_parity] == 0.0)
    assert np.all(sign[k % 2 != zero_parity] == 1.0)


def test_deep_sigmoid_ordered_phase_rate():
    """Deep sigmoid layers drive the correlation to 1 (the ordered phase): 1 - Sigma(0)/Sigma(1)
    rounds to 0 by depth 15, which crashed the biased composition (math domain error).  In
    that regime the rho-dependent part of the kernel shrinks by chi = sigma_w^2 E[phi'(sqrt(q*)
    z)^2] per layer, q* the variance fixed point q = E[phi(sqrt(q) z)^2] (Schoenholz et al.
    2017, "Deep information propagation", chi_1).  Reference: q* and chi by 30-digit mpmath
    quadrature, independent of the package.  Tolerance 1e-9: q_l reaches q* geometrically
    (measured: the decrements agree to 1e-12 from depth 12 on)."""
    mp.mp.dps = 30
    sig = lambda x: 1 / (1 + mp.e ** (-x))  # noqa: E731

    def gauss(f):  # E[f(z)], z ~ N(0, 1)
        return mp.quad(lambda z: f(z) * mp.e ** (-z * z / 2), [-mp.inf, 0, mp.inf]) / mp.sqrt(
            2 * mp.pi
        )

    q = mp.mpf(1)
    for _ in range(60):
        q = gauss(lambda z, q=q: sig(mp.sqrt(q) * z) ** 2)
    log_chi = float(mp.log(gauss(lambda z: (sig(mp.sqrt(q) * z) * (1 - sig(mp.sqrt(q) * z))) ** 2)))
    logs = []
    for depth in (12, 13, 15, 20):
        sign, log_mu = gdo.spectrum(
            "sigmoid", 3, 6, train="output", init="gaussian", depth=depth, log=True
        )
        assert np.all(sign == 1) and np.all(np.isfinite(log_mu))
        logs.append(log_mu)
    per_layer = np.diff(np.array(logs)[:, 1:], axis=0) / np.array([1, 2, 5])[:, None]
    np.testing.assert_allclose(per_layer, log_chi, rtol=1e-9)


def test_large_n_log_scale():
    """n = 1e6: values far below 1e-308 are returned in log scale, finite and decreasing."""
    sign, log_mu = gdo.spectrum("relu", 10**6, 80, train="both", init="gaussian", depth=5, log=True)
    assert np.all(sign == 1) and np.all(np.isfinite(log_mu))
    assert log_mu[80] < math.log(1e-308) and np.all(np.diff(log_mu[1:]) < 0)


def test_bad_input():
    with pytest.raises(ValueError, match="depth"):
        gdo.spectrum("relu", 3, 5, init="gaussian", depth=0)
    with pytest.raises(TypeError, match="depth"):
        gdo.spectrum("relu", 3, 5, init="gaussian", depth=True)
    with pytest.raises(ValueError, match="weight_var"):
        gdo.spectrum("relu", 3, 5, init="gaussian", weight_var=0.0)
    with pytest.raises(ValueError, match="init='gaussian'"):
        gdo.spectrum("relu", 3, 5, depth=2)
    with pytest.raises(ValueError, match="depth = 1 only"):
        gdo.spectrum("step", 3, 5, init="gaussian", depth=2)
    with pytest.raises(ValueError, match="order"):
        gdo.power_series("relu", -1)
    # Was: a hang (and an 18 GB table) -- a 2 * 10^6-term composition started before any check
    import time

    t0 = time.process_time()
    for act, kw in (("tanh", {"depth": 2}), ("relu", {"weight_var": 2.0})):
        with pytest.raises(ValueError, match=r"kmax = 1000000.*kmax <= 3000"):
            gdo.spectrum(act, 3, 10**6, init="gaussian", train="both", **kw)
    assert time.process_time() - t0 < 0.5


def test_power_series_refuses_costly_orders_up_front():
    """Was: tanh at order 4000 raised "diag has 15400 entries ... raise
    harmonics._quadrature.MAX_RULE_SIZE" from inside the Gauss-Hermite rule (no argument named);
    orders below it ran unchecked for tens of seconds (tanh 3000: 16 s, relu 20000 at depth 10:
    11 s).  Now the rule limit is an order range and the cost a max_work limit, both up front."""
    import time

    t0 = time.process_time()
    # a biased gate still takes its coefficients from the Gauss-Hermite rule (unbiased tanh,
    # sigmoid, softplus and silu from Fourier integrals, without a rule: only the work limit)
    with pytest.raises(ValueError, match=r"order must be in \[0, 3075\]"):
        gdo.power_series(get_activation("silu", bias=0.3), 4000, train="both")
    # (the model: Paterson-Stockmeyer counts at ~1e10 multiply-adds per second; tanh at order
    # 4000, depth 3 now takes ~0.2 s and is allowed)
    with pytest.raises(ValueError, match="max_work"):
        gdo.power_series("silu", 20000, train="both", depth=2)
    with pytest.raises(ValueError, match="max_work"):
        gdo.power_series("tanh", 16000, train="both", depth=3)
    with pytest.raises(ValueError, match="max_work"):
        gdo.power_series("tanh", 20000, depth=2)
    with pytest.raises(ValueError, match="max_work"):
        gdo.power_series("relu", 20000, train="both", depth=12)
    assert time.process_time() - t0 < 0.5
    c = gdo.power_series("relu", 20, train="both", depth=10, max_work=1e12)
    assert c.shape == (21,) and np.all(c >= 0)


def test_power_series_deep_failures_are_clean():
    """Was: relu2 at depth 50 raised a raw OverflowError (q^2 of a Python float, layer 12);
    tanh with weight_var = 1000 spent 6.8 s doubling Gauss-Hermite rules to 12200 nodes before
    its series was found not to converge (tanh(31.6 z) is nearly a step)."""
    import time

    with pytest.raises(ValueError, match="depth"):
        gdo.power_series("relu2", 35, depth=50)
    t0 = time.process_time()
    with pytest.raises(ValueError, match="weight_var"):
        gdo.power_series("tanh", 2, depth=2, weight_var=1000.0, bias=0.5)
    assert time.process_time() - t0 < 1.0


def test_truncated_horner_composition_is_unchanged():
    """compose_positive skips the orders of the Horner accumulator that cannot reach the result
    (P^3/6 instead of P^3/2 multiply-adds): the same sums in the same order, so the same bits as
    the full accumulation."""
    from gd_operator import _series as ser

    rng = np.random.default_rng(3)
    for P, M in [(0, 0), (1, 1), (7, 3), (60, 60)]:
        g = rng.random(M + 1)
        h = rng.random(P + 1) / (P + 1)
        h[0] = 0.0
        full = np.zeros(P + 1)
        for gm in g[::-1]:  # plain Horner with full truncated products
            full = np.convolve(full, h)[: P + 1]
            full[0] += gm
        np.testing.assert_allclose(ser.compose_positive(g, h, P), full, rtol=1e-13, atol=0)


def test_power_series_rule_limit_matches_harmonics():
    # gd_operator.deep repeats gauss_rule's private size limit (layers meet at public names)
    from gd_operator import deep
    from harmonics import _quadrature

    assert deep.GAUSS_RULE_MAX_SIZE == _quadrature.MAX_RULE_SIZE


def test_reassociated_series_kernels_match_strict_order():
    """The positive-series kernels reassociate their sums (fastmath {reassoc, contract}).
    Reference: the same bodies compiled in strict order (no fastmath, no cache).  A sum of P
    non-negative terms has relative error <= P eps in any order; measured 1.0e-14 at P = 3000
    for the inverse square root (its recurrence feeds every coefficient back), ~1e-16 for
    Horner; bound 1e-13 (~P eps / 10 at P = 3000, far below the 1e-12 spectra)."""
    from numba import njit

    from gd_operator import _series as ser

    rng = np.random.default_rng(5)
    P = 3000
    c = np.abs(rng.standard_normal(P + 1)) / np.arange(1, P + 2) ** 2
    c[0] = 0.3
    c /= 1.01 * c.sum()  # c(1) < 1: z = (1 - c^2)^{-1/2} converges at rho = 1
    strict = njit(ser._inv_sqrt_body)
    fast = ser._inv_sqrt_compose(c, 1.0, ser._inv_sqrt_kernel)
    ref = ser._inv_sqrt_compose(c, 1.0, strict)
    assert np.all(ref > 0)
    np.testing.assert_allclose(fast, ref, rtol=1e-13, atol=0)

    g = rng.random(401) / np.arange(1, 402) ** 2
    h = np.abs(rng.standard_normal(401)) / np.arange(1, 402) ** 2
    h[0] = 0.0
    out_fast, out_ref = np.empty(401), np.empty(401)
    ser._horner_kernel(g, h, out_fast)
    njit(ser._horner_body)(g, h, out_ref)
    np.testing.assert_allclose(out_fast, out_ref, rtol=1e-13, atol=0)

    gs = np.stack([g, g * np.exp(-0.1 * np.arange(401))])
    ps_fast, ps_ref = np.empty((2, 401)), np.empty((2, 401))
    ser._paterson_stockmeyer_kernel(gs, h, 12, ps_fast)
    njit(ser._paterson_stockmeyer_body)(gs, h, 12, ps_ref)
    np.testing.assert_allclose(ps_fast, ps_ref, rtol=1e-13, atol=0)


def test_paterson_stockmeyer_composition_matches_horner():
    """compose_positive_many (baby powers of h, Horner in h^s, truncated accumulator) against
    plain Horner with full truncated products (np.convolve): the same positive sums in another
    order, so equal to ~P eps relative (measured 6.6e-15 at P = 2400 for coefficients spanning
    e^-150; bound 1e-13), for every block size and edge case (P = 0, 1, g shorter or longer
    than the order, one and several outer series)."""
    from gd_operator import _series as ser

    rng = np.random.default_rng(11)
    for P, M in [(0, 0), (1, 1), (7, 3), (9, 30), (60, 60), (600, 700)]:
        h = rng.random(P + 1) * np.exp(-0.05 * np.arange(P + 1))
        h[0] = 0.0
        h /= 1.01 * max(h.sum(), 1.0)
        gs = [rng.random(M + 1) * np.exp(-np.sqrt(np.arange(M + 1)) * 3), rng.random(M // 2 + 1)]
        got = ser.compose_positive_many(gs, h, P)
        assert got.shape == (2, P + 1)
        for g, row in zip(gs, got, strict=True):
            full = np.zeros(P + 1)
            for gm in g[: P + 1][::-1]:
                full = np.convolve(full, h)[: P + 1]
                full[0] += gm
            np.testing.assert_allclose(row, full, rtol=1e-13, atol=1e-300)
    # h = h_1 rho (a first layer) takes the exact shortcut g_m h_1^m: same reference
    g = rng.random(50)
    got = ser.compose_positive_many([g], np.array([0.0, 0.7]), 60)[0]
    full = np.zeros(61)
    for gm in g[::-1]:
        full = np.convolve(full, [0.0, 0.7])[:61]
        full[0] += gm
    np.testing.assert_allclose(got, full, rtol=1e-14, atol=0)


def test_truncated_series_product():
    """mul(a, b, order): reference np.convolve (the full product, truncated), exact up to the
    summation order (1e-15 relative for non-negative terms); shorter inputs are zero-padded."""
    from gd_operator import _series as ser

    rng = np.random.default_rng(8)
    for na, nb, order in [(1, 1, 0), (5, 3, 9), (300, 301, 300), (40, 200, 100)]:
        a, b = rng.random(na), rng.random(nb)
        full = np.zeros(order + 1)
        conv = np.convolve(a[: order + 1], b[: order + 1])[: order + 1]
        full[: conv.size] = conv
        np.testing.assert_allclose(ser.mul(a, b, order), full, rtol=1e-15, atol=0)


def test_blocked_product_range_against_convolve():
    """_product_range (eight outputs per sweep, b reversed): reference np.convolve of the
    zero-padded inputs, equal up to summation order: sums of <= 301 non-negative terms differ
    by ~sqrt(P) eps (measured 1.4e-15; bound 1e-14, ~P eps / 7), for
    valuations a_lo, b_lo and output ranges that start, end and fall inside the blocks."""
    from numba import njit

    from gd_operator import _series as ser

    kernel = njit(ser._product_range_body)
    rng = np.random.default_rng(9)
    for P, a_lo, b_lo, p_lo, p_hi in [
        (0, 0, 0, 0, 0),
        (5, 0, 1, 0, 5),
        (20, 3, 1, 2, 20),
        (33, 0, 7, 0, 17),
        (64, 5, 5, 9, 64),
        (300, 12, 30, 0, 300),
    ]:
        a, b = rng.random(P + 1), rng.random(P + 1)
        a[:a_lo], b[:b_lo] = 0.0, 0.0
        out = np.full(P + 1, np.nan)
        kernel(a, a_lo, b[::-1].copy(), b_lo, out, p_lo, p_hi)
        ref = np.convolve(a, b)[: P + 1]
        np.testing.assert_allclose(out[p_lo : p_hi + 1], ref[p_lo : p_hi + 1], rtol=1e-14)
        assert np.all(np.isnan(out[:p_lo])) and np.all(np.isnan(out[p_hi + 1 :]))


def test_taylor_shift_against_exact_sums():
    """taylor_shift(c, c0, s, order)_i = sum_j C(j, i) c0^(j-i) s^i c_j.  References: exact
    rationals (fractions) at J = 40, and mpmath (30 digits) at J = 2000 with c0 = 0.999 (the
    ordered phase of deep sigmoid layers: unscaled shifted coefficients ~1000^i would
    overflow).  Bound 1e-13: J Horner steps of non-negative terms, <= ~J eps (4.4e-13 at
    J = 2000, measured far below)."""
    from fractions import Fraction

    import mpmath

    from gd_operator import _series as ser

    rng = np.random.default_rng(10)
    c = rng.random(41) / np.arange(1, 42) ** 2
    got = ser.taylor_shift(c, 0.3, 0.7, 25)
    fc = [Fraction(x) for x in c]
    c0, sc = Fraction(0.3), Fraction(0.7)
    for i in range(26):
        exact = sum(math.comb(j, i) * c0 ** (j - i) * sc**i * fc[j] for j in range(i, 41))
        assert abs(got[i] - float(exact)) <= 1e-14 * float(exact)
    J = 2000
    c = rng.random(J + 1) * np.exp(-np.sqrt(np.arange(J + 1)))
    got = ser.taylor_shift(c, 0.999, 0.001, 1200)
    mpmath.mp.dps = 30
    for i in (0, 1, 10, 300, 1200):
        exact = mpmath.fsum(
            mpmath.binomial(j, i)
            * mpmath.mpf(0.999) ** (j - i)
            * mpmath.mpf(0.001) ** i
            * mpmath.mpf(c[j])
            for j in range(i, J + 1)
        )
        assert abs(got[i] - float(exact)) <= 1e-13 * float(exact), i
    np.testing.assert_array_equal(ser.taylor_shift(np.array([]), 0.5, 0.5, 3), np.zeros(4))


def test_shift_log_coefficients_both_paths_against_mpmath():
    """shift_log_coefficients(log c, a, b)_i = log sum_j C(j, i) a^i b^(j-i) c_j: Horner in
    float range (taylor_shift), the log-domain sum where scaled results would underflow
    (a = b = 1/2: a^i ~ 1e-600).  Reference mpmath at 30 digits on the same float c_j.
    Bound 1e-13 relative: Horner measured 5e-15 at i = 1500 (the log-domain sum, which rounds
    each term's log-gamma sum ~1e-12 relative there, is held to 2e-12)."""
    import mpmath

    from gd_operator._hermite import shift_log_coefficients

    rng = np.random.default_rng(12)
    J = 3000
    p = np.arange(J + 1)
    log_c = 0.5 * np.log(p + 1.0) - math.pi * np.sqrt(p) + rng.random(J + 1)
    log_c[::2] = -np.inf  # an odd kernel: zeros stay exact inputs
    mpmath.mp.dps = 30
    for a, b, ids, tol in [
        (1 / 1.09, 0.09 / 1.09, (0, 5, 100, 1500, 2999), 1e-13),
        (0.5, 0.5, (0, 7, 1000), 2e-12),
    ]:
        got = shift_log_coefficients(log_c, a, b)
        assert np.all(np.isfinite(got[:J])) and got[J] == -np.inf  # c_J = 0: nothing left
        for i in ids:
            exact = mpmath.fsum(
                mpmath.binomial(j, i)
                * mpmath.mpf(b) ** (j - i)
                * mpmath.mpf(a) ** i
                * mpmath.exp(mpmath.mpf(log_c[j]))
                for j in range(i + (i % 2 == 0), J + 1, 2)
            )
            assert abs(float(mpmath.expm1(mpmath.mpf(got[i]) - mpmath.log(exact)))) <= tol, i


def test_shifted_layers_take_enough_hermite_terms():
    """Layers with a constant term (softplus: c0 = 0.59 .. 0.93 over 5 layers at weight_var 2)
    shift V(c0 + H), which needs h_j up to j ~ 2 P.  With J = 1.2 P at P = 500 the top shifted
    coefficients were too small and so were the tail shares that stop the series: mu_165 at
    n = 1000 came out 7.2e-12 low.  Reference: the same kernel's 2400-term series (its last
    fifth carries < 1e-100 of every mu_k) through positive_moment_sum; measured 5.7e-14 now,
    bound 1e-12 (the stated accuracy)."""
    from gd_operator import deep
    from gd_operator._gates import resolve
    from gd_operator._hermite import positive_moment_sum

    dual = deep._dual(resolve("softplus", power=None, coeffs=None, scale=1.0, kinks=None))
    c = deep.taylor_coefficients(dual, 5, 2.0, 0.0, "both", 2400)
    ref, share = positive_moment_sum(np.log(c), 1000, 200)
    assert share < 1e-100
    sign, got = gdo.spectrum(
        "softplus", 1000, 200, train="both", depth=5, weight_var=2.0, init="gaussian", log=True
    )
    assert np.all(sign > 0)
    np.testing.assert_allclose(np.expm1(got - ref), 0.0, atol=1e-12)


def test_biased_mehler_route_resolves_its_shift():
    """Depth-1 Gaussian-init spectra with a bias shift the Hermite series by b = beta^2 /
    (1 + beta^2); the shifted coefficient d_i needs h_j up to j ~ i / (1 - b).  Before, the
    whole J-term shifted series was used and its truncated top orders stopped the growth
    early: erf with bias 1.5 at n = 100 had mu_200 wrong by ~100 %.  Reference: erf's
    arcsine dual (Williams 1997) through the deep engine at depth 1 -- exact Taylor
    coefficients by the inverse-square-root recurrence, no Hermite series; for tanh and
    sigmoid the deep engine's own shift (resolved to 4 P).  Measured <= 2.8e-13; bound 1e-12."""
    from gd_operator import deep
    from gd_operator._gates import resolve

    for act, beta, n in [("erf", 1.5, 100), ("tanh", 1.0, 3), ("sigmoid", 1.0, 10)]:
        gate = resolve(act, power=None, coeffs=None, scale=1.0, kinks=None)
        ref, _ = deep.deep_log_spectrum(gate, n, 200, 1, 1.0, beta * beta, "output")
        sign, got = gdo.spectrum(act, n, 200, train="output", init="gaussian", bias=beta, log=True)
        live = sign != 0
        assert np.array_equal(live, np.isfinite(ref))
        np.testing.assert_allclose(np.expm1(got[live] - ref[live]), 0.0, atol=1e-12)


def test_resolved_shift_order():
    """resolved_shift_order against a closed case: c_j = r^j shifted by b has terms
    C(j, i) (b r)^(j-i) r^i, a negative binomial in j peaking at ~i b r / (1 - b r) past i;
    with J + 1 terms the orders i resolved satisfy i + peak + a ~40-nat tail < J.  Also: no
    shift resolves everything, a polynomial (exact trailing zeros) is resolved."""
    from gd_operator._hermite import resolved_shift_order

    J, r, b = 2000, 0.999, 0.5
    log_c = np.arange(J + 1) * math.log(r)
    top = resolved_shift_order(log_c, b)
    assert 0 < top < J
    assert top / (1 - b * r) < J  # the peak of the last resolved order lies inside
    assert (top + 1) / (1 - b * r) > 0.5 * J  # and the cut is not far too cautious
    assert resolved_shift_order(log_c, 0.0) == J
    poly = np.full(J + 1, -np.inf)
    poly[:4] = 0.0
    assert resolved_shift_order(poly, b) == J


def test_predicted_series_length_for_stretched_exponential_coefficients():
    """predicted_series_length from 301 terms of c_p = sqrt(p) exp(-pi sqrt p) (deep tanh's
    decay).  Reference: the shortest length (grid of 25) whose tail shares, by
    positive_moment_sum on the true series, are below the 1e-16 target: the prediction lies
    in [1, 1.3] x that (10% margin, fit error).  Growing coefficients give no fit (1.5 P);
    a converged series gives P + 1."""
    from gd_operator._hermite import positive_moment_sum, predicted_series_length

    p = np.arange(6001.0)
    true = 0.5 * np.log(np.maximum(p, 1.0)) - math.pi * np.sqrt(p)
    n, kmax = 3, 100
    _, shares = positive_moment_sum(true[:301], n, kmax, per_degree=True)
    assert np.max(shares) > 1e-16
    guess = predicted_series_length(true[:301], n, kmax, shares, 6000)
    need = next(
        L
        for L in range(400, 6001, 25)
        if np.max(positive_moment_sum(true[: L + 1], n, kmax)[1]) < 1e-16
    )
    assert need <= guess <= 1.3 * need, (guess, need)
    grow = 0.01 * np.arange(301.0)
    assert predicted_series_length(grow, n, kmax, shares, 6000) == 450
    assert predicted_series_length(true[:301], n, kmax, np.zeros(kmax + 1), 6000) == 301


# ------------------------------------------------------------------ capped series are reported
# Reference: the same spectrum with the default cap (whose series converged: no warning).


def test_capped_series_warn_and_name_the_degrees(monkeypatch):
    import importlib
    import warnings

    deep = importlib.import_module("gd_operator.deep")
    spectrum_module = importlib.import_module("gd_operator.spectrum")
    kw = dict(train="both", init="gaussian", log=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default caps are not reached here
        s_full, l_full = gdo.spectrum("tanh", 2, 100, depth=3, **kw)
    monkeypatch.setattr(deep, "_SMOOTH_TERMS_CAP", 300)  # below the ~1000 terms tanh needs
    with pytest.warns(gdo.SeriesTruncationWarning, match=r"cap of 301 terms.*first k = (\d+)") as w:
        s_cap, l_cap = gdo.spectrum("tanh", 2, 100, depth=3, **kw)
    first = int(re.search(r"first k = (\d+)", str(w[0].message)).group(1))
    assert w[0].filename == __file__  # points at the caller's line
    live = s_full != 0  # parity zeros: log -inf in both
    np.testing.assert_array_equal(s_cap, s_full)
    rel = np.zeros(live.size)
    rel[live] = np.abs(np.expm1(l_cap[live] - l_full[live]))
    assert np.all(rel[:first][live[:first]] <= 1e-12)  # degrees not named: within the claim
    assert np.max(rel[live]) > 1e-12  # the named ones really are off
    # depth 1: tanh needs ~2000 (exact coefficients have their own cap)
    monkeypatch.setattr(spectrum_module, "_MEHLER_EXACT_JCAP", 450)
    with pytest.warns(gdo.SeriesTruncationWarning, match=r"Mehler.*lower kmax"):
        gdo.spectrum("tanh", 2, 200, method="mehler", **kw)


def test_hidden_kernel_at_correlation_one_has_its_whole_series():
    """Was 1.38e-11 short (tanh, weight_var = 2, depth 1, rho = 1): the Mehler series was cut
    when its energy sum_j h_j^2 had converged, but the hidden kernel at rho = 1 is the
    j-weighted sum sum_j j h_j^2, whose tail is larger.  Reference: mpmath quadrature (30
    digits) of Theta^1(1) E[phi'(u)^2] = 2 E[sech^4(sqrt(2) Z)]; tolerance 1e-14, the float
    sum's rounding (the fixed series measured 2e-16 here)."""
    with mp.workdps(30):
        ref = 2 * mp.quad(lambda z: mp.sech(mp.sqrt(2) * z) ** 4 * mp.npdf(z), [-mp.inf, 0, mp.inf])
    got = gdo.kernel("tanh", 3, 1.0, train="hidden", init="gaussian", depth=1, weight_var=2.0)
    assert abs(float(got) / float(ref) - 1) < 1e-14, (float(got), float(ref))
    # weight_var 4 (a = 2): the derivative energy's own Gauss-Hermite rule, sized for
    # softplus' strip, was 1.3e-11 low there and the kernel 1.0e-11 short without a warning
    for w in (3.0, 4.0):
        with mp.workdps(30):
            ref = w * mp.quad(
                lambda z, w=w: mp.sech(mp.sqrt(w) * z) ** 4 * mp.npdf(z), [-mp.inf, 0, mp.inf]
            )
        got = gdo.kernel("tanh", 3, 1.0, train="hidden", init="gaussian", weight_var=w)
        assert abs(float(got) / float(ref) - 1) < 1e-14, (w, float(got), float(ref))


def test_derivative_series_cap_warns():
    """A derivative series still short at its cap is reported, not returned silently."""
    from gd_operator import SeriesTruncationWarning
    from gd_operator._hermite import hermite_series_for_kernels

    gate = resolve("tanh")
    with pytest.warns(SeriesTruncationWarning, match="derivative kernel"):
        hermite_series_for_kernels(gate, math.sqrt(2.0), True, jcap=200)
    # the default cap: converged at 326-402 terms (the energy alone stopped at 201)
    log_h2, _ = hermite_series_for_kernels(gate, math.sqrt(2.0), True)
    assert log_h2.size > 300


def test_silu_refuses_scales_where_its_coefficients_cancel():
    """Was 'energy deficit nan' with leaked RuntimeWarnings (silu at |a| >= ~80, reached in deep
    layers with a large weight_var): 1 - r of the coefficients' difference rounds to 0."""
    from gd_operator._hermite import _gauss_hermite
    from gd_operator._hermite_tanh import log_h2_silu

    with pytest.raises(ValueError, match="silu at scale"):
        log_h2_silu(100.0, 50, _gauss_hermite)


def test_deep_rule_based_gates_report_their_noisy_degrees():
    """Deep spectra of a gate with a fixed shift use Gauss-Hermite coefficients and a fixed
    series length; the degrees whose estimated error (the spectra with every |h_j| moved by
    its rounding bound, and the series' tail share) passes 1e-9 are named.  Reference: the
    same spectrum at kmax = 300 (a longer series and another rule size: an independent
    sample of both errors).  No degree before the named one may differ from it by more than
    1e-9; kmax = 8 gives no warning (measured: first named k = 21 at kmax = 40, where the
    spectra first differ by 1e-9 at k = 30)."""
    import warnings

    from gd_operator import CoefficientNoiseWarning

    gate = get_activation("tanh", bias=0.3)
    with pytest.warns(CoefficientNoiseWarning, match="first k = 33"):  # its own high degrees
        ref = gdo.spectrum(gate, 3, 300, train="both", init="gaussian", depth=2)
    with pytest.warns(CoefficientNoiseWarning, match="deep spectrum") as rec:
        got = gdo.spectrum(gate, 3, 40, train="both", init="gaussian", depth=2)
    first = int(re.search(r"first k = (\d+)", str(rec[0].message)).group(1))
    rel = np.abs(got - ref[:41]) / np.abs(ref[:41])
    assert 5 <= first <= 40 and np.all(rel[:first] <= 1e-9), (first, rel[:first].max())
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoefficientNoiseWarning)
        gdo.spectrum(gate, 3, 8, train="both", init="gaussian", depth=2)
        gdo.spectrum("tanh", 3, 100, train="both", init="gaussian", depth=3)


@pytest.mark.parametrize(("act", "depth"), [("relu", 3), ("tanh", 2), ("gelu", 2)])
def test_circle_spectrum_to_degree_1000_matches_fft_of_kernel_values(act, depth):
    """k <= 1000 at n = 2, the issue's top degree.  Reference: on the circle P_{k,2}(cos t) =
    cos(k t) and N(2, k) = 2, so mu_k = mean_j K(cos t_j) cos(k t_j) over N equispaced t_j up
    to aliasing sum_{m != 0} mu_{|k + m N|} -- an FFT of kernel values from the closed dual
    compositions (deep_kernel_values), which share no code with the series route.  ReLU's
    mu_k decay like k^-2 on the circle, so the aliasing is ~2 mu_N ~ 2 (k / N)^2 mu_k (measured
    up to 3.3 (k / N)^2; bound 10 (k + 1)^2 / N^2).  tanh and gelu are smooth: their mu_k fall
    below the FFT's rounding (~1e-16 of mu_max) by k ~ 20, so they are checked in absolute
    terms over every k <= 1000 (measured 4e-16 of mu_max; bound 1e-14), the zeros included."""
    N = 2**20
    t = 2 * np.pi * np.arange(N) / N
    values = gdo.kernel(act, 2, np.cos(t), train="both", init="gaussian", depth=depth)
    ref = np.fft.rfft(values).real[:1001] / N
    sign, log_abs = gdo.spectrum(act, 2, 1000, train="both", init="gaussian", depth=depth, log=True)
    mu = sign * np.exp(log_abs)
    k = np.arange(1001)
    if act == "relu":
        assert np.all(sign > 0)
        np.testing.assert_array_less(np.abs(ref / mu - 1), 10 * (k + 1.0) ** 2 / N**2 + 1e-12)
    else:
        np.testing.assert_array_less(np.abs(ref - mu), 1e-14 * mu.max())


@pytest.mark.parametrize("fn, name", [(np.tanh, "tanh"), (np.sin, "sin")])
@pytest.mark.parametrize("train", ["output", "hidden", "both"])
def test_deep_callable_matches_registered_gate_before_its_noise_warning(fn, name, train):
    """Reference: the registered tanh / sin, whose exact Hermite coefficients (Fourier
    integrals / closed form) are tested against the mpmath tables; the callable's come from a
    float Gauss-Hermite rule (~1e-16 sqrt(E[g^2]) absolute each).  Contract: no degree before
    the one the CoefficientNoiseWarning names is off by more than 1e-9 (measured <= 8e-11),
    parity zeros are exact (detected on the rule's nodes) and agree.  Depth 1 with a hidden
    train or a bias takes the same Hermite engine (Price's theorem: no derivative needed)."""
    import warnings

    for n, depth, bias in ((3, 1, None), (3, 1, 0.3), (100, 1, 0.3), (3, 2, None), (100, 5, 0.1)):
        if depth == 1 and bias is None and train == "output":
            continue  # the radial route (harmonics' quadrature), tested in test_gd_spectrum
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = gdo.spectrum(fn, n, 80, depth=depth, train=train, init="gaussian", bias=bias)
        named = [re.search(r"first k = (\d+)", str(w.message)) for w in caught]
        named = [int(m.group(1)) for m in named if m]
        assert named, "a rule-based deep spectrum to k = 80 must report its noisy degrees"
        ref = gdo.spectrum(name, n, 80, depth=depth, train=train, init="gaussian", bias=bias)
        np.testing.assert_array_equal(got == 0, ref == 0)
        k = named[0]
        assert k >= 12, (n, depth, bias, k)  # measured 14-59: the floor is not reached early
        live = ref[:k] > 0
        rel = np.abs(got[:k][live] / ref[:k][live] - 1)
        assert rel.max() <= 1e-9, (n, depth, bias, rel.max())


def test_deep_callable_kernel_values_and_kinked_callable_refused():
    """Kernel values of a callable (depth 3, NTK) against the registered tanh's to 1e-12 (the
    values sum the Hermite energies, where rule noise is ~1e-15 relative); a kinked callable's
    Hermite series converges too slowly and is refused with a message naming the cause."""
    rho = np.linspace(-1, 1, 41)
    for depth, train, bias in ((3, "both", None), (1, "hidden", None), (1, "both", 0.3)):
        got = gdo.kernel(np.tanh, 3, rho, depth=depth, train=train, init="gaussian", bias=bias)
        ref = gdo.kernel("tanh", 3, rho, depth=depth, train=train, init="gaussian", bias=bias)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    relu = lambda t: np.maximum(t, 0.0)  # noqa: E731
    with pytest.raises(ValueError, match="callable"):
        gdo.spectrum(relu, 3, 10, depth=2, init="gaussian")
    with pytest.raises(ValueError, match="callable"):
        gdo.spectrum(relu, 3, 10, train="hidden", init="gaussian")
    # init='sphere' hidden-layer kernels need the derivative itself: refused, naming the way out
    for call in (gdo.spectrum, gdo.kernel):
        with pytest.raises(ValueError, match="init='gaussian'"):
            call(np.tanh, 3, 0.5 if call is gdo.kernel else 4, train="both", init="sphere")


def test_moment_tail_matches_the_direct_sum_of_exact_moments():
    """Reference: the sum over p of log_moment_table's exact moments E[t^p P_k] (Rodrigues,
    itself tested against mpmath) times (p / P)^-gamma, to 200 P (the rest is < 1e-12 of it
    for these exponents).  Within [0.99, 1.05] of it (measured 0.9991-1.024: the integral
    starts at p = P, the sum at P + 1 or P + 2; the log-linear rule is exact for power laws)."""
    from gd_operator._hermite import log_moment_table
    from gd_operator.deep import _moment_tail

    n, kmax, P = 10, 20, 400
    gamma = np.array([0.5, 2.0, 6.0])
    table = log_moment_table(n, kmax, 200 * P)[:, P + 1 :]
    p = np.arange(P + 1, 200 * P + 1)
    direct = np.exp(table[:, :, None] - gamma[None, None, :] * np.log(p / P)[None, :, None])
    direct = direct.sum(axis=1)
    got = _moment_tail(n, kmax, P, np.zeros(kmax + 1), gamma)
    ratio = got / direct
    assert np.all((ratio >= 0.99) & (ratio <= 1.05)), ratio


@pytest.mark.parametrize("n, depth", [(5, 2), (10, 5), (10, 2)])
def test_piecewise_error_estimate_is_sharp_and_not_optimistic(n, depth):
    """The per-degree error estimate of the relu piecewise route at the default P = 3000,
    against the true error (a P = 12000 pass as reference, itself ~1e-14).  It must stay below
    the retry threshold where the spectrum is already accurate (it once said 1.4e-12 at n = 10,
    k ~ 200 for a true 5.7e-14, costing a second pass), and never under-report a true error
    above 1e-13 by more than 10x."""
    from gd_operator.deep import _RETRY_ERR, _dual, _piecewise_pass

    dual = _dual(resolve("relu"))
    log1, _, err = _piecewise_pass(dual, n, 200, depth, 1.0, 0.0, "both")
    ref = _piecewise_pass(dual, n, 200, depth, 1.0, 0.0, "both", P=12000)[0]
    live = np.isfinite(ref)
    true = np.abs(log1 - ref)[live]
    est = err[live]
    assert est.max() < _RETRY_ERR, est.max()
    big = true > 1e-13
    assert np.all(est[big] >= true[big] / 10), (true[big], est[big])


def test_piecewise_route_warns_when_its_estimate_stays_high():
    """Past the tested range the piecewise route's error estimate can stay above its claim after
    both retries (abs at n = 2, depth 10, bias 0.1: ~1e-10 at k = 1): a SeriesTruncationWarning
    names the degrees instead of a silent return.  Inside the tested range (relu, n = 10,
    depth 5) nothing is said."""
    import warnings

    with pytest.warns(gdo.SeriesTruncationWarning, match="piecewise route"):
        gdo.spectrum("abs", 2, 40, depth=10, init="gaussian", bias=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdo.spectrum("relu", 10, 200, depth=5, train="both", init="gaussian")
