"""Beyond the kernel regime: feature-learning networks against the exact kernel floor.

Three reproductions, each a table of measured (mean-field network, gd_operator.train_mean_field)
against predicted (kernel floor and NTK / NNGP learning curves at the same number of samples,
gd_operator.kernel_floor) values, a figure and a JSON document:

``lmz`` -- Li, Ma & Zhang, "Learning over-parametrized two-layer ReLU networks beyond NTK"
    (COLT 2020).  Paper: x ~ N(0, I_d), f*(x) = a^T |W* x| with a >= 0, W* orthonormal; a
    two-layer ReLU network trained by (a two-phase) gradient descent reaches population loss
    o(1/d) with poly(d) samples, while every kernel method with poly(d) samples has loss
    Omega(1/d).  Here: a_i = 1/d, W* a random orthogonal matrix, a mean-field ReLU network of
    width 8 d trained by online SGD (batch 32, lr 1, fresh samples) on P = 8 d^3 samples; we
    plot d x (test loss) for the network (20000-point test set, +- one standard error) and
    for the GMMM floor and the NTK / NNGP learning curves at the same P.  The floor is
    asymptotic: at small d, P = 8 d^3 is above the ~d^4/24 degree-4 harmonics, so the NTK
    curve starts below it (d = 16: 0.017 against 0.045) and rises towards it as d grows.
    Reduced: d in {16, 24, 32} (--full: 16 ... 128, ~21 min on one core; the cost grows as
    d^5 and d = 256 would take ~11 h), plain online SGD instead of the paper's two-phase
    algorithm, one seed per d.

``single-index`` -- Ben Arous, Gheissari & Jagannath, "Online stochastic gradient descent on
    non-convex losses from high-dimensional inference" (JMLR 2021).  Paper: a single neuron on
    the sphere learning psi_k(<w*, x>) (information exponent k*) by online spherical SGD needs
    n ~ d (k* = 1), d log d (k* = 2), d^{k*-1} (k* >= 3) samples to escape the equator.  Here:
    the student psi_k(<w, x>) (He_k / sqrt(k!)), ||w|| = 1 after each step, batch 1, step
    lr = c_k d^{-max(1, k/2)} (the largest step whose gradient noise lr^2 d does not beat the
    drift lr m^{k-1} at the initial overlap m ~ d^{-1/2}; c_k = 0.5, 0.05, 0.02), escape =
    the first step with |<w, w*>| >= 1/2, the median over seeds.  The fitted log-log slope of
    the escape time against d is compared with max(1, k* - 1) (and, at k* = 2, the slope of
    T / log d with 1).  The kernel side at the escape sample count P: the GMMM floor (1 while
    P < d^{k*}, which the small-d constants of the escape time violate at k* = 3) and the
    ridgeless NTK learning curve of a ReLU network with a Gaussian bias of std 0.5 (without a
    bias mu_3 = 0 and degree 3 is never learned).  The finite-d prediction
    (:func:`escape_time_ode`, fits' ``predicted_finite_d``) is the slope of the drift ODE's
    escape time over the same d.  Reduced: d up to 128 (k* <= 2) / 64 (k* = 3), 6 seeds
    (--full: 1024 / 256, 10 seeds, and k* = 4 to 64).

``staircase`` -- Abbe, Boix-Adsera & Misiakiewicz (COLT 2022, "The merged-staircase
    property"); Abbe, Boix-Adsera & Misiakiewicz (COLT 2023, "SGD learning on neural
    networks: leap complexity and saddle-to-saddle dynamics").  Paper: f* = x_1 + x_1 x_2 +
    x_1 x_2 x_3 (+ ...) on the hypercube, learned by SGD in mean-field networks with O(d)
    samples per step of the staircase, degree by degree.  Here: the Gaussian analogue
    z_1 + z_1 z_2 + z_1 z_2 z_3 (orthonormal Hermite monomials, z_r = <u_r, x>), a mean-field
    ReLU network (width 128, online SGD batch 32, lr 0.1, initial biases N(0, 0.5^2)), the
    exact per-degree residual ||Pi_j (f - f*)||^2 of the network over the samples seen,
    against the NTK's per-degree test error at the same P from the learning-curve theory
    (the NTK of the same network at initialization: Gaussian biases of std 0.5), which stays
    near 1 for degree 3 until P ~ d^3 / 6.  The random initial biases matter: with b = 0 a
    ReLU unit is linear + even (its He_3 coefficient vanishes), degree 3 gets no first-order
    signal until the biases move, and at d = 64 the network needed as many samples for
    degree 3 as the kernel (~6e4).  Reduced: d = 64, 4000 steps (--full: d = 128, 16000
    steps), one seed.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from harmonics._infra.jsonio import atomic_write_text, json_dumps
from harmonics._infra.results import ResultMixin

SETUPS = ("lmz", "single-index", "staircase")


@dataclass(repr=False)
class BeyondKernels(ResultMixin):
    """One reproduction: ``rows`` (measured vs predicted, one dict per unit), ``fits`` (fitted
    exponents and their predictions), ``curves`` (figure data), the paper's setup and what is
    reduced; ``partial`` if interrupted (Ctrl-C)."""

    setup: str
    paper: str
    reduced: str
    config: dict
    rows: list
    fits: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)
    seconds: float = 0.0
    partial: bool = False

    def __repr__(self) -> str:
        return (
            f"BeyondKernels(setup={self.setup!r}, {len(self.rows)} rows, "
            f"fits={sorted(self.fits)}{', partial' if self.partial else ''})"
        )


PAPERS = {
    "lmz": "Li, Ma & Zhang, COLT 2020: a^T|W*x| learned to o(1/d) by a ReLU network with "
    "poly(d) samples; every kernel method Omega(1/d)",
    "single-index": "Ben Arous, Gheissari & Jagannath, JMLR 2021: online SGD escape time "
    "d^{max(1, k*-1)} (d log d at k* = 2) for information exponent k*",
    "staircase": "Abbe, Boix-Adsera & Misiakiewicz, COLT 2022/2023: staircase functions are "
    "learned degree by degree by SGD on mean-field networks",
}


def config(setup: str, full: bool = False) -> dict:
    """The sizes of one reproduction (reduced by default; ``full``: the largest we ran)."""
    if setup == "lmz":
        return {
            "d_values": [16, 24, 32, 48, 64, 96, 128] if full else [16, 24, 32],
            "samples_per_d3": 8,
            "width_per_d": 8,
            "batch": 32,
            "lr": 1.0,
            "init_scale": 0.5,
            "test_size": 20000,
            "seed": 0,
        }
    if setup == "single-index":
        d = {1: [16, 32, 64, 128], 2: [16, 32, 64, 128], 3: [16, 32, 64]}
        if full:
            d = {
                1: [16, 32, 64, 128, 256, 512, 1024],
                2: [16, 32, 64, 128, 256, 512, 1024],
                3: [16, 32, 64, 128, 256],
                4: [16, 24, 32, 48, 64],
            }
        return {
            "d_values": {str(k): v for k, v in d.items()},
            "lr_constant": {"1": 0.5, "2": 0.05, "3": 0.02, "4": 0.01},
            "seeds": 10 if full else 6,
            "threshold": 0.5,
            "cap_factor": 50,
            "ntk_bias": 0.5,
            "seed": 0,
        }
    if setup == "staircase":
        return {
            "d": 128 if full else 64,
            "depth": 3,
            "width": 128,
            "batch": 32,
            "lr": 0.1,
            "steps": 16000 if full else 4000,
            "record_every": 25,
            "ntk_bias": 0.5,
            "bias_init": 0.5,
            "init_scale": 0.5,
            "test_size": 20000,
            "seed": 0,
        }
    raise ValueError(f"setup must be one of {SETUPS}, got {setup!r}")


# ------------------------------------------------------------------------------ units


def _units(setup, cfg):
    if setup == "lmz":
        return [("lmz", {"d": d}) for d in cfg["d_values"]]
    if setup == "single-index":
        return [
            (f"k{k}_d{d}", {"k": int(k), "d": d}) for k, ds in cfg["d_values"].items() for d in ds
        ]
    return [("staircase", {"d": cfg["d"]})]


def _lmz_unit(cfg, d, progress=None):
    import gd_operator as gdo

    f = gdo.lmz_target(d, rng=cfg["seed"] + d)
    P = cfg["samples_per_d3"] * d**3
    B = cfg["batch"]
    steps = P // B
    r = gdo.train_mean_field(
        f,
        width=cfg["width_per_d"] * d,
        steps=steps,
        batch=B,
        lr=cfg["lr"],
        init_scale=cfg["init_scale"],
        test_size=cfg["test_size"],
        energy_degree=4,
        record_every=max(1, steps // 40),
        rng=cfg["seed"] + 1000 + d,
        progress=progress,
    )
    seen = r.samples_seen.astype(float)
    fl = gdo.kernel_floor(f, [float(P)] + [float(x) for x in seen[1:]])
    return _lmz_tail(
        {
            "d": d,
            "samples": int(P),
            "log_d_samples": math.log(P) / math.log(d),
            "width": r.width,
            "network_d_loss": d * r.test_mse[-1],
            "network_d_loss_se": d * r.test_mse_se[-1],
            "floor_d_loss": d * float(fl.floor[0]),
            "floor_level": int(fl.level[0]),
            "ntk_d_loss": d * float(fl.predicted["ntk"][0]),
            "nngp_d_loss": d * float(fl.predicted["nngp"][0]),
            "alignment": float(r.alignment[-1]),
            "seconds": r.seconds,
            "curve": {
                "samples": seen[1:].tolist(),
                "network_d_loss": (d * r.test_mse[1:]).tolist(),
                "ntk_d_loss": (d * fl.predicted["ntk"][1:]).tolist(),
                "floor_d_loss": (d * fl.floor[1:]).tolist(),
            },
        }
    )


#: records (of ~40) over which the LMZ network's final loss is averaged
LMZ_TAIL_RECORDS = 5


def _lmz_tail(row):
    """Add the mean, min and max of d x (network test loss) over the last LMZ_TAIL_RECORDS
    records (the last ~1/8 of training).  At constant lr the online-SGD loss fluctuates by
    a factor ~2-3 between records 24 steps apart (d = 96: 0.00094 then 0.00244), far more than
    the test set's standard error, so the last record alone is one draw of that noise."""
    tail = np.asarray(row["curve"]["network_d_loss"][-LMZ_TAIL_RECORDS:], dtype=float)
    row["network_d_loss_tail_mean"] = float(tail.mean())
    row["network_d_loss_tail_min"] = float(tail.min())
    row["network_d_loss_tail_max"] = float(tail.max())
    return row


