"""OpenADR 3 as the specification allows it: documents a utility's VTN may send are read
or refused for a stated reason, and every OpenADR export validates against the official
OpenAPI definitions.

The documents below are our own, modelled on the kinds of examples the OpenADR 3
specification shows (a price event with its program, an event with a default
intervalPeriod, a multi-valued price, targets, a report). The official definitions are
not vendored: :func:`test_exports_validate_against_the_official_schemas` reads them
from the folder named by ``DISPATCH_OPENADR_SPEC`` (or ``../shared/openadr3-specification``
beside the repository), laid out as the public repository
``grid-coordination/openadr3-specification`` (``3.0.1/openadr3.yaml``,
``3.1.0/openadr3.yaml``, ...), and is skipped without it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from dispatch import Result, ScenarioError, apply_signals, export_plan, load_study, operate
from dispatch.exchange import openadr_reader
from dispatch.exchange.fields import Signals
from hostile import TINY, run_dispatch

SEVILLE = Path(__file__).parents[1] / "networks" / "solar-battery"
SPEC_VARIABLE = "DISPATCH_OPENADR_SPEC"
SHARED_SPEC = Path(__file__).parents[2] / "shared" / "openadr3-specification"
"""Where the project's steering repository may keep a copy of the specification."""
READER_LOG = "dispatch.exchange.openadr_reader"
START = "2025-01-01T00:00:00Z"
HOURS = pd.date_range(START, periods=4, freq="h")
"""The hours 2025-01-01 00:00 to 04:00 UTC that most documents below cover."""


def tariff_program(**extra: Any) -> dict:
    """A time-of-use tariff program whose descriptor gives prices in EUR per kWh."""
    return {
        "id": "tou-2025",
        "objectType": "PROGRAM",
        "programName": "TOU-2025",
        "programType": "PRICING_TARIFF",
        "country": "ES",
        "payloadDescriptors": [
            {
                "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                "payloadType": "PRICE",
                "units": "KWH",
                "currency": "EUR",
            },
            {
                "objectType": "REPORT_PAYLOAD_DESCRIPTOR",
                "payloadType": "USAGE",
                "readingType": "DIRECT_READ",
                "units": "KWH",
            },
        ],
        **extra,
    }


def price_event(prices: list[float], **extra: Any) -> dict:
    """An event of hourly prices from 2025-01-01 00:00 UTC with a default intervalPeriod
    and no payloadDescriptors of its own."""
    return {
        "id": "tou-day-1",
        "objectType": "EVENT",
        "programID": "tou-2025",
        "eventName": "day-ahead prices",
        "intervalPeriod": {"start": START, "duration": "PT1H"},
        "intervals": [
            {"id": i, "payloads": [{"type": "PRICE", "values": [p]}]} for i, p in enumerate(prices)
        ],
        **extra,
    }


def usage_report() -> dict:
    """A VEN's report of metered usage on the price event."""
    return {
        "objectType": "REPORT",
        "programID": "tou-2025",
        "eventID": "tou-day-1",
        "clientName": "seville-ven",
        "resources": [
            {
                "resourceName": "seville",
                "intervalPeriod": {"start": START, "duration": "PT1H"},
                "intervals": [{"id": 0, "payloads": [{"type": "USAGE", "values": [812.5]}]}],
            }
        ],
    }


def read(tmp_path: Path, document: Any, name: str = "vtn.json") -> Signals:
    """The signals of ``document`` written as the JSON file ``name``."""
    from dispatch import read_signals

    path = tmp_path / name
    path.write_text(json.dumps(document))
    return read_signals(path)


def refusal(tmp_path: Path, document: Any) -> str:
    """The one-line refusal of ``document``."""
    with pytest.raises(ScenarioError) as caught:
        read(tmp_path, document)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "vtn.json")) and "\n" not in message
    return message


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == READER_LOG]


