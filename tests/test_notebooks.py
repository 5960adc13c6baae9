"""The example notebooks in notebooks/ run from top to bottom without errors, quickly.

Each notebook is executed in a fresh ``python3`` kernel of this environment (nbclient), with
the notebook folder as the working directory, exactly as Jupyter or nbmake would run it. The
committed files are not modified. Regenerate them with ``python notebooks/_build.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT_S = 120


def _read(path):
    return nbformat.read(path, as_version=4)


def test_notebooks_present():
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01_quickstart", "02_serial_repigmentation", "03_cohort_endpoints",
                     "04_calibration_and_quality"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_executed(path):
    """The committed file carries its outputs (readable on GitHub), none of them an error."""
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "not executed"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/jpeg" in o.get("data", {}) or "image/png" in o.get("data", {})
               for o in outputs), "no figure in the outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path):
    nb = _read(path)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    with warnings.catch_warnings():
        # Jupyter's own plumbing (jupyter_client / zmq / traitlets) may emit deprecation
        # warnings in *this* process; they are not ours. The notebook code runs in the kernel.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
