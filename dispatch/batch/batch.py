"""Solving every variant of a sweep on local processes or a Dask cluster, resumably.

The output folder ``DIR`` holds ``variants/NAME/`` (the files of ``dispatch run``,
each folder written all or nothing by :meth:`Result.write`), ``manifest.json`` (each
variant's input hash, status and error), ``summary.csv`` / ``summary.nc`` (one row
per variant, rebuilt at the end of every run) and the marker ``.dispatch``. ``DIR``
must be absent, empty or a batch folder dispatch wrote, and lie outside the base
study (:mod:`dispatch.core.files`). Only this process writes the manifest and the
summaries, each atomically (a temporary file, then a rename); the workers write the
variant folders. A rerun skips the variants whose recorded inputs match and whose
outcome stands (solved, infeasible or bad input); it solves again those that failed
otherwise, and those whose record or ``summary.json`` is unreadable. Leftovers of a
killed run (staging folders, temporary files) are removed when the next run starts.

Local workers end when this process ends, even by ``kill -9``: each watches this
process and exits when it is gone, after the result folder it may be writing is
complete, so nothing is written after this process died.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import math
import multiprocessing
import os
import secrets
import select
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import BaseModel

from dispatch.core.errors import InfeasibleError, ScenarioError
from dispatch.core.files import (
    MARKER,
    check_output_folder,
    csv_safe,
    staged_folder,
    write_file_atomic,
    write_marker,
)
from dispatch.core.processes import process_alive, usable_cores
from dispatch.scenario.study import parse_scenario, study_from_scenario
from dispatch.scenario.sweep import (
    MAX_VARIANTS,
    Sweep,
    Variant,
    field_value,
    inputs_hash,
    load_sweep,
)

if TYPE_CHECKING:
    import distributed
    import pandas as pd

    from dispatch.results.result import Result

OK, INFEASIBLE, BAD_INPUT, ERROR, PENDING = "ok", "infeasible", "bad-input", "error", "pending"
SETTLED = (OK, INFEASIBLE, BAD_INPUT)
"""Outcomes a rerun keeps while the inputs are unchanged; ``error`` is retried."""
MANIFEST, SUMMARY_CSV, SUMMARY_NC, VARIANTS = (
    "manifest.json",
    "summary.csv",
    "summary.nc",
    "variants",
)
LOCK = ".lock"
IN_FLIGHT_PER_WORKER = 2
"""Variants handed to the local pool per worker at a time: one running, one queued."""
SHOWN_NAMES = 5
"""Variants named by a dry run's line; the rest are counted."""
WRITE_GRACE_S = 60.0
"""Longest a worker whose batch process died waits for the result folder it is
writing to be complete before it exits [s]."""


@dataclass(frozen=True)
class Task:
    """What a worker needs to solve one variant: small, and independent of this process.

    Attributes
    ----------
    name
        The variant.
    scenario
        The validated scenario as a JSON-compatible mapping.
    source
        The base scenario file, absolute: series references are relative to it.
    hours
        Horizon kept [h]; None: all of it.
    inputs
        The input hash the variant was validated with.
    folder
        The variant's result folder, absolute.
    """

    name: str
    scenario: dict[str, Any]
    source: Path
    hours: float | None
    inputs: str
    folder: Path


@dataclass(frozen=True)
class Outcome:
    """How solving a variant ended.

    Attributes
    ----------
    name
        The variant.
    status
        ``ok``, ``infeasible``, ``bad-input`` or ``error``.
    error
        The one-line error; empty if ``ok``.
    seconds
        Wall time in the worker, solve and write [s].
    cpu_seconds
        CPU time of the worker process meanwhile: below ``seconds`` where other
        processes took the core [s].
    """

    name: str
    status: str
    error: str
    seconds: float
    cpu_seconds: float


_ONE_AT_A_TIME = threading.Lock()
"""Variants run one at a time per process: plotting and silencing HiGHS are
process-wide, so a Dask worker with several threads must not run two at once."""
_WRITING = threading.Lock()
"""Held while a worker writes a result folder: a worker whose batch process died
lets the folder be completed, then exits."""
_batch_pid: int | None = None
"""The batch process of a local worker (None in a Dask worker)."""


