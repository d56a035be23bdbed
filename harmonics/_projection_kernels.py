"""numba kernel for the pair sums of the Monte Carlo projection (harmonics.projection).

Private and imported lazily (numba's import and compilation cost is paid only by Monte Carlo
projections).  The front end validates, samples and allocates; this kernel only loops.

fastmath is restricted to {'reassoc', 'contract'} (no 'nnan'/'ninf'), so the sums over q can
vectorize; tests compare with a float64 numpy evaluation of the same sums.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_FM = {"reassoc", "contract"}


@njit(cache=True, fastmath=_FM)
def gram_sums(T, F, F2, ca, cb, dims, g, g2, s, p0):
    """For rows i of T [B, M] (T[i, q] = <x_{p0+i}, x_q>), with P_k = P_{k,n}(T[i, q]):

    g[k, p0+i]  = sum_q P_k F_q,   g2[k, p0+i] = sum_q P_k^2 F_q^2,
    s[p0+i]     = sum_q (sum_k dims[k] P_k)^2 F_q^2,

    P_k by the recurrence P_{k+1} = ca[k] t P_k - cb[k] P_{k-1}, ca[k] = (2k+n-2)/(k+n-2),
    cb[k] = k/(k+n-2).
    """
    B, M = T.shape
    K1 = dims.size
    p_prev = np.empty(M)
    p_cur = np.empty(M)
    H = np.empty(M)
    for i in range(B):
        acc = 0.0
        acc2 = 0.0
        for q in range(M):
            p_prev[q] = 1.0
            H[q] = dims[0]
            acc += F[q]
            acc2 += F2[q]
        g[0, p0 + i] = acc
        g2[0, p0 + i] = acc2
        if K1 > 1:
            acc = 0.0
            acc2 = 0.0
            d1 = dims[1]
            for q in range(M):
                t = T[i, q]
                p_cur[q] = t
                H[q] += d1 * t
                acc += t * F[q]
                acc2 += t * t * F2[q]
            g[1, p0 + i] = acc
            g2[1, p0 + i] = acc2
        for k in range(1, K1 - 1):
            a = ca[k]
            b = cb[k]
            dk = dims[k + 1]
            acc = 0.0
            acc2 = 0.0
            for q in range(M):
                p_next = a * T[i, q] * p_cur[q] - b * p_prev[q]
                p_prev[q] = p_cur[q]
                p_cur[q] = p_next
                H[q] += dk * p_next
                acc += p_next * F[q]
                acc2 += p_next * p_next * F2[q]
            g[k + 1, p0 + i] = acc
            g2[k + 1, p0 + i] = acc2
        acc = 0.0
        for q in range(M):
            acc += H[q] * H[q] * F2[q]
        s[p0 + i] = acc
