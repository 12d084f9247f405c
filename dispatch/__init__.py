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

_MODULE_OF = {
    "BatchReport": "batch.run",
    "DispatchError": "core.errors",
    "Dispatcher": "optimization.dispatcher",
    "InfeasibleError": "core.errors",
    "Result": "results.result",
    "Scenario": "scenario.schema",
    "ScenarioError": "core.errors",
    "Signals": "exchange.fields",
    "Study": "scenario.study",
    "Sweep": "scenario.sweep",
    "apply_signals": "exchange.signal_import",
    "curtailment": "results.curtailment",
    "export_plan": "exchange.plan_export",
    "flexibility_envelope": "exchange.plan_export",
    "import_forecasts": "exchange.forecast_import",
    "import_signals": "exchange.signal_import",
    "load_study": "scenario.load",
    "load_sweep": "scenario.sweep",
    "operate": "operation.operate",
    "parse_scenario": "scenario.load",
    "read_scenario": "scenario.load",
    "read_signals": "exchange.signal_import",
    "run_sweep": "batch.run",
    "solve": "optimization.solve",
    "study_from_scenario": "scenario.load",
}
"""Each public name -> the module of this package that defines it."""

__all__ = [
    "BatchReport",
    "DispatchError",
    "Dispatcher",
    "InfeasibleError",
    "Result",
    "Scenario",
    "ScenarioError",
    "Signals",
    "Study",
    "Sweep",
    "apply_signals",
    "curtailment",
    "export_plan",
    "flexibility_envelope",
    "import_forecasts",
    "import_signals",
    "load_study",
    "load_sweep",
    "operate",
    "parse_scenario",
    "read_scenario",
    "read_signals",
    "run_sweep",
    "solve",
    "study_from_scenario",
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
