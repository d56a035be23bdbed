"""Arc-cosine kernels of Cho & Saul (2009) in float64: the one numeric implementation (private).

For unit vectors x, y with rho = <x, y> = cos theta and g ~ N(0, I_n),

    kappa_p(rho) = 2 E[relu(<g, x>)^p relu(<g, y>)^p] = J_p(theta) / pi,
    J_0 = pi - theta,
    J_1 = sin theta + (pi - theta) cos theta,
    J_2 = 3 sin theta cos theta + (pi - theta)(1 + 2 cos^2 theta)

(Cho & Saul, "Kernel Methods for Deep Learning", NIPS 2009, eq. (6); kappa_p(1) = (2p-1)!!).
Project convention (docs/conventions.md, "Gradient descent as an operator"): the ReLU kernels
carry the factor 1/2 of the Gaussian expectation, K_out = E[relu(u) relu(v)] = kappa_1/2 and
K' = E[step(u) step(v)] = kappa_0/2 for Gaussian init (papers that drop it report twice these
values); for x uniform on the sphere, E_x[relu(<u,x>) relu(<v,x>)] = kappa_1(<u,v>) / (2n).

Evaluation: phi = pi - theta = arccos(-rho) and sin theta = sqrt((1 - rho)(1 + rho)) (no
cancellation in 1 - rho^2); for phi < 1 (rho near -1, where J_1 ~ phi^3/3 and J_2 ~ phi^5 cancel
in the direct formulas) J_1 and J_2 come from their power series in phi.  ~1e-15 relative for
every rho in [-1, 1] (tested against mpmath at 80 digits).  rho is clipped to [-1, 1] (inner
products of unit vectors may round slightly outside).

The exact counterpart is :func:`harmonics.symbolic.arccos_kernel` (sympy, any degree d, from a
recurrence for J_d): it stays exact for the symbolic eigenvalue algebra and is tied to this
implementation by tests/test_arccos.py.  Users: gd_operator.kernels (closed-form kernels),
harmonics.ridge (population Gram matrices), gd_operator.simulation.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["arccos_j", "arccos_kappa"]

_SERIES_CUTOFF = 1.0  # use the power series in phi = pi - theta below this angle


def _j_series(p: int, phi):
    """J_p (p = 1, 2) by its Taylor series in phi = pi - theta, for 0 <= phi < 1.

    J_1 = sin(phi) - phi cos(phi) = sum_{m>=1} (-1)^{m+1} 2m phi^{2m+1} / (2m+1)!,
    J_2 = 2 phi + phi cos(2 phi) - (3/2) sin(2 phi)
        = sum_{m>=2} (-1)^m 4^m (2m-2) phi^{2m+1} / (2m+1)!.
    For phi < 1 the terms decrease by a factor <= phi^2 * 4/((2m+2)(2m+3)) < 0.1, so the
    alternating sum has no cancellation (the direct formulas lose ~3 log10(1/phi) digits).
    """
    m0, m_top = (1, 24) if p == 1 else (2, 26)
    phi2 = phi * phi
    acc = np.zeros_like(phi)
    for m in range(m_top, m0 - 1, -1):
        if p == 1:
            c = (-1) ** (m + 1) * 2 * m / math.factorial(2 * m + 1)
        else:
            c = (-1) ** m * 4**m * (2 * m - 2) / math.factorial(2 * m + 1)
        acc = acc * phi2 + c
    return acc * phi ** (2 * m0 + 1)


def arccos_j(p: int, rho) -> np.ndarray:
    """J_p(theta) of Cho & Saul (p = 0, 1, 2) at rho = cos theta (array of rho's shape, float64);
    2 E[relu(u)^p relu(v)^p] = J_p / pi for (u, v) standard normal with correlation rho."""
    rho = np.clip(np.asarray(rho, dtype=float), -1.0, 1.0)
    phi = np.arccos(-rho)  # pi - theta, without cancellation near rho = -1
    if p == 0:
        return phi
    sin_t = np.sqrt((1 - rho) * (1 + rho))
    if p == 1:
        direct = sin_t + phi * rho
    elif p == 2:
        direct = 3 * sin_t * rho + phi * (1 + 2 * rho * rho)
    else:
        raise ValueError(
            f"closed-form kernels of relu^p are implemented for p <= 2, got p = {p}; "
            "gd_operator.spectrum supports any p"
        )
    small = phi < _SERIES_CUTOFF
    if np.any(small):
        direct = np.where(small, _j_series(p, np.where(small, phi, 0.0)), direct)
    return direct


def arccos_kappa(p: int, rho) -> np.ndarray:
    """The arc-cosine kernel kappa_p(rho) = J_p(theta)/pi (p = 0, 1, 2), float64, rho's shape.

    kappa_1(rho) = (sqrt(1 - rho^2) + (pi - arccos rho) rho) / pi; kappa_p(<x,y>) =
    2 E_{g~N(0,I)}[relu(<g,x>)^p relu(<g,y>)^p] for unit x, y (so K_out = kappa_1/2 in the
    project's convention; see the module docstring).
    """
    return arccos_j(p, rho) / math.pi
