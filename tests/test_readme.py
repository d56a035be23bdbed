"""The README's Python example runs and prints exactly what the README shows."""

import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_example_output_matches():
    code = _blocks("python")[0]
    expected = _blocks("text")[0]
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert proc.stdout == expected


def test_readme_gd_example_runs():
    code = _blocks("python")[1]
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    measured, predicted = proc.stdout.strip().split("] [")
    m = [float(x) for x in measured.strip("[]").split()]
    p = [float(x) for x in predicted.strip("[]").split()]
    # finite width m = 1000: measured rates within 10 % of mu_k = lambda_k^2
    assert all(abs(a / b - 1) < 0.1 for a, b in zip(m, p, strict=True))


def test_readme_commands_present():
    text = README.read_text()
    assert 'pip install -e ".[all]" && python -m gd_operator demo' in text
    assert 'pip install -e ".[test]" && pytest' in text
