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
    from dispatch.batch.batch import BatchReport, run_sweep
    from dispatch.core.errors import DispatchError, InfeasibleError, ScenarioError
    from dispatch.exchange.exchange import (
        apply_signals,
        export_plan,
        flexibility_envelope,
        import_signals,
        read_signals,
    )
    from dispatch.exchange.formats import Signals
    from dispatch.optimization.solve import solve
    from dispatch.results.result import Result
    from dispatch.scenario.schema import Scenario
    from dispatch.scenario.study import (
        Study,
        load_study,
        parse_scenario,
        read_scenario,
        study_from_scenario,
    )
    from dispatch.scenario.sweep import Sweep, load_sweep

_MODULE_OF = {
    "BatchReport": "batch.batch",
    "DispatchError": "core.errors",
    "InfeasibleError": "core.errors",
    "Result": "results.result",
    "Scenario": "scenario.schema",
    "ScenarioError": "core.errors",
    "Signals": "exchange.formats",
    "Study": "scenario.study",
    "Sweep": "scenario.sweep",
    "apply_signals": "exchange.exchange",
    "export_plan": "exchange.exchange",
    "flexibility_envelope": "exchange.exchange",
    "import_signals": "exchange.exchange",
    "load_study": "scenario.study",
    "load_sweep": "scenario.sweep",
    "parse_scenario": "scenario.study",
    "read_scenario": "scenario.study",
    "read_signals": "exchange.exchange",
    "run_sweep": "batch.batch",
    "solve": "optimization.solve",
    "study_from_scenario": "scenario.study",
}
"""Each public name -> the module of this package that defines it."""

__all__ = [
    "BatchReport",
    "DispatchError",
    "InfeasibleError",
    "Result",
    "Scenario",
    "ScenarioError",
    "Signals",
    "Study",
    "Sweep",
    "apply_signals",
    "export_plan",
    "flexibility_envelope",
    "import_signals",
    "load_study",
    "load_sweep",
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