def test_price_event_takes_units_from_its_program(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    signals = read(tmp_path, [tariff_program(), price_event([0.1091, 0.2, 0.15, 0.0875])])
    price = signals.series["import_price"]
    assert price.start == HOURS[0] and price.step == pd.Timedelta(hours=1)
    np.testing.assert_array_equal(price.values, [109.1, 200.0, 150.0, 87.5])  # EUR/MWh
    assert signals.currency == "EUR" and signals.site is None and not signals.caps
    assert not warnings_of(caplog)


def test_descriptor_missing_everywhere_is_named(tmp_path: Path) -> None:
    message = refusal(tmp_path, [price_event([0.1, 0.2])])
    assert "[0].payloadDescriptors (PRICE): missing" in message
    assert "program 'tou-2025' (not in the file)" in message
    assert "no default unit" in message and "KWH, MWH" in message


def test_ghg_without_descriptor_is_in_grams_per_kwh(tmp_path: Path) -> None:
    event = {
        "programID": "grid-carbon",
        "intervalPeriod": {"start": START, "duration": "PT1H"},
        "intervals": [{"id": 0, "payloads": [{"type": "GHG", "values": [250]}]}],
    }
    carbon = read(tmp_path, event).series["carbon_intensity"]
    assert carbon.start == HOURS[0]
    np.testing.assert_array_equal(carbon.values, [0.25])  # t/MWh


def test_intervals_follow_the_events_period(tmp_path: Path) -> None:
    """Intervals without their own period follow each other from the event's start;
    one whose start is 0001-01-01 starts where the previous one ended."""
    event = price_event([0.1, 0.2, 0.3, 0.4])
    event["intervals"][2]["intervalPeriod"] = {"start": "0001-01-01T00:00:00Z"}
    event["intervals"][3]["intervalPeriod"] = {"start": "2025-01-01T03:00:00Z"}
    price = read(tmp_path, [tariff_program(), event]).series["import_price"]
    assert price.start == HOURS[0] and price.step == pd.Timedelta(hours=1)
    np.testing.assert_array_equal(price.values, [100.0, 200.0, 300.0, 400.0])


def test_vendor_extensions_are_ignored_and_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    program = tariff_program(vendorTariffCode="ES-2.0TD", attributes=[])
    program["payloadDescriptors"][0]["x-rounding"] = "HALF_UP"
    event = price_event([0.1, 0.2, 0.15, 0.12], **{"x-vendor": {"region": "south"}})
    for interval in event["intervals"]:
        interval["quality"] = "FIRM"
        interval["payloads"][0]["confidence"] = 90
    signals = read(tmp_path, [program, event])
    np.testing.assert_array_equal(signals.series["import_price"].values, [100, 200, 150, 120])
    [warning] = warnings_of(caplog)
    assert warning.startswith(f"{tmp_path / 'vtn.json'}: ignored properties OpenADR 3.0.1")
    for name in (
        "[0].vendorTariffCode",
        "[0].attributes (OpenADR 3.1)",
        "[0].payloadDescriptors[0].x-rounding",
        "[1].x-vendor",
        "[1].intervals[0].quality and 3 more like it",
        "[1].intervals[0].payloads[0].confidence and 3 more like it",
    ):
        assert name in warning


def test_wrong_types_are_still_refused(tmp_path: Path) -> None:
    event = price_event([0.1])
    event["intervals"][0]["id"] = "first"
    assert "[1].intervals[0].id" in refusal(tmp_path, [tariff_program(), event])
    event = price_event([0.1])
    event["intervalPeriod"]["duration"] = "1 hour"
    assert "[1].intervalPeriod.duration" in refusal(tmp_path, [tariff_program(), event])
    assert "OpenADR 3.1" in refusal(
        tmp_path, [tariff_program(), price_event([0.1], duration="P1D")]
    )


def test_multi_valued_price_is_read_as_sub_intervals(tmp_path: Path) -> None:
    """OpenADR 3.1.1 User Guide 7.3: three prices in a PT3H interval are hourly."""
    event = {
        "programID": "tou-2025",
        "payloadDescriptors": [{"payloadType": "PRICE", "units": "KWH", "currency": "EUR"}],
        "intervals": [
            {
                "id": 0,
                "intervalPeriod": {"start": START, "duration": "PT3H"},
                "payloads": [{"type": "PRICE", "values": [0.17, 0.03, 0.11]}],
            },
            {
                "id": 1,
                "intervalPeriod": {"start": "2025-01-01T03:00:00Z", "duration": "PT1H"},
                "payloads": [{"type": "PRICE", "values": [0.09]}],
            },
        ],
    }
    price = read(tmp_path, event).series["import_price"]
    assert price.start == HOURS[0] and price.step == pd.Timedelta(hours=1)
    np.testing.assert_array_equal(price.values, [170.0, 30.0, 110.0, 90.0])
    event["intervals"][1]["payloads"][0]["values"] = [0.1] * 7
    message = refusal(tmp_path, event)
    assert "[0].intervals[1].payloads[0] (PRICE)" in message and "7 values" in message
    event["intervals"][1]["payloads"][0]["values"] = [0.1, "high"]
    assert "needs one or more numbers" in refusal(tmp_path, event)


def test_sub_intervals_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sub-intervals count towards the steps a field may have (here cut to 10)."""
    monkeypatch.setattr(openadr_reader, "MAX_STEPS", 10)
    event = price_event([0.1, 0.2])
    for interval in event["intervals"]:
        interval["payloads"][0]["values"] = [0.1] * 5
    assert len(read(tmp_path, [tariff_program(), event]).series["import_price"].values) == 10
    event["intervals"][1]["payloads"][0]["values"] = [0.1] * 6
    message = refusal(tmp_path, [tariff_program(), event])
    assert "[1].intervals[1].payloads[0]: PRICE has more than 10 intervals" in message


def test_steps_are_bounded_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps of a field are counted over all events of the file, not per event (here
    cut to 10): many events of a few values each cannot exceed the bound."""
    monkeypatch.setattr(openadr_reader, "MAX_STEPS", 10)
    events = [
        price_event([0.1] * 5, id=f"day-{k}", intervalPeriod={"start": start, "duration": "PT1H"})
        for k, start in enumerate(["2025-01-01T00:00:00Z", "2025-01-01T05:00:00Z"])
    ]
    assert len(read(tmp_path, [tariff_program(), *events]).series["import_price"].values) == 10
    events[1]["intervals"].append({"id": 5, "payloads": [{"type": "PRICE", "values": [0.1]}]})
    message = refusal(tmp_path, [tariff_program(), *events])
    assert "[2].intervals[5].payloads[0]: PRICE has more than 10 intervals in the file" in message


def test_a_payload_type_described_twice_or_a_program_given_twice_is_refused(
    tmp_path: Path,
) -> None:
    """Not "last wins": a price in KWH or in MWH differs by a factor 1000."""
    event = price_event([0.1])
    event["payloadDescriptors"] = [
        {"payloadType": "PRICE", "units": units, "currency": "EUR"} for units in ("KWH", "MWH")
    ]
    message = refusal(tmp_path, [tariff_program(), event])
    assert "[1].payloadDescriptors[1]: describes 'PRICE' a second time" in message
    megawatt_hours = tariff_program()
    megawatt_hours["payloadDescriptors"][0]["units"] = "MWH"
    message = refusal(tmp_path, [tariff_program(), megawatt_hours, price_event([0.1])])
    assert "[1].id: program 'tou-2025' appears twice" in message


def test_report_only_file_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, [usage_report()])
    assert message.endswith("holds no event (report): an OpenADR file of signals needs events")
    message = refusal(tmp_path, [tariff_program(), usage_report()])
    assert "holds no event (program, report)" in message


