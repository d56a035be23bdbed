"""project(), RidgeSum and sample_sphere: exact identities and independent references.

References:
* closed-form sphere moments (E[x_1^2] = 1/n, E[x_1^4] = 3/(n(n+2)), E[x_1^2 x_2^2] = 1/(n(n+2)));
* arc-cosine-type kernels for unbiased homogeneous gates: with u = r^2 ~ Beta(1, (n-2)/2)
  (E[r^{2p}] = p! Gamma(n/2)/Gamma(n/2+p)) and theta = arccos rho,
  E_psi[step step] = (pi - theta)/(2 pi),
  E_psi[relu relu] = ((pi - theta) cos theta + sin theta)/(4 pi),
  E_psi[sign sign] = 1 - 2 theta/pi,
  E_psi[abs abs] = ((pi - 2 theta) cos theta + 2 sin theta)/(2 pi)
  (derived from the relu one: |c| = relu(c) + relu(-c), and -v makes the angle pi - theta);
* for biased gates, a 1-D scipy.integrate.quad over t ~ nu_n of closed-form inner expectations
  (incomplete beta function for P(s > c), (1-c^2)^{(d-1)/2}/(d-1) for E[s; s > c]);
* Funk-Hecke eigenvalues of ReLU in n = 3: 1/4, 1/6, 1/16, 0, -1/96 (docs/conventions.md,
  "Funk-Hecke eigenvalues");
* Monte Carlo results are compared with exact values through their standard errors.
"""

import json
import math

import numpy as np
import pytest
from scipy import integrate, special

from harmonics import dim_harmonics
from harmonics.activations import get_activation
from harmonics.basis import SphericalHarmonics
from harmonics.projection import (
    Projection,
    RidgeSum,
    _gram_sums,
    _ridge_kernel,
    project,
)
from harmonics.sampling import sample_sphere

# ------------------------------------------------------------------------- sample_sphere


def test_sample_sphere_shape_norm_and_seed():
    X = sample_sphere(1000, 7, rng=3)
    assert X.shape == (1000, 7)
    assert np.max(np.abs(np.linalg.norm(X, axis=1) - 1)) < 4e-16
    assert np.array_equal(X, sample_sphere(1000, 7, rng=3))
    assert np.array_equal(X, sample_sphere(1000, 7, rng=np.random.default_rng(3)))
    assert not np.array_equal(X, sample_sphere(1000, 7, rng=4))
    assert sample_sphere(0, 3, rng=0).shape == (0, 3)


def test_sample_sphere_is_uniform():
    # Moments of the uniform measure: E[x] = 0, E[x x^T] = I/n, E[x_1^4] = 3/(n(n+2)).
    # Tolerance: 5 standard errors of the sample means (sd of x_i x_j <= 1/n... bounded by 1).
    n, N = 5, 200_000
    X = sample_sphere(N, n, rng=0)
    se = 1 / math.sqrt(N)
    assert np.max(np.abs(X.mean(axis=0))) < 5 * se / math.sqrt(n)
    assert np.max(np.abs(X.T @ X / N - np.eye(n) / n)) < 5 * se / n
    assert abs(np.mean(X[:, 0] ** 4) - 3 / (n * (n + 2))) < 5 * se * 0.2


def test_sample_sphere_bad_input():
    with pytest.raises(ValueError, match="N must be an integer >= 0"):
        sample_sphere(-1, 3)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        sample_sphere(5, 1)
    with pytest.raises(TypeError, match="rng must be"):
        sample_sphere(5, 3, rng="seed")
    with pytest.raises(ValueError, match="rng must be an integer >= 0"):
        sample_sphere(5, 3, rng=-2)


# ----------------------------------------------------------------- ridge kernels (totals)


def _E_r2p(n, p):
    """E[r^{2p}] = p! Gamma(n/2) / Gamma(n/2 + p) = prod_{i<p} (i+1)/(n/2+i) (r = 1 for n = 2);
    as a product: lgamma differences would lose ~1e-13 at n = 300."""
    return 1.0 if n == 2 else math.prod((i + 1) / (n / 2 + i) for i in range(p))


