"""numba kernels for full-batch gradient descent and exact per-degree energies.

Private: the Python front ends (gd_operator.simulate) validate inputs, own the RNG and allocate
every output; these kernels only loop and write into the arrays they are given.

Network: f(x) = (1/sqrt m) sum_i a_i phi(<w_i, x> + b_i).  Empirical loss over N points
L = (1/2N) sum_s (f(x_s) - y_s)^2.  Inputs are stored transposed, XT [n, N], so the loops over
samples run over contiguous memory.

Activation codes: owned by :class:`harmonics.Activation` (``kernel_code``, with the parameters
of the base function in ``kernel_params``: the exponent of relu^p, polynomial coefficients);
see harmonics.activations.KERNEL_CODES.  0 relu (branch hoisted out of the inner loops),
1 sigmoid, 2 tanh, 3 erf, 4 softplus, 5 gelu, 6 abs, 7 relu^p, 8 step (1/2 at 0), 9 sign,
10 polynomial (identity = coefficients (0, 1)).  The derivative of step and sign is taken as 0
(their classical derivative; the Dirac part is dropped): simulate trains only the output layer
of such networks.

fastmath is restricted to {'reassoc', 'contract'} (no 'nnan'/'ninf': NaN checks must keep
working) so reductions can vectorize; tests bound the difference from a numpy reference.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from harmonics._infra.threads import parallel_pays

_FM = {"reassoc", "contract"}
_NO_PARAMS = np.zeros(1)

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


# Base functions with parameters (relu^p for p != 2, polynomials) and the jumps (step, sign):
# their own loops (_uses_params), so the compiled loops of the codes above are untouched.


@njit(cache=True, inline="always")
def _phi_p(code, prm, z):
    if code == 7:
        v = 1.0 if z > 0 else 0.0
        for _ in range(int(prm[0])):
            v *= z
        return v
    if code == 8:
        return 1.0 if z > 0 else (0.5 if z == 0 else 0.0)
    if code == 9:
        return 1.0 if z > 0 else (-1.0 if z < 0 else 0.0)
    acc = prm[prm.size - 1]  # code 10: Horner
    for j in range(prm.size - 2, -1, -1):
        acc = acc * z + prm[j]
    return acc


@njit(cache=True, inline="always")
def _dphi_p(code, prm, z):
    if code == 7:
        v = prm[0] if z > 0 else 0.0
        for _ in range(int(prm[0]) - 1):
            v *= z
        return v
    if code == 8 or code == 9:
        return 0.0  # the classical derivative of a jump (its Dirac part is dropped)
    d = prm.size - 1  # code 10
    acc = d * prm[d]
    for j in range(d - 1, 0, -1):
        acc = acc * z + j * prm[j]
    return acc


@njit(cache=True, inline="always")
def _uses_params(code, prm):
    return code >= 8 or (code == 7 and prm[0] != 2.0)


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


def _forward(W, b, a, XT, code, prm, out):
    """out[s] = (1/sqrt m) sum_i a_i phi(<w_i, x_s> + b_i).  Thread-local partial sums over
    blocks of hidden units, reduced at the end."""
    m = W.shape[0]
    N = XT.shape[1]
    with_params = _uses_params(code, prm)
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
            elif with_params:
                for s in range(N):
                    acc[s] += ai * _phi_p(code, prm, z[s])
            else:
                for s in range(N):
                    acc[s] += ai * _phi(code, z[s])
    scale = 1.0 / math.sqrt(m)
    for s in range(N):
        tot = 0.0
        for blk in range(nblocks):
            tot += partial[blk, s]
        out[s] = tot * scale


def _gradients(W, b, a, XT, code, prm, r, ga, gW, gb, want_hidden):
    """Gradients of L = (1/2N) sum_s r_s^2 with r = f - y given (r is the residual f - y).

    ga[i] = (1/(N sqrt m)) sum_s r_s phi(z_is);  gW[i, :] = (a_i/(N sqrt m)) sum_s r_s
    phi'(z_is) x_s;  gb[i] likewise without x.  Pre-activations are recomputed per unit (in
    cache) instead of stored: no [m, N] temporaries.
    """
    m, n = W.shape
    N = XT.shape[1]
    with_params = _uses_params(code, prm)
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
        elif with_params:
            for s in range(N):
                s_a += r[s] * _phi_p(code, prm, z[s])
                g[s] = r[s] * _dphi_p(code, prm, z[s])
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


# Each kernel is compiled twice from the same source: serial (prange runs as range) and
# parallel.  Small problems take the serial one (harmonics._infra.threads.parallel_pays, the
# one policy, shared with the pair kernel behind the energy records).  Both variants use the
# same fixed blocking, so they return identical bits.
_forward_serial = njit(cache=True, fastmath=_FM)(_forward)
_forward_parallel = njit(cache=True, parallel=True, fastmath=_FM)(_forward)
_gradients_serial = njit(cache=True, fastmath=_FM)(_gradients)
_gradients_parallel = njit(cache=True, parallel=True, fastmath=_FM)(_gradients)


def forward(W, b, a, XT, code, out, params=_NO_PARAMS):
    """out[s] = (1/sqrt m) sum_i a_i phi(<w_i, x_s> + b_i) (see _forward); ``code`` and
    ``params``: harmonics.Activation.kernel_code / kernel_params."""
    work = W.shape[0] * XT.shape[1] * (XT.shape[0] + 1)
    kernel = _forward_parallel if parallel_pays(work) else _forward_serial
    kernel(W, b, a, XT, code, np.asarray(params, dtype=np.float64), out)


def gradients(W, b, a, XT, code, r, ga, gW, gb, want_hidden, params=_NO_PARAMS):
    """Gradients of the empirical loss (see _gradients)."""
    work = W.shape[0] * XT.shape[1] * (2 * XT.shape[0] + 2)
    kernel = _gradients_parallel if parallel_pays(work) else _gradients_serial
    kernel(W, b, a, XT, code, np.asarray(params, dtype=np.float64), r, ga, gW, gb, want_hidden)
