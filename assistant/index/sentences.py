"""Sentence-level vectors inside each unit: the best sentence speaks for its unit.

A passage of 1,200 characters holds many facts, and its single embedding is an average of them;
a question about one fact matches that fact's sentence far better. Each unit's sentences and
list items are embedded (with the unit's context) and a unit's dense score blends its own
similarity with that of its best sentence. The answerer reuses them to pick the sentences that
answer a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from assistant.index.embedders import Vectors
from assistant.text import strip_span
from assistant.types import Chunk

MIN_SEGMENT_CHARS = 25
_SCAN_BLOCK = 65_536
# A sentence ends with . ! ? … followed by a space and an upper-case letter, a quote or a digit.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ«\"(\[0-9])")


def split_segments(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences and list items of ``text``; very short pieces join the next."""
    spans: list[tuple[int, int]] = []
    position = 0
    for line in text.split("\n"):
        line_start = position
        position += len(line) + 1
        cursor = 0
        pieces: list[tuple[int, int]] = []
        for match in _SENTENCE_END.finditer(line):
            pieces.append((cursor, match.start()))
            cursor = match.end()
        pieces.append((cursor, len(line)))
        pending: int | None = None
        for start, end in pieces:
            start = pending if pending is not None else start
            if len(line[start:end].strip()) < MIN_SEGMENT_CHARS:
                pending = start
                continue
            pending = None
            spans.append(strip_span(text, line_start + start, line_start + end))
        if pending is not None and spans and spans[-1][0] >= line_start:
            spans[-1] = (spans[-1][0], line_start + len(line))
    return [span for span in spans if span[1] > span[0]]


def segment_rows(units: list[Chunk]) -> npt.NDArray[np.int64]:
    """``[unit position, start, end]`` for every sentence of every unit."""
    rows = [
        (position, start, end)
        for position, unit in enumerate(units)
        for start, end in split_segments(unit.text)
    ]
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def segment_text(unit: Chunk, start: int, end: int) -> str:
    """What is embedded for a sentence: the unit's context, then the sentence."""
    sentence = unit.text[start:end]
    return f"{unit.context}\n{sentence}" if unit.context else sentence


