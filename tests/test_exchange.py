"""Grid-partner exchange: partner files drive a study, plans round-trip, the envelope holds.

The partner files are the samples in ``networks/solar-battery/partner`` (one week of
signals for site ``seville`` in netCDF, CSV + JSON and OpenADR 3.0.1); bad files are
made from them by small edits.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import xarray as xr
from typer.testing import CliRunner

from dispatch import (
    Result,
    ScenarioError,
    Signals,
    apply_signals,
    export_plan,
    flexibility_envelope,
    import_signals,
    load_study,
    read_signals,
    solve,
)
from dispatch.cli import EXIT_BAD_INPUT, app
from dispatch.core.files import MARKER
from dispatch.core.processes import quiet_stdout
from dispatch.core.pypsa_settings import import_pypsa, pypsa_settings
from dispatch.core.times import format_duration, parse_duration
from dispatch.exchange import envelope as envelope_module
from dispatch.exchange import plan_export
from dispatch.exchange.envelope import envelope_of_network
from dispatch.exchange.envelope_cache import ENVELOPE_FILE
from dispatch.exchange.fields import SIGNAL_FIELDS, ExchangeTable, SignalSeries
from dispatch.exchange.plan_export import FORMATS as WRITERS
from dispatch.model.linopy_model import build_model
from dispatch.model.network import build_network

ROOT = Path(__file__).parents[1]
STUDY = ROOT / "networks" / "solar-battery"
PARTNER = STUDY / "partner"
SAMPLES = ["signals.nc", "signals.csv", "openadr-event.json"]
FORMATS = {"netcdf": ".nc", "csv": ".csv", "openadr": ".json"}
SITE = "seville"
HOURS = 48
CALL_HOURS = slice(3, 6)
"""The sample files' demand-response call: 2025-01-01 03:00 to 06:00 UTC, 25 MW."""
GRID_FIELDS = [f"{SITE}/grid.{f.grid_field}" for f in SIGNAL_FIELDS.values()]
runner = CliRunner()


def invoke(*args: str | Path) -> str:
    """Run the CLI; return its output, asserting success."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def one_line_error(*args: str | Path) -> str:
    """Run the CLI expecting bad input; return its single error line."""
    result = runner.invoke(app, [str(a) for a in args])
    message = result.output.strip()
    assert result.exit_code == EXIT_BAD_INPUT, message
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith("error: ")
    return message


@pytest.fixture(scope="module")
def seville(solved: Callable[..., Result]) -> Result:
    """The first 48 h of the shipped study, solved."""
    return solved(STUDY, HOURS)


@pytest.fixture(scope="module")
def plan_run(seville: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Its result folder, as ``dispatch run`` writes it."""
    return seville.write(tmp_path_factory.mktemp("plan") / "result")


@pytest.fixture(scope="module")
def envelopes(seville: Result) -> dict[float, pd.DataFrame]:
    """Its flexibility envelopes for windows of 6 h, 24 h (the default) and 48 h (all)."""
    return {w: flexibility_envelope(seville, window_h=w) for w in (6.0, 24.0, 48.0)}


# --- partner files drive the study --------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES)
def test_partner_file_drives_the_study_from_the_cli_and_the_api(
    sample: str, tmp_path: Path
) -> None:
    study_dir, result_dir = tmp_path / "study", tmp_path / "result"
    invoke(
        "exchange",
        "import",
        PARTNER / sample,
        "--site",
        SITE,
        "--scenario",
        STUDY,
        "--out",
        study_dir,
    )
    invoke("run", study_dir, "--out", result_dir, "--hours", HOURS, "--quiet")
    with xr.open_dataset(result_dir / "dispatch.nc") as ds:
        cli_import = ds["grid_import"].sel(run="flexible", site=SITE).values
    summary = json.loads((result_dir / "summary.json").read_text())
    # The call caps import at 25 MW; the partner's surplus is absorbed from the grid.
    assert cli_import[CALL_HOURS].max() <= 25 + 1e-6
    assert summary["grid_surplus_absorbed_mwh"] > 0

    study = import_signals(PARTNER / sample, STUDY, site=SITE, hours=HOURS)
    assert np.array_equal(study.values(SITE, "grid.import_limit_mw")[CALL_HOURS], [25.0] * 3)
    result = solve(study)
    assert result.summary["objective"] == pytest.approx(summary["objective"], rel=1e-9)


def test_the_three_sample_formats_carry_the_same_week() -> None:
    study = load_study(STUDY, hours=168)
    applied = [apply_signals(study, read_signals(PARTNER / s)) for s in SAMPLES]
    for key in GRID_FIELDS:
        for other in applied[1:]:
            # The CSV's 15-minute prices average to the hourly ones (to rounding).
            np.testing.assert_allclose(other.series[key], applied[0].series[key], rtol=1e-14)
    surplus = applied[0].values(SITE, "grid.surplus_mw")
    price = applied[0].values(SITE, "grid.import_price")
    base = study.values(SITE, "grid.import_price")
    np.testing.assert_allclose(price[surplus > 0], base[surplus > 0] - 20)


