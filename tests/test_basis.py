"""Orthonormal bases of H_k (harmonics.basis.SphericalHarmonics): identities and references.

References used (each independent of the basis code):
* the addition theorem sum_j Y_j(x) Y_j(y) = N(n,k) P_{k,n}(<x,y>) with P_{k,n} from
  harmonics.legendre (normalized recurrence, separately tested against mpmath);
* the product Gauss rule (harmonics._quadrature_sphere), itself checked here against the exact
  sphere moments E[x^(2b)] = Gamma(n/2) prod Gamma(b_i + 1/2) / (pi^{n/2}... ) (formula below);
* harmonicity: exact central differences (exact for cubics) and the mean-value property
  under an exact rule, each with a non-harmonic negative control;
* scipy.special.sph_harm_y for n = 3, and cos/sin for n = 2.

Tolerances: basis values are O(sqrt(N)) and every value is a product of <= n + k rounded
factors, so sums of N products carry errors ~ (n + k) eps N; we test 1e-12 * N (the brief's
bound), which holds with a margin of 10-100 for every case below.
"""

import itertools
import math

import numpy as np
import pytest
import scipy.special as sp

from harmonics import dim_harmonics, legendre
from harmonics._quadrature_sphere import product_rule
from harmonics.basis import BasisTooLargeError, SphericalHarmonics
from harmonics.sampling import sample_sphere

EPS = np.finfo(float).eps

CASES = [
    (2, 0), (2, 1), (2, 7), (2, 200),
    (3, 0), (3, 1), (3, 2), (3, 5), (3, 40), (3, 300),
    (4, 1), (4, 3), (4, 20), (4, 60),
    (5, 6), (7, 2), (7, 5), (10, 4), (20, 3),
    (50, 1), (50, 2), (50, 3),
    (200, 1), (200, 2),
]  # fmt: skip


def _input_error(k, n, t):
    """N-relative error of the reference caused by rounding t = <x,y> (~ n eps):
    |P'_{k,n}(t)| n eps, with P'_{k,n} = k (k+n-2)/(n-1) P_{k-1,n+2} (derivative identity).
    It matters only for large k (e.g. 1e-11 at n = 2, k = 200, where P' ~ k^2 near +-1)."""
    if k == 0:
        return np.zeros_like(t)
    return np.abs(k * (k + n - 2) / (n - 1) * legendre(n + 2, k - 1, t)) * (n + 2) * EPS


@pytest.mark.parametrize("n,k", CASES)
def test_addition_theorem(n, k):
    # Reference: N(n,k) P_{k,n}(<x,y>) from harmonics.legendre; tolerance 1e-12 N(n,k) plus the
    # reference's own sensitivity to the rounding of <x,y> (see _input_error).
    Y = SphericalHarmonics(n, k)
    X = sample_sphere(12, n, rng=1000 * n + k)
    Z = sample_sphere(12, n, rng=7 + 1000 * n + k)
    A, B = Y(X), Y(Z)
    assert A.shape == (12, Y.dim) and Y.dim == dim_harmonics(n, k)
    assert np.all(np.isfinite(A))
    t = np.clip(X @ Z.T, -1, 1)
    ref = Y.dim * legendre(n, k, t)
    assert np.all(np.abs(A @ B.T - ref) <= Y.dim * (1e-12 + _input_error(k, n, t)))
    # x = y: sum_j Y_j(x)^2 = N(n,k) exactly (P_{k,n}(1) = 1)
    assert np.max(np.abs(np.sum(A * A, axis=1) - Y.dim)) <= 1e-12 * Y.dim