ARC = {
    "step": (0, lambda th: (np.pi - th) / (2 * np.pi)),
    "relu": (1, lambda th: ((np.pi - th) * np.cos(th) + np.sin(th)) / (4 * np.pi)),
    "sign": (0, lambda th: 1 - 2 * th / np.pi),
    "abs": (1, lambda th: ((np.pi - 2 * th) * np.cos(th) + 2 * np.sin(th)) / (2 * np.pi)),
}


@pytest.mark.parametrize("name", sorted(ARC))
@pytest.mark.parametrize("n", [2, 3, 4, 7, 50, 300])
def test_ridge_kernel_unbiased_closed_forms(name, n):
    # Reference: K(rho) = E[r^{2p}] E_psi[phi(cos psi) phi(cos(psi - theta))] (closed forms in
    # the module docstring); tolerance 1e-14 relative to K(1) (Gauss-Jacobi in r^2 is exact for
    # these homogeneous gates, Gauss-Legendre on the psi-arcs is exact up to rounding).
    p, J = ARC[name]
    rho = np.array([1.0, 0.9, 0.5, 0.1, 0.0, -0.3, -0.8, -1.0])
    gate = get_activation(name)
    got = _ridge_kernel(gate, gate.kinks or (0.0,), n, rho)
    ref = _E_r2p(n, p) * J(np.arccos(rho))
    assert np.max(np.abs(got - ref)) < 1e-14 * abs(ref[0])


def _nu_pdf(t, d):
    return (
        math.exp(math.lgamma(d / 2) - math.lgamma((d - 1) / 2))
        / math.sqrt(math.pi)
        * (1 - t * t) ** ((d - 3) / 2)
    )


def _nu_sf(c, d):
    """P(s > c) for s ~ nu_d, d >= 2: (1 + s)/2 ~ Beta((d-1)/2, (d-1)/2)."""
    c = min(1.0, max(-1.0, c))
    return float(special.betainc((d - 1) / 2, (d - 1) / 2, (1 - c) / 2))


def _nu_partial_mean(c, d):
    """E[s; s > c] = c_d (1 - c^2)^{(d-1)/2} / (d - 1)."""
    c = min(1.0, max(-1.0, c))
    cd = math.exp(math.lgamma(d / 2) - math.lgamma((d - 1) / 2)) / math.sqrt(math.pi)
    return cd * (1 - c * c) ** ((d - 1) / 2) / (d - 1)


def _biased_reference(name, b, n, rho):
    """K(rho) for phi(t) = step(t + b) or relu(t + b), by quad over t ~ nu_n of the exact inner
    expectation over s ~ nu_{n-1}, with <v, x> = rho t + sqrt(1-rho^2) sqrt(1-t^2) s."""

    def inner(t):
        beta = math.sqrt(1 - rho * rho) * math.sqrt(1 - t * t)
        A = rho * t + b
        c = -A / beta
        if name == "step":
            return _nu_sf(c, n - 1)
        return A * _nu_sf(c, n - 1) + beta * _nu_partial_mean(c, n - 1)

    outer = (lambda t: inner(t)) if name == "step" else (lambda t: (t + b) * inner(t))
    val, err = integrate.quad(
        lambda t: _nu_pdf(t, n) * outer(t), -b, 1, epsabs=1e-15, epsrel=1e-13, limit=400
    )
    return val


@pytest.mark.parametrize("name", ["step", "relu"])
@pytest.mark.parametrize("n,b,rho", [(3, 0.3, 0.4), (5, -0.2, -0.6), (5, 0.3, 0.95), (8, 0.1, 0.0)])
def test_ridge_kernel_biased_against_quad(name, n, b, rho):
    # Reference: _biased_reference (scipy quad, ~1e-13); the planar rule splits at the moving
    # kinks; observed errors <= 2e-12 relative (tolerance 1e-11: biased kinks leave endpoint
    # behaviour that the cosine map removes only to finite order, so convergence is fast but
    # not spectral).
    gate = get_activation(name, bias=b)
    got = float(_ridge_kernel(gate, gate.kinks, n, np.array([rho]))[0])
    ref = _biased_reference(name, b, n, rho)
    assert abs(got - ref) < 1e-11 * abs(ref)


