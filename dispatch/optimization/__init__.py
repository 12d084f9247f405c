"""Solving a study: the flexible and baseline LPs with HiGHS, and what to say when
they cannot be solved.

- :mod:`~dispatch.optimization.solve`: :func:`~dispatch.optimization.solve.solve`,
  the entry point: network -> linopy model -> HiGHS -> :class:`~dispatch.Result`, with
  the baseline solved beside the flexible run.
- :mod:`~dispatch.optimization.dispatcher`: :class:`~dispatch.Dispatcher`, one window
  of a study re-solved in place with new series and initial levels, from the last basis.
- :mod:`~dispatch.optimization.window_series`: what a window's series write into the
  Dispatcher's LP.
- :mod:`~dispatch.optimization.storage_value`: the marginal value of stored energy
  after each step of a solved study (the water value a window's end is given).
- :mod:`~dispatch.optimization.variants`: :class:`~dispatch.optimization.variants.VariantSolver`,
  variants of a sweep that differ only in numbers solved in the LP built for the last one.
- :mod:`~dispatch.optimization.network_lp`: which numbers of a network a built LP can take
  in place, and where they go.
- :mod:`~dispatch.optimization.highs_lp`: a linopy model's LP in HiGHS, changed in place.
- :mod:`~dispatch.optimization.parts`: exact decomposition into sites whose LPs share
  nothing, solved apart and merged.
- :mod:`~dispatch.optimization.staged`: the staged solve of sites joined by routes,
  each stage's blocks found by :mod:`~dispatch.optimization.partition`.
- :mod:`~dispatch.optimization.last_stage`: its last stage, the whole LP made small
  (:mod:`~dispatch.optimization.reduction`: columns that equality rows determine,
  eliminated) with arrays kept on disk while HiGHS runs
  (:mod:`~dispatch.optimization.spill`).
- :mod:`~dispatch.optimization.highs_arrays`: HiGHS given an LP and a basis as arrays,
  and its basis after a run read as arrays.
- :mod:`~dispatch.optimization.explain`: infeasible scenarios explained in scenario
  terms (hourly balance check, irreducible infeasible subset).
- :mod:`~dispatch.optimization.progress`: progress of a long solve.

May import: :mod:`dispatch.core`, :mod:`dispatch.scenario`, :mod:`dispatch.model`,
:mod:`dispatch.results`.
"""
