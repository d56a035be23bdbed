"""Citable, typed, described: CITATION.cff, py.typed markers and the package metadata."""

import configparser
import pathlib
import subprocess
import sys
import zipfile

import pytest

import funkhecke

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("harmonics", "gd_operator", "sq_bounds", "funkhecke")


def test_citation_cff():
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert doc["cff-version"] == "1.2.0"
    assert doc["version"] == funkhecke.__version__
    assert doc["license"] == "MIT" and doc["authors"] == [{"name": "The funkhecke developers"}]
    assert doc["title"].startswith("funkhecke")
    ids = [i["value"] for r in doc["references"] for i in r.get("identifiers", [])]
    assert "arXiv:1805.02677" in ids and "arXiv:1912.01198" in ids
    titles = " ".join(r["title"] for r in doc["references"])
    assert "Different Frequencies" in titles and "Spherical Harmonics" in titles  # README's list


def test_py_typed_markers_and_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    for pkg in PACKAGES:
        assert (ROOT / pkg / "py.typed").is_file()
        assert cfg["options.package_data"][pkg].strip() == "py.typed"
    meta = cfg["metadata"]
    assert "Typing :: Typed" in meta["classifiers"] and meta["keywords"].strip()
    assert "project_urls" not in meta and "url" not in meta  # no public address exists yet


@pytest.mark.slow
def test_wheel_ships_py_typed(tmp_path):
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    p = subprocess.run(
        [*cmd, "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300
    )
    if "invalid command 'bdist_wheel'" in p.stdout + p.stderr:
        pytest.skip("this environment's setuptools cannot build wheels (no 'wheel' package)")
    assert p.returncode == 0, p.stderr
    (wheel,) = tmp_path.glob("funkhecke-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for pkg in PACKAGES:
        assert f"{pkg}/py.typed" in names
