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
10 polynomial (identity = coefficients (0, 1)), 11 leaky_relu (negative slope in params),
12 leaky_step (1 / slope, their mean at 0), 13 silu, 14 sin, 15 cos.  The derivative of
step, leaky_step and sign is taken as 0 (their classical derivative; the Dirac part is
dropped): simulate trains only the output layer of such networks.

fastmath is restricted to {'reassoc', 'contract'} (no 'nnan'/'ninf': NaN checks must keep
working) so reductions can vectorize; tests bound the difference from a numpy reference.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from harmonics._infra.threads import PARALLEL_MIN_WORK, run_kernel

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
    if code == 11:  # leaky_relu, negative slope prm[0]
        return z if z > 0 else prm[0] * z
    if code == 12:  # leaky_step: 1 for z > 0, prm[0] for z < 0, their mean at 0
        return 1.0 if z > 0 else (prm[0] if z < 0 else 0.5 * (1.0 + prm[0]))
    if code == 13:  # silu = z sigmoid(z)
        return z / (1.0 + math.exp(-z))
    if code == 14:
        return math.sin(z)
    if code == 15:
        return math.cos(z)
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
    if code == 8 or code == 9 or code == 12:
        return 0.0  # the classical derivative of a jump (its Dirac part is dropped)
    if code == 11:
        return 1.0 if z > 0 else (prm[0] if z < 0 else 0.5 * (1.0 + prm[0]))
    if code == 13:
        sg = 1.0 / (1.0 + math.exp(-z))
        return sg * (1.0 + z * (1.0 - sg))
    if code == 14:
        return math.cos(z)
    if code == 15:
        return -math.sin(z)
    d = prm.size - 1  # code 10
    acc = d * prm[d]
    for j in range(d - 1, 0, -1):
        acc = acc * z + j * prm[j]
    return acc


@njit(cache=True, inline="always")
def _uses_params(code, prm):
    return code >= 8 or (code == 7 and prm[0] != 2.0)


# ------------------------------------------------------------------ pre-activations
# z[s] = b_i + sum_d W[i, d] XT[d, s], built in passes of up to four input coordinates per
# sweep over the samples (one load/store of z per four multiply-adds; n <= 4: a single pass).


@njit(cache=True, fastmath=_FM, inline="always")
def _preact(W, b, XT, i, z):
    """z[s] = <w_i, x_s> + b_i for all s (contiguous in s)."""
    n, N = XT.shape
    bi = b[i]
    d = 0
    while d < n:
        c = min(4, n - d)
        x0 = XT[d]
        w0 = W[i, d]
        if c == 1:
            if d == 0:
                for s in range(N):
                    z[s] = bi + w0 * x0[s]
            else:
                for s in range(N):
                    z[s] += w0 * x0[s]
        elif c == 2:
            x1 = XT[d + 1]
            w1 = W[i, d + 1]
            if d == 0:
                for s in range(N):
                    z[s] = bi + w0 * x0[s] + w1 * x1[s]
            else:
                for s in range(N):
                    z[s] += w0 * x0[s] + w1 * x1[s]
        elif c == 3:
            x1, x2 = XT[d + 1], XT[d + 2]
            w1, w2 = W[i, d + 1], W[i, d + 2]
            if d == 0:
                for s in range(N):
                    z[s] = bi + w0 * x0[s] + w1 * x1[s] + w2 * x2[s]
            else:
                for s in range(N):
                    z[s] += w0 * x0[s] + w1 * x1[s] + w2 * x2[s]
        else:
            x1, x2, x3 = XT[d + 1], XT[d + 2], XT[d + 3]
            w1, w2, w3 = W[i, d + 1], W[i, d + 2], W[i, d + 3]
            if d == 0:
                for s in range(N):
                    z[s] = bi + w0 * x0[s] + w1 * x1[s] + w2 * x2[s] + w3 * x3[s]
            else:
                for s in range(N):
                    z[s] += w0 * x0[s] + w1 * x1[s] + w2 * x2[s] + w3 * x3[s]
        d += c
    if n == 0:
        for s in range(N):
            z[s] = bi


