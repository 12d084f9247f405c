"""Every ``dispatch`` internal the benchmarks call or time, in one table.

The benchmarks reach below the public API: ``bench_run.py`` times the stages of a
run one by one and wraps timers around what ``dispatch run`` calls;
``bench_multisite.py`` builds and solves the flexible LP as ``dispatch.solve`` does;
``bench_operate.py`` wraps timers around what ``dispatch operate`` calls.
When the package moves one of these names, change it here only, then check the
table against the tree::

    python3 benchmarks/internals.py

which prints where each entry points and exits with 1 if one is missing. A name
timed in place is patched where its caller looks it up (e.g. ``build_network`` in
the namespace of ``dispatch.optimization.solve``, which imported it), so such
entries name the caller's module, not the one that defines the function.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

INTERNALS: dict[str, str] = {
    # A run's stages, called one by one (bench_run section 1, bench_multisite).
    "import_pypsa": "dispatch.core.pypsa_settings:import_pypsa",
    "check_hourly_balance": "dispatch.optimization.explain:check_hourly_balance",
    "build_network": "dispatch.model.network:build_network",
    "build_model": "dispatch.model.linopy_model:build_model",
    "solver_options": "dispatch.optimization.highs_lp:SOLVER_OPTIONS",
    "solve_staged": "dispatch.optimization.solve:_solve_staged",
    "extract_all": "dispatch.results.extract:extract_all",
    "to_baseline": "dispatch.model.baseline:to_baseline",
    "usable_cores": "dispatch.core.processes:usable_cores",
    # What `dispatch run` calls, timed where it is looked up (bench_run section 2).
    # ("import_pypsa" above too: the first import, by the PyPSA settings around solve.)
    "cli.main": "dispatch.cli:main",
    "cli.load_study": "dispatch.scenario.load:load_study",
    "cli.solve": "dispatch.optimization.solve:solve",
    "solve.build_network": "dispatch.optimization.solve:build_network",
    "solve.run": "dispatch.optimization.solve:_solve_run",
    "solve.baseline_child": "dispatch.optimization.solve:_solve_baseline_child",
    "solve.extract_all": "dispatch.optimization.solve:extract_all",
    "network.import_pypsa": "dispatch.model.network:import_pypsa",
    "result.write": "dispatch.results.result:Result.write",
    "result.key_figures": "dispatch.results.result:key_figures",
    "result.build_dataset": "dispatch.results.result:Result._build_dataset",
    "result.dispatch_table": "dispatch.results.result:Result.dispatch_table",
    "result.plot_dispatch": "dispatch.results.result:Result.plot_dispatch",
    "result.write_dispatch_csv": "dispatch.results.result:write_dispatch_csv",
    "result.write_netcdf4": "dispatch.results.result:write_netcdf4",
    "result.export_network": "dispatch.results.result:export_network",
    "solve.export_network": "dispatch.optimization.solve:export_network",
    # What `dispatch operate` calls, timed where it is looked up (bench_operate).
    "cli.operate": "dispatch.operation.operate:operate",
    "operation.write": "dispatch.operation.operation_result:OperationResult.write",
    "operate.solve": "dispatch.operation.operate:solve",
    "operate.plan": "dispatch.operation.operate:_RollingHorizon._plan",
    "operate.realise": "dispatch.operation.operate:_RollingHorizon._realise",
    "operate.result": "dispatch.operation.operate:_RollingHorizon.result",
    "dispatcher.init": "dispatch.optimization.dispatcher:Dispatcher.__init__",
    "dispatcher.solve": "dispatch.optimization.dispatcher:Dispatcher.solve",
    "forecast.perfect": "dispatch.operation.forecasts:PerfectForecast.issue",
    "forecast.persistence": "dispatch.operation.forecasts:PersistenceForecast.issue",
    "forecast.error": "dispatch.operation.forecast_errors:ErrorForecast.issue",
    "forecast.per_series": "dispatch.operation.forecasts:PerSeriesForecast.issue",
}
"""Name -> ``"module:attribute"``, the attribute possibly of a class (``Class.name``)."""


def locate(name: str) -> tuple[Any, str]:
    """The owner (module or class) of the internal ``name`` and its attribute there.

    Raises
    ------
    LookupError
        The module, class or attribute is gone: :data:`INTERNALS` needs updating.
    """
    module, _, path = INTERNALS[name].partition(":")
    *classes, attribute = path.split(".")
    try:
        owner = importlib.import_module(module)
        for cls in classes:
            owner = getattr(owner, cls)
        getattr(owner, attribute)
    except (ImportError, AttributeError) as exc:
        raise LookupError(
            f"{INTERNALS[name]} ({name}) is gone from dispatch: update benchmarks/internals.py"
        ) from exc
    return owner, attribute


def get(name: str) -> Any:
    """The internal ``name`` itself (a function, class or value)."""
    owner, attribute = locate(name)
    return getattr(owner, attribute)


def timed(keys: dict[str, str]) -> list[tuple[Any, str, str]]:
    """Targets of :func:`timers.instrumented`: internal name -> key of its time."""
    return [(*locate(name), key) for name, key in keys.items()]


def main() -> int:
    """Print where every entry points; 1 if any is missing."""
    missing = 0
    for name, spec in INTERNALS.items():
        try:
            found = repr(get(name))
        except LookupError as exc:
            found, missing = f"MISSING ({exc.__cause__})", missing + 1
        print(f"{name:<22} {spec:<58} {found[:70]}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
