"""The ``dispatch`` command line: thin wrappers around the Python API.

Heavy imports (PyPSA, linopy, xarray, matplotlib) happen inside the commands that
need them, so ``dispatch --help`` and ``dispatch validate`` answer at once.
Every error reaches the user as one line on stderr, usage errors included; exit
codes: 2 bad input or usage, 3 infeasible study, 4 some variants of a batch failed,
130 interrupted, 1 anything else.
"""

from __future__ import annotations

import atexit
import functools
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_VARIANTS_FAILED = 4
EXIT_INTERRUPTED = 130

# Help texts are shown as written: rich markup would take "[h]" for a style tag.
app = typer.Typer(
    name="dispatch",
    help="Plan a modular AI inference data centre's flexible workload with local "
    "renewables, storage and the grid.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _positive_finite(value: float | None) -> float | None:
    """Refuse NaN, infinities, zero and negative numbers in an option of duration."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"must be a positive finite number of hours, not {value}")
    return value


def _below_a_folder(value: Path | None) -> Path | None:
    """Refuse a path to write that lies below a file (``afile/sub``), naming the file:
    the file system would tell it later as "permission denied" or "not a directory"."""
    parents = Path(os.path.abspath(value or ".")).parents
    ancestor = next((p for p in parents if os.path.exists(p)), Path("/"))
    if not os.path.isdir(ancestor):
        raise typer.BadParameter(f"{ancestor} is a file, not a folder")
    return value


def _out_option(text: str) -> Any:
    """The option ``--out``/``-o`` of a path to write, with help ``text``
    (:func:`_below_a_folder`)."""
    return typer.Option("--out", "-o", callback=_below_a_folder, help=text)


ScenarioArg = Annotated[
    Path,
    typer.Argument(metavar="SCENARIO", help="Scenario file (scenario.yaml) or its study folder."),
]
HoursOption = Annotated[
    float | None,
    typer.Option(
        "--hours",
        callback=_positive_finite,
        help="Keep only the first HOURS of the horizon [h].",
    ),
]


def _print_version(asked: bool) -> None:
    if asked:
        from dispatch.core.version import __version__

        typer.echo(f"dispatch {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Options before the command."""


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the package's exceptions into one line on stderr and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from dispatch.core.errors import InfeasibleError, ScenarioError

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
    from dispatch.scenario.load import load_study

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
    out: Annotated[Path, _out_option("Folder for the results.")],
    hours: HoursOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Solve the flexible and baseline runs and write the result files into OUT.

    OUT must be new, empty or an earlier result, outside the study folder; it is
    replaced all or nothing. On a terminal, a progress bar on stderr shows the stage
    and the time taken.
    """
    from dispatch.core.files import check_output_folder
    from dispatch.optimization.solve import solve
    from dispatch.scenario.load import load_study

    start = time.perf_counter()
    study = load_study(scenario, hours=hours)
    check_output_folder(out, "result", [study.source.parent])  # before a long solve
    result = solve(study, progress=not quiet and sys.stderr.isatty())
    result.write(out)
    if not quiet:
        from dispatch.results.display import summary_line

        typer.echo(
            f"{study.name}: {summary_line(result.summary)}; results in {out} "
            f"({time.perf_counter() - start:.1f} s)"
        )


@app.command("operate")
@_reports_errors
def operate_command(
    scenario: ScenarioArg,
    out: Annotated[Path, _out_option("Folder for the results.")],
    lookahead_h: Annotated[
        float | None,
        typer.Option(
            "--lookahead-h",
            callback=_positive_finite,
            help="Hours planned at each decision [h] (default: the scenario's, 48).",
        ),
    ] = None,
    commit_h: Annotated[
        float | None,
        typer.Option(
            "--commit-h",
            callback=_positive_finite,
            help="Hours kept of each plan, between decisions [h] (default: the scenario's, 24).",
        ),
    ] = None,
    hours: HoursOption = None,
    forecast: Annotated[
        str | None,
        typer.Option(
            "--forecast",
            help="perfect, persistence, error or file (the scenario's forecast files), for "
            "every series without an override (default: the scenario's).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, help="Seed of the error forecast (default: the scenario's)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Operate the study on a rolling horizon from forecasts; write the realised
    operation, the plans as issued and the perfect-foresight comparison into OUT.

    OUT as for 'dispatch run' (docs/operation.md lists the files).
    """
    from dispatch.core.errors import ScenarioError
    from dispatch.core.files import check_output_folder
    from dispatch.operation.operate import FORECAST_METHODS, check_options, operate
    from dispatch.scenario.load import load_study

    start = time.perf_counter()
    # An option's error names the option (as its file), the scenario's its file and field.
    if forecast is not None and forecast not in FORECAST_METHODS:
        methods = ", ".join(FORECAST_METHODS)
        raise ScenarioError("--forecast", "", f"is {forecast!r}, must be one of {methods}")
    study = load_study(scenario, hours=hours)
    check_options(study, lookahead_h, commit_h)
    check_output_folder(out, "result", [study.source.parent])  # before a long operation
    result = operate(study, lookahead_h, commit_h, forecast, seed)
    result.write(out)
    if not quiet:
        s = result.summary
        foresight, operation = s["foresight"], s["operation"]
        typer.echo(
            f"{study.name}: operated {operation['decisions']} decisions "
            f"({operation['lookahead_h']:g} h ahead, every {operation['commit_h']:g} h, "
            f"{operation['forecast']['method']} forecasts); realised cost "
            f"{foresight['realised_cost']:,.0f} {s['currency']} (perfect foresight "
            f"{s['perfect_foresight']['total_cost']:,.0f}); absorbed {s['absorbed_mwh']:,.1f} MWh "
            f"(perfect foresight {s['perfect_foresight']['absorbed_mwh']:,.1f}); late "
            f"{operation['late_mwh']:,.1f} MWh, firm unserved "
            f"{operation['firm_unserved_mwh']:,.1f} MWh; results in {out} "
            f"({time.perf_counter() - start:.1f} s)"
        )


@app.command()
def batch(
    sweep: Annotated[
        Path,
        typer.Argument(metavar="SWEEP", help="Sweep file (YAML): a base study and what to vary."),
    ],
    out: Annotated[Path, _out_option("Folder for the results.")],
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Local worker processes [default: cores]."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Solve on the Dask cluster of this scheduler (tcp://HOST:PORT) instead.",
        ),
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar; off: one line per variant [default: on in a terminal].",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate every variant and list what to solve.")
    ] = False,
    max_variants: Annotated[
        int | None,
        typer.Option(
            "--max-variants",
            min=1,
            help="Refuse a sweep of more variants than this [default: 1000].",
        ),
    ] = None,
) -> None:
    """Solve every variant of a sweep into OUT/variants/NAME, with summary.csv and .nc.

    A sweep file with 'command: operate' operates every variant as 'dispatch operate'
    does (docs/batch.md, Operated sweeps). A rerun skips the variants already solved
    with the same inputs. Exit code 4 if
    any variant failed (each failure is in OUT/summary.csv), 130 if interrupted.
    """
    if workers is not None and scheduler is not None:
        raise typer.BadParameter("give --workers or --scheduler, not both")
    report = _run_batch(sweep, out, workers, scheduler, progress, dry_run, max_variants)
    if report is None:
        return
    if report.interrupted:
        _fail(
            f"interrupted: {report.complete} of {len(report.statuses)} variants complete "
            f"in {out}; run the same command again to resume",
            EXIT_INTERRUPTED,
        )
    if report.failed:
        raise typer.Exit(EXIT_VARIANTS_FAILED)


