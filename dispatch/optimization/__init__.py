"""Solving a study: the flexible and baseline LPs with HiGHS, and what to say when
they cannot be solved.

- :mod:`~dispatch.optimization.solve`: :func:`~dispatch.optimization.solve.solve`,
  the entry point: network -> linopy model -> HiGHS -> :class:`~dispatch.Result`, with
  the baseline solved beside the flexible run.
- :mod:`~dispatch.optimization.dispatcher`: :class:`~dispatch.Dispatcher`, one window
  of a study re-solved in place with new series and initial levels, from the last basis.
- :mod:`~dispatch.optimization.parts`: exact decomposition into sites whose LPs share
  nothing, solved apart and merged.
- :mod:`~dispatch.optimization.staged`: the staged solve of sites joined by routes.
- :mod:`~dispatch.optimization.explain`: infeasible scenarios explained in scenario
  terms (hourly balance check, irreducible infeasible subset).
- :mod:`~dispatch.optimization.progress`: progress of a long solve.

May import: :mod:`dispatch.core`, :mod:`dispatch.scenario`, :mod:`dispatch.model`,
:mod:`dispatch.results`.
"""
