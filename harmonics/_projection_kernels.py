"""numba kernel for the addition-theorem pair sums (the one implementation; private).

For unit rows U_i, V_j of two point sets and per-degree weights, the pair sums

    R[i, k] = cu[i, k] * sum_j cv[j, k] P_{k,n}(<U_i, V_j>),   k = 0..K,

with P_{k,n} by the normalized recurrence (k+n-2) P_{k+1} = (2k+n-2) t P_k - k P_{k-1}.  Summed
over i (``reduce=True``) they are the degree-k inner products of two ridge sums (harmonics.ridge;
gd_operator's energy records); with V = U = X a Monte Carlo sample and cv = f(X), the
U-statistics of harmonics.projection, which also ask for the second-moment sums
(``second=True``)

    G2[i, k] = sum_j P_k^2 F2_j,   S[i] = sum_j (sum_k dims[k] P_k)^2 F2_j.

Private and imported lazily (numba's import and compilation cost is paid only by its users).
The front ends (harmonics.ridge) validate and allocate; the kernel only loops: row by row, the
q inner products of U_i, then the recurrence over the whole row at once (contiguous in j, so it
vectorizes); three rows of length q per thread.  Compiled twice from the same source, serial and
parallel (prange over rows, same arithmetic per row): identical bits for any thread count.

fastmath is restricted to {'reassoc', 'contract'} (no 'nnan'/'ninf'), so the sums over j can
vectorize; tests compare with a float64 numpy evaluation of the same sums.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_FM = {"reassoc", "contract"}


def _pair_sums(U, VT, cu, cvT, F2, dims, n, K, out, R, G2, S, reduce, second):
    """R (``reduce``: out[k] = sum_i R[i, k] instead), and with ``second`` also G2 and S, of the
    module docstring.  U [p, n], VT [n, q], cu [p, K+1], cvT [K+1, q], F2 [q], dims [K+1];
    outputs out [K+1], R [p, K+1], G2 [p, K+1], S [p].  The row sums are kept in a local
    array and reduced in a fixed order: deterministic for any thread count."""
    p = U.shape[0]
    dim, q = VT.shape
    partial = np.zeros((p, K + 1))
    for i in prange(p):
        t = np.zeros(q)
        for d in range(dim):
            ud = U[i, d]
            for j in range(q):
                t[j] += ud * VT[d, j]
        for j in range(q):
            t[j] = min(max(t[j], -1.0), 1.0)
        acc = partial[i]
        if second:
            _second_row(t, cvT, F2, dims, n, K, acc, G2[i], S, i)
            for k in range(K + 1):
                acc[k] = cu[i, k] * acc[k]
            continue
        s0 = 0.0
        for j in range(q):
            s0 += cvT[0, j]
        acc[0] = cu[i, 0] * s0
        if K >= 1:
            s1 = 0.0
            for j in range(q):
                s1 += cvT[1, j] * t[j]
            acc[1] = cu[i, 1] * s1
            p_prev = np.ones(q)
            p_cur = t.copy()
            for k in range(1, K):
                c1 = (2 * k + n - 2) / (k + n - 2)
                c0 = k / (k + n - 2)
                sk = 0.0
                for j in range(q):
                    p_next = c1 * t[j] * p_cur[j] - c0 * p_prev[j]
                    p_prev[j] = p_cur[j]
                    p_cur[j] = p_next
                    sk += cvT[k + 1, j] * p_next
                acc[k + 1] = cu[i, k + 1] * sk
    if reduce:
        for k in range(K + 1):
            tot = 0.0
            for i in range(p):
                tot += partial[i, k]
            out[k] = tot
    else:
        for i in range(p):
            for k in range(K + 1):
                R[i, k] = partial[i, k]


@njit(cache=True, fastmath=_FM, inline="always")
def _second_row(t, cvT, F2, dims, n, K, g, g2, S, i):
    """One row of the first- and second-moment sums (g[k] = sum_j cv P_k, g2, S[i])."""
    q = t.size
    p_prev = np.empty(q)
    p_cur = np.empty(q)
    H = np.empty(q)
    acc = 0.0
    acc2 = 0.0
    for j in range(q):
        p_prev[j] = 1.0
        H[j] = dims[0]
        acc += cvT[0, j]
        acc2 += F2[j]
    g[0] = acc
    g2[0] = acc2
    if K >= 1:
        acc = 0.0
        acc2 = 0.0
        d1 = dims[1]
        for j in range(q):
            tj = t[j]
            p_cur[j] = tj
            H[j] += d1 * tj
            acc += tj * cvT[1, j]
            acc2 += tj * tj * F2[j]
        g[1] = acc
        g2[1] = acc2
    for k in range(1, K):
        a = (2 * k + n - 2) / (k + n - 2)
        b = k / (k + n - 2)
        dk = dims[k + 1]
        acc = 0.0
        acc2 = 0.0
        for j in range(q):
            p_next = a * t[j] * p_cur[j] - b * p_prev[j]
            p_prev[j] = p_cur[j]
            p_cur[j] = p_next
            H[j] += dk * p_next
            acc += p_next * cvT[k + 1, j]
            acc2 += p_next * p_next * F2[j]
        g[k + 1] = acc
        g2[k + 1] = acc2
    acc = 0.0
    for j in range(q):
        acc += H[j] * H[j] * F2[j]
    S[i] = acc


pair_sums_serial = njit(cache=True, fastmath=_FM)(_pair_sums)
pair_sums_parallel = njit(cache=True, parallel=True, fastmath=_FM)(_pair_sums)
