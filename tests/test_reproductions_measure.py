"""The reproductions measure what their prediction predicts (small sizes, fast).

* Vempala-Wilmes: the biased run is trained on the exact population loss (was: the mean loss
  over 4000 points, which the population spectrum does not describe);
* Cao et al.: the residual on the training points, projected as the paper does, against the
  kernel-regime prediction on the same points;
* Basri et al.: their own biased model (bias starting at 0, trained) has their eigenvalues.
"""

import math

import numpy as np
import pytest

import funkhecke.reproductions as repro
import gd_operator as gdo


def test_vempala_wilmes_biased_run_is_on_the_population_loss():
    rep = repro.vempala_wilmes(n=4, degrees=(1, 2, 3), m=120, steps=40)
    res = rep.runs["bias"]
    assert res.settings["samples"] is None and rep.setup["samples_bias"] is None
    assert res.settings["bias"] == 0.5 and res.settings["init"] == "gaussian"
    # the loss GD minimizes is the population residual (1/2) sum_k ||Pi_k r||^2 that the
    # spectrum predicts (kmax = 4 here: degrees above carry the rest)
    half = 0.5 * res.residual_energy.sum(axis=1)
    assert np.all(res.loss >= half - 1e-12) and res.loss[0] == pytest.approx(half[0])
    # the empirical variant stays available
    emp = repro.vempala_wilmes(n=4, degrees=(1,), m=40, steps=4, samples_bias=300)
    assert emp.runs["bias"].settings["samples"] == 300


def test_cao_compares_the_training_residual_with_the_kernel_on_the_sample():
    rep = repro.cao_et_al(n=6, samples=300, m=256, steps=100, amplitudes=((1, 1, 1),))
    rows = {(r["residual"], r["degree"]): r for r in rep.rows}
    assert {w for w, _ in rows} == {"train: target term", "train: H_k", "population"}
    deg4 = rows[("train: target term", 4)]
    # 300 points cannot resolve the degree-4 harmonics (N(6, 4) = 84, N(6, <=4) = 210): the
    # training-set projection decays many times faster than the population mu_4 ...
    assert deg4["mu_measured"] > 3 * deg4["mu_population"]
    # ... exactly as the kernel-regime dynamics on the same points predict
    assert deg4["rel_error"] < 0.1
    assert rows[("train: target term", 1)]["rel_error"] < 0.1
    res = rep.runs["amps 1,1,1"]
    assert res.train_record["residual"].shape == (len(res.steps), 300)
    curves = rep.curves["amps 1,1,1"]
    assert curves["train_term_measured"].shape == curves["train_term_predicted"].shape
    assert set(rep.summary["hidden_weight_change"]) == {"amps 1,1,1"}


def test_kernel_dynamics_is_gradient_descent_of_the_linear_model():
    from funkhecke.reproductions.papers import _kernel_dynamics

    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 9))
    H = A @ A.T
    r0 = rng.standard_normal(6)
    lr, steps = 0.3, np.array([0, 1, 5])
    R, S = _kernel_dynamics(H, r0, steps, lr)
    r, total = r0.copy(), np.zeros(6)
    for t in range(6):
        if t in steps:
            i = list(steps).index(t)
            np.testing.assert_allclose(R[i], r, atol=1e-12)
            np.testing.assert_allclose(S[i], total, atol=1e-12)
        total += r
        r = r - lr * H @ r / 6