def test_reports_beside_events_are_skipped(tmp_path: Path) -> None:
    signals = read(tmp_path, [tariff_program(), price_event([0.1]), usage_report()])
    np.testing.assert_array_equal(signals.series["import_price"].values, [100.0])


def test_randomized_start_is_read_unshifted_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    event = price_event([0.1, 0.2])
    event["intervalPeriod"]["randomizeStart"] = "PT0S"
    read(tmp_path, [tariff_program(), event])
    assert not warnings_of(caplog)
    event["intervalPeriod"]["randomizeStart"] = "PT5M"
    price = read(tmp_path, [tariff_program(), event]).series["import_price"]
    assert price.start == HOURS[0]
    np.testing.assert_array_equal(price.values, [100.0, 200.0])
    [warning] = warnings_of(caplog)
    assert "randomizeStart read as no shift" in warning
    assert "[1].intervalPeriod.randomizeStart PT5M" in warning


def call_event(targets: list | None) -> dict:
    """A 3-hour import limit of 25 MW from 03:00 UTC, for ``targets``."""
    return {
        "programID": "seville-flex",
        "eventName": "substation maintenance",
        "targets": targets,
        "payloadDescriptors": [{"payloadType": "IMPORT_CAPACITY_LIMIT", "units": "KW"}],
        "intervals": [
            {
                "id": 0,
                "intervalPeriod": {"start": "2025-01-01T03:00:00Z", "duration": "PT3H"},
                "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [25000]}],
            }
        ],
    }


