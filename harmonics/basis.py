"""Real orthonormal bases of the spaces H_k of spherical harmonics on S^{n-1}, any n >= 2.

Convention (docs/conventions.md, "The sphere, its measure, and the law of one coordinate"):
inner product E_{x~sigma}[f(x) g(x)] under the uniform *probability*
measure sigma on S^{n-1}; so E[Y_i Y_j] = delta_ij and, by the addition theorem,
sum_j Y_j(x)^2 = N(n, k) for every x on the sphere.

Construction (Gelfand-Tsetlin chain S^{n-1} > S^{n-2} > ... > S^1, hyperspherical coordinates).
For x in R^n write r_d = |(x_1, ..., x_d)| and t_d = x_d / r_d, so that
sqrt(1 - t_d^2) = r_{d-1} / r_d.  A basis function is labelled by its Gelfand-Tsetlin signature

    k = m_{n-1} >= m_{n-2} >= ... >= m_2 >= |m_1|          (integers; m_1 may be negative)

and equals

    Y_m(x) = prod_{d=3}^{n} g_{d, m_{d-1}, m_{d-2}}(x)  *  Phi_{m_1}(theta),
    g_{d,l,m}(x) = A_{d,l,m} (r_{d-1}/r_d)^m P_{l-m, d+2m}(t_d),
    A_{d,l,m}^2  = N(d+2m, l-m) * c_{d+2m} / c_d,     c_D = Gamma(D/2) / (sqrt(pi) Gamma((D-1)/2)),
    Phi_0 = 1,  Phi_m = sqrt(2) cos(m theta),  Phi_{-m} = sqrt(2) sin(m theta),
    theta = atan2(x_2, x_1),

with P_{j,D} the Legendre polynomial of (real) dimension D, i.e. the normalized Gegenbauer
polynomial C_j^{(m + (d-2)/2)} / C_j^{(m + (d-2)/2)}(1), and N(D, j) = (2j+D-2) Gamma(j+D-2) /
(Gamma(j+1) Gamma(D-1)) its inverse squared norm under nu_D.  Each level factor has mean square 1
under nu_d x (uniform on S^{d-2}), because (1 - t^2)^m dnu_d = (c_d / c_{d+2m}) dnu_{d+2m}.
This is Dai & Xu, "Approximation Theory and Harmonic Analysis on Spheres and Balls" (Springer
2013), Theorem 1.5.1, renormalized from the surface measure to the probability measure.

Numerics.  The factor g_{d,l,m} is computed in the orthonormal form: with D = d + 2m and
Q_j = sqrt(N(D, j)) P_{j,D} (orthonormal under nu_D), the symmetric three-term recurrence

    t Q_j = b_{j+1} Q_{j+1} + b_j Q_{j-1},   b_j^2 = j (j+D-3) / ((2j+D-2) (2j+D-4)),

is run directly on g_j = A_{d,0,m} (r_{d-1}/r_d)^m Q_j(t_d), starting from
g_0 = prod_{i=1}^{m} (r_{d-1}/r_d) sqrt((d+2i-2)/(d+2i-3))  (= sqrt(c_{d+2m}/c_d) s^m).
This is the normalized recurrence of harmonics._recurrence rescaled by sqrt(N(D, j)); the scale
factors enter as the exact algebraic ratios b_j rather than as a separate (possibly enormous,
e.g. sqrt(N(1003, 500)) ~ 1e200) normalization constant, so every intermediate is a value of
a function bounded by sqrt(N(n, k)) and nothing overflows for any n (tested to n = 500) or k.
Values that underflow are smaller than 1e-300 in absolute value.  The innermost level uses
(x_1 + i x_2)^m / r_2^m by repeated complex multiplication.

Evaluation is vectorized over the Gelfand-Tsetlin tree: basis functions that share a prefix
(m_{n-1}, ..., m_{d-1}) share the partial product, and a prefix whose last entry is 0 is
already a finished basis function (all deeper factors are 1), so the work is O(N(n, k)) row
operations plus O(n k^2) recurrence rows per batch of points.

Bad input: points must be unit vectors within 1e-8 (| ||x|| - 1 | > 1e-8 raises ValueError;
``normalize=True`` divides every nonzero row by its norm instead); wrong shapes, NaN/inf and zero
rows raise ValueError.  Requests whose result would exceed ``max_bytes`` (default 2 GiB) raise
:class:`BasisTooLargeError` (a MemoryError and a ValueError) before anything is allocated, with
the size in the message.  The evaluation is homogeneous of degree 0 in each row, so accepted
rows are evaluated at x / ||x||.

Column ordering: depth-first over the tree with children in increasing m, and at the innermost
level cos (m_1 = +m) before sin (m_1 = -m).  Equivalently, signatures sorted lexicographically by
(m_{n-2}, ..., m_2, |m_1|, cos before sin).  Column 0 is always the zonal harmonic
sqrt(N(n,k)) P_{k,n}(x_n) about the last coordinate axis.  For n = 3 the columns are
(m_1 = 0, 1, -1, 2, -2, ...), the usual ordering of real spherical harmonics.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Iterator

import numpy as np

from ._infra.checks import check_bool, check_degree, check_dimension, check_int
from .dimensions import dim_harmonics

#: Default cap, in bytes, on the array returned by :meth:`SphericalHarmonics.__call__`.
DEFAULT_MAX_BYTES = 2**31

#: Points whose norm differs from 1 by more than this are rejected (unless ``normalize=True``).
UNIT_NORM_TOL = 1e-8

# Work-buffer size (bytes) per batch of points; the batch size is chosen to fit this.
_BATCH_BYTES = 2**24
_MAX_BATCH = 2048


class BasisTooLargeError(MemoryError, ValueError):
    """A requested array would exceed the memory cap; raised before anything is allocated.

    Subclasses both MemoryError and ValueError, so either ``except`` clause catches it.
    """


def _check_points(X, n: int, name: str = "X", *, normalize: bool = False):
    """Validate points on S^{n-1}: returns (float64 array [N, n], was_1d).

    Points must have |‖x‖ - 1| <= UNIT_NORM_TOL, else ValueError; with ``normalize=True``
    every nonzero point is divided by its norm instead (zero points are rejected).
    """
    try:
        arr = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real array of shape [N, {n}]") from exc
    was_1d = arr.ndim == 1
    if was_1d:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n:
        raise ValueError(
            f"{name} must have shape [N, {n}] (points of S^{n - 1} in R^{n} as rows) "
            f"or [{n}], got shape {np.shape(X)}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if check_bool(normalize, "normalize"):
        big = np.max(np.abs(arr), axis=1) if arr.size else np.zeros(arr.shape[0])
        if np.any(big == 0):
            raise ValueError(f"{name} contains a zero vector, which has no direction to normalize")
        arr = arr / big[:, None]  # rescale first: no overflow/underflow in the norm
        arr = arr / np.sqrt(np.einsum("ij,ij->i", arr, arr))[:, None]
    elif arr.shape[0]:
        norms = np.sqrt(np.einsum("ij,ij->i", arr, arr))
        dev = np.abs(norms - 1.0)
        bad = int(np.argmax(dev))
        if dev[bad] > UNIT_NORM_TOL:
            raise ValueError(
                f"{name} must contain unit vectors (| ||x|| - 1 | <= {UNIT_NORM_TOL:g}); row {bad} "
                f"has norm {norms[bad]!r}.  Pass normalize=True to project points onto the sphere."
            )
    return arr, was_1d


def _offsets(q: int, lmax: int) -> list[int]:
    """off[m] = sum_{m' < m} N(q, m') for m = 0..lmax+1 (exact ints): child bases in the tree."""
    off = [0]
    for m in range(lmax + 1):
        off.append(off[-1] + dim_harmonics(q, m))
    return off


class _Level:
    """Instructions for one Gegenbauer level d (3 <= d <= n) of the tree traversal.

    The active nodes entering the level are numbered 0..A-1; node a has degree ``l`` on S^{d-1}.
    Each child (node a, m) with 0 <= m <= l multiplies the node's partial product by the
    factor g_{d,l,m} stored in row ``rowstart[l] + m`` of the level's factor table.
    """

    __slots__ = (
        "d",
        "lmax",
        "nrows",
        "store",
        "leaf",
        "nxt",
        "circle",
        "circle_max",
        "coef",
    )

    def __init__(self, d, lmax, nrows, store, leaf, nxt, circle, circle_max):
        self.d = d  # ambient dimension of the level's sphere S^{d-1}
        self.lmax = lmax  # largest degree among the active nodes
        self.nrows = nrows  # rows of the factor table
        self.store = store  # per j = 0..lmax: (table rows, recurrence rows m) to copy
        self.leaf = leaf  # (parents, table rows, columns): children with m = 0
        self.nxt = nxt  # (parents, table rows): children with m > 0 passed to level d - 1
        self.circle = circle  # (parents, table rows, cos columns, m): d == 3 and m > 0
        self.circle_max = circle_max
        # recurrence coefficients: g_0 factors sqrt((d+2i-2)/(d+2i-3)), i = 1..lmax, and per
        # step j = 0..lmax-1 the pair (b_j, b_{j+1}) for D = d + 2m, m = 0..lmax-j-1 (b_0 = 0)
        i = np.arange(1, lmax + 1, dtype=float)
        g0 = np.sqrt((d + 2 * i - 2) / (d + 2 * i - 3))[:, None]
        D = d + 2.0 * np.arange(lmax + 1)
        steps = [
            (_b_coeffs(j, D[: lmax - j])[:, None], _b_coeffs(j + 1, D[: lmax - j])[:, None])
            for j in range(lmax)
        ]
        self.coef = (g0, steps)


def _build_plan(n: int, k: int) -> list[_Level]:
    """The tree traversal for (n, k), n >= 3, k >= 1, as a list of levels d = n, n-1, ..., 3."""
    vals = np.array([k], dtype=np.int64)  # degrees of the active nodes
    bases = np.array([0], dtype=np.int64)  # column of each active node's first leaf
    plan = []
    for d in range(n, 2, -1):
        if vals.size == 0:
            break
        ls = np.unique(vals)
        lmax = int(ls[-1])
        rowstart = np.zeros(lmax + 1, dtype=np.int64)
        rowstart[ls] = np.concatenate([[0], np.cumsum(ls + 1)[:-1]])
        nrows = int(np.sum(ls + 1))
        store = []
        for j in range(lmax + 1):
            lj = ls[ls >= j]
            store.append((rowstart[lj] + (lj - j), lj - j))
        off = np.array(_offsets(d - 1, lmax), dtype=np.int64)
        counts = vals + 1
        parent = np.repeat(np.arange(vals.size), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        m = np.arange(parent.size) - first
        l = vals[parent]
        row = rowstart[l] + m
        col = bases[parent] + off[m]
        is_leaf = m == 0
        leaf = (parent[is_leaf], row[is_leaf], col[is_leaf])
        rest = ~is_leaf
        if d > 3:
            nxt = (parent[rest], row[rest])
            circle, circle_max = None, 0
            vals, bases = m[rest], col[rest]
        else:
            nxt = None
            circle = (parent[rest], row[rest], col[rest], m[rest])
            circle_max = lmax
            vals = np.empty(0, dtype=np.int64)
        plan.append(_Level(d, lmax, nrows, store, leaf, nxt, circle, circle_max))
    return plan


def _b_coeffs(j: int, D: np.ndarray) -> np.ndarray:
    """b_j(D) = sqrt(j (j+D-3) / ((2j+D-2)(2j+D-4))), the Jacobi-matrix entries of nu_D; b_0 = 0."""
    if j == 0:
        return np.zeros_like(D)
    return np.sqrt(j * (j + D - 3) / ((2 * j + D - 2) * (2 * j + D - 4)))


def _level_table(level: _Level, t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Factor table [nrows, B]: row rowstart[l] + m holds g_{d,l,m} at the batch's points.

    ``t`` = x_d / r_d and ``s`` = r_{d-1} / r_d, arrays [B].
    """
    lmax = level.lmax
    g0, steps = level.coef
    table = np.empty((level.nrows, t.size))
    # g_0[m] = prod_{i=1}^m s * sqrt((d+2i-2)/(d+2i-3)), as a cumulative product over m
    g_cur = np.empty((lmax + 1, t.size))
    g_cur[0] = 1.0
    if lmax >= 1:
        np.multiply(g0, s, out=g_cur[1:])
        np.cumprod(g_cur, axis=0, out=g_cur)
    g_prev = None
    for j in range(lmax + 1):
        # g_cur holds degree j for rows m = 0..lmax-j
        dest, src = level.store[j]
        table[dest] = g_cur[src]
        if j == lmax:
            break
        bj, bj1 = steps[j]
        r = lmax - j  # rows 0..r-1 get degree j+1
        if j == 0:
            g_next = (t * g_cur[:r]) / bj1
        else:
            g_next = (t * g_cur[:r] - bj * g_prev[:r]) / bj1
        g_prev, g_cur = g_cur, g_next
    return table