@dataclass(frozen=True)
class SegmentIndex:
    """Sentence vectors with, for each, the unit it belongs to and its offsets in the unit.

    Rows are kept sorted by unit, so a unit's sentences are one slice (``offsets``): scoring
    the sentences of a few candidate units reads only their rows. Saved as float16 ``.npy``
    files and memory-mapped at load, so at scale the sentence vectors stay on disk until a
    query touches them. Up to ``scan_max`` sentences they are also held in a FAISS float16
    index (the same 2 bytes a value) that finds the sentence signal's own top units; past it,
    the units' own vectors bring the candidates and sentences only re-score them, from 8-bit
    codes (``codes``: one byte a value, each dimension's range cut in 255 steps; cosines within
    about 1e-3). The kernel maps the pages around each page a query reads, so a file read at
    random rows ends up resident whole: scoring from codes halves what serving a large corpus
    holds in memory. The float16 vectors stay on disk for the next build to reuse.
    """

    rows: npt.NDArray[np.int64]  # [unit position, start, end]
    vectors: npt.NDArray[np.float32] | npt.NDArray[np.float16]
    # A full scan costs about 1 ms per 7,000 sentences on one core (200,000: 30-140 ms measured
    # at 100k units, the whole query's cost): past this, sentences only re-score candidates.
    scan_max: int = 50_000
    # Past ``scan_max`` sentences: the 8-bit codes scores are computed from, and per dimension
    # the value of code -128 and the step between codes (made from ``vectors`` when not given).
    codes: npt.NDArray[np.int8] | None = None
    scale: npt.NDArray[np.float32] | None = None  # [[low…], [step…]]

    ROWS_FILE = "segments-rows.npy"
    VECTORS_FILE = "segments-vectors.npy"
    CODES_FILE = "segments-codes.npy"
    SCALE_FILE = "segments-scale.npy"
    FILES = (ROWS_FILE, VECTORS_FILE, CODES_FILE, SCALE_FILE)
    OPTIONAL = (CODES_FILE, SCALE_FILE)  # written only past ``scan_max`` sentences

    def __post_init__(self) -> None:
        # Stored as float16 in memory too, so an index just built ranks as it will once loaded.
        if self.vectors.dtype != np.float16:
            object.__setattr__(self, "vectors", np.asarray(self.vectors, dtype=np.float16))
        if (self.codes is None) != (self.scale is None):
            raise ValueError("sentence codes need their scale, and a scale its codes")
        if self.codes is not None and (
            self.codes.shape != self.vectors.shape or self.codes.dtype != np.int8
        ):
            raise ValueError(f"sentence codes of shape {self.codes.shape} for {self.vectors.shape}")
        if self.rows.shape[0] and np.any(np.diff(self.rows[:, 0]) < 0):
            order = np.argsort(self.rows[:, 0], kind="stable")
            object.__setattr__(self, "rows", self.rows[order])
            object.__setattr__(self, "vectors", self.vectors[order])
            if self.codes is not None:
                object.__setattr__(self, "codes", self.codes[order])
        if self.codes is None and self.rows.shape[0] > self.scan_max:
            codes, scale = quantise(self.vectors)
            object.__setattr__(self, "codes", codes)
            object.__setattr__(self, "scale", scale)
        units = int(self.rows[:, 0].max()) + 1 if self.rows.shape[0] else 0
        offsets = np.searchsorted(self.rows[:, 0], np.arange(units + 1), side="left")
        object.__setattr__(self, "_offsets", offsets.astype(np.int64))
        # The arrays' own count, not len(): a subclass may hold its sentences elsewhere.
        count = int(self.rows.shape[0])
        scan = None
        if 0 < count <= self.scan_max and self.codes is None:
            # numpy has no fast float16 product (a scan cast every value); FAISS scores fp16
            # codes with SIMD, exactly as the float16 values are.
            scan = faiss.IndexScalarQuantizer(
                self.vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
            )
            for start in range(0, count, _SCAN_BLOCK):
                scan.add(np.asarray(self.vectors[start : start + _SCAN_BLOCK], dtype=np.float32))
        object.__setattr__(self, "_scan", scan)

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def _slice(self, unit: int) -> slice:
        offsets: npt.NDArray[np.int64] = self.__dict__["_offsets"]
        if unit + 1 >= offsets.size:
            return slice(0, 0)
        return slice(int(offsets[unit]), int(offsets[unit + 1]))

    def best_per_unit(self, query: Vectors, unit_count: int) -> npt.NDArray[np.float32]:
        """For each unit, the cosine of its best sentence (-1 for a unit without sentences)."""
        best = np.full(unit_count, -1.0, dtype=np.float32)
        for start in range(0, len(self), _SCAN_BLOCK):  # blocks: no float32 copy of them all
            rows = slice(start, start + _SCAN_BLOCK)
            np.maximum.at(best, self.rows[rows, 0], self._scores(rows, query))
        return best

    def best_of(self, query: Vectors, units: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """The cosine of the best sentence of each of ``units`` (-1 for a unit without any)."""
        best = np.full(units.size, -1.0, dtype=np.float32)
        offsets: npt.NDArray[np.int64] = self.__dict__["_offsets"]
        inside = units + 1 < offsets.size
        starts = np.where(inside, offsets[np.minimum(units, offsets.size - 1)], 0)
        ends = np.where(inside, offsets[np.minimum(units + 1, offsets.size - 1)], 0)
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return best
        owner = np.repeat(np.arange(units.size), lengths)
        rows = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths) + starts[owner]
        np.maximum.at(best, owner, self._scores(rows, query))
        return best

    def top_units(
        self, query: Vectors, top_k: int, unit_count: int, allowed: npt.NDArray[np.int64] | None
    ) -> npt.NDArray[np.int64]:
        """The ``top_k`` units whose best sentence is nearest the query (among ``allowed``).

        Empty past ``scan_max`` sentences: there, the units' own vectors bring the candidates
        and sentences only re-score them, so that sentence vectors never need scanning in full.
        """
        scan: faiss.Index | None = self.__dict__["_scan"]
        if scan is None:
            return np.empty(0, dtype=np.int64)
        total = int(scan.ntotal)
        params = None
        if allowed is not None:
            mask = np.isin(self.rows[:, 0], allowed)
            if not mask.any():
                return np.empty(0, dtype=np.int64)
            # The bitmap must outlive the search: FAISS keeps only a pointer to it.
            bits = np.packbits(mask, bitorder="little")
            params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(total, faiss.swig_ptr(bits)))
        query = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        # Units ranked by their best sentence are the units of the best sentences, in order of
        # first appearance: fetch sentences until ``top_k`` distinct units (or all) are seen.
        k = min(total, 4 * top_k)
        while True:
            _, found = scan.search(query, k, params=params)
            ids = found[0][found[0] >= 0]
            units, first = np.unique(self.rows[ids, 0], return_index=True)
            if units.size >= top_k or ids.size < k or k == total:
                break
            k = min(total, 4 * k)
        best = self.rows[ids[np.sort(first)], 0][:top_k]
        return np.sort(best).astype(np.int64)

    def ranked_in_unit(self, query: Vectors, unit: int) -> list[tuple[int, int, float]]:
        """The sentences of one unit as ``(start, end, score)``, best first."""
        rows = self._slice(unit)
        scores = self._scores(rows, query)
        spans = self.rows[rows][:, 1:]
        order = np.argsort(-scores, kind="stable")
        return [(int(spans[i, 0]), int(spans[i, 1]), float(scores[i])) for i in order]

    def _scores(
        self, rows: slice | npt.NDArray[np.int64], query: Vectors
    ) -> npt.NDArray[np.float32]:
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if self.codes is not None and self.scale is not None:
            # value = low + (code + 128)·step: value·q = code·(step·q) + (low + 128·step)·q
            low, step = self.scale[0], self.scale[1]
            codes = np.asarray(self.codes[rows], dtype=np.float32)
            scores: npt.NDArray[np.float32] = codes @ (step * query)
            return scores + np.float32((low + 128.0 * step) @ query)
        return np.asarray(self.vectors[rows], dtype=np.float32) @ query

    def save(self, folder: Path) -> None:
        np.save(folder / self.ROWS_FILE, self.rows)
        np.save(folder / self.VECTORS_FILE, np.asarray(self.vectors, dtype=np.float16))
        if self.codes is not None and self.scale is not None:
            np.save(folder / self.CODES_FILE, self.codes)
            np.save(folder / self.SCALE_FILE, self.scale)

    @classmethod
    def load(cls, folder: Path) -> SegmentIndex | None:
        if not (folder / cls.ROWS_FILE).exists():
            return None
        coded = (folder / cls.CODES_FILE).exists()
        return cls(
            rows=np.load(folder / cls.ROWS_FILE, mmap_mode="r"),
            vectors=np.load(folder / cls.VECTORS_FILE, mmap_mode="r"),
            codes=np.load(folder / cls.CODES_FILE, mmap_mode="r") if coded else None,
            scale=np.load(folder / cls.SCALE_FILE) if coded else None,
        )