@pytest.mark.parametrize("n,k", [(300, 2), (500, 1), (500, 2), (1000, 1)])
def test_large_dimension_no_nan(n, k):
    # Existing packages return NaN at n >= 200; here every value is finite and the addition
    # theorem (reference: harmonics.legendre) holds to 1e-12 N(n,k).
    Y = SphericalHarmonics(n, k)
    X = sample_sphere(3, n, rng=n)
    Z = sample_sphere(3, n, rng=n + 1)
    A, B = Y(X), Y(Z)
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(B))
    ref = Y.dim * legendre(n, k, np.clip(X @ Z.T, -1, 1))
    assert np.max(np.abs(A @ B.T - ref)) <= 1e-12 * Y.dim
    assert np.max(np.abs(np.sum(A * A, axis=1) - Y.dim)) <= 1e-12 * Y.dim


def test_degenerate_points():
    # Points where hyperspherical coordinates are singular (r_d = 0 for small d): coordinate
    # axes, and vectors with several zero leading coordinates.  Reference: addition theorem.
    n, k = 6, 4
    Y = SphericalHarmonics(n, k)
    P = np.vstack([np.eye(n), -np.eye(n), [[0, 0, 0, 0.6, 0, 0.8], [0, 0, 1e-300, 0, 0, 1.0]]])
    P = P / np.linalg.norm(P, axis=1, keepdims=True)
    A = Y(P)
    assert np.all(np.isfinite(A))
    ref = Y.dim * legendre(n, k, np.clip(P @ P.T, -1, 1))
    assert np.max(np.abs(A @ A.T - ref)) <= 1e-12 * Y.dim


def _sphere_moment(beta):
    """E[prod x_i^{beta_i}] on S^{n-1} (probability measure): 0 if some beta_i is odd, else
    Gamma(n/2) prod Gamma((beta_i+1)/2) / (Gamma(1/2)^n Gamma((n + |beta|)/2))  (Folland 2001)."""
    if any(b % 2 for b in beta):
        return 0.0
    n, s = len(beta), sum(beta)
    log = math.lgamma(n / 2) - math.lgamma((n + s) / 2)
    log += sum(math.lgamma((b + 1) / 2) - math.lgamma(0.5) for b in beta)
    return math.exp(log)


@pytest.mark.parametrize("n,degree", [(2, 9), (3, 8), (4, 6), (5, 5)])
def test_product_rule_exact_moments(n, degree):
    # Reference: closed-form sphere moments (Folland 2001, "How to integrate a polynomial over a
    # sphere"); the rule must be exact (1e-14 absolute: moments are <= 1) for every monomial of
    # degree <= `degree`.
    X, w = product_rule(n, degree)
    assert abs(w.sum() - 1) < 1e-14 and np.all(w > 0)
    assert np.allclose(np.linalg.norm(X, axis=1), 1, atol=4 * EPS, rtol=0)
    for beta in itertools.product(range(degree + 1), repeat=n):
        if sum(beta) > degree:
            continue
        got = float(w @ np.prod(X ** np.array(beta), axis=1))
        assert abs(got - _sphere_moment(beta)) < 1e-14, beta


@pytest.mark.parametrize("n,k", [(2, 5), (3, 0), (3, 4), (3, 10), (4, 5), (5, 3), (6, 3), (7, 2)])
def test_gram_matrix_is_identity(n, k):
    # Reference: the product rule exact for degree 2k (tested above) integrates Y_i Y_j exactly,
    # so sum_p w_p Y(x_p) Y(x_p)^T must be the identity.  Entries are sums of O(N) terms of
    # size <= N(n,k) w: tolerance 1e-13 (observed <= 4e-15).
    X, w = product_rule(n, 2 * k)
    A = SphericalHarmonics(n, k)(X)
    G = (A * w[:, None]).T @ A
    assert np.max(np.abs(G - np.eye(G.shape[0]))) < 1e-13


def test_different_degrees_are_orthogonal():
    # Reference: exact product rule of degree j + k: E[Y_j Y_k^T] = 0 for j != k.
    n = 4
    X, w = product_rule(n, 9)
    A = SphericalHarmonics(n, 4)(X)
    B = SphericalHarmonics(n, 5)(X)
    assert np.max(np.abs((A * w[:, None]).T @ B)) < 1e-13