def solve_variant(task: Task) -> Outcome:
    """Solve one variant and write its result folder (in a worker process).

    The baseline is solved in the same process (``parallel=False``): the workers
    already use the cores. Never raises: every failure is an :class:`Outcome`.
    """
    from dispatch.optimization.solve import solve

    start, start_cpu = time.perf_counter(), time.process_time()
    status, error = OK, ""
    try:
        with _ONE_AT_A_TIME:
            scenario = parse_scenario(task.scenario, str(task.source))
            study = study_from_scenario(scenario, task.source, task.hours)
            if inputs_hash(study, task.hours) != task.inputs:
                raise ScenarioError(
                    str(task.source), "", "changed while the batch ran: run the batch again"
                )
            _write_while_batch_lives(solve(study, parallel=False), task.folder)
    except InfeasibleError as exc:
        status, error = INFEASIBLE, str(exc)
    except ScenarioError as exc:  # the study's, or the variant folder refused (not settled)
        refused = Path(exc.file).is_relative_to(task.folder.parent)
        status, error = (ERROR if refused else BAD_INPUT), str(exc)
    except Exception as exc:  # noqa: BLE001 - recorded for the variant, the batch goes on
        status, error = ERROR, f"{type(exc).__name__}: {exc}"
    return Outcome(
        task.name,
        status,
        " ".join(error.split()),
        time.perf_counter() - start,
        time.process_time() - start_cpu,
    )


class _Orphaned(Exception):
    """The batch process has ended: the worker writes nothing more."""


def _write_while_batch_lives(result: Result, folder: Path) -> None:
    """Write a variant's result folder, all or nothing, only while the batch process lives.

    :meth:`Result.write` writes the files into a folder inside a staging folder of
    ``folder``; the staging folder takes the place of ``folder`` only if the batch
    process still runs (always in a Dask worker). Otherwise it is removed and the
    worker exits: a result placed after the batch died would be one it never records.
    """
    with _WRITING:
        try:
            with staged_folder(folder, "result", [result.study.source.parent]) as staging:
                written = result.write(staging / folder.name)
                for name in os.listdir(written):
                    os.replace(written / name, staging / name)
                written.rmdir()
                if _batch_pid is not None and not process_alive(_batch_pid):
                    raise _Orphaned
        except _Orphaned:
            os._exit(1)


@dataclass
class BatchReport:
    """What a batch run did.

    Attributes
    ----------
    out
        The output folder.
    statuses
        Status of every variant of the sweep after the run (``pending`` if not run).
    errors
        The one-line error of every variant that failed, by name.
    skipped
        Variants settled by an earlier run with the same inputs, not solved again.
    solved
        Variants solved in this run, whatever their outcome.
    interrupted
        Whether the run was stopped (Ctrl-C) before every variant was solved.
    """

    out: Path
    statuses: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: int = 0
    solved: int = 0
    interrupted: bool = False

    @property
    def failed(self) -> list[str]:
        """Variants whose outcome is not ``ok`` (``pending`` ones excluded)."""
        return [n for n, s in self.statuses.items() if s not in (OK, PENDING)]

    @property
    def complete(self) -> int:
        """Variants with an outcome, success or failure."""
        return sum(s != PENDING for s in self.statuses.values())


