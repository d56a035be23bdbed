"""Execute every teaching notebook in notebooks/ top to bottom (nbclient, kernel python3).

A notebook fails its test if any cell raises.  Two static checks go with it: the committed
notebooks carry no outputs, and they import only the public API (no private ``_module`` and no
submodules other than the public ``harmonics.symbolic`` / ``harmonics.plotting``).

Each notebook runs in about 5-30 s here (two shared cores), well under the ~60 s at which it
would have to be marked slow.  The kernel inherits this process's environment:
MPLBACKEND=Agg (no display) and NUMBA_NUM_THREADS=1, so the notebooks' small simulations do
not compete with pytest's own processes for the two cores.
"""

from __future__ import annotations

import pathlib
import re

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
PUBLIC_SUBMODULES = {"harmonics.symbolic", "harmonics.plotting"}
OUR_PACKAGES = ("harmonics", "gd_operator", "sq_bounds")


def _code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_the_five_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names[:5] == [
        "01_gegenbauer_expansions",
        "02_symbolic_eigenvalues",
        "03_gd_as_an_operator",
        "04_spectral_bias_reproductions",
        "05_sq_lower_bounds",
    ], names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_committed_without_outputs(path):
    for i, cell in enumerate(_code_cells(path)):
        assert cell.outputs == [], f"{path.name}: code cell {i} has outputs (clear them)"
        assert cell.execution_count is None, f"{path.name}: code cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_uses_only_the_public_api(path):
    pkgs = "|".join(OUR_PACKAGES)
    submodule_import = re.compile(rf"^\s*(?:from|import)\s+((?:{pkgs})\.[\w.]+)")
    for i, cell in enumerate(_code_cells(path)):
        for line in cell.source.splitlines():
            code = line.split("#", 1)[0]
            assert not re.search(r"\._[A-Za-z]", code), (
                f"{path.name}, cell {i}: private attribute in {line.strip()!r}"
            )
            match = submodule_import.match(code)
            if match:
                assert match.group(1) in PUBLIC_SUBMODULES, (
                    f"{path.name}, cell {i}: imports {match.group(1)!r}; use the package's public "
                    f"names (allowed submodules: {sorted(PUBLIC_SUBMODULES)})"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,  # per cell
        resources={"metadata": {"path": str(tmp_path)}},  # run in a scratch directory
    )
    client.execute()  # raises CellExecutionError (with the traceback) if any cell fails
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
