"""The batch folder: variant folders, the manifest of outcomes, the lock.

The output folder ``DIR`` holds ``variants/NAME/`` (the files of ``dispatch run``,
each folder written all or nothing by :meth:`Result.write`), ``manifest.json`` (each
variant's input hash, status and error), ``summary.csv`` / ``summary.nc``
(:mod:`dispatch.batch.summary`) and the marker ``.dispatch``. ``DIR`` must be absent,
empty or a batch folder dispatch wrote, and lie outside the base study
(:mod:`dispatch.core.files`). Only the batch process, holding the lock, writes the
manifest and the summaries, each atomically
(:func:`~dispatch.core.files.write_file_atomic`); the workers write the variant
folders. A rerun skips the variants whose recorded inputs match and whose outcome
stands (solved, infeasible or bad input); it solves again those that failed
otherwise, and those whose record or ``summary.json`` is unreadable. Leftovers of a
killed run (staging folders, temporary files) are removed when the next run starts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dispatch.batch.summary import flat_figures
from dispatch.batch.task import ERROR, OK, PENDING, SETTLED, Outcome, Task
from dispatch.core.errors import ScenarioError
from dispatch.core.files import MARKER, check_output_folder, write_file_atomic, write_marker
from dispatch.scenario.sweep import Sweep, Variant

MANIFEST, VARIANTS, LOCK = "manifest.json", "variants", ".lock"


class BatchFolder:
    """The output folder of a batch: variant folders, manifest and lock.

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
        # Opened in place, not written atomically: the lock is held on this file, which
        # a rename would replace by another that a second batch could lock.
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
            sweep.command,
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


def _readable(entry: Any) -> bool:
    """Whether a manifest entry has what :meth:`BatchFolder.status` reads."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("inputs"), str)
        and entry.get("status") in (*SETTLED, ERROR)
        and isinstance(entry.get("error"), str)
    )


def _rounded(seconds: float) -> float | None:
    """Seconds for the manifest: to the millisecond, None if unknown [s]."""
    return None if math.isnan(seconds) else round(seconds, 3)