@_reports_errors
def _run_batch(
    sweep: Path,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    progress: bool | None,
    dry_run: bool,
    max_variants: int | None,
) -> Any:
    """The batch command's work; its errors end the command with one line."""
    from dispatch.batch.describe import describe, describe_plan
    from dispatch.batch.run import run_sweep
    from dispatch.scenario.sweep import MAX_VARIANTS, load_sweep

    loaded = load_sweep(sweep, max_variants or MAX_VARIANTS)
    if dry_run:
        typer.echo(describe_plan(loaded, out))
        return None
    report = run_sweep(loaded, out, workers=workers, scheduler=scheduler, progress=progress)
    if not report.interrupted:
        typer.echo(describe(report))
    return report


@app.command()
@_reports_errors
def schema(
    out: Annotated[Path, _out_option("Folder for the files.")] = Path("docs"),
) -> None:
    """Write the scenario and sweep JSON Schemas and the field reference (from the models)."""
    from dispatch.scenario.jsonschema import write_docs

    for path in write_docs(out):
        typer.echo(f"wrote {path}")


@app.command()
@_reports_errors
def profiles(
    weather: Annotated[
        Path, typer.Argument(metavar="WEATHER", help="Weather file or renewables.ninja export.")
    ],
    out: Annotated[Path, _out_option("Series file to write (.nc).")],
    start: Annotated[str, typer.Option(help="First snapshot, ISO 8601 with offset.")],
    hours: Annotated[float, typer.Option(help="Length of the horizon [h].")],
    step_h: Annotated[float, typer.Option(help="Snapshot step [h].")] = 1.0,
    solar: Annotated[str | None, typer.Option(help="Model solar: fixed or single-axis.")] = None,
    tilt: Annotated[float | None, typer.Option(help="Fixed tilt [deg] (|latitude|).")] = None,
    azimuth: Annotated[float | None, typer.Option(help="Fixed azimuth [deg] (equator).")] = None,
    dc_ac_ratio: Annotated[float | None, typer.Option(help="DC over AC rating [-] (1.2).")] = None,
    solar_model: Annotated[Path | None, typer.Option(help="YAML/JSON of solar fields.")] = None,
    wind_turbine: Annotated[str | None, typer.Option(help="Model wind: windpowerlib type.")] = None,
    hub_height: Annotated[float | None, typer.Option(help="Hub height [m] (100).")] = None,
    wind_model: Annotated[Path | None, typer.Option(help="YAML/JSON of wind fields.")] = None,
) -> None:
    """Write solar and wind availability from a weather file into a study's series file
    (docs/sources.md); an OUT it wrote on the same snapshots gets series added."""
    from dispatch.core.errors import ScenarioError
    from dispatch.sources.profiles import describe, horizon_snapshots, plant_models, write_profiles

    mount = solar.replace("-", "_") if solar else None
    if mount not in (None, "fixed", "single_axis"):
        raise ScenarioError("--solar", "", f"is {solar!r}, must be fixed or single-axis")
    solar_fields = dict(mount=mount, tilt_deg=tilt, azimuth_deg=azimuth, dc_ac_ratio=dc_ac_ratio)
    wind_fields = dict(turbine_type=wind_turbine, hub_height_m=hub_height)
    models = plant_models(solar_model, wind_model, solar=solar_fields, wind=wind_fields)
    snapshots = horizon_snapshots(start, hours, step_h)
    written = write_profiles(weather, out, snapshots, solar=models[0], wind=models[1])
    typer.echo(describe(out, written))


