"""harmonics.Activation owns the structure of every registered activation.

Each fact is checked against the function itself, numerically: homogeneity g(r t) = r^p g(t),
parity g(-t) = +-g(t), jumps (a discontinuity on a fine grid), the derivative gate against a
central difference, and the availability of exact gate eigenvalues against
harmonics.funk_hecke_eigenvalues of the rescaled, shifted gate.  (The numba evaluation of each
kernel code is compared with numpy in tests/test_simulate.py.)
"""

import numpy as np
import pytest

from harmonics import REGISTERED_ACTIVATIONS, funk_hecke_eigenvalues, get_activation
from harmonics.activations import KERNEL_CODES


def _all():
    out = []
    for name in REGISTERED_ACTIVATIONS:
        if name == "relu_power":
            out += [get_activation("relu2"), get_activation("relu3")]
        elif name == "polynomial":
            out += [
                get_activation("polynomial", coeffs=[0.0, 0.0, 2.0]),
                get_activation("polynomial", coeffs=[1.0, -0.5, 0.25]),
            ]
        else:
            out.append(get_activation(name))
    return out


ACTS = _all()
T = np.linspace(-1, 1, 2001)


@pytest.mark.parametrize("act", ACTS, ids=repr)
def test_homogeneity_parity_and_jumps(act):
    p = act.homogeneous_degree
    for r in (0.3, 2.5):
        hom = np.allclose(act(r * T), r ** (p or 0) * act(T), rtol=1e-12, atol=1e-14)
        assert hom == (p is not None)
    even = np.allclose(act(-T), act(T), rtol=0, atol=1e-14)
    odd = np.allclose(act(-T[T != 0]), -act(T[T != 0]), rtol=0, atol=1e-14)
    assert act.parity == (1 if even else -1 if odd else 0)
    jump = np.max(np.abs(np.diff(act(T)))) > 0.1
    assert act.discontinuous == jump
    assert act.kernel_code in KERNEL_CODES.values() and act.kernel_code == KERNEL_CODES[act.name]


@pytest.mark.parametrize("act", ACTS, ids=repr)
def test_derivative_gate(act):
    if act.discontinuous:
        with pytest.raises(ValueError, match="Dirac delta"):
            act.derivative_gate()
        return
    mapped = act.derivative_gate()
    t = T[np.all(np.abs(T[:, None] - np.array(act.kinks or (9.0,))[None, :]) > 1e-3, axis=1)]
    h = 1e-6
    numeric = (act(t + h) - act(t - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(t), numeric, rtol=1e-6, atol=1e-7)
    if mapped is None:
        assert act.kind == "analytic"
    else:
        g, c = mapped
        np.testing.assert_allclose(c * g(t), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("act", ACTS, ids=repr)
def test_exact_gates_classification(act):
    # "all": the vectorized per-unit eigenvalues of gd_operator._ridge equal harmonics' exact
    # ones for any |w| and bias; "unbiased": r^p lambda_k(phi); "unit-scale": only phi itself.
    from gd_operator._ridge import _gate_eigenvalues, exact_network_energies

    n, K = 5, 6
    kind = act.exact_gates
    assert kind in ("all", "unbiased", "unit-scale")
    assert (kind != "unit-scale") == (act.homogeneous_degree is not None or kind == "all")
    assert exact_network_energies(act, unit_weights=True, biased=False)
    assert exact_network_energies(act, unit_weights=False, biased=True) == (kind == "all")
    if kind == "all":
        r, b = np.array([0.7, 1.9]), np.array([-0.4, 1.3])
        got = _gate_eigenvalues(act, r, b, n, K)
        for i in range(2):
            ref = funk_hecke_eigenvalues(act.name, n, K, scale=r[i], bias=b[i])
            np.testing.assert_allclose(got[i], ref, rtol=1e-12, atol=1e-15)
