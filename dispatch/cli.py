"""The ``dispatch`` command line: thin wrappers around the Python API.

Heavy imports (PyPSA, linopy, xarray, matplotlib) happen inside the commands that
need them, so ``dispatch --help`` and ``dispatch validate`` answer at once.
Every error reaches the user as one line on stderr; exit codes: 2 bad input,
3 infeasible study, 1 anything else.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3

app = typer.Typer(
    name="dispatch",
    help="Plan a modular AI inference data centre's flexible workload with local "
    "renewables, storage and the grid.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario file (scenario.yaml) or its study folder.")
]
HoursOption = Annotated[
    float | None,
    typer.Option("--hours", help="Keep only the first HOURS of the horizon [h]."),
]


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the package's exceptions into one line on stderr and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from dispatch._errors import InfeasibleError, ScenarioError

        try:
            return command(*args, **kwargs)
        except ScenarioError as exc:
            _fail(f"error: {exc}", EXIT_BAD_INPUT)
        except InfeasibleError as exc:
            _fail(f"infeasible: {exc}", EXIT_INFEASIBLE)
        except KeyboardInterrupt:
            _fail("interrupted: nothing was written", 130)
        except OSError as exc:
            _fail(f"error: {exc.filename or ''}: {exc.strerror or exc}", EXIT_BAD_INPUT)
        except Exception as exc:  # noqa: BLE001 - the one place that reports the rest
            _fail(f"internal error: {type(exc).__name__}: {exc}", 1)

    return wrapper


def _fail(message: str, code: int) -> None:
    typer.echo(message.replace("\n", " "), err=True)
    raise typer.Exit(code)


@app.command()
@_reports_errors
def validate(scenario: ScenarioArg, hours: HoursOption = None) -> None:
    """Check a study (scenario and time series) without solving it."""
    from dispatch._study import load_study

    study = load_study(scenario, hours=hours)
    sites = ", ".join(study.sites)
    typer.echo(
        f"{study.source}: valid: {len(study.snapshots)} snapshots of "
        f"{study.step_h:g} h from {study.snapshots[0].isoformat()}, site(s) {sites}"
    )


@app.command()
@_reports_errors
def run(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the results.")],
    hours: HoursOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Solve the flexible and baseline runs and write the result files into OUT."""
    from dispatch._solve import solve
    from dispatch._study import load_study

    start = time.perf_counter()
    study = load_study(scenario, hours=hours)
    result = solve(study)
    result.write(out)
    if not quiet:
        s = result.summary
        typer.echo(
            f"{study.name}: absorbed {s['absorbed_mwh']:,.1f} of "
            f"{s['curtailment_baseline_mwh']:,.1f} MWh baseline curtailment "
            f"({s['absorbed_share']:.1%}); total cost {s['total_cost']:,.0f} "
            f"{s['currency']} (baseline {s['baseline']['total_cost']:,.0f}); "
            f"CFE score {s['cfe_score']:.3f}; results in {out} "
            f"({time.perf_counter() - start:.1f} s)"
        )


@app.command()
@_reports_errors
def schema(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the files.")] = Path("docs"),
) -> None:
    """Write the scenario JSON Schema and field reference (generated from the models)."""
    from dispatch._docs import write_docs

    for path in write_docs(out):
        typer.echo(f"wrote {path}")


def main() -> None:
    """Entry point of the ``dispatch`` console script."""
    app(prog_name="dispatch")


if __name__ == "__main__":
    sys.exit(main())
