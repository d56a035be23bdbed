"""The kernels K(rho) of gradient descent on one-hidden-layer networks, evaluated directly.

Same conventions as :mod:`gd_operator.spectrum` (docs/conventions.md,
"Kernel conventions"): network
f(x) = (1/sqrt(m)) sum_i a_i g(<w_i, x> + b_i), E[a_i^2] = 1, inputs on S^{n-1}, rho = <x, y>.

    K_out(rho) = E_w[g(<w,x>) g(<w,y>)],   K_hid(rho) = rho E_w[g'(<w,x>) g'(<w,y>)],
    K_NTK = K_out + K_hid.

Closed forms (Gaussian init, (u, v) standard bivariate normal with correlation rho,
theta = arccos rho; Cho & Saul 2009, "Kernel methods for deep learning", eq. (6)):

    E[relu(u)^p relu(v)^p] = J_p(theta) / (2 pi),   J_0 = pi - theta,
    J_1 = sin theta + (pi - theta) cos theta,
    J_2 = 3 sin theta cos theta + (pi - theta)(1 + 2 cos^2 theta),

so E[relu relu] = kappa_1/2 and E[step step] = kappa_0/2 with kappa_p = J_p/pi; E[sign sign] =
(2/pi) arcsin rho; E[|u||v|] = (2/pi)(sqrt(1-rho^2) + rho arcsin rho); erf (Williams 1997):
E[erf(s u) erf(s v)] = (2/pi) arcsin(2 s^2 rho / (1 + 2 s^2)); sin, cos:
E[sin(s u) sin(s v)] = e^{-s^2} sinh(s^2 rho), E[cos(s u) cos(s v)] = e^{-s^2} cosh(s^2 rho)
(with a shift b: gd_operator._hermite.trig_kernels); leaky_relu(x) = relu(x) - a relu(-x) by
the same arc-cosine pairs as abs.  Near rho = -1 the J_p are
evaluated by their power series in phi = pi - theta (no cancellation; harmonics.arccos,
the one numeric implementation of the arc-cosine kernels).  Sphere init divides the
kernel of a p-homogeneous gate by E[r^{2p}] = prod_{i<p}(n+2i) (w = r w^, r ~ chi_n).

With a bias b ~ N(0, beta^2) (Gaussian init) the pre-activations have variance 1 + beta^2 and
correlation rho_beta = (rho + beta^2)/(1 + beta^2): K_out(rho) = (1+beta^2) kappa_1(rho_beta)/2
for ReLU, and the hidden kernel is (rho + beta^2) K'(rho) because the bias (b = beta b~,
b~ ~ N(0,1)) is trained with the hidden weights (NTK parametrization, Jacot et al. 2018).

Other activations: Gaussian init by Mehler's formula sum_j w_j h_j^2 rho_beta^j (w_j = 1, j,
1 + j for output, hidden, NTK; normalized Hermite coefficients h_j; summed by Horner's rule,
_hermite.mehler_sum, absolute accuracy <= 2 J eps E[g^2]); sphere init by a polar rule in
the plane of x and y (_pair_polar: (<w,x>, <w,y>) = R (cos theta, cos(theta - alpha)), R^2 ~
Beta(1, (n-2)/2), the circle cut where either argument is 0), exponentially convergent for
gates smooth away from 0 -- kinks and jumps at 0 included (~1e-15 of max |K|);
at SERIES_MIN_POINTS or more values the sphere kernel of a registered smooth gate is instead
sum_{k <= 200} N(n,k) mu_k P_{k,n}(rho) with mu_k from spectrum (when its omitted tail
K(1) - sum N mu_k is below 1e-13 K(1); ~1e-14 K(1) from the rule, a Gram matrix in
milliseconds instead of ~0.2 ms per entry);
Gaussian-init callables (the kernel does not depend on n): smooth ones by their Hermite series
(the engine of :mod:`gd_operator.deep` at depth 1, every train and a bias; ~1e-15, steep gates
such as tanh(5 t) included); for train="output" without a bias, callables whose series the
engine refuses (kinked) by the same polar rule with R ~ chi_2, exact to ~4e-15 relative for
homogeneous gates kinked at 0 (relu, abs, step) and algebraically convergent otherwise (elu,
relu(t - 0.3): 1e-7-1e-4, with a SeriesTruncationWarning at the cap).  Hidden-layer
trains and biases of smooth callables take the Hermite engine of :mod:`gd_operator.deep` at depth 1.
"""