def test_quarter_hours_are_averaged_and_limits_take_their_minimum(tmp_path: Path) -> None:
    times = pd.date_range("2025-01-01T00:00Z", periods=8, freq="15min")
    table = pd.DataFrame(
        {
            "import_price": [120, 130, 140, 150, 125, 125, 125, 125],
            "import_limit": [40, 30, 45, 50, 50, 50, 50, 50],
        },
        index=times.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    table.to_csv(tmp_path / "quarters.csv", index_label="time")
    _write_metadata(tmp_path / "quarters.json", {"import_price": "EUR/MWh", "import_limit": "MW"})
    study = apply_signals(load_study(STUDY, hours=HOURS), read_signals(tmp_path / "quarters.csv"))
    assert study.values(SITE, "grid.import_price")[:2].tolist() == [135.0, 125.0]
    assert study.values(SITE, "grid.import_limit_mw")[:3].tolist() == [30.0, 50.0, 50.0]


def _write_metadata(path: Path, units: dict[str, str], **extra: object) -> None:
    meta = {
        "schema": "dispatch-exchange",
        "schema_version": "1.0",
        "time_step": "PT15M",
        "fields": {name: {"units": unit} for name, unit in units.items()},
        **extra,
    }
    path.write_text(json.dumps(meta))


# --- plans out, and back in ---------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_reproduces_the_signals_exactly(
    fmt: str, seville: Result, tmp_path: Path
) -> None:
    path = tmp_path / f"plan{FORMATS[fmt]}"
    export_plan(seville, fmt, path)
    signals = read_signals(path)
    study = seville.study
    for name, signal in signals.series.items():
        key = f"{SITE}/grid.{SIGNAL_FIELDS[name].grid_field}"
        assert np.array_equal(signal.values, study.series[key]), name
    reimported = apply_signals(study, signals)
    for key in GRID_FIELDS:
        if key in study.series:
            assert np.array_equal(reimported.series[key], study.series[key]), key


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_exports_the_plan_and_envelope_of_a_result_folder(
    fmt: str, plan_run: Path, envelopes: dict[float, pd.DataFrame], tmp_path: Path
) -> None:
    path = tmp_path / f"plan{FORMATS[fmt]}"
    output = invoke("exchange", "export", plan_run, "--format", fmt, "--out", path)
    assert str(path) in output
    envelope = envelopes[24.0]
    if fmt == "openadr":
        objects = json.loads(path.read_text())
        plan_report = next(o for o in objects if o.get("reportName", "").startswith("plan"))
        kinds = [d["payloadType"] for d in plan_report["payloadDescriptors"]]
        assert kinds[0] == "USAGE_FORECAST"
        intervals = plan_report["resources"][0]["intervals"]
        up = [
            p["values"][0]
            for i in intervals
            for p in i["payloads"]
            if p["type"] == "DOWN_REGULATION_AVAILABLE"
        ]
        np.testing.assert_allclose(np.array(up) / 1000, envelope["import_up"], atol=1e-9)
        return
    if fmt == "netcdf":
        with xr.open_dataset(path) as ds:
            assert ds.attrs["schema_version"] == "1.0"
            assert ds["import_up"].attrs["units"] == "MW"
            table = ds[["grid_import", "import_up", "import_down"]].to_dataframe()
    else:
        table = pd.read_csv(path, index_col="time")
        assert json.loads(path.with_suffix(".json").read_text())["key_figures"]
    np.testing.assert_allclose(table["grid_import"], envelope["grid_import"], atol=1e-9)
    np.testing.assert_allclose(table["import_up"], envelope["import_up"], atol=1e-9)
    np.testing.assert_allclose(table["import_down"], envelope["import_down"], atol=1e-9)


def test_plan_out_partner_call_in_re_solve(plan_run: Path, tmp_path: Path) -> None:
    """The site exports its plan; the partner answers with a call; the site re-plans."""
    plan = tmp_path / "plan.json"
    invoke("exchange", "export", plan_run, "--format", "openadr", "--out", plan)
    with xr.open_dataset(plan_run / "dispatch.nc") as ds:
        before = ds["grid_import"].sel(run="flexible", site=SITE).values
    cap = 20.0
    assert before[CALL_HOURS].max() > cap + 1  # the call binds
    response = json.loads(plan.read_text())
    response.append(
        {
            "objectType": "EVENT",
            "programID": response[0]["programID"],
            "eventName": "demand response: evening peak",
            "payloadDescriptors": [{"payloadType": "IMPORT_CAPACITY_LIMIT", "units": "KW"}],
            "intervals": [
                {
                    "id": 0,
                    "intervalPeriod": {"start": "2025-01-01T03:00:00Z", "duration": "PT3H"},
                    "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [cap * 1000]}],
                }
            ],
        }
    )
    answer = tmp_path / "partner-response.json"
    answer.write_text(json.dumps(response))
    invoke("exchange", "import", answer, "--scenario", STUDY, "--out", tmp_path / "study")
    invoke("run", tmp_path / "study", "--out", tmp_path / "result", "--hours", HOURS, "-q")
    with xr.open_dataset(tmp_path / "result" / "dispatch.nc") as ds:
        after = ds["grid_import"].sel(run="flexible", site=SITE).values
    assert after[CALL_HOURS].max() <= cap + 1e-6


