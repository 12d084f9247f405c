"""Assertions on solved studies, for the package's tests and for users' own.

:func:`assert_invariants` checks a solved :class:`~dispatch.Result` against every
invariant of MODEL.md §7 for both runs. Each run is read twice, from the hourly
arrays of :class:`~dispatch.results.extract.RunDispatch` and ``Result.routes`` and,
independently, from the solved PyPSA network (``n.generators_t``,
``n.storage_units_t``, ``n.links_t``, ``n.stores_t``), and both readings are
checked against the study's inputs, not the network's. Studies of several sites
are checked per site (each site's own work is conserved, whether served there or
moved out; the work served at a site, its own and what is moved in, makes its IT
power) and per route (capacity, latency budget, data residency;
:func:`route_rules` states which class may move where). Sized assets are checked
against the capacities the run chose (each within its ``min_mw`` and ``max_mw``,
a battery's energy within ``min_mwh`` and ``max_mwh``),
heat reuse against its waste heat and heat pump, and the flexible run against the
study's carbon targets. :func:`assert_same_optimum` compares both runs' objectives
with those of another formulation of the same LP.

A failure raises ``AssertionError`` naming the invariant, the site, the run, where
the values were read, the first step that fails and by how much.

The package is layer 6: it may import from :mod:`dispatch.core`,
:mod:`dispatch.scenario`, :mod:`dispatch.model` and :mod:`dispatch.results`, never from
:mod:`dispatch.optimization`, :mod:`dispatch.operation`, :mod:`dispatch.exchange`,
:mod:`dispatch.batch` or :mod:`dispatch.cli`, so that the invariants stay independent of
the code that solves.
Its modules, by what they check:

- :mod:`~dispatch.testing.invariants`: :func:`assert_invariants`, which runs all checks;
- :mod:`~dispatch.testing.schedule`: a site's run read from the arrays and from the
  network, and both readings agreeing;
- :mod:`~dispatch.testing.capacities`: capacities as given or sized, and capital cost;
- :mod:`~dispatch.testing.supply`: energy balance, local output, grid and grid regions;
- :mod:`~dispatch.testing.storage`: battery and reservoir;
- :mod:`~dispatch.testing.workload`: workload classes, backlog and :func:`deadline_window`;
- :mod:`~dispatch.testing.heat`: heat reuse;
- :mod:`~dispatch.testing.routes`: :func:`route_rules` and the work moved on routes;
- :mod:`~dispatch.testing.objective`: the objective and :func:`assert_same_optimum`;
- :mod:`~dispatch.testing.derived`: availability, curtailment and unserved work;
- :mod:`~dispatch.testing.network_inputs`: both runs' networks share their inputs;
- :mod:`~dispatch.testing.summary`, :mod:`~dispatch.testing.site_summary`: key figures;
- :mod:`~dispatch.testing.targets`: carbon targets;
- :mod:`~dispatch.testing.tariff`: contracted capacity, demand charges and tariff figures;
- :mod:`~dispatch.testing.cf`: :func:`assert_cf_compliant`, the CF conventions of a
  netCDF file dispatch wrote;
- :mod:`~dispatch.testing.checker`, :mod:`~dispatch.testing.series`: shared helpers.

Examples
--------
>>> from dispatch import load_study, solve
>>> from dispatch.testing import assert_invariants
>>> assert_invariants(solve(load_study("networks/olkaria", hours=48)))
"""

from dispatch.testing.cf import assert_cf_compliant
from dispatch.testing.invariants import assert_invariants
from dispatch.testing.objective import assert_same_optimum
from dispatch.testing.routes import route_rules
from dispatch.testing.workload import deadline_window

__all__ = [
    "assert_cf_compliant",
    "assert_invariants",
    "assert_same_optimum",
    "deadline_window",
    "route_rules",
]
