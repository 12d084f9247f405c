"""Plan a modular AI inference data centre's flexible workload with the energy around it.

The public API: load a study, solve it, read the result.

>>> from dispatch import load_study, solve
>>> result = solve(load_study("networks/olkaria", hours=48))
>>> sorted(result.dispatch.data_vars)[:3]
['absorbed', 'available', 'backlog']

Names are imported on first use (PEP 562), so that ``import dispatch`` and the
command line's ``--help`` do not wait for pandas, xarray, PyPSA and linopy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dispatch.core.version import __version__ as __version__

if TYPE_CHECKING:
    from dispatch.batch.run import BatchReport, run_sweep
    from dispatch.core.errors import DispatchError, InfeasibleError, ScenarioError
    from dispatch.exchange.fields import Signals
    from dispatch.exchange.forecast_import import import_forecasts
    from dispatch.exchange.plan_export import export_plan, flexibility_envelope
    from dispatch.exchange.signal_import import apply_signals, import_signals, read_signals
    from dispatch.model.tariff import BilledPeak
    from dispatch.operation.operate import operate
    from dispatch.optimization.dispatcher import Dispatcher
    from dispatch.optimization.solve import solve
    from dispatch.results.curtailment import curtailment
    from dispatch.results.result import Result
    from dispatch.scenario.load import (
        load_study,
        parse_scenario,
        read_scenario,
        study_from_scenario,
    )
    from dispatch.scenario.schema import Scenario
    from dispatch.scenario.study import Study
    from dispatch.scenario.sweep import Sweep, load_sweep
    from dispatch.sources.market import read_carbon, read_prices
    from dispatch.sources.new_study import new_study
    from dispatch.sources.profiles import write_profiles
    from dispatch.sources.solar import SolarModel, solar_availability
    from dispatch.sources.wind import WindModel, wind_availability
    from dispatch.sources.workload import WorkloadShape, workload_from_shape
    from dispatch.sources.workload_trace import WorkloadAssumptions, workload_from_trace

_MODULE_OF = {
    "BatchReport": "batch.run",
    "BilledPeak": "model.tariff",
    "DispatchError": "core.errors",
    "Dispatcher": "optimization.dispatcher",
    "InfeasibleError": "core.errors",
    "Result": "results.result",
    "Scenario": "scenario.schema",
    "ScenarioError": "core.errors",
    "Signals": "exchange.fields",
    "SolarModel": "sources.solar",
    "Study": "scenario.study",
    "Sweep": "scenario.sweep",
    "WindModel": "sources.wind",
    "WorkloadAssumptions": "sources.workload_trace",
    "WorkloadShape": "sources.workload",
    "apply_signals": "exchange.signal_import",
    "curtailment": "results.curtailment",
    "export_plan": "exchange.plan_export",
    "flexibility_envelope": "exchange.plan_export",
    "import_forecasts": "exchange.forecast_import",
    "import_signals": "exchange.signal_import",
    "load_study": "scenario.load",
    "load_sweep": "scenario.sweep",
    "new_study": "sources.new_study",
    "operate": "operation.operate",
    "parse_scenario": "scenario.load",
    "read_carbon": "sources.market",
    "read_prices": "sources.market",
    "read_scenario": "scenario.load",
    "read_signals": "exchange.signal_import",
    "run_sweep": "batch.run",
    "solar_availability": "sources.solar",
    "solve": "optimization.solve",
    "study_from_scenario": "scenario.load",
    "wind_availability": "sources.wind",
    "workload_from_shape": "sources.workload",
    "workload_from_trace": "sources.workload_trace",
    "write_profiles": "sources.profiles",
}
"""Each public name -> the module of this package that defines it."""

__all__ = [
    "BatchReport",
    "BilledPeak",
    "DispatchError",
    "Dispatcher",
    "InfeasibleError",
    "Result",
    "Scenario",
    "ScenarioError",
    "Signals",
    "SolarModel",
    "Study",
    "Sweep",
    "WindModel",
    "WorkloadAssumptions",
    "WorkloadShape",
    "apply_signals",
    "curtailment",
    "export_plan",
    "flexibility_envelope",
    "import_forecasts",
    "import_signals",
    "load_study",
    "load_sweep",
    "new_study",
    "operate",
    "parse_scenario",
    "read_carbon",
    "read_prices",
    "read_scenario",
    "read_signals",
    "run_sweep",
    "solar_availability",
    "solve",
    "study_from_scenario",
    "wind_availability",
    "workload_from_shape",
    "workload_from_trace",
    "write_profiles",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