def test_export_with_a_carbon_target_needs_the_scenario(seville: Result, tmp_path: Path) -> None:
    # network.nc does not hold the target; the envelope must, or it would be too wide
    # (with a narrow window: a wide one can make up for more import elsewhere).
    study = Path(
        shutil.copytree(STUDY, tmp_path / "study", ignore=shutil.ignore_patterns("partner"))
    )
    target = round(seville.summary["cfe_score"] + 0.003, 4)
    with (study / "scenario.yaml").open("a") as scenario:
        scenario.write(f"cfe_target: {target}\n")
    result = solve(load_study(study, hours=HOURS))
    folder = result.write(tmp_path / "result")
    plan = tmp_path / "plan.nc"
    message = one_line_error("exchange", "export", folder, "-f", "netcdf", "--out", plan)
    assert "carbon targets" in message and "scenario" in message
    invoke(
        "exchange", "export", folder, "-f", "netcdf", "--out", plan, "-s", study, "--window-h", 3
    )
    with xr.open_dataset(plan) as ds:
        up = ds["import_up"].values
    np.testing.assert_allclose(up, flexibility_envelope(result, window_h=3)["import_up"], atol=1e-9)
    without = envelope_of_network(import_pypsa().Network(folder / "network.nc"), SITE, 3.0)
    assert (up <= without["import_up"] + 1e-6).all()
    assert up.sum() < without["import_up"].sum() - 1


# --- the envelope, checked by re-solving the whole study ----------------------------


class _FullStudy:
    """The study's flexible-run LP with grid import fixed in one step, for re-solves."""

    def __init__(self, study: object) -> None:
        self.n = build_network(study)
        self.m = self.n.optimize.create_model(include_objective_constant=False)
        self.p = self.m.variables["Link-p"].sel(name=f"{SITE} grid import", drop=True)
        self.fixed: str | None = None

    def solve_with_import(self, step: int, value: float) -> float | None:
        """Optimum with import fixed to ``value`` in ``step``; None if infeasible."""
        if self.fixed is not None:
            self.m.remove_constraints(self.fixed)
        self.fixed = "fix_import"
        self.m.add_constraints(self.p.isel(snapshot=step) == value, name=self.fixed)
        status, _ = self.m.solve(solver_name="highs", io_api="direct", output_flag=False)
        return self.m.objective.value if status == "ok" else None


@pytest.fixture(scope="module")
def full(seville: Result) -> _FullStudy:
    return _FullStudy(seville.study)


