"""The blocks an LP falls apart into when some of its columns are held at values.

Used by the staged solve (:mod:`dispatch.optimization.staged`): which blocks there
are depends only on which columns are free, not on the values the others are held
at, so a stage's blocks can be found while the stage before it is being solved.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


@dataclasses.dataclass
class Partition:
    """The blocks of an LP's ``free`` columns and the rows they are in."""

    free: np.ndarray
    """Positions of the free columns in the LP."""
    graph: sp.csr_matrix
    """The LP's matrix, its free columns only."""
    blocks: int
    row_label: np.ndarray
    """The block of each row."""
    col_label: np.ndarray
    """The block of each free column, by its place in ``free``."""
    occupied: np.ndarray
    """Whether each row holds a free column."""
    with_rows: np.ndarray
    """Whether each block has a row."""
    col_members: Members
    """Each block's free columns, by their places in ``free``."""
    row_members: Members
    place: np.ndarray
    """Each free column's place among its block's columns."""

    @classmethod
    def of(cls, matrix: sp.csr_matrix, free: np.ndarray) -> Partition:
        """The partition of ``matrix`` with the columns ``free`` free."""
        graph = matrix[:, free].tocsr()
        blocks, row_label, col_label = components(graph)
        occupied = np.diff(graph.indptr) > 0
        with_rows = np.zeros(blocks, dtype=bool)
        with_rows[row_label[occupied]] = True
        col_members = Members(np.arange(len(free)), col_label, blocks)
        row_members = Members(np.flatnonzero(occupied), row_label[occupied], blocks)
        return cls(
            free,
            graph,
            blocks,
            row_label,
            col_label,
            occupied,
            with_rows,
            col_members,
            row_members,
            col_members.places(),
        )


def components(graph: sp.csr_matrix) -> tuple[int, np.ndarray, np.ndarray]:
    """The connected blocks of a matrix: how many, and the block of each row and column."""
    rows = graph.shape[0]
    nodes = rows + graph.shape[1]
    # Rows and columns as the nodes of one graph, each entry an edge between them.
    edges = sp.csr_matrix(
        (np.ones(graph.nnz, dtype=np.int8), graph.indices + rows, graph.indptr),
        shape=(rows, nodes),
    )
    edges.resize((nodes, nodes))
    blocks, label = connected_components(edges, directed=False)
    return blocks, label[:rows], label[rows:]


class Members:
    """The ``items`` of each of ``blocks`` blocks by their ``label``, in order: block
    ``b``'s are ``members[b]`` (most blocks are single columns in no row, so they are
    sliced when asked for, not split up front)."""

    def __init__(self, items: np.ndarray, label: np.ndarray, blocks: int) -> None:
        self.order = np.argsort(label, kind="stable")
        self.sorted_items = items[self.order]
        self.label = label
        self.counts = np.bincount(label, minlength=blocks)
        self.starts = np.cumsum(self.counts) - self.counts

    def __getitem__(self, block: int) -> np.ndarray:
        start = self.starts[block]
        return self.sorted_items[start : start + self.counts[block]]

    def places(self) -> np.ndarray:
        """Each item's place among its block's members, by the item's position [-]."""
        place = np.empty(len(self.order), dtype=np.int32)
        place[self.order] = np.arange(len(self.order)) - self.starts[self.label[self.order]]
        return place