def _circle_table(x1: np.ndarray, x2: np.ndarray, mmax: int):
    """sqrt2 cos(m theta), sqrt2 sin(m theta), m = 0..mmax, theta = atan2(x2, x1): [mmax+1, B]."""
    r = np.hypot(x1, x2)
    pos = r > 0
    safe = np.where(pos, r, 1.0)
    z = np.where(pos, (x1 + 1j * x2) / safe, 1.0 + 0j)
    zs = np.empty((mmax + 1, x1.size), dtype=complex)
    zs[0] = 1.0
    for m in range(1, mmax + 1):
        zs[m] = zs[m - 1] * z
    root2 = math.sqrt(2.0)
    return root2 * zs.real, root2 * zs.imag


#: Highest degree evaluated: the addition theorem sum_j Y_j(x)^2 = N(n,k) holds to ~1e-12 up to
#: here (measured at n = 3, 4 on 400 random points); at k = 2000, n = 3 it is off by 4e-4 and
#: at 2200 by 1e44 (products of sin^m underflow near the poles).
MAX_EVAL_DEGREE = 1500


class SphericalHarmonics:
    r"""Real orthonormal basis {Y_{k,j}}_{j < N(n,k)} of H_k on S^{n-1}, for any n >= 2, k >= 0.

    Orthonormal w.r.t. the uniform probability measure: E_{x~sigma}[Y_i(x) Y_j(x)] = delta_ij,
    hence sum_j Y_j(x) Y_j(y) = N(n, k) P_{k,n}(<x, y>) (addition theorem).  Built from the
    Gelfand-Tsetlin chain in hyperspherical coordinates (Dai & Xu 2013, Thm 1.5.1); see the
    module docstring for the formula, the labelling of columns by signatures
    (m_{n-1} = k, m_{n-2}, ..., m_2, m_1) and the numerics.

    Parameters
    ----------
    n : int >= 2, ambient dimension (the sphere S^{n-1} in R^n).
    k : int >= 0, degree.

    Attributes
    ----------
    n, k : the parameters;  dim : exact int N(n, k) = number of basis functions (columns).

    Calling ``Y(X)`` with X of shape [N, n] (unit rows) returns a float64 array [N, N(n, k)]
    (a 1-D X of shape [n] gives [N(n, k)]).  Examples::

        >>> Y = SphericalHarmonics(2, 3)
        >>> Y.dim, Y.signature(0), Y.signature(1)          # sqrt2 cos 3t, sqrt2 sin 3t
        (2, (3,), (-3,))
        >>> Y3 = SphericalHarmonics(3, 1)                   # sqrt3 (x_3, x_1, x_2)
        >>> [Y3.signature(j) for j in range(3)]
        [(1, 0), (1, 1), (1, -1)]
        >>> import numpy as np
        >>> np.round(Y3(np.array([[0.0, 0.6, 0.8]])) / np.sqrt(3), 12).tolist()
        [[0.8, 0.0, 0.6]]
    """

    def __init__(self, n: int, k: int):
        self.n = check_dimension(n)
        self.k = check_degree(k)
        self.dim = dim_harmonics(self.n, self.k)
        self._plan = None

    def __repr__(self) -> str:
        return f"SphericalHarmonics(n={self.n}, k={self.k}, dim={self.dim})"

    # ---- labelling ---------------------------------------------------------------------------
    def signature(self, j: int) -> tuple[int, ...]:
        """Gelfand-Tsetlin signature (m_{n-1}, ..., m_2, m_1) of column ``j`` (0 <= j < dim).

        k = m_{n-1} >= m_{n-2} >= ... >= m_2 >= |m_1|; m_1 > 0 means the innermost factor is
        sqrt(2) cos(m_1 theta), m_1 < 0 means sqrt(2) sin(|m_1| theta).  For n = 2 the
        signature is the single entry m_1 = +k (cos) or -k (sin).
        """
        j = check_int(j, "j", 0, self.dim - 1)
        n, sig = self.n, []
        l, base = self.k, 0
        for q in range(n, 2, -1):  # node of degree l on S^{q-1}; choose child m on S^{q-2}
            sig.append(l)
            if l == 0:
                break
            off = _offsets(q - 1, l)
            m = bisect.bisect_right(off, j - base) - 1  # exact ints (dim may exceed int64)
            base += off[m]
            l = m
        if len(sig) < n - 1:
            if l == 0:
                sig.extend([0] * (n - 1 - len(sig)))
            else:  # circle: node of degree l on S^1 at ``base``: cos then sin
                sig.append(l if j == base else -l)
        return tuple(sig)

    def index(self, signature) -> int:
        """Column of the basis function with the given signature (inverse of :meth:`signature`)."""
        sig = tuple(signature)
        n = self.n
        if len(sig) != n - 1 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in sig
        ):
            raise ValueError(f"signature must be a tuple of {n - 1} integers, got {signature!r}")
        ok = (
            (abs(sig[0]) == self.k if n == 2 else sig[0] == self.k)
            and all(sig[i] >= sig[i + 1] for i in range(n - 3))
            and (n == 2 or sig[n - 3] >= abs(sig[n - 2]))
        )
        if not ok:
            raise ValueError(
                f"signature must satisfy k = m_{n - 1} >= ... >= m_2 >= |m_1| with k = {self.k}, "
                f"got {signature!r}"
            )
        base, l = 0, self.k
        for i, q in enumerate(range(n, 2, -1)):
            m = int(sig[i + 1]) if q > 3 else abs(int(sig[i + 1]))
            base += _offsets(q - 1, m)[m]
            l = m
            if l == 0:
                return base
        if l == 0:  # n == 2 with k == 0
            return base
        return base + (0 if sig[-1] > 0 else 1)

    def signatures(self) -> Iterator[tuple[int, ...]]:
        """Iterate over the signatures of all columns in column order (dim items)."""

        def walk(prefix, q, l):
            # node of degree l on S^{q-1}
            if l == 0:
                yield prefix + (0,) * (self.n - 1 - len(prefix))
                return
            if q == 2:
                yield prefix[:-1] + (l,)
                yield prefix[:-1] + (-l,)
                return
            for m in range(l + 1):
                yield from walk(prefix + (m,), q - 1, m)

        yield from walk((self.k,), self.n, self.k)

    # ---- evaluation --------------------------------------------------------------------------
    def nbytes(self, num_points: int) -> int:
        """Bytes of the float64 array [num_points, N(n, k)] returned for ``num_points`` points."""
        return 8 * self.dim * int(num_points)

    def __call__(self, X, *, normalize: bool = False, max_bytes: int = DEFAULT_MAX_BYTES):
        """Evaluate all N(n, k) basis functions at the rows of X.

        Parameters
        ----------
        X : array [N, n] of unit vectors (or [n] for one point).  Rows with
            | ||x|| - 1 | > 1e-8 raise ValueError unless ``normalize=True``, in which case
            every row is divided by its norm (zero rows raise).  The computation only uses
            the direction of each row (it is homogeneous of degree 0), so accepted rows are
            evaluated at x / ||x||.
        max_bytes : cap on the size of the result (default 2 GiB).  Larger requests raise
            :class:`BasisTooLargeError` (a MemoryError and ValueError) before allocating.

        Returns
        -------
        float64 array [N, N(n, k)], column j = basis function ``signature(j)``.  The array is
        in Fortran (column-major) order -- each basis function's values are contiguous -- which
        is what the evaluation produces without a transposing copy; use
        ``np.ascontiguousarray`` if row-major order matters.
        """
        if self.n == 2 and self.k > 10**5:
            raise ValueError(
                f"SphericalHarmonics(n=2, k={self.k}): evaluation costs O(k) per point; k must "
                "be <= 1e5 (cos(k th), sin(k th): use numpy directly beyond)"
            )
        if self.k > MAX_EVAL_DEGREE and self.n >= 3:  # n = 2: cos(k th), sin(k th)
            raise ValueError(
                f"SphericalHarmonics(n={self.n}, k={self.k}): evaluation is accurate (addition "
                f"theorem to ~1e-12) for k <= {MAX_EVAL_DEGREE} only; beyond ~1800 the "
                "recurrences underflow near the poles and the values are wrong (sums over j: "
                "use harmonics.legendre and the addition theorem)"
            )
        X, was_1d = _check_points(X, self.n, normalize=normalize)
        max_bytes = check_int(max_bytes, "max_bytes", 1)
        num = X.shape[0]
        need = self.nbytes(max(num, 1)) + 16 * self.dim  # result + traversal plan
        if need > max_bytes:
            raise BasisTooLargeError(
                f"SphericalHarmonics(n={self.n}, k={self.k}) has N(n,k) = {self.dim} functions; "
                f"evaluating them at {num} point(s) needs about {need:,} bytes "
                f"({need / 2**30:.3g} GiB), above max_bytes={max_bytes:,}.  Evaluate fewer "
                "points per call, pass a larger max_bytes, or use the addition theorem "
                "(harmonics.legendre) if only sums over j are needed."
            )
        out_t = np.empty((self.dim, num))  # returned transposed: [N, dim] in Fortran order
        if num:
            self._evaluate_into(X, out_t)
        out = out_t.T
        return out[0] if was_1d else out

    def _evaluate_into(self, X: np.ndarray, out_t: np.ndarray) -> None:
        """Fill out_t [dim, N] with Y_j(x_i) at [j, i]."""
        n, k = self.n, self.k
        if k == 0:
            out_t[:] = 1.0
            return
        if n == 2:
            c, s = _circle_table(X[:, 0], X[:, 1], k)
            out_t[0] = c[k]
            out_t[1] = s[k]
            return
        if self._plan is None:
            self._plan = _build_plan(n, k)
        plan = self._plan
        # rows of work arrays alive at once: factor table + gathered children (x2) + circle
        widest = max(
            lv.nrows + 2 * (lv.leaf[0].size + (lv.nxt or lv.circle)[0].size) + 4 * lv.circle_max
            for lv in plan
        )
        batch = int(max(1, min(_MAX_BATCH, _BATCH_BYTES // (8 * widest))))
        for p0 in range(0, X.shape[0], batch):
            p1 = min(p0 + batch, X.shape[0])
            xt = np.ascontiguousarray(X[p0:p1].T)  # [n, B]
            self._evaluate_batch(plan, xt, out_t[:, p0:p1])

    @staticmethod
    def _evaluate_batch(plan, xt, buf):
        r = np.hypot.accumulate(xt, axis=0)  # r[d-1] = |(x_1, ..., x_d)|
        V = np.ones((1, xt.shape[1]))
        for level in plan:
            d = level.d
            rd = r[d - 1]
            pos = rd > 0
            safe = np.where(pos, rd, 1.0)
            t = np.where(pos, xt[d - 1] / safe, 0.0)
            s = np.where(pos, r[d - 2] / safe, 0.0)
            table = _level_table(level, t, s)
            parent, row, col = level.leaf
            buf[col] = V[parent] * table[row]
            if level.nxt is not None:
                parent, row = level.nxt
                V = V[parent] * table[row]
            else:
                parent, row, col, m = level.circle
                if parent.size:
                    cos_t, sin_t = _circle_table(xt[0], xt[1], level.circle_max)
                    tmp = V[parent] * table[row]
                    buf[col] = tmp * cos_t[m]
                    buf[col + 1] = tmp * sin_t[m]
