"""Rich HTML view of a result for Jupyter."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from dispatch.scenario.display import html_table

if TYPE_CHECKING:
    from dispatch.results.result import Result


def result_html(result: Result) -> str:
    """Key figures with units."""
    summary = result.summary
    rows = [
        (name, f"{summary[name]:,.4g} {unit}")
        for name, unit in summary["units"].items()
        if isinstance(summary.get(name), float | int)
    ]
    return f"<b>Result of study {escape(result.study.name)}</b>{html_table(rows)}"
