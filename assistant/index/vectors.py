"""The FAISS vector index over the retrievable units, and exact-match filtering inside it.

Vectors are L2-normalised, so inner product is cosine similarity. Up to ``approximate_above``
units (the ``ASSISTANT_APPROXIMATE_ABOVE`` setting, 50,000 by default) a flat index is exact and
searches a territory's corpus in well under a millisecond. Past it, an inverted-file index with
8-bit scalar quantisation (``IVF<n>,SQ8``: a quarter of the float vectors' memory) finds
candidates, which are then re-scored from a float16 copy of the vectors (``vectors-f16.npy``:
half the float32 bytes, cosines within about 1e-4 of exact; the 8-bit codes alone lose recall:
0.936 against 0.960 at 100k units). Every file is memory-mapped at load. The float32 vectors
(``vectors.npy``) stay on disk for the next build to reuse, and a search never touches them:
the kernel maps pages around every page a query reads, so after a few hundred queries a file
read at random rows is resident whole, and what a search reads is what it costs in memory.

IVF rather than HNSW: at a million 384-d vectors, building an HNSW graph takes many minutes on
two cores, while k-means on a sample and one assignment pass take well under a minute.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from assistant.errors import IndexMismatchError, InvalidQueryError
from assistant.index.embedders import Vectors

FLAT_MAX = 50_000
FLAT = "flat"
IVF_SQ8 = "ivf-sq8"
INDEX_TYPES = (FLAT, IVF_SQ8)
VECTORS_FILE = "vectors.npy"
# What an approximate index re-scores its candidates from: the vectors as float16.
REFINE_FILE = "vectors-f16.npy"
FAISS_FILE = "vectors.faiss"
# A filter keeping fewer units than this is searched exactly on their rows: cheaper than probing
# inverted lists mostly filled with units the filter excludes, and never short of results.
EXACT_SUBSET_MAX = 20_000
# Faiss wants at least 39 training points per cluster; 64 gives stabler centroids.
TRAIN_POINTS_PER_LIST = 64
# Inverted lists probed per query, as a share of all lists, and at least MIN_PROBES: measured
# by `make bench-scale` (dense recall@10 against exact search on synthetic clustered corpora:
# 100k units, 512 lists: 0.87 at 22 probes, 0.95 at 64; 1M units, 2048 lists: 0.93 at 85,
# 0.955 at 128, 0.976 at 256, each doubling of probes doubling the search time).
PROBE_SHARE = 1 / 16
MIN_PROBES = 64
# Approximate candidates fetched per result asked, re-scored exactly before the cut.
REFINE_FACTOR = 4


def set_search_threads(threads: int) -> None:
    """FAISS's OpenMP threads for searches (its own runtime: the embedder's is separate).

    A query is one vector: more threads split no work, and each search's fork and join waits
    for every thread to get a core, which on a shared machine takes milliseconds (a 10,000-unit
    flat search measured under load: 48 ms p50 on 2 threads, 2-10 ms on 1)."""
    if threads < 1:
        raise ValueError(f"threads must be greater than 0, got {threads}")
    faiss.omp_set_num_threads(threads)


def index_type(count: int, *, approximate_above: int = FLAT_MAX) -> str:
    """The index kind for ``count`` vectors."""
    return FLAT if count <= approximate_above else IVF_SQ8


def list_count(count: int) -> int:
    """Inverted lists for ``count`` vectors: about 2·√n (a power of two). FAISS suggests 4 to
    16·√n; fewer, larger lists train in a quarter of the time on two cores (k-means cost grows
    with lists × training points) and, probed in the same share, scan as many vectors."""
    return max(1, min(count // TRAIN_POINTS_PER_LIST, 1 << round(math.log2(2 * math.sqrt(count)))))


def factory_string(count: int, *, approximate_above: int = FLAT_MAX) -> str:
    """The FAISS ``index_factory`` description for ``count`` vectors."""
    if index_type(count, approximate_above=approximate_above) == FLAT:
        return "Flat"
    return f"IVF{list_count(count)},SQ8"


class VectorIndex:
    """Vectors of units, position ``i`` being the ``i``-th unit of the chunk store."""

    def __init__(
        self,
        vectors: Vectors,
        index: faiss.Index,
        kind: str,
        refine: npt.NDArray[np.float16] | None = None,
    ) -> None:
        if kind not in INDEX_TYPES:
            raise ValueError(f"index kind must be one of {INDEX_TYPES}, got {kind!r}")
        self._vectors = vectors
        self._index = index
        self.kind = kind
        # What scores are computed from: the float32 vectors of a flat index, the float16 copy
        # of an approximate one (made here when not given).
        self._refine: npt.NDArray[np.float32] | npt.NDArray[np.float16] = vectors
        if kind != FLAT:
            self._refine = refine if refine is not None else _half(vectors)
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = min(index.nlist, max(MIN_PROBES, math.ceil(index.nlist * PROBE_SHARE)))

    @classmethod
    def from_vectors(cls, vectors: Vectors, *, approximate_above: int = FLAT_MAX) -> VectorIndex:
        if vectors.ndim != 2 or vectors.shape[0] == 0:
            raise ValueError(f"vectors must be a non-empty 2-D array, got shape {vectors.shape}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        count, dim = vectors.shape
        kind = index_type(count, approximate_above=approximate_above)
        if kind == FLAT:
            return cls(vectors, _flat(vectors), FLAT)
        index = faiss.index_factory(
            dim,
            factory_string(count, approximate_above=approximate_above),
            faiss.METRIC_INNER_PRODUCT,
        )
        lists = faiss.extract_index_ivf(index).nlist
        sample = min(count, lists * TRAIN_POINTS_PER_LIST)
        rows = np.sort(np.random.default_rng(0).choice(count, size=sample, replace=False))
        searching = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # training is one big job: every core
        try:
            index.train(vectors[rows])
            index.add(vectors)
        finally:
            faiss.omp_set_num_threads(searching)
        return cls(vectors, index, IVF_SQ8)

    @classmethod
    def read(cls, folder: Path, *, kind: str) -> VectorIndex:
        """Load a written index; ``kind`` is what the manifest says it is, and must be."""
        vectors = np.load(folder / VECTORS_FILE, mmap_mode="r")
        if kind == FLAT:
            if (folder / FAISS_FILE).exists():
                raise IndexMismatchError(
                    f"the manifest of {folder} says a flat index, "
                    "the folder holds an approximate one"
                )
            return cls(vectors, _flat(np.ascontiguousarray(vectors)), FLAT)
        if kind != IVF_SQ8:
            raise IndexMismatchError(f"unknown index type {kind!r} in the manifest of {folder}")
        if not (folder / FAISS_FILE).exists():
            raise IndexMismatchError(
                f"the manifest of {folder} says an {kind} index, but {FAISS_FILE} is missing"
            )
        if not (folder / REFINE_FILE).exists():
            raise IndexMismatchError(
                f"the manifest of {folder} says an {kind} index, but {REFINE_FILE} is missing"
            )
        index = faiss.read_index(str(folder / FAISS_FILE), faiss.IO_FLAG_MMAP)
        refine = np.load(folder / REFINE_FILE, mmap_mode="r")
        if (
            not isinstance(index, faiss.IndexIVF)
            or index.ntotal != len(vectors)
            or refine.shape != vectors.shape
            or refine.dtype != np.float16
        ):
            raise IndexMismatchError(f"{FAISS_FILE} in {folder} is not the {kind} index expected")
        return cls(vectors, index, IVF_SQ8, refine)

    def write(self, folder: Path) -> None:
        np.save(folder / VECTORS_FILE, np.ascontiguousarray(self._vectors, dtype=np.float32))
        if self.kind != FLAT:
            np.save(folder / REFINE_FILE, self._refine)
            faiss.write_index(self._index, str(folder / FAISS_FILE))

    @property
    def dim(self) -> int:
        return int(self._index.d)

    @property
    def factory(self) -> str:
        if isinstance(self._index, faiss.IndexIVF):
            return f"IVF{self._index.nlist},SQ8"
        return "Flat"

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def vectors(self) -> Vectors:
        """All stored vectors (to reuse them in the next build)."""
        return np.asarray(self._vectors, dtype=np.float32)

    def scores(self, query: Vectors, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Exact cosine of the query with the units at ``positions`` (in that order)."""
        if positions.size == 0:
            return np.empty(0, dtype=np.float32)
        order = np.argsort(positions, kind="stable")
        out = np.empty(positions.size, dtype=np.float32)
        out[order] = np.asarray(self._refine[positions[order]], dtype=np.float32) @ query
        return out

    def search(
        self,
        query: Vectors,
        top_k: int,
        *,
        allowed: Sequence[int] | npt.NDArray[np.int64] | None = None,
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
        query = np.ascontiguousarray(query.reshape(-1), dtype=np.float32)
        subset = None if allowed is None else np.asarray(allowed, dtype=np.int64)
        if subset is not None and subset.size == 0:
            return []
        if self.kind != FLAT and subset is not None and subset.size <= EXACT_SUBSET_MAX:
            return _best(subset, self.scores(query, subset), top_k)
        k = min(top_k if self.kind == FLAT else top_k * REFINE_FACTOR, len(self))
        if subset is not None:
            k = min(k, subset.size)
        params = None
        if subset is not None:
            mask = np.zeros(len(self), dtype=bool)
            mask[subset] = True
            # The bitmap must outlive the search: FAISS keeps only a pointer to it.
            bits = np.packbits(mask, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(self), faiss.swig_ptr(bits))
            params = (
                faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nprobe)
                if self.kind != FLAT
                else faiss.SearchParameters(sel=selector)
            )
        scores, positions = self._index.search(query.reshape(1, -1), k, params=params)
        found = positions[0][positions[0] >= 0]
        if self.kind == FLAT:
            return [(int(p), float(s)) for p, s in zip(found, scores[0][: found.size], strict=True)]
        return _best(found, self.scores(query, found), top_k)


def _half(vectors: Vectors) -> npt.NDArray[np.float16]:
    """``vectors`` as float16, converted block by block (no float32 copy of them all)."""
    out = np.empty(vectors.shape, dtype=np.float16)
    for start in range(0, vectors.shape[0], 65_536):
        out[start : start + 65_536] = vectors[start : start + 65_536]
    return out


def _flat(vectors: Vectors) -> faiss.Index:
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index


def _best(
    positions: npt.NDArray[np.int64], scores: npt.NDArray[np.float32], top_k: int
) -> list[tuple[int, float]]:
    """The ``top_k`` best of scored positions, best first, ties by position."""
    order = np.lexsort((positions, -scores))[:top_k]
    return [(int(positions[i]), float(scores[i])) for i in order]