def _homogeneous(Y, P):
    """|x|^k Y(x/|x|), the homogeneous polynomial extension of Y (rows of P are any nonzero x)."""
    r = np.linalg.norm(P, axis=1)
    return Y(P, normalize=True) * (r**Y.k)[:, None]


@pytest.mark.parametrize("n,k", [(3, 2), (3, 3), (4, 3), (5, 2), (6, 3)])
def test_harmonic_by_exact_central_differences(n, k):
    # The second central difference is exact for polynomials of degree <= 3, so for k <= 3 the
    # finite-difference Laplacian of the homogeneous extension is the true Laplacian up to
    # rounding: |error| <= ~ 2 n * 4 eps max|F| / h^2 with h = 0.05, i.e. < 1e-11 * max|F|.
    # A nonzero Laplacian of a degree-k polynomial is O(1) on the unit ball (negative control).
    Y = SphericalHarmonics(n, k)
    x0 = sample_sphere(4, n, rng=3) * 0.9
    h = 0.05
    F0 = _homogeneous(Y, x0)
    lap = -2 * n * F0
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        lap += _homogeneous(Y, x0 + e) + _homogeneous(Y, x0 - e)
    lap /= h * h
    scale = math.sqrt(Y.dim)
    assert np.max(np.abs(lap)) < 1e-9 * scale
    # negative control: x_1^2 x_2 (not harmonic, Laplacian 2 x_2) is detected by the same stencil
    g = lambda P: P[:, 0] ** 2 * P[:, 1]  # noqa: E731
    lap_g = -2 * n * g(x0) + sum(
        g(x0 + h * np.eye(n)[i]) + g(x0 - h * np.eye(n)[i]) for i in range(n)
    )
    assert np.allclose(lap_g / h**2, 2 * x0[:, 1], atol=1e-10)


@pytest.mark.parametrize("n,k", [(3, 6), (4, 5), (5, 4)])
def test_harmonic_by_mean_value_property(n, k):
    # F harmonic <=> F(c) = E_{y~sigma}[F(c + rho y)] for all balls; for a polynomial of degree k
    # the average is computed exactly by the product rule of degree k.  For a non-harmonic F the
    # difference is rho^2 Delta F(c) / (2n) + O(rho^4), large at rho = 0.5 (negative control).
    Y = SphericalHarmonics(n, k)
    X, w = product_rule(n, k)
    c = sample_sphere(3, n, rng=11) * 0.4
    rho = 0.5
    for ci in c:
        avg = w @ _homogeneous(Y, ci[None, :] + rho * X)
        assert np.max(np.abs(avg - _homogeneous(Y, ci[None, :])[0])) < 1e-12 * math.sqrt(Y.dim)
    # negative control: |x|^2 (Laplacian 2n) has sphere average |c|^2 + rho^2, off by rho^2
    g = lambda P: np.sum(P * P, axis=1)  # noqa: E731
    assert abs(w @ g(c[0][None, :] + rho * X) - g(c[0][None, :])[0] - rho**2) < 1e-14


def test_zonal_column_and_degree_one():
    # Column 0 is the zonal harmonic sqrt(N) P_{k,n}(x_n) (reference: harmonics.legendre);
    # for k = 1 the columns are sqrt(n) (x_n, x_{n-1}, ..., x_3, x_1, x_2) exactly.
    for n, k in [(3, 4), (5, 3), (9, 2), (30, 2)]:
        X = sample_sphere(20, n, rng=n)
        Y = SphericalHarmonics(n, k)
        ref = math.sqrt(Y.dim) * legendre(n, k, X[:, -1])
        assert np.max(np.abs(Y(X)[:, 0] - ref)) < 1e-13 * math.sqrt(Y.dim)
    for n in [2, 3, 4, 8]:
        X = sample_sphere(10, n, rng=n)
        perm = list(range(n - 1, 1, -1)) + [0, 1]
        assert np.max(np.abs(SphericalHarmonics(n, 1)(X) - math.sqrt(n) * X[:, perm])) < 1e-14