# -------------------------------------------------------------- the three projection paths


def _ridge(act, n, m=5, seed=3, **params):
    W = sample_sphere(m, n, rng=seed)
    a = np.array([1.0, -0.5, 2.0, 0.3, -1.2, 0.7, 1.1, -0.4])[:m]
    return RidgeSum(act, W, a, **params)


def test_ridge_sum_evaluates_its_formula():
    # Reference: the definition sum_i a_i phi(<w_i, x>) written out with numpy.
    rs = _ridge("relu", 4, bias=0.1)
    X = sample_sphere(7, 4, rng=0)
    ref = np.maximum(X @ rs.W.T + 0.1, 0) @ rs.a
    assert np.allclose(rs(X), ref, atol=1e-15, rtol=0)


@pytest.mark.parametrize("name", sorted(ARC))
@pytest.mark.parametrize("n", [3, 7, 100])
def test_exact_total_homogeneous_gates(name, n):
    # project() uses the separable form K = E[r^{2p}] J(theta) for unbiased homogeneous gates;
    # reference: the closed forms above, sum_{i,l} a_i a_l K(<w_i, w_l>); 1e-14 relative.
    p_deg, J = ARC[name]
    rs = _ridge(name, n, m=6, scale=1.7 if p_deg == 0 else 1.0)
    got = project(rs, n, 2).total
    G = np.clip(rs.W @ rs.W.T, -1, 1)
    np.fill_diagonal(G, 1.0)  # <w, w> = 1 exactly; arccos(1 - eps) ~ 1e-8 would spoil J(0)
    ref = rs.a @ (_E_r2p(n, p_deg) * J(np.arccos(G))) @ rs.a
    assert abs(got - ref) < 1e-14 * (np.abs(rs.a).sum() ** 2) * _E_r2p(n, p_deg)


def test_exact_relu_n3_against_known_eigenvalues():
    # Reference: lambda_k(relu) in n = 3 are 1/4, 1/6, 1/16, 0, -1/96 (docs/conventions.md,
    # "Funk-Hecke eigenvalues"), so
    # ||Pi_k f||^2 = (2k+1) lambda_k^2 a^T P_k(G) a with P_k classical Legendre (scipy).
    rs = _ridge("relu", 3)
    p = project(rs, 3, 4)
    lam = np.array([1 / 4, 1 / 6, 1 / 16, 0, -1 / 96])
    G = np.clip(rs.W @ rs.W.T, -1, 1)
    ref = [(2 * k + 1) * lam[k] ** 2 * rs.a @ special.eval_legendre(k, G) @ rs.a for k in range(5)]
    assert np.allclose(p.energies, ref, rtol=1e-13, atol=0)
    assert p.energies[3] == 0.0
    assert p.method == "exact" and p.energies_error is None and p.num_points == 5


@pytest.mark.parametrize("n", [2, 3, 5, 40])
def test_exact_parseval_for_polynomial_gates(n):
    # A cubic gate has no energy above degree 3: the total (planar kernel quadrature) and the
    # sum of the Funk-Hecke energies are computed independently and must agree (1e-13 relative),
    # and coefficients satisfy |c_k|^2 = energy_k (basis vs addition theorem, 1e-13 relative).
    rs = _ridge("polynomial", n, coeffs=[0.5, -1.0, 0.3, 2.0])
    p = project(rs, n, 5)
    assert np.all(p.energies[4:] == 0)
    assert abs(p.tail) < 1e-13 * p.total
    for k in range(6):
        c = p.coefficients[k]
        if dim_harmonics(n, k) > 2000:  # DEFAULT_MAX_COEFFICIENTS
            assert c is None
            continue
        assert c.shape == (dim_harmonics(n, k),)
        assert abs(c @ c - p.energies[k]) <= 1e-13 * p.total


