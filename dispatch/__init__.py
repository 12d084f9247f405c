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

if TYPE_CHECKING:
    from dispatch._batch import BatchReport, run_sweep
    from dispatch._errors import DispatchError, InfeasibleError, ScenarioError
    from dispatch._exchange import (
        apply_signals,
        export_plan,
        flexibility_envelope,
        import_signals,
        read_signals,
    )
    from dispatch._exchange_formats import Signals
    from dispatch._results import Result
    from dispatch._schema import Scenario
    from dispatch._solve import solve
    from dispatch._study import (
        Study,
        load_study,
        parse_scenario,
        read_scenario,
        study_from_scenario,
    )
    from dispatch._sweep import Sweep, load_sweep

_MODULE_OF = {
    "BatchReport": "_batch",
    "DispatchError": "_errors",
    "InfeasibleError": "_errors",
    "Result": "_results",
    "Scenario": "_schema",
    "ScenarioError": "_errors",
    "Signals": "_exchange_formats",
    "Study": "_study",
    "Sweep": "_sweep",
    "apply_signals": "_exchange",
    "export_plan": "_exchange",
    "flexibility_envelope": "_exchange",
    "import_signals": "_exchange",
    "load_study": "_study",
    "load_sweep": "_sweep",
    "parse_scenario": "_study",
    "read_scenario": "_study",
    "read_signals": "_exchange",
    "run_sweep": "_batch",
    "solve": "_solve",
    "study_from_scenario": "_study",
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
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