@pytest.mark.parametrize("k", [0, 1, 2, 5, 30])
def test_circle_is_fourier(k):
    # n = 2: the basis is 1 (k = 0) or sqrt2 cos k theta, sqrt2 sin k theta (numpy cos/sin).
    th = np.linspace(0, 2 * np.pi, 50)
    X = np.stack([np.cos(th), np.sin(th)], axis=1)
    A = SphericalHarmonics(2, k)(X)
    if k == 0:
        assert np.array_equal(A, np.ones((50, 1)))
    else:
        ref = np.sqrt(2) * np.stack([np.cos(k * th), np.sin(k * th)], axis=1)
        assert np.max(np.abs(A - ref)) < 1e-13 * max(1, k)


@pytest.mark.parametrize("l", [0, 1, 2, 3, 8, 25])
def test_n3_matches_scipy_real_harmonics(l):
    # Reference: scipy.special.sph_harm_y(l, m, polar, azimuth), complex, orthonormal for the
    # area measure (total 4 pi) and with the Condon-Shortley phase.  Our basis is orthonormal
    # for the probability measure, so Y_ours = +-sqrt(4 pi) * {Y_l^0, sqrt2 Re Y_l^m,
    # sqrt2 Im Y_l^m}: signature (l, 0) <-> m = 0, (l, +m) <-> sqrt2 Re, (l, -m) <-> sqrt2 Im.
    # Signs may differ per column (Condon-Shortley); tolerance 1e-12 sqrt(N) (scipy's own
    # accuracy at l = 25 is ~1e-14 relative).
    X = sample_sphere(40, 3, rng=l)
    polar = np.arccos(np.clip(X[:, 2], -1, 1))
    azim = np.arctan2(X[:, 1], X[:, 0])
    Y = SphericalHarmonics(3, l)
    A = Y(X)
    for j in range(Y.dim):
        _, m1 = Y.signature(j)
        c = sp.sph_harm_y(l, abs(m1), polar, azim) * math.sqrt(4 * math.pi)
        ref = c.real if m1 == 0 else math.sqrt(2) * (c.real if m1 > 0 else c.imag)
        sign = np.sign(ref @ A[:, j])
        assert np.max(np.abs(A[:, j] - sign * ref)) < 1e-12 * math.sqrt(Y.dim)


@pytest.mark.parametrize("n,k", [(2, 0), (2, 3), (3, 0), (3, 3), (4, 3), (5, 4), (6, 2), (8, 3)])
def test_signatures(n, k):
    # Each column has a distinct valid Gelfand-Tsetlin signature; signature/index are inverse;
    # signatures() lists them in column order.  Reference: the count N(n,k) (exact ints).
    Y = SphericalHarmonics(n, k)
    sigs = list(Y.signatures())
    assert len(sigs) == len(set(sigs)) == dim_harmonics(n, k)
    for j, s in enumerate(sigs):
        assert Y.signature(j) == s and Y.index(s) == j
        assert len(s) == n - 1
        if n > 2:
            assert s[0] == k and s[-2] >= abs(s[-1])
            assert all(s[i] >= s[i + 1] for i in range(n - 3))
        else:
            assert abs(s[0]) == k
    if n == 3:
        assert sigs[:3] == [(k, 0), (k, 1), (k, -1)][: len(sigs)]


def test_signature_describes_the_function():
    # The signature says which factors appear: (k, 0, ..., 0) depends on x_n only, and a basis
    # function with m_{d-1} = 0 does not depend on x_1..x_{d-1} (checked by perturbation).
    n, k = 5, 3
    Y = SphericalHarmonics(n, k)
    X = sample_sphere(6, n, rng=2)
    Xr = X.copy()
    Xr[:, :2] = Xr[:, [1, 0]]  # swap x_1, x_2: same r_2, different angle
    A, B = Y(X), Y(Xr)
    for j, s in enumerate(Y.signatures()):
        if s[-2] == 0:  # m_2 = 0: no dependence on the angle in the (x_1, x_2) plane
            assert np.allclose(A[:, j], B[:, j], atol=1e-13)


