"""The reproductions' batched runs: Basri et al. (frequencies x seeds in one simulate_batch) and
Cao et al. (the amplitudes in one batch).

References: separate gd_operator.simulate runs with the same seeds (the batch is bit-identical
to them, so the records are compared exactly), and, for Basri's stall rule, the same runs
without it (the rule may only end runs that hit the cap anyway).
"""

import math

import numpy as np
import pytest

from funkhecke.reproductions import papers
from gd_operator import ridge_target, simulate

SMALL = dict(kappas=(2, 3, 4), m=120, samples=61, cap=900, fit_range=(2, 4), seeds=(0, 1))


def test_basri_batch_records_equal_separate_runs():
    # the iteration count of each (kappa, seed) run equals that of a separate simulate call
    rep = papers.basri_et_al(stall_window=None, **SMALL)
    lr, amp = rep.setup["lr"], 1 / math.sqrt(SMALL["samples"])
    stop = 0.05 * amp * amp
    for row in rep.rows:
        kappa = row["kappa"]
        iters = []
        for seed in SMALL["seeds"]:
            res = simulate(
                papers._basri_target(2, kappa, amp),
                "relu",
                2,
                SMALL["m"],
                steps=SMALL["cap"],
                lr=lr,
                train="hidden",
                init="gaussian",
                samples=SMALL["samples"],
                rng=seed,
                energies=False,
                symmetric=True,
                stop_loss=stop,
                record_every=1,
                progress=False,
            )
            iters.append(int(res.steps[-1]) if res.loss[-1] < stop else SMALL["cap"])
        assert row["iterations"] == pytest.approx(np.mean(iters), abs=0)


def test_basri_stall_rule_only_ends_runs_that_hit_the_cap():
    # Odd kappa = 3 without bias (mu_3 = 0) stalls: with the rule it ends early and reports the
    # cap, like the run without the rule; the even frequencies are untouched (same numbers).
    with_rule = papers.basri_et_al(stall_window=100, **SMALL)
    without = papers.basri_et_al(stall_window=None, **SMALL)
    for a, b in zip(with_rule.rows, without.rows, strict=True):
        assert a["iterations"] == b["iterations"] and a["hit_cap"] == b["hit_cap"]
        if a["kappa"] % 2 == 0:
            assert a == b
        else:
            assert a["hit_cap"] and a["iterations"] == SMALL["cap"]
    assert with_rule.summary == without.summary


def test_basri_full_uses_the_paper_sizes(monkeypatch, tmp_path):
    tiny = dict(kappas=(2, 3), seeds=(0, 1), cap=300, fit_range=(2, 2), m=40, samples=31)
    monkeypatch.setattr(papers, "BASRI_FULL", tiny)
    rep = papers.basri_et_al(kappas=(5,), m=9999, full=True, resume_dir=str(tmp_path))
    assert rep.setup["kappas"] == [2, 3] and rep.setup["seeds"] == [0, 1]
    assert rep.setup["m"] == 40 and rep.setup["samples"] == 31 and rep.setup["cap"] == 300
    records = sorted(tmp_path.glob("basri-*.json"))
    assert len(records) == 4
    # rerun: every run comes from the records (same rows), none is trained again
    again = papers.basri_et_al(full=True, resume_dir=str(tmp_path), progress=False)
    assert again.rows == rep.rows
    assert papers.BASRI_FULL is tiny
    with pytest.raises(TypeError, match="full"):
        papers.basri_et_al(full="yes")
    with pytest.raises(ValueError, match="stall_window"):
        papers.basri_et_al(stall_window=0)


def test_cao_amplitudes_in_one_batch_equal_separate_runs():
    rep = papers.cao_et_al(n=4, samples=60, m=32, steps=12, amplitudes=((1, 1, 1), (1, 2, 3)))
    lr = rep.setup["lr"]
    for amps in ((1, 1, 1), (1, 2, 3)):
        target = ridge_target(4, (1, 2, 4), list(amps), rng=0)
        res = simulate(
            target,
            "relu",
            4,
            32,
            steps=12,
            lr=lr,
            train="both",
            init="gaussian",
            samples=60,
            rng=0,
            kmax=5,
            progress=False,
            record_every=1,
            record_residual=True,
        )
        got = rep.runs["amps " + ",".join(str(a) for a in amps)]
        np.testing.assert_array_equal(got.loss, res.loss)
        np.testing.assert_array_equal(got.params["W"], res.params["W"])
