"""Plan a modular AI inference data centre's flexible workload with the energy around it.

The public API: load a study, solve it, read the result.

>>> from dispatch import load_study, solve
>>> result = solve(load_study("networks/olkaria", hours=48))
>>> sorted(result.dispatch.data_vars)[:3]
['absorbed', 'available', 'backlog']
"""

import os

# Sites and CI have no internet: keep PyPSA's version check off, also for users who
# import pypsa themselves after this package.
os.environ.setdefault("PYPSA_GENERAL__ALLOW_NETWORK_REQUESTS", "False")

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
from dispatch._study import Study, load_study, parse_scenario, read_scenario, study_from_scenario
from dispatch._sweep import Sweep, load_sweep

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