def _escape_unit(cfg, k, d, progress=None):
    import gd_operator as gdo
    from gd_operator.mean_field import MAX_STEPS

    c = cfg["lr_constant"][str(k)]
    lr = c / d ** max(1.0, k / 2)
    # the step cap: cap_factor times the predicted escape time, at most train_mean_field's
    # MAX_STEPS (k* = 4, d = 64: 50 d^3 / 0.01 = 1.3e9 > 1e9, for a median escape of ~6e6)
    cap = int(cfg["cap_factor"] * d ** max(1, k - 1) * (math.log(d) if k == 2 else 1) / c)
    cap = min(cap, MAX_STEPS)
    times = []
    t0 = time.perf_counter()
    for s in range(cfg["seeds"]):
        f = gdo.single_index_target(d, k, rng=cfg["seed"] + 7919 * k + 31 * d + s)
        r = gdo.train_mean_field(
            f,
            width=1,
            steps=cap,
            batch=1,
            lr={"W": lr},
            bias=False,
            activation=("hermite", k),
            spherical=True,
            output_signs="positive",
            energy_degree=0,
            test_size=100,
            record_every=max(1, cap // 5000),
            escape_threshold=cfg["threshold"],
            stop_at_escape=True,
            rng=cfg["seed"] + 104729 * k + s,
        )
        times.append(r.escape_step)
        if progress is not None:
            progress(s + 1, cfg["seeds"])
    esc = np.array([t for t in times if t >= 0], dtype=float)
    med = float(np.median(esc)) if esc.size * 2 > len(times) else float("nan")
    P = max(med, 1.0) if math.isfinite(med) else float(cap)
    f = gdo.single_index_target(d, k, rng=0)
    fl = gdo.kernel_floor(f, [P], kernels=("ntk",), bias=cfg["ntk_bias"])
    return {
        "k": k,
        "d": d,
        "lr": lr,
        "cap": cap,
        "escape_steps": times,
        "escaped": int(esc.size),
        "median_escape": med,
        "q25": float(np.quantile(esc, 0.25)) if esc.size else float("nan"),
        "q75": float(np.quantile(esc, 0.75)) if esc.size else float("nan"),
        "floor_at_escape": float(fl.floor[0]),
        "ntk_at_escape": float(fl.predicted["ntk"][0]),
        "seconds": time.perf_counter() - t0,
    }


def _staircase_unit(cfg, d, progress=None):
    import gd_operator as gdo

    f = gdo.staircase_target(d, cfg["depth"], rng=cfg["seed"])
    r = gdo.train_mean_field(
        f,
        width=cfg["width"],
        steps=cfg["steps"],
        batch=cfg["batch"],
        lr=cfg["lr"],
        init_scale=cfg["init_scale"],
        bias_init=cfg.get("bias_init", 0.0),
        test_size=cfg["test_size"],
        energy_degree=cfg["depth"] + 1,
        energy_every=1,
        record_every=cfg["record_every"],
        rng=cfg["seed"] + 1,
        progress=progress,
    )
    seen = r.samples_seen[np.searchsorted(r.steps, r.energy_steps)].astype(float)
    P = np.maximum(seen, 1.0)
    fl = gdo.kernel_floor(f, P, kernels=("ntk",), kmax=cfg["depth"] + 4)
    flb = gdo.kernel_floor(f, P, kernels=("ntk",), kmax=cfg["depth"] + 4, bias=cfg["ntk_bias"])
    from gd_operator import learning_curve, spectrum

    by_deg = {}
    for label, bias in (("ntk", None), ("ntk_bias", cfg["ntk_bias"])):
        spec = spectrum("relu", d, fl.kmax, train="both", init="gaussian", bias=bias, log=True)
        lc = learning_curve(spec, d, fl.energies, P)
        by_deg[label] = np.asarray(lc.test_mse_by_degree)
    # samples at which the network's residual at degree j first falls below half its energy
    learned, learned_ntk = {}, {}
    for j in range(1, cfg["depth"] + 1):
        half = 0.5 * r.target_energies[j]
        hit = np.flatnonzero(r.residual_energies[:, j] < half)
        learned[str(j)] = float(seen[hit[0]]) if hit.size else float("nan")
        hit = np.flatnonzero(by_deg["ntk_bias"][:, j] < half)
        learned_ntk[str(j)] = float(P[hit[0]]) if hit.size else float("nan")
    return {
        "d": d,
        "samples": seen.tolist(),
        "network_residual_by_degree": r.residual_energies[:, : cfg["depth"] + 1].tolist(),
        "ntk_residual_by_degree": by_deg["ntk"][:, : cfg["depth"] + 1].tolist(),
        "ntk_bias_residual_by_degree": by_deg["ntk_bias"][:, : cfg["depth"] + 1].tolist(),
        "ntk_bias_test_mse": flb.predicted["ntk"].tolist(),
        "target_energies": r.target_energies[: cfg["depth"] + 1].tolist(),
        "network_test_mse": r.test_mse[np.searchsorted(r.steps, r.energy_steps)].tolist(),
        "ntk_test_mse": fl.predicted["ntk"].tolist(),
        "floor": fl.floor.tolist(),
        "samples_to_learn_degree": learned,
        "ntk_bias_samples_to_learn_degree": learned_ntk,
        "final_network_mse": float(r.test_mse[-1]),
        "final_network_mse_se": float(r.test_mse_se[-1]),
        "final_ntk_mse": float(fl.predicted["ntk"][-1]),
        "final_ntk_bias_mse": float(flb.predicted["ntk"][-1]),
        "final_floor": float(fl.floor[-1]),
        "seconds": r.seconds,
    }


def run_unit(setup: str, settings: dict) -> dict:
    """One unit of a reproduction from flat ``settings`` (the sweep kinds mean_field_lmz,
    mean_field_escape, mean_field_staircase): the reproduction's defaults (:func:`config`)
    overridden by ``settings``, plus the unit's own keys (lmz: d; single-index: k, d and an
    optional scalar lr_constant; staircase: d).  Returns the unit's row (a dict)."""
    cfg = dict(config(setup))
    cfg.update({k: v for k, v in settings.items() if v is not None})
    if setup == "lmz":
        return _lmz_unit(cfg, int(cfg["d"]))
    if setup == "single-index":
        k = int(cfg["k"])
        if not isinstance(cfg.get("lr_constant"), dict):
            cfg["lr_constant"] = {str(k): float(cfg["lr_constant"])}
        return _escape_unit(cfg, k, int(cfg["d"]))
    if setup == "staircase":
        return _staircase_unit(cfg, int(cfg["d"]))
    raise ValueError(f"setup must be one of {SETUPS}, got {setup!r}")


def _fit_slope(x, y):
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(x[ok], y[ok], 1)[0])