@pytest.mark.parametrize("n", [3, 4])
def test_callable_quadrature_matches_exact_path(n):
    # The same functions through both paths: a polynomial gate (quadrature exact: degree 3 f,
    # rule degree 2*kmax + 8 >= 3 + kmax and >= 6) and a smooth sigmoid gate (spectral
    # convergence).  Coefficients are compared too (same basis).  Tolerance 1e-13 * ||f||^2.
    for act, params in [("polynomial", {"coeffs": [0.5, -1.0, 0.3, 2.0]}), ("sigmoid", {})]:
        rs = _ridge(act, n, **params)
        pe = project(rs, n, 6)
        pq = project(lambda X, rs=rs: rs(X), n, 6, degree=40)
        assert pq.method == "quadrature" and pq.degree == 40
        assert np.max(np.abs(pq.energies - pe.energies)) < 1e-13 * pe.total
        assert abs(pq.total - pe.total) < 1e-13 * pe.total
        for ce, cq in zip(pe.coefficients, pq.coefficients, strict=True):
            assert np.max(np.abs(ce - cq)) < 1e-13 * math.sqrt(pe.total)
        assert np.max(pq.energies_error) < 1e-12


def test_quadrature_polynomials_known_energies():
    # Reference: closed-form moments.  x1 x2 lies in H_2 with norm^2 1/(n(n+2));
    # x1^2 = 1/n + (x1^2 - 1/n): energy 1/n^2 in H_0 and 3/(n(n+2)) - 1/n^2 in H_2.
    for n in [2, 3, 4, 5]:
        p = project(lambda X: X[:, 0] * X[:, 1], n, 4)
        ref = np.zeros(5)
        ref[2] = 1 / (n * (n + 2))
        assert np.allclose(p.energies, ref, atol=1e-15, rtol=0)
        assert abs(p.total - ref[2]) < 1e-15 and abs(p.tail) < 1e-15
        q = project(lambda X: X[:, 0] ** 2, n, 3)
        ref = [1 / n**2, 0, 3 / (n * (n + 2)) - 1 / n**2, 0]
        assert np.allclose(q.energies, ref, atol=1e-15, rtol=0)


def test_quadrature_coefficients_are_inner_products_with_the_basis():
    # f = 2 Y_{3,j} + 0.5 Y_{1,0} has coefficient 2 at (3, j), 0.5 at (1, 0), zero elsewhere.
    n = 4
    Y3, Y1 = SphericalHarmonics(n, 3), SphericalHarmonics(n, 1)
    j = 7
    p = project(lambda X: 2 * Y3(X)[:, j] + 0.5 * Y1(X)[:, 0], n, 4)
    ref3 = np.zeros(Y3.dim)
    ref3[j] = 2
    assert np.allclose(p.coefficients[3], ref3, atol=1e-14, rtol=0)
    assert np.allclose(p.coefficients[1], [0.5, 0, 0, 0], atol=1e-14, rtol=0)
    assert np.allclose(p.energies, [0, 0.25, 0, 4, 0], atol=1e-14, rtol=0)


@pytest.mark.parametrize(
    "act,params,n",
    [
        ("relu", {}, 20),
        ("step", {"bias": 0.2}, 10),
        ("sigmoid", {"scale": 2.0}, 6),
        ("relu", {}, 200),
    ],
)
def test_montecarlo_error_bars_cover_exact(act, params, n):
    # Reference: the exact path.  Each estimate must lie within 4 standard errors (a fixed seed
    # makes this deterministic; 4 sigma keeps the chance of a spurious failure for a new seed
    # below ~1e-3 over the ~10 quantities), and the errors must be informative (se < |f|^2/4)
    # where they can be: the U-statistic's error is ~ sqrt(2 N(n,k)) |f|^2 / M, so at n = 200
    # only k <= 2 (N <= 20099) can be resolved with M = 1500 samples.
    rs = _ridge(act, n, m=4, **params)
    kmax = 5
    pe = project(rs, n, kmax)
    pm = project(rs, n, kmax, method="montecarlo", num_samples=1500, rng=11)
    assert pm.method == "montecarlo" and pm.seed == 11 and pm.num_points == 1500
    assert np.all(np.abs(pm.energies - pe.energies) <= 4 * pm.energies_stderr)
    assert abs(pm.total - pe.total) <= 4 * pm.total_stderr
    assert abs(pm.tail - pe.tail) <= 4 * pm.tail_stderr
    resolvable = [k for k in range(kmax + 1) if dim_harmonics(n, k) <= 30000]
    assert np.all(pm.energies_stderr[resolvable] < pe.total / 4)
    assert pm.total_stderr < pe.total / 4
    for k in range(kmax + 1):
        if pm.coefficients[k] is not None:
            dev = np.abs(pm.coefficients[k] - pe.coefficients[k])
            assert np.all(dev <= 5 * pm.coefficients_stderr[k] + 1e-15)


