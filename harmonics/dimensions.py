"""Dimensions of the spaces of spherical harmonics."""

from __future__ import annotations

from math import comb

from ._infra.checks import check_degree, check_dimension


def dim_harmonics(n: int, k: int) -> int:
    """N(n, k) = dim H_k, the number of linearly independent degree-k harmonics on S^{n-1}.

    N(n, k) = C(n+k-1, k) - C(n+k-3, k-2), with N(n, 0) = 1, N(n, 1) = n and N(2, k) = 2 for
    k >= 1 (Atkinson & Han 2012, eq. (2.10)).  Computed with exact integer binomials, so the
    result is an exact Python ``int`` for any n >= 2, k >= 0.

    >>> dim_harmonics(3, 2)
    5
    >>> dim_harmonics(100, 6)
    1604922825
    """
    n = check_dimension(n)
    k = check_degree(k)
    if k == 0:
        return 1
    if k == 1:
        return n
    return comb(n + k - 1, k) - comb(n + k - 3, k - 2)