@app.command("new")
@_reports_errors
def new_command(
    study: Annotated[
        Path,
        typer.Argument(
            metavar="STUDY", callback=_below_a_folder, help="Folder to write: new or empty."
        ),
    ],
    site: Annotated[str, typer.Option(help="Name of the site.")],
    lat: Annotated[float, typer.Option(help="Latitude of the site, north positive [deg].")],
    lon: Annotated[float, typer.Option(help="Longitude of the site, east positive [deg].")],
    weather: Annotated[Path, typer.Option(help="Weather file of the site (docs/sources.md).")],
    prices: Annotated[Path | None, typer.Option(help="Day-ahead prices (flat if none).")] = None,
    carbon: Annotated[Path | None, typer.Option(help="Grid carbon (flat if none).")] = None,
    workload: Annotated[Path | None, typer.Option(help="Trace (parametric if none).")] = None,
    year: Annotated[int | None, typer.Option(help="Year (typical year: 2025).")] = None,
    hours: HoursOption = None,
    it_mw: Annotated[float | None, typer.Option(help="IT capacity [MW] (20).")] = None,
    solar_mw: Annotated[float | None, typer.Option(help="Solar [MW] (2 x IT).")] = None,
    wind_mw: Annotated[float | None, typer.Option(help="Wind [MW] (1.5 x IT, turbine).")] = None,
    wind_turbine: Annotated[str | None, typer.Option(help="windpowerlib turbine type.")] = None,
    currency: Annotated[str, typer.Option(help="Currency of the study (ISO 4217).")] = "EUR",
    rate: Annotated[float | None, typer.Option(help="Study currency per price-file unit.")] = None,
    pue: Annotated[float | None, typer.Option(help="PUE [-] (1.3).")] = None,
    tz: Annotated[str | None, typer.Option(help="Users' IANA time zone (from --lon).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the parametric workload.")] = 0,
    repeat: Annotated[str, typer.Option(help="Fill beyond the trace: none|daily|weekly.")] = "none",
    wh_per_request: Annotated[float | None, typer.Option(help="Per request [Wh] (0.3).")] = None,
) -> None:
    """Write a new study of a site from its weather file and, where given, its prices,
    grid carbon and workload; defaults and their basis in docs/sources.md."""
    from dispatch.sources.new_study import new_study

    files = dict(weather=weather, prices=prices, carbon=carbon, workload=workload)
    place = dict(site=site, latitude=lat, longitude=lon, time_zone=tz, pue=pue)
    plant = dict(it_mw=it_mw, solar_mw=solar_mw, wind_mw=wind_mw, wind_turbine=wind_turbine)
    other = dict(year=year, hours=hours, currency=currency, rate=rate, seed=seed, repeat=repeat)
    new_study(study, **files, **place, **plant, **other, wh_per_request=wh_per_request)
    typer.echo(f"{study}: new study of site {site}; solve it with: dispatch run {study} -o OUT")