@njit(cache=True, fastmath=_FM, inline="always")
def _grad_w(g, XT, scale, gW, i):
    """gW[i, d] = scale * sum_s g[s] XT[d, s], four coordinates per sweep over the samples."""
    n, N = XT.shape
    d = 0
    while d < n:
        c = min(4, n - d)
        x0 = XT[d]
        x1 = XT[d + 1] if c > 1 else x0
        x2 = XT[d + 2] if c > 2 else x0
        x3 = XT[d + 3] if c > 3 else x0
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        if c == 1:
            for s in range(N):
                a0 += g[s] * x0[s]
        elif c == 2:
            for s in range(N):
                a0 += g[s] * x0[s]
                a1 += g[s] * x1[s]
        elif c == 3:
            for s in range(N):
                a0 += g[s] * x0[s]
                a1 += g[s] * x1[s]
                a2 += g[s] * x2[s]
        else:
            for s in range(N):
                a0 += g[s] * x0[s]
                a1 += g[s] * x1[s]
                a2 += g[s] * x2[s]
                a3 += g[s] * x3[s]
        gW[i, d] = a0 * scale
        if c > 1:
            gW[i, d + 1] = a1 * scale
        if c > 2:
            gW[i, d + 2] = a2 * scale
        if c > 3:
            gW[i, d + 3] = a3 * scale
        d += c


# ------------------------------------------------------------------ four units per sweep
# The generic kernels take units four at a time: one sweep over the samples loads each input
# coordinate once for four units (16 multiply-adds per 4 loads instead of 4 per 5), and the
# last pass over the coordinates computes the pre-activations in registers and applies the
# activation there (no store and reload of z).  Units left over in a block (< 4) take the
# single-unit path above.


@njit(cache=True, inline="always")
def _rows4(XT, d):
    """The input rows d..d+3 (rows past n repeat row d; their weights are 0)."""
    n = XT.shape[0]
    x0 = XT[d]
    x1 = XT[d + 1] if d + 1 < n else x0
    x2 = XT[d + 2] if d + 2 < n else x0
    x3 = XT[d + 3] if d + 3 < n else x0
    return x0, x1, x2, x3


@njit(cache=True, inline="always")
def _weights4(W, i, d):
    """W[i..i+3, d..d+3] row by row as 16 scalars, 0 past column n."""
    n = W.shape[1]
    c1 = d + 1 < n
    c2 = d + 2 < n
    c3 = d + 3 < n
    return (
        W[i, d], W[i, d + 1] if c1 else 0.0, W[i, d + 2] if c2 else 0.0, W[i, d + 3] if c3 else 0.0,
        W[i + 1, d], W[i + 1, d + 1] if c1 else 0.0, W[i + 1, d + 2] if c2 else 0.0,
        W[i + 1, d + 3] if c3 else 0.0,
        W[i + 2, d], W[i + 2, d + 1] if c1 else 0.0, W[i + 2, d + 2] if c2 else 0.0,
        W[i + 2, d + 3] if c3 else 0.0,
        W[i + 3, d], W[i + 3, d + 1] if c1 else 0.0, W[i + 3, d + 2] if c2 else 0.0,
        W[i + 3, d + 3] if c3 else 0.0,
    )  # fmt: skip


@njit(cache=True, fastmath=_FM, inline="always")
def _partial4(W, b, XT, i, z0, z1, z2, z3):
    """z_u[s] = b_{i+u} + sum_{e < d} W[i+u, e] XT[e, s] for u = 0..3, over all but the last
    (up to four) coordinates; returns d, the first coordinate of that last pass."""
    n, N = XT.shape
    b0, b1, b2, b3 = b[i], b[i + 1], b[i + 2], b[i + 3]
    d = 0
    while d + 4 < n:
        x0, x1, x2, x3 = XT[d], XT[d + 1], XT[d + 2], XT[d + 3]
        w00, w01, w02, w03, w10, w11, w12, w13, w20, w21, w22, w23, w30, w31, w32, w33 = _weights4(
            W, i, d
        )
        if d == 0:
            for s in range(N):
                e0, e1, e2, e3 = x0[s], x1[s], x2[s], x3[s]
                z0[s] = b0 + w00 * e0 + w01 * e1 + w02 * e2 + w03 * e3
                z1[s] = b1 + w10 * e0 + w11 * e1 + w12 * e2 + w13 * e3
                z2[s] = b2 + w20 * e0 + w21 * e1 + w22 * e2 + w23 * e3
                z3[s] = b3 + w30 * e0 + w31 * e1 + w32 * e2 + w33 * e3
        else:
            for s in range(N):
                e0, e1, e2, e3 = x0[s], x1[s], x2[s], x3[s]
                z0[s] += w00 * e0 + w01 * e1 + w02 * e2 + w03 * e3
                z1[s] += w10 * e0 + w11 * e1 + w12 * e2 + w13 * e3
                z2[s] += w20 * e0 + w21 * e1 + w22 * e2 + w23 * e3
                z3[s] += w30 * e0 + w31 * e1 + w32 * e2 + w33 * e3
        d += 4
    if d == 0:
        for s in range(N):
            z0[s] = b0
            z1[s] = b1
            z2[s] = b2
            z3[s] = b3
    return d


