"""One contract for every result type (harmonics._infra.results.ResultMixin), written once.

Each public result class is built small below; for each: save -> load gives back equal fields
(same values, dtypes, shapes, NaN and +-inf, tuples vs lists, nested results), the saved file and
``to_json()`` are strict JSON (RFC 8259: no NaN/Infinity tokens), ``to_dict()`` is the public
layout (``to_json()`` is exactly its JSON), and the repr is one readable line.  A registry check
makes sure no result class is left out of the list.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math

import numpy as np
import pytest

import funkhecke.reproductions as repro
import gd_operator as gdo
import harmonics as hm
import sq_bounds as sq
from harmonics._infra.results import ResultMixin


def _reproduction_with_runs():
    return repro.vempala_wilmes(n=3, degrees=(1, 2), m=16, steps=4, samples_bias=40, progress=False)


MAKERS = {
    "GegenbauerExpansion": lambda: hm.expand("relu", 4, 5),
    "Projection": lambda: hm.project(
        lambda X: X[:, 0] ** 3,
        5,
        3,
        method="montecarlo",
        num_samples=64,
        rng=1,
        max_coefficients=6,
    ),
    "SimulationResult": lambda: gdo.simulate(
        gdo.ridge_target(3, (1, 2), rng=0),
        "relu",
        3,
        m=8,
        steps=3,
        lr=1.0,
        progress=False,
        energies=False,
    ),
    "SimulationResult-float32": lambda: gdo.simulate(
        gdo.ridge_target(3, (1,), rng=0),
        "relu",
        3,
        m=6,
        steps=2,
        lr=0.5,
        samples=20,
        train="both",
        dtype=np.float32,
        progress=False,
        kmax=2,
    ),
    "FiniteWidthSpectrum": lambda: gdo.finite_width_spectrum("relu", 4, 10, 3, rng=0),
    "DeepFiniteWidth": lambda: gdo.deep_finite_width("relu", 3, [8], 2, points=10, seeds=2, rng=0),
    "AlphaK": lambda: gdo.alpha_k("relu", n=3, k=4),
    "VWBounds": lambda: gdo.vw_bounds("relu", n=4, k=2, eps=0.1),
    "Prediction": lambda: gdo.predict([0.0, 1.0, 1.0], [0.5, 0.25, 0.0], lr=1.0, steps=4),
    "SQBound": lambda: sq.query_lower_bound(k=3, n=100, tau=0.1),
    "SQBound-none": lambda: sq.query_lower_bound(k=2, n=10, tau=0.01),
    "SQBound-information": lambda: sq.information_theoretic_bound(k=3, n=100),
    "StatisticalDimension": lambda: sq.statistical_dimension(k=3, n=100, tau=0.1),
    "ExponentFit": lambda: sq.fit_exponent(k=2, n_values=[10, 20, 40], tau=0.1),
    "GDRun": lambda: sq.population_gradient_descent(
        sq.LegendreTarget(np.array([0.6, 0.8, 0.0]), 2), width=5, steps=3, rng=0
    ),
    "DirectionFamily": lambda: sq.direction_family(5, size=3, rng=0),
    "Reproduction": _reproduction_with_runs,
    "LearningCurve": lambda: gdo.learning_curve(
        [1.0, 0.1, 0.0], 3, [0.5, 1.0, 0.2], [0, 2, 4, 20], ridge=0.0, noise=0.1
    ),
    "RandomFeaturesCurve": lambda: gdo.random_features_curve(
        [1.0, 0.1, 0.0], 3, [0.5, 1.0, 0.2], [0, 2, 5, 20], 5, ridge=0.0, noise=0.1
    ),
    "RandomFeaturesRegression": lambda: gdo.random_features_regression(
        "relu", 3, [4, 6], 5, degrees=(1,), ridge=1e-2, seeds=2, rng=0
    ),
    "BeyondKernels": lambda: __import__(
        "funkhecke.reproductions.beyond_kernels", fromlist=["reproduce"]
    ).reproduce(
        "staircase",
        progress=False,
        cfg={
            "d": 4,
            "depth": 2,
            "width": 8,
            "batch": 8,
            "lr": 0.1,
            "steps": 20,
            "record_every": 10,
            "ntk_bias": 0.5,
            "init_scale": 0.5,
            "test_size": 200,
            "seed": 0,
        },
    ),
    "KernelFloor": lambda: gdo.kernel_floor(gdo.lmz_target(4, rng=0), [3, 20], kernels=("ntk",)),
    "GaussianRidgeSum": lambda: gdo.gaussian_ridge_sum("relu", np.eye(3)[:2], [1.0, -0.5]),
    "HermitePolynomialTarget": lambda: gdo.staircase_target(5, 2, rng=0),
    "MeanFieldResult": lambda: gdo.train_mean_field(
        gdo.single_index_target(4, 2, rng=0),
        width=4,
        steps=3,
        batch=8,
        rng=0,
        test_size=100,
        energy_degree=2,
    ),
    "GDLearningCurve": lambda: gdo.gd_learning_curve(
        [1.0, 0.1, 0.0], 3, [0.5, 1.0, 0.2], [0, 2, 20], 1.0, [0, 1, 10], noise=0.1
    ),
    "KernelGDRegression": lambda: gdo.kernel_gd_regression(
        "relu", 3, [4, 6], 1.0, [0, 3], degrees=(1,), seeds=2, kmax=4, rng=0
    ),
    "KernelRegression": lambda: gdo.kernel_regression(
        "relu", 3, [4, 6], degrees=(1,), ridge=1e-2, seeds=2, kmax=4, rng=0
    ),
}


def _strict_loads(text):
    def reject(token):
        raise AssertionError(f"non-standard JSON token {token!r}")

    return json.loads(text, parse_constant=reject)


def _assert_same(a, b, where):
    """a (loaded) equals b (original): values, types, dtypes, shapes, NaN and inf included."""
    if isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape, (where, a.dtype, b.dtype)
        assert a.flags.writeable == b.flags.writeable, where
        if b.dtype.kind == "O":
            for i, (x, y) in enumerate(zip(a.ravel(), b.ravel(), strict=True)):
                _assert_same(x, y, f"{where}[{i}]")
        else:
            assert np.array_equal(a, b, equal_nan=b.dtype.kind == "f"), where
    elif isinstance(b, ResultMixin):
        assert type(a) is type(b), where
        for f in dataclasses.fields(b):
            _assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), (where, type(a), type(b))
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b), where
        for k in b:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(b, float) and math.isnan(b):
        assert isinstance(a, float) and math.isnan(a), where
    elif dataclasses.is_dataclass(b) or isinstance(b, (bool, int, float, str, type(None))):
        assert type(a) is type(b) and a == b, (where, a, b)
    elif isinstance(b, np.generic):
        assert type(a) is type(b) and (a == b or (np.isnan(a) and np.isnan(b))), where
    else:  # not data (a callable, ...): kept as its repr
        assert a == repr(b), where


@pytest.fixture(scope="module", params=sorted(MAKERS))
def made(request):
    return request.param, MAKERS[request.param]()


def test_every_result_class_is_covered():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for module in (  # every module that defines a result type (the packages load lazily)
        "harmonics.expansion",
        "harmonics.projection",
        "gd_operator.simulation",
        "gd_operator.finite_width",
        "gd_operator.vw_bounds",
        "gd_operator.predict",
        "gd_operator.learning_curve",
        "gd_operator.regression",
        "gd_operator.random_features",
        "gd_operator.early_stopping",
        "gd_operator.gaussian",
        "gd_operator.floors",
        "gd_operator.mean_field",
        "sq_bounds.bounds",
        "sq_bounds.oracle",
        "sq_bounds.families",
        "funkhecke.reproductions.papers",
        "funkhecke.reproductions.beyond_kernels",
        "funkhecke.sweeps",
    ):
        importlib.import_module(module)
    covered = {name.split("-")[0] for name in MAKERS}
    ours = ("harmonics.", "gd_operator.", "sq_bounds.", "funkhecke.")
    public = {c.__name__ for c in subclasses(ResultMixin) if c.__module__.startswith(ours)}
    assert len(public) >= 13, public
    assert public <= covered, f"result classes without a contract instance: {public - covered}"


def test_save_load_round_trip(made, tmp_path):
    name, obj = made
    assert isinstance(obj, ResultMixin) and type(obj).__name__ == name.split("-")[0]
    path = tmp_path / "result.json"
    obj.save(path)
    back = type(obj).load(path)
    _assert_same(back, obj, name)
    assert back.to_dict() == obj.to_dict()
    # loading through the mixin's classmethod on the wrong class is refused
    other = gdo.Prediction if not isinstance(obj, gdo.Prediction) else sq.SQBound
    with pytest.raises(TypeError, match="holds a"):
        other.load(path)


def test_strict_json_and_layout(made, tmp_path):
    name, obj = made
    doc = _strict_loads(obj.to_json())
    assert doc == obj.to_dict()  # to_dict() is JSON-ready: what to_json() writes, nothing else
    assert "__result__" not in doc
    path = tmp_path / "result.json"
    obj.save(path)
    saved = _strict_loads(path.read_text())
    meta = saved.pop("__result__")
    assert saved == doc and meta["class"] == type(obj).__name__


def test_plain_to_json_document_loads_best_effort(made):
    name, obj = made
    back = type(obj).from_dict(json.loads(obj.to_json()))
    assert type(back) is type(obj)


def test_readable_repr(made):
    name, obj = made
    text = repr(obj)
    assert text.startswith(type(obj).__name__ + "("), text
    assert "\n" not in text and len(text) < 400, text
    assert "array(" not in text and " object at 0x" not in text, text


# ------------------------------------------------------------------------ the mixin itself


@dataclasses.dataclass
class _Toy(ResultMixin):
    values: np.ndarray
    pair: tuple
    extra: dict
    scalar: float
    fn: object = None
    _layout = ("values", "pair", "scalar", "double", "fn")
    _keys = {"values": "data"}

    def double(self):
        return 2 * self.values


def test_mixin_layout_renames_derived_hidden_and_nonfinite(tmp_path):
    toy = _Toy(
        np.array([[1.0, np.inf], [np.nan, -np.inf]]),
        (1, np.int64(2), (3.0, math.nan)),
        {"w": np.arange(3, dtype=np.int32), 4: "int key"},
        -math.inf,
        fn=lambda x: x,
    )
    d = toy.to_dict()
    assert list(d) == ["data", "pair", "scalar", "double", "fn"]  # extra is hidden
    assert d["data"] == [[1.0, None], [None, None]] and d["scalar"] is None
    assert d["double"] == [[2.0, None], [None, None]]
    assert d["fn"].startswith("<function")
    toy.save(tmp_path / "toy.json")
    back = _Toy.load(tmp_path / "toy.json")
    _assert_same(back, toy, "toy")
    assert back.fn == repr(toy.fn)  # not data: its repr comes back


def test_mixin_refuses_unknown_formats(tmp_path):
    path = tmp_path / "p.json"
    gdo.predict([1.0], [0.5], lr=1.0, steps=2).save(path)
    doc = json.loads(path.read_text())
    doc["__result__"]["format"] = 99
    with pytest.raises(ValueError, match="format"):
        gdo.Prediction.from_dict(doc)