def test_basri_zero_initialized_bias_has_basri_eigenvalues():
    # Basri et al.'s biased model: b = 0 at the start, trained with the weights' step.  On the
    # circle its kernel (rho + 1) kappa_0(rho)/2 has (k^2+1)/(pi^2 (k^2-1)^2) at even k and
    # 1/(pi^2 k^2) at odd k.
    rep = repro.basri_et_al(
        kappas=(2, 3), m=60, samples=41, cap=5, bias=1.0, bias_init="zero", fit_range=(2, 3)
    )
    mu = {r["kappa"]: r["mu_predicted"] for r in rep.rows}
    assert mu[2] == pytest.approx(5 / (9 * math.pi**2), rel=1e-12)
    assert mu[3] == pytest.approx(1 / (9 * math.pi**2), rel=1e-12)
    assert rep.setup["bias_init"] == "zero"
    tg = gdo.ridge_target(2, (3,), rng=0)
    kw = dict(steps=3, lr=1.0, train="hidden", init="gaussian", samples=41, progress=False)
    res = gdo.simulate(tg, "relu", 2, 20, bias=1.0, bias_init="zero", **kw)
    assert res.spectrum[3] == pytest.approx(mu[3], rel=1e-12)
    assert np.any(res.params["b"] != 0)  # trained from 0
    with pytest.raises(ValueError, match="bias_init"):
        gdo.simulate(tg, "relu", 2, 20, bias=1.0, bias_init="uniform", **kw)


def test_murray_theta_is_one_plus_twice_our_ntk():
    # Murray et al. (ICLR 2023), Table 1: Theta(rho) = sum_p c_p rho^p for the one-hidden-layer
    # ReLU NTK; in our normalization Theta = 1 + 2 K_NTK with
    # 2 K_NTK = rho + (sqrt(1 - rho^2) + 2 rho arcsin rho) / pi
    rho = np.linspace(-0.8, 0.8, 17)
    theta = 1 + 2 * gdo.kernel("relu", 10, rho, train="both", init="gaussian")
    p = np.arange(0, 120)
    # sqrt(1-x^2) = sum_j binom(1/2, j) (-x^2)^j,
    # x arcsin x = sum_j (2j)! / (4^j j!^2 (2j+1)) x^(2j+2)
    sq = np.array([math.comb(2 * j, j) / (4**j * (1 - 2 * j)) for j in range(60)])
    asin = np.array([math.comb(2 * j, j) / (4**j * (2 * j + 1)) for j in range(60)])
    c = np.zeros(p.size)
    c[0::2] += sq / math.pi
    c[2::2] += 2 * asin[:-1] / math.pi
    c[1] += 1.0
    c[0] += 1.0
    np.testing.assert_allclose(theta, np.polyval(c[::-1], rho), rtol=1e-9)
    np.testing.assert_allclose(c[:5], [1 + 1 / math.pi, 1, 1.5 / math.pi, 0, 5 / (24 * math.pi)])


def test_spectral_bias_full_basri_states_its_time_and_resumes(monkeypatch, tmp_path):
    import io

    from funkhecke import demo
    from funkhecke.cli.gd_operator_cli import main

    tiny = dict(kappas=(2, 4), m=40, samples=41, cap=60, fit_range=(2, 4))
    monkeypatch.setattr(demo, "FULL_SIZES", {**demo.FULL_SIZES, "basri": tiny})
    args = ["spectral-bias", "--setup", "basri", "--full", "--out", str(tmp_path)]
    out = io.StringIO()
    assert main([*args, "--no-progress"], out=out) == 0
    text = out.getvalue()
    assert "Basri et al.: 2 GD runs to do" in text and "expected time" in text
    records = sorted((tmp_path / "runs" / "basri").glob("basri-*.json"))
    assert len(records) == 2
    out = io.StringIO()
    assert main([*args, "--no-progress"], out=out) == 0  # resumes: nothing left to run
    assert "0 GD runs to do (2 already done" in out.getvalue()


def test_basri_iterations_match_the_kernel_on_the_training_points():
    # like with like: the kernel-regime count on the run's own points and initialization
    rep = repro.basri_et_al(kappas=(2, 4), m=200, samples=101, cap=800, fit_range=(2, 4))
    for r in rep.rows:
        assert not r["hit_cap"]
        assert r["iterations"] == pytest.approx(r["iterations_predicted_sample"], rel=0.05)
        assert 0 < r["weight_change"] < 0.1
    assert rep.summary["predicted_slope_sample"] is not None
