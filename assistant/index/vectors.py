"""The FAISS vector index over the retrievable units, and exact-match filtering inside it.

Vectors are L2-normalised, so inner product is cosine similarity. A flat index is exact and, for
the few thousand units a territory's corpus holds, searches in well under a millisecond; HNSW is
used only past ``FLAT_MAX`` units, where exhaustive search starts to cost.
"""

from __future__ import annotations

from collections.abc import Sequence

import faiss
import numpy as np

from assistant.errors import InvalidQueryError
from assistant.index.embedders import Vectors

FLAT_MAX = 50_000
HNSW_NEIGHBOURS = 32


def factory_string(count: int) -> str:
    """The FAISS ``index_factory`` description for ``count`` vectors."""
    return "Flat" if count <= FLAT_MAX else f"HNSW{HNSW_NEIGHBOURS},Flat"


class VectorIndex:
    """Vectors of units, position ``i`` being the ``i``-th unit of the chunk store."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def from_vectors(cls, vectors: Vectors) -> VectorIndex:
        if vectors.ndim != 2 or vectors.shape[0] == 0:
            raise ValueError(f"vectors must be a non-empty 2-D array, got shape {vectors.shape}")
        index = faiss.index_factory(
            vectors.shape[1], factory_string(vectors.shape[0]), faiss.METRIC_INNER_PRODUCT
        )
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @classmethod
    def read(cls, path: str) -> VectorIndex:
        return cls(faiss.read_index(path))

    def write(self, path: str) -> None:
        faiss.write_index(self._index, path)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def vectors(self) -> Vectors:
        """All stored vectors (to reuse them in the next build)."""
        return np.asarray(self._index.reconstruct_n(0, len(self)), dtype=np.float32)

    def search(
        self, query: Vectors, top_k: int, *, allowed: Sequence[int] | None = None
    ) -> list[tuple[int, float]]:
        """Positions and cosine scores of the ``top_k`` nearest units, best first.

        ``allowed`` restricts the search to those positions inside FAISS (an ID selector), so a
        filtered search still returns ``top_k`` results when enough units pass the filter.
        """
        if top_k < 1:
            raise InvalidQueryError(f"top_k must be greater than 0, got {top_k}")
        if query.shape[-1] != self.dim:
            raise InvalidQueryError(
                f"query vector has {query.shape[-1]} dimensions, the index has {self.dim}"
            )
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params = (
                faiss.SearchParametersHNSW(sel=selector)
                if isinstance(self._index, faiss.IndexHNSW)
                else faiss.SearchParameters(sel=selector)
            )
        k = min(top_k, len(self) if allowed is None else len(allowed))
        scores, positions = self._index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params
        )
        return [(int(p), float(s)) for p, s in zip(positions[0], scores[0], strict=True) if p >= 0]