#: median of |N(0, 1)|: the median initial overlap |<w_0, w*>| is this / sqrt(d)
_MEDIAN_ABS_NORMAL = 0.6744897501960817


def escape_time_ode(k: int, d, threshold: float = 0.5):
    """The escape time of the drift ODE dm/dt = lr m^{k-1} (up to a constant factor) at the
    learning rate lr ~ d^{-max(1, k/2)} of the single-index setup, from the median initial
    overlap m_0 = 0.674 / sqrt(d) to ``threshold``: d^{max(1, k/2)} G_k(d) with
    G_1 = threshold - m_0, G_2 = log(threshold / m_0), G_k = (m_0^{2-k} - threshold^{2-k}) /
    (k - 2).  Its log-log slope in d is the finite-d prediction: it tends to max(1, k* - 1)
    (Ben Arous et al.; d log d at k* = 2) from above, since G_k grows faster than its
    leading term at small d (k* = 2: log(threshold sqrt d / 0.674) against log d; the
    constants subtracted at k* = 1 and k* >= 3)."""
    d = np.asarray(d, dtype=float)
    m0 = _MEDIAN_ABS_NORMAL / np.sqrt(d)
    if k == 1:
        g = threshold - m0
    elif k == 2:
        g = np.log(threshold / m0)
    else:
        g = (m0 ** (2.0 - k) - threshold ** (2.0 - k)) / (k - 2)
    return d ** max(1.0, k / 2) * g


