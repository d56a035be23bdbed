"""Resolution of the ``activation`` argument into a gate and its structure (private).

A *gate* is the function g(t) applied to the pre-activation t = <w, x> (+ b): a registered
:class:`harmonics.Activation` phi(scale * t + bias0) or a black-box Python callable.  This module
knows, for registered gates,

* whether g is positively homogeneous of degree p (g(r t) = r^p g(t) for r > 0): relu (p = 1),
  relu^p, step and sign (p = 0), abs (p = 1), all with bias0 = 0 -- then the Gaussian-init
  kernels are the sphere-init ones times E[r^{2p}], r ~ chi_n;
* the derivative gate g' (needed by the hidden-layer kernel) as a registered gate when one
  exists: relu -> scale * step, relu^p -> p * scale * relu^{p-1}, abs -> scale * sign,
  polynomials -> their derivative; step and sign have a Dirac delta as derivative (the
  hidden-layer kernel does not exist) and analytic gates have no registered derivative (the
  callers use the identity lambda_k^{(n)}(g') = (n - 2) lambda_{k+1}^{(n-2)}(g) instead).

These facts belong to :class:`harmonics.Activation` (``homogeneous_degree``, ``discontinuous``,
``derivative_gate()``); this module only adds what black-box callables need.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from harmonics import Activation, get_activation


@dataclass(frozen=True)
class Gate:
    """A resolved activation: ``act`` (registered) or ``fn`` (black-box callable)."""

    act: object | None
    fn: object | None
    kinks: tuple = ()

    @property
    def label(self) -> str:
        if self.act is not None:
            return repr(self.act)
        return getattr(self.fn, "__name__", "callable")

    @property
    def kind(self) -> str:
        """'piecewise', 'analytic', 'polynomial' or 'callable'."""
        return self.act.kind if self.act is not None else "callable"

    @property
    def name(self) -> str | None:
        return self.act.name if self.act is not None else None

    @property
    def homogeneous_degree(self) -> int | None:
        """p with g(r t) = r^p g(t) for all r > 0, or None (requires bias0 = 0).

        Piecewise gates only (relu, relu^p, step, sign, abs): the Gaussian-init closed forms
        of the callers (arc-cosine kernels, chi moments) are written for them; identity and
        monomials, homogeneous too, take the polynomial routes there.
        """
        act = self.act
        if act is None or act.kind != "piecewise":
            return None
        return act.homogeneous_degree

    def __call__(self, t):
        if self.act is not None:
            return self.act(t)
        t = np.asarray(t, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            out = np.asarray(self.fn(t), dtype=float)  # non-finite values: ValueError below
        if out.shape != t.shape:  # e.g. lambda t: 1.0
            try:
                out = np.broadcast_to(out, t.shape)
            except ValueError:
                raise ValueError(
                    f"the activation callable {self.label} returned shape {out.shape} for "
                    f"input of shape {t.shape}; it must act elementwise on float arrays"
                ) from None
        if not np.all(np.isfinite(out)):
            bad = t[~np.isfinite(np.broadcast_to(out, t.shape))]
            raise ValueError(
                f"the activation callable {self.label} returned NaN or inf at {bad.size} of "
                f"{t.size} points (e.g. t = {float(bad.flat[0]):.6g}); it must be finite on "
                "the real line (Gaussian init) or on [-1, 1] (sphere init)"
            )
        return out

    def eigen_arg(self):
        """What to pass to harmonics.funk_hecke_eigenvalues."""
        return self.act if self.act is not None else self.fn

    def rescaled(self, r: float) -> Gate:
        """The gate t -> g(r t) (registered gates only)."""
        a = self.act
        return Gate(a.with_gate(a.scale * r, a.bias), None)


def resolve(activation, *, power=None, coeffs=None, scale=1.0, kinks=()) -> Gate:
    """Turn the public ``activation`` argument into a :class:`Gate` (TypeError/ValueError)."""
    kinks = tuple(kinks) if kinks is not None else ()
    if kinks and (isinstance(activation, (str, Activation)) or not callable(activation)):
        raise ValueError("kinks apply to callables only (registered activations know theirs)")
    for x in kinks:
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not -1 <= x <= 1:
            raise ValueError(f"kinks must be real numbers in [-1, 1], got {x!r}")

    if isinstance(activation, Activation):
        if power is not None or coeffs is not None or scale != 1.0:
            raise ValueError(
                "power/coeffs/scale cannot be combined with an Activation object; "
                "build the Activation with them"
            )
        return Gate(activation, None)
    if isinstance(activation, str):
        return Gate(
            get_activation(activation, power=power, coeffs=coeffs, scale=scale),
            None,
        )
    if callable(activation):
        if power is not None or coeffs is not None or scale != 1.0:
            raise ValueError("power/coeffs/scale apply to registered activations, not callables")
        return Gate(None, activation, tuple(float(x) for x in kinks))
    raise TypeError(
        "activation must be a registered name (e.g. 'relu', 'tanh'), a harmonics.Activation "
        f"or a callable on [-1, 1], got {type(activation).__name__}"
    )


def derivative_gate(gate: Gate):
    """(registered derivative gate, constant factor c) with g'(t) = c * h(t), or None.

    Returns None for analytic gates (no registered derivative).  Raises ValueError when the
    derivative is a distribution (step, sign) or unknown (callables).
    """
    act = gate.act
    if act is None:
        raise ValueError(
            "this hidden-layer kernel needs the derivative of the activation, which a callable "
            "does not provide; pass a registered activation name (with init='gaussian', "
            "spectrum and kernel take smooth callables for every train)"
        )
    return act.derivative_gate()


def log_chi_moment(n: int, p: int) -> float:
    """log E[r^{2p}], r ~ chi_n: E[r^{2p}] = 2^p Gamma(n/2 + p) / Gamma(n/2) = prod_{i<p}(n+2i)."""
    return float(sum(math.log(n + 2 * i) for i in range(p)))
