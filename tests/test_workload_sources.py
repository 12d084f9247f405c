"""The three workload series from a parametric shape or a trace (dispatch/sources/workload*.py)."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest

from dispatch.core.errors import ScenarioError
from dispatch.sources.workload import WorkloadShape, workload_from_shape
from dispatch.sources.workload_trace import (
    WorkloadAssumptions,
    workload_fields,
    workload_from_trace,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "sources" / "workload"


def _make_profiles():
    """networks/make_profiles.py imported by path (it is a script, not a module)."""
    if "make_profiles" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "make_profiles", ROOT / "networks" / "make_profiles.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_profiles"] = module
        spec.loader.exec_module(module)
    return sys.modules["make_profiles"]


def _hours(start: str, periods: int, step_h: float = 1.0) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=periods, freq=pd.Timedelta(hours=step_h), tz="UTC")


def _assumptions(**changes) -> WorkloadAssumptions:
    fields = {
        "it_capacity_mw": 1.0,
        "real_time_share": 0.6,
        "batch_share": 0.3,
        "best_effort_share": 0.1,
        "batch_deadline_h": 8.0,
        "energy_per_request_wh": 0.5,
    }
    return WorkloadAssumptions(**{**fields, **changes})


# --------------------------------------------------------------------------------------
# Shape
# --------------------------------------------------------------------------------------


HOURS_2025 = pd.date_range("2025-01-01", periods=8760, freq="h", tz="UTC")

FIRM_2025 = [
    (0, 0.85), (2, 0.72), (4, 0.66), (6, 0.72), (8, 0.90), (10, 1.02),
    (12, 1.08), (14, 1.08), (16, 1.10), (18, 1.15), (20, 1.22), (22, 1.10),
]  # fmt: skip


def _loop_noise(rng, n, corr, sigma):
    """AR(1) noise as make_profiles.py drew it before dispatch.sources existed."""
    phi = np.exp(-1.0 / corr)
    shocks = rng.standard_normal(n) * sigma * np.sqrt(1 - phi**2)
    out = np.empty(n)
    out[0] = rng.standard_normal() * sigma
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def _window(hour, start, end, edge):
    rise = 1 / (1 + np.exp(-(hour - start) / (edge / 4)))
    return rise * (1 / (1 + np.exp((hour - end) / (edge / 4))))


def _workload_2025(firm_share, deferrable_share, interruptible_share, tz, seed, capacity):
    """The workload of the shipped examples as make_profiles.py computed it (its
    ``workload`` function before this package took it over), written out again."""
    rng = np.random.default_rng(seed)
    local = (HOURS_2025 + pd.Timedelta(minutes=30)).tz_convert(tz)
    hour = (local.hour + local.minute / 60).to_numpy()
    weekend = local.day_of_week.to_numpy() >= 5
    firm = np.interp(hour, *zip(*FIRM_2025, strict=True), period=24)
    firm = firm * np.where(weekend, 0.92, 1.0) * np.exp(_loop_noise(rng, 8760, 3, 0.04))
    firm = firm_share * capacity * firm / firm.mean()
    batch = 0.6 + 1.0 * _window(hour, 9, 18, 2) * np.where(weekend, 0.6, 1.0)
    batch = batch * np.exp(_loop_noise(rng, 8760, 2, 0.35))
    batch = deferrable_share * capacity * batch / batch.mean()
    offered = 1 + 0.25 * np.cos(2 * np.pi * (hour - 3) / 24)
    offered = offered * np.exp(_loop_noise(rng, 8760, 6, 0.2))
    offered = interruptible_share * capacity * offered / offered.mean()
    limit = 0.97 * capacity
    batch = np.minimum(batch, np.maximum(limit - firm - offered, 0))
    offered = np.minimum(offered, limit - firm - batch)
    return {"firm_mw": firm, "deferrable_mwh": batch, "interruptible_mw": offered}


@pytest.mark.parametrize(
    ("firm", "deferrable", "interruptible", "tz", "seed", "capacity"),
    [
        (0.42, 0.19, 0.05, "Africa/Nairobi", 2102, 45.0),  # olkaria
        (0.40, 0.20, 0.055, "Europe/Oslo", 2202, 60.0),  # nordic
        (0.36, 0.17, 0.05, "Asia/Kolkata", 3502, 30.0),  # a multi-site site
    ],
)
def test_shape_reproduces_make_profiles_exactly(
    firm, deferrable, interruptible, tz, seed, capacity
):
    shape = WorkloadShape(
        firm=firm, deferrable=deferrable, interruptible=interruptible, time_zone=tz, seed=seed
    )
    got = workload_from_shape(HOURS_2025, shape, capacity)
    assert list(got.columns) == ["firm_mw", "deferrable_mwh", "interruptible_mw"]
    assert got.index.equals(HOURS_2025)
    expected = _workload_2025(firm, deferrable, interruptible, tz, seed, capacity)
    script = _make_profiles().workload(shape, capacity)  # the script as it is now
    for column, values in expected.items():
        np.testing.assert_array_equal(got[column].to_numpy(), values, err_msg=column)
        np.testing.assert_array_equal(script[column], values, err_msg=column)


@pytest.mark.parametrize(
    ("example", "capacity", "firm", "deferrable", "interruptible", "tz", "seed"),
    [
        ("olkaria", 45.0, 0.42, 0.19, 0.05, "Africa/Nairobi", 2102),
        ("nordic", 60.0, 0.40, 0.20, 0.055, "Europe/Oslo", 2202),
        ("solar-battery", 40.0, 0.42, 0.19, 0.05, "Europe/Madrid", 2302),
    ],
)
def test_shape_reproduces_the_shipped_profiles(
    example, capacity, firm, deferrable, interruptible, tz, seed
):
    """The shipped profiles.csv files hold the workload to 4 significant digits."""
    columns = ["firm_mw", "deferrable_mwh", "interruptible_mw"]
    shipped = pd.read_csv(
        ROOT / "networks" / example / "profiles.csv", dtype=dict.fromkeys(columns, str)
    )
    snapshots = pd.DatetimeIndex(pd.to_datetime(shipped["time"], utc=True))
    shape = WorkloadShape(
        firm=firm, deferrable=deferrable, interruptible=interruptible, time_zone=tz, seed=seed
    )
    got = workload_from_shape(snapshots, shape, capacity)
    for column in columns:
        digits = [f"{v:.4g}" if abs(v) >= 1e-4 else "0" for v in got[column]]
        assert digits == shipped[column].tolist(), column


def test_shape_shares_and_headroom():
    snapshots = _hours("2025-01-01", 24 * 28)
    shape = WorkloadShape(
        firm=0.5, deferrable=0.3, interruptible=0.15, time_zone="Europe/Madrid", seed=7
    )
    frame = workload_from_shape(snapshots, shape, 20.0)
    # firm is never cut: its mean is its share exactly
    assert frame["firm_mw"].mean() == pytest.approx(0.5 * 20.0, rel=1e-12)
    total = frame.sum(axis=1)  # step 1 h: arrivals per step are MW
    assert total.max() <= 0.97 * 20.0 * (1 + 1e-12)
    # these shares crowd the capacity: arrivals are cut below their share
    assert frame["deferrable_mwh"].mean() < 0.3 * 20.0
    assert (frame >= 0).all().all()


def test_shape_step_two_hours_gives_energy_per_step():
    snapshots = _hours("2024-02-20", 12 * 21, step_h=2.0)  # crosses 29 Feb 2024
    shape = WorkloadShape(
        firm=0.2, deferrable=0.05, interruptible=0.02, time_zone="America/New_York", seed=3
    )
    frame = workload_from_shape(snapshots, shape, 10.0)
    assert frame["firm_mw"].mean() == pytest.approx(2.0, rel=1e-12)
    # arrivals per hour average 0.05 C; per 2 h step that is twice the energy
    assert frame["deferrable_mwh"].mean() == pytest.approx(0.05 * 10.0 * 2, rel=1e-12)
    assert frame["interruptible_mw"].mean() == pytest.approx(0.2, rel=1e-12)


def test_shape_growth_is_linear_per_year():
    snapshots = _hours("2025-01-01", 2 * 365 + 1, step_h=24.0)
    flat = WorkloadShape(firm=0.2, deferrable=0.05, interruptible=0.02, time_zone="UTC", seed=11)
    grown = flat.model_copy(update={"growth_per_year": 0.5})
    a = workload_from_shape(snapshots, flat, 10.0)
    b = workload_from_shape(snapshots, grown, 10.0)
    years = (snapshots - snapshots[0]) / pd.Timedelta(hours=365.25 * 24)
    for column in a.columns:
        np.testing.assert_allclose(b[column] / a[column], 1 + 0.5 * years, rtol=1e-12)
    assert b["firm_mw"].iloc[-1] / a["firm_mw"].iloc[-1] == pytest.approx(1 + 0.5 * 730 / 365.25)


def test_shape_weekend_and_working_hours_in_local_time():
    # no noise would hide a 0.5 weekend factor: Saturday firm is well below Friday's
    snapshots = _hours("2025-06-02", 24 * 14)  # Monday 2 June .. Sunday 15 June
    shape = WorkloadShape(
        firm=0.3,
        deferrable=0.1,
        interruptible=0.05,
        time_zone="Asia/Tokyo",
        seed=5,
        weekend_factor=0.5,
    )
    frame = workload_from_shape(snapshots, shape, 10.0)
    local = frame.index.tz_convert("Asia/Tokyo")
    weekend = local.day_of_week >= 5
    ratio = frame["firm_mw"][weekend].mean() / frame["firm_mw"][~weekend].mean()
    assert 0.4 < ratio < 0.6
    working = (local.hour >= 10) & (local.hour < 17) & ~weekend
    night = (local.hour < 5) & ~weekend
    assert frame["deferrable_mwh"][working].mean() > 1.8 * frame["deferrable_mwh"][night].mean()


def test_shape_refuses_firm_filling_the_capacity():
    shape = WorkloadShape(firm=0.9, deferrable=0.0, interruptible=0.0, time_zone="UTC", seed=1)
    with pytest.raises(ScenarioError, match="firm.*nearly fills the headroom") as error:
        workload_from_shape(_hours("2025-01-01", 48), shape, 10.0)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"firm": 1.5},
        {"time_zone": "Mars/Olympus"},
        {"time_zone": "localtime"},  # this host's zone: the trace would mean another elsewhere
        {"time_zone": "posix/Europe/Madrid"},  # a path, not a name
        {"diurnal": ((6.0, 1.0), (3.0, 1.0))},
        {"batch_hours": (18.0, 9.0)},
        {"seed": -1},
    ],
)
def test_shape_refuses_bad_parameters(changes):
    fields = {"firm": 0.3, "deferrable": 0.1, "interruptible": 0.05, "time_zone": "UTC", "seed": 1}
    with pytest.raises(pydantic.ValidationError):
        WorkloadShape(**{**fields, **changes})


def test_scenario_fields_round_the_deadline_down_to_whole_steps():
    shape = WorkloadShape(
        firm=0.3,
        deferrable=0.1,
        interruptible=0.05,
        time_zone="UTC",
        seed=1,
        batch_deadline_h=7.0,
        value_of_lost_work=95.0,
    )
    assert workload_fields(shape, 2.0) == {"max_delay_h": 6.0, "value_of_lost_work": 95.0}
    assert workload_fields(_assumptions(batch_deadline_h=8.0), 1.0) == {"max_delay_h": 8.0}
    assert workload_fields(_assumptions(batch_deadline_h=0.75), 0.25) == {"max_delay_h": 0.75}


# --------------------------------------------------------------------------------------
# Traces
# --------------------------------------------------------------------------------------


def test_requests_hand_case():
    # 3600 requests an hour at 0.5 Wh: 1800 Wh per hour = 0.0018 MW of work
    frame = workload_from_trace(DATA / "requests_3h.csv", _hours("2025-06-02", 3), _assumptions())
    np.testing.assert_allclose(frame["firm_mw"], 0.6 * 0.0018, rtol=1e-14)
    np.testing.assert_allclose(frame["deferrable_mwh"], 0.3 * 0.0018, rtol=1e-14)
    np.testing.assert_allclose(frame["interruptible_mw"], 0.1 * 0.0018, rtol=1e-14)


def test_requests_hand_case_on_a_three_hour_step():
    frame = workload_from_trace(
        DATA / "requests_3h.csv", _hours("2025-06-02", 1, step_h=3.0), _assumptions()
    )
    assert frame["firm_mw"].iloc[0] == pytest.approx(0.6 * 0.0018, rel=1e-14)
    # three hours of batch arrivals in the one step [MWh]
    assert frame["deferrable_mwh"].iloc[0] == pytest.approx(3 * 0.3 * 0.0018, rel=1e-14)


def test_utilisation_hand_case_and_two_hour_step():
    assumptions = _assumptions(
        it_capacity_mw=10.0,
        real_time_share=0.5,
        batch_share=0.3,
        best_effort_share=0.2,
        energy_per_request_wh=0.0,
    )
    hourly = workload_from_trace(DATA / "utilization_4h.csv", _hours("2025-06-02", 4), assumptions)
    np.testing.assert_allclose(hourly["firm_mw"], 0.5 * np.array([2.5, 5.0, 10.0, 0.0]))
    two_hour = workload_from_trace(
        DATA / "utilization_4h.csv", _hours("2025-06-02", 2, step_h=2.0), assumptions
    )
    np.testing.assert_allclose(two_hour["firm_mw"], 0.5 * np.array([3.75, 5.0]))
    np.testing.assert_allclose(two_hour["deferrable_mwh"], 0.3 * np.array([3.75, 5.0]) * 2)
    np.testing.assert_allclose(two_hour["interruptible_mw"], 0.2 * np.array([3.75, 5.0]))
    # a full load other than the capacity
    smaller = workload_from_trace(
        DATA / "utilization_4h.csv",
        _hours("2025-06-02", 4),
        assumptions.model_copy(update={"full_load_mw": 4.0}),
    )
    np.testing.assert_allclose(smaller["firm_mw"], 0.5 * np.array([1.0, 2.0, 4.0, 0.0]))


def test_utilisation_in_percent_every_15_minutes():
    path = DATA / "utilisation_percent_2days.csv"
    with path.open() as handle:
        percent = np.array([float(row["utilisation"]) for row in csv.DictReader(handle)])
    hourly_mean = percent.reshape(-1, 4).mean(axis=1)
    assumptions = _assumptions(
        it_capacity_mw=12.0,
        full_load_mw=10.0,
        utilisation_unit="percent",
        real_time_share=0.7,
        batch_share=0.2,
        best_effort_share=0.1,
    )
    # times are local (+01:00): the trace starts at 23:00 UTC
    frame = workload_from_trace(path, _hours("2025-01-13T23:00", 48), assumptions)
    np.testing.assert_allclose(frame["firm_mw"], 0.7 * hourly_mean / 100 * 10.0, rtol=1e-12)
    fraction = assumptions.model_copy(update={"utilisation_unit": "fraction"})
    with pytest.raises(ScenarioError, match=r"utilisation: row 1: '36.8' is above 1"):
        workload_from_trace(path, _hours("2025-01-13T23:00", 48), fraction)


def test_azure_hand_case_with_tokens():
    assumptions = _assumptions(energy_per_input_token_wh=0.001, energy_per_output_token_wh=0.01)
    snapshots = _hours("2023-11-16", 4)  # the last request opens the fourth hour
    frame = workload_from_trace(DATA / "azure_llm_4h.csv", snapshots, assumptions)
    # hour 0: (0.5 + 1 + 1) + (0.5 + 3 + 3) Wh; hour 1: 0.5 + 0.5; hour 2: none; hour 3: 0.5 + 2
    energy_wh = np.array([9.0, 1.0, 0.0, 2.5])
    np.testing.assert_allclose(frame["firm_mw"], 0.6 * energy_wh / 1e6, rtol=1e-12, atol=0)
    np.testing.assert_allclose(frame["deferrable_mwh"], 0.3 * energy_wh / 1e6, rtol=1e-12)
    # half-hour bins onto hourly snapshots: the same
    half = workload_from_trace(
        DATA / "azure_llm_4h.csv",
        _hours("2023-11-16", 4),
        assumptions.model_copy(update={"interval_h": 0.5}),
    )
    np.testing.assert_allclose(half["firm_mw"], frame["firm_mw"], rtol=1e-12)


def test_azure_trace_of_three_days_conserves_energy():
    path = DATA / "azure_llm_conv_3days.csv"
    assumptions = _assumptions(
        energy_per_request_wh=0.2, energy_per_input_token_wh=2e-4, energy_per_output_token_wh=3e-3
    )
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    expected_mwh = (
        sum(
            0.2 + 2e-4 * int(row["ContextTokens"]) + 3e-3 * int(row["GeneratedTokens"])
            for row in rows
        )
        / 1e6
    )
    for step_h in (1.0, 2.0, 24.0):
        snapshots = _hours("2024-05-13", int(72 / step_h), step_h)
        frame = workload_from_trace(path, snapshots, assumptions)
        work_mwh = (frame["firm_mw"] * step_h + frame["deferrable_mwh"]).sum() + (
            frame["interruptible_mw"] * step_h
        ).sum()
        assert work_mwh == pytest.approx(expected_mwh, rel=1e-12)
    # a fourth day is not in the trace
    with pytest.raises(ScenarioError, match="azure_llm_conv_3days.csv"):
        workload_from_trace(path, _hours("2024-05-13", 96), assumptions)


def test_azure_time_zone_of_timestamps_without_offset():
    # UTC+05:30: the first request, 00:10 local, is 18:40 UTC the day before
    assumptions = _assumptions(time_zone="Asia/Kolkata")
    snapshots = _hours("2023-11-15T18:30", 7, step_h=0.5)
    frame = workload_from_trace(DATA / "azure_llm_4h.csv", snapshots, assumptions)
    assert frame["firm_mw"].iloc[0] == pytest.approx(0.6 * 0.5 / 0.5 / 1e6, rel=1e-12)
    # four requests of 0.5 Wh
    assert (frame["firm_mw"] * 0.5).sum() == pytest.approx(0.6 * 4 * 0.5 / 1e6, rel=1e-12)


def test_weekly_repeat_fills_a_longer_horizon_in_phase():
    path = DATA / "requests_week.csv"
    trace = pd.read_csv(path)
    trace.index = pd.to_datetime(trace["time"], utc=True)
    snapshots = _hours("2025-01-01", 24 * 120)  # January to April, the trace is 3-9 March
    frame = workload_from_trace(path, snapshots, _assumptions(repeat="weekly"))
    mw = trace["requests"] * 0.5 / 1e6
    for time in ("2025-01-06T05:00Z", "2025-02-15T13:00Z", "2025-04-30T23:00Z"):
        t = pd.Timestamp(time)
        weeks = (t - trace.index[0]) // pd.Timedelta(days=7)
        source = t - weeks * pd.Timedelta(days=7)
        assert source.day_name() == t.day_name()
        assert frame.loc[t, "firm_mw"] == pytest.approx(0.6 * mw[source], rel=1e-14)
    inside = frame.loc["2025-03-03":"2025-03-09", "firm_mw"]
    np.testing.assert_allclose(inside, 0.6 * mw.to_numpy(), rtol=1e-14)
    daily = workload_from_trace(path, snapshots, _assumptions(repeat="daily"))
    t = pd.Timestamp("2025-01-06T05:00Z")  # a Monday takes the trace's first day, a Monday too
    assert daily.loc[t, "firm_mw"] == pytest.approx(0.6 * mw["2025-03-03T05:00Z"], rel=1e-14)
    with pytest.raises(ScenarioError, match="requests_week.csv"):
        workload_from_trace(path, snapshots, _assumptions())


def test_repeat_needs_a_whole_period():
    with pytest.raises(
        ScenarioError, match=r"repeat: weekly needs a trace of at least one whole week"
    ):
        workload_from_trace(
            DATA / "requests_3h.csv", _hours("2025-06-01", 48), _assumptions(repeat="weekly")
        )


def test_work_above_the_capacity_is_refused():
    with pytest.raises(
        ScenarioError, match=r"requests_3h.csv: requests: work 0.0018 MW at 2025-06-02T00:00:00Z"
    ):
        workload_from_trace(
            DATA / "requests_3h.csv", _hours("2025-06-02", 3), _assumptions(it_capacity_mw=0.001)
        )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_requests_negative.csv", "requests: row 2: '-5' is negative"),
        ("bad_requests_text.csv", "requests: row 3: 'many' is not a number"),
        ("bad_requests_empty.csv", "requests: row 2: is missing"),
        ("bad_requests_nan.csv", "requests: row 2: is missing"),
        ("bad_requests_gap.csv", "time: gap: no value for 2025-06-02T02:00:00Z"),
        ("bad_requests_repeated.csv", "time: 2025-06-02T01:00:00Z appears twice"),
        ("bad_requests_no_offset.csv", "time: row 1 ('2025-06-02T00:00:00') has no UTC offset"),
        ("bad_utilisation_above_one.csv", "utilisation: row 2: '1.2' is above 1"),
        ("bad_columns.csv", "columns 'time,load_mw' are not a workload trace"),
        ("bad_azure_time.csv", "TIMESTAMP: row 2: '16/11/2023 00:20' is not an ISO 8601 time"),
        ("bad_azure_tokens.csv", "ContextTokens: row 2: '1k' is not a number"),
        ("no_such_trace.csv", "no such file"),
    ],
)
def test_malformed_traces_are_refused_in_one_line(name, message):
    with pytest.raises(ScenarioError) as error:
        workload_from_trace(DATA / name, _hours("2025-06-02", 3), _assumptions())
    text = str(error.value)
    assert text.startswith(str(DATA / name))
    assert message in text
    assert "\n" not in text


def test_missing_energy_is_refused():
    with pytest.raises(ScenarioError, match="energy_per_request_wh is 0"):
        workload_from_trace(
            DATA / "requests_3h.csv", _hours("2025-06-02", 3), _assumptions(energy_per_request_wh=0)
        )
    with pytest.raises(ScenarioError, match="give at least one"):
        workload_from_trace(
            DATA / "azure_llm_4h.csv",
            _hours("2023-11-16", 4),
            _assumptions(energy_per_request_wh=0),
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"real_time_share": 0.5},  # shares sum to 0.9
        {"time_zone": "Nowhere/City"},
        {"repeat": "monthly"},
        {"utilisation_unit": "permille"},
        {"energy_per_request_wh": -1.0},
    ],
)
def test_assumptions_refuse_bad_values(changes):
    with pytest.raises(pydantic.ValidationError):
        _assumptions(**changes)


def test_public_api():
    import dispatch

    assert dispatch.workload_from_shape is workload_from_shape
    assert dispatch.workload_from_trace is workload_from_trace
    assert dispatch.WorkloadShape is WorkloadShape
    assert dispatch.WorkloadAssumptions is WorkloadAssumptions


def test_azure_trace_read_in_chunks_gives_the_same_work(monkeypatch):
    import dispatch.sources.workload_trace as workload_trace

    path = DATA / "azure_llm_conv_3days.csv"
    snapshots = _hours("2024-05-13", 72)
    whole = workload_from_trace(path, snapshots, _assumptions())
    monkeypatch.setattr(workload_trace, "_CHUNK_ROWS", 100)
    chunked = workload_from_trace(path, snapshots, _assumptions())
    np.testing.assert_allclose(chunked.to_numpy(), whole.to_numpy(), rtol=1e-12)
    monkeypatch.setattr(workload_trace, "_CHUNK_ROWS", 1)  # row numbers run on across chunks
    with pytest.raises(ScenarioError, match="ContextTokens: row 2: '1k' is not a number"):
        workload_from_trace(DATA / "bad_azure_tokens.csv", snapshots, _assumptions())


def test_azure_timestamps_with_offsets_and_a_size_limit(tmp_path, monkeypatch):
    import dispatch.sources.workload_trace as workload_trace

    trace = tmp_path / "azure.csv"
    trace.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16T01:10:00+01:00,10,1\n"  # 00:10 UTC
        "2023-11-16T00:20:00Z,10,1\n"
    )
    frame = workload_from_trace(trace, _hours("2023-11-16", 1), _assumptions())
    assert frame["firm_mw"].iloc[0] == pytest.approx(0.6 * 2 * 0.5 / 1e6, rel=1e-12)
    monkeypatch.setattr(workload_trace, "MAX_TRACE_BYTES", 64)
    with pytest.raises(ScenarioError, match="above the 0 MB limit for traces"):
        workload_from_trace(trace, _hours("2023-11-16", 1), _assumptions())


def test_shape_on_quarter_hours_and_a_single_snapshot():
    shape = WorkloadShape(firm=0.3, deferrable=0.1, interruptible=0.05, time_zone="UTC", seed=9)
    quarter = workload_from_shape(_hours("2024-12-31T22:00", 16, step_h=0.25), shape, 8.0)
    assert quarter["firm_mw"].mean() == pytest.approx(2.4, rel=1e-12)
    assert quarter["deferrable_mwh"].mean() == pytest.approx(0.1 * 8.0 * 0.25, rel=1e-12)
    one = pd.date_range("2025-01-01", periods=1, freq="2h", tz="UTC")
    single = workload_from_shape(one, shape, 8.0)
    # one step: every series is its share, arrivals for two hours
    assert single.iloc[0].tolist() == pytest.approx([2.4, 0.1 * 8.0 * 2, 0.05 * 8.0])