from __future__ import annotations

import math

import numpy as np

from harmonics import nu_quadrature
from harmonics._infra.checks import check_dimension, check_unit_interval
from harmonics.arccos import arccos_j  # the one J_p (Cho & Saul); re-exported here

from ._gates import Gate, derivative_gate, log_chi_moment, resolve
from ._hermite import hermite_series_for_kernels, mehler_sum, trig_kernels
from ._radial import chi_rule, plane_radius_rule
from .spectrum import (
    _DETERMINISTIC_BIAS,
    INITS,
    TRAINS,
    _check_bias,
    _check_choice,
    check_mehler_width,
)


def _homogeneous_gaussian(act, p: int, rho):
    """E[g(u) g(v)] for the p-homogeneous registered gate g at scale 1, Gaussian init.

    From the structure of g (harmonics.Activation.truncated_powers): g = sum_a c_a (s_a t)_+^p
    and E[(s u)_+^p (s' v)_+^p] = J_p(s s' rho) / (2 pi) (Cho & Saul).  relu, relu^p, step are
    one term; sign = step(t) - step(-t) gives (2/pi) arcsin rho and abs = relu(t) + relu(-t)
    gives (2/pi)(sqrt(1 - rho^2) + rho arcsin rho).
    """

    terms, _ = act.with_gate().truncated_powers()
    val = None
    for ta in terms:
        for tb in terms:
            j = arccos_j(p, ta.side * tb.side * rho)
            c = ta.coef * tb.coef
            j = j if c == 1.0 else c * j
            val = j if val is None else val + j
    return val / (2 * math.pi)


def _homogeneous(gate: Gate, rho, init: str, n: int):
    act = gate.act
    p = gate.homogeneous_degree
    val = _homogeneous_gaussian(act, p, rho) * abs(act.scale) ** (2 * p)
    if init == "sphere":
        val = val / math.exp(log_chi_moment(n, p))
    return val


# ------------------------------------------------------------------------ numerical routes


def _polar_fixed(f, g, rho_flat, R, wR, num_angle: int):
    """E[f(R cos theta) g(R cos(theta - alpha))], alpha = arccos rho, theta uniform, by the
    rule (R, wR) in R and Gauss-Legendre in theta on [0, pi) cut at pi/2 and alpha + pi/2
    (mod pi); theta + pi is folded in as R -> -R, so the integrand in R is even."""
    x, wx = nu_quadrature(3, num_angle)  # nu_3 is uniform on [-1, 1]: Gauss-Legendre, sum 1
    out = np.empty(rho_flat.size)
    for i, p in enumerate(rho_flat):
        alpha = math.acos(min(1.0, max(-1.0, float(p))))
        cuts = sorted((0.5 * math.pi, (alpha + 0.5 * math.pi) % math.pi))
        edges = np.array([0.0, cuts[0], cuts[1], math.pi])
        half = np.diff(edges) / 2  # arc half-lengths; coincident cuts give an empty arc
        theta = ((edges[:-1] + half)[:, None] + half[:, None] * x[None, :]).ravel()
        w_theta = (half[:, None] * wx[None, :]).ravel() / (0.5 * math.pi)
        u = np.outer(R, np.cos(theta))
        v = np.outer(R, np.cos(theta - alpha))
        vals = np.asarray(f(u), dtype=float) * np.asarray(g(v), dtype=float)
        vals = vals + np.asarray(f(-u), dtype=float) * np.asarray(g(-v), dtype=float)
        out[i] = 0.5 * (wR @ vals @ w_theta)
    return out


#: angle nodes per arc of the polar rule: first and largest count
POLAR_ANGLE = (32, 512)
#: radial nodes: first count, largest for the sphere (Gauss-Jacobi) and for Gaussian w (chi_2
#: Gauss-Laguerre, whose moments carry ~2e-14 relative error from ~150 nodes on: tanh came out
#: 1.7e-14 off at 192 nodes, 1e-15 at 96)
POLAR_RADIUS = (24, 384, 96)
#: relative change (of max |K| on the probe values) at which a doubling has converged: the
#: sums' rounding (~2e-15) for the angle; the radial rules' own errors (chi_2: ~3e-14, the
#: sphere's Gauss-Jacobi at n ~ 1000: ~1e-14) for the radius
POLAR_TOL = (4e-15, 5e-14)
#: an unconverged rule is reported (SeriesTruncationWarning) when its last change exceeds this
POLAR_WARN = 1e-12