def test_normalize_and_scale_invariance():
    n, k = 4, 3
    Y = SphericalHarmonics(n, k)
    X = sample_sphere(5, n, rng=0)
    assert np.allclose(Y(3.0 * X, normalize=True), Y(X), atol=1e-13, rtol=0)
    assert np.allclose(Y(1e200 * X, normalize=True), Y(X), atol=1e-13, rtol=0)
    assert np.allclose(Y(1e-200 * X, normalize=True), Y(X), atol=1e-13, rtol=0)
    # points within 1e-8 of the sphere are accepted and treated as x/|x|
    assert np.allclose(Y(X * (1 + 5e-9)), Y(X), atol=1e-13, rtol=0)
    one = Y(X[0])
    assert one.shape == (Y.dim,) and np.allclose(one, Y(X)[0], atol=0, rtol=0)
    assert Y(np.empty((0, n))).shape == (0, Y.dim)


def test_result_layout_and_repr():
    Y = SphericalHarmonics(7, 3)
    A = Y(sample_sphere(4, 7, rng=0))
    assert A.shape == (4, Y.dim) and A.dtype == np.float64
    assert repr(Y) == f"SphericalHarmonics(n=7, k=3, dim={Y.dim})"
    assert (Y.n, Y.k, Y.dim) == (7, 3, dim_harmonics(7, 3))


# ------------------------------------------------------------------------------ bad input


def test_bad_parameters():
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        SphericalHarmonics(1, 2)
    with pytest.raises(ValueError, match="k must be an integer >= 0"):
        SphericalHarmonics(3, -1)
    with pytest.raises(TypeError, match="k must be an integer"):
        SphericalHarmonics(3, 1.5)
    with pytest.raises(TypeError, match="n must be an integer"):
        SphericalHarmonics("3", 1)


def test_bad_points():
    Y = SphericalHarmonics(3, 2)
    with pytest.raises(ValueError, match=r"shape \[N, 3\]"):
        Y(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"shape \[N, 3\]"):
        Y(np.ones((2, 3, 1)))
    with pytest.raises(ValueError, match="unit vectors"):
        Y(np.array([[1.0, 1.0, 0.0]]))
    with pytest.raises(ValueError, match="unit vectors"):
        Y(np.array([[1.0 + 2e-8, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="finite"):
        Y(np.array([[np.nan, 0.0, 1.0]]))
    with pytest.raises(ValueError, match="zero vector"):
        Y(np.zeros((1, 3)), normalize=True)
    with pytest.raises(TypeError, match="real array"):
        Y([["a", "b", "c"]])


def test_memory_cap_raises_before_allocating():
    # N(1000, 10) ~ 2.6e23 functions: must raise at once, naming the size, as MemoryError and as
    # ValueError; a modest request above a small max_bytes too.
    Y = SphericalHarmonics(1000, 10)
    assert Y.dim == dim_harmonics(1000, 10)
    with pytest.raises(BasisTooLargeError, match="N\\(n,k\\) = 2"):
        Y(np.eye(1000)[:1])
    with pytest.raises(MemoryError, match="bytes"):
        Y(np.eye(1000)[:1])
    Y2 = SphericalHarmonics(50, 3)  # 22050 functions * 100 points * 8 bytes = 17.6 MB
    with pytest.raises(ValueError, match="max_bytes=1,000,000"):
        Y2(sample_sphere(100, 50, rng=0), max_bytes=1_000_000)
    assert Y2(sample_sphere(2, 50, rng=0), max_bytes=1_000_000).shape == (2, 22050)


def test_bad_signature():
    Y = SphericalHarmonics(4, 3)
    with pytest.raises(ValueError, match="j must be an integer in"):
        Y.signature(Y.dim)
    with pytest.raises(ValueError, match="k = m_3 >= "):
        Y.index((3, 1, 2))
    with pytest.raises(ValueError, match="tuple of 3 integers"):
        Y.index((3, 1))
