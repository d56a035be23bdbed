"""Sums of ridge functions: exact degree-by-degree inner products and population Gram matrices.

A *ridge sum* is f(x) = sum_i c_i g_i(<u_i, x>) on S^{n-1}, with unit directions u_i and profiles
g_i on [-1, 1] whose Funk-Hecke eigenvalues lambda_k(g_i) are known.  Funk-Hecke,
<g(<u, .>), Y> = lambda_k(g) Y(u) for Y in H_k, and the addition theorem give for two ridge sums
f and h = sum_j d_j h_j(<v_j, x>) (docs/conventions.md: uniform probability measure,
P_{k,n}(1) = 1)

    <Pi_k f, Pi_k h> = N(n,k) sum_{i,j} c_i lambda_k(g_i) d_j lambda_k(h_j) P_{k,n}(<u_i, v_j>).

:class:`RidgeSumBase` is the one type that carries this formula.  Its subclasses only say what
their terms are -- :class:`harmonics.RidgeSum` (one registered or callable gate, unit
directions), the network units and targets of gd_operator (one gate per unit; Legendre profiles;
the teacher |<w, x>|), the hard family of sq_bounds (sqrt(N(n,k)) P_{k,n}(<u, x>)) -- and every
inner product, energy and correlation between any two of them is computed here, by one numba
pair kernel (harmonics._projection_kernels, also behind the Monte Carlo U-statistics of
harmonics.projection).

:func:`population_gram` is the one population Gram matrix G_ij = E_x[g(<w_i, x>) g(<w_j, x>)] of
the units of a network (random-features models of gd_operator.simulate and sq_bounds.oracle).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ._infra.threads import run_kernel
from .arccos import arccos_kappa
from .dimensions import dim_harmonics

# ------------------------------------------------------------------------------ pair sums


def _run_pair_kernel(U, cu, V, cv, n, K, *, reduce, F2=None, dims=None):
    from . import _projection_kernels as pk

    K = int(K)
    U = np.ascontiguousarray(U, dtype=np.float64)
    cu = np.ascontiguousarray(cu, dtype=np.float64)
    VT = np.ascontiguousarray(np.asarray(V, dtype=np.float64).T)
    cvT = np.ascontiguousarray(np.asarray(cv, dtype=np.float64).T)
    p, q = U.shape[0], VT.shape[1]
    if cu.shape != (p, K + 1) or cvT.shape != (K + 1, q) or VT.shape[0] != U.shape[1]:
        raise ValueError(
            f"pair sums: U {U.shape}, cu {cu.shape}, V {VT.T.shape}, cv {cvT.T.shape}, K = {K}"
        )
    second = F2 is not None
    out = np.zeros(K + 1)
    R = np.zeros((p, K + 1)) if not reduce else np.zeros((1, 1))
    if second:
        F2 = np.ascontiguousarray(F2, dtype=np.float64)
        dims = np.asarray([float(d) for d in dims])
        G2 = np.zeros((p, K + 1))
        S = np.zeros(p)
    else:
        F2, dims, G2, S = np.zeros(1), np.zeros(K + 1), np.zeros((1, 1)), np.zeros(1)
    work = p * q * (U.shape[1] + (4 if second else 2) * K + 1)
    args = (U, VT, cu, cvT, F2, dims, float(n), K, out, R, G2, S, reduce, second)
    run_kernel(pk.pair_sums_kernel, work, *args)
    if reduce:
        return out
    return (R, G2, S) if second else R


def pair_sums(U, cu, V, cv, n, K: int, *, F2=None, dims=None):
    """R[i, k] = cu[i, k] sum_j cv[j, k] P_{k,n}(<U_i, V_j>), k = 0..K: array [p, K+1].

    U [p, n] and V [q, n] unit rows, cu [p, K+1] and cv [q, K+1] per-point, per-degree weights.
    With ``F2`` ([q]) and ``dims`` ([K+1]) also the second-moment sums of the Monte Carlo
    U-statistics (harmonics._projection_kernels): returns (R, G2 [p, K+1], S [p]).
    The numba kernel (one or all numba threads by size; the same bits).
    """
    return _run_pair_kernel(U, cu, V, cv, n, K, reduce=False, F2=F2, dims=dims)


def _padded(U):
    """Rows of U with zero coordinates appended to a multiple of 4 (the chunked kernel takes
    four coordinates per pass; zeros add exact zeros to the inner products)."""
    p, d = U.shape
    D = -(-d // 4) * 4
    out = np.zeros((p, D))
    out[:, :d] = U
    return out


def degree_pair_sums(U, cu, V, cv, n, K: int, *, symmetric: bool = False) -> np.ndarray:
    """out[k] = sum_{i,j} cu[i, k] cv[j, k] P_{k,n}(<U_i, V_j>), k = 0..K (see :func:`pair_sums`).

    The blocked numba kernel (harmonics._projection_kernels.degree_sums: column chunks in L1,
    two degrees per pass).  ``symmetric=True`` asserts U = V and cu = cv (one ridge sum with
    itself): the pairs i < j are summed once and doubled, the diagonal is P_k(1) = 1; half the
    work.  Row sums reduced in a fixed order: deterministic for any thread count.
    """
    from . import _projection_kernels as pk

    K = int(K)
    U = np.asarray(U, dtype=np.float64)
    cu = np.ascontiguousarray(cu, dtype=np.float64)
    p, dim = U.shape
    if symmetric:
        V, cv = U, cu
    V = np.asarray(V, dtype=np.float64)
    q = V.shape[0]
    cvT = np.ascontiguousarray(np.asarray(cv, dtype=np.float64).T)
    if cu.shape != (p, K + 1) or cvT.shape != (K + 1, q) or V.shape[1] != dim:
        raise ValueError(
            f"pair sums: U {U.shape}, cu {cu.shape}, V {V.shape}, cv {cvT.T.shape}, K = {K}"
        )
    Up = _padded(U)
    VT = np.ascontiguousarray(Up.T) if symmetric else np.ascontiguousarray(_padded(V).T)
    out = np.zeros(K + 1)
    pairs = p * (q + 1) // 2 if symmetric else p * q
    work = pairs * (dim + 2 * K + 1)
    run_kernel(pk.degree_sums_kernel, work, Up, VT, cu, cvT, float(n), K, bool(symmetric), out)
    return out


#: Cost model of :func:`degree_sums`, serial ns measured on the 2-core development machine:
#: per point and degree of the basis evaluation (harmonics.basis: ~150 n + 10 N(n,k) + 3 n k^2),
#: per pair and padded coordinate, per pair and degree of the blocked pair kernel.
_NS_BASIS_COORD, _NS_BASIS_VALUE, _NS_BASIS_REC = 150.0, 10.0, 3.0
_NS_PAIR_COORD, _NS_PAIR_DEGREE = 0.3, 0.6

#: Largest basis (sum of N(n, k), k <= K) the feature route evaluates.
_MAX_FEATURES = 20_000


def _feature_route_pays(p: int, q: int, dim: int, K: int, symmetric: bool) -> bool:
    """Whether the explicit-basis route of :func:`degree_sums` is estimated cheaper than the
    pair sums (cost model above; on S^1 the basis is cos/sin, ~40 ns per point and degree; on
    S^2 the Schmidt-normalized recurrence of _sphere2_projection)."""
    points = p if symmetric else p + q
    pairs = (p * (p + 1) / 2 if symmetric else p * q) * (
        -(-dim // 4) * 4 * _NS_PAIR_COORD + K * _NS_PAIR_DEGREE
    )
    if dim == 2:
        return points * (K + 1) * 40.0 < pairs
    if dim == 3:  # _sphere2_projection: ~5 ns per point and (k, m), ~6 us of calls per (k, m)
        return (K + 1) * (K + 2) / 2 * (points * 5.0 + 6000.0) < pairs
    total = 0
    per_point = 0.0
    for k in range(K + 1):
        Nk = dim_harmonics(dim, k)
        total += Nk
        if total > _MAX_FEATURES:
            return False
        per_point += _NS_BASIS_COORD * dim + _NS_BASIS_VALUE * Nk + _NS_BASIS_REC * dim * k * k
    return points * per_point < pairs


def feature_degree_sums(U, cu, V, cv, n, K: int, *, symmetric: bool = False) -> np.ndarray:
    """The sums of :func:`degree_pair_sums` by the addition theorem with an explicit basis:

        sum_{i,j} cu[i,k] cv[j,k] P_{k,n}(<U_i, V_j>) = (1/N(n,k)) sum_l A_kl B_kl,
        A_kl = sum_i cu[i,k] Y_kl(U_i),   B_kl = sum_j cv[j,k] Y_kl(V_j),

    Y_kl the real orthonormal basis of H_k under the probability measure
    (:class:`harmonics.SphericalHarmonics`, sum_l Y_kl(x) Y_kl(y) = N(n,k) P_{k,n}(<x, y>)).
    O((p + q) sum_k N(n,k)) instead of O(p q (n + K)): the route for few basis functions and many
    points (S^1, S^2, low degrees).  On S^1 and S^2 the basis is built by trigonometric /
    associated-Legendre recurrences (_circle_projection, _sphere2_projection) instead of
    harmonics.SphericalHarmonics.  ``symmetric``: V = U, cv = cu (B = A).
    """
    from .basis import SphericalHarmonics

    U = np.asarray(U, dtype=np.float64)
    cu = np.asarray(cu, dtype=np.float64)
    V = U if symmetric else np.asarray(V, dtype=np.float64)
    cv = cu if symmetric else np.asarray(cv, dtype=np.float64)
    if n == 2:
        return _circle_degree_sums(U, cu, V, cv, int(K), symmetric)
    if n == 3:
        return _sphere2_degree_sums(U, cu, V, cv, int(K), symmetric)
    out = np.empty(int(K) + 1)
    for k in range(int(K) + 1):
        Y = SphericalHarmonics(n, k)
        A = _basis_projection(Y, U, cu[:, k])
        B = A if symmetric else _basis_projection(Y, V, cv[:, k])
        out[k] = float(A @ B) / float(dim_harmonics(n, k))
    return out


def _circle_projection(X, c):
    """sum_i c[i, k] (cos k theta_i, sin k theta_i), X_i = (cos theta_i, sin theta_i): [K+1, 2].

    e^{i k theta} by repeated multiplication with X_i1 + i X_i2 (relative error ~k eps, as
    cos(k atan2(X_i2, X_i1)), without the [p, K+1] trigonometric table)."""
    K = c.shape[1] - 1
    norm = np.hypot(X[:, 0], X[:, 1])
    z1 = X[:, 0] / norm + 1j * (X[:, 1] / norm)
    cT = np.ascontiguousarray(c.T)
    out = np.empty((K + 1, 2))
    z = np.ones(X.shape[0], dtype=complex)
    for k in range(K + 1):
        acc = cT[k] @ z
        out[k] = acc.real, acc.imag
        z *= z1
    return out


def _circle_degree_sums(U, cu, V, cv, K, symmetric):
    """S^1: N(2,k) = 2 (k >= 1) with Y = sqrt(2) cos k theta, sqrt(2) sin k theta, so that
    (1/N) sum_l A_l B_l = A_cos B_cos + A_sin B_sin (k >= 1), P_{k,2}(cos t) = cos k t."""
    A = _circle_projection(U, cu)
    B = A if symmetric else _circle_projection(V, cv)
    out = A[:, 0] * B[:, 0] + A[:, 1] * B[:, 1]
    out[0] = A[0, 0] * B[0, 0]
    return out


def _sphere2_projection(X, c):
    """A[k, m] = sum_i c[i, k] s_k^m(z_i) (x_i + i y_i)^m, k, m <= K: [K+1, K+1] complex.

    s_k^m = sqrt((k-m)! / (k+m)!) d^m P_k / dz^m, so that s_k^m(z) (x + i y)^m is the Schmidt
    semi-normalized associated Legendre function times e^{i m phi}, by the stable normalized
    recurrence s_{l+1}^m = [(2l+1) z s_l^m - sqrt((l+m)(l-m)) s_{l-1}^m] / sqrt((l+1)^2 - m^2),
    s_m^m = sqrt(C(2m, m) / 4^m), and (x + i y)^m by repeated multiplication (no angles)."""
    K = c.shape[1] - 1
    x, y, z = X[:, 0], X[:, 1], X[:, 2]
    A = np.zeros((K + 1, K + 1), dtype=complex)
    w = np.ones(X.shape[0], dtype=complex)
    xy = x + 1j * y
    smm = 1.0
    for m in range(K + 1):
        if m:
            w = w * xy
            smm *= math.sqrt((2 * m - 1) / (2 * m))  # sqrt(C(2m, m) / 4^m) recursively
        prev, cur = None, np.full(X.shape[0], smm)
        for l in range(m, K + 1):
            A[l, m] = (c[:, l] * cur) @ w
            if l < K:
                nxt = (2 * l + 1) * z * cur
                if prev is not None:
                    nxt -= math.sqrt((l + m) * (l - m)) * prev
                prev, cur = cur, nxt / math.sqrt((l + 1) ** 2 - m * m)
    return A


def _sphere2_degree_sums(U, cu, V, cv, K, symmetric):
    """S^2: P_k(<u, v>) = sum_m (2 - delta_m0) s_k^m(z_u) s_k^m(z_v) Re[(u_x + i u_y)^m
    conj((v_x + i v_y)^m)] (the addition theorem for Schmidt semi-normalized functions), so the
    sums are sum_m (2 - delta_m0) Re(A_km conj(B_km)), O((p + q) K^2)."""
    A = _sphere2_projection(U, cu)
    B = A if symmetric else _sphere2_projection(V, cv)
    prod = (A * B.conj()).real
    prod[:, 1:] *= 2.0
    return prod.sum(axis=1)


#: Bytes of basis values evaluated at once by :func:`feature_degree_sums`.
_FEATURE_BLOCK_BYTES = 2**25


def _basis_projection(Y, X, c):
    """sum_i c_i Y(X_i) ([N(n,k)]), the points taken in blocks of bounded memory."""
    rows = max(1, _FEATURE_BLOCK_BYTES // (8 * Y.dim))
    A = np.zeros(Y.dim)
    for i0 in range(0, X.shape[0], rows):
        A += c[i0 : i0 + rows] @ Y(X[i0 : i0 + rows], normalize=True)
    return A


def degree_sums(U, cu, V, cv, n, K: int, *, symmetric: bool = False) -> np.ndarray:
    """out[k] = sum_{i,j} cu[i, k] cv[j, k] P_{k,n}(<U_i, V_j>), k = 0..K, by the cheaper of two
    exact routes (estimated from the sizes): the explicit basis (:func:`feature_degree_sums`,
    when sum_{k<=K} N(n,k) is small against the number of pairs) or the blocked pair sums
    (:func:`degree_pair_sums`).  Both are exact up to rounding (tests tie them together)."""
    p, q = np.shape(U)[0], np.shape(V)[0]
    if _feature_route_pays(p, q, int(n), int(K), symmetric):
        return feature_degree_sums(U, cu, V, cv, n, K, symmetric=symmetric)
    return degree_pair_sums(U, cu, V, cv, n, K, symmetric=symmetric)


@lru_cache(maxsize=64)
def _dims(n: int, K: int) -> np.ndarray:
    """N(n, k) as floats, k = 0..K (read-only: cached, every energy record asks for it)."""
    out = np.array([float(dim_harmonics(n, k)) for k in range(K + 1)])
    out.flags.writeable = False
    return out


@lru_cache(maxsize=64)
def _log_dims(n: int, K: int) -> np.ndarray:
    """log N(n, k), k = 0..K (read-only, cached)."""
    out = np.array([math.log(dim_harmonics(n, k)) for k in range(K + 1)])
    out.flags.writeable = False
    return out


def _apply_scales(S, n, K, scales):
    """N(n,k) * prod(scales)_k * S_k with every factor (sign, log|.|) combined in log scale, so
    that neither N(n,k) (overflow) nor the eigenvalues (underflow) leave float64 on the way."""
    sign = np.sign(S)
    log_abs = _log_dims(n, K)
    with np.errstate(divide="ignore"):
        log_abs = log_abs + np.log(np.abs(S))
    for sc in scales:
        if sc is not None:
            sign = sign * sc[0]
            log_abs = log_abs + np.asarray(sc[1], dtype=float)
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        return np.where(sign != 0, sign * np.exp(log_abs), 0.0)


class RidgeSumBase:
    """A sum of ridge functions f(x) = sum_i c_i g_i(<u_i, x>) on S^{n-1} (module docstring).

    Subclasses define the attribute ``n`` and

    * ``ridge_directions()`` -> array [p, n] of unit rows u_i;
    * ``ridge_weights(kmax)`` -> array [p, kmax+1] of c_i lambda_k(g_i) (degree by degree);
    * optionally ``ridge_log_scale(kmax)`` -> None (default) or (sign, log_abs) arrays
      [kmax+1] of a factor s_k common to all terms, so that the weights of term i at degree k
      are ridge_weights[i, k] * s_k: lets a sum of one gate keep the gate's eigenvalues in log
      scale (they underflow float64 for large n and k);
    * ``max_degree``: the highest degree with energy, or None (the default) if unbounded.

    Everything else -- degree-wise inner products with any other ridge sum, energies,
    correlations with the units of a network -- is computed here, by one formula.
    """

    n: int
    max_degree: int | None = None

    def ridge_directions(self) -> np.ndarray:
        raise NotImplementedError

    def ridge_weights(self, kmax: int) -> np.ndarray:
        raise NotImplementedError

    def ridge_log_scale(self, kmax: int):
        return None

    def degree_inner_products(self, other: RidgeSumBase, kmax: int) -> np.ndarray:
        """<Pi_k f, Pi_k h> for k = 0..kmax with h = ``other`` (exact up to rounding)."""
        if not isinstance(other, RidgeSumBase):
            raise TypeError(f"other must be a ridge sum, got {type(other).__name__}")
        if other.n != self.n:
            raise ValueError(f"ridge sums in dimensions {self.n} and {other.n}")
        n, K = self.n, int(kmax)
        if other is self:  # one sum with itself: half the pairs (or one basis projection)
            U, c = self.ridge_directions(), self.ridge_weights(K)
            S = degree_sums(U, c, U, c, n, K, symmetric=True)
        else:
            S = degree_sums(
                self.ridge_directions(),
                self.ridge_weights(K),
                other.ridge_directions(),
                other.ridge_weights(K),
                n,
                K,
            )
        scales = (self.ridge_log_scale(K), other.ridge_log_scale(K))
        if all(sc is None for sc in scales):
            return _dims(n, K) * S
        return _apply_scales(S, n, K, scales)

    def energies(self, kmax: int) -> np.ndarray:
        """||Pi_k f||^2 for k = 0..kmax (>= 0: rounding below zero is clipped)."""
        return np.maximum(self.degree_inner_products(self, kmax), 0.0)

    def unit_products(self, V, eigenvalues) -> np.ndarray:
        """<f, h_j> for the ridges h_j(x) = g_j(<v_j, x>) with unit rows V [q, n] and Funk-Hecke
        eigenvalues ``eigenvalues`` of the g_j ([K+1] shared or [q, K+1]): array [q].

        Sums the degrees k <= K of N(n,k) lambda_k(g_j) sum_i w_i[k] P_{k,n}(<u_i, v_j>): exact
        when f has no energy above K (``max_degree`` <= K); ValueError otherwise.
        """
        lam = np.asarray(eigenvalues, dtype=float)
        K = lam.shape[-1] - 1
        if self.max_degree is None or self.max_degree > K:
            raise ValueError(
                f"unit products need a ridge sum of degree <= {K} (the eigenvalues given), got "
                f"max_degree = {self.max_degree}"
            )
        V = np.asarray(V, dtype=float)
        if V.ndim != 2 or V.shape[1] != self.n:
            raise ValueError(f"V must have shape [q, {self.n}], got {V.shape}")
        scale = self.ridge_log_scale(K)
        if scale is None:
            factor = _dims(self.n, K)
        else:  # N(n,k) s_k from logs (each factor alone may leave float64)
            with np.errstate(under="ignore", over="ignore"):
                factor = np.where(
                    scale[0] != 0, scale[0] * np.exp(_log_dims(self.n, K) + scale[1]), 0.0
                )
        cu = np.broadcast_to(lam, (V.shape[0], K + 1)) * factor  # O(1) before the pair sums
        R = pair_sums(V, cu, self.ridge_directions(), self.ridge_weights(K), self.n, K)
        return R.sum(axis=1)


class RidgeTerms(RidgeSumBase):
    """A ridge sum given by its data: directions [p, n] (unit rows), coefficients [p] and the
    eigenvalues [p, K+1] of each term's profile up to degree K (``dirs``, ``coef``, ``eig``;
    ``weights`` = coef[:, None] * eig).  Degrees above K are not represented: pass
    ``max_degree`` when the profiles have no energy there (then :meth:`unit_products` is exact).
    """

    def __init__(self, directions, coefficients, eigenvalues, *, max_degree=None):
        self.dirs = np.ascontiguousarray(directions, dtype=float)
        self.coef = np.asarray(coefficients, dtype=float)
        self.eig = np.ascontiguousarray(eigenvalues, dtype=float)
        self.n = self.dirs.shape[1]
        self.max_degree = max_degree

    @property
    def weights(self) -> np.ndarray:
        return self.coef[:, None] * self.eig

    def ridge_directions(self) -> np.ndarray:
        return self.dirs

    def ridge_weights(self, kmax: int) -> np.ndarray:
        K = self.eig.shape[1] - 1
        if kmax == K:
            return self.weights
        if kmax < K:
            return self.weights[:, : kmax + 1]
        raise ValueError(f"eigenvalues are known up to degree {K}, asked for {kmax}")


# ------------------------------------------------------------------ population Gram matrix


def _arccos_parts(act_a, act_b, rho, n: int):
    """(Ksum, norm, p) with E_x[g_a(<u,x>) g_b(<v,x>)] = Ksum / norm at <u,v> = rho, for unbiased
    piecewise gates whose truncated powers all have the same order p <= 2, else None.

    g = sum_a c_a (s_a t)_+^p (Activation.truncated_powers, kinks at 0), and for x uniform on
    the sphere (x = g/|g|, E|g|^{2p} = prod_{i<p}(n+2i)) each pair of terms contributes
    c_a c_b kappa_p(s_a s_b rho) / (2 prod_{i<p} (n+2i)), kappa_p the arc-cosine kernel of
    Cho & Saul (harmonics.arccos).
    """
    from .activations import Activation

    acts = (act_a, act_b)
    if not all(isinstance(x, Activation) and x.kind == "piecewise" for x in acts):
        return None
    if any(x.homogeneous_degree is None for x in acts):
        return None
    terms = [x.truncated_powers()[0] for x in acts]
    orders = {t.p for ts in terms for t in ts}
    if len(orders) != 1 or max(orders) > 2:
        return None
    (p,) = orders
    Ksum = None
    for ta in terms[0]:
        for tb in terms[1]:
            val = arccos_kappa(p, ta.side * tb.side * rho)
            c = ta.coef * tb.coef
            if c != 1.0:
                val = c * val
            Ksum = val if Ksum is None else Ksum + val
    norm = 2 * math.prod(n + 2 * i for i in range(p))
    return Ksum, norm, p


def _unit_rows(W, what="W"):
    if W is None or isinstance(W, (str, bytes, dict)):
        raise TypeError(f"{what} must be an array [m, n] of real numbers, got {W!r}")
    try:
        W = np.asarray(W, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be an array [m, n] of real numbers, got {W!r}") from exc
    if W.ndim != 2:
        raise ValueError(f"{what} must have shape [m, n], got {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{what} must be finite (no NaN or inf)")
    r = np.linalg.norm(W, axis=1)
    if np.any(r == 0):
        raise ValueError(f"a row of {what} is zero; its direction is undefined")
    return W / r[:, None], r


def _rp(r, p):
    return r if p == 1 else r**p


def population_cross_gram(act_a, Wa, act_b, Wb, *, unit: bool = False):
    """C_ij = E_x[g_a(<wa_i, x>) g_b(<wb_j, x>)] in closed form, for two unbiased piecewise gates
    whose truncated powers have one common order p <= 2 (relu, abs, step, sign, relu^2 and
    their scaled versions): the arc-cosine kernels, rows of any norm (C scales as
    |wa_i|^p |wb_j|^p).  ``unit=True`` returns the kernel of the directions (norms dropped).
    ValueError for other gates (their Gram: :func:`population_gram`)."""
    from .activations import get_activation

    act_a, act_b = get_activation(act_a), get_activation(act_b)
    Ua, ra = _unit_rows(Wa, "Wa")
    Ub, rb = _unit_rows(Wb, "Wb")
    if Ua.shape[1] != Ub.shape[1]:
        raise ValueError(f"rows in dimensions {Ua.shape[1]} and {Ub.shape[1]}")
    rho = np.clip(Ua @ Ub.T, -1.0, 1.0)
    parts = _arccos_parts(act_a, act_b, rho, Ua.shape[1])
    if parts is None:
        raise ValueError(
            f"no closed-form cross kernel for {act_a!r} and {act_b!r} (unbiased piecewise gates "
            "of one truncated-power order <= 2 only)"
        )
    Ksum, norm, p = parts
    if unit or p == 0:
        return Ksum / norm
    return np.outer(_rp(ra, p), _rp(rb, p)) * Ksum / norm


def population_gram(
    activation,
    W,
    *,
    rtol: float = 1e-14,
    kmax_limit: int = 400,
    atol: float = 1e-12,
    max_bytes: int = 4 * 2**30,
):
    """G_ij = E_x[g(<w_i, x>) g(<w_j, x>)], x uniform on S^{n-1}, for the rows w_i of W [m, n].

    ``activation``: a registered name or :class:`harmonics.Activation` (the gate g).  Rows of any
    norm for positively homogeneous gates (g(r t) = r^p g(t): G = (r_i r_j)^p G(unit rows)),
    unit rows (within ``atol``; their directions are used) otherwise.  Returns ``(G, error)``,
    ``error`` a bound-style estimate of max_ij |G_ij - exact|.  Routes, by the structure of the
    gate:

    * unbiased piecewise gates of truncated-power order p <= 2 (relu, abs, step, sign, relu^2):
      the arc-cosine kernels (``population_cross_gram``; relu: |w_i||w_j| kappa_1 / (2n)),
      exact to rounding, error 0;
    * other gates with a kink, and every gate whose Funk-Hecke series does not converge by
      ``kmax_limit``: the planar reduction of harmonics.projection (Gauss rules on the arcs
      between kinks; ~1e-15 for unbiased piecewise gates, <= ~2e-12 biased), once per distinct
      inner product; error = difference from a coarser rule;
    * otherwise (smooth gates) the series sum_{k<=K} N(n,k) lambda_k^2 P_{k,n}(rho) with K
      doubled from 16 until the Parseval tail E[g^2] - sum N lambda^2 is <= rtol E[g^2]
      (|G_ij - series| <= tail by Cauchy-Schwarz) and the diagonal set to E[g^2] exactly;
      error = the tail.

    ``rtol`` in (0, 1), ``atol`` >= 0, ``kmax_limit`` in [1, 4000]; ``max_bytes`` (default
    4 GiB) bounds the ~5 m x m float64 arrays (G and its temporaries), checked before they are
    formed (m = 10^5 rows would need 400 GB).
    """
    from ._infra.checks import check_dimension, check_int, check_real
    from .activations import get_activation

    rtol = check_real(rtol, "rtol", positive=True)
    if rtol >= 1:
        raise ValueError(f"rtol must be in (0, 1), got {rtol}")
    atol = check_real(atol, "atol", nonnegative=True)
    kmax_limit = check_int(kmax_limit, "kmax_limit", 1, 4000)
    max_bytes = check_int(max_bytes, "max_bytes", 1)
    gate = get_activation(activation)
    U, r = _unit_rows(W)
    m_rows = U.shape[0]
    if 40 * m_rows * m_rows > max_bytes:
        raise ValueError(
            f"population_gram: {m_rows} rows need ~{40 * m_rows * m_rows:.3g} bytes (the m x m "
            f"Gram matrix and its temporaries), above max_bytes={max_bytes:.3g}; pass "
            "max_bytes= to raise the limit"
        )
    n = check_dimension(U.shape[1])
    rho = np.clip(U @ U.T, -1.0, 1.0)
    p = gate.homogeneous_degree
    if p is None and not np.allclose(r, 1.0, rtol=0, atol=atol):
        raise ValueError(
            f"the population Gram of {gate!r} (not positively homogeneous) needs unit rows"
        )
    if p == 0:
        # kappa_0 is linear in theta = arccos rho, which turns a rounding error eps of a
        # diagonal rho = 1 into sqrt(eps): the diagonal is <w_i, w_i>/|w_i|^2 = 1 exactly
        np.fill_diagonal(rho, 1.0)
    parts = _arccos_parts(gate, gate, rho, n)
    if parts is not None:
        Ksum, norm, p = parts
        if p == 0:
            return Ksum / norm, 0.0
        rp = _rp(r, p)
        return np.outer(rp, rp) * Ksum / norm, 0.0
    G = err = None
    if not gate.kinks:
        G, err = _series_gram(gate, n, rho, rtol, kmax_limit)
    if G is None:
        G, err = _planar_gram(gate, U, rho)
    if p is not None and p != 0:
        rp = _rp(r, p)
        G = G * np.outer(rp, rp)
        err = err * float(np.max(rp)) ** 2
    return G, err


def _series_gram(gate, n, rho, rtol, kmax_limit):
    """(G, tail) by the Funk-Hecke series, or (None, None) if it has not converged by
    ``kmax_limit``."""
    from ._recurrence import legendre_rows
    from .expansion import _second_moment
    from .funk_hecke import funk_hecke_eigenvalues

    energy = _second_moment(gate, n, gate.kinks)
    K = 16
    while True:
        lam = np.asarray(funk_hecke_eigenvalues(gate, n, K), dtype=float)
        dims = _dims(n, K)
        tail = energy - float(np.sum(dims * lam**2))
        if tail <= rtol * energy:
            break
        if K >= kmax_limit:
            return None, None
        K = min(2 * K, kmax_limit)
    coef = dims * lam**2
    G = np.zeros_like(rho)
    for k, row in legendre_rows(K, n, rho):  # P_{k,n}(rho), never all degrees at once
        if coef[k] != 0.0:
            G += coef[k] * row
    np.fill_diagonal(G, energy)
    return G, abs(tail)


def _planar_gram(gate, U, rho):
    """G by the planar reduction of E[g(<u,x>) g(<v,x>)] (harmonics.projection), once per
    distinct inner product; error = max difference from a coarser rule on up to 256 of them."""
    from .projection import RidgeSum, _kernel_values

    m = U.shape[0]
    ridge = RidgeSum(gate, U)
    iu, ju = np.triu_indices(m, k=1)
    vals = np.concatenate([[1.0], rho[iu, ju]])
    uniq, inv = np.unique(vals, return_inverse=True)
    Kv = _kernel_values(ridge, uniq, 32, 24)
    idx = np.unique(np.linspace(0, uniq.size - 1, min(256, uniq.size)).astype(int))
    err = float(np.max(np.abs(Kv[idx] - _kernel_values(ridge, uniq[idx], 20, 16))))
    Kp = Kv[inv]
    G = np.empty((m, m))
    np.fill_diagonal(G, Kp[0])
    G[iu, ju] = Kp[1:]
    G[ju, iu] = Kp[1:]
    return G, err
