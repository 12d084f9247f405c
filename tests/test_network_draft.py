"""NetworkDraft adds components as PyPSA adds them one call at a time."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from dispatch.core.pypsa_settings import import_pypsa
from dispatch.model.draft import NetworkDraft

SNAPSHOTS = pd.date_range("2030-01-01", periods=4, freq="h")


def _calls() -> list[tuple[str, Any, dict[str, Any]]]:
    """Calls as the builders make them: several names with lists, one name with time
    series, an attribute static for one component and a time series for another,
    attributes some components leave at their defaults, a Link with a third bus."""
    series = pd.Series([0.5, 0.7, 0.2, 0.0], SNAPSHOTS)
    return [
        ("Carrier", ["solar", "grid"], {"co2_emissions": [0.0, 0.4], "color": ["y", "k"]}),
        ("Bus", ["s", "s IT", "s heat"], {"carrier": ["electricity", "it", "heat"], "unit": "MW"}),
        ("Generator", "s solar", {"bus": "s", "p_nom": 10.0, "p_max_pu": series}),
        ("Link", "s facility", {"bus0": "s", "bus1": "s IT", "efficiency": 1 / series.add(1.2)}),
        ("Generator", "s grid", {"bus": "s", "p_nom": 5.0, "marginal_cost": 30.0}),
        (
            "Link",
            "s heat pump",
            {"bus0": "s IT", "bus1": "s", "bus2": "s heat", "efficiency2": series, "p_nom": 2.0},
        ),
        ("Link", "s compute", {"bus0": "s IT", "bus1": "s", "efficiency": 0.9, "p_min_pu": 0.1}),
        (
            "Load",
            ["s firm", "s idle"],
            {"bus": "s IT", "p_set": pd.DataFrame({"s firm": series, "s idle": series * 2})},
        ),
        ("Store", "s backlog", {"bus": "s", "e_nom": 3.0, "e_min_pu": -series, "e_cyclic": False}),
        ("Bus", "s queue", {"carrier": "deferrable"}),
    ]


def _network() -> Any:
    n = import_pypsa().Network()
    n.set_snapshots(SNAPSHOTS)
    return n


def _tables(n: Any) -> dict[str, tuple[pd.DataFrame, dict[str, pd.DataFrame]]]:
    return {
        c.name: (c.static, {key: frame for key, frame in c.dynamic.items() if not frame.empty})
        for c in n.components
        if not c.static.empty
    }


def _assert_same_tables(expected: Any, got: Any) -> None:
    expected_tables, got_tables = _tables(expected), _tables(got)
    assert set(expected_tables) == set(got_tables)
    for name, (static, dynamic) in expected_tables.items():
        got_static, got_dynamic = got_tables[name]
        assert_frame_equal(got_static, static, check_exact=True)
        assert set(got_dynamic) == set(dynamic), name
        for key, frame in dynamic.items():
            assert_frame_equal(got_dynamic[key], frame, check_exact=True)


def test_draft_gives_the_tables_of_one_add_per_call() -> None:
    one_by_one, drafted = _network(), _network()
    draft = NetworkDraft(drafted)
    for class_name, name, attributes in _calls():
        one_by_one.add(class_name, name, **attributes)
        draft.add(class_name, name, **attributes)
    assert draft.finish() is drafted
    # Added one by one, Links before the first with a third bus keep NaN for its
    # efficiency instead of the default 1 (build_network used to fill it in).
    one_by_one.links["efficiency2"] = one_by_one.links["efficiency2"].fillna(1.0)
    _assert_same_tables(one_by_one, drafted)
    # Values PyPSA's defaults fill in and what each component was given:
    links = drafted.links
    assert links.at["s compute", "bus2"] == "" and links.at["s facility", "efficiency2"] == 1.0
    assert list(drafted.links_t.efficiency2.columns) == ["s heat pump"]
    assert list(drafted.buses.index) == ["s", "s IT", "s heat", "s queue"]


def test_draft_adds_each_class_once(monkeypatch: pytest.MonkeyPatch) -> None:
    n = _network()
    added: list[str] = []
    add = type(n).add

    def counted(self: Any, class_name: str, *args: Any, **kwargs: Any) -> Any:
        added.append(class_name)
        return add(self, class_name, *args, **kwargs)

    monkeypatch.setattr(type(n), "add", counted)
    draft = NetworkDraft(n)
    for class_name, name, attributes in _calls():
        draft.add(class_name, name, **attributes)
    draft.finish()
    assert sorted(added) == sorted(set(added))
    assert added[:2] == ["Carrier", "Bus"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (["a", "b"], pd.Series([1.0, 2.0, 3.0, 4.0], SNAPSHOTS), "Series for several"),
        (["a", "b"], [1.0, 2.0, 3.0], "3 values for 2 components"),
        ("a", pd.Series([1.0, 2.0, 3.0, 4.0]), "not on the snapshots"),
        (["a", "b"], pd.DataFrame({"b": [1.0] * 4, "a": [2.0] * 4}, SNAPSHOTS), "not the names"),
    ],
)
def test_draft_refuses_what_pypsa_would_misread(name: Any, value: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        NetworkDraft(_network()).add("Load", name, p_set=value)
