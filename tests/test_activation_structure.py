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
        elif name in ("leaky_relu", "leaky_step"):
            out += [get_activation(name), get_activation(name, negative_slope=0.3)]
        elif name in ("sin", "cos"):
            out += [get_activation(name), get_activation(name, scale=3.0)]
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
            ref = funk_hecke_eigenvalues(act.with_gate(r[i], b[i]), n, K)
            np.testing.assert_allclose(got[i], ref, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------ the name table


def test_alias_table_resolves_to_its_canonical_names():
    from harmonics import ACTIVATION_ALIASES, activation_names

    assert set(ACTIVATION_ALIASES) <= set(REGISTERED_ACTIVATIONS)
    seen = set()
    for name, aliases in ACTIVATION_ALIASES.items():
        for alias in aliases:
            assert alias not in seen and alias not in REGISTERED_ACTIVATIONS, alias
            seen.add(alias)
            spelled = alias.replace("<p>", "3")
            act = get_activation(spelled, coeffs=[0.0, 1.0] if name == "polynomial" else None)
            # spelling variants: case, spaces and "-" for "_"
            upper = get_activation(
                spelled.upper().replace("_", "-"),
                coeffs=[0.0, 1.0] if name == "polynomial" else None,
            )
            assert act == upper
            assert act.name == name, (alias, act)
            if name == "relu_power":
                assert act.power == 3
    names = activation_names()
    assert set(REGISTERED_ACTIVATIONS) <= set(names) and "swish" in names and "relu2" in names
    # the error for an unknown name lists every spelling, so the CLIs' "did you mean" finds
    # aliases too (funkhecke.cli._base._suggest parses "unknown activation 'x'; known: ...")
    from funkhecke.cli._base import _suggest

    with pytest.raises(ValueError) as info:
        get_activation("swsh")
    msg = str(info.value)
    assert all(n in msg for n in names)
    assert "(did you mean 'swish'?)" in _suggest(msg)


def test_docs_activation_table_lists_every_name():
    # docs/conventions.md carries the one user-facing table: canonical names and aliases
    import os
    import re

    from harmonics import ACTIVATION_ALIASES

    path = os.path.join(os.path.dirname(__file__), "..", "docs", "conventions.md")
    with open(path) as fh:
        text = fh.read()
    start = text.index("### Activation names")
    rows = [ln for ln in text[start:].splitlines() if ln.startswith("| `")]
    table = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        table[cells[0].strip("`")] = set(re.findall(r"`([^`]+)`", cells[1]))
    assert set(table) == set(REGISTERED_ACTIVATIONS)
    for name in REGISTERED_ACTIVATIONS:
        assert table[name] == set(ACTIVATION_ALIASES.get(name, ())), name


def test_new_parameters_and_special_values():
    a = get_activation("leaky_relu", negative_slope=0.2)
    t = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(a(t), np.where(t > 0, t, 0.2 * t))
    assert get_activation("leaky_relu", negative_slope=0.0).name == "relu"
    assert get_activation("leaky_relu", negative_slope=1.0).name == "identity"
    assert get_activation("leaky_relu", negative_slope=-1.0).name == "abs"
    assert get_activation("leaky_step", negative_slope=0.0).name == "step"
    assert get_activation("leaky_step", negative_slope=-1.0).name == "sign"
    assert get_activation("leaky_relu").negative_slope == 0.01  # PyTorch's default
    with pytest.raises(ValueError, match="negative_slope"):
        get_activation("relu", negative_slope=0.1)
    with pytest.raises(ValueError, match="negative_slope"):
        get_activation("leaky_relu", negative_slope=float("nan"))
    from harmonics import Activation

    assert Activation("leaky_relu") == get_activation("leaky_relu")
    with pytest.raises(ValueError, match="negative_slope"):
        Activation("relu", negative_slope=0.5)
    # sin/cos: the frequency is the scale; eigenvalues refused beyond |scale| = 1000
    with pytest.raises(ValueError, match="scale"):
        funk_hecke_eigenvalues("sin", 3, 4, scale=2000.0)
    # every spelling keeps working through the public entry points
    from gd_operator import kernel, spectrum

    assert spectrum("swish", 3, 4).shape == (5,)
    assert kernel("LeakyReLU", 3, 0.5, init="gaussian") > 0
