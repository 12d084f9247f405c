"""Study -> ``pypsa.Network``: every asset and workload class of MODEL.md as PyPSA
components, and the few constraints on the linopy model that PyPSA has no component for.

- :mod:`~dispatch.model.network`: :func:`~dispatch.model.network.build_network`, the
  entry point, with the map of buses and Links; carriers.
- :mod:`~dispatch.model.supply`: local supply (solar, wind, run-of-river, geothermal).
- :mod:`~dispatch.model.hydro`: the reservoir, with turbine and pump efficiencies
  (pumped storage).
- :mod:`~dispatch.model.battery`: the battery (a Store between charger and discharger).
- :mod:`~dispatch.model.grid`: grid connections and the connection points of sites
  and grid regions.
- :mod:`~dispatch.model.datacentre`: facility, IT and compute chain, and the workload
  classes (firm, interruptible, deferrable with its backlog).
- :mod:`~dispatch.model.heat`: heat reuse (waste heat, heat pump, heat sale).
- :mod:`~dispatch.model.routes`: routes moving work between sites.
- :mod:`~dispatch.model.attributes`: nominal values and per-unit profiles, ramp
  limits per step.
- :mod:`~dispatch.model.sizing`: capacities sized by the optimisation (annuity,
  capital cost, largest IT capacity).
- :mod:`~dispatch.model.constraints`: idle draw tied to sized IT, battery discharger
  tied to its charger, routes' shared capacity.
- :mod:`~dispatch.model.carbon_targets`: CFE targets and emission cap.
- :mod:`~dispatch.model.tariff`: the billed peaks of demand charges (from ``n.meta``).
- :mod:`~dispatch.model.flexibility`: the offers of flexibility to the grid partner and
  their payment (from ``n.meta``).
- :mod:`~dispatch.model.linopy_model`: :func:`~dispatch.model.linopy_model.build_model`,
  the network's linopy model with the constraints above added.
- :mod:`~dispatch.model.baseline`: the flexible run's network turned into the baseline.

May import: :mod:`dispatch.core` and :mod:`dispatch.scenario` only.
"""
