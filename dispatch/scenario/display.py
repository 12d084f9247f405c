"""Rich HTML view of a study for Jupyter."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dispatch.scenario.study import Study


def html_table(rows: list[tuple[str, str]]) -> str:
    """A two-column HTML table of (name, value) rows, escaped."""
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
    return f"<b>Study {escape(study.name)}</b>{html_table(rows)}"