def run_sweep(
    sweep: Sweep | str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    stream: IO[str] | None = None,
    max_variants: int = MAX_VARIANTS,
) -> BatchReport:
    """Solve every variant of a sweep not already solved with the same inputs.

    Parameters
    ----------
    sweep
        A sweep from :func:`~dispatch.load_sweep`, or the sweep file.
    out
        Output folder: ``variants/NAME/``, ``manifest.json``, ``summary.csv``,
        ``summary.nc``. It must not exist, be empty or be a batch folder dispatch
        wrote, and must not be, hold or lie inside the base study's folder, nor be
        or hold the sweep file.
    workers
        Local worker processes; default one per core available to this process.
    scheduler
        Address of a Dask scheduler (``tcp://HOST:PORT``) to solve on instead of
        local processes; its workers must see ``out`` and the base study at the same
        paths.
    progress
        A progress bar on ``stream``; default when ``stream`` is a terminal.
        Without it, one line per variant solved.
    stream
        Where progress goes; default ``sys.stderr``.
    max_variants
        Most variants a sweep file given by its path may have (:func:`load_sweep`).

    Returns
    -------
    BatchReport
        Status of every variant; ``interrupted`` if Ctrl-C stopped the run, which a
        rerun then resumes.

    Raises
    ------
    ScenarioError
        The sweep file or a variant is invalid, ``out`` is refused (nothing is
        solved or written), or the scheduler cannot be reached.

    Examples
    --------
    >>> from dispatch import run_sweep
    >>> report = run_sweep("networks/olkaria/sweep.yaml", "results/sweep")  # doctest: +SKIP
    >>> report.failed  # doctest: +SKIP
    []
    """
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep, max_variants)
    folder = BatchFolder(out)
    folder.check(sweep)
    report = BatchReport(folder.path)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(_dask_client(scheduler)) if scheduler else None
        stack.enter_context(folder.lock())
        folder.clean()
        todo = folder.todo(sweep)
        report.skipped = len(sweep.variants) - len(todo)
        by_name = {v.name: v for v in todo}
        tasks = [folder.task(v, sweep) for v in todo]
        if client is None:
            workers = min(workers or usable_cores(), max(len(tasks), 1))
            outcomes = _on_processes(tasks, workers)
            where = f"{workers} local worker{'s' * (workers > 1)}"
        else:
            outcomes = _on_dask(tasks, client)
            where = f"the Dask scheduler {scheduler}"
        heading = (
            f"{sweep.source}: {len(sweep.variants)} variants, {report.skipped} already "
            f"complete; solving {len(tasks)} on {where}"
        )
        if folder.unreadable:
            heading += f" ({folder.manifest_path} was unreadable: no variant counts as done)"
        meter = _Progress(len(tasks), stream or sys.stderr, progress, heading)
        try:
            with contextlib.closing(outcomes):
                for outcome in outcomes:
                    folder.record(by_name[outcome.name], outcome)
                    report.solved += 1
                    meter.update(outcome)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            meter.close()
        table = folder.write_summary(sweep)
    report.statuses = dict(zip(table.index, table["status"], strict=True))
    report.errors = {n: e for n, e in zip(table.index, table["error"], strict=True) if e}
    return report


def _start_worker(batch: int) -> None:
    """Worker initializer: ignore Ctrl-C, and end with the batch process ``batch``.

    Ctrl-C reaches the whole process group; the batch process handles it. A thread
    watches the batch process (a pidfd on Linux, else polling) and, once it has
    ended however it ended, ends this worker as soon as no result folder is being
    written: the pool's queues would keep an orphaned worker waiting for ever.
    """
    global _batch_pid
    _batch_pid = batch
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(batch,), daemon=True).start()


def _end_with(batch: int) -> None:
    """Wait for process ``batch`` to end, then end this process without writing more."""
    try:
        select.select([os.pidfd_open(batch)], [], [])  # readable once the process has ended
    except (AttributeError, OSError):  # no pidfd here, or the process is already gone
        while process_alive(batch):
            time.sleep(0.5)
    _WRITING.acquire(timeout=WRITE_GRACE_S)
    os._exit(1)


