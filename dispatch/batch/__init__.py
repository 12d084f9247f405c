"""Sweeps solved as a batch: every variant of a sweep on local processes or a Dask
cluster, into a batch folder that a rerun resumes.

Modules: :mod:`~dispatch.batch.task` (one variant's job and outcome),
:mod:`~dispatch.batch.worker` (solving a variant in a worker process),
:mod:`~dispatch.batch.local_processes` and :mod:`~dispatch.batch.dask_cluster` (where
the variants are solved), :mod:`~dispatch.batch.folder` (the batch folder: variant
folders, manifest, lock), :mod:`~dispatch.batch.summary` (``summary.csv`` and
``summary.nc``), :mod:`~dispatch.batch.progress` (the progress shown),
:mod:`~dispatch.batch.run` (:func:`run_sweep` and its report) and
:mod:`~dispatch.batch.describe` (the one-line texts of a dry run and of a run).

Its modules may import from :mod:`dispatch.core`, :mod:`dispatch.scenario`,
:mod:`dispatch.model`, :mod:`dispatch.results`, :mod:`dispatch.optimization` and
:mod:`dispatch.operation`; never from :mod:`dispatch.testing`, :mod:`dispatch.exchange`
or :mod:`dispatch.cli`.
"""
