"""N(n,k) = dim H_k: exact integers checked against independent closed forms and identities."""

from math import comb

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harmonics import dim_harmonics


def test_known_values():
    # N(100, 6) is the value quoted in the project issue; N(3,k) = 2k + 1 (classical).
    assert dim_harmonics(100, 6) == 1604922825
    assert [dim_harmonics(3, k) for k in range(6)] == [1, 3, 5, 7, 9, 11]
    assert [dim_harmonics(2, k) for k in range(5)] == [1, 2, 2, 2, 2]
    assert dim_harmonics(4, 3) == 16  # (k+1)^2 on S^3


def test_huge_exact_against_alternative_formula():
    # Independent closed form N(n,k) = (2k+n-2)/k * C(k+n-3, k-1) (Atkinson & Han (2.12)),
    # evaluated in exact integer arithmetic: equality must hold to the last digit.
    n, k = 10**6, 50
    value = dim_harmonics(n, k)
    assert isinstance(value, int)
    num = (2 * k + n - 2) * comb(k + n - 3, k - 1)
    assert num % k == 0
    assert value == num // k


@given(st.integers(2, 400), st.integers(0, 60))
def test_sum_is_dimension_of_polynomials(n, k):
    # sum_{j<=k} N(n,j) = dim of polynomials of degree <= k on S^{n-1}
    # = C(n+k-1, k) + C(n+k-2, k-1)  (harmonic decomposition of P_k + P_{k-1}).
    total = sum(dim_harmonics(n, j) for j in range(k + 1))
    assert total == comb(n + k - 1, k) + (comb(n + k - 2, k - 1) if k >= 1 else 0)


@pytest.mark.parametrize(
    "n,k,exc",
    [
        (1, 0, ValueError),
        (2, -1, ValueError),
        (2.5, 1, TypeError),
        (3, 1.5, TypeError),
        ("3", 1, TypeError),
        (True, 1, TypeError),
    ],
)
def test_bad_input(n, k, exc):
    with pytest.raises(exc, match="n must|k must"):
        dim_harmonics(n, k)
