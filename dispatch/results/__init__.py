"""What a solved study says: hourly dispatch, key figures, plots and result files.

- :mod:`~dispatch.results.extract`: a solved network -> hourly arrays of one run in
  the terms of MODEL.md (output, curtailment, absorbed, backlog, ...).
- :mod:`~dispatch.results.figures`: the key figures of MODEL.md §6 from both runs.
- :mod:`~dispatch.results.tariff`: the tariff's figures (demand and fixed charges,
  monthly peaks) from a site's import.
- :mod:`~dispatch.results.result`: the :class:`~dispatch.results.result.Result`
  object, its xarray dataset, tables and result folder.
- :mod:`~dispatch.results.plot`, :mod:`~dispatch.results.display`: the dispatch plot
  and the Jupyter HTML view.
- :mod:`~dispatch.results.netcdf`: netCDF files (datasets, PyPSA networks) written
  from memory without xarray's dask lock.

This layer knows nothing of how the LP was solved; :mod:`dispatch.optimization`
builds a ``Result`` from the solved networks.

May import: :mod:`dispatch.core`, :mod:`dispatch.scenario`, :mod:`dispatch.model`.
"""