exchange = typer.Typer(
    help="Exchange files with the site's grid partner: signals in, plans and "
    "flexibility envelopes out (docs/exchange.md).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(exchange, name="exchange")
SiteOption = Annotated[
    str | None, typer.Option("--site", help="The site (default: the study's only site).")
]


@exchange.command("import")
@_reports_errors
def exchange_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="Partner file: netCDF (.nc), CSV (.csv with .json metadata) or "
            "OpenADR 3.0.1 (.json) of signals, or a forecast file (.nc, .csv).",
        ),
    ],
    scenario: Annotated[
        Path, typer.Option("--scenario", "-s", help="Scenario file or study folder.")
    ],
    out: Annotated[Path, _out_option("Folder for the new study.")],
    site: SiteOption = None,
) -> None:
    """Apply a partner's signals, or take its forecasts, into a new study."""
    from dispatch.core.errors import ScenarioError
    from dispatch.exchange.forecast_import import write_forecast_study
    from dispatch.exchange.signal_import import read_signals, write_study
    from dispatch.operation.forecast_files import is_forecast_file

    if is_forecast_file(file):
        if site is not None:
            raise ScenarioError(str(file), "site", "a forecast file names each series' site")
        table = write_forecast_study(file, scenario, out)
        typer.echo(
            f"{out}: new study with forecasts of {', '.join(table.values)} "
            f"({len(table.issue_times)} issue times) from {file}; "
            f"operate it with: dispatch operate {out} --out RESULTS"
        )
        return
    signals = read_signals(file)
    write_study(signals, scenario, out, site)
    applied = [*signals.series, *([f"{len(signals.caps)} limit window(s)"] if signals.caps else [])]
    typer.echo(
        f"{out}: new study with {', '.join(applied) or 'no signals'} from {file}; "
        f"solve it with: dispatch run {out} --out RESULTS"
    )