def quantise(
    vectors: npt.NDArray[np.float32] | npt.NDArray[np.float16],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """8-bit codes of ``vectors``, each dimension's range cut in 255 steps, and the scale
    ``[[low…], [step…]]`` they decode with (``low + (code + 128) · step``). Block by block: no
    float32 copy of them all."""
    dim = vectors.shape[1]
    low = np.full(dim, np.inf, dtype=np.float32)
    high = np.full(dim, -np.inf, dtype=np.float32)
    for start in range(0, vectors.shape[0], _SCAN_BLOCK):
        block = np.asarray(vectors[start : start + _SCAN_BLOCK], dtype=np.float32)
        low = np.minimum(low, block.min(axis=0))
        high = np.maximum(high, block.max(axis=0))
    step = np.maximum(high - low, 1e-12) / 255.0
    codes = np.empty(vectors.shape, dtype=np.int8)
    for start in range(0, vectors.shape[0], _SCAN_BLOCK):
        block = np.asarray(vectors[start : start + _SCAN_BLOCK], dtype=np.float32)
        scaled = np.rint((block - low) / step) - 128.0
        codes[start : start + _SCAN_BLOCK] = np.clip(scaled, -128, 127).astype(np.int8)
    return codes, np.stack([low, step]).astype(np.float32)
