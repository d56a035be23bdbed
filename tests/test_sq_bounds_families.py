"""sq_bounds.families: double-cap measures, analytic family sizes, constructed families."""

import math
import tracemalloc

import mpmath
import numpy as np
import pytest

from sq_bounds import (
    FamilyTooLargeError,
    direction_family,
    family_size_bound,
    log_cap_measure,
    max_coherence,
)
from sq_bounds.families import _log_betainc_cf


@pytest.mark.parametrize("delta", [0.0, 1e-9, 0.1, 0.5, 0.9, 0.999])
def test_cap_measure_closed_forms_n2_n3_n4(delta):
    # Closed forms of P(|t| > delta), t ~ nu_n: n = 2, t = cos(theta) with theta uniform:
    # (2/pi) arccos(delta); n = 3 (Archimedes), t uniform on [-1, 1]: 1 - delta;
    # n = 4, density (2/pi) sqrt(1-t^2): 1 - (2/pi)(delta sqrt(1-delta^2) + arcsin(delta)).
    # Tolerance 1e-13 relative (incomplete beta in double precision).
    refs = {
        2: 2 / math.pi * math.acos(delta),
        3: 1 - delta,
        4: 1 - 2 / math.pi * (delta * math.sqrt(1 - delta * delta) + math.asin(delta)),
    }
    for n, ref in refs.items():
        assert math.exp(log_cap_measure(n, delta)) == pytest.approx(ref, rel=1e-12)


def _mp_log_cap(n, delta):
    """Independent reference: 2 c_n int_delta^1 (1-t^2)^{(n-3)/2} dt by mpmath quadrature at
    40 digits, with breakpoints on the decay scale (1-delta^2)/(n delta) of the integrand."""
    with mpmath.workdps(40):
        m = mpmath.mpf(n - 3) / 2
        d = mpmath.mpf(delta)
        log_c = mpmath.loggamma(mpmath.mpf(n) / 2) - mpmath.loggamma(mpmath.mpf(n - 1) / 2)
        log_c -= mpmath.log(mpmath.pi) / 2
        base = m * mpmath.log(1 - d * d)

        def f(t):
            return mpmath.exp(m * mpmath.log(1 - t * t) - base)

        scale = (1 - d * d) / (n * d)
        pts = [d] + [d + j * scale for j in (1, 4, 16, 64, 256)]
        pts = [p for p in pts if p < 1] + [mpmath.mpf(1)]
        integral = mpmath.quad(f, pts)
        return float(mpmath.log(2) + log_c + base + mpmath.log(integral))


@pytest.mark.parametrize(
    "n,delta",
    [(10, 0.3), (1000, 0.2), (1000, 0.7), (10**4, 0.3), (10**6, 0.01), (10**6, 0.1), (10**6, 0.5)],
)
def test_log_cap_measure_against_mpmath_quadrature(n, delta):
    # Covers the scipy branch and the continued-fraction branch (p < 1e-280, e.g. n = 10^6,
    # delta = 0.5 where p ~ 1e-62473).  Tolerance: 1e-11 relative on log p (the CF and the
    # lgamma prefactor lose ~1e-13 relative on a log of size up to 1.4e5).
    got = log_cap_measure(n, delta)
    assert math.isfinite(got)
    assert got == pytest.approx(_mp_log_cap(n, delta), rel=1e-11, abs=1e-12)


def test_continued_fraction_matches_scipy_in_overlap():
    # Two independent algorithms (Boost's ibetac vs our Lentz CF) where both are representable.
    import scipy.special as sc

    for n, delta in [(200, 0.5), (1000, 0.3), (5000, 0.1), (10**5, 0.05)]:
        a, d2 = (n - 1) / 2, delta * delta
        cf = _log_betainc_cf(a, 0.5, math.log1p(-d2), 2 * math.log(delta), 1 - d2)
        assert cf == pytest.approx(math.log(sc.betaincc(0.5, a, d2)), rel=1e-12)


def test_family_size_bound_values_and_monotonicity():
    # S^2, delta = 1/2: p = 1/2 so GV gives floor(1/p) = 2, random packing m = 2 points with
    # expected 2 - 2*1*(1/2)/2 = 1.5 kept -> 2; basis gives n = 3.
    assert 10 ** family_size_bound(3, 0.5, bound="gv") == pytest.approx(2)
    assert 10 ** family_size_bound(3, 0.5, bound="basis") == pytest.approx(3)
    assert 10 ** family_size_bound(3, 0.5) == pytest.approx(3)
    deltas = np.linspace(0, 0.95, 40)
    for n in (5, 100, 10**5):
        vals = [family_size_bound(n, d) for d in deltas]
        assert all(b >= a - 1e-12 for a, b in zip(vals, vals[1:], strict=False))
        for d in deltas[1:]:
            gv, rnd = family_size_bound(n, d, bound="gv"), family_size_bound(n, d, bound="random")
            assert gv >= rnd  # 1/p >= ~1/(2p)
            assert family_size_bound(n, d) == pytest.approx(max(gv, rnd, math.log10(n)), rel=1e-14)
    huge = family_size_bound(10**6, 0.9999)
    assert math.isfinite(huge) and huge > 1e6  # ~10^(1.85e6): finite in log10