@njit(cache=True, fastmath=_FM, inline="always")
def _last4(z0, z1, z2, z3, x0, x1, x2, x3, w, s):
    """The four pre-activations at sample s: the partial sums plus the last pass."""
    e0, e1, e2, e3 = x0[s], x1[s], x2[s], x3[s]
    u0 = z0[s] + w[0] * e0 + w[1] * e1 + w[2] * e2 + w[3] * e3
    u1 = z1[s] + w[4] * e0 + w[5] * e1 + w[6] * e2 + w[7] * e3
    u2 = z2[s] + w[8] * e0 + w[9] * e1 + w[10] * e2 + w[11] * e3
    u3 = z3[s] + w[12] * e0 + w[13] * e1 + w[14] * e2 + w[15] * e3
    return u0, u1, u2, u3


@njit(cache=True, fastmath=_FM, inline="always")
def _finish4(z0, z1, z2, z3, x0, x1, x2, x3, w):
    """The last pass stored: z_u[s] becomes the pre-activation."""
    for s in range(z0.size):
        z0[s], z1[s], z2[s], z3[s] = _last4(z0, z1, z2, z3, x0, x1, x2, x3, w, s)


@njit(cache=True, fastmath=_FM)
def _add_phi(code, prm, with_params, z, ai, acc):
    """acc[s] += ai phi(z[s])."""
    if with_params:
        for s in range(z.size):
            acc[s] += ai * _phi_p(code, prm, z[s])
    else:
        for s in range(z.size):
            acc[s] += ai * _phi(code, z[s])


@njit(cache=True, fastmath=_FM)
def _phi_terms(code, prm, with_params, z, rr):
    """(sum_s r_s phi(z_s), sum_s g_s) with g_s = r_s phi'(z_s) written over z."""
    sa = 0.0
    sb = 0.0
    if with_params:
        for s in range(z.size):
            zs = z[s]
            sa += rr[s] * _phi_p(code, prm, zs)
            z[s] = rr[s] * _dphi_p(code, prm, zs)
            sb += z[s]
    else:
        for s in range(z.size):
            zs = z[s]
            sa += rr[s] * _phi(code, zs)
            z[s] = rr[s] * _dphi(code, zs)
            sb += z[s]
    return sa, sb


@njit(cache=True, fastmath=_FM)
def _forward4(W, b, a, XT, i, code, prm, with_params, z0, z1, z2, z3, acc):
    """acc[s] += sum_{u < 4} a_{i+u} phi(z_{i+u, s})."""
    N = XT.shape[1]
    d = _partial4(W, b, XT, i, z0, z1, z2, z3)
    x0, x1, x2, x3 = _rows4(XT, d)
    w = _weights4(W, i, d)
    a0, a1, a2, a3 = a[i], a[i + 1], a[i + 2], a[i + 3]
    if code == 0:
        for s in range(N):
            u0, u1, u2, u3 = _last4(z0, z1, z2, z3, x0, x1, x2, x3, w, s)
            acc[s] += a0 * max(u0, 0.0) + a1 * max(u1, 0.0) + a2 * max(u2, 0.0) + a3 * max(u3, 0.0)
    else:  # one compiled copy of the activation loops (not four inlined ones: compile time)
        _finish4(z0, z1, z2, z3, x0, x1, x2, x3, w)
        _add_phi(code, prm, with_params, z0, a0, acc)
        _add_phi(code, prm, with_params, z1, a1, acc)
        _add_phi(code, prm, with_params, z2, a2, acc)
        _add_phi(code, prm, with_params, z3, a3, acc)