def test_montecarlo_standard_errors_are_calibrated():
    # Over 40 independent seeds the spread of the estimates must match the reported standard
    # errors: ratio of empirical sd to mean se within [0.6, 1.6] (the sd of a 40-sample sd is
    # ~11%, so this band is > 4 sigma wide) for each degree and for the tail.
    rs = _ridge("step", 5, m=3, bias=0.2)
    pe = project(rs, 5, 4)
    runs = [project(rs, 5, 4, method="montecarlo", num_samples=300, rng=s) for s in range(40)]
    E = np.array([r.energies for r in runs])
    S = np.array([r.energies_stderr for r in runs])
    ratio = E.std(axis=0, ddof=1) / S.mean(axis=0)
    assert np.all((ratio > 0.6) & (ratio < 1.6)), ratio
    T = np.array([r.tail for r in runs])
    ratio_t = T.std(ddof=1) / np.mean([r.tail_stderr for r in runs])
    assert 0.6 < ratio_t < 1.6
    # and the average is unbiased within 4 standard errors of the mean
    assert np.all(np.abs(E.mean(axis=0) - pe.energies) < 4 * S.mean(axis=0) / math.sqrt(40))


def test_gram_sums_numba_matches_numpy():
    # The numba kernel (reassoc/contract fastmath) vs the numpy evaluation of the same sums with
    # harmonics' recurrence: 1e-13 relative (sums of 1000 terms, a few ulps each).
    for n, kmax in [(2, 4), (3, 6), (60, 9)]:
        X = sample_sphere(700, n, rng=n)
        F = np.sin(3 * X[:, 0]) + X[:, 1]
        dims = [dim_harmonics(n, k) for k in range(kmax + 1)]
        fast = _gram_sums(X, F, n, kmax, dims)
        slow = _gram_sums(X, F, n, kmax, dims, use_numba=False)
        for a, b in zip(fast, slow, strict=True):
            assert np.max(np.abs(a - b)) <= 1e-13 * np.max(np.abs(b))


def test_exact_large_dimension():
    # n = 500: energies are finite and consistent: sum of energies <= total (tail >= -1e-14),
    # |c_1|^2 = energy_1 (basis vs addition theorem), and the exact lambda_1 of relu is
    # P(t > 0 under nu_{n+2}) / n = 1/(2n) (Rodrigues (R) in docs/conventions.md, "Funk-Hecke
    # eigenvalues"), so the energy of a
    # single relu ridge at degree 1 is n lambda_1^2 = 1/(4n).
    n = 500
    rs = RidgeSum("relu", np.eye(n)[:1], [1.0])
    p = project(rs, n, 8)
    assert np.all(np.isfinite(p.energies)) and p.tail > -1e-14
    assert abs(p.energies[1] - 1 / (4 * n)) < 1e-15
    assert abs(p.coefficients[1] @ p.coefficients[1] - p.energies[1]) < 1e-16
    assert abs(p.total - 1 / (2 * n)) < 1e-15  # E[relu(t)^2] = E[t^2]/2


