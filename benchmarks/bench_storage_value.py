"""What valuing stored energy at a window's end does to operation: ``operate`` with
``operation.storage_value`` ``perfect_foresight`` and ``none`` side by side, per study
and forecast, realised cost against the perfect-foresight optimum, the storage end
shortfall and the curtailment absorbed.

    python3 benchmarks/bench_storage_value.py                  # nordic, olkaria, solar-battery
    python3 benchmarks/bench_storage_value.py networks/nordic --hours 8760 --forecasts perfect
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from dispatch import load_study, operate
from dispatch.scenario.study import Study

ROOT = Path(__file__).parents[1]
STUDIES = ("networks/nordic", "networks/olkaria", "networks/solar-battery")
SETTINGS = ("perfect_foresight", "none")


def with_storage_value(study: Study, setting: str) -> Study:
    """``study`` whose operation values stored energy as ``setting`` says."""
    operation = study.scenario.operation.model_copy(update={"storage_value": setting})
    scenario = study.scenario.model_copy(update={"operation": operation})
    return Study(scenario, study.source, study.snapshots, study.series)


def measure(study: Study, forecast: str, lookahead_h: float, commit_h: float) -> dict:
    """Key figures of one operation [currency, MWh] and its time [s]."""
    started = time.perf_counter()
    result = operate(study, lookahead_h, commit_h, forecast=forecast)
    summary = result.summary
    foresight, operation = summary["foresight"], summary["operation"]
    return {
        "realised_cost": foresight["realised_cost"],
        "perfect_foresight_cost": summary["perfect_foresight"]["total_cost"],
        "shortfall_cost": operation["shortfall_cost"],
        "storage_end_shortfall_mwh": operation["storage_end_shortfall_mwh"],
        "late_mwh": operation["late_mwh"],
        "absorbed_mwh": foresight["absorbed_mwh"]["realised"],
        "absorbed_mwh_perfect_foresight": foresight["absorbed_mwh"]["perfect_foresight"],
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("studies", nargs="*", default=[str(ROOT / s) for s in STUDIES])
    parser.add_argument("--hours", type=int, default=720)
    parser.add_argument("--forecasts", nargs="+", default=["perfect", "persistence", "error"])
    parser.add_argument("--lookahead-h", type=float, default=48.0)
    parser.add_argument("--commit-h", type=float, default=24.0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    rows = []
    print(
        "| study | forecast | storage_value | realised cost | PF cost | shortfall MWh "
        "| late MWh | absorbed MWh (PF) | s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for path in args.studies:
        study = load_study(path, hours=args.hours)
        for forecast in args.forecasts:
            for setting in SETTINGS:
                row = measure(
                    with_storage_value(study, setting), forecast, args.lookahead_h, args.commit_h
                )
                rows.append(
                    {"study": study.name, "forecast": forecast, "storage_value": setting, **row}
                )
                print(
                    f"| {study.name} | {forecast} | {setting} | {row['realised_cost']:,.0f} "
                    f"| {row['perfect_foresight_cost']:,.0f} "
                    f"| {row['storage_end_shortfall_mwh']:.1f} | {row['late_mwh']:.2f} "
                    f"| {row['absorbed_mwh']:.1f} ({row['absorbed_mwh_perfect_foresight']:.1f}) "
                    f"| {row['seconds']:.1f} |",
                    flush=True,
                )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
