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
vectorizes); three rows of length q per thread.  Compiled once, parallel (prange over rows, same
arithmetic per row), run on one or all numba threads by size: identical bits for any count.

fastmath is restricted to {'reassoc', 'contract'} (no 'nnan'/'ninf'), so the sums over j can
vectorize; tests compare with a float64 numpy evaluation of the same sums.  The recurrence
coefficients are read from arrays filled before the loops: written as (2k+n-2)/(k+n-2) inside
them, 'reassoc' let LLVM move the division into the innermost loop (x * (a/b) -> (x*a)/b), one
vdivpd per element and degree, which made the recurrence ~8x slower than its multiply-adds.

:func:`degree_sums` is the reduced (``out[k] = sum_i R[i, k]``) form used by the exact energy
records, blocked for the cache: for each row i the columns are taken in chunks of ``_CHUNK``
(the inner products, the recurrence rows and the weights of a chunk stay in L1), the inner
products four coordinates per pass (the front end pads the rows with zeros to a multiple of
4), and two degrees per pass of the recurrence.  ``symmetric=True`` (U = V, cu = cv) sums
the pairs j > i only, twice, plus the diagonal P_k(1) = 1: half the work; rows are taken in
pairs (r, p-1-r) so that every parallel iteration has the same number of pairs.
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
    ca = np.empty(max(K, 1))
    cb = np.empty(max(K, 1))
    for k in range(1, K):
        ca[k] = (2 * k + n - 2) / (k + n - 2)
        cb[k] = k / (k + n - 2)
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
            _second_row(t, cvT, F2, dims, ca, cb, K, acc, G2[i], S, i)
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
                c1 = ca[k]
                c0 = cb[k]
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
def _second_row(t, cvT, F2, dims, ca, cb, K, g, g2, S, i):
    """One row of the first- and second-moment sums (g[k] = sum_j cv P_k, g2, S[i]); ca, cb
    the recurrence coefficients P_{k+1} = ca[k] t P_k - cb[k] P_{k-1}."""
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
        a = ca[k]
        b = cb[k]
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


pair_sums_kernel = njit(cache=True, parallel=True, fastmath=_FM)(_pair_sums)


#: Columns per chunk of :func:`degree_sums` (inner products, two recurrence rows and K+1 weight
#: rows of 256 values: ~20 KB for K = 6, inside L1).
_CHUNK = 256


def _degree_sums(U, VT, cu, cvT, n, K, symmetric, out):
    """out[k] = sum_{i,j} cu[i, k] cvT[k, j] P_{k,n}(<U_i, V_j>), k = 0..K (module docstring).

    U [p, D], VT [D, q] with D a multiple of 4 (zero-padded coordinates), cu [p, K+1],
    cvT [K+1, q], out [K+1].  ``symmetric``: U = V and cu = cv (pairs j > i counted twice, plus
    the diagonal).  Row partials reduced in a fixed order: the same bits for any thread count.
    """
    p = U.shape[0]
    dim, q = VT.shape
    L = _CHUNK
    ca = np.empty(K + 2)
    cb = np.empty(K + 2)
    for k in range(K + 2):
        ca[k] = (2 * k + n - 2) / (k + n - 2) if k > 0 else 1.0
        cb[k] = k / (k + n - 2) if k > 0 else 0.0
    partial = np.zeros((p, K + 1))
    nrows = (p + 1) // 2 if symmetric else p
    for r in prange(nrows):
        tb = np.empty(L)
        ppb = np.empty(L)
        pcb = np.empty(L)
        acc = np.empty(K + 1)
        for rep in range(2):
            i = r + rep * (p - 1 - 2 * r)
            if rep == 1 and (not symmetric or i == r):
                break
            acc[:] = 0.0
            j0 = i + 1 if symmetric else 0
            for c0 in range(j0, q, L):
                w = min(L, q - c0)
                t = tb[:w]
                pp = ppb[:w]
                pc = pcb[:w]
                u0, u1, u2, u3 = U[i, 0], U[i, 1], U[i, 2], U[i, 3]
                v0, v1 = VT[0, c0 : c0 + w], VT[1, c0 : c0 + w]
                v2, v3 = VT[2, c0 : c0 + w], VT[3, c0 : c0 + w]
                for jj in range(w):
                    t[jj] = (u0 * v0[jj] + u1 * v1[jj]) + (u2 * v2[jj] + u3 * v3[jj])
                for d in range(4, dim, 4):
                    u0, u1, u2, u3 = U[i, d], U[i, d + 1], U[i, d + 2], U[i, d + 3]
                    v0, v1 = VT[d, c0 : c0 + w], VT[d + 1, c0 : c0 + w]
                    v2, v3 = VT[d + 2, c0 : c0 + w], VT[d + 3, c0 : c0 + w]
                    for jj in range(w):
                        t[jj] += (u0 * v0[jj] + u1 * v1[jj]) + (u2 * v2[jj] + u3 * v3[jj])
                s0 = 0.0
                cv0 = cvT[0, c0 : c0 + w]
                for jj in range(w):
                    t[jj] = min(max(t[jj], -1.0), 1.0)
                    s0 += cv0[jj]
                acc[0] += s0
                if K == 0:
                    continue
                s1 = 0.0
                cv1 = cvT[1, c0 : c0 + w]
                for jj in range(w):
                    pp[jj] = 1.0
                    pc[jj] = t[jj]
                    s1 += cv1[jj] * t[jj]
                acc[1] += s1
                k = 1
                while k + 1 < K:  # two degrees per pass: P_{k+1}, P_{k+2}
                    a1, b1, a2, b2 = ca[k], cb[k], ca[k + 1], cb[k + 1]
                    cva = cvT[k + 1, c0 : c0 + w]
                    cvb = cvT[k + 2, c0 : c0 + w]
                    sa = 0.0
                    sb = 0.0
                    for jj in range(w):
                        tj = t[jj]
                        pa = a1 * tj * pc[jj] - b1 * pp[jj]
                        pb = a2 * tj * pa - b2 * pc[jj]
                        pp[jj] = pa
                        pc[jj] = pb
                        sa += cva[jj] * pa
                        sb += cvb[jj] * pb
                    acc[k + 1] += sa
                    acc[k + 2] += sb
                    k += 2
                if k < K:
                    a1, b1 = ca[k], cb[k]
                    cva = cvT[k + 1, c0 : c0 + w]
                    sa = 0.0
                    for jj in range(w):
                        sa += cva[jj] * (a1 * t[jj] * pc[jj] - b1 * pp[jj])
                    acc[k + 1] += sa
            for k in range(K + 1):
                if symmetric:
                    partial[i, k] = cu[i, k] * (2.0 * acc[k] + cvT[k, i])
                else:
                    partial[i, k] = cu[i, k] * acc[k]
    for k in range(K + 1):
        tot = 0.0
        for i in range(p):
            tot += partial[i, k]
        out[k] = tot


degree_sums_kernel = njit(cache=True, parallel=True, fastmath=_FM)(_degree_sums)
