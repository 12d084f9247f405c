"""Rich HTML views of studies and results for Jupyter."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dispatch._results import Result
    from dispatch._study import Study


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th style='text-align:left'>{escape(k)}</th><td>{escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table>{body}</table>"


def study_html(study: Study) -> str:
    """Assets and workload of every site, with units."""
    rows = [
        (
            "snapshots",
            f"{len(study.snapshots)} x {study.step_h:g} h from {study.snapshots[0].isoformat()}",
        ),
        ("currency", study.scenario.currency),
    ]
    for name, site in study.sites.items():
        for asset, spec in site:
            if spec is None:
                continue
            values = ", ".join(
                f"{k}={v}"
                for k, v in spec.model_dump(exclude_none=True).items()
                if not isinstance(v, dict)
            )
            rows.append((f"{name}.{asset}", values))
    return f"<b>Study {escape(study.name)}</b>{_table(rows)}"


def result_html(result: Result) -> str:
    """Key figures with units."""
    summary = result.summary
    rows = [
        (name, f"{summary[name]:,.4g} {unit}")
        for name, unit in summary["units"].items()
        if isinstance(summary.get(name), float | int)
    ]
    return f"<b>Result of study {escape(result.study.name)}</b>{_table(rows)}"
