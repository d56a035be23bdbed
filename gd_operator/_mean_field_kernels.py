"""numba kernels of the mean-field two-layer network (private; front end: gd_operator.mean_field).

Network f(x) = (1/m) sum_i a_i phi(<w_i, x> + b_i), W [m, d], b [m], a [m]; a batch X [B, d]
(C-contiguous), labels y [B].  Loss L = (1/2B) sum_s (f(x_s) - y_s)^2, r_s = f(x_s) - y_s.
Mean-field gradients (m times the parameter gradient, so every unit moves O(1)):

    g_a[i] = (1/B) sum_s r_s phi(z_si),
    g_b[i] = (1/B) sum_s r_s a_i phi'(z_si),
    g_W[i] = (1/B) sum_s r_s a_i phi'(z_si) x_s,          z_si = <w_i, x_s> + b_i.

The kernels write into arrays the front end allocates: Z [B, m] (pre-activations, then phi),
D [B, m] (phi', then the back-propagated r_s a_i phi'(z_si) / B), f [B].  The two matrix
products go through np.dot (BLAS); the element-wise passes are fused loops.

Activation codes: those of gd_operator's GD kernels (harmonics.activations.KERNEL_CODES, via
gd_operator._gd_kernels._phi / _dphi / _phi_p / _dphi_p), plus HERMITE = -1 with params [k]:
phi = He_k / sqrt(k!) (normalized recurrence), phi' = sqrt(k) psi_{k-1}.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._gd_kernels import _dphi, _dphi_p, _phi, _phi_p, _uses_params

HERMITE = -1


@njit(cache=True, inline="always")
def _psi_pair(k, z):
    """(psi_k(z), psi_{k-1}(z)) by the normalized Hermite recurrence (psi_{-1} = 0)."""
    prev = 0.0
    cur = 1.0
    for j in range(k):
        nxt = (z * cur - math.sqrt(j) * prev) / math.sqrt(j + 1)
        prev = cur
        cur = nxt
    return cur, prev


@njit(cache=True, inline="always")
def _act(code, prm, z):
    """(phi(z), phi'(z))."""
    if code == HERMITE:
        k = int(prm[0])
        p, q = _psi_pair(k, z)
        return p, math.sqrt(k) * q
    if _uses_params(code, prm):
        return _phi_p(code, prm, z), _dphi_p(code, prm, z)
    return _phi(code, z), _dphi(code, z)


@njit(cache=True)
def forward(X, W, b, a, code, prm, Z, f):
    """f[s] = (1/m) sum_i a_i phi(<w_i, x_s> + b_i); Z [B, m] is scratch (holds phi)."""
    B = X.shape[0]
    m = W.shape[0]
    np.dot(X, W.T, Z)
    for s in range(B):
        acc = 0.0
        for i in range(m):
            v, _ = _act(code, prm, Z[s, i] + b[i])
            Z[s, i] = v
            acc += a[i] * v
        f[s] = acc / m


@njit(cache=True)
def accumulate_gradients(X, y, W, b, a, code, prm, scale, Z, D, f, gW, gb, ga, tmp, first):
    """Add ``scale`` * (the mean-field gradients of the batch, without the 1/B) to gW, gb, ga.

    The front end passes scale = 1/(total number of samples) so chunks of a full batch add up
    to the full-batch gradient; ``first`` overwrites instead of adding (tmp [m, d] is scratch
    for the later chunks).  Returns the batch's sum of squared residuals.
    """
    B = X.shape[0]
    m = W.shape[0]
    np.dot(X, W.T, Z)
    if first:
        gb[:] = 0.0
        ga[:] = 0.0
    sse = 0.0
    for s in range(B):
        acc = 0.0
        for i in range(m):
            v, dv = _act(code, prm, Z[s, i] + b[i])
            Z[s, i] = v
            D[s, i] = dv
            acc += a[i] * v
        f[s] = acc / m
        r = f[s] - y[s]
        sse += r * r
        rs = r * scale
        for i in range(m):
            ga[i] += rs * Z[s, i]
            t = rs * a[i] * D[s, i]
            D[s, i] = t
            gb[i] += t
    # gW += D^T X  (D now holds r_s a_i phi'(z_si) * scale)
    if first:
        np.dot(D.T, X, gW)
    else:
        np.dot(D.T, X, tmp)
        gW += tmp
    return sse


@njit(cache=True)
def apply_update(W, b, a, gW, gb, ga, lr_w, lr_b, lr_a, wd, spherical):
    """theta -= lr (g + wd theta) per layer (lr 0 freezes a layer); rows of W renormalized to
    unit length when ``spherical`` (projected SGD on the sphere, Ben Arous et al. 2021)."""
    m, d = W.shape
    for i in range(m):
        if lr_w != 0.0:
            nrm = 0.0
            for j in range(d):
                W[i, j] -= lr_w * (gW[i, j] + wd * W[i, j])
                nrm += W[i, j] * W[i, j]
            if spherical and nrm > 0.0:
                inv = 1.0 / math.sqrt(nrm)
                for j in range(d):
                    W[i, j] *= inv
        if lr_b != 0.0:
            b[i] -= lr_b * (gb[i] + wd * b[i])
        if lr_a != 0.0:
            a[i] -= lr_a * (ga[i] + wd * a[i])


@njit(cache=True)
def online_steps(
    X,
    y,
    batch,
    W,
    b,
    a,
    code,
    prm,
    lr_w,
    lr_b,
    lr_a,
    wd,
    spherical,
    Z,
    D,
    f,
    gW,
    gb,
    ga,
    tmp,
    loss,
):
    """len(loss) online-SGD steps: step t uses rows [t batch, (t+1) batch) of X, y (fresh
    samples each step, drawn by the front end); loss[t] = the batch's (1/2B) sum r^2 before
    the step."""
    T = loss.size
    inv = 1.0 / batch
    for t in range(T):
        lo = t * batch
        sse = accumulate_gradients(
            X[lo : lo + batch],
            y[lo : lo + batch],
            W,
            b,
            a,
            code,
            prm,
            inv,
            Z,
            D,
            f,
            gW,
            gb,
            ga,
            tmp,
            True,
        )
        loss[t] = 0.5 * sse * inv
        apply_update(W, b, a, gW, gb, ga, lr_w, lr_b, lr_a, wd, spherical)