def test_targets_naming_the_site(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    study = load_study(SEVILLE, hours=12)
    signals = read(tmp_path, call_event([{"type": "VEN_NAME", "values": ["seville"]}]))
    assert signals.site == "seville" and not warnings_of(caplog)
    [cap] = signals.caps
    assert (cap.start, cap.end, cap.value) == (HOURS[3], HOURS[3] + pd.Timedelta(hours=3), 25.0)
    limits = apply_signals(study, signals).values("seville", "grid.import_limit_mw")
    np.testing.assert_array_equal(limits[3:6], [25.0] * 3)
    other = read(tmp_path, call_event([{"type": "RESOURCE_NAME", "values": ["olkaria"]}]))
    with pytest.raises(ScenarioError, match="the file is for site 'olkaria', not 'seville'"):
        apply_signals(study, other)


def test_targets_that_name_no_site_are_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    signals = read(tmp_path, call_event([{"type": "GROUP", "values": ["feeder-12"]}]))
    assert signals.site is None and len(signals.caps) == 1
    [warning] = warnings_of(caplog)
    assert "targets not matched to a site, read as meant for it: GROUP ([0].targets[0])" in warning


def test_targets_of_several_sites_or_31_strings_are_refused(tmp_path: Path) -> None:
    both = call_event([{"type": "VEN_NAME", "values": ["seville", "olkaria"]}])
    message = refusal(tmp_path, both)
    assert (
        "[0].targets[0]" in message and "several sites or resources (olkaria, seville)" in message
    )
    assert "OpenADR 3.1" in refusal(tmp_path, call_event(["group-1"]))
    number = call_event([{"type": "VEN_NAME", "values": [7]}])
    assert "[0].targets[0].values[0]: 7 is not a VEN_NAME" in refusal(tmp_path, number)


def test_cli_warns_in_one_line_and_refuses_reports_only(tmp_path: Path) -> None:
    """In its own process (no logging configured): a warning is one line on stderr."""
    event = call_event([{"type": "VEN_NAME", "values": ["s"]}])
    event["vendorPriority"] = "high"
    event["intervals"][0]["intervalPeriod"]["start"] = "2025-06-01T01:00:00Z"
    (tmp_path / "vtn.json").write_text(json.dumps(event))
    outcome = run_dispatch(
        "exchange", "import", tmp_path / "vtn.json", "-s", TINY, "-o", tmp_path / "new"
    )
    assert outcome.code == 0, outcome.stderr
    assert outcome.stderr.splitlines() == [
        f"{tmp_path / 'vtn.json'}: ignored properties OpenADR 3.0.1 does not list: "
        "[0].vendorPriority"
    ]
    (tmp_path / "report.json").write_text(json.dumps([usage_report()]))
    outcome = run_dispatch(
        "exchange", "import", tmp_path / "report.json", "-s", TINY, "-o", tmp_path / "none"
    )
    assert outcome.code == 2 and not (tmp_path / "none").exists()
    assert outcome.stderr.splitlines() == [
        f"error: {tmp_path / 'report.json'}: holds no event (report): an OpenADR file of "
        "signals needs events"
    ]


# ---------------------------------------------------------------------------------------
# The official OpenAPI definitions (read from DISPATCH_OPENADR_SPEC, never vendored).

FULL_SCHEMAS = {"EVENT": "event", "REPORT": "report", "PROGRAM": "program"}
"""The 3.0.1 schema of each object type."""
REQUEST_SCHEMAS = {"EVENT": "eventRequest", "REPORT": "reportRequest", "PROGRAM": "programRequest"}
"""The 3.1.x request schema of each object type."""


@pytest.fixture(scope="module")
def official() -> dict[str, Callable[[dict, str], list[str]]]:
    """Validators by OpenADR version: ``check(object, schema_name)`` -> the violations."""
    folder = os.environ.get(SPEC_VARIABLE) or (SHARED_SPEC if SHARED_SPEC.is_dir() else None)
    if not folder:
        pytest.skip(
            f"{SPEC_VARIABLE} is not set and {SHARED_SPEC} does not exist: name a copy of "
            "grid-coordination/openadr3-specification (3.0.1/openadr3.yaml, 3.1.x/openadr3.yaml)"
        )
    from openapi_schema_validator import OAS30Validator, oas30_format_checker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    checks = {}
    for path in sorted(Path(folder).glob("3.*/openadr3.yaml")):
        spec = without_discriminators(yaml.safe_load(path.read_text(encoding="utf-8")))
        uri = f"urn:openadr3:{path.parent.name}"
        registry = Registry().with_resource(
            uri, Resource.from_contents(spec, default_specification=DRAFT4)
        )

        def check(item: dict, schema: str, uri: str = uri, registry: Registry = registry) -> list:
            validator = OAS30Validator(
                {"$ref": f"{uri}#/components/schemas/{schema}"},
                registry=registry,
                format_checker=oas30_format_checker,
            )
            return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(item)]

        checks[path.parent.name] = check
    assert "3.0.1" in checks and any(v.startswith("3.1") for v in checks), sorted(checks)
    return checks


