"""A network being built: components collected, then added in one ``n.add`` per class.

PyPSA's ``n.add`` costs about as much for one component as for a hundred (it builds
a table of every attribute of the class), and a site has some thirty components:
added one by one, twenty sites took 12 s to build, a single site 0.5 s. The builders
of :mod:`dispatch.model` add to a :class:`NetworkDraft` instead, and
:meth:`NetworkDraft.finish` adds each class at once, in the order its components
were added, with the tables (static and time-varying) that adding them one by one
gives; one difference: an attribute of a Link's third bus (``bus2``,
``efficiency2``) gets PyPSA's default on the Links without one, where adding one by
one leaves NaN on those added before the first Link with a third bus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pypsa

_FIRST = ("Carrier", "Bus")
"""Classes added before the others, whose components refer to them."""


class NetworkDraft:
    """Components to add to ``network``, with its snapshots and ``meta`` at hand.

    Parameters
    ----------
    network
        The network to add to, with its snapshots set.

    Examples
    --------
    >>> from dispatch.core.pypsa_settings import import_pypsa
    >>> n = import_pypsa().Network()
    >>> n.set_snapshots(pd.RangeIndex(3))
    >>> draft = NetworkDraft(n)
    >>> draft.add("Bus", ["a", "b"], carrier="electricity")
    >>> draft.add("Load", "a load", bus="a", p_set=pd.Series([1.0, 2.0, 3.0], n.snapshots))
    >>> draft.add("Load", "b load", bus="b", p_set=4.0)
    >>> n = draft.finish()
    >>> n.loads.p_set.tolist(), n.loads_t.p_set.columns.tolist()
    ([0.0, 4.0], ['a load'])
    """

    def __init__(self, network: pypsa.Network) -> None:
        self.network = network
        self._components: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    @property
    def snapshots(self) -> pd.Index:
        return self.network.snapshots

    @property
    def meta(self) -> dict:
        return self.network.meta

    @meta.setter
    def meta(self, value: dict) -> None:
        self.network.meta = value

    def add(self, class_name: str, name: str | list[str], **attributes: Any) -> None:
        """Add components as ``pypsa.Network.add`` takes them.

        One name: a ``pandas.Series`` on the snapshots is a time series, anything
        else a static value. Several names: a list gives each its own static value,
        a ``pandas.DataFrame`` (snapshots x names) each its own time series, a
        scalar is shared.
        """
        names = [name] if isinstance(name, str) else list(name)
        for key, value in attributes.items():
            if isinstance(value, (pd.Series, pd.DataFrame)) and not value.index.equals(
                self.snapshots
            ):
                raise ValueError(f"{class_name} {key}: time series not on the snapshots")
            if isinstance(value, pd.DataFrame) and list(value.columns) != names:
                raise ValueError(f"{class_name} {key}: columns are not the names added")
        components = self._components.setdefault(class_name, [])
        for position, each in enumerate(names):
            values = {key: _value_of(value, position, names) for key, value in attributes.items()}
            components.append((each, values))

    def finish(self) -> pypsa.Network:
        """The network with every component added, each class in one ``n.add``."""
        n = self.network
        order = sorted(self._components, key=lambda c: c not in _FIRST)
        for class_name in order:
            components = self._components[class_name]
            names = [name for name, _ in components]
            static, varying = _attribute_tables(components)
            # Missing values are NaN, which n.add fills with the attribute's default.
            n.add(class_name, names, **static)
            dynamic = n.c[class_name].dynamic
            for key, series in varying.items():
                columns = pd.Index(list(series), dtype=object, name="name")
                frame = pd.DataFrame(np.column_stack(list(series.values())), n.snapshots, columns)
                known = dynamic.get(key)
                if known is not None and not known.empty:
                    frame = pd.concat([known, frame], axis=1)
                dynamic[key] = frame
        self._components = {}
        return n


def _value_of(value: Any, position: int, names: list[str]) -> Any:
    """The value of the component at ``position`` among ``names``: a time series as a
    numpy array, a static value as it is."""
    if isinstance(value, pd.DataFrame):
        return value.iloc[:, position].to_numpy(dtype=float)
    if isinstance(value, pd.Series):
        if len(names) > 1:
            raise TypeError("a Series for several components: give a DataFrame or a list")
        return value.to_numpy(dtype=float)
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != len(names):
            raise ValueError(f"{len(value)} values for {len(names)} components")
        return value[position]
    return value


def _attribute_tables(
    components: list[tuple[str, dict[str, Any]]],
) -> tuple[dict[str, list], dict[str, dict[str, np.ndarray]]]:
    """Static values by attribute (NaN where a component has none, or a time series)
    and time series by attribute and component."""
    static: dict[str, list] = {}
    varying: dict[str, dict[str, np.ndarray]] = {}
    for position, (name, attributes) in enumerate(components):
        for key, value in attributes.items():
            if isinstance(value, np.ndarray):
                varying.setdefault(key, {})[name] = value
            else:
                static.setdefault(key, [np.nan] * len(components))[position] = value
    return static, varying
