"""The assertion helpers of :mod:`dispatch.testing`.

They pass on a solved study, and name the invariant, run, source, hour and size of
each violation planted in it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from dispatch import Result, load_study
from dispatch.testing import assert_invariants, assert_same_optimum, deadline_window

if TYPE_CHECKING:
    import pypsa


def with_dispatch(result: Result, run: str, **arrays: np.ndarray) -> Result:
    """A copy of ``result`` whose hourly arrays of ``run`` at site ``s`` are replaced."""
    dispatches = {"flexible": result.flexible, "baseline": result.baseline}
    dispatches[run] = {"s": dataclasses.replace(dispatches[run]["s"], **arrays)}
    return Result(
        result.study,
        (dispatches["flexible"], result.routes["flexible"]),
        (dispatches["baseline"], result.routes["baseline"]),
        result.network,
        result.network_baseline,
        result.timings,
    )


def with_network(result: Result, run: str, change: Callable[[pypsa.Network], None]) -> Result:
    """A copy of ``result`` whose solved network of ``run`` is changed by ``change``."""
    networks = {"flexible": result.network, "baseline": result.network_baseline}
    networks[run] = networks[run].copy()
    change(networks[run])
    return Result(
        result.study,
        (result.flexible, result.routes["flexible"]),
        (result.baseline, result.routes["baseline"]),
        networks["flexible"],
        networks["baseline"],
        result.timings,
    )


def bumped(values: np.ndarray, step: int, by: float) -> np.ndarray:
    """``values`` with ``by`` added at ``step``."""
    changed = values.copy()
    changed[step] += by
    return changed


def extra_import(result: Result) -> Result:
    """0.5 MW more import in hour 1 of the flexible run's arrays."""
    return with_dispatch(
        result, "flexible", grid_import=bumped(result.flexible["s"].grid_import, 1, 0.5)
    )


def lost_backlog(result: Result) -> Result:
    """1 MWh less backlog after hour 1 of the flexible run's arrays."""
    return with_dispatch(result, "flexible", backlog=bumped(result.flexible["s"].backlog, 1, -1.0))


def negative_interruptible(result: Result) -> Result:
    """Interruptible work served -0.5 MW in hour 0 of the flexible run's arrays."""
    served = bumped(result.flexible["s"].interruptible_served, 0, -0.5)
    return with_dispatch(result, "flexible", interruptible_served=served)


def battery_level_jump(result: Result) -> Result:
    """0.5 MWh more in the baseline network's battery (its Store) after hour 2."""

    def change(n: pypsa.Network) -> None:
        n.stores_t.e.loc[:, "s battery"] = bumped(n.stores_t.e["s battery"].to_numpy(), 2, 0.5)

    return with_network(result, "baseline", change)


def other_baseline_availability(result: Result) -> Result:
    """Solar availability 0.1 higher in hour 2 of the baseline network only."""

    def change(n: pypsa.Network) -> None:
        n.generators_t.p_max_pu.loc[:, "s solar"] = bumped(
            n.generators_t.p_max_pu["s solar"].to_numpy(), 2, 0.1
        )

    return with_network(result, "baseline", change)


VIOLATIONS: list[tuple[Callable[[Result], Result], str]] = [
    (
        extra_import,
        r"site 's', flexible run \(arrays\): invariant 'energy balance: .*' fails at "
        r"2025-06-01T01:00:00\+00:00 \(step 1; 1 of 4 steps fail\): .* is off by "
        r"0\.5 \[MW\]",
    ),
    (
        lost_backlog,
        r"flexible run \(arrays\): invariant 'backlog recursion b_t = b_t-1 \+ A_t - "
        r"u_t w' fails at 2025-06-01T01:00:00\+00:00 \(step 1; .*: 7 == 8 \[MWh\] "
        r"is off by 1 \[MWh\]",
    ),
    (
        negative_interruptible,
        r"flexible run \(arrays\): invariant 'interruptible served in \[0, offered\] "
        r"\(lower bound\)' fails at 2025-06-01T00:00:00\+00:00 .*: -0\.5 >= 0 \[MW\]",
    ),
    (
        battery_level_jump,
        r"baseline run \(network\): invariant 'battery level recursion .*cyclic\)' "
        r"fails at 2025-06-01T02:00:00\+00:00 \(step 2; .*: 2\.4 == 1\.9 \[MWh\]",
    ),
    (
        other_baseline_availability,
        r"flexible vs baseline network inputs: Generator p_max_pu differs at "
        r".*'s solar'.*: 0\.8 vs 0\.9",
    ),
]
"""Planted violations and the message each must raise (a regular expression)."""


@pytest.mark.parametrize(
    ("tamper", "message"),
    VIOLATIONS,
    ids=[tamper.__name__ for tamper, _ in VIOLATIONS],
)
def test_violation_is_named(
    tiny_result: Result, tamper: Callable[[Result], Result], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        assert_invariants(tamper(tiny_result))


def test_solved_study_passes(tiny_result: Result) -> None:
    assert_invariants(tiny_result)


def test_misreported_figure_is_named(tiny_result: Result, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tiny_result.summary
    wrong = {**summary, "absorbed_mwh": summary["absorbed_mwh"] + 1}
    monkeypatch.setattr(Result, "summary", property(lambda self: wrong))
    with pytest.raises(
        AssertionError,
        match=r"summary: invariant 'absorbed = curtailment baseline - curtailment "
        r"flexible' fails: 8 == 7 \[MWh\]",
    ):
        assert_invariants(tiny_result)


def test_same_optimum(tiny_result: Result) -> None:
    # tests/data/tiny: flexible 1399.5 EUR, baseline 2259.5 EUR (independent LP).
    assert_same_optimum(tiny_result, {"flexible": 1399.5, "baseline": 2259.5})
    with pytest.raises(
        AssertionError,
        match=r"tiny: flexible run: objective 1399\.5 \[EUR\] differs from the "
        r"independent optimum 1400\.5 by -1 ",
    ):
        assert_same_optimum(tiny_result, {"flexible": 1400.5, "baseline": 2259.5})


@pytest.mark.parametrize(
    ("step_h", "max_delay_h", "initial", "window"),
    [
        # Arrivals 1, 2, 3, 4 MWh. D = 2 steps: the last two arrivals, the initial
        # backlog while t < 2 steps, nothing after the last step.
        (2.0, 4.0, 3.0, [1 + 3, 1 + 2 + 3, 2 + 3, 0]),
        # D = 1 step: only the step's own arrivals; the initial backlog in step 0.
        (1.0, 1.0, 3.0, [1 + 3, 2, 3, 0]),
        # D = 0: nothing may wait, not even the initial backlog.
        (1.0, 0.0, 3.0, [0, 0, 0, 0]),
    ],
)
def test_deadline_window(
    write_study: Callable[..., Path],
    step_h: float,
    max_delay_h: float,
    initial: float,
    window: list[float],
) -> None:
    folder = write_study(
        {
            "name": "window",
            "snapshots": {"start": "2025-06-01T00:00:00Z", "periods": 4, "step_h": step_h},
            "sites": {
                "s": {
                    "datacentre": {
                        "it_capacity_mw": 10,
                        "deferrable": {
                            "arrivals_mwh": "profiles.csv:arrivals",
                            "max_delay_h": max_delay_h,
                            "initial_backlog_mwh": initial,
                        },
                    },
                    "grid": {"import_limit_mw": 20, "import_price": 50},
                }
            },
        },
        pd.DataFrame({"arrivals": [1.0, 2, 3, 4]}),
    )
    assert deadline_window(load_study(folder), "s").tolist() == window
