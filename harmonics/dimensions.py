"""Dimensions of the spaces of spherical harmonics."""

from __future__ import annotations

import math
from math import comb

from ._infra.checks import check_degree, check_dimension, check_int

#: Default limit on the decimal digits of N(n, k) (~0.6 s for 10^5 digits).
DEFAULT_MAX_DIGITS = 100_000


def dim_harmonics(n: int, k: int, *, max_digits: int = DEFAULT_MAX_DIGITS) -> int:
    """N(n, k) = dim H_k, the number of linearly independent degree-k harmonics on S^{n-1}.

    N(n, k) = C(n+k-1, k) - C(n+k-3, k-2), with N(n, 0) = 1, N(n, 1) = n and N(2, k) = 2 for
    k >= 1 (Atkinson & Han 2012, eq. (2.10)).  Computed with exact integer binomials, so the
    result is an exact Python ``int`` for any n >= 2, k >= 0 -- up to ``max_digits`` decimal
    digits (default 10^5, ~0.6 s; N(10^18, 10^18) would have ~6e17 digits): larger results are
    refused before any work (ValueError; pass max_digits= to raise the limit; for their size
    use log10 C(n+k-1, k) = (lgamma(n+k) - lgamma(k+1) - lgamma(n)) / ln 10).

    >>> dim_harmonics(3, 2)
    5
    >>> dim_harmonics(100, 6)
    1604922825
    """
    n = check_dimension(n)
    k = check_degree(k)
    max_digits = check_int(max_digits, "max_digits", 1)
    if k >= 2:
        # N(n,k) <= C(n+k-1, k): its digits from log-gammas, before the exact integers
        digits = (math.lgamma(n + k) - math.lgamma(k + 1) - math.lgamma(n)) / math.log(10)
        if digits > max_digits:
            raise ValueError(
                f"N(n, k) for n = {n}, k = {k} has ~{digits:.3g} decimal digits, above the "
                f"limit max_digits={max_digits}; pass max_digits= to raise it"
            )
    if k == 0:
        return 1
    if k == 1:
        return n
    return comb(n + k - 1, k) - comb(n + k - 3, k - 2)
