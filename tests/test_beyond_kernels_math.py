"""Hermite energies of Gaussian targets and the kernel floors (gd_operator.gaussian, .floors).

References: mpmath quadrature at 30 digits (Hermite coefficients, a stored table), closed
forms of the Hermite energies of |t| and relu (Gaussian integration by parts, written here
independently with exact
factorials), Monte Carlo with a 5-sigma band (ridge-sum norms), and the Gegenbauer energies of
|t| from harmonics at large n (they converge to the Hermite ones at rate O(k^2 / n)).
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pytest

import gd_operator as gdo
from harmonics import dim_harmonics, funk_hecke_eigenvalues, get_activation


def _double_factorial(k: int) -> int:
    return 1 if k <= 0 else k * _double_factorial(k - 2)


def _abs_h2(j: int) -> float:
    """Closed form: E[|z| He_j] = 2 phi(0) He_{j-2}(0), He_{2i}(0) = (-1)^i (2i-1)!!."""
    if j == 0:
        return 2 / math.pi
    if j % 2:
        return 0.0
    return (2 / math.pi) * _double_factorial(j - 3) ** 2 / math.factorial(j)


_REF = json.loads(
    (pathlib.Path(__file__).parent / "reference" / "hermite_coefficients.json").read_text()
)


@pytest.mark.parametrize("case", _REF["cases"], ids=lambda c: f"{c['name']}-{c['scale']}")
def test_hermite_coefficients_match_mpmath(case):
    # 30-digit mpmath quadrature split at the kink (tests/reference/make_hermite_coefficients.py);
    # tolerance 1e-13: float64 recurrences and the 2 jmax + 200 node Gauss-Hermite rule for the
    # smooth gates (~1e-15 absolute on O(1) values, a few ulps per recurrence step).
    act = get_activation(case["name"], scale=case["scale"], bias=case["bias"])
    h = gdo.hermite_coefficients(act, len(case["h"]) - 1)
    ref = np.array([float(x) for x in case["h"]])
    np.testing.assert_allclose(h, ref, rtol=0, atol=1e-13)


def test_abs_and_relu_energies_closed_form():
    h = gdo.hermite_coefficients("abs", 40)
    ref = np.array([_abs_h2(j) for j in range(41)])
    np.testing.assert_allclose(h**2, ref, rtol=1e-13, atol=1e-300)
    # relu = (z + |z|)/2: h_1 = 1/2, the rest half of |z|'s
    hr = gdo.hermite_coefficients("relu", 40)
    ref_r = ref / 4
    ref_r[1] = 0.25
    np.testing.assert_allclose(hr**2, ref_r, rtol=1e-13, atol=1e-300)


def test_gegenbauer_energies_of_abs_converge_to_hermite():
    # |sqrt(n) t| on S^{n-1}: N(n,k) n lambda_k(abs)^2 -> h_k(abs)^2; the relative gap is
    # O(k^2/n), so the gap at n = 4000 must be ~ 1/4 of the gap at n = 1000.
    kmax = 8
    h2 = gdo.hermite_coefficients("abs", kmax) ** 2
    gaps = []
    for n in (1000, 4000):
        lam = funk_hecke_eigenvalues("abs", n, kmax)
        sph = np.array([dim_harmonics(n, k) * n * lam[k] ** 2 for k in range(kmax + 1)])
        even = slice(0, kmax + 1, 2)
        gaps.append(np.max(np.abs(sph[even] / h2[even] - 1)))
    assert gaps[1] < 0.02
    assert 3.0 < gaps[0] / gaps[1] < 5.0


def test_ridge_sum_energies_sum_to_norm_and_match_monte_carlo():
    # Mehler energies of a tanh ridge sum with correlated directions: their sum matches the
    # exact norm (series to 400) and a 4e5-point Monte Carlo mean of f^2 within 5 sigma.
    rng = np.random.default_rng(3)
    W = rng.standard_normal((3, 6)) * np.array([[0.2], [0.3], [0.4]])
    f = gdo.gaussian_ridge_sum("tanh", W, [1.0, -0.7, 0.4])
    e = f.hermite_energies(120)
    norm = f.norm_squared()
    assert abs(e.sum() - norm) < 1e-6 * norm
    X = rng.standard_normal((400_000, 6))
    v = f(X) ** 2
    assert abs(v.mean() - norm) < 5 * v.std() / math.sqrt(v.size)


def test_lmz_energies_and_floor_closed_form():
    d = 12
    f = gdo.lmz_target(d, rng=0)
    e = f.hermite_energies(8)
    ref = np.array([_abs_h2(j) / d for j in range(9)])
    ref[0] = 2 / math.pi
    np.testing.assert_allclose(e, ref, rtol=1e-12, atol=1e-15)
    assert abs(f.norm_squared() - (2 / math.pi + (1 - 2 / math.pi) / d)) < 1e-14
    P = [d**0.5, d**1.5, d**2.5, d**4.2]
    r = gdo.kernel_floor(f, P, kernels=())
    assert list(r.level) == [0, 1, 2, 4]
    tail = lambda l: (1 - 2 / math.pi - sum(_abs_h2(j) for j in range(1, l + 1))) / d  # noqa
    np.testing.assert_allclose(r.floor, [tail(0), tail(1), tail(2), tail(4)], rtol=1e-10)


def test_floor_bounds_kernel_predictions_at_large_n():
    # In the polynomial regime the learning-curve error of NTK/NNGP at P = n^{l + 1/2} is at
    # least the floor up to the partially learned degree l + 1 (their difference is the
    # theory's o(1)), and both sit far above 0 while the target still has energy above l.
    f = gdo.staircase_target(30, 3, rng=1)
    P = [30**1.5, 30**2.5]
    r = gdo.kernel_floor(f, P)
    np.testing.assert_allclose(r.floor, [2.0, 1.0], rtol=1e-12)
    for name in ("ntk", "nngp"):
        pred = r.predicted[name]
        assert np.all(pred > r.floor - 1.0 + 1e-3)  # degree l+1 can be at most learned fully
        assert np.all(pred > 0.5)


def test_sphere_ridge_sum_floor():
    from harmonics import RidgeSum

    g = RidgeSum("relu", np.eye(5)[:2])
    r = gdo.kernel_floor(g, [4, 30], kernels=("nngp",))
    e = g.energies(r.kmax)
    assert r.domain == "sphere"
    np.testing.assert_allclose(r.floor[0], r.norm_squared - e[:1].sum(), rtol=1e-12)
    np.testing.assert_allclose(r.floor[1], r.norm_squared - e[:3].sum(), rtol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        gdo.single_index_target(10, 0)
    with pytest.raises(ValueError, match="d must be an integer >= 2"):
        gdo.single_index_target(1, 2)
    with pytest.raises(ValueError, match="does not match the target's dimension"):
        gdo.kernel_floor(gdo.single_index_target(8, 2, rng=0), [100], n=9)
    with pytest.raises(ValueError, match=r"X must have shape \[N, d\] with d = 8"):
        gdo.single_index_target(8, 2, rng=0)(np.zeros((3, 7)))
    with pytest.raises(ValueError, match="orthonormal"):
        gdo.hermite_polynomial_target([[1.0, 1.0]], [[1]], [1.0])
    with pytest.raises(ValueError, match="jmax"):
        gdo.hermite_coefficients("relu", -1)
    with pytest.raises(TypeError, match="profile"):
        gdo.hermite_coefficients(3.0, 4)
    with pytest.raises(ValueError, match="kernels"):
        gdo.kernel_floor(gdo.single_index_target(8, 2, rng=0), [100], kernels=("rbf",))
    with pytest.raises(ValueError, match="samples"):
        gdo.kernel_floor(gdo.single_index_target(8, 2, rng=0), [0.5])