def _fits(setup, rows, threshold=0.5):
    if setup == "single-index":
        out = {}
        for k in sorted({r["k"] for r in rows}):
            rk = [r for r in rows if r["k"] == k]
            d = [r["d"] for r in rk]
            t = [r["median_escape"] for r in rk]
            fit = {
                "slope": _fit_slope(d, t),
                "predicted": float(max(1, k - 1)),
                "predicted_finite_d": _fit_slope(d, escape_time_ode(k, d, threshold)),
                "d_range": [min(d), max(d)],
            }
            if k == 2:
                fit["slope_of_T_over_log_d"] = _fit_slope(
                    d, [ti / math.log(di) for ti, di in zip(t, d, strict=True)]
                )
            out[f"k{k}"] = fit
        return out
    if setup == "lmz":
        d = [r["d"] for r in rows]
        return {
            "network_d_loss_slope": _fit_slope(d, [r["network_d_loss"] for r in rows]),
            "network_d_loss_tail_mean_slope": _fit_slope(
                d, [r["network_d_loss_tail_mean"] for r in rows]
            ),
            "ntk_d_loss_slope": _fit_slope(d, [r["ntk_d_loss"] for r in rows]),
            "floor_d_loss_slope": _fit_slope(d, [r["floor_d_loss"] for r in rows]),
        }
    if not rows:
        return {}
    return {
        "network_samples_to_learn_degree": rows[0]["samples_to_learn_degree"],
        "ntk_bias_samples_to_learn_degree": rows[0]["ntk_bias_samples_to_learn_degree"],
    }