def _pair_polar(f, g, n: int, rho, init: str):
    """E[f(<w, x>) g(<w, y>)] at <x, y> = rho (array) for w uniform on S^{n-1} ("sphere") or
    w ~ N(0, I_n) ("gaussian"), by the rule of the plane of x and y.

    (<w, x>, <w, y>) = R (cos theta, cos(theta - alpha)), alpha = arccos rho, with theta
    uniform on the circle independent of R: R^2 ~ Beta(1, (n - 2)/2) on the sphere (R = 1 at
    n = 2; _radial.plane_radius_rule), R ~ chi_2 for Gaussian w (_radial.chi_rule; the kernel
    does not depend on n).  The circle is cut where either argument is 0, so a kink or jump
    at 0 (relu, abs, step, leaky relu) sits on an arc end and the rule converges exponentially
    for gates smooth elsewhere (relu, abs, step callables: <= 4e-15 of max |K| against the
    closed forms, where the tensor rule in (<w, x>, t2) it replaced was off by 1e-5 to 2.5e-2;
    sin at n = 2: 8e-17 against (J_0(sqrt(2 - 2 rho)) - J_0(sqrt(2 + 2 rho)))/2, 4e-15
    before).  Kinks elsewhere converge algebraically (~6e-5 for relu(t - 0.3)).  The angle
    nodes, then the radial ones, double until three probe values move by <= POLAR_TOL of
    their largest; a rule still moving by more than POLAR_WARN at its cap (steep gates:
    tanh(200 t) at n = 10 is 1.8e-8 off there; tanh(50 t) converges to 4e-16) is reported by
    a SeriesTruncationWarning.
    """
    import warnings

    from harmonics._infra.deprecation import user_stacklevel

    from ._hermite import SeriesTruncationWarning

    cap_r = POLAR_RADIUS[2] if init == "gaussian" else (1 if n == 2 else POLAR_RADIUS[1])

    def value(num_angle, num_radius, points):
        if init == "gaussian":
            R, wR = chi_rule(2, num_radius)
        elif n == 2:
            R, wR = np.ones(1), np.ones(1)
        else:
            R, wR = plane_radius_rule(n, num_radius)
        return _polar_fixed(f, g, points, R, wR, num_angle)

    probe = np.array([1.0, 0.2, -0.6])
    na, nr = POLAR_ANGLE[0], min(POLAR_RADIUS[0], cap_r)
    prev = value(na, nr, probe)
    worst = 0.0
    for cap, tol, axis in ((POLAR_ANGLE[1], POLAR_TOL[0], 0), (cap_r, POLAR_TOL[1], 1)):
        change = 0.0
        while (na if axis == 0 else nr) < cap:
            if axis == 0:
                na *= 2
            else:
                nr = min(2 * nr, cap)
            cur = value(na, nr, probe)
            scale = float(np.max(np.abs(cur)))
            change = float(np.max(np.abs(cur - prev))) / scale if scale > 0 else 0.0
            prev = cur
            if change <= tol:
                change = 0.0
                break
        if change > tol and axis == 1 and cap > 1:
            # at the cap the last change is the error of the half-size rule: measure the cap's
            # own against a 3/4-size rule instead (a converged cap shows rounding only)
            cur = value(na, (3 * cap) // 4, probe)
            scale = float(np.max(np.abs(prev)))
            change = float(np.max(np.abs(cur - prev))) / scale if scale > 0 else 0.0
        worst = max(worst, change)
    if worst > POLAR_WARN:
        warnings.warn(
            f"the polar quadrature of this kernel stopped at {na} angle x {nr} radial nodes "
            f"with a last change of {worst:.1e} relative (a steep gate?): values may be off by "
            "about that much",
            SeriesTruncationWarning,
            stacklevel=user_stacklevel(),
        )
    rho = np.asarray(rho, dtype=float)
    return value(na, nr, rho.ravel()).reshape(rho.shape)


def _gaussian_mehler_kernel(gate: Gate, rho, beta: float, train: str):
    sigma = math.sqrt(1 + beta * beta)
    x = (rho + beta * beta) / (1 + beta * beta)
    act = gate.act
    if act is not None and act.name == "erf" and act.bias == 0.0:
        s2 = (act.scale * sigma) ** 2
        q = 2 * s2 / (1 + 2 * s2)
        out = 2 / math.pi * np.arcsin(q * x)
        hid = 2 / math.pi * q * x / np.sqrt((1 - q * x) * (1 + q * x))
    elif act is not None and act.name in ("sin", "cos"):
        out, hid = trig_kernels(act.name, act.scale, act.bias, sigma, x)
    else:
        check_mehler_width(gate, sigma, beta)  # refuse at once what the series cannot sum
        log_h2, _ = hermite_series_for_kernels(gate, sigma, train != "output")
        j = np.arange(log_h2.size)
        out = mehler_sum(log_h2, x)
        with np.errstate(divide="ignore"):
            hid = mehler_sum(log_h2 + np.log(j), x)
    return {"output": out, "hidden": hid, "both": out + hid}[train]


def _relu_bias_kernel(gate: Gate, rho, beta: float, train: str):
    s2 = gate.act.scale**2
    b2 = beta * beta
    x = (rho + b2) / (1 + b2)
    out = s2 * (1 + b2) * arccos_j(1, x) / (2 * math.pi)
    hid = s2 * (rho + b2) * arccos_j(0, x) / (2 * math.pi)
    return {"output": out, "hidden": hid, "both": out + hid}[train]


def _numeric_sphere(gate: Gate, rho, n: int, train: str):
    out = hid = 0.0
    if train in ("output", "both"):
        out = _pair_polar(gate, gate, n, rho, "sphere")
    if train in ("hidden", "both"):
        mapped = derivative_gate(gate)
        if mapped is not None:
            act, c = mapped

            def d(t, act=act, c=c):
                return c * act(t)
        else:
            d = gate.act.derivative
        hid = rho * _pair_polar(d, d, n, rho, "sphere")
    return out + hid


#: Sphere-init kernels of smooth gates at this many rho values or more are summed from their
#: spectrum (Funk-Hecke) instead of the tensor Gauss rule per value (~0.2 ms each: a 1000-point
#: Gram matrix took minutes).
SERIES_MIN_POINTS = 64
#: Degrees of that sum; used only if the omitted tail K(1) - sum_k N(n,k) mu_k is below
#: SERIES_TAIL K(1) (every mu_k >= 0, |P_{k,n}| <= 1: the tail bounds the error at every rho).
SERIES_KMAX = 200
SERIES_TAIL = 1e-13


def _sphere_kernel(activation, gate: Gate, r, n: int, train: str, options: dict):
    """Sphere-init kernel of a gate without closed form: per value by the tensor Gauss rule, or,
    for many values, K(rho) = sum_{k <= SERIES_KMAX} N(n,k) mu_k P_{k,n}(rho) with mu_k from
    :func:`gd_operator.spectrum` (the same kernel's eigenvalues) when the rule's K(1) shows the
    omitted tail below SERIES_TAIL K(1); otherwise the rule everywhere."""
    r = np.asarray(r, dtype=float)
    if r.size < SERIES_MIN_POINTS or gate.kind == "callable":
        return _numeric_sphere(gate, r, n, train)
    from harmonics import dim_harmonics, legendre_rows

    from .spectrum import spectrum

    k1 = float(_numeric_sphere(gate, np.array(1.0), n, train))
    try:
        mu = spectrum(activation, n, SERIES_KMAX, train=train, init="sphere", **options)
    except ValueError:  # beyond the eigenvalue routes' limits (e.g. steep gates at k = 200)
        return _numeric_sphere(gate, r, n, train)
    mu = np.asarray(mu, dtype=float)
    weights = [float(dim_harmonics(n, k)) * float(mu[k]) if mu[k] else 0.0 for k in range(mu.size)]
    if not (np.all(mu >= 0) and abs(k1 - math.fsum(weights)) <= SERIES_TAIL * abs(k1)):
        return _numeric_sphere(gate, r, n, train)
    out = np.zeros_like(r)
    for k, row in legendre_rows(n, SERIES_KMAX, r):
        if weights[k]:
            out += weights[k] * row
    return out


def kernel(
    activation,
    n: int,
    rho,
    *,
    train: str = "output",
    init: str = "sphere",
    bias=None,
    power=None,
    coeffs=None,
    scale: float = 1.0,
    depth: int = 1,
    weight_var: float = 1.0,
):
    """Evaluate the dot-product kernel K(rho) whose eigenvalues :func:`spectrum` returns.

    K(rho) = sum_k N(n,k) mu_k P_{k,n}(rho), mu_k = spectrum(...)[k].  Options as in
    :func:`gd_operator.spectrum` (train, init, bias, power, coeffs, scale); see the module
    docstring for the formulas and accuracy.  Gaussian-init kernels do not depend on n (it is
    validated but unused); sphere-init kernels do.

    Parameters
    ----------
    rho : float or array in [-1, 1] (inner products of unit vectors).
    depth, weight_var : hidden layers L and weight variance sigma_w^2 (defaults 1, 1); other
        values give the deep NNGP / hidden / NTK kernels of :mod:`gd_operator.deep`
        (init="gaussian"), evaluated by the layer recursion of their closed duals (ReLU family,
        erf) or Mehler sums (other smooth gates).  Smooth callables with init="gaussian" take
        every train and a bias through the same engine (their Hermite coefficients).

    Returns
    -------
    float64 array of rho's shape (Python float for scalar input).

    >>> round(kernel("relu", 3, 1.0, init="gaussian"), 12)   # E[relu(u)^2] = 1/2
    0.5
    >>> round(kernel("relu", 3, 0.0, train="both", init="gaussian") * 2 * 3.141592653589793, 12)
    1.0
    """

    from .deep import check_deep_bias, check_deep_call, deep_kernel_values

    n = check_dimension(n)
    train = _check_choice(train, "train", TRAINS)
    init = _check_choice(init, "init", INITS)
    deep, depth, sw2 = check_deep_call(depth, weight_var, init, "auto")
    beta = _check_bias(bias, init)
    gate = resolve(activation, power=power, coeffs=coeffs, scale=scale)
    r = check_unit_interval(rho, "rho")
    # Gaussian-init callables take the deep engine at any depth: their Hermite series, E[g'g']
    # by Price's theorem (~1e-15, steep gates such as tanh(3 t) included, where the polar
    # rule's chi_2 radius was 1e-6 off).  It refuses kinked ones; their one-layer NNGP without
    # a bias still has the polar rule, exact for kinks at 0 of homogeneous gates (relu, abs).
    if deep or (gate.act is None and init == "gaussian"):
        check_deep_bias(beta)
        try:
            val = np.asarray(deep_kernel_values(gate, depth, sw2, beta * beta, train, r))
        except ValueError:
            if deep or gate.act is not None or train != "output" or beta > 0:
                raise
            val = _pair_polar(gate, gate, n, r, "gaussian")
        return float(val) if val.ndim == 0 else val
    if train != "output":
        derivative_gate(gate)  # raises for step/sign/callables
    p = gate.homogeneous_degree
    if beta > 0:
        if gate.name == "relu" and p is not None:
            val = _relu_bias_kernel(gate, r, beta, train)
        elif gate.kind in ("analytic", "polynomial"):
            val = _gaussian_mehler_kernel(gate, r, beta, train)
        else:
            raise ValueError(
                "a Gaussian bias is supported for relu and for smooth registered activations; "
                f"got {gate.label}"
            )
    elif p is not None:
        out = hid = 0.0
        if train in ("output", "both"):
            out = _homogeneous(gate, r, init, n)
        if train in ("hidden", "both"):
            act, c = derivative_gate(gate)
            dgate = Gate(act, None)
            hid = r * c * c * _homogeneous(dgate, r, init, n)
        val = out + hid
    elif init == "gaussian" and gate.kind in ("analytic", "polynomial"):
        val = _gaussian_mehler_kernel(gate, r, 0.0, train)
    elif init == "sphere":
        val = _sphere_kernel(
            activation, gate, r, n, train, dict(power=power, coeffs=coeffs, scale=scale)
        )
    else:
        raise ValueError(_DETERMINISTIC_BIAS)
    val = np.asarray(val, dtype=float)
    return float(val) if val.ndim == 0 else val
