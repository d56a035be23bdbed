"""Functions of a Gaussian input x ~ N(0, I_d) with exact Hermite (Wiener-chaos) energies.

Convention (docs/conventions.md, "Gaussian inputs, Hermite polynomials and mean-field
scaling"): probabilists' Hermite polynomials He_j (He_0 = 1, He_1 = z,
He_{j+1} = z He_j - j He_{j-1}), orthogonal under the standard normal law with
E[He_j He_l] = j! delta_jl; the orthonormal psi_j = He_j / sqrt(j!) are what every
coefficient here refers to.  A profile g of one standard normal variable has

    g(z) = sum_j h_j psi_j(z),      h_j = E[g(z) He_j(z)] / sqrt(j!),      E[g^2] = sum_j h_j^2.

Ridge sums.  For f(x) = sum_i a_i g_i(<w_i, x>), write r_i = |w_i|, u_i = w_i / r_i, and h_j^(i)
the coefficients of z -> g_i(r_i z).  Mehler's formula E[psi_j(<u,x>) psi_l(<v,x>)] =
delta_jl <u, v>^j gives the degree-j energy (the squared norm of the projection of f onto the
j-th Wiener chaos, i.e. onto polynomials of total degree j orthogonal to lower degrees)

    ||Pi_j f||^2 = sum_{i,l} a_i a_l h_j^(i) h_j^(l) <u_i, u_l>^j.

This is the Gaussian analogue of the sphere's N(n,k) lambda_k^2 P_{k,n}(<u_i,u_l>) (harmonics
ridge sums); as n -> infinity, N(n,k) lambda_k(g(sqrt(n) t))^2 -> h_k(g)^2 and
P_{k,n}(<u,v>) -> <u,v>^k (docs/conventions.md).

Exact coefficients.  Gaussian integration by parts, E[g(z) He_j(z)] = E[g'(z) He_{j-1}(z)],
reduces the truncated powers (s z + c)_+^p to the step, whose derivative is s delta(s z + c):
with z0 = -c/s and e_j[p] = E[(s z + c)_+^p He_j(z)] / sqrt(j!) (s > 0),

    e_j[0] = phi(z0) psi_{j-1}(z0) / sqrt(j)   (j >= 1),   e_0[0] = Phi(c/s),
    e_j[p] = p s e_{j-1}[p-1] / sqrt(j)        (j >= 1),   e_0[p] = c e_0[p-1] + s e_1[p-1],

(phi, Phi the normal density and distribution function; psi by its stable recurrence), and
relu = p = 1, step = p = 0, sign = 2 step - 1, abs(x) = x_+ + (-x)_+, s < 0 by z -> -z.  These
are exact in floating point (no quadrature).  Other registered gates (smooth or polynomial):
Gauss-Hermite quadrature with 2 jmax + 200 nodes (gd_operator's one Hermite rule), exact for
polynomials and ~1e-15 absolute for smooth gates.  Hermite profiles ("hermite", k): g = psi_k.

Multi-index Hermite polynomials.  :class:`HermitePolynomialTarget` is f(x) = sum_alpha
c_alpha prod_r psi_{alpha_r}(<u_r, x>) with orthonormal u_r; the products are orthonormal
(independent coordinates), so ||Pi_j f||^2 = sum_{|alpha| = j} c_alpha^2 exactly.  The
staircase of Abbe et al. (2022, 2023), z_1 + z_1 z_2 + z_1 z_2 z_3 + ..., and single-index
targets psi_k(<w*, x>) (information exponent k, Ben Arous, Gheissari & Jagannath 2021) are
instances.

References: O'Donnell, "Analysis of Boolean Functions" (2014), ch. 11; Abramowitz & Stegun
22.2.15 (Hermite orthogonality), 22.7.14 (recurrence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from harmonics import Activation, get_activation
from harmonics._infra.checks import check_int, check_real, check_real_array
from harmonics._infra.results import ResultMixin

#: Highest Hermite degree computed (coefficients and energies).
MAX_DEGREE = 2000
#: Largest dimension d accepted by the target constructors (a d x d direction matrix).
MAX_DIM = 20000
#: Largest number of ridge terms / monomials in a target.
MAX_TERMS = 4096

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _psi_values(z: float, jmax: int) -> np.ndarray:
    """psi_j(z) = He_j(z)/sqrt(j!) for j = 0..jmax (normalized three-term recurrence)."""
    out = np.empty(jmax + 1)
    out[0] = 1.0
    if jmax >= 1:
        out[1] = z
    for j in range(1, jmax):
        out[j + 1] = (z * out[j] - math.sqrt(j) * out[j - 1]) / math.sqrt(j + 1)
    return out


def _truncated_power_coefficients(p: int, s: float, c: float, jmax: int) -> np.ndarray:
    """e_j = E[(s z + c)_+^p He_j(z)]/sqrt(j!), j = 0..jmax (integration by parts, s != 0)."""
    if s < 0:  # (s z + c)_+ with z -> -z: He_j(-z) = (-1)^j He_j(z)
        e = _truncated_power_coefficients(p, -s, c, jmax)
        e[1::2] *= -1.0
        return e
    z0 = -c / s
    # one more column per power than needed: e_0[p] reads e_1[p-1]
    width = jmax + p + 1
    psi = _psi_values(z0, width)
    dens = _INV_SQRT_2PI * math.exp(-0.5 * z0 * z0)
    e = np.empty(width + 1)
    e[0] = float(ndtr(c / s))
    j = np.arange(1, width + 1)
    e[1:] = dens * psi[:-1] / np.sqrt(j)
    for q in range(1, p + 1):
        new = np.empty(width + 1 - q)
        new[1:] = q * s * e[: width - q] / np.sqrt(np.arange(1, width + 1 - q))
        new[0] = c * e[0] + s * e[1]
        e = new
    return e[: jmax + 1] + 0.0  # (a copy; -0.0 from the zeros of psi_j reads as 0.0)


def _gate_coefficients(act: Activation, jmax: int) -> np.ndarray:
    s, c = act.scale, act.bias
    name = act.name
    if name in ("relu", "step", "relu_power"):
        p = {"relu": 1, "step": 0}.get(name, act.power)
        return _truncated_power_coefficients(int(p), s, c, jmax)
    if name == "sign":
        e = 2.0 * _truncated_power_coefficients(0, s, c, jmax)
        e[0] -= 1.0
        return e
    if name == "abs":
        return _truncated_power_coefficients(1, s, c, jmax) + _truncated_power_coefficients(
            1, -s, -c, jmax
        )
    from ._gates import Gate
    from ._hermite import _AFFINE_PARITY, _h_generic, polynomial_hermite_coefficients

    if act.kind == "polynomial":  # closed form, exact zeros included
        return polynomial_hermite_coefficients(act, 1.0, jmax)
    h, _ = _h_generic(Gate(act, None), 1.0, jmax)
    parity = _AFFINE_PARITY.get(act.name, 0) if act.bias == 0.0 else 0
    j = np.arange(jmax + 1)
    if parity:  # exact zeros of g minus its affine part (odd/even gates)
        h[(j >= 2) & (j % 2 == (0 if parity == -1 else 1))] = 0.0
    return h


def _gate_second_moment(act: Activation, jmax_hint: int) -> float:
    """E[g(z)^2] exactly for the piecewise gates, by quadrature otherwise."""
    s, c = act.scale, act.bias
    name = act.name
    if name in ("relu", "step", "relu_power"):
        p = {"relu": 1, "step": 0}.get(name, act.power)
        return float(_truncated_power_coefficients(2 * int(p), s, c, 0)[0])
    if name == "sign":
        return 1.0
    if name == "abs":
        return s * s + c * c
    from ._gates import Gate
    from ._hermite import _h_generic, polynomial_hermite_coefficients

    if act.kind == "polynomial":
        h = polynomial_hermite_coefficients(act, 1.0, len(act.coeffs) - 1)
        return float(h @ h)
    _, energy = _h_generic(Gate(act, None), 1.0, max(jmax_hint, 8))
    return energy


def _check_profile(profile):
    """('hermite', k) or an Activation (registered name -> Activation)."""
    if isinstance(profile, tuple):
        if len(profile) != 2 or profile[0] != "hermite":
            raise ValueError(f"profile tuples must be ('hermite', k), got {profile!r}")
        return ("hermite", check_int(profile[1], "profile degree k", 0, MAX_DEGREE))
    if isinstance(profile, (str, Activation)):
        try:
            return get_activation(profile)
        except ValueError as exc:
            raise ValueError(f"profile: {exc}") from None
    raise TypeError(
        "profile must be a registered activation name, a harmonics.Activation or "
        f"('hermite', k), got {type(profile).__name__}"
    )


def hermite_coefficients(profile, jmax: int, *, scale: float = 1.0) -> np.ndarray:
    """Normalized Hermite coefficients h_j = E[g(scale z) He_j(z)] / sqrt(j!), z ~ N(0, 1).

    Parameters
    ----------
    profile : registered activation name, :class:`harmonics.Activation` (the gate
        phi(s t + b) evaluated at t = scale z) or ``('hermite', k)`` (g = He_k / sqrt(k!)).
    jmax : int in [0, 2000], the highest degree.
    scale : nonzero real, the factor r in g(r z) (the norm of a ridge direction).

    Returns
    -------
    [jmax + 1] float64 h_0..h_jmax; sum_j h_j^2 -> E[g(scale z)^2].  Exact (integration by
    parts, module docstring) for relu, step, sign, abs and relu^p at any scale and bias, and
    for polynomials (their expansion in He_j); Gauss-Hermite quadrature otherwise.

    >>> h = hermite_coefficients("relu", 4)      # 1/sqrt(2 pi), 1/2, 1/(2 sqrt(pi)), 0, ...
    >>> [round(float(x), 6) for x in h]
    [0.398942, 0.5, 0.282095, 0.0, -0.081434]
    """
    prof = _check_profile(profile)
    jmax = check_int(jmax, "jmax", 0, MAX_DEGREE)
    scale = check_real(scale, "scale")
    if scale == 0.0 or abs(scale) > 1e100:
        raise ValueError(f"scale must be nonzero with |scale| <= 1e100, got {scale}")
    if isinstance(prof, tuple):
        k = prof[1]
        if scale != 1.0:
            raise ValueError("('hermite', k) profiles take scale = 1 (unit ridge directions)")
        out = np.zeros(jmax + 1)
        if k <= jmax:
            out[k] = 1.0
        return out
    if scale != 1.0:
        prof = get_activation(
            prof.name,
            scale=prof.scale * scale,
            bias=prof.bias,
            power=prof.power,
            coeffs=prof.coeffs,
        )
    return _gate_coefficients(prof, jmax)


def hermite_profile_values(k: int, z) -> np.ndarray:
    """psi_k(z) = He_k(z) / sqrt(k!) elementwise (stable normalized recurrence; no power basis)."""
    k = check_int(k, "k", 0, MAX_DEGREE)
    z = np.asarray(z, dtype=float)
    prev = np.ones_like(z)
    if k == 0:
        return prev
    cur = z.copy()
    for j in range(1, k):
        prev, cur = cur, (z * cur - math.sqrt(j) * prev) / math.sqrt(j + 1)
    return cur


def _check_X(X, d: int) -> np.ndarray:
    X = check_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(
            f"X must have shape [N, d] with d = {d} (the target's dimension), got {X.shape}"
        )
    return X


@dataclass(repr=False)
class GaussianRidgeSum(ResultMixin):
    """f(x) = sum_i a_i g(<w_i, x>), x ~ N(0, I_d), with exact Hermite energies.

    Attributes: ``profile`` (Activation or ('hermite', k)), ``W`` [m, d] nonzero rows, ``a``
    [m].  Energies: module docstring.  ``directions`` is an orthonormal basis [r, d] of the span
    of the rows (the target subspace, for alignment measurements).
    """

    profile: object
    W: np.ndarray
    a: np.ndarray

    @property
    def dim(self) -> int:
        return self.W.shape[1]

    def __repr__(self) -> str:
        prof = self.profile if isinstance(self.profile, tuple) else self.profile.name
        return f"GaussianRidgeSum(profile={prof!r}, m={self.W.shape[0]}, d={self.dim})"

    @property
    def directions(self) -> np.ndarray:
        q, r = np.linalg.qr(self.W.T)
        keep = np.abs(np.diag(r)) > 1e-12 * max(1.0, float(np.max(np.abs(r))))
        return np.ascontiguousarray(q[:, keep].T)

    def __call__(self, X) -> np.ndarray:
        """f at the rows of X [N, d]: array [N]."""
        X = _check_X(X, self.dim)
        Z = X @ self.W.T  # [N, m]
        if isinstance(self.profile, tuple):
            r = np.linalg.norm(self.W, axis=1)
            return hermite_profile_values(self.profile[1], Z / r) @ self.a
        return self.profile(Z) @ self.a

    def hermite_energies(self, jmax: int) -> np.ndarray:
        """||Pi_j f||^2 for j = 0..jmax (Mehler; exact up to rounding): [jmax + 1]."""
        jmax = check_int(jmax, "jmax", 0, MAX_DEGREE)
        r = np.linalg.norm(self.W, axis=1)
        U = self.W / r[:, None]
        G = np.clip(U @ U.T, -1.0, 1.0)  # [m, m]
        H = np.stack(
            [
                hermite_coefficients(self.profile, jmax, scale=float(ri))
                if not isinstance(self.profile, tuple)
                else hermite_coefficients(self.profile, jmax)
                for ri in r
            ]
        )  # [m, J+1]
        c = H * self.a[:, None]
        out = np.empty(jmax + 1)
        Gj = np.ones_like(G)
        for j in range(jmax + 1):
            out[j] = max(float(c[:, j] @ Gj @ c[:, j]), 0.0)
            Gj = Gj * G
        return out

    def norm_squared(self, *, jmax: int = 400) -> float:
        """E[f(x)^2]: exact when the directions are pairwise orthogonal or equal; otherwise the
        Mehler series to ``jmax`` plus the diagonal's exact remainder (|<u_i, u_l>| < 1 terms
        converge geometrically)."""
        jmax = check_int(jmax, "jmax", 1, MAX_DEGREE)
        r = np.linalg.norm(self.W, axis=1)
        U = self.W / r[:, None]
        G = np.clip(U @ U.T, -1.0, 1.0)
        m = G.shape[0]
        total = 0.0
        coef = [
            hermite_coefficients(self.profile, jmax, scale=float(ri))
            if not isinstance(self.profile, tuple)
            else hermite_coefficients(self.profile, jmax)
            for ri in r
        ]
        for i in range(m):
            for l in range(m):
                g = G[i, l]
                if i == l or (abs(abs(g) - 1.0) < 1e-14 and abs(r[i] - r[l]) < 1e-14 * r[i]):
                    sgn = 1.0 if g > 0 else -1.0
                    if isinstance(self.profile, tuple):
                        e2 = 1.0
                    else:
                        p = self.profile
                        e2 = _gate_second_moment(
                            get_activation(
                                p.name,
                                scale=p.scale * r[i],
                                bias=p.bias,
                                power=p.power,
                                coeffs=p.coeffs,
                            ),
                            jmax,
                        )
                    if sgn > 0:
                        val = e2
                    else:  # g(r z) g(-r z): the series with alternating signs
                        val = float(np.sum(coef[i] ** 2 * (-1.0) ** np.arange(jmax + 1)))
                else:
                    val = float(np.sum(coef[i] * coef[l] * g ** np.arange(jmax + 1)))
                total += self.a[i] * self.a[l] * val
        return max(total, 0.0)


@dataclass(repr=False)
class HermitePolynomialTarget(ResultMixin):
    """f(x) = sum_t coeffs[t] prod_r psi_{alpha[t, r]}(<u_r, x>), U [R, d] orthonormal rows.

    ``alpha`` [T, R] nonnegative integer multi-indices (distinct rows), ``coeffs`` [T].  The
    products are orthonormal, so ||Pi_j f||^2 = sum_{|alpha_t| = j} coeffs[t]^2 and
    E[f^2] = sum_t coeffs[t]^2 exactly.
    """

    U: np.ndarray
    alpha: np.ndarray
    coeffs: np.ndarray

    @property
    def dim(self) -> int:
        return self.U.shape[1]

    def __repr__(self) -> str:
        return (
            f"HermitePolynomialTarget(d={self.dim}, {self.alpha.shape[0]} terms, "
            f"degree {self.degree})"
        )

    @property
    def directions(self) -> np.ndarray:
        used = np.any(self.alpha > 0, axis=0)
        return np.ascontiguousarray(self.U[used])

    def __call__(self, X) -> np.ndarray:
        X = _check_X(X, self.dim)
        Z = X @ self.U.T  # [N, R]
        out = np.zeros(X.shape[0])
        for t in range(self.alpha.shape[0]):
            term = np.full(X.shape[0], float(self.coeffs[t]))
            for r in range(self.alpha.shape[1]):
                if self.alpha[t, r]:
                    term *= hermite_profile_values(int(self.alpha[t, r]), Z[:, r])
            out += term
        return out

    def hermite_energies(self, jmax: int) -> np.ndarray:
        jmax = check_int(jmax, "jmax", 0, MAX_DEGREE)
        out = np.zeros(jmax + 1)
        deg = self.alpha.sum(axis=1)
        for t in range(deg.size):
            if deg[t] <= jmax:
                out[deg[t]] += float(self.coeffs[t]) ** 2
        return out

    def norm_squared(self) -> float:
        return float(np.sum(self.coeffs**2))

    @property
    def degree(self) -> int:
        return int(self.alpha.sum(axis=1).max())


def _check_directions(W, name: str, *, orthonormal: bool) -> np.ndarray:
    W = check_real_array(W, name)
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 2:
        raise ValueError(f"{name} must have shape [m, d] with m >= 1 and d >= 2, got {W.shape}")
    if W.shape[1] > MAX_DIM or W.shape[0] > MAX_TERMS:
        raise ValueError(
            f"{name} has shape {W.shape}; at most {MAX_TERMS} rows and d <= {MAX_DIM} columns"
        )
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{name} must be finite")
    r = np.linalg.norm(W, axis=1)
    if np.any(r == 0):
        raise ValueError(f"the rows of {name} must be nonzero")
    if orthonormal:
        G = W @ W.T
        if np.max(np.abs(G - np.eye(W.shape[0]))) > 1e-8:
            raise ValueError(f"the rows of {name} must be orthonormal (|U U^T - I| <= 1e-8)")
    return np.ascontiguousarray(W, dtype=float)


def gaussian_ridge_sum(profile, W, a=None) -> GaussianRidgeSum:
    """The Gaussian-input ridge sum f(x) = sum_i a_i g(<w_i, x>) (see :class:`GaussianRidgeSum`).

    ``profile``: registered activation name / Activation, or ``('hermite', k)`` (then the rows
    of W must be unit vectors).  ``W`` [m, d] nonzero rows (d >= 2), ``a`` [m] (default ones).
    Li, Ma & Zhang's target a^T |W* x| is ``gaussian_ridge_sum('abs', W_star, a)``.

    >>> f = gaussian_ridge_sum("abs", np.eye(4), np.full(4, 0.25))
    >>> [round(float(e), 6) for e in f.hermite_energies(2)]   # 2/pi, 0, (1/4) (1/pi)
    [0.63662, 0.0, 0.079577]
    """
    prof = _check_profile(profile)
    W = _check_directions(W, "W", orthonormal=False)
    m = W.shape[0]
    a = np.ones(m) if a is None else check_real_array(a, "a")
    if a.shape != (m,):
        raise ValueError(f"a must have shape ({m},) to match W, got {a.shape}")
    if not np.all(np.isfinite(a)) or float(np.max(np.abs(a))) > 1e100:
        raise ValueError("a must be finite with |a_i| <= 1e100")
    if isinstance(prof, tuple):
        if np.max(np.abs(np.linalg.norm(W, axis=1) - 1.0)) > 1e-8:
            raise ValueError("('hermite', k) profiles need unit rows of W")
    return GaussianRidgeSum(prof, W, np.asarray(a, dtype=float))


def hermite_polynomial_target(U, alpha, coeffs) -> HermitePolynomialTarget:
    """f(x) = sum_t coeffs[t] prod_r He_{alpha[t,r]}(<u_r, x>) / sqrt(alpha[t,r]!).

    ``U`` [R, d] orthonormal rows (d >= 2), ``alpha`` [T, R] distinct nonnegative integer
    multi-indices (each entry <= 2000), ``coeffs`` [T] finite reals.
    """
    U = _check_directions(U, "U", orthonormal=True)
    try:
        A = np.asarray(alpha)
    except (TypeError, ValueError) as exc:
        raise TypeError("alpha must be an integer array [T, R]") from exc
    if A.dtype == bool or A.dtype.kind not in "iuf":
        raise TypeError(f"alpha must be an integer array [T, R], got dtype {A.dtype}")
    if A.ndim != 2 or A.shape[1] != U.shape[0] or A.shape[0] < 1 or A.shape[0] > MAX_TERMS:
        raise ValueError(
            f"alpha must have shape [T, R] = [T, {U.shape[0]}] with 1 <= T <= {MAX_TERMS}, got "
            f"{A.shape}"
        )
    if (
        not np.all(np.isfinite(A))
        or np.any(A != np.round(A))
        or np.any(A < 0)
        or np.any(A > MAX_DEGREE)
    ):
        raise ValueError("alpha entries must be integers in [0, 2000]")
    A = A.astype(np.int64)
    if len({tuple(r) for r in A}) != A.shape[0]:
        raise ValueError("alpha rows (multi-indices) must be distinct")
    c = check_real_array(coeffs, "coeffs")
    if c.shape != (A.shape[0],):
        raise ValueError(f"coeffs must have shape ({A.shape[0]},), got {c.shape}")
    if not np.all(np.isfinite(c)) or float(np.max(np.abs(c))) > 1e100:
        raise ValueError("coeffs must be finite with |c| <= 1e100")
    return HermitePolynomialTarget(U, A, np.asarray(c, dtype=float))


def _random_orthonormal(rng, r: int, d: int) -> np.ndarray:
    g = rng.standard_normal((d, r))
    q, rr = np.linalg.qr(g)
    return np.ascontiguousarray((q * np.sign(np.diag(rr))).T)


def single_index_target(d: int, k: int, *, rng=None) -> HermitePolynomialTarget:
    """psi_k(<w*, x>) = He_k(<w*, x>)/sqrt(k!) with a random unit w* (information exponent k).

    ``d`` >= 2, ``k`` >= 1 (k = 0 is a constant: nothing to learn).
    """
    from harmonics._infra.rng import as_generator

    d = check_int(d, "d", 2, MAX_DIM)
    k = check_int(k, "k", 1, MAX_DEGREE)
    g = as_generator(rng)
    return HermitePolynomialTarget(_random_orthonormal(g, 1, d), np.array([[k]]), np.ones(1))


def staircase_target(d: int, depth: int = 3, *, rng=None) -> HermitePolynomialTarget:
    """The staircase z_1 + z_1 z_2 + ... + z_1...z_depth, z_r = <u_r, x> (Abbe et al. 2022).

    Degree j carries energy 1 for j = 1..depth (each monomial is orthonormal); ``d`` >= depth.
    """
    from harmonics._infra.rng import as_generator

    depth = check_int(depth, "depth", 1, 64)
    d = check_int(d, "d", 2, MAX_DIM)
    if d < depth:
        raise ValueError(f"d = {d} must be >= depth = {depth}")
    g = as_generator(rng)
    alpha = np.tril(np.ones((depth, depth), dtype=np.int64))
    return HermitePolynomialTarget(_random_orthonormal(g, depth, d), alpha, np.ones(depth))


def lmz_target(d: int, *, rng=None) -> GaussianRidgeSum:
    """Li, Ma & Zhang (2020): f*(x) = sum_i a_i |<w*_i, x>|, W* a random orthogonal d x d
    matrix, a_i = 1/d (||a||_1 = 1; the non-constant part has energy (1 - 2/pi)/d)."""
    from harmonics._infra.rng import as_generator

    d = check_int(d, "d", 2, MAX_DIM)
    g = as_generator(rng)
    return GaussianRidgeSum(
        get_activation("abs"), _random_orthonormal(g, d, d), np.full(d, 1.0 / d)
    )


def _is_target(obj) -> bool:
    return isinstance(obj, (GaussianRidgeSum, HermitePolynomialTarget))


__all__ = [
    "GaussianRidgeSum",
    "HermitePolynomialTarget",
    "gaussian_ridge_sum",
    "hermite_coefficients",
    "hermite_polynomial_target",
    "lmz_target",
    "single_index_target",
    "staircase_target",
]