# ----------------------------------------------------------------------------- figures


def plot(res: BeyondKernels):
    """The reproduction's figure (a matplotlib Figure)."""
    from harmonics._infra.figures import STYLE, require_pyplot

    plt = require_pyplot()
    rows = res.rows
    with plt.rc_context(STYLE):
        if res.setup == "lmz":
            fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
            d = [r["d"] for r in rows]
            ax.errorbar(
                d,
                [r["network_d_loss"] for r in rows],
                yerr=[r["network_d_loss_se"] for r in rows],
                fmt="o-",
                label="mean-field ReLU network (online SGD)",
            )
            ax.plot(
                d,
                [r["floor_d_loss"] for r in rows],
                "k--",
                label="GMMM floor ||P_{>l} f*||^2 (any kernel)",
            )
            ax.plot(d, [r["ntk_d_loss"] for r in rows], "s:", label="NTK (learning curve)")
            ax.plot(d, [r["nngp_d_loss"] for r in rows], "^:", label="NNGP (learning curve)")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("d")
            ax.set_ylabel("d x test loss")
            ax.set_title("Li-Ma-Zhang a^T|W*x|, P = 8 d^3 samples", fontsize=9)
            ax.legend(fontsize=7)
            for r in rows:
                c = r["curve"]
                (line,) = ax2.loglog(c["samples"], c["network_d_loss"], label=f"d = {r['d']}")
                ax2.loglog(c["samples"], c["ntk_d_loss"], ":", color=line.get_color())
            ax2.set_xlabel("samples seen")
            ax2.set_ylabel("d x test loss (solid: network, dotted: NTK)")
            ax2.legend(fontsize=7)
        elif res.setup == "single-index":
            fig, ax = plt.subplots()
            for k in sorted({r["k"] for r in rows}):
                rk = [r for r in rows if r["k"] == k]
                d = np.array([r["d"] for r in rk], float)
                t = np.array([r["median_escape"] for r in rk])
                fit = res.fits.get(f"k{k}", {})
                ax.errorbar(
                    d,
                    t,
                    yerr=[t - [r["q25"] for r in rk], [r["q75"] for r in rk] - t],
                    fmt="o-",
                    label=f"k* = {k}: slope {fit.get('slope', float('nan')):.2f}"
                    f" (theory {fit.get('predicted', float('nan')):.0f}"
                    f"{' + log d' if k == 2 else ''})",
                )
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("d")
            ax.set_ylabel("online-SGD escape time (median steps, IQR)")
            ax.set_title("single-index He_k*: escape |<w,w*>| >= 1/2", fontsize=9)
            ax.legend(fontsize=7)
        else:
            fig, ax = plt.subplots()
            r = rows[0]
            P = np.array(r["samples"])
            net = np.array(r["network_residual_by_degree"])
            ntk = np.array(r["ntk_residual_by_degree"])
            for j in range(1, net.shape[1]):
                (line,) = ax.semilogx(P, net[:, j], label=f"network, degree {j}")
                ax.semilogx(P, ntk[:, j], ":", color=line.get_color(), label=f"NTK, degree {j}")
                ax.semilogx(
                    P,
                    np.array(r["ntk_bias_residual_by_degree"])[:, j],
                    "--",
                    color=line.get_color(),
                    label=f"NTK bias 0.5, degree {j}",
                )
            ax.set_xlabel("samples seen P")
            ax.set_ylabel("residual energy ||Pi_j (f - f*)||^2")
            ax.set_title(
                f"staircase z1 + z1 z2 + z1 z2 z3, d = {r['d']} (solid: network; dotted: "
                "ReLU NTK, mu_3 = 0; dashed: NTK with bias)",
                fontsize=8,
            )
            ax.legend(fontsize=7, ncol=2)
    return fig


