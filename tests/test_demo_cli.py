"""Smoke tests of ``python -m gd_operator demo`` / ``spectral-bias`` (tiny sizes)."""

import io
import json
import os
import stat

import pytest

from funkhecke import demo
from funkhecke.cli.gd_operator_cli import main

TINY = {
    "vw": dict(n=3, m=60, steps=20, samples_bias=200),
    "cao": dict(n=4, samples=100, m=64, steps=20),
    "basri": dict(kappas=(2, 4, 6), m=60, samples=101, cap=40, fit_range=(2, 6)),
    "basri_bias": dict(kappas=(2, 3, 4), m=60, samples=101, cap=40, bias=1.0, fit_range=(2, 4)),
}


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(demo, "DEMO_SIZES", TINY)


def test_demo_writes_figures_and_summary(tiny, tmp_path):
    out = io.StringIO()
    code = main(["demo", "--out", str(tmp_path), "--no-progress"], out=out)
    assert code == 0
    for name in TINY:
        png = tmp_path / f"{name}.png"
        assert png.stat().st_size > 5000
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary) == set(TINY)
    assert summary["vw"]["summary"]["unlearnable_degrees_no_bias"] == [3]
    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE(os.stat(tmp_path / "summary.json").st_mode)
    assert mode == 0o666 & ~umask  # normal permissions, not mkstemp's 0600
    text = out.getvalue()
    assert "mu_measured" in text and "measured_slope_from_rate" in text


def test_spectral_bias_single_setup(tiny, tmp_path):
    code = main(
        ["spectral-bias", "--setup", "basri", "--out", str(tmp_path), "--no-progress"],
        out=io.StringIO(),
    )
    assert code == 0 and (tmp_path / "basri.png").exists()


def test_spectral_bias_bad_setup_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        main(["spectral-bias", "--setup", "nope"], out=io.StringIO())
    assert "invalid choice" in capsys.readouterr().err