def test_gv_bound_is_floor_of_inverse_cap():
    # D >= floor(1/p(delta)) (exact integer while representable), 1/p in log10 beyond;
    # reference p from the mpmath quadrature, independent of the betainc path.
    log_p = _mp_log_cap(50, 0.4)
    assert 10 ** family_size_bound(50, 0.4, bound="gv") == pytest.approx(
        math.floor(math.exp(-log_p)), rel=1e-13
    )
    assert family_size_bound(10**6, 0.2, bound="gv") == pytest.approx(
        -_mp_log_cap(10**6, 0.2) / math.log(10), rel=1e-11
    )


def _dense_coherence(V):
    G = np.abs(V @ V.T)
    np.fill_diagonal(G, 0)
    return G.max()


@pytest.mark.parametrize("n,size,delta", [(20, 60, 0.5), (50, 300, 0.4), (8, 20, 0.6)])
def test_random_family_really_satisfies_delta(n, size, delta):
    fam = direction_family(n, size, delta, rng=11)
    V = np.asarray(fam.vectors)
    assert V.shape == (len(fam), n)
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), 1.0, atol=1e-14)
    measured = _dense_coherence(V)  # computed here, independently of the module
    assert measured <= delta
    assert fam.delta == pytest.approx(measured, abs=1e-15)
    assert len(fam) == size  # these sizes are well below the GV count


def test_random_family_default_size_reaches_gv_count():
    # n = 20, delta = 0.5: GV count floor(1/p) = 47; greedy random packing reaches it.
    fam = direction_family(20, delta=0.5, rng=0)
    assert len(fam) == fam.requested_size == round(10 ** family_size_bound(20, 0.5))
    assert _dense_coherence(np.asarray(fam.vectors)) <= 0.5


def test_random_family_without_delta_reports_achieved_delta():
    fam = direction_family(30, 40, rng=5)
    assert fam.delta == pytest.approx(_dense_coherence(np.asarray(fam.vectors)), abs=1e-15)
    assert fam.requested_delta is None
    # seeded: same seed, same family
    np.testing.assert_array_equal(fam.vectors, direction_family(30, 40, rng=5).vectors)


def test_explicit_codes():
    ortho = direction_family(7, method="orthonormal")
    assert len(ortho) == 7 and _dense_coherence(np.asarray(ortho.vectors)) == 0.0
    assert ortho.delta == 0.0
    had = direction_family(16, method="hadamard")
    assert len(had) == 32
    assert _dense_coherence(np.asarray(had.vectors)) == pytest.approx(0.25, abs=1e-15)
    assert had.delta == pytest.approx(0.25, abs=1e-15)
    assert "size=32" in repr(had)


def test_max_coherence_blocked_equals_dense():
    rng = np.random.default_rng(2)
    V = rng.standard_normal((300, 10))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    assert max_coherence(V, block_bytes=8 * 300 * 7) == _dense_coherence(V)


def test_family_larger_than_memory_raises_before_allocating():
    tracemalloc.start()
    try:
        with pytest.raises(FamilyTooLargeError, match=r"10\^63"):
            direction_family(1000, delta=0.5)
        with pytest.raises(MemoryError, match="1e\\+09 unit vectors"):
            direction_family(1000, 10**9)
        with pytest.raises(ValueError, match="max_bytes"):
            direction_family(1000, 10**9, 0.3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20  # nothing close to the requested gigabytes was allocated


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"n": 1, "size": 3}, ValueError, "n must be"),
        ({"n": 5}, ValueError, "needs size, delta"),
        ({"n": 5, "size": 3, "delta": 1.0}, ValueError, r"delta must lie in \[0, 1\)"),
        ({"n": 5, "size": 3, "delta": -0.1}, ValueError, "delta must lie"),
        ({"n": 5, "size": 0}, ValueError, "size must be"),
        ({"n": 5, "size": 6, "method": "orthonormal"}, ValueError, "size must be <= n"),
        ({"n": 6, "method": "hadamard"}, ValueError, "power of 2"),
        ({"n": 16, "delta": 0.1, "method": "hadamard"}, ValueError, "coherence"),
        ({"n": 5, "size": 3, "method": "lattice"}, ValueError, "method must be"),
        ({"n": 5, "size": 3, "rng": "seed"}, TypeError, "rng must be"),
    ],
)
def test_direction_family_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        direction_family(**kwargs)


def test_family_size_bound_bad_input():
    with pytest.raises(ValueError, match="bound must be"):
        family_size_bound(10, 0.3, bound="lattice")
    with pytest.raises(ValueError, match="delta"):
        family_size_bound(10, 1.0)
    with pytest.raises(ValueError, match="delta"):
        log_cap_measure(10, [0.1, 1.2])