def _table(res: BeyondKernels):
    keys = (
        [
            k
            for k in res.rows[0]
            if k not in ("curve", "escape_steps") and not isinstance(res.rows[0][k], (list, dict))
        ]
        if res.rows
        else []
    )
    lines = [",".join(keys)]
    for r in res.rows:
        lines.append(
            ",".join(f"{r[k]:.6g}" if isinstance(r[k], float) else str(r[k]) for k in keys)
        )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- driver


def reproduce(
    setup: str,
    *,
    full: bool = False,
    out=None,
    progress: bool = True,
    echo=None,
    cfg: dict | None = None,
) -> BeyondKernels:
    """Run one reproduction; with ``out`` write DIR/<setup>.json, .csv, .png and resume from
    DIR/units/ (one JSON per finished unit, reused when its config matches).  Ctrl-C writes
    the partial result (``partial: true``) and re-raises KeyboardInterrupt."""
    from harmonics._infra.extras import progress_bar

    if setup not in SETUPS:
        raise ValueError(f"setup must be one of {SETUPS}, got {setup!r}")
    cfg = config(setup, full) if cfg is None else cfg
    units = _units(setup, cfg)
    unit_dir = os.path.join(out, "units") if out else None
    if unit_dir:
        os.makedirs(unit_dir, exist_ok=True)
    rows = []
    start = time.perf_counter()
    bar = progress_bar(total=len(units), desc=f"beyond-kernels {setup}") if progress else None
    partial = False
    try:
        for key, unit in units:
            path = (
                os.path.join(unit_dir, f"{setup}_{key}_{_unit_tag(unit)}.json")
                if unit_dir
                else None
            )
            row = _load_unit(path, cfg)
            if row is not None and setup == "lmz" and "network_d_loss_tail_mean" not in row:
                row = _lmz_tail(row)  # a unit saved before the tail statistics
            if row is None:
                if setup == "lmz":
                    row = _lmz_unit(cfg, unit["d"])
                elif setup == "single-index":
                    row = _escape_unit(cfg, unit["k"], unit["d"])
                else:
                    row = _staircase_unit(cfg, unit["d"])
                if path:
                    atomic_write_text(path, json_dumps({"config": cfg, "row": row}))
            rows.append(row)
            if echo is not None:
                echo(_echo_line(setup, row))
            if bar is not None:
                bar.update(1)
    except KeyboardInterrupt:
        partial = True
    finally:
        if bar is not None:
            bar.close()
    res = BeyondKernels(
        setup,
        PAPERS[setup],
        _reduced(setup, full),
        cfg,
        rows,
        _fits(setup, rows, cfg.get("threshold", 0.5)),
        {},
        time.perf_counter() - start,
        partial,
    )
    if out:
        _write(res, out)
    if partial:
        raise KeyboardInterrupt
    return res


