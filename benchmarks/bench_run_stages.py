"""Section 1 of ``bench_run.py``: every stage of both runs, cold, one after the other.

Runs in a fresh child process (``bench_run.py --child-stages``), so that every import
is cold; not a script of its own. Also writes the flexible LP as an MPS file for the
bare HiGHS solve of section 3 (:mod:`bench_run_highs`).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import internals
from harness import monotonic, peak_rss_mib, row, table_title
from timers import Stopwatch, instrumented

SOLVE_KWARGS: dict[str, Any] = {
    "solver_name": "highs",
    "io_api": "direct",
    "progress": False,
    "log_to_console": False,
}
"""How ``dispatch`` has linopy solve an LP, with its HiGHS options (``solver_options``
added once ``dispatch`` is imported and timed)."""
STAGE_LABELS = {
    "startup": "process start-up (interpreter, benchmark's stdlib imports)",
    "import_dispatch": "import dispatch",
    "import_cli": "import dispatch.cli (typer)",
    "import_pypsa": "import pypsa (import_pypsa)",
    "load_study": "load_study",
    "check_balance": "check_hourly_balance",
    "build_network": "build_network",
    "create_model": "n.optimize.create_model",
    "solve_flexible": "flexible solve (linopy solve_model, io_api=direct)",
    "solve_flexible.highs_run": "  HiGHS run() inside it",
    "solve_flexible.around": "  linopy + PyPSA around it (matrices, passModel, solution)",
    "extract_flexible": "extract flexible dispatch (extract_all)",
    "to_baseline": "to_baseline",
    "solve_baseline": "baseline solve (linopy solve_model)",
    "solve_baseline.highs_run": "  HiGHS run() inside it",
    "solve_baseline.around": "  linopy + PyPSA around it",
    "extract_baseline": "extract baseline dispatch (extract_all)",
}
PIPELINE = [k for k in STAGE_LABELS if "." not in k]
"""The stages that add up to the total (the others split one of them)."""


def child_stages(study_path: str, hours: float | None, mps: str) -> dict:
    """Time every stage of both runs, one after the other, in this fresh process.

    Parameters
    ----------
    study_path
        The study folder or scenario file.
    hours
        Keep only the first ``hours`` of the horizon [h]; all of it if None.
    mps
        Where to write the flexible LP as an MPS file.

    Returns
    -------
    dict
        ``stages`` [s], the MPS file's writing time [s] and size [MiB], the LP size,
        the linopy objective [currency], simplex iterations and peak RSS [MiB].
    """
    first = monotonic()
    clock = Stopwatch()
    with clock("import_dispatch"):
        import dispatch
    with clock("import_cli"):
        import dispatch.cli  # noqa: F401 - imported as dispatch run does
    with clock("import_pypsa"):
        build_network, to_baseline = internals.get("build_network"), internals.get("to_baseline")
        internals.get("import_pypsa")()
    import highspy  # imported by linopy already; needed to time Highs.run

    check_hourly_balance = internals.get("check_hourly_balance")
    extract_all = internals.get("extract_all")
    highs_runs: dict[str, float] = {}
    with clock("load_study"):
        study = dispatch.load_study(study_path, hours=hours)
    with clock("check_balance"):
        check_hourly_balance(study)
    with clock("build_network"):
        n = build_network(study)
    with clock("create_model"):
        n.optimize.create_model(include_objective_constant=False)
    run_target = [(highspy.Highs, "run", "highs_run")]
    solve_kwargs = {**SOLVE_KWARGS, "solver_options": internals.get("solver_options")}
    with clock("solve_flexible"), instrumented(run_target, highs_runs):
        status, condition = n.optimize.solve_model(**solve_kwargs)
    if status != "ok":
        raise RuntimeError(f"flexible run: {status} ({condition})")
    objective = float(n.model.objective.value)
    iterations = int(n.model.solver_model.getInfo().simplex_iteration_count)
    clock.times["solve_flexible.highs_run"] = highs_runs.pop("highs_run")
    with clock("extract_flexible"):
        extract_all(n, study)
    mps_s = _write_mps(n, Path(mps))
    lp = {"variables": int(n.model.nvars), "constraints": int(n.model.ncons)}
    n.model.solver_model = None
    with clock("to_baseline"):
        to_baseline(n)
    with clock("solve_baseline"), instrumented(run_target, highs_runs):
        status, condition = n.optimize.solve_model(**solve_kwargs)
    if status != "ok":
        raise RuntimeError(f"baseline run: {status} ({condition})")
    clock.times["solve_baseline.highs_run"] = highs_runs.pop("highs_run")
    with clock("extract_baseline"):
        extract_all(n, study)
    for run in ("flexible", "baseline"):
        clock.times[f"solve_{run}.around"] = (
            clock.times[f"solve_{run}"] - clock.times[f"solve_{run}.highs_run"]
        )
    return {
        "first_monotonic": first,
        "stages": clock.times,
        "mps_write_s": mps_s,
        "mps_mib": os.path.getsize(mps) / 2**20,
        "peak_rss_mib": peak_rss_mib(),
        "lp": lp,
        "objective": objective,
        "simplex_iterations": iterations,
        "snapshots": len(study.snapshots),
        "step_h": study.step_h,
        "sites": list(study.sites),
        "last_monotonic": monotonic(),
    }


def _write_mps(n: Any, path: Path) -> float:
    """Write the network's linopy model as an MPS file, quietly; the time it took [s]."""
    start = time.perf_counter()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        n.model.to_file(path, progress=False)
    return time.perf_counter() - start


def format_stages(stages: dict[str, Any]) -> list[str]:
    """Section 1 as printed: the stages, their total and the asides."""
    times = stages["stages"]
    out = ["", table_title("1. Stages, cold, in one fresh process, runs one after the other")]
    pipeline = sum(times.get(k, 0.0) for k in PIPELINE)
    for key, label in STAGE_LABELS.items():
        out.append(row(label, times.get(key), pipeline, "" if key in times else "n/a"))
    out.append(row("total of the stages above", pipeline, pipeline))
    out.append(
        row(
            "aside: write the flexible LP as MPS (n.model.to_file)",
            stages["mps_write_s"],
            note=f"{stages['mps_mib']:.1f} MiB",
        )
    )
    out.append(
        row(
            "aside: exit of this process",
            stages["process"]["exit_s"],
            note=f"peak RSS {stages['peak_rss_mib']:,.0f} MiB",
        )
    )
    return out