def without_discriminators(node: Any) -> Any:
    """``node`` without OpenAPI ``discriminator`` keywords.

    The definitions give ``program.payloadDescriptors`` a discriminator on
    ``objectType`` without a mapping, so OpenAPI takes its values as schema names; but
    the values (``EVENT_PAYLOAD_DESCRIPTOR``) are not the schemas' names
    (``eventPayloadDescriptor``), and no program with typed descriptors could pass.
    Its ``anyOf`` is checked instead.
    """
    if isinstance(node, dict):
        return {k: without_discriminators(v) for k, v in node.items() if k != "discriminator"}
    if isinstance(node, list):
        return [without_discriminators(v) for v in node]
    return node


def violations(
    official: dict[str, Callable[[dict, str], list[str]]], document: list[dict]
) -> dict[str, list[str]]:
    """Every violation of ``document``'s objects, by version: full 3.0.1 objects, 3.1.x
    request objects."""
    found = {}
    for version, check in official.items():
        schemas = FULL_SCHEMAS if version == "3.0.1" else REQUEST_SCHEMAS
        found[version] = [
            f"[{i}]{error}"
            for i, item in enumerate(document)
            for error in check(item, schemas[item["objectType"]])
        ]
    return found


def test_exports_validate_against_the_official_schemas(
    official: dict[str, Callable[[dict, str], list[str]]],
    previous_result: Path,
    solved: Callable[..., Result],
    tmp_path: Path,
) -> None:
    result_folder = tmp_path / "result"
    shutil.copytree(previous_result, result_folder)
    operation_folder = tmp_path / "operation"
    operate(load_study(TINY), lookahead_h=2, commit_h=1).write(operation_folder)
    sources = {
        "result folder": result_folder,
        "operation folder": operation_folder,
        "result with a call": solved(SEVILLE, 12),
    }
    for name, source in sources.items():
        out = tmp_path / f"{name.replace(' ', '-')}.json"
        export_plan(source, "openadr", out)
        document = json.loads(out.read_text())
        assert {item["objectType"] for item in document} >= {"REPORT"}, name
        assert violations(official, document) == {v: [] for v in official}, name


def test_our_documents_are_valid_openadr(
    official: dict[str, Callable[[dict, str], list[str]]],
) -> None:
    """The documents above that the reader reads follow the 3.0.1 schemas: they are what
    a VTN may send."""
    multi = price_event([0.17])
    multi["intervals"][0]["payloads"][0]["values"] = [0.17, 0.03, 0.11]
    multi["intervalPeriod"].update(duration="PT3H", randomizeStart="PT5M")
    extended = price_event([0.1], **{"x-vendor": {"region": "south"}})
    extended["intervals"][0]["quality"] = "FIRM"
    documents = [
        [tariff_program(), price_event([0.1, 0.2])],
        [multi, extended, usage_report()],
        [call_event([{"type": "VEN_NAME", "values": ["seville"]}])],
        [call_event([{"type": "GROUP", "values": ["feeder-12"]}])],
    ]
    for document in documents:
        for item in document:
            item.setdefault("objectType", "EVENT")
        assert violations(official, document)["3.0.1"] == []
    wrong = price_event([0.1], priority=-1)
    wrong["intervalPeriod"] = {"start": "2025-01-01 00:00", "duration": "1h"}
    found = violations(official, [wrong])
    assert all(len(errors) == 3 for errors in found.values()), found
