"""What the exchange files carry: the fields, their units, and the tables in between.

A partner file carries *signals* for one site (prices, carbon, limits, surplus,
demand-response calls); a plan file written by ``dispatch exchange export`` carries the
same signals plus the site's plan and flexibility envelope, so that it reads back as
signals. Readers return :class:`Signals`; writers take an :class:`ExchangeTable`.
``docs/exchange.md`` specifies the formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dispatch.core.units import QUANTITY_UNITS

SCHEMA = "dispatch-exchange"
"""Value of the ``schema`` attribute of every netCDF and CSV exchange file."""
SCHEMA_VERSION = "1.0"
"""The only ``schema_version`` this release reads and writes."""
EXPORT_SOURCE = "dispatch exchange export"
"""Value of the ``source`` attribute (netCDF, CF's "method of production") or key (CSV
metadata) of the plan files ``dispatch exchange export`` writes; a partner's signals
file, even with the schema above, lacks it, so an export never replaces one."""


@dataclass(frozen=True)
class ExchangeField:
    """One quantity exchanged with the partner.

    Attributes
    ----------
    name
        Variable (netCDF), column (CSV) and key name.
    long_name
        What it is, for CF ``long_name`` and the docs.
    quantity
        Key of :data:`dispatch.core.units.QUANTITY_UNITS`: the kind of unit it takes.
    grid_field
        The scenario's ``Grid`` field a signal sets; None for plan fields.
    combine
        How a signal enters the study: ``"replace"`` the study's values within its
        span, or ``"cap"`` them (the lower of both applies); resampling to a coarser
        study step takes the mean for replaced fields and the minimum for caps.
    check
        Range rule of the canonical values: ``"finite"``, ``">= 0"`` or ``"p.u."``.
    openadr
        OpenADR 3.0.1 payload type (enumerated or private, see docs/exchange.md).
    """

    name: str
    long_name: str
    quantity: str
    grid_field: str | None = None
    combine: str = "replace"
    check: str = "finite"
    openadr: str = ""


SIGNAL_FIELDS: dict[str, ExchangeField] = {
    f.name: f
    for f in (
        ExchangeField(
            "import_price", "Grid import price", "price", "import_price", openadr="PRICE"
        ),
        ExchangeField(
            "export_price", "Grid export price", "price", "export_price", openadr="EXPORT_PRICE"
        ),
        ExchangeField(
            "carbon_intensity",
            "Carbon intensity of grid electricity",
            "carbon",
            "carbon_intensity_t_per_mwh",
            check=">= 0",
            openadr="GHG",
        ),
        ExchangeField(
            "clean_share",
            "Carbon-free share of grid electricity",
            "share",
            "clean_share",
            check="p.u.",
            openadr="CLEAN_SHARE",
        ),
        ExchangeField(
            "import_limit",
            "Import capacity limit at the connection point",
            "power",
            "import_limit_mw",
            combine="cap",
            check=">= 0",
            openadr="IMPORT_CAPACITY_LIMIT",
        ),
        ExchangeField(
            "export_limit",
            "Export capacity limit at the connection point",
            "power",
            "export_limit_mw",
            combine="cap",
            check=">= 0",
            openadr="EXPORT_CAPACITY_LIMIT",
        ),
        ExchangeField(
            "surplus",
            "Grid surplus the partner offers the site to absorb",
            "power",
            "surplus_mw",
            check=">= 0",
            openadr="GRID_SURPLUS",
        ),
    )
}
"""Signals a partner sends, by name."""

PLAN_FIELDS: dict[str, ExchangeField] = {
    f.name: f
    for f in (
        ExchangeField("grid_import", "Planned grid import", "power", openadr="USAGE_FORECAST"),
        ExchangeField("grid_export", "Planned grid export", "power", openadr="EXPORT_FORECAST"),
        ExchangeField(
            "surplus_absorbed",
            "Planned import taken from the partner's surplus, min(import, surplus)",
            "power",
            openadr="SURPLUS_ABSORPTION_FORECAST",
        ),
        ExchangeField(
            "import_up",
            "Flexibility envelope: how far import could rise above the plan in the step",
            "power",
            openadr="DOWN_REGULATION_AVAILABLE",
        ),
        ExchangeField(
            "import_down",
            "Flexibility envelope: how far import could fall below the plan in the step",
            "power",
            openadr="UP_REGULATION_AVAILABLE",
        ),
    )
}
"""Fields of a plan file besides the signals; skipped when a plan file is read as signals."""

ISSUED_PLAN_FIELDS: dict[str, ExchangeField] = {
    "grid_import": PLAN_FIELDS["grid_import"],
    "grid_export": PLAN_FIELDS["grid_export"],
    "facility_power": ExchangeField(
        "facility_power",
        "Planned facility power (IT power times PUE)",
        "power",
        openadr="FACILITY_DEMAND_FORECAST",
    ),
    "curtailment": ExchangeField(
        "curtailment",
        "Planned curtailment of local supply, all carriers (reservoir: spill)",
        "power",
        openadr="CURTAILMENT_FORECAST",
    ),
}
"""Fields of the plans an operation issued (``plans.nc``) that a partner receives, per
decision time and step of the plan; ``openadr`` is the report payload of the plan."""

DELIVERED_OPENADR: dict[str, str] = {
    "grid_import": "USAGE",
    "grid_export": "EXPORT",
    "facility_power": "FACILITY_DEMAND",
    "curtailment": "CURTAILMENT",
}
"""OpenADR report payload types (readingType ``DIRECT_READ``) of the values an operation
delivered, by field of :data:`ISSUED_PLAN_FIELDS`."""

KEY_FIGURES: dict[str, str] = {
    "total_cost": "Total cost of the site's flexible run",
    "energy_cost": "Cost of local supply and imports minus export revenue",
    "emissions_tco2": "Emissions of grid imports and local carriers",
    "grid_import_mwh": "Grid import over the span",
    "grid_export_mwh": "Grid export over the span",
    "grid_surplus_absorbed_mwh": "Import taken from the partner's surplus",
    "absorbed_mwh": "Local curtailment absorbed against the baseline",
    "cfe_score": "Hourly carbon-free-energy score",
    "flexibility_up_mwh": "Sum over the steps of the envelope's import_up times the step",
    "flexibility_down_mwh": "Sum over the steps of the envelope's import_down times the step",
}
"""Key figures of a plan file, with their long names."""


@dataclass(frozen=True)
class SignalSeries:
    """A signal on a regular UTC time grid, in its canonical unit.

    Attributes
    ----------
    start
        Start of the first step (UTC).
    step
        Step length.
    values
        One value per step [canonical unit of the field].
    """

    start: pd.Timestamp
    step: pd.Timedelta
    values: np.ndarray

    @property
    def times(self) -> pd.DatetimeIndex:
        """Start of every step (UTC)."""
        return pd.date_range(self.start, periods=len(self.values), freq=self.step)


@dataclass(frozen=True)
class Cap:
    """A demand-response call or capacity-limit window: a limit over a time span.

    Attributes
    ----------
    field
        ``"import_limit"`` or ``"export_limit"``.
    start, end
        The span [start, end) (UTC); every study step it overlaps is capped.
    value
        The limit [MW].
    """

    field: str
    start: pd.Timestamp
    end: pd.Timestamp
    value: float


@dataclass(frozen=True)
class Signals:
    """Signals read from a partner file, validated and in canonical units.

    Attributes
    ----------
    file
        The file, as named by the user (errors name it).
    series
        Signals by field name (keys of :data:`SIGNAL_FIELDS`).
    caps
        Demand-response calls and capacity-limit windows.
    currency
        Currency of the prices; None if the file has none.
    site
        Site the file says it is for; None if it does not say.
    """

    file: str
    series: dict[str, SignalSeries]
    caps: tuple[Cap, ...] = ()
    currency: str | None = None
    site: str | None = None


@dataclass(frozen=True)
class ExchangeTable:
    """What a writer puts in a file: fields on one time grid, calls and key figures.

    Attributes
    ----------
    start, step
        First step (UTC) and step length.
    fields
        Signal and plan fields by name, one value per step [canonical unit].
    currency
        Currency of prices and money figures.
    attrs
        ``study``, ``site`` and ``title`` of the file; of a plan, its
        ``envelope_window_h`` [h] (a number) and ``source`` (:data:`EXPORT_SOURCE`).
    caps
        Demand-response calls (written as calls, import limits only) or windows.
    key_figures
        Figures of the whole span: name -> (value, unit).
    """

    start: pd.Timestamp
    step: pd.Timedelta
    fields: dict[str, np.ndarray]
    currency: str
    attrs: dict[str, str | float]
    caps: tuple[Cap, ...] = ()
    key_figures: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def times(self) -> pd.DatetimeIndex:
        """Start of every step (UTC)."""
        length = len(next(iter(self.fields.values())))
        return pd.date_range(self.start, periods=length, freq=self.step, name="time")


def canonical_units(quantity: str, currency: str) -> str:
    """The unit a quantity is written in, e.g. ``"USD/MWh"`` for prices."""
    return QUANTITY_UNITS[quantity].replace("currency", currency)