def _unit_tag(unit):
    return "_".join(f"{k}{v}" for k, v in sorted(unit.items()))


def _load_unit(path, cfg):
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path) as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return None
    if _unit_config(doc.get("config") or {}) != _unit_config(json.loads(json_dumps(cfg))):
        return None
    return doc["row"]


def _unit_config(cfg):
    """The settings a unit depends on: the config without the list of units (``d_values``), so
    a run over more dimensions (--full) reuses the units a smaller run finished."""
    return {k: v for k, v in cfg.items() if k != "d_values"}


def _reduced(setup, full):
    doc = __doc__.split(f"``{setup}``")[1]
    red = doc[doc.find("Reduced:") :].split("\n\n")[0]
    return ("full size: " if full else "") + " ".join(red.split())


def _echo_line(setup, r):
    if setup == "lmz":
        return (
            f"d = {r['d']:4d}  P = {r['samples']:9d}  network d*loss = "
            f"{r['network_d_loss']:.4f} +- {r['network_d_loss_se']:.4f} (last "
            f"{LMZ_TAIL_RECORDS} records {r['network_d_loss_tail_mean']:.4f})  floor "
            f"{r['floor_d_loss']:.4f}  NTK {r['ntk_d_loss']:.4f}  NNGP {r['nngp_d_loss']:.4f}"
        )
    if setup == "single-index":
        return (
            f"k* = {r['k']}  d = {r['d']:4d}  median escape {r['median_escape']:.0f} "
            f"[{r['q25']:.0f}, {r['q75']:.0f}]  ({r['escaped']} escaped)  kernel floor "
            f"{r['floor_at_escape']:.3f}  NTK {r['ntk_at_escape']:.3f}"
        )
    return (
        f"d = {r['d']}  final test mse network {r['final_network_mse']:.4f} +- "
        f"{r['final_network_mse_se']:.4f}  NTK {r['final_ntk_mse']:.4f} (bias 0.5: "
        f"{r['final_ntk_bias_mse']:.4f})  floor {r['final_floor']:.4f}  samples to learn degree "
        f"{r['samples_to_learn_degree']} (NTK bias 0.5: {r['ntk_bias_samples_to_learn_degree']})"
    )


def _write(res, out):
    from harmonics._infra.figures import save_figure

    os.makedirs(out, exist_ok=True)
    stem = os.path.join(out, res.setup.replace("-", "_"))
    res.save(stem + ".json")
    atomic_write_text(stem + ".csv", _table(res))
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
    except ImportError:  # pragma: no cover - plotting extra missing
        return
    if res.rows:
        fig = plot(res)
        save_figure(fig, stem + ".png")
        import matplotlib.pyplot as plt

        plt.close(fig)


__all__ = [
    "BeyondKernels",
    "SETUPS",
    "config",
    "escape_time_ode",
    "plot",
    "reproduce",
    "run_unit",
]
