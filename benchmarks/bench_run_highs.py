"""Section 3 of ``bench_run.py``: bare HiGHS on the MPS file of the flexible LP.

:func:`child_highs` runs in a fresh child process (``bench_run.py --child-highs``);
not a script of its own. Its objective is held against linopy's.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import internals
from harness import row, table_title

OBJECTIVE_RTOL = 1e-6
"""Largest relative difference allowed between bare HiGHS' objective and linopy's."""


def child_highs(mps: str) -> dict:
    """Read and solve an MPS file with highspy alone and dispatch's HiGHS options,
    timing each call.

    Parameters
    ----------
    mps
        The MPS file written by linopy.

    Returns
    -------
    dict
        ``import_s``, ``read_s``, ``run_s`` [s], status, objective [currency], the
        LP size as read (columns, rows, nonzeros) and simplex iterations.
    """
    start = time.perf_counter()
    import highspy

    import_s = time.perf_counter() - start
    h = highspy.Highs()
    for option, value in internals.get("solver_options").items():
        h.setOptionValue(option, value)
    start = time.perf_counter()
    read_status = h.readModel(mps)
    read_s = time.perf_counter() - start
    if read_status == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS could not read {mps}")
    start = time.perf_counter()
    h.run()
    run_s = time.perf_counter() - start
    info = h.getInfo()
    return {
        "import_s": import_s,
        "read_s": read_s,
        "run_s": run_s,
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": float(info.objective_function_value),
        "simplex_iterations": int(info.simplex_iteration_count),
        "columns": int(h.getNumCol()),
        "rows": int(h.getNumRow()),
        "nonzeros": int(h.getNumNz()),
    }


def bare_figures(bare: list[dict[str, Any]], objective: float) -> dict[str, Any]:
    """The bare HiGHS runs' medians [s] and the check of their objective against
    linopy's ``objective`` [currency]."""
    rel = abs(bare[0]["objective"] - objective) / max(1.0, abs(objective))
    return {
        "runs": bare,
        "import_s": statistics.median(b["import_s"] for b in bare),
        "read_s": statistics.median(b["read_s"] for b in bare),
        "run_s": statistics.median(b["run_s"] for b in bare),
        "status": bare[0]["status"],
        "objective": bare[0]["objective"],
        "objective_rel_diff": rel,
        "objective_ok": rel <= OBJECTIVE_RTOL and bare[0]["status"] == "Optimal",
    }


def format_highs(bare: dict[str, Any], stages: dict[str, Any]) -> list[str]:
    """Section 3 as printed: bare HiGHS' times, objective and iterations against linopy's
    (``stages``: the figures of section 1)."""
    obj_ok = "OK" if bare["objective_ok"] else "MISMATCH"
    runs = " ".join(f"{b['run_s']:.2f}" for b in bare["runs"])
    return [
        "",
        table_title(f"3. Bare HiGHS, separate process (highspy), median of {len(bare['runs'])}"),
        row("import highspy", bare["import_s"]),
        row("Highs.readModel(MPS)", bare["read_s"]),
        row("Highs.run()  = bare HiGHS solve", bare["run_s"], note=f"runs: {runs}"),
        f"  status {bare['status']}; objective {bare['objective']:,.4f} vs linopy "
        f"{stages['objective']:,.4f}: rel. diff {bare['objective_rel_diff']:.1e} "
        f"(tol {OBJECTIVE_RTOL:g}) {obj_ok}",
        f"  simplex iterations: bare {bare['runs'][0]['simplex_iterations']:,}, "
        f"linopy {stages['simplex_iterations']:,}",
    ]