@njit(cache=True, fastmath=_FM)
def _gradients4(W, b, a, XT, i, code, prm, with_params, rr, scale, ga, gW, gb, want_hidden,
                z0, z1, z2, z3):  # fmt: skip
    """ga, gb, gW of units i..i+3 (see _gradients); the buffers end up holding
    g_u[s] = r_s phi'(z_{i+u, s})."""
    n, N = XT.shape
    d = _partial4(W, b, XT, i, z0, z1, z2, z3)
    x0, x1, x2, x3 = _rows4(XT, d)
    w = _weights4(W, i, d)
    sa0, sa1, sa2, sa3 = 0.0, 0.0, 0.0, 0.0
    sb0, sb1, sb2, sb3 = 0.0, 0.0, 0.0, 0.0
    if code == 0 and not want_hidden:
        for s in range(N):
            u0, u1, u2, u3 = _last4(z0, z1, z2, z3, x0, x1, x2, x3, w, s)
            r = rr[s]
            sa0 += r * max(u0, 0.0)
            sa1 += r * max(u1, 0.0)
            sa2 += r * max(u2, 0.0)
            sa3 += r * max(u3, 0.0)
    elif code == 0:
        for s in range(N):
            u0, u1, u2, u3 = _last4(z0, z1, z2, z3, x0, x1, x2, x3, w, s)
            r = rr[s]
            g0 = r if u0 > 0.0 else 0.0
            g1 = r if u1 > 0.0 else 0.0
            g2 = r if u2 > 0.0 else 0.0
            g3 = r if u3 > 0.0 else 0.0
            sa0 += g0 * u0
            sa1 += g1 * u1
            sa2 += g2 * u2
            sa3 += g3 * u3
            sb0 += g0
            sb1 += g1
            sb2 += g2
            sb3 += g3
            z0[s], z1[s], z2[s], z3[s] = g0, g1, g2, g3
    else:
        _finish4(z0, z1, z2, z3, x0, x1, x2, x3, w)
        sa0, sb0 = _phi_terms(code, prm, with_params, z0, rr)
        sa1, sb1 = _phi_terms(code, prm, with_params, z1, rr)
        sa2, sb2 = _phi_terms(code, prm, with_params, z2, rr)
        sa3, sb3 = _phi_terms(code, prm, with_params, z3, rr)
    ga[i], ga[i + 1], ga[i + 2], ga[i + 3] = sa0 * scale, sa1 * scale, sa2 * scale, sa3 * scale
    if not want_hidden:
        return
    s0, s1, s2, s3 = a[i] * scale, a[i + 1] * scale, a[i + 2] * scale, a[i + 3] * scale
    gb[i], gb[i + 1], gb[i + 2], gb[i + 3] = sb0 * s0, sb1 * s1, sb2 * s2, sb3 * s3
    # gW[i+u, d+e] = s_u sum_s g_u[s] XT[d+e, s]: 16 running sums per sweep
    d = 0
    while d < n:
        x0, x1, x2, x3 = _rows4(XT, d)
        q00, q01, q02, q03, q10, q11, q12, q13 = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        q20, q21, q22, q23, q30, q31, q32, q33 = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        for s in range(N):
            e0, e1, e2, e3 = x0[s], x1[s], x2[s], x3[s]
            g0, g1, g2, g3 = z0[s], z1[s], z2[s], z3[s]
            q00 += g0 * e0
            q01 += g0 * e1
            q02 += g0 * e2
            q03 += g0 * e3
            q10 += g1 * e0
            q11 += g1 * e1
            q12 += g1 * e2
            q13 += g1 * e3
            q20 += g2 * e0
            q21 += g2 * e1
            q22 += g2 * e2
            q23 += g2 * e3
            q30 += g3 * e0
            q31 += g3 * e1
            q32 += g3 * e2
            q33 += g3 * e3
        q = (q00, q01, q02, q03, q10, q11, q12, q13, q20, q21, q22, q23, q30, q31, q32, q33)
        for e in range(min(4, n - d)):
            gW[i, d + e] = q[e] * s0
            gW[i + 1, d + e] = q[4 + e] * s1
            gW[i + 2, d + e] = q[8 + e] * s2
            gW[i + 3, d + e] = q[12 + e] * s3
        d += 4


