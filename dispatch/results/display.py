"""Key figures for people: the line ``dispatch run`` prints and the HTML view for Jupyter.

Three figures are easy to misread: the total cost is net of revenues (export, heat
sold) and is negative where they exceed the costs; emissions count the CO2 of local
carriers (a geothermal field's gases) besides the grid's; the CFE score counts every
local source as carbon-free. Both views say so beside the figure
(:data:`QUALIFIERS`); ``docs/key-figures.md`` says what every figure counts.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from dispatch.scenario.display import html_table

if TYPE_CHECKING:
    from dispatch.results.result import Result

QUALIFIERS = {
    "total_cost": "net of export and heat revenue",
    "emissions_tco2": "grid import and local carriers' CO2",
    "cfe_score": "local output counted carbon-free",
}
"""What a key figure counts that its name does not say, shown beside it."""


def summary_line(summary: dict) -> str:
    """The key figures of a run's summary in one line, each qualified where it needs.

    Parameters
    ----------
    summary
        ``Result.summary`` (or ``summary.json``) of ``dispatch run``.

    Returns
    -------
    str
        Absorbed and baseline curtailment [MWh], total cost of both runs [currency],
        emissions [tCO2] and the CFE score [1], separated by ``"; "``.

    Examples
    --------
    >>> line = summary_line({"absorbed_mwh": 5.0, "curtailment_baseline_mwh": 10.0,
    ...     "absorbed_share": 0.5, "total_cost": -20.0, "currency": "EUR",
    ...     "baseline": {"total_cost": 10.0}, "emissions_tco2": 3.0, "cfe_score": 1.0})
    >>> line.split("; ")[1]
    'total cost -20 EUR, net of export and heat revenue (baseline 10)'
    """
    s = summary
    return (
        f"absorbed {s['absorbed_mwh']:,.1f} of {s['curtailment_baseline_mwh']:,.1f} MWh "
        f"baseline curtailment ({s['absorbed_share']:.1%}); "
        f"total cost {s['total_cost']:,.0f} {s['currency']}, {QUALIFIERS['total_cost']} "
        f"(baseline {s['baseline']['total_cost']:,.0f}); "
        f"emissions {s['emissions_tco2']:,.1f} tCO2, {QUALIFIERS['emissions_tco2']}; "
        f"CFE score {s['cfe_score']:.3f}, {QUALIFIERS['cfe_score']}"
    )


def result_html(result: Result) -> str:
    """Key figures with units, qualified as in :func:`summary_line`."""
    summary = result.summary
    rows = [
        (
            name,
            f"{summary[name]:,.4g} {unit}"
            + (f" ({QUALIFIERS[name]})" if name in QUALIFIERS else ""),
        )
        for name, unit in summary["units"].items()
        if isinstance(summary.get(name), float | int)
    ]
    return f"<b>Result of study {escape(result.study.name)}</b>{html_table(rows)}"