def _on_processes(tasks: list[Task], workers: int) -> Iterator[Outcome]:
    """Solve on a pool of local processes, yielding outcomes as they come.

    A worker that dies (killed, out of memory) breaks the pool: every variant in
    the pool at that moment is recorded as an error (a rerun solves them again) and
    a new pool takes the rest. Closing the generator early (Ctrl-C) ends the
    workers at once: their result folders are written all or nothing.
    """
    if not tasks:
        return
    # Workers are forked from a clean single-threaded server process, never from
    # this one, which may hold threads (tqdm's monitor, the pool's own).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
        )

    pool = new_pool()
    queue = iter(tasks)
    running: dict[Future, Task] = {}

    def submit(count: int) -> None:
        nonlocal pool
        for task in list(itertools.islice(queue, count)):
            try:
                future = pool.submit(solve_variant, task)
            except BrokenProcessPool:
                pool.shutdown(wait=False)
                pool = new_pool()
                future = pool.submit(solve_variant, task)
            running[future] = task

    try:
        submit(IN_FLIGHT_PER_WORKER * workers)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield _result(future, running.pop(future))
            submit(len(done))
    finally:
        if running:
            # ProcessPoolExecutor.terminate_workers() from Python 3.14 on.
            for process in list(pool._processes.values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _dask_client(address: str) -> Iterator[distributed.Client]:
    """A client of the scheduler at ``address``, connected before anything is written.

    It waits for the scheduler as long as Dask's ``distributed.comm.timeouts.connect``
    (30 s unless configured).
    """
    from distributed import Client

    try:
        client = Client(address, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ScenarioError(address, "", f"cannot reach the Dask scheduler ({exc})") from None
    with client:
        yield client


def _on_dask(tasks: list[Task], client: distributed.Client) -> Iterator[Outcome]:
    """Solve on a Dask cluster, yielding outcomes as they come; closing cancels the rest."""
    from distributed import as_completed

    running: dict[distributed.Future, Task] = {}
    run = secrets.token_hex(4)  # keys of a cancelled earlier run may linger on the scheduler
    try:
        for task in tasks:
            key = f"dispatch-{task.name}-{run}"
            running[client.submit(solve_variant, task, key=key, pure=False)] = task
        for future in as_completed(list(running), loop=client.loop):
            yield _result(future, running.pop(future))
    finally:
        if running:
            client.cancel(list(running))


def _result(future: Any, task: Task) -> Outcome:
    """The outcome of a finished future; a worker's death is the variant's error."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - e.g. BrokenProcessPool, KilledWorker
        error = " ".join(f"{type(exc).__name__}: {exc}".split())
        return Outcome(task.name, ERROR, error, math.nan, math.nan)


class _Progress:
    """A tqdm bar (count, failures, ETA), or one plain line per variant for logs."""

    def __init__(self, total: int, stream: IO[str], bar: bool | None, heading: str) -> None:
        self.stream, self.total, self.count, self.failures = stream, total, 0, 0
        self.note(heading)
        if bar is None:
            bar = stream.isatty()
        self.bar = None
        if bar and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=stream, unit="variant", dynamic_ncols=True)
            self.bar.set_postfix(failed=0)

    def note(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def update(self, outcome: Outcome) -> None:
        self.count += 1
        failed = outcome.status != OK
        self.failures += failed
        line = f"[{self.count}/{self.total}] {outcome.name}: {outcome.status}"
        if failed:
            line += f": {outcome.error}"
        if self.bar is None:
            self.note(f"{line} ({outcome.seconds:.1f} s)")
            return
        if failed:
            self.bar.write(line, file=self.stream)
        self.bar.set_postfix(failed=self.failures, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class BatchFolder:
    """The output folder of a batch: variant folders, manifest and summaries.

    In a folder with dispatch's marker, an unreadable manifest, or an unreadable
    entry of it, counts as no record: the variants concerned are solved again, and
    the next record rewrites it. A variant whose ``summary.json`` is missing or
    unreadable counts as not solved.

    Parameters
    ----------
    out
        The folder; created when first written.

    Attributes
    ----------
    unreadable
        Whether ``manifest.json`` exists but could not be read.
    """

    def __init__(self, out: str | Path) -> None:
        self.path = Path(out)
        self.variants = self.path / VARIANTS
        self.manifest_path = self.path / MANIFEST
        self.manifest, self.unreadable = self._read_manifest()
        self._figures: dict[str, tuple[dict[str, float], dict[str, str]] | None] = {}

    def _read_manifest(self) -> tuple[dict[str, Any], bool]:
        if not self.manifest_path.is_file():
            return {}, False
        try:
            variants = json.loads(self.manifest_path.read_text(encoding="utf-8"))["variants"]
            if not isinstance(variants, dict):
                raise TypeError(type(variants).__name__)
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return {}, True
        return variants, False

    def check(self, sweep: Sweep) -> None:
        """Refuse a folder that is not a batch folder of dispatch or lies in the base study.

        A folder without the marker (of a release before it) is recognised by its
        manifest, which must then be readable.

        Raises
        ------
        ScenarioError
            One line naming the folder.
        """
        check_output_folder(self.path, "batch", [sweep.source, sweep.base.parent])
        if self.unreadable and not (self.path / MARKER).is_file():
            raise ScenarioError(
                str(self.manifest_path),
                "",
                "not a batch manifest, in a folder without dispatch's marker: give another "
                "folder (or remove the file to solve every variant again)",
            )

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for this process: a second batch into it fails at once.

        Creates the folder and its marker; :meth:`check` it first.
        """
        self.variants.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK, "w") as handle:
            if os.name == "posix":
                import fcntl

                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise ScenarioError(
                        str(self.path), "", "another dispatch batch is writing into this folder"
                    ) from None
            write_marker(self.path, "batch")
            self.manifest, self.unreadable = self._read_manifest()  # as the last run left it
            self._figures.clear()
            yield

    def clean(self) -> None:
        """Remove what a killed run left: staging folders and temporary files.

        Only the holder of the lock writes here, so every temporary is a leftover.
        """
        leftovers = [
            *self.variants.glob(".*"),
            *self.path.glob(".*.tmp"),  # of releases before dispatch.core.files
            *self.path.glob(".*.dispatch-*"),
        ]
        for leftover in leftovers:
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)

    def folder(self, variant: Variant) -> Path:
        """The result folder of a variant."""
        return self.variants / variant.name

    def status(self, variant: Variant) -> tuple[str, str]:
        """Status and error of a variant with its current inputs; ``pending`` if none."""
        entry = self.manifest.get(variant.name)
        if not _readable(entry) or entry["inputs"] != variant.inputs:
            return PENDING, ""
        if entry["status"] == OK and self.figures(variant) is None:
            return PENDING, ""
        return entry["status"], entry["error"]

    def figures(self, variant: Variant) -> tuple[dict[str, float], dict[str, str]] | None:
        """Key figures and their units of a variant's ``summary.json``
        (:func:`flat_figures`); None if it has none or it is unreadable."""
        if variant.name not in self._figures:
            try:
                summary = json.loads((self.folder(variant) / "summary.json").read_bytes())
                figures = flat_figures(summary)
            except (OSError, ValueError, TypeError, AttributeError, OverflowError, RecursionError):
                figures = None
            self._figures[variant.name] = figures
        return self._figures[variant.name]

    def todo(self, sweep: Sweep) -> list[Variant]:
        """Variants to solve: not settled with the same inputs."""
        return [v for v in sweep.variants if self.status(v)[0] not in SETTLED]

    def task(self, variant: Variant, sweep: Sweep) -> Task:
        """The worker's job for a variant."""
        return Task(
            variant.name,
            variant.scenario.model_dump(mode="json"),
            sweep.base.resolve(),
            sweep.hours,
            variant.inputs,
            self.folder(variant).resolve(),
        )

    def record(self, variant: Variant, outcome: Outcome) -> None:
        """Write a variant's outcome into the manifest (a failure removes old results)."""
        if outcome.status != OK:
            self._remove_result(variant)
        self._figures.pop(variant.name, None)
        self.manifest[variant.name] = {
            "inputs": variant.inputs,
            "status": outcome.status,
            "error": outcome.error,
            "seconds": _rounded(outcome.seconds),
            "cpu_seconds": _rounded(outcome.cpu_seconds),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.unreadable = False
        text = json.dumps({"format": 1, "variants": self.manifest}, indent=1) + "\n"
        write_file_atomic(self.manifest_path, lambda path: path.write_text(text, encoding="utf-8"))

    def _remove_result(self, variant: Variant) -> None:
        """Remove a variant's earlier result folder, if dispatch wrote it."""
        folder = self.folder(variant)
        try:
            check_output_folder(folder, "result")
        except ScenarioError:  # not a result of dispatch: not ours to remove
            return
        shutil.rmtree(folder, ignore_errors=True)

    def summary_table(self, sweep: Sweep) -> tuple[pd.DataFrame, dict[str, str]]:
        """One row per variant: status, error, swept parameters, key figures.

        Returns
        -------
        table
            Indexed by variant; the parameters' columns are their dotted paths
            (values the variant has, changed or not), the figures' are those of
            :func:`flat_figures`; NaN where a variant has no result.
        units
            Unit of each figure column.
        """
        import pandas as pd

        rows, units = [], {}
        for variant in sweep.variants:
            status, error = self.status(variant)
            row = {"variant": variant.name, "status": status, "error": error}
            row.update({p: field_value(variant.scenario, p) for p in sweep.parameters})
            if status == OK:
                figures, figure_units = self.figures(variant)
                row.update(figures)
                units.update(figure_units)
            rows.append(row)
        table = pd.DataFrame(rows).set_index("variant")
        for path in sweep.parameters:
            table[path] = _column(table[path])
        return table, units

    def write_summary(self, sweep: Sweep) -> pd.DataFrame:
        """Write ``summary.csv`` and ``summary.nc`` from every variant's folder.

        Text cells a spreadsheet would run as a formula are escaped in the CSV
        (:func:`~dispatch.core.files.csv_safe`); the returned table has them as they are.
        """
        import xarray as xr

        table, units = self.summary_table(sweep)
        write_file_atomic(self.path / SUMMARY_CSV, csv_safe(table).to_csv)
        ds = xr.Dataset.from_dataframe(table).set_coords(sweep.parameters)
        for path in sweep.parameters:
            ds[path].attrs["long_name"] = f"Scenario field {path}"
        for name, unit in units.items():
            ds[name].attrs["units"] = unit
        ds["status"].attrs["long_name"] = "ok, infeasible, bad-input, error or pending"
        ds.attrs.update(
            title=f"Key figures of the variants of sweep {sweep.source.name}",
            sweep=str(sweep.source),
            base=str(sweep.base),
            hours=sweep.hours if sweep.hours is not None else "all",
            Conventions="CF-1.8",
        )
        write_file_atomic(self.path / SUMMARY_NC, ds.to_netcdf)
        return table


def _readable(entry: Any) -> bool:
    """Whether a manifest entry has what :meth:`BatchFolder.status` reads."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("inputs"), str)
        and entry.get("status") in (*SETTLED, ERROR)
        and isinstance(entry.get("error"), str)
    )


def flat_figures(summary: dict) -> tuple[dict[str, float], dict[str, str]]:
    """The numbers of a ``summary.json`` as one flat mapping, and their units.

    Nested mappings join their keys with ``_``: ``baseline_total_cost``,
    ``curtailment_by_carrier_mwh_solar``, ``routes_a->b_moved_mwh``; per-site figures
    (``sites_SITE_...``) only where the study has more than one site, since one
    site's equal the study's. Strings (``study``, ``currency``) and ``units`` are
    left out.

    Returns
    -------
    figures
        Name -> value [unit of the name].
    units
        Name -> unit, from the summary's ``units`` or the name's ending
        (``_mwh``, ``_h``, ``_tco2``, ``cost``).
    """
    known = {"hours": "h", **summary.get("units", {})}
    currency = summary.get("currency", "")
    figures: dict[str, float] = {}
    units: dict[str, str] = {}

    def walk(mapping: dict, prefix: tuple[str, ...]) -> None:
        for key, value in mapping.items():
            keys = (*prefix, str(key))
            if isinstance(value, dict):
                walk(value, keys)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                name = "_".join(keys)
                figures[name] = float(value)
                units[name] = _unit(keys, known, currency)

    skip = {"units"} | ({"sites"} if len(summary.get("sites", {})) <= 1 else set())
    walk({k: v for k, v in summary.items() if k not in skip}, ())
    return figures, {k: v for k, v in units.items() if v}


def _unit(keys: tuple[str, ...], known: dict[str, str], currency: str) -> str:
    for key in reversed(keys):
        if key in known:
            return known[key]
    leaf = keys[-1]
    for ending, unit in (("_mwh", "MWh"), ("_h", "h"), ("_tco2", "tCO2"), ("cost", currency)):
        if leaf.endswith(ending):
            return unit
    return ""


def _column(values: pd.Series) -> pd.Series:
    """A parameter column: numbers as floats (None as NaN), anything else as text."""
    if all(v is None or isinstance(v, int | float) for v in values):
        return values.astype(float)
    return values.map(
        lambda v: json.dumps(v.model_dump(mode="json")) if isinstance(v, BaseModel) else str(v)
    )


def _rounded(seconds: float) -> float | None:
    """Seconds for the manifest: to the millisecond, None if unknown [s]."""
    return None if math.isnan(seconds) else round(seconds, 3)


def plan(sweep: Sweep, out: str | Path) -> tuple[list[Variant], list[Variant]]:
    """The variants already settled in ``out`` and those a run would solve.

    Raises
    ------
    ScenarioError
        ``out`` would be refused by a run (:meth:`BatchFolder.check`).
    """
    folder = BatchFolder(out)
    folder.check(sweep)
    todo = folder.todo(sweep)
    names = {v.name for v in todo}
    return [v for v in sweep.variants if v.name not in names], todo


def describe_plan(sweep: Sweep, out: str | Path) -> str:
    """One line of bounded length: what a run of ``sweep`` into ``out`` would solve.

    The counts, and the first :data:`SHOWN_NAMES` variants to solve by name.
    """
    done, todo = plan(sweep, out)
    names = ", ".join(v.name for v in todo[:SHOWN_NAMES])
    if len(todo) > SHOWN_NAMES:
        names += f" ... and {len(todo) - SHOWN_NAMES:,} more"
    return (
        f"{sweep.source}: {len(sweep.variants):,} variants valid, {len(done):,} already "
        f"complete in {out}; to solve: {f'{len(todo):,} ({names})' if todo else 'none'}"
    )


def describe(report: BatchReport) -> str:
    """One line: how many variants ended how, and where the summary is."""
    statuses = list(report.statuses.values())
    counts = {s: statuses.count(s) for s in (*SETTLED, ERROR, PENDING) if s in statuses}
    parts = ", ".join(f"{n} {s}" for s, n in counts.items())
    return (
        f"{len(report.statuses)} variants: {parts} ({report.skipped} already complete); "
        f"summary in {report.out / SUMMARY_CSV}"
    )
