"""Reservoir hydro with a turbine efficiency, and pumped storage: hand-worked optima.

Every case is one site ``s`` in hourly steps starting at 2025-06-01T00:00Z, firm
work only (no idle draw, PUE 1), so facility power is the firm load. Reservoir level,
inflow and spill are MWh (MW) of potential energy; the turbine delivers efficiency
times what it draws, the pump stores efficiency times what it takes. The arithmetic
is in each test; every solved case must also satisfy all invariants, and its
``network.nc`` re-solve with a plain ``n.optimize()`` to the same optimum.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dispatch import Result, load_study, solve
from dispatch.core.errors import ScenarioError
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.testing import assert_invariants

START = "2025-06-01T00:00:00Z"


def exactly(value: object) -> object:
    """Expected value to 1e-6 (the solver's precision) [unit of the value]."""
    return pytest.approx(np.asarray(value, float), rel=1e-6, abs=1e-6)


def site(firm_mw: float, reservoir: dict, grid: dict) -> dict:
    """A site with a 20 MW data centre serving ``firm_mw``, a reservoir and a grid."""
    return {
        "datacentre": {
            "it_capacity_mw": 20,
            "idle_fraction": 0.0,
            "pue": 1.0,
            "firm_mw": firm_mw,
        },
        "reservoir": reservoir,
        "grid": grid,
    }


def scenario(name: str, periods: int, spec: dict) -> dict:
    """A one-site scenario mapping in hourly steps."""
    return {
        "name": name,
        "snapshots": {"start": START, "periods": periods, "step_h": 1},
        "sites": {"s": spec},
    }


@pytest.fixture
def solve_case(write_study: Callable[..., Path], tmp_path: Path) -> Callable[..., Result]:
    """Write, solve and check a case: invariants, and its network file re-solves alone."""

    def run(case: dict, profiles: pd.DataFrame) -> Result:
        result = solve(load_study(write_study(case, profiles)))
        assert_invariants(result)
        out = result.write(tmp_path / f"{case['name']}-out")
        with pypsa_settings as pypsa:
            n = pypsa.Network(out / "network.nc")
            n.optimize(solver_name="highs", log_to_console=False, include_objective_constant=False)
        assert n.objective == pytest.approx(result.summary["objective"], rel=1e-6, abs=1e-6)
        return result

    return run


@pytest.mark.parametrize(
    ("efficiency", "spill", "turbine_mwh", "objective"),
    [
        # Default (no efficiency given): as before the field existed. Hours 0 and 1
        # draw the full 20 MWh: 20 MWh at the bus, 16 for the load, 4 exported;
        # hour 2 turbines 10 MW (8 load, 2 export) from the 40 MWh inflow and refills
        # the 20: spill 40 - 10 - 20 = 10. Exports 6 MWh at 50, turbine output 30 at 1.
        (None, 10.0, 30.0, -6 * 50 + 30 * 1),
        # Efficiency 0.9: hours 0 and 1 draw the full 20 MWh, 18 at the bus: 16 load,
        # 2 exported; hour 2 turbines 10 MW (8 load, 2 export), drawing 10 / 0.9, and
        # refills the 20: spill 40 - 10 / 0.9 - 20 = 80 / 9. Exports 4 MWh at 50,
        # turbine output 28 at 1 (the marginal cost is paid on output at the bus).
        (0.9, 80 / 9, 28.0, -4 * 50 + 28 * 1),
    ],
)
def test_turbine_efficiency_inflow_and_spill(
    solve_case: Callable[..., Result],
    efficiency: float | None,
    spill: float,
    turbine_mwh: float,
    objective: float,
) -> None:
    # 3 h, cyclic; 8 MW firm load; reservoir 20 MWh, turbine 10 MW, marginal cost 1,
    # inflow 0, 0, 40 MW; grid import at 100 (never worth it: water covers the load)
    # and export up to 5 MW at 50. The turbine limit binds in every hour, the level
    # bound (20 MWh) at the start, so the flood hour spills.
    reservoir = {
        "turbine_mw": 10,
        "energy_mwh": 20,
        "inflow_mw": "profiles.csv:inflow",
        "marginal_cost": 1,
    }
    if efficiency is not None:
        reservoir["turbine_efficiency"] = efficiency
    result = solve_case(
        scenario(
            "turbine",
            3,
            site(
                8,
                reservoir,
                {
                    "import_limit_mw": 10,
                    "import_price": 100,
                    "export_limit_mw": 5,
                    "export_price": 50,
                },
            ),
        ),
        pd.DataFrame({"inflow": [0.0, 0, 40]}),
    )
    summary, flexible = result.summary, result.flexible["s"]
    assert summary["objective"] == exactly(objective)
    assert summary["grid_import_mwh"] == exactly(0)
    assert float(np.sum(flexible.output["reservoir"])) == exactly(turbine_mwh)
    # Spill, and so the reservoir's curtailment, in MWh of potential energy.
    assert flexible.curtailment["reservoir"] == exactly([0, 0, spill])
    assert summary["curtailment_by_carrier_mwh"]["reservoir"] == exactly(spill)
    assert flexible.reservoir_level[[1, 2]] == exactly([0, 20])
    assert summary["pumped_mwh"] == exactly(0)


@pytest.mark.parametrize(
    ("cheap_price", "pumped_mwh", "objective"),
    [
        # Pumping at 20 pays: 1 MWh pumped gives 0.8 x 0.9 = 0.72 MWh back, at 20 /
        # 0.72 = 27.8 < 100. Hours 2 and 3 take their 10 MWh from the turbine, which
        # draws 10 / 0.9; the pump stores it from 10 / 0.72 = 125 / 9 MWh at the bus.
        (20.0, 125 / 9, 20 * (10 + 125 / 9)),
        # At 80 it does not: 80 / 0.72 = 111 > 100. The load is bought as it comes.
        (80.0, 0.0, 80 * 10 + 100 * 10),
    ],
)
def test_pumped_storage_round_trip(
    solve_case: Callable[..., Result], cheap_price: float, pumped_mwh: float, objective: float
) -> None:
    # 4 h, cyclic, no inflow; 5 MW firm load; grid at cheap_price, cheap_price, 100,
    # 100, import up to 20 MW; turbine 10 MW (efficiency 0.9), pump 10 MW
    # (efficiency 0.8), 100 MWh reservoir (never binding).
    result = solve_case(
        scenario(
            "pumped",
            4,
            site(
                5,
                {
                    "turbine_mw": 10,
                    "energy_mwh": 100,
                    "inflow_mw": 0,
                    "turbine_efficiency": 0.9,
                    "pump_mw": 10,
                    "pump_efficiency": 0.8,
                },
                {"import_limit_mw": 20, "import_price": "profiles.csv:price"},
            ),
        ),
        pd.DataFrame({"price": [cheap_price, cheap_price, 100, 100]}),
    )
    summary, flexible = result.summary, result.flexible["s"]
    assert summary["objective"] == exactly(objective)
    assert summary["pumped_mwh"] == exactly(pumped_mwh)
    turbine = 5.0 if pumped_mwh else 0.0
    assert flexible.output["reservoir"] == exactly([0, 0, turbine, turbine])
    assert flexible.reservoir_pump[2:] == exactly([0, 0])
    assert summary["grid_import_mwh"] == exactly(20 - 2 * turbine + pumped_mwh)
    # The level the pump adds is what the turbine draws: 0.8 x pumped = 10 / 0.9.
    drawn = 2 * turbine / 0.9
    assert 0.8 * pumped_mwh == exactly(drawn)
    assert flexible.reservoir_level[1] - flexible.reservoir_level[3] == exactly(drawn)
    if pumped_mwh:
        # Pump and turbine both run below their limits, the levels inside their
        # bounds: a MWh of potential energy is worth what the pump pays for it,
        # 20 / 0.8 = 25 in every step, and the turbine sets the price at the bus in
        # hours 2 and 3 (no import there): 25 / 0.9.
        values = result.shadow_values["storage"]["s"]["reservoir"]
        assert values == exactly(np.full(4, 25.0))
        assert flexible.marginal_price == exactly([20, 20, 25 / 0.9, 25 / 0.9])


def test_default_reservoir_is_the_storage_unit_it_was(write_study: Callable[..., Path]) -> None:
    # No efficiency or pump given: a lossless turbine and no pumping, as before.
    from dispatch.model.network import build_network

    study = load_study(
        write_study(
            scenario(
                "default",
                2,
                site(
                    1,
                    {"turbine_mw": 4, "energy_mwh": 8, "inflow_mw": 1},
                    {"import_limit_mw": 5, "import_price": 50},
                ),
            )
        )
    )
    with pypsa_settings:
        unit = build_network(study).storage_units.loc["s reservoir"]
    assert (unit.efficiency_dispatch, unit.efficiency_store, unit.p_min_pu) == (1.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("turbine_efficiency", 0.0), ("pump_efficiency", 1.2), ("pump_mw", -1.0)],
)
def test_bad_efficiency_or_pump_is_one_line_naming_the_field(
    write_study: Callable[..., Path], field: str, value: float
) -> None:
    reservoir = {"turbine_mw": 4, "energy_mwh": 8, "inflow_mw": 1, field: value}
    folder = write_study(
        scenario("bad", 2, site(1, reservoir, {"import_limit_mw": 5, "import_price": 50}))
    )
    with pytest.raises(ScenarioError, match=rf"sites\.s\.reservoir\.{field}") as error:
        load_study(folder)
    assert "\n" not in str(error.value)
