"""Studies of several sites that route work to each other (MODEL.md §2, last paragraph).

Hand-worked optima of the small studies in ``tests/data`` (the arithmetic is in
each test), the invariants of MODEL.md §7 and the independent LP on each of them
and on the shipped multi-site example, planted violations of the routing
invariants, and bad routing input rejected by ``dispatch validate`` in one line.
Every study starts at 2025-06-01T00:00Z; sites have no idle draw and PUE 1 unless
stated.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import ArrayLike
from typer.testing import CliRunner

from conftest import DATA
from dispatch import InfeasibleError, Result, load_study, solve
from dispatch.cli import EXIT_BAD_INPUT, EXIT_INFEASIBLE, app
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.model.linopy_model import add_network_constraints, build_model
from dispatch.optimization.explain import check_hourly_balance
from dispatch.optimization.parts import independent_parts
from dispatch.scenario.load import parse_scenario, read_scenario, study_from_scenario
from dispatch.testing import assert_invariants, assert_same_optimum
from independent_lp import independent_objectives

STUDIES = {
    "two_sites": "both classes share one route's capacity, deferral into the solar hour",
    "three_sites_latency": "firm work barred by latency, one-class routes, idle draw and PUE",
    "residency_pinned": "deferrable work pinned to its site: a cheap route stays unused",
    "two_way_2h": "routes both ways, 2-hour steps, firm work pinned by firm_sites",
    "shared_grid": "two sites behind one grid connection point, no routes",
    "two_parts": "two_sites and shared_grid side by side: solved as two separate LPs",
}
"""Multi-site test studies in ``tests/data`` and what each exercises."""

EXAMPLE = Path(__file__).parents[1] / "networks" / "multi-site"
"""The shipped multi-site example, solved for its first week."""


def exactly(value: ArrayLike | dict[str, float]) -> object:
    """Expected value, values per step or named values, to solver precision [unit of
    the value]."""
    expected = value if isinstance(value, dict) else np.asarray(value, float)
    return pytest.approx(expected, rel=1e-9, abs=1e-6)


@pytest.fixture(params=list(STUDIES))
def multisite_result(request: pytest.FixtureRequest, solved: Callable[..., Result]) -> Result:
    """A solved multi-site test study."""
    return solved(DATA / request.param)


@pytest.fixture
def example_result(solved: Callable[..., Result]) -> Result:
    """The shipped multi-site example for 168 h; skipped while it does not exist."""
    if not (EXAMPLE / "scenario.yaml").is_file():
        pytest.skip(f"{EXAMPLE} does not exist yet")
    return solved(EXAMPLE, 168)


def test_invariants(multisite_result: Result) -> None:
    assert_invariants(multisite_result)


def test_optimum_equals_independent_lp(multisite_result: Result) -> None:
    assert_same_optimum(multisite_result, independent_objectives(multisite_result.study))


def test_example_invariants_and_independent_lp(example_result: Result) -> None:
    assert_invariants(example_result)
    assert_same_optimum(example_result, independent_objectives(example_result.study))


def test_no_negative_zero_in_the_key_figures_or_the_hourly_dataset(example_result: Result) -> None:
    # Negated duals and flows of 0 are -0.0, which JSON and spreadsheets show as "-0".
    assert "-0.0" not in json.dumps(example_result.summary)
    for name, variable in example_result.dispatch.data_vars.items():
        zeros = variable.values[variable.values == 0]
        assert not np.signbit(zeros).any(), name


def test_example_network_file_resolves_to_the_reported_optimum(tmp_path: Path) -> None:
    # The shipped example's network.nc (staged solve of sites joined by routes that
    # carry both classes) re-solved with n.optimize() plus the constraints the
    # network alone gives: summary.json's objective. Without the shared route
    # capacity the LP is a relaxation (0.18 % lower over 168 h, 0.30 % over the year).
    if not (EXAMPLE / "scenario.yaml").is_file():
        pytest.skip(f"{EXAMPLE} does not exist yet")
    out = tmp_path / "out"
    command = ["run", str(EXAMPLE), "--hours", "48", "--out", str(out), "--quiet"]
    outcome = CliRunner().invoke(app, command)
    assert outcome.exit_code == 0, outcome.output
    reported = json.loads((out / "summary.json").read_text())["objective"]
    with pypsa_settings as pypsa:
        n = pypsa.Network(out / "network.nc")
        status = n.optimize(
            solver_name="highs",
            extra_functionality=add_network_constraints,
            include_objective_constant=False,
            log_to_console=False,
        )
        relaxed = pypsa.Network(out / "network.nc")
        relaxed.optimize(
            solver_name="highs", include_objective_constant=False, log_to_console=False
        )
    assert n.meta["extra_constraints"] == "dispatch.model.linopy_model.add_network_constraints"
    assert status == ("ok", "optimal")
    assert n.objective == pytest.approx(reported, rel=1e-6)
    assert relaxed.objective < reported * (1 - 1e-4)


def route_figures(result: Result, route: str) -> dict[str, float]:
    """The work moved on ``route`` [MWh] and its cost [currency], from the summary."""
    figures = result.summary["routes"][route]
    return {name: figures[name] for name in ("firm_mwh", "deferrable_mwh", "moved_mwh", "cost")}


def test_two_sites_serves_city_work_at_sunny(solved: Callable[..., Result]) -> None:
    # 4 h. "sunny": firm 1 MW, solar 10 MW in hour 2 only, grid 50 EUR/MWh. "city":
    # firm 2 MW, 4 MWh deferrable arriving in hour 0 (D = 3 h), grid 100 EUR/MWh.
    # Route city->sunny: 3 MW for both classes together, 1 EUR/MWh.
    result = solved(DATA / "two_sites")
    summary = result.summary
    # Baseline: sunny imports 1 MW in hours 0, 1, 3: 3 x 50 = 150 (hour 2 solar, 9
    # MW curtailed); city imports 2 x 4 + 4 = 12 MWh: 12 x 100 = 1200. 1350 EUR.
    assert summary["baseline"]["objective"] == exactly(150 + 1200)
    # Flexible: at sunny each MWh of city's work costs at most 50 + 1 < 100, so all
    # of it moves. In hour 2 the route takes firm 2 + deferrable 1 = 3 MW, so the
    # 4 MWh deferrable go 1 MW an hour; sunny serves 1 + 3 = 4 MW every hour:
    # imports 3 x 4 x 50 = 600, solar 4 MW in hour 2 (3 MWh absorbed); 12 MWh moved
    # at 1 EUR/MWh = 12. 612 EUR.
    assert summary["objective"] == exactly(600 + 12)
    assert route_figures(result, "city->sunny") == exactly(
        {"firm_mwh": 8, "deferrable_mwh": 4, "moved_mwh": 12, "cost": 12}
    )
    moved = result.routes["flexible"]["city->sunny"]
    assert moved["firm"] == exactly([2, 2, 2, 2])
    assert moved["deferrable"] == exactly([1, 1, 1, 1])
    for flow in result.routes["baseline"]["city->sunny"].values():
        assert flow == exactly([0, 0, 0, 0])
    assert summary["absorbed_mwh"] == exactly(3)
    assert summary["curtailment_baseline_mwh"] == exactly(9)
    # The routing cost is the origin's: city pays 12 and imports nothing.
    assert summary["sites"]["city"]["total_cost"] == exactly(12)
    assert summary["sites"]["sunny"]["total_cost"] == exactly(600)
    city, sunny = result.flexible["city"], result.flexible["sunny"]
    assert sum(sunny.it_power.values()) == exactly([4, 4, 4, 4])
    assert sum(city.it_power.values()) == exactly([0, 0, 0, 0])
    assert city.deferred_served == exactly([1, 1, 1, 1])
    assert city.backlog == exactly([3, 2, 1, 0])
    assert sunny.moved_in["firm"] == exactly([2, 2, 2, 2])
    work = result.dispatch.moved_work.sel(run="flexible", route="city->sunny")
    assert (work.origin.item(), work.destination.item()) == ("city", "sunny")
    assert work.sel(moved_class="deferrable").to_numpy() == exactly([1, 1, 1, 1])


def test_three_sites_keep_firm_work_within_the_latency_budget(
    solved: Callable[..., Result],
) -> None:
    # 4 h. "hub": firm 1 MW, idle 0.2 of 10 MW, PUE 1.2, grid 40 EUR/MWh: a MWh of
    # work there costs 1.2 x 0.8 x 40 = 38.4, the idle draw 1.2 x 2 MW x 40 = 96 an
    # hour. "near" (10 ms): firm 2 MW; "far" (80 ms): firm 3 MW and 4 MWh deferrable
    # in hour 0 (D = 3 h); both at 100 EUR/MWh. Firm budget 30 ms.
    result = solved(DATA / "three_sites_latency")
    summary = result.summary
    # Baseline: hub 1.2 x (2 + 0.8 x 1) x 4 h x 40 = 537.6; near 8 x 100 = 800;
    # far (12 + 4) x 100 = 1600. 2937.6 EUR.
    assert summary["baseline"]["objective"] == exactly(537.6 + 800 + 1600)
    # Flexible: near's firm work moves (38.4 + 2 < 100): 8 MWh, route cost 16. far's
    # firm work may not (80 ms > 30 ms): 12 x 100 = 1200; its deferrable work moves
    # (38.4 + 5 < 100): 4 MWh, route cost 20. hub: 1.2 x (2 x 4 + 0.8 x (4 + 8 + 4))
    # x 40 = 998.4. 998.4 + 16 + 20 + 1200 = 2234.4 EUR.
    assert summary["objective"] == exactly(998.4 + 16 + 20 + 1200)
    assert result.routes["flexible"]["near->hub"]["firm"] == exactly([2, 2, 2, 2])
    assert set(result.routes["flexible"]["far->hub"]) == {"deferrable"}
    assert summary["routes"]["far->hub"]["deferrable_mwh"] == exactly(4)
    far = result.flexible["far"]
    assert far.it_power["firm"] == exactly([3, 3, 3, 3])
    assert far.moved_out["firm"] == exactly([0, 0, 0, 0])


def test_residency_leaves_a_cheap_route_unused(solved: Callable[..., Result]) -> None:
    # 4 h. "a": 6 MWh deferrable in hour 0 (D = 3 h), grid 100 EUR/MWh, residency
    # deferrable_sites [a]. "b": firm 1 MW, solar 10 MW in hour 2 only, grid 50. Route
    # a->b 5 MW at 0.5 EUR/MWh, within the firm budget, but "a" has no firm work.
    pinned = solved(DATA / "residency_pinned")
    # Both runs: a serves its 6 MWh at 100 = 600; b imports 1 MW in 3 hours = 150.
    assert pinned.summary["objective"] == exactly(600 + 150)
    assert pinned.summary["baseline"]["objective"] == exactly(600 + 150)
    assert pinned.summary["routes"]["a->b"]["moved_mwh"] == exactly(0)

    # Without the residency the route takes 5 MWh into b's solar hour (5 x 0.5) and
    # the last MWh to b's grid (50 + 0.5): 150 + 2.5 + 50.5 = 203 EUR.
    raw = read_scenario(DATA / "residency_pinned").model_dump(mode="json", exclude_none=True)
    del raw["sites"]["a"]["datacentre"]["deferrable_sites"]
    source = DATA / "residency_pinned" / "scenario.yaml"
    free = solve(study_from_scenario(parse_scenario(raw, str(source)), source))
    assert_invariants(free)
    assert free.summary["objective"] == exactly(150 + 5 * 0.5 + 1 * 50.5)
    assert free.routes["flexible"]["a->b"]["deferrable"][2] == exactly(5)
    assert free.summary["baseline"]["objective"] == exactly(750)


def test_two_way_routes_in_two_hour_steps(solved: Callable[..., Result]) -> None:
    # 4 steps of 2 h. Grid: "east" 30 EUR/MWh in steps 0-1, 120 in steps 2-3; "west"
    # the reverse. east: firm 2 MW kept at east (firm_sites [east]), 8 MWh deferrable
    # in step 2 (D = 4 h: steps 2-3). west: firm 1 MW, 4 MWh deferrable in step 0
    # (D = 2 h: steps 0-1). Routes both ways, 2 MW each, 1 EUR/MWh.
    result = solved(DATA / "two_way_2h")
    # Baseline: east firm 4 h x 2 MW x 30 + 4 h x 2 MW x 120 = 240 + 960, deferrable
    # 8 x 120 = 960; west firm 4 x 120 + 4 x 30 = 480 + 120, deferrable 4 x 120 = 480.
    # 3240 EUR.
    assert result.summary["baseline"]["objective"] == exactly(240 + 960 + 960 + 600 + 480)
    # Flexible: east firm as before, 1200; east deferrable goes west in steps 2-3 at
    # 2 MW (8 MWh: 8 x 30 + 8 x 1 = 248); west firm in steps 2-3 at home 4 x 30 = 120;
    # in steps 0-1 west's firm 1 MW and deferrable 1 MW fill the 2 MW route east:
    # (4 + 4) x (30 + 1) = 248. 1200 + 248 + 120 + 248 = 1816 EUR.
    assert result.summary["objective"] == exactly(1200 + 248 + 120 + 248)
    flexible = result.routes["flexible"]
    assert set(flexible["east->west"]) == {"deferrable"}
    assert flexible["east->west"]["deferrable"] == exactly([0, 0, 2, 2])
    assert flexible["west->east"]["firm"] == exactly([1, 1, 0, 0])
    assert flexible["west->east"]["deferrable"] == exactly([1, 1, 0, 0])
    assert route_figures(result, "west->east") == exactly(
        {"firm_mwh": 4, "deferrable_mwh": 4, "moved_mwh": 8, "cost": 8}
    )


def test_shared_grid_carries_surplus_between_sites(solved: Callable[..., Result]) -> None:
    # 4 h, grid region "west": net import <= 7 MW, net export <= 2 MW. "sunny": firm
    # 1 MW, solar 10 MW in hour 2, imports at 50, exports at 10 EUR/MWh. "city": firm
    # 4 MW, 2 MWh deferrable arriving in hour 0 (D = 3 h), imports at 100 EUR/MWh.
    result = solved(DATA / "shared_grid")
    summary = result.summary
    # Baseline: hour 0 sunny 1 x 50 + city 6 x 100 = 650 (net import 7, the region's
    # limit); hours 1 and 3: 50 + 400 = 450. Hour 2: city imports 4 (400); sunny
    # exports x with net import 4 - x >= -2, so x = 6 (-60): 340, 3 MW curtailed.
    # 650 + 450 + 340 + 450 = 1890 EUR.
    assert summary["baseline"]["objective"] == exactly(650 + 450 + 340 + 450)
    # Flexible: city's 2 MWh cost 100 each in any hour, but served in hour 2 they let
    # sunny export 2 MW more (net import 6 - 8 = -2): hour 0 450, hour 2 600 - 80.
    # 450 + 450 + 520 + 450 = 1870 EUR; curtailment 1 MW, 2 MWh absorbed.
    assert summary["objective"] == exactly(450 + 450 + 520 + 450)
    sunny, city = result.flexible["sunny"], result.flexible["city"]
    assert sunny.grid_export == exactly([0, 0, 8, 0])
    assert city.grid_import == exactly([4, 4, 6, 4])
    assert city.deferred_served == exactly([0, 0, 2, 0])
    assert summary["absorbed_mwh"] == exactly(2)
    assert summary["sites"]["sunny"]["total_cost"] == exactly(150 - 80)
    net_import = sunny.grid_import - sunny.grid_export + city.grid_import - city.grid_export
    assert net_import == exactly([5, 5, -2, 5])
    assert "west grid" in result.network.buses.index


@pytest.mark.parametrize("parallel", [False, True])
def test_independent_parts_are_solved_apart_with_the_same_optimum(parallel: bool) -> None:
    # two_parts = two_sites (612 flexible, 1350 baseline) + shared_grid (1870, 1890),
    # each worked out in its own test above; nothing joins them.
    study = load_study(DATA / "two_parts")
    assert independent_parts(study) == [["sunny", "city"], ["bright", "town"]]
    result = solve(study, parallel=parallel)
    assert result.timings["parts"] == 2
    assert result.summary["objective"] == exactly(612 + 1870)
    assert result.summary["baseline"]["objective"] == exactly(1350 + 1890)
    assert result.network.objective == exactly(612 + 1870)
    assert result.network_baseline.objective == exactly(1350 + 1890)
    assert result.summary["routes"]["city->sunny"]["moved_mwh"] == exactly(12)
    assert result.flexible["bright"].grid_export == exactly([0, 0, 8, 0])
    assert_invariants(result)
    # The joined network is one network of the whole study: its model (PyPSA's and the
    # shared route capacity, read from the network alone) re-solves to the same optimum.
    network = result.network.copy()
    build_model(network, None)
    network.optimize.solve_model(solver_name="highs", solver_options={"output_flag": False})
    assert network.objective == exactly(612 + 1870)


@pytest.mark.parametrize("parallel", [False, True])
def test_an_infeasible_part_fails_the_study(tmp_path: Path, parallel: bool) -> None:
    # The shared_grid part of two_parts needs 7 MW through a region that allows 5.
    folder = edited_study(tmp_path, "import_limit_mw: 7,", "import_limit_mw: 5,", "two_parts")
    with pytest.raises(InfeasibleError, match=r"grid_regions\.west\.import_limit_mw"):
        solve(load_study(folder), parallel=parallel)


def test_study_wide_target_joins_every_site() -> None:
    scenario = read_scenario(DATA / "two_parts" / "scenario.yaml")
    joined = scenario.model_copy(update={"emission_cap_tco2": 1e6})
    study = study_from_scenario(joined, DATA / "two_parts" / "scenario.yaml")
    assert independent_parts(study) == [["sunny", "city", "bright", "town"]]


def with_moved(result: Result, run: str, route: str, workload: str, by: float) -> Result:
    """A copy of ``result`` whose ``workload`` moved on ``route`` in ``run`` is ``by``
    [MW] higher in step 2 (a class the route does not carry starts at zero)."""
    changed = copy.copy(result)
    routes = {r: dict(flows) for r, flows in result.routes[run].items()}
    moved = routes[route].get(workload, np.zeros(len(result.study.snapshots))).copy()
    moved[2] += by
    routes[route][workload] = moved
    changed.routes = {**result.routes, run: routes}
    return changed


def with_less_moved_out(result: Result, site: str) -> Result:
    """A copy of ``result`` whose flexible run reports 0.5 MW less firm work moved out
    of ``site`` in step 1."""
    changed = copy.copy(result)
    run = result.flexible[site]
    firm = run.moved_out["firm"].copy()
    firm[1] -= 0.5
    moved_out = {**run.moved_out, "firm": firm}
    changed.flexible = {**result.flexible, site: dataclasses.replace(run, moved_out=moved_out)}
    return changed


VIOLATIONS = [
    (
        "three_sites_latency",
        lambda r: with_moved(r, "flexible", "far->hub", "firm", 1.0),
        r"flexible run \(arrays\): invariant 'firm work moved on far->hub = 0 \(latency 80 ms "
        r"above the firm budget 30 ms\)' fails at 2025-06-01T02:00:00\+00:00 .*: 1 <= 0",
    ),
    (
        "residency_pinned",
        lambda r: with_moved(r, "flexible", "a->b", "deferrable", 1.0),
        r"invariant 'deferrable work moved on a->b = 0 \('b' is not in 'a''s "
        r"deferrable_sites\)' fails",
    ),
    (
        "two_sites",
        lambda r: with_moved(r, "flexible", "city->sunny", "firm", 0.5),
        r"flexible run \(arrays\): invariant 'work moved on city->sunny <= capacity "
        r"\(classes together\)' fails at 2025-06-01T02:00:00\+00:00 .*: 3\.5 <= 3 \[MW\]",
    ),
    (
        "two_sites",
        lambda r: with_moved(r, "baseline", "city->sunny", "deferrable", 1.0),
        r"baseline run \(arrays\): invariant 'deferrable work moved on city->sunny = 0 "
        r"\(baseline: every site serves its own work\)' fails",
    ),
    (
        "two_sites",
        lambda r: with_less_moved_out(r, "city"),
        r"site 'city', flexible run \(arrays\): invariant 'own firm work conserved: "
        r"firm_t = served here \+ moved out' fails at 2025-06-01T01:00:00\+00:00 .*: "
        r"1\.5 == 2 \[MW\]",
    ),
]
"""Planted violations of the routing invariants: study, tamper, message (a regular
expression)."""


@pytest.mark.parametrize(
    ("study", "tamper", "message"),
    VIOLATIONS,
    ids=["firm_beyond_latency", "residency", "capacity", "baseline_moves", "firm_conserved"],
)
def test_routing_violation_is_named(
    solved: Callable[..., Result],
    study: str,
    tamper: Callable[[Result], Result],
    message: str,
) -> None:
    with pytest.raises(AssertionError, match=message):
        assert_invariants(tamper(solved(DATA / study)))


BAD_ROUTING = [
    # (old text, new text, words the one-line error must contain)
    (
        "destination: sunny, capacity_mw: 3",
        "destination: nowhere, capacity_mw: 3",
        ["routing.routes[0].destination", "unknown site 'nowhere'"],
    ),
    (
        "matrix_ms: [[0, 10], [10, 0]]",
        "matrix_ms: [[0, 10], [10]]",
        ["routing.latency.matrix_ms", "not square"],
    ),
    (
        "destination: sunny, capacity_mw: 3",
        "destination: city, capacity_mw: 3",
        ["routing.routes[0]", "origin and destination are the same site"],
    ),
    (
        "deferrable_sites: [city, sunny]",
        "deferrable_sites: [sunny]",
        ["sites.city.datacentre.deferrable_sites", "must include the site itself"],
    ),
    (
        "    - {origin: city, destination: sunny, capacity_mw: 3, cost_per_mwh: 1}\n",
        "    - {origin: city, destination: sunny, capacity_mw: 3, cost_per_mwh: 1}\n"
        "    - {origin: city, destination: sunny, capacity_mw: 1}\n",
        ["routing.routes[1]", "repeats an earlier route"],
    ),
]


def edited_study(folder: Path, old: str, new: str, name: str = "two_sites") -> Path:
    """A copy of the test study ``name`` in ``folder`` with ``old`` replaced by ``new``
    in its scenario file."""
    study = Path(shutil.copytree(DATA / name, folder / name))
    scenario = study / "scenario.yaml"
    text = scenario.read_text()
    assert old in text
    scenario.write_text(text.replace(old, new, 1))
    return study


BAD_GRID_REGIONS = [
    # (old text, new text, words the one-line error must contain)
    ("region: west}", "region: east}", ["sites.city.grid.region", "unknown grid region 'east'"]),
    ("  west: {import", "  city: {import", ["grid_regions.city", "has the name of a site"]),
    ("export_price: 10", "export_price: 120", ["sites.sunny.grid.export_price", "site city"]),
    ("export_limit_mw: 2}", "export_limit_mw: -2}", ["grid_regions.west.export_limit_mw"]),
    (
        "grid_regions:\n",
        "grid_regions:\n  east: {import_limit_mw: 3}\n",
        ["grid_regions.east", "has no site"],
    ),
]


@pytest.mark.parametrize(
    ("study", "old", "new", "words"),
    [("two_sites", *case) for case in BAD_ROUTING]
    + [("shared_grid", *case) for case in BAD_GRID_REGIONS],
)
def test_bad_multisite_input_is_one_line_from_validate(
    tmp_path: Path, study: str, old: str, new: str, words: list[str]
) -> None:
    folder = edited_study(tmp_path, old, new, study)
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    message = result.output.strip()
    assert message.startswith("error: ") and "\n" not in message
    for word in words:
        assert word in message


def test_multisite_studies_validate() -> None:
    for name in STUDIES:
        result = CliRunner().invoke(app, ["validate", str(DATA / name)])
        assert result.exit_code == 0, result.output


def test_infeasible_routing_names_the_route_capacity(tmp_path: Path) -> None:
    # sunny must run at 5 MW of IT (min_it_pu 0.5) but has 1 MW of firm work and at
    # most 3 MW moved in from city: the route's capacity is one of the conflicting
    # constraints and must be named as the scenario field behind it (docs/model.md,
    # Infeasible studies), not as PyPSA's "Link-fix-p-upper on city->sunny".
    study = edited_study(tmp_path, "firm_mw: 1\n", "firm_mw: 1\n      min_it_pu: 0.5\n")
    result = CliRunner().invoke(app, ["run", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_INFEASIBLE, result.output
    assert "sites.sunny.datacentre.min_it_pu" in result.output
    assert "routing.routes[0].capacity_mw" in result.output


def test_hourly_check_finds_a_region_too_small_before_solving(tmp_path: Path) -> None:
    # Hour 0 of shared_grid: no solar; the baseline serves sunny's 1 MW and city's
    # 4 MW firm plus 2 MW of arriving deferrable work: a net import of 7 MW through a
    # region that now allows 5. Each site alone (import limit 10 MW) is fine.
    study = load_study(
        edited_study(tmp_path, "import_limit_mw: 7,", "import_limit_mw: 5,", "shared_grid")
    )
    with pytest.raises(InfeasibleError) as error:
        check_hourly_balance(study)
    message = str(error.value)
    assert "grid_regions.west.import_limit_mw at 2025-06-01 00:00 is 5 MW" in message
    assert "sites (sunny, city) needs a net import of at least 7 MW" in message
    assert "1 snapshot(s) are short" in message
    check_hourly_balance(load_study(DATA / "shared_grid"))  # 7 MW allowed: passes


def test_infeasible_grid_region_names_its_limit(tmp_path: Path) -> None:
    # Hour 0 of shared_grid needs a net import of 7 MW (sunny 1, city 4 firm + 2
    # deferrable in the baseline) through a region that now allows 5.
    study = edited_study(tmp_path, "import_limit_mw: 7,", "import_limit_mw: 5,", "shared_grid")
    result = CliRunner().invoke(app, ["run", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_INFEASIBLE, result.output
    assert "grid_regions.west.import_limit_mw at 2025-06-01 00:00" in result.output
    assert not (tmp_path / "out").exists()