@exchange.command("export")
@_reports_errors
def exchange_export(
    result: Annotated[
        Path,
        typer.Argument(
            metavar="RESULT", help="Result folder written by 'dispatch run' or 'dispatch operate'."
        ),
    ],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="netcdf (.nc), csv (.csv + .json) or openadr.")
    ],
    out: Annotated[Path, _out_option("File to write.")],
    site: SiteOption = None,
    window_h: Annotated[
        float | None,
        typer.Option(
            "--window-h",
            callback=_positive_finite,
            help="Half-width of the envelope's re-planning window [h] (default 24).",
        ),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            "-s",
            help="The study RESULT was solved from: needed for carbon targets, which "
            "network.nc does not hold.",
        ),
    ] = None,
) -> None:
    """Write a site's plan, key figures and flexibility envelope for its grid partner; of
    an operation, the plans issued at each decision time and what was delivered."""
    from dispatch.exchange.plan_export import export_plan

    start = time.perf_counter()
    paths = export_plan(result, fmt, out, site, window_h, scenario)
    typer.echo(f"wrote {', '.join(map(str, paths))} ({time.perf_counter() - start:.1f} s)")


def main() -> int:
    """Entry point of the ``dispatch`` console script.

    Returns
    -------
    int
        The exit code. Usage errors (an unknown or missing option, a bad value)
        are one line on stderr naming the option, and exit code 2. Run as the
        ``dispatch`` command, the process ends here instead, without the teardown
        of every module (:func:`_exit_without_teardown`).
    """
    # The figures go into files: no GUI backend (and no display) is needed, also in
    # the worker processes of a batch, which inherit this.
    os.environ.setdefault("MPLBACKEND", "Agg")
    # A terminated command cleans up as an interrupted one does (exit code 130);
    # only kill -9 leaves its temporaries, for the next run to remove.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        code = app(prog_name="dispatch", standalone_mode=False) or 0
    except KeyboardInterrupt:  # before a command started (its own are reported by it)
        typer.echo("interrupted: nothing was written", err=True)
        code = EXIT_INTERRUPTED
    except typer.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # as typer's rich_utils tells it
            typer.echo(exc.format_message(), err=True)
        else:
            typer.echo(_usage_line(exc), err=True)
        code = exc.exit_code
    if _runs_as_the_command():
        _exit_without_teardown(code)
    return code


def _runs_as_the_command() -> bool:
    """Whether this process is the ``dispatch`` command (the console script or
    ``python -m dispatch.cli``), not a program or a test that calls :func:`main`."""
    program = sys.modules["__main__"]
    spec = getattr(program, "__spec__", None)
    name = spec.name if spec is not None else Path(getattr(program, "__file__", "")).stem
    return name in ("dispatch", __spec__.name)


def _exit_without_teardown(code: int) -> NoReturn:
    """End the process as returning from the command would, but without the
    interpreter's teardown of every module (about 1 s once PyPSA is imported).

    What a normal exit does first is done here too: other threads are joined, the
    exit handlers run (temporary folders are removed, child processes reaped, logs
    flushed), and the standard streams are flushed (exit code 120 if that fails, as
    Python's own).
    """
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: started with the descriptor closed
                stream.flush()
        except (OSError, ValueError):
            code = code or 120
    os._exit(code)


def _usage_line(exc: typer.TyperException) -> str:
    """``error: OPTION: problem (see 'COMMAND --help')``, on one line."""
    param = getattr(exc, "param", None)
    name = getattr(exc, "option_name", None)
    problem = exc.message if isinstance(exc, typer.BadParameter) else exc.format_message()
    if param is not None:
        name = max(param.opts, key=len) if param.param_type_name == "option" else param.metavar
        problem = problem or f"missing {param.param_type_name}"
    elif hasattr(exc, "possibilities"):  # an unknown option
        close = sorted(exc.possibilities or ())
        problem = "no such option" + (f"; did you mean {' or '.join(close)}?" if close else "")
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    line = f"error: {name}: {problem}{hint}" if name else f"error: {problem}{hint}"
    return " ".join(line.split())


if __name__ == "__main__":
    sys.exit(main())