def test_auto_method_selection():
    f = lambda X: X[:, 0]  # noqa: E731
    assert project(f, 3, 2).method == "quadrature"
    assert project(f, 30, 2, num_samples=50).method == "montecarlo"
    assert project(_ridge("relu", 3), 3, 2).method == "exact"
    assert project(_ridge("relu", 3), 3, 2, method="quadrature", degree=8).method == "quadrature"


def test_result_repr_and_dict():
    p = project(_ridge("relu", 4), 4, 3)
    d = p.to_dict()
    json.dumps(d)  # serializable
    assert d["dims"] == [1, 4, 9, 16] and d["method"] == "exact" and d["tail"] == p.tail
    assert len(d["coefficients"][2]) == 9
    assert "method='exact'" in repr(p) and "tail" in repr(p)
    assert isinstance(p, Projection)
    pm = project(lambda X: X[:, 0], 40, 2, num_samples=100, max_coefficients=10)
    dm = pm.to_dict()
    json.dumps(dm)
    assert dm["coefficients"][2] is None and dm["coefficients"][0] is not None
    assert "+-" in repr(pm)


# ------------------------------------------------------------------------------ bad input


def test_project_bad_input():
    f = lambda X: X[:, 0]  # noqa: E731
    with pytest.raises(ValueError, match="method must be one of"):
        project(f, 3, 2, method="fast")
    with pytest.raises(ValueError, match="needs a RidgeSum"):
        project(f, 3, 2, method="exact")
    with pytest.raises(TypeError, match="f must be a callable"):
        project(np.ones(3), 3, 2)
    with pytest.raises(ValueError, match="kmax must be an integer >= 0"):
        project(f, 3, -1)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        project(f, 1, 2)
    with pytest.raises(ValueError, match="degree must be an integer >= 6"):
        project(f, 3, 3, degree=4)
    with pytest.raises(ValueError, match="max_nodes"):
        project(f, 6, 4, method="quadrature", max_nodes=1000)
    with pytest.raises(ValueError, match="num_samples must be an integer >= 3"):
        project(f, 3, 2, method="montecarlo", num_samples=2)
    with pytest.raises(ValueError, match="shape \\[N\\]"):
        project(lambda X: X, 3, 2)
    with pytest.raises(ValueError, match="non-finite"):
        project(lambda X: np.full(X.shape[0], np.nan), 3, 2)
    with pytest.raises(ValueError, match="dimension 4, but n = 3"):
        project(_ridge("relu", 4), 3, 2)


def test_ridge_sum_bad_input():
    W = sample_sphere(3, 4, rng=0)
    with pytest.raises(ValueError, match="unit vectors"):
        RidgeSum("relu", 2 * W)
    with pytest.raises(ValueError, match="shape \\[m, n\\]"):
        RidgeSum("relu", W[0])
    with pytest.raises(ValueError, match="a must have shape \\[m\\] = \\[3\\]"):
        RidgeSum("relu", W, [1.0, 2.0])
    with pytest.raises(ValueError, match="unknown activation"):
        RidgeSum("swishy", W)
    with pytest.raises(ValueError, match="kinks= is for callables"):
        RidgeSum("relu", W, kinks=[0.0])
    with pytest.raises(ValueError, match="registered activations only"):
        RidgeSum(np.tanh, W, scale=2.0)
    with pytest.raises(ValueError, match="kinks must lie in"):
        RidgeSum(np.abs, W, kinks=[1.5])


def test_ridge_sum_with_callable_gate():
    # A callable gate with a declared kink: same results as the registered gate (the eigenvalues
    # come from funk_hecke's quadrature for callables, accurate to ~1e-14 absolute).
    W = sample_sphere(3, 4, rng=5)
    reg = project(RidgeSum("relu", W, [1.0, 2.0, -1.0], bias=0.1), 4, 4)
    cal = project(
        RidgeSum(lambda t: np.maximum(t + 0.1, 0), W, [1.0, 2.0, -1.0], kinks=[-0.1]), 4, 4
    )
    assert np.allclose(cal.energies, reg.energies, atol=1e-13, rtol=0)
    assert abs(cal.total - reg.total) < 1e-12
