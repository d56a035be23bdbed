"""numba kernels for full-batch gradient descent and exact per-degree energies.

Private: the Python front ends (gd_operator.simulate) validate inputs, own the RNG and allocate
every output; these kernels only loop and write into the arrays they are given.

Network: f(x) = (1/sqrt m) sum_i a_i phi(<w_i, x> + b_i).  Empirical loss over N points
L = (1/2N) sum_s (f(x_s) - y_s)^2.  Inputs are stored transposed, XT [n, N], so the loops over
samples run over contiguous memory.

Activation codes (branch hoisted out of the inner loops): 0 relu, 1 sigmoid, 2 tanh, 3 erf,
4 softplus, 5 gelu, 6 abs, 7 relu^2.

fastmath is restricted to {'reassoc', 'contract'} (no 'nnan'/'ninf': NaN checks must keep
working) so reductions can vectorize; tests bound the difference from a numpy reference.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_FM = {"reassoc", "contract"}

ACTIVATION_CODES = {
    "relu": 0,
    "sigmoid": 1,
    "tanh": 2,
    "erf": 3,
    "softplus": 4,
    "gelu": 5,
    "abs": 6,
    "relu_power2": 7,
}

_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRTPI = 2.0 / math.sqrt(math.pi)


@njit(cache=True, inline="always")
def _phi(code, z):
    if code == 1:
        return 1.0 / (1.0 + math.exp(-z))
    if code == 2:
        return math.tanh(z)
    if code == 3:
        return math.erf(z)
    if code == 4:
        return max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    if code == 5:
        return 0.5 * z * (1.0 + math.erf(z / _SQRT2))
    if code == 6:
        return abs(z)
    if code == 7:
        return max(z, 0.0) * max(z, 0.0)
    return max(z, 0.0)


@njit(cache=True, inline="always")
def _dphi(code, z):
    if code == 1:
        s = 1.0 / (1.0 + math.exp(-z))
        return s * (1.0 - s)
    if code == 2:
        t = math.tanh(z)
        return 1.0 - t * t
    if code == 3:
        return _TWO_OVER_SQRTPI * math.exp(-z * z)
    if code == 4:
        return 1.0 / (1.0 + math.exp(-z))
    if code == 5:
        return 0.5 * (1.0 + math.erf(z / _SQRT2)) + z * _INV_SQRT2PI * math.exp(-0.5 * z * z)
    if code == 6:
        return 1.0 if z > 0 else (-1.0 if z < 0 else 0.0)
    if code == 7:
        return 2.0 * max(z, 0.0)
    return 1.0 if z > 0 else 0.0


@njit(cache=True, fastmath=_FM)
def _preact(W, b, XT, i, z):
    """z[s] = <w_i, x_s> + b_i for all s (contiguous in s)."""
    n, N = XT.shape
    for s in range(N):
        z[s] = b[i]
    for d in range(n):
        wd = W[i, d]
        for s in range(N):
            z[s] += wd * XT[d, s]


def _forward(W, b, a, XT, code, out):
    """out[s] = (1/sqrt m) sum_i a_i phi(<w_i, x_s> + b_i).  Thread-local partial sums over
    blocks of hidden units, reduced at the end."""
    m = W.shape[0]
    N = XT.shape[1]
    nblocks = min(m, 64)
    partial = np.zeros((nblocks, N))
    for blk in prange(nblocks):
        z = np.empty(N)
        acc = partial[blk]
        for i in range(blk, m, nblocks):
            _preact(W, b, XT, i, z)
            ai = a[i]
            if code == 0:
                for s in range(N):
                    acc[s] += ai * max(z[s], 0.0)
            else:
                for s in range(N):
                    acc[s] += ai * _phi(code, z[s])
    scale = 1.0 / math.sqrt(m)
    for s in range(N):
        tot = 0.0
        for blk in range(nblocks):
            tot += partial[blk, s]
        out[s] = tot * scale


def _gradients(W, b, a, XT, code, r, ga, gW, gb, want_hidden):
    """Gradients of L = (1/2N) sum_s r_s^2 with r = f - y given (r is the residual f - y).

    ga[i] = (1/(N sqrt m)) sum_s r_s phi(z_is);  gW[i, :] = (a_i/(N sqrt m)) sum_s r_s
    phi'(z_is) x_s;  gb[i] likewise without x.  Pre-activations are recomputed per unit (in
    cache) instead of stored: no [m, N] temporaries.
    """
    m, n = W.shape
    N = XT.shape[1]
    scale = 1.0 / (N * math.sqrt(m))
    for i in prange(m):
        z = np.empty(N)
        g = np.empty(N)
        _preact(W, b, XT, i, z)
        s_a = 0.0
        s_b = 0.0
        if code == 0:
            for s in range(N):
                pos = 1.0 if z[s] > 0.0 else 0.0
                s_a += r[s] * (z[s] * pos)
                g[s] = r[s] * pos
                s_b += g[s]
        else:
            for s in range(N):
                s_a += r[s] * _phi(code, z[s])
                g[s] = r[s] * _dphi(code, z[s])
                s_b += g[s]
        ga[i] = s_a * scale
        if want_hidden:
            ai = a[i] * scale
            gb[i] = s_b * ai
            for d in range(n):
                acc = 0.0
                for s in range(N):
                    acc += g[s] * XT[d, s]
                gW[i, d] = acc * ai


def _degree_gram_sums(U, cu, VT, cvT, n, K, out):
    """out[k] = sum_{i,j} cu[i, k] cv[j, k] P_{k,n}(<U_i, V_j>) for k = 0..K.

    U [p, n], V [q, n] unit rows, passed transposed as VT [n, q]; cu [p, K+1] and cv [q, K+1]
    (passed as cvT [K+1, q]) are per-unit, per-degree weights.  Row by row: the q inner products
    of U_i, then the normalized Legendre recurrence run over the whole row at once (contiguous
    in j, so it vectorizes); only three rows of length q are stored per thread.  Row partial
    sums are reduced in a fixed order: deterministic for any thread count.
    """
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
    for k in range(K + 1):
        tot = 0.0
        for i in range(p):
            tot += partial[i, k]
        out[k] = tot


# Each kernel is compiled twice from the same source: serial (prange runs as range) and
# parallel.  Small problems take the serial one: a parallel region costs tens of microseconds
# to start, and when other processes share the cores, threads waiting for a descheduled peer
# made a 32-run sweep of small simulations 16x slower (68 s vs 4.3 s, benchmarks/bench_sweep.py).
# Both variants use the same fixed blocking, so they return identical bits.
PARALLEL_MIN_WORK = 2_000_000  # inner-loop iterations (~1-2 ms) below which serial wins

_forward_serial = njit(cache=True, fastmath=_FM)(_forward)
_forward_parallel = njit(cache=True, parallel=True, fastmath=_FM)(_forward)
_gradients_serial = njit(cache=True, fastmath=_FM)(_gradients)
_gradients_parallel = njit(cache=True, parallel=True, fastmath=_FM)(_gradients)
_gram_serial = njit(cache=True, fastmath=_FM)(_degree_gram_sums)
_gram_parallel = njit(cache=True, parallel=True, fastmath=_FM)(_degree_gram_sums)


def _parallel_pays(work: int) -> bool:
    from numba import get_num_threads

    return work >= PARALLEL_MIN_WORK and get_num_threads() > 1


def forward(W, b, a, XT, code, out):
    """out[s] = (1/sqrt m) sum_i a_i phi(<w_i, x_s> + b_i) (see _forward)."""
    work = W.shape[0] * XT.shape[1] * (XT.shape[0] + 1)
    kernel = _forward_parallel if _parallel_pays(work) else _forward_serial
    kernel(W, b, a, XT, code, out)


def gradients(W, b, a, XT, code, r, ga, gW, gb, want_hidden):
    """Gradients of the empirical loss (see _gradients)."""
    work = W.shape[0] * XT.shape[1] * (2 * XT.shape[0] + 2)
    kernel = _gradients_parallel if _parallel_pays(work) else _gradients_serial
    kernel(W, b, a, XT, code, r, ga, gW, gb, want_hidden)


def degree_gram_sums(U, cu, V, cv, n, K, out):
    """out[k] = sum_{i,j} cu[i, k] cv[j, k] P_{k,n}(<U_i, V_j>) (see _degree_gram_sums)."""
    work = U.shape[0] * V.shape[0] * (U.shape[1] + 2 * K + 1)
    kernel = _gram_parallel if _parallel_pays(work) else _gram_serial
    VT = np.ascontiguousarray(np.asarray(V, dtype=np.float64).T)
    cvT = np.ascontiguousarray(np.asarray(cv, dtype=np.float64).T)
    U = np.ascontiguousarray(U, dtype=np.float64)
    cu = np.ascontiguousarray(cu, dtype=np.float64)
    kernel(U, cu, VT, cvT, float(n), int(K), out)