@pytest.mark.parametrize(("window_h", "checked"), [(48.0, 3), (6.0, 2)])
def test_envelope_edges_are_feasible_and_a_step_beyond_is_not(
    window_h: float,
    checked: int,
    seville: Result,
    envelopes: dict[float, pd.DataFrame],
    full: _FullStudy,
) -> None:
    envelope = envelopes[window_h]
    limit = seville.study.values(SITE, "grid.import_limit_mw")
    step = 0.05  # [MW]
    interior = np.flatnonzero(
        (envelope.import_min.to_numpy() > step) | (envelope.import_max.to_numpy() < limit - step)
    )
    assert len(interior) >= checked
    for t in interior[:: max(1, len(interior) // checked)][:checked]:
        for edge, beyond in (
            (envelope.import_max.iloc[t], envelope.import_max.iloc[t] + step),
            (envelope.import_min.iloc[t], envelope.import_min.iloc[t] - step),
        ):
            at_edge = full.solve_with_import(t, edge)
            assert at_edge is not None, f"edge {edge} at step {t} infeasible"
            if beyond < 0 or beyond > limit[t]:
                continue
            past = full.solve_with_import(t, beyond)
            if window_h >= HOURS:  # the window is the whole horizon: the edge is exact
                assert past is None, f"{beyond} at step {t} feasible"
            else:
                assert past is None or past >= at_edge - 1e-6 * abs(at_edge)


def test_envelope_holds_the_plan_and_widens_with_the_window(
    seville: Result, envelopes: dict[float, pd.DataFrame]
) -> None:
    narrow, wide = envelopes[6.0], envelopes[48.0]
    plan = seville.flexible[SITE].grid_import
    np.testing.assert_allclose(wide.grid_import, plan, atol=1e-9)
    assert (wide.import_up >= narrow.import_up - 1e-6).all()
    assert (wide.import_down >= narrow.import_down - 1e-6).all()
    assert wide.import_up.sum() > 0 and wide.import_down.sum() > 0


@pytest.mark.parametrize("threads", [1, 3])
def test_envelope_cut_into_runs_side_by_side_equals_one_run(
    threads: int,
    seville: Result,
    envelopes: dict[float, pd.DataFrame],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The fixture's envelopes were cut by this machine's cores; each run starts cold.
    monkeypatch.setattr("dispatch.exchange.envelope.usable_cores", lambda: threads)
    with pypsa_settings:
        envelope = envelope_of_network(seville.network.copy(), SITE, 6.0, study=seville.study)
    pd.testing.assert_frame_equal(envelope, envelopes[6.0], rtol=0, atol=1e-7)


@pytest.mark.parametrize("window_h", [0.0, 6.0, 24.0])
def test_the_window_moved_in_place_is_the_lp_cut_afresh(window_h: float, seville: Result) -> None:
    # Each step, HiGHS holds exactly the LP of the window cut from the model: the same
    # rows, matrix, bounds and cost. A row through every step (as a carbon target
    # writes) is in every window, its bounds changed by every move.
    import highspy

    with pypsa_settings:
        n = seville.network.copy()
        m = build_model(n, seville.study)
        m.add_constraints(m.variables["Link-p"].sum() >= -1e9, name="through every step")
        lp = envelope_module._WindowedLP(m, n, "test")
    with quiet_stdout():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    window = envelope_module._MovingWindow(lp, highs)
    steps, half = len(n.snapshots), int(window_h)
    for t in range(steps):
        lo, hi = lp.first[max(0, t - half)], lp.first[min(steps, t + half + 1)]
        target = lo + 7 * t % (hi - lo)
        window.move(lo, hi, target)
        matrix, cost, (col_lower, col_upper), (row_lower, row_upper), rows = lp._window(
            lo, hi, target
        )
        highs.ensureColwise()
        held = highs.getLp()
        order = np.argsort(window.rows)
        np.testing.assert_array_equal(window.rows[order], rows)
        a = held.a_matrix_
        held_matrix = scipy.sparse.csc_array(
            (a.value_, a.index_, a.start_), shape=(held.num_row_, held.num_col_)
        )
        np.testing.assert_array_equal(held_matrix[order].toarray(), matrix.toarray())
        np.testing.assert_array_equal(np.asarray(held.row_lower_)[order], row_lower)
        np.testing.assert_array_equal(np.asarray(held.row_upper_)[order], row_upper)
        np.testing.assert_array_equal(held.col_lower_, col_lower)
        np.testing.assert_array_equal(held.col_upper_, col_upper)
        np.testing.assert_array_equal(held.col_cost_, cost)


def test_a_failed_run_of_the_envelope_ends_the_others_and_reaches_the_caller(
    seville: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    edges_of, move = envelope_module._WindowedLP._edges_of, envelope_module._MovingWindow.move
    windows: list[int] = []
    second_run_going = threading.Event()

    def failing_first_run(
        lp: object, highs: object, targets: object, half: int, steps: range, *rest: object
    ) -> None:
        if steps.start == 0:
            assert second_run_going.wait(timeout=60)
            raise RuntimeError("the first run failed")
        edges_of(lp, highs, targets, half, steps, *rest)

    def slow_move(window: object, *args: int) -> None:
        windows.append(args[0])
        second_run_going.set()
        time.sleep(0.05)  # the second run's 24 steps: 1.2 s unless it ends
        move(window, *args)

    monkeypatch.setattr("dispatch.exchange.envelope.usable_cores", lambda: 2)
    monkeypatch.setattr(envelope_module._WindowedLP, "_edges_of", failing_first_run)
    monkeypatch.setattr(envelope_module._MovingWindow, "move", slow_move)
    with pypsa_settings, pytest.raises(RuntimeError, match="the first run failed"):
        envelope_of_network(seville.network.copy(), SITE, 6.0, study=seville.study)
    assert 1 <= len(windows) <= 2


# --- the envelope is computed once per result and kept -----------------------------


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The windows of every envelope computed from here on [h]."""
    windows: list[float] = []

    def counted(*args: object, **kwargs: object) -> pd.DataFrame:
        windows.append(float(args[2]))
        return envelope_of_network(*args, **kwargs)

    monkeypatch.setattr(plan_export, "envelope_of_network", counted)
    return windows


def _edit_kept(edit: Callable[[xr.Dataset], xr.Dataset]) -> Callable[[Path], object]:
    """Rewrite a folder's kept envelope after ``edit``, keeping its digests."""

    def damage(folder: Path) -> None:
        with xr.open_dataset(folder / ENVELOPE_FILE) as ds:
            edited = edit(ds.load())
        (folder / ENVELOPE_FILE).unlink()
        edited.to_netcdf(folder / ENVELOPE_FILE)

    return damage


def _export(folder: Path, out: Path, *extra: str | Path) -> bytes:
    """Export a CSV plan of ``folder``; its CSV and JSON files' bytes."""
    invoke("exchange", "export", folder, "-f", "csv", "--out", out, *extra)
    return out.read_bytes() + out.with_suffix(".json").read_bytes()


def test_a_second_export_reuses_the_kept_envelope(
    seville: Result, computed: list[float], tmp_path: Path
) -> None:
    folder = seville.write(tmp_path / "result")
    first = _export(folder, tmp_path / "first.csv")
    assert computed == [24.0]
    assert (folder / ENVELOPE_FILE).is_file()
    assert ENVELOPE_FILE in json.loads((folder / MARKER).read_text())["files"]
    assert _export(folder, tmp_path / "second.csv") == first
    assert _export(folder, tmp_path / "narrow.csv", "--window-h", 6) != first
    assert _export(folder, tmp_path / "again.csv", "--window-h", 24) == first
    assert computed == [24.0, 6.0]  # both windows kept
    invoke("exchange", "export", folder, "-f", "netcdf", "--out", tmp_path / "plan.nc")
    assert computed == [24.0, 6.0]
    assert seville.write(folder) == folder  # a result replaces a result with its envelope


DAMAGES: dict[str, Callable[[Path], object]] = {
    "truncated": lambda f: (f / ENVELOPE_FILE).write_bytes((f / ENVELOPE_FILE).read_bytes()[:900]),
    "not netCDF": lambda f: (f / ENVELOPE_FILE).write_bytes(b"garbage"),
    "values edited": _edit_kept(lambda ds: ds.assign(values=ds["values"] * 2)),
    "another version": _edit_kept(lambda ds: ds.assign_attrs(schema_version="0")),
    "network.nc changed": lambda f: (f / "network.nc").write_bytes(
        (f / "network.nc").read_bytes() + b"\0"
    ),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_changed_or_damaged_kept_envelope_is_computed_again(
    damage: str, plan_run: Path, computed: list[float], tmp_path: Path
) -> None:
    expected = _export(plan_run, tmp_path / "expected.csv")
    folder = Path(shutil.copytree(plan_run, tmp_path / "result"))
    DAMAGES[damage](folder)
    computed.clear()
    assert _export(folder, tmp_path / "plan.csv") == expected
    assert computed == [24.0]
    assert _export(folder, tmp_path / "again.csv") == expected
    assert computed == [24.0]  # kept again, repaired


def test_the_envelope_is_kept_only_where_dispatch_wrote(
    seville: Result, computed: list[float], tmp_path: Path
) -> None:
    unmarked = seville.write(tmp_path / "unmarked")
    (unmarked / MARKER).unlink()  # read as a result, but its files are not listed
    expected = _export(unmarked, tmp_path / "a.csv")
    assert _export(unmarked, tmp_path / "b.csv") == expected
    assert computed == [24.0, 24.0] and not (unmarked / ENVELOPE_FILE).exists()
    users = seville.write(tmp_path / "users")
    (users / ENVELOPE_FILE).write_text("the user's own file")
    assert _export(users, tmp_path / "c.csv") == expected
    assert (users / ENVELOPE_FILE).read_text() == "the user's own file"
    computed.clear()
    for _ in range(2):  # a Result keeps its envelope in memory
        flexibility_envelope(seville, window_h=12)
        export_plan(seville, "csv", tmp_path / "d.csv", window_h=12)
    assert computed == [12.0]


# --- durations: ISO 8601, seconds kept -----------------------------------------------

OPENADR_DURATION = re.compile(
    r"^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
"""``components.schemas.duration.pattern`` of the OpenADR 3.0.1 ``openadr3.yaml``
(``grid-coordination/openadr3-specification``, ``3.0.1/openadr3.yaml``)."""


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("PT15M", pd.Timedelta(minutes=15)),
        ("PT1H30M15S", pd.Timedelta(hours=1, minutes=30, seconds=15)),
        ("PT0.5S", pd.Timedelta(seconds=0.5)),
        ("P1DT0.25S", pd.Timedelta(days=1, seconds=0.25)),
        ("P7D", pd.Timedelta(days=7)),
    ],
)
def test_durations_keep_their_seconds_when_read_and_written(
    text: str, length: pd.Timedelta
) -> None:
    assert parse_duration(text, "signals.json", "time_step") == length
    assert format_duration(length) == text


@pytest.mark.parametrize("length", ["15min", "1h30min15s", "500ms", "7D", "365D", "400D 3h"])
def test_written_durations_follow_openadr_and_read_back(length: str) -> None:
    duration = pd.Timedelta(length)
    text = format_duration(duration)
    assert OPENADR_DURATION.match(text), text
    assert "Y" not in text, text  # years depend on the calendar and are not read
    assert parse_duration(text, "plan.json", "duration") == duration


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_step_with_seconds_round_trips_through_every_format(fmt: str, tmp_path: Path) -> None:
    step = pd.Timedelta(hours=1, minutes=30, seconds=15)
    table = ExchangeTable(
        start=pd.Timestamp("2025-01-01T00:00Z"),
        step=step,
        fields={"import_price": np.array([120.0, 130.5, 140.25])},
        currency="EUR",
        attrs={"title": "a step with seconds", "study": "seconds", "site": SITE},
    )
    path = tmp_path / f"seconds{FORMATS[fmt]}"
    with warnings.catch_warnings():  # xarray encodes such times in seconds, and says so
        warnings.filterwarnings("ignore", "Times can't be serialized", UserWarning)
        WRITERS[fmt][1](table, path)
    if fmt == "netcdf":
        with xr.open_dataset(path) as ds:
            assert ds.attrs["time_step"] == "PT1H30M15S"
    else:
        assert '"PT1H30M15S"' in path.with_suffix(".json").read_text()
    signal = read_signals(path).series["import_price"]
    assert signal.step == step
    assert signal.times.equals(table.times)
    assert np.array_equal(signal.values, table.fields["import_price"])


# --- bad files: exit 2, one line naming file, field and time ------------------------


def _edit_text(name: str, old: str, new: str, count: int = 1) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        shutil.copy(PARTNER / "signals.json", folder / "signals.json")
        shutil.copy(PARTNER / "signals.csv", folder / "signals.csv")
        shutil.copy(PARTNER / "openadr-event.json", folder / "openadr-event.json")
        path = folder / name
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, count))
        return folder / ("signals.csv" if name == "signals.json" else name)

    return make


def _edit_netcdf(edit: Callable[[xr.Dataset], xr.Dataset]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        with xr.open_dataset(PARTNER / "signals.nc") as ds:
            changed = edit(ds.load())
        changed.to_netcdf(folder / "signals.nc")
        return folder / "signals.nc"

    return make


def _edit_openadr(edit: Callable[[list], None]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        objects = json.loads((PARTNER / "openadr-event.json").read_text())
        edit(objects)
        (folder / "openadr-event.json").write_text(json.dumps(objects))
        return folder / "openadr-event.json"

    return make


def _set_attr(ds: xr.Dataset, **attrs: str) -> xr.Dataset:
    ds.attrs.update(attrs)
    return ds


def _with_units(ds: xr.Dataset, units: str, *names: str) -> xr.Dataset:
    for name in names:
        ds[name].attrs["units"] = units
        ds[name].attrs.pop("currency", None)  # units such as "USD/MWh" name it
    return ds


def _local_times(rows: list[str]) -> Callable[[Path], Path]:
    """A CSV in local Madrid time around a DST change."""

    def make(folder: Path) -> Path:
        lines = ["time,import_price"] + [f"{t},0.1" for t in rows]
        (folder / "dst.csv").write_text("\n".join(lines) + "\n")
        _write_metadata(folder / "dst.json", {"import_price": "EUR/kWh"}, time_zone="Europe/Madrid")
        return folder / "dst.csv"

    return make


def _too_large(folder: Path) -> Path:
    path = folder / "openadr-event.json"
    with path.open("wb") as handle:
        handle.truncate(51 * 2**20)  # sparse: no disk space used
    return path


def _twenty_minutes(folder: Path) -> Path:
    times = pd.date_range("2025-01-01T00:00Z", periods=6, freq="20min")
    lines = ["time,import_price"] + [f"{t:%Y-%m-%dT%H:%M:%SZ},100" for t in times]
    (folder / "odd.csv").write_text("\n".join(lines) + "\n")
    _write_metadata(folder / "odd.json", {"import_price": "EUR/MWh"}, time_step="PT20M")
    return folder / "odd.csv"


def _plan_alone(folder: Path) -> Path:
    """A CSV of a plan without signals, as a partner might send back a plan trimmed."""
    (folder / "plan.csv").write_text("time,grid_import\n2025-01-01T00:00:00Z,20\n")
    _write_metadata(folder / "plan.json", {"grid_import": "MW"})
    return folder / "plan.csv"


def _event(objects: list) -> dict:
    return objects[0]


BAD_FILES = {
    "wrong schema_version": (
        _edit_netcdf(lambda ds: _set_attr(ds, schema_version="2.0")),
        ["signals.nc", "schema_version", "2.0"],
    ),
    "not the exchange schema": (
        _edit_text("signals.json", '"schema": "dispatch-exchange"', '"schema": "other"'),
        ["signals.json", "schema"],
    ),
    "OpenADR 3.1 field": (
        _edit_openadr(lambda o: _event(o).update(duration="P1D")),
        ["openadr-event.json", "[0].duration", "OpenADR 3.1"],
    ),
    "OpenADR 3.1 object": (
        _edit_openadr(lambda o: _event(o).update(objectType="BL_VEN_REQUEST")),
        ["openadr-event.json", "objectType", "3.1"],
    ),
    "OpenADR 2.0b XML": (
        _edit_text("openadr-event.json", "[", '<?xml version="1.0"?><oadrPayload>['),
        ["openadr-event.json", "2.0b"],
    ),
    "unit of another dimension": (
        _edit_text("signals.json", '"units": "gCO2/kWh"', '"units": "gCO2/km"'),
        ["signals.json", "fields.carbon_intensity", 'units "gCO2/km" are not a mass per energy'],
    ),
    "unknown OpenADR unit": (
        _edit_text("openadr-event.json", '"units": "KW"', '"units": "HP"'),
        ["openadr-event.json", "IMPORT_CAPACITY_LIMIT", "unknown units 'HP'"],
    ),
    "currency mismatch": (
        _edit_netcdf(lambda ds: _with_units(ds, "USD/MWh", "import_price", "export_price")),
        ["signals.nc", "units", "prices in USD, the study's currency is EUR"],
    ),
    "price without currency": (
        _edit_text("openadr-event.json", '"currency": "EUR"', '"currency": null'),
        ["openadr-event.json", "PRICE", "currency"],
    ),
    "NaN": (
        _edit_text("signals.csv", "2025-01-01T02:30:00,0.109,", "2025-01-01T02:30:00,nan,"),
        ["signals.csv", "import_price", "NaN", "2025-01-01T01:30:00Z"],
    ),
    "empty cell": (
        _edit_text("signals.csv", "2025-01-01T02:30:00,0.109,", "2025-01-01T02:30:00,,"),
        ["signals.csv", "import_price", "empty", "2025-01-01T01:30:00Z"],
    ),
    "NaN in OpenADR": (
        _edit_openadr(
            lambda o: _event(o)["intervals"][5]["payloads"][0].update(values=[float("nan")])
        ),
        ["openadr-event.json", "PRICE", "NaN", "2025-01-01T05:00:00Z"],
    ),
    "not a number in OpenADR": (
        _edit_openadr(lambda o: _event(o)["intervals"][5]["payloads"][0].update(values=[None])),
        ["openadr-event.json", "[0].intervals[5].payloads[0].values[0]"],
    ),
    "duplicate time": (
        _edit_text(
            "signals.csv",
            "2025-01-01T02:30:00,",
            "2025-01-01T02:15:00,",
        ),
        ["signals.csv", "time", "2025-01-01T01:15:00Z appears twice"],
    ),
    "gap": (
        _edit_text("signals.csv", "2025-01-01T02:30:00,0.109,0.1035,223.8,55.23,50000.0,0.0\n", ""),
        ["signals.csv", "time", "gap", "2025-01-01T01:30:00Z"],
    ),
    "OpenADR gap": (
        _edit_openadr(
            lambda o: _event(o)["intervals"][7].update(
                intervalPeriod={"start": "2025-01-01T08:00:00Z"}
            )
        ),
        ["openadr-event.json", "PRICE intervals", "gap", "2025-01-01T07:00:00Z"],
    ),
    "out of range": (
        _edit_text(
            "signals.csv",
            "2025-01-01T02:30:00,0.109,0.1035,223.8,55.23",
            "2025-01-01T02:30:00,0.109,0.1035,223.8,155.23",
        ),
        ["signals.csv", "clean_share", "1.5523", "2025-01-01T01:30:00Z", "[0, 1]"],
    ),
    "price above the scenario's range": (
        _edit_text("signals.csv", "2025-01-01T02:30:00,0.109,", "2025-01-01T02:30:00,1e17,"),
        ["signals.csv", "import_price", "1e+20", "2025-01-01T01:30:00", "[-1e+12, 1e+12]"],
    ),
    "carbon above the scenario's range": (
        _edit_netcdf(lambda ds: ds.assign(carbon_intensity=ds["carbon_intensity"] * 0 + 1e300)),
        ["signals.nc", "carbon_intensity", "1e+300", "2025-01-01T00:00:00", "[0, 10]"],
    ),
    "surplus above the scenario's range in OpenADR": (
        _edit_openadr(lambda o: _event(o)["intervals"][5]["payloads"][5].update(values=[1e12])),
        ["openadr-event.json", "surplus", "1e+09", "2025-01-01T05:00:00", "[0, 1e+06]"],
    ),
    "call limit above the scenario's range": (
        _edit_text("signals.json", '"import_limit": 25000.0', '"import_limit": 1e15'),
        ["signals.csv", "import_limit", "1e+12", "2025-01-01T03:00:00", "[0, 1e+06]"],
    ),
    "CSV without signals": (_plan_alone, ["plan.csv", "holds no signal"]),
    "ambiguous DST time": (
        _local_times(["2025-10-26T01:45:00", "2025-10-26T02:00:00"]),
        ["dst.csv", "time", "2025-10-26T02:00:00", "ambiguous"],
    ),
    "nonexistent DST time": (
        _local_times(["2025-03-30T01:45:00", "2025-03-30T02:00:00"]),
        ["dst.csv", "time", "2025-03-30T02:00:00", "does not exist"],
    ),
    "20-minute step": (_twenty_minutes, ["odd.csv", "import_price", "PT20M"]),
    "malformed time_step": (
        _edit_text("signals.json", '"time_step": "PT15M"', '"time_step": "PT15X"'),
        ["signals.json", "time_step", "'PT15X' is not an ISO 8601 duration"],
    ),
    "time_step not in ISO 8601": (
        _edit_text("signals.json", '"time_step": "PT15M"', '"time_step": "00:15:00"'),
        ["signals.json", "time_step", "'00:15:00' is not an ISO 8601 duration"],
    ),
    "time_step in months": (
        _edit_text("signals.json", '"time_step": "PT15M"', '"time_step": "P1M"'),
        ["signals.json", "time_step", "years or months are not read"],
    ),
    "negative time_step": (
        _edit_text("signals.json", '"time_step": "PT15M"', '"time_step": "-PT15M"'),
        ["signals.json", "time_step", "must be positive"],
    ),
    "malformed OpenADR duration": (
        _edit_text("openadr-event.json", '"duration": "PT1H"', '"duration": "PT1H1X"'),
        ["openadr-event.json", "[0].intervalPeriod.duration", "PT1H1X"],
    ),
    "naive OpenADR time": (
        _edit_text("openadr-event.json", '"2025-01-01T00:00:00Z"', '"2025-01-01T00:00:00"'),
        ["openadr-event.json", "intervalPeriod.start", "UTC offset"],
    ),
    "file too large": (_too_large, ["openadr-event.json", "50 MB limit"]),
    "a path in the metadata": (
        _edit_text("signals.json", '"site": "seville",', '"site": "seville", "data": "../x.csv",'),
        ["signals.json", "data", "unknown field"],
    ),
    "wrong site": (
        _edit_text("signals.json", '"site": "seville"', '"site": "olkaria"'),
        ["signals.csv", "site", "olkaria"],
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_partner_file_is_one_line_with_exit_2(case: str, tmp_path: Path) -> None:
    make, words = BAD_FILES[case]
    path = make(tmp_path)
    out = tmp_path / "out"
    message = one_line_error(
        "exchange", "import", path, "--scenario", STUDY, "--site", SITE, "--out", out
    )
    for word in words:
        assert word in message, message
    assert not out.exists()


def test_import_refuses_to_replace_the_study_it_reads(tmp_path: Path) -> None:
    study = Path(shutil.copytree(STUDY, tmp_path / "study"))
    for out in (study, tmp_path):
        message = one_line_error(
            "exchange", "import", PARTNER / "signals.nc", "--scenario", study, "--out", out
        )
        assert f"the input folder {study}" in message
    assert (study / "scenario.yaml").read_text() == (STUDY / "scenario.yaml").read_text()


def test_export_refuses_links_wrong_suffixes_and_non_results(
    plan_run: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.nc"
    elsewhere.write_text("keep")
    link = tmp_path / "plan.nc"
    link.symlink_to(elsewhere)
    message = one_line_error("exchange", "export", plan_run, "-f", "netcdf", "--out", link)
    assert "symbolic link" in message
    assert elsewhere.read_text() == "keep"
    message = one_line_error(
        "exchange", "export", plan_run, "-f", "csv", "--out", tmp_path / "p.nc"
    )
    assert "format csv writes a .csv file" in message
    message = one_line_error(
        "exchange", "export", STUDY, "-f", "netcdf", "--out", tmp_path / "p.nc"
    )
    assert "not a result folder" in message
    message = one_line_error(
        "exchange", "export", plan_run, "-f", "netcdf", "--out", tmp_path / "p.nc", "--site", "x"
    )
    assert "no site 'x'" in message


def test_signal_outside_the_horizon_is_refused() -> None:
    study = load_study(STUDY, hours=HOURS)
    late = read_signals(PARTNER / "signals.nc").series["import_price"]
    moved = SignalSeries(late.start + pd.Timedelta(days=30), late.step, late.values)
    with pytest.raises(ScenarioError, match="outside the study's"):
        apply_signals(study, Signals("late.nc", {"import_price": moved}))


def test_apply_signals_refuses_values_outside_the_scenario_s_range() -> None:
    study = load_study(STUDY, hours=HOURS)
    price = read_signals(PARTNER / "signals.nc").series["import_price"]
    huge = SignalSeries(price.start, price.step, np.full(len(price.values), 1e20))
    with pytest.raises(ScenarioError, match=r"huge.nc: import_price: is 1e\+20 at 2025-01-01T00"):
        apply_signals(study, Signals("huge.nc", {"import_price": huge}))
