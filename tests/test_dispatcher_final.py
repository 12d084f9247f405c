"""Where a window ends: storage levels fixed (or bounded from below) after its last step
(``Dispatcher.set_final_levels``), on 48 hours of the shipped examples."""

from __future__ import annotations

import pytest

from dispatch import Dispatcher, ScenarioError, load_study

HOURS = 48


@pytest.fixture(scope="module")
def olkaria() -> Dispatcher:
    return Dispatcher(load_study("networks/olkaria", hours=HOURS))


def test_battery_ends_at_the_level_set_and_free_again(olkaria: Dispatcher) -> None:
    free = olkaria.solve()[0]["olkaria"]
    energy = olkaria.window_study.sites["olkaria"].battery.energy_mwh
    target = energy if free.battery_level[-1] < 0.5 * energy else 0.0
    olkaria.set_final_levels("olkaria", battery_mwh=target)
    fixed = olkaria.solve()[0]["olkaria"]
    assert fixed.battery_level[-1] == pytest.approx(target, abs=1e-6)
    assert fixed.objective >= free.objective - 1e-6 * abs(free.objective)
    olkaria.set_final_levels("olkaria")
    again = olkaria.solve()[0]["olkaria"]
    assert again.objective == pytest.approx(free.objective, rel=1e-9)


def test_a_lower_bound_on_the_end_level_binds_only_above_the_free_end(
    olkaria: Dispatcher,
) -> None:
    olkaria.set_final_levels("olkaria")
    free = olkaria.solve()[0]["olkaria"]
    energy = olkaria.window_study.sites["olkaria"].battery.energy_mwh
    end = free.battery_level[-1]
    olkaria.set_final_levels("olkaria", battery_mwh=0.5 * end, at_least=True)
    below = olkaria.solve()[0]["olkaria"]
    assert below.objective == pytest.approx(free.objective, rel=1e-9)
    above = 0.5 * (end + energy)
    olkaria.set_final_levels("olkaria", battery_mwh=above, at_least=True)
    bounded = olkaria.solve()[0]["olkaria"]
    olkaria.set_final_levels("olkaria", battery_mwh=above)
    fixed = olkaria.solve()[0]["olkaria"]
    olkaria.set_final_levels("olkaria")
    assert bounded.battery_level[-1] >= above - 1e-6
    # Keeping more than needed costs energy: the bound binds, as the level fixed there.
    assert bounded.objective == pytest.approx(fixed.objective, rel=1e-9)
    assert bounded.objective > free.objective


def test_reservoir_ends_at_the_reported_level() -> None:
    dispatcher = Dispatcher(load_study("networks/nordic", hours=HOURS))
    reservoir = dispatcher.window_study.sites["nordic"].reservoir
    target = 0.5 * (reservoir.min_level_pu + reservoir.max_level_pu) * reservoir.energy_mwh
    dispatcher.set_final_levels("nordic", reservoir_mwh=target)
    run = dispatcher.solve()[0]["nordic"]
    assert run.reservoir_level[-1] == pytest.approx(target, abs=1e-6)


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ({"battery_mwh": -1.0}, "sites.olkaria.battery: final level is -1 MWh"),
        ({"reservoir_mwh": 1.0}, "sites.olkaria.reservoir: the site has no reservoir"),
    ],
)
def test_bad_final_levels_are_refused(olkaria: Dispatcher, levels: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        olkaria.set_final_levels("olkaria", **levels)
