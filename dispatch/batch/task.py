"""One variant's job and how it ended: what the batch process hands a worker and gets back.

Both are small and picklable, independent of the batch process: a local worker or a
Dask worker solves a :class:`Task` and returns an :class:`Outcome`
(:mod:`dispatch.batch.worker`). :func:`check_command` refuses, before any variant
runs, the variants that the sweep's command cannot do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dispatch.core.errors import ScenarioError
from dispatch.scenario.study import Study
from dispatch.scenario.sweep import OPERATE, RUN, Sweep

OK, INFEASIBLE, BAD_INPUT, ERROR, PENDING = "ok", "infeasible", "bad-input", "error", "pending"
SETTLED = (OK, INFEASIBLE, BAD_INPUT)
"""Outcomes a rerun keeps while the inputs are unchanged; ``error`` is retried."""


@dataclass(frozen=True)
class Task:
    """What a worker needs to solve one variant: small, and independent of this process.

    Attributes
    ----------
    name
        The variant.
    scenario
        The validated scenario as a JSON-compatible mapping.
    source
        The base scenario file, absolute: series references are relative to it.
    hours
        Horizon kept [h]; None: all of it.
    inputs
        The input hash the variant was validated with.
    folder
        The variant's result folder, absolute.
    command
        ``run`` (solve as ``dispatch run``) or ``operate`` (as ``dispatch operate``).
    """

    name: str
    scenario: dict[str, Any]
    source: Path
    hours: float | None
    inputs: str
    folder: Path
    command: str = RUN


@dataclass(frozen=True)
class Outcome:
    """How solving a variant ended.

    Attributes
    ----------
    name
        The variant.
    status
        ``ok``, ``infeasible``, ``bad-input`` or ``error``.
    error
        The one-line error; empty if ``ok``.
    seconds
        Wall time in the worker, solve and write [s].
    cpu_seconds
        CPU time of the worker process meanwhile: below ``seconds`` where other
        processes took the core [s].
    """

    name: str
    status: str
    error: str
    seconds: float
    cpu_seconds: float


def outcome_of(future: Any, task: Task) -> Outcome:
    """The outcome of a finished future; a worker's death is the variant's error."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - e.g. BrokenProcessPool, KilledWorker
        error = " ".join(f"{type(exc).__name__}: {exc}".split())
        return Outcome(task.name, ERROR, error, math.nan, math.nan)


def check_command(sweep: Sweep) -> None:
    """Refuse an operated sweep with a variant that operation does not handle
    (:func:`~dispatch.operation.studies.check_operable`: e.g. sized capacities).

    Raises
    ------
    ScenarioError
        One line naming the sweep file, the field and the variant.
    """
    if sweep.command != OPERATE:
        return
    import pandas as pd

    from dispatch.operation.studies import check_operable

    for variant in sweep.variants:
        try:  # it reads the scenario only: the series stay unread
            check_operable(Study(variant.scenario, sweep.base, pd.DatetimeIndex([]), {}))
        except ScenarioError as exc:
            raise ScenarioError(
                str(sweep.source),
                exc.field,
                f"variant {variant.name!r}: {exc.problem} (the sweep's command is operate)",
            ) from None
