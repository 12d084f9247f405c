"""Operation with forecasts: a study operated as an operator would, re-planning in a
rolling horizon from forecasts issued at each decision time and settling each committed
block against the actual series (``docs/operation.md``). Layer 5, between
:mod:`dispatch.optimization` and the parts that use it (exchange, batch).

- :mod:`~dispatch.operation.operate`: :func:`~dispatch.operation.operate.operate`, the
  rolling horizon: decisions, plans, settlements, the state carried between them.
- :mod:`~dispatch.operation.studies`: the studies solved (a window, cyclic storages
  given start levels, the settlement study) and what operation refuses.
- :mod:`~dispatch.operation.backlog`: the deferrable backlog piece by piece with its
  deadline, served first in first out.
- :mod:`~dispatch.operation.settlement`: a committed block executed against the actual
  series: the work served and the energy side settled by a small LP.
- :mod:`~dispatch.operation.realised`: the realised operation as a solved network.
- :mod:`~dispatch.operation.operation_result`: the
  :class:`~dispatch.operation.operation_result.OperationResult` (a
  :class:`~dispatch.Result`), its plans as issued and its summary against perfect
  foresight.
- :mod:`~dispatch.operation.forecasts`: forecasts of a study's series (perfect,
  persistence, a seeded error model, per series) and the one a scenario states.
- :mod:`~dispatch.operation.forecast_errors`: the seeded error model, per kind of series.
- :mod:`~dispatch.operation.forecast_limits`: the actual values of a window and the
  limits every forecast is held within.
- :mod:`~dispatch.operation.forecast_files`: forecast files of a partner or provider
  (issue time x lead time) read, checked against a study and written in canonical form.
- :mod:`~dispatch.operation.file_forecast`: the forecast issued last by each decision
  time, from such a file.

May import: layers 0-4 (:mod:`dispatch.core`, :mod:`dispatch.scenario`,
:mod:`dispatch.model`, :mod:`dispatch.results`, :mod:`dispatch.optimization`).
"""