# ------------------------------------------------------------------ batched kernels
# R independent networks (same m, n, N and activation) in one call: W [R, m, n], b [R, m],
# a [R, m], XT [R, n, N] (each run its own sample), residuals / outputs [R, N]; ``runs`` lists
# the runs to compute (the others are left untouched).  Work is split into tasks (run, block
# of units); a task's arithmetic does not depend on R, on the other runs or on the thread
# count, so a run computed in a batch has the same bits as the run computed alone (a single
# run is the batch R = 1).

_BLOCKS = 64  # forward: fixed partial sums per run (units split into <= 64 contiguous blocks)
_CHUNK = 32  # gradients: units per task


def _forward(W, b, a, XT, runs, code, prm, out):
    """out[r, s] = (1/sqrt m) sum_i a[r, i] phi(<W[r, i], x_rs> + b[r, i]) for r in ``runs``.

    Partial sums over <= 64 fixed contiguous blocks of whole groups of four units, reduced in
    block order."""
    m = W.shape[1]
    N = XT.shape[2]
    J = runs.size
    with_params = _uses_params(code, prm)
    groups = (m + 3) // 4  # blocks hold whole groups of four units (the last: the remainder)
    nblocks = min(groups, _BLOCKS)
    partial = np.zeros((J, nblocks, N))
    for task in prange(J * nblocks):
        j = task // nblocks
        blk = task - j * nblocks
        r = runs[j]
        Wr, br, ar, XTr = W[r], b[r], a[r], XT[r]
        z = np.empty(N)
        z1, z2, z3 = np.empty(N), np.empty(N), np.empty(N)
        acc = partial[j, blk]
        n = XTr.shape[0]
        i0 = 4 * ((blk * groups) // nblocks)
        i1 = min(m, 4 * (((blk + 1) * groups) // nblocks))
        if not (code == 0 and n == 2):
            while i0 + 4 <= i1:
                _forward4(Wr, br, ar, XTr, i0, code, prm, with_params, z, z1, z2, z3, acc)
                i0 += 4
        for i in range(i0, i1):
            ai = ar[i]
            if code == 0 and n == 2:  # one fused sweep (the circle: Basri et al.)
                x0, x1 = XTr[0], XTr[1]
                w0, w1, bi = Wr[i, 0], Wr[i, 1], br[i]
                for s in range(N):
                    acc[s] += ai * max(bi + w0 * x0[s] + w1 * x1[s], 0.0)
                continue
            _preact(Wr, br, XTr, i, z)
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
    for j in prange(J):
        r = runs[j]
        for s in range(N):
            tot = 0.0
            for blk in range(nblocks):
                tot += partial[j, blk, s]
            out[r, s] = tot * scale


def _gradients(W, b, a, XT, runs, code, prm, res, ga, gW, gb, want_hidden):
    """Gradients of L_r = (1/2N) sum_s res[r, s]^2 (res = f - y, the residual) for r in runs.

    ga[r, i] = (1/(N sqrt m)) sum_s res_s phi(z_is);  gW[r, i, :] = (a_i/(N sqrt m)) sum_s
    res_s phi'(z_is) x_s;  gb[r, i] likewise without x.  Pre-activations are recomputed
    (four units per sweep, _gradients4) into buffers of N values (in cache): no [m, N]
    temporaries.
    """
    m = W.shape[1]
    N = XT.shape[2]
    J = runs.size
    with_params = _uses_params(code, prm)
    scale = 1.0 / (N * math.sqrt(m))
    nchunks = (m + _CHUNK - 1) // _CHUNK
    for task in prange(J * nchunks):
        j = task // nchunks
        c0 = (task - j * nchunks) * _CHUNK
        r = runs[j]
        Wr, br, ar, XTr, rr = W[r], b[r], a[r], XT[r], res[r]
        gar, gWr, gbr = ga[r], gW[r], gb[r]
        z = np.empty(N)
        g = np.empty(N)
        z2, z3 = np.empty(N), np.empty(N)
        n = XTr.shape[0]
        i0, i1 = c0, min(c0 + _CHUNK, m)
        if not (code == 0 and n == 2 and want_hidden):
            while i0 + 4 <= i1:
                _gradients4(Wr, br, ar, XTr, i0, code, prm, with_params, rr, scale, gar, gWr,
                            gbr, want_hidden, z, g, z2, z3)  # fmt: skip
                i0 += 4
        for i in range(i0, i1):
            if code == 0 and n == 2 and want_hidden:  # one fused sweep, no buffers
                x0, x1 = XTr[0], XTr[1]
                w0, w1, bi = Wr[i, 0], Wr[i, 1], br[i]
                s_a = 0.0
                s_b = 0.0
                s_0 = 0.0
                s_1 = 0.0
                for s in range(N):
                    zs = bi + w0 * x0[s] + w1 * x1[s]
                    gs = rr[s] * (1.0 if zs > 0.0 else 0.0)
                    s_a += gs * zs
                    s_b += gs
                    s_0 += gs * x0[s]
                    s_1 += gs * x1[s]
                gar[i] = s_a * scale
                ai = ar[i] * scale
                gbr[i] = s_b * ai
                gWr[i, 0] = s_0 * ai
                gWr[i, 1] = s_1 * ai
                continue
            _preact(Wr, br, XTr, i, z)
            s_a = 0.0
            s_b = 0.0
            if code == 0:
                if want_hidden:
                    for s in range(N):
                        gs = rr[s] * (1.0 if z[s] > 0.0 else 0.0)  # (a select does not vectorize)
                        g[s] = gs
                        s_a += gs * z[s]
                        s_b += gs
                else:
                    for s in range(N):
                        s_a += rr[s] * max(z[s], 0.0)
            elif with_params:
                for s in range(N):
                    s_a += rr[s] * _phi_p(code, prm, z[s])
                    g[s] = rr[s] * _dphi_p(code, prm, z[s])
                    s_b += g[s]
            else:
                for s in range(N):
                    s_a += rr[s] * _phi(code, z[s])
                    g[s] = rr[s] * _dphi(code, z[s])
                    s_b += g[s]
            gar[i] = s_a * scale
            if want_hidden:
                ai = ar[i] * scale
                gbr[i] = s_b * ai
                _grad_w(g, XTr, ai, gWr, i)


# One parallel compilation per kernel; small problems run it on one numba thread
# (harmonics._infra.threads.run_kernel, the one policy, shared with the pair kernels behind the
# energy records): the same machine code and fixed blocking at every size, so the same bits.
_forward_kernel = njit(cache=True, parallel=True, fastmath=_FM)(_forward)
_gradients_kernel = njit(cache=True, parallel=True, fastmath=_FM)(_gradients)

_ONE_RUN = np.zeros(1, dtype=np.int64)


def _all_runs(R, runs):
    return np.arange(R, dtype=np.int64) if runs is None else np.asarray(runs, dtype=np.int64)


def forward_batch(W, b, a, XT, code, out, params=_NO_PARAMS, runs=None):
    """Batched forward pass (see _forward): W [R, m, n], b, a [R, m], XT [R, n, N], out [R, N];
    ``runs``: indices of the runs to compute (default all)."""
    runs = _all_runs(W.shape[0], runs)
    work = runs.size * W.shape[1] * XT.shape[2] * (XT.shape[1] + 1)
    prm = np.asarray(params, dtype=np.float64)
    run_kernel(_forward_kernel, work, W, b, a, XT, runs, code, prm, out)


def gradients_batch(W, b, a, XT, code, r, ga, gW, gb, want_hidden, params=_NO_PARAMS, runs=None):
    """Batched gradients (see _gradients): shapes as :func:`forward_batch`, r [R, N] the
    residuals f - y, ga and gb [R, m], gW [R, m, n]."""
    runs = _all_runs(W.shape[0], runs)
    work = runs.size * W.shape[1] * XT.shape[2] * (2 * XT.shape[1] + 2)
    prm = np.asarray(params, dtype=np.float64)
    run_kernel(_gradients_kernel, work, W, b, a, XT, runs, code, prm, r, ga, gW, gb, want_hidden)


def forward(W, b, a, XT, code, out, params=_NO_PARAMS):
    """out[s] = (1/sqrt m) sum_i a_i phi(<w_i, x_s> + b_i): the batch of one run (W [m, n],
    b, a [m], XT [n, N], out [N]); ``code`` and ``params``: harmonics.Activation.kernel_code /
    kernel_params."""
    forward_batch(W[None], b[None], a[None], XT[None], code, out[None], params, _ONE_RUN)


def gradients(W, b, a, XT, code, r, ga, gW, gb, want_hidden, params=_NO_PARAMS):
    """Gradients of the empirical loss of one run (see _gradients)."""
    gradients_batch(
        W[None],
        b[None],
        a[None],
        XT[None],
        code,
        r[None],
        ga[None],
        gW[None],
        gb[None],
        want_hidden,
        params,
        _ONE_RUN,
    )


# ------------------------------------------------------------------ ReLU on the circle
# n = 2, unit inputs x_s = (cos t_s, sin t_s): z_is = <w_i, x_s> + b_i = |w_i| cos(t_s - p_i)
# + b_i is positive exactly on the open arc |t - p_i| < h_i, h_i = arccos(-b_i / |w_i|).  With
# the samples sorted by angle once, the arc is a contiguous (circular) index range, found by
# binary search, so
#   forward:   f_s = (1/sqrt m)(A_s + B_s x_s0 + C_s x_s1), (A, B, C)_s = sum over the units
#              whose arc holds s of a_i (b_i, w_i0, w_i1): difference arrays + one prefix sum;
#   gradients: the sums over the arc of r_s, r_s x_s0, r_s x_s1 are differences of prefix sums,
#              and sum_s r_s relu(z_is) = b_i S_r + w_i0 S_0 + w_i1 S_1 (z is linear on the arc).
# O(m log N + N) per step instead of O(m N).  Membership is decided by the angle, not by the
# sign of the rounded z_is: they differ only for a sample within rounding (~1e-16 rad) of an arc
# end, where relu(z) ~ 1e-16; prefix sums add rounding ~eps * sum |terms| (tests bound the
# difference from the direct kernels).  Every run is computed on its own (batch-independent).


def circle_layout(XT):
    """(theta [R, N] sorted angles, XS [R, 2, N] the points in that order, perm [R, N] int64:
    sorted position -> sample index) of unit inputs on the circle, XT [R, 2, N]."""
    theta = np.arctan2(XT[:, 1, :], XT[:, 0, :])
    perm = np.argsort(theta, axis=1, kind="stable").astype(np.int64)
    theta = np.take_along_axis(theta, perm, axis=1)
    XS = np.stack([np.take_along_axis(XT[:, d, :], perm, axis=1) for d in range(2)], axis=1)
    return np.ascontiguousarray(theta), np.ascontiguousarray(XS), np.ascontiguousarray(perm)


@njit(cache=True, inline="always")
def _arc(theta, w0, w1, bi):
    """Index ranges [lo1, hi1) + [lo2, hi2) of the sorted angles where w.x + b > 0."""
    N = theta.size
    rho = math.hypot(w0, w1)
    if rho == 0.0:  # z = b everywhere
        return (0, N, 0, 0) if bi > 0.0 else (0, 0, 0, 0)
    c = -bi / rho  # z > 0 <=> cos(t - p) > c
    if c < -1.0:
        return 0, N, 0, 0
    if c >= 1.0:
        return 0, 0, 0, 0
    p = math.atan2(w1, w0)
    h = math.acos(c)
    lo_t, hi_t = p - h, p + h
    if lo_t < -math.pi:
        lo = np.searchsorted(theta, lo_t + 2.0 * math.pi, side="right")
        hi = np.searchsorted(theta, hi_t, side="left")
        return lo, N, 0, hi
    if hi_t > math.pi:
        lo = np.searchsorted(theta, lo_t, side="right")
        hi = np.searchsorted(theta, hi_t - 2.0 * math.pi, side="left")
        return lo, N, 0, hi
    lo = np.searchsorted(theta, lo_t, side="right")
    hi = np.searchsorted(theta, hi_t, side="left")
    return lo, hi, 0, 0


def _forward_circle(W, b, a, theta, XS, perm, runs, out):
    """out[r, perm[s]] = f(x_s) for ReLU units on the circle (see above)."""
    m = W.shape[1]
    N = theta.shape[1]
    scale = 1.0 / math.sqrt(m)
    for j in prange(runs.size):
        r = runs[j]
        th = theta[r]
        D = np.zeros((3, N + 1))  # difference arrays of (A, B, C)
        for i in range(m):
            w0, w1, bi, ai = W[r, i, 0], W[r, i, 1], b[r, i], a[r, i]
            lo1, hi1, lo2, hi2 = _arc(th, w0, w1, bi)
            ab, a0, a1 = ai * bi, ai * w0, ai * w1
            if hi1 > lo1:
                D[0, lo1] += ab
                D[1, lo1] += a0
                D[2, lo1] += a1
                D[0, hi1] -= ab
                D[1, hi1] -= a0
                D[2, hi1] -= a1
            if hi2 > lo2:
                D[0, lo2] += ab
                D[1, lo2] += a0
                D[2, lo2] += a1
                D[0, hi2] -= ab
                D[1, hi2] -= a0
                D[2, hi2] -= a1
        A = 0.0
        B = 0.0
        C = 0.0
        for s in range(N):
            A += D[0, s]
            B += D[1, s]
            C += D[2, s]
            out[r, perm[r, s]] = (A + B * XS[r, 0, s] + C * XS[r, 1, s]) * scale


def _gradients_circle(W, b, a, theta, XS, perm, runs, res, ga, gW, gb, want_hidden):
    """The gradients of _gradients for ReLU units on the circle (see above)."""
    m = W.shape[1]
    N = theta.shape[1]
    scale = 1.0 / (N * math.sqrt(m))
    for j in prange(runs.size):
        r = runs[j]
        th = theta[r]
        P = np.zeros((3, N + 1))  # prefix sums of r_s, r_s x_s0, r_s x_s1 (sorted order)
        for s in range(N):
            rs = res[r, perm[r, s]]
            P[0, s + 1] = P[0, s] + rs
            P[1, s + 1] = P[1, s] + rs * XS[r, 0, s]
            P[2, s + 1] = P[2, s] + rs * XS[r, 1, s]
        for i in range(m):
            w0, w1, bi = W[r, i, 0], W[r, i, 1], b[r, i]
            lo1, hi1, lo2, hi2 = _arc(th, w0, w1, bi)
            S0 = P[0, hi1] - P[0, lo1] + P[0, hi2] - P[0, lo2]
            S1 = P[1, hi1] - P[1, lo1] + P[1, hi2] - P[1, lo2]
            S2 = P[2, hi1] - P[2, lo1] + P[2, hi2] - P[2, lo2]
            ga[r, i] = (bi * S0 + w0 * S1 + w1 * S2) * scale
            if want_hidden:
                ai = a[r, i] * scale
                gb[r, i] = S0 * ai
                gW[r, i, 0] = S1 * ai
                gW[r, i, 1] = S2 * ai


# No fastmath: the prefix sums are sequential by design.
_forward_circle_kernel = njit(cache=True, parallel=True)(_forward_circle)
_gradients_circle_kernel = njit(cache=True, parallel=True)(_gradients_circle)


def forward_circle(W, b, a, layout, out, runs=None):
    """:func:`forward_batch` for ReLU on the circle; ``layout`` = circle_layout(XT)."""
    theta, XS, perm = layout
    runs = _all_runs(W.shape[0], runs)
    # prange over runs: one run is one task
    work = PARALLEL_MIN_WORK if runs.size > 1 else 0
    run_kernel(_forward_circle_kernel, work, W, b, a, theta, XS, perm, runs, out)


def gradients_circle(W, b, a, layout, r, ga, gW, gb, want_hidden, runs=None):
    """:func:`gradients_batch` for ReLU on the circle; ``layout`` = circle_layout(XT)."""
    theta, XS, perm = layout
    runs = _all_runs(W.shape[0], runs)
    work = PARALLEL_MIN_WORK if runs.size > 1 else 0
    args = (W, b, a, theta, XS, perm, runs, r, ga, gW, gb, want_hidden)
    run_kernel(_gradients_circle_kernel, work, *args)
