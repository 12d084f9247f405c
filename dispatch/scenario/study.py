"""The Study: a validated scenario with every series resolved on its snapshots, and
what follows from it (sites of a grid region, routes and the classes they carry, work
served as it arrives)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dispatch.core.names import route_name
from dispatch.scenario.schema import Route, Scenario, Site


@dataclass(frozen=True, eq=False)
class Study:
    """A validated study: the scenario and every series resolved on its snapshots.

    Attributes
    ----------
    scenario
        The parsed scenario file.
    source
        Path of the scenario file.
    snapshots
        Snapshot start times, UTC.
    series
        Values of every series field of every site, keyed ``"SITE/FIELD"``
        with FIELD a dotted path such as ``"grid.import_price"`` [field's unit].
    """

    scenario: Scenario
    source: Path
    snapshots: pd.DatetimeIndex
    series: dict[str, np.ndarray] = field(repr=False)

    @property
    def name(self) -> str:
        """Short name of the study."""
        return self.scenario.name

    @property
    def step_h(self) -> float:
        """Step length w [h]."""
        return self.scenario.snapshots.step_h

    @property
    def sites(self) -> dict[str, Site]:
        """The sites by name."""
        return self.scenario.sites

    def values(self, site: str, path: str) -> np.ndarray:
        """Values of series field ``path`` of ``site``, one per snapshot [field's unit]."""
        return self.series[f"{site}/{path}"]

    def region_values(self, region: str, field: str) -> np.ndarray:
        """Values of series field ``field`` of grid region ``region`` [MW]."""
        return self.series[f"grid_regions.{region}/{field}"]

    def region_sites(self, region: str) -> list[str]:
        """The sites whose grid connection sits behind grid region ``region``."""
        return [
            name
            for name, site in self.sites.items()
            if site.grid is not None and site.grid.region == region
        ]

    def subset(self, sites: Collection[str]) -> Study:
        """The study of some of its sites: the routes between them and their grid
        regions, on the same snapshots and series.

        Parameters
        ----------
        sites
            Names of the sites kept; routes to or from other sites are dropped.

        Returns
        -------
        Study
            The same source file, snapshots and series values, for these sites.

        Examples
        --------
        >>> from dispatch import load_study
        >>> study = load_study("networks/multi-site", hours=24)
        >>> list(study.subset(["kenya", "spain"]).sites)
        ['kenya', 'spain']
        """
        keep = set(sites)
        routing = self.scenario.routing
        if routing is not None:
            routes = [r for r in routing.routes if {r.origin, r.destination} <= keep]
            routing = routing.model_copy(update={"routes": routes}) if routes else None
        regions = {
            name: region
            for name, region in self.scenario.grid_regions.items()
            if keep.intersection(self.region_sites(name))
        }
        scenario = self.scenario.model_copy(
            update={
                "sites": {name: self.sites[name] for name in self.sites if name in keep},
                "routing": routing,
                "grid_regions": regions,
            }
        )
        owners = keep | {f"grid_regions.{name}" for name in regions}
        series = {key: v for key, v in self.series.items() if key.split("/")[0] in owners}
        return Study(scenario, self.source, self.snapshots, series)

    def baseline_work(self, site: str) -> np.ndarray:
        """Work ``site`` serves in each step when all of it is served as it arrives:
        firm, deferrable arrivals (the initial backlog in the first step) and
        interruptible offers [MW]."""
        dc = self.sites[site].datacentre
        work = self.values(site, "datacentre.firm_mw").copy()
        if dc.deferrable is not None:
            work += self.values(site, "datacentre.deferrable.arrivals_mwh") / self.step_h
            work[0] += dc.deferrable.initial_backlog_mwh / self.step_h
        if dc.interruptible is not None:
            work += self.values(site, "datacentre.interruptible.offered_mw")
        return work

    def latency_ms(self, origin: str, destination: str) -> float:
        """Latency between two sites of the routing's matrix [ms]."""
        latency = self.scenario.routing.latency
        return latency.matrix_ms[latency.sites.index(origin)][latency.sites.index(destination)]

    def route_classes(self, route: Route) -> tuple[str, ...]:
        """Workload classes that may move on ``route``: latency budget and residency."""
        origin = self.sites[route.origin].datacentre
        classes = []
        firm_sites = origin.firm_sites
        if self.latency_ms(
            route.origin, route.destination
        ) <= self.scenario.routing.firm_latency_budget_ms and (
            firm_sites is None or route.destination in firm_sites
        ):
            classes.append("firm")
        deferrable_sites = origin.deferrable_sites
        if origin.deferrable is not None and (
            deferrable_sites is None or route.destination in deferrable_sites
        ):
            classes.append("deferrable")
        return tuple(classes)

    @property
    def routes(self) -> dict[str, tuple[Route, tuple[str, ...]]]:
        """The routes by name ``"ORIGIN->DESTINATION"``, with the classes each carries."""
        routing = self.scenario.routing
        if routing is None:
            return {}
        return {
            route_name(r.origin, r.destination): (r, self.route_classes(r)) for r in routing.routes
        }

    def _repr_html_(self) -> str:
        from dispatch.scenario.display import study_html

        return study_html(self)
